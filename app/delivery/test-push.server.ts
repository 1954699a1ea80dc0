import type { ZodError } from "zod";
import type { Sql } from "../db/database.server";
import type { PushStatus } from "../pushes/push-status";
import type { ReasonCode } from "../pushes/reasons";
import { builtInPackage, builtInReceipt, packageFromSample, receiptFromSample, TestPushInputSchema, type SamplePush } from "../pushes/test-push";
import type { JoinChatTopic, PackageParams, ReceiptParams } from "../pushes/types";
import { getShopSettings } from "../settings/settings.server";
import { latestOrderName } from "../stores/order-store.server";
import { failRetryingPush, getPush, insertClaimedTestPush, lastAttempt, latestSamplePush } from "../stores/push-store.server";
import { deliverPush, type DeliveryDeps } from "./deliver.server";

// "Send a test push" in the admin: one push built from a sample order of the shop, sent now by the same
// delivery code as every other push (deliverPush: body, signature, JoinChat client, attempt record), and kept
// in the outbox as a push of its own, flagged as a test, so it shows in the delivery log.

export type TestPushErrorCode = "invalid" | "not_linked" | "paused";

export class TestPushError extends Error {
  name = "TestPushError";
  constructor(
    readonly code: TestPushErrorCode,
    message: string,
    readonly fieldErrors: Record<string, string> = {},
  ) {
    super(message);
  }
}

export interface TestPushResult {
  pushId: number;
  status: PushStatus;
  /** What JoinChat answered, verbatim (null when no answer came: a timeout, a refused connection). */
  answer: string | null;
  httpStatus: number | null;
  /** What went wrong on the way (a timeout, a refused connection), when JoinChat gave no answer. */
  error: string | null;
  /** Why the app did not send it or failed it (app/pushes/reasons.ts), for the page to name. */
  reason: ReasonCode | null;
  reasonDetail: string | null;
  durationMs: number | null;
  sample: { source: SamplePush["source"]; orderName: string | null };
}

function fieldErrorsOf(error: ZodError): Record<string, string> {
  const out: Record<string, string> = {};
  for (const issue of error.issues) out[issue.path.join(".") || "input"] ??= issue.message;
  return out;
}

function parseJson<T>(text: string | null, fallback: T): T {
  if (text === null) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

/** What a test push of `topic` would be built from: the shop's latest order of that kind, else the built-in sample. */
export async function chooseTestSample(sql: Sql, shop: string, topic: JoinChatTopic, now = Date.now()): Promise<SamplePush> {
  if (topic === "package/update") {
    const row = await latestSamplePush(sql, shop, ["package/update"]);
    const params = row ? parseJson<PackageParams | null>(row.params, null) : null;
    if (row && params?.tracking_number) return packageFromSample(params, parseJson(row.product_gids, [null]), row.order_name);
    return builtInPackage(shop, (await latestOrderName(sql, shop)) ?? undefined);
  }
  const row = await latestSamplePush(sql, shop, ["Order/Receipt", "Order/Unpaid"]);
  const params = row ? parseJson<ReceiptParams | null>(row.params, null) : null;
  if (row && params && Array.isArray(params.elements) && params.summary) {
    return receiptFromSample(params, topic, parseJson(row.product_gids, []), row.order_name);
  }
  return builtInReceipt(topic, now, (await latestOrderName(sql, shop)) ?? undefined);
}

/**
 * Validates the merchant's input, stores the test push already claimed for sending (so no worker takes it),
 * sends it once now and returns JoinChat's answer. A test push is not retried on its own: an answer that
 * would be retried leaves it failed, and the merchant can retry it from the log.
 */
export async function sendTestPush(deps: DeliveryDeps, shop: string, input: unknown, now = Date.now()): Promise<TestPushResult> {
  const parsed = TestPushInputSchema.safeParse(input);
  if (!parsed.success) throw new TestPushError("invalid", "invalid test push", fieldErrorsOf(parsed.error));
  const { recipient, topic } = parsed.data;

  const settings = await getShopSettings(deps.db, shop);
  if (!settings?.pageId) throw new TestPushError("not_linked", "link the shop's Facebook page first");
  if (settings.paused) throw new TestPushError("paused", "pushes are paused: resume them to send a test push");

  const sample = await chooseTestSample(deps.db, shop, topic, now);
  const leaseMs = deps.timeoutMs + 60_000;
  const push = await insertClaimedTestPush(
    deps.db,
    {
      shop,
      topic,
      orderName: sample.orderName,
      trackingStatus: sample.trackingStatus,
      recipient,
      params: sample.params,
      productGids: sample.productGids,
    },
    now,
    now + leaseMs,
  );

  let status = await deliverPush(deps, push);
  if (status === "retrying") {
    await failRetryingPush(deps.db, push.id, (deps.now ?? Date.now)());
    status = "failed";
  }
  const attempt = await lastAttempt(deps.db, push.id);
  const row = await getPush(deps.db, push.id);
  return {
    pushId: push.id,
    status,
    answer: attempt?.answer ?? null,
    httpStatus: attempt?.http_status ?? null,
    error: attempt?.error ?? null,
    reason: row?.reason ?? null,
    reasonDetail: row?.reason_detail ?? null,
    durationMs: attempt?.duration_ms ?? null,
    sample: { source: sample.source, orderName: sample.orderName },
  };
}
