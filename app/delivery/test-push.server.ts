import { randomUUID } from "node:crypto";
import type { ZodError } from "zod";
import type { Sql } from "../db/database.server";
import {
  builtInPackage,
  builtInReceipt,
  packageFromSample,
  receiptFromSample,
  TestPushInputSchema,
  type SamplePush,
} from "../pushes/test-push";
import type { JoinChatTopic, PackageParams, ReceiptParams } from "../pushes/types";
import { getShopSettings } from "../settings/settings.server";
import { deliverPush, type DeliveryDeps } from "./deliver.server";
import { normalizePushRow, PUSH_COLUMNS, type PushRow, type PushStatus } from "./outbox.server";
import { TEST_PUSH_KEY_PREFIX } from "./push-service.server";

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
  error: string | null;
  durationMs: number | null;
  sample: { source: SamplePush["source"]; orderName: string | null };
}

function fieldErrorsOf(error: ZodError): Record<string, string> {
  const out: Record<string, string> = {};
  for (const issue of error.issues) out[issue.path.join(".") || "input"] ??= issue.message;
  return out;
}

interface SampleRow {
  topic: string;
  order_name: string | null;
  params: string;
  product_gids: string | null;
}

/** The shop's most recent real push of these topics that still has its params (not erased, not a test). */
async function latestSampleRow(sql: Sql, shop: string, topics: JoinChatTopic[]): Promise<SampleRow | undefined> {
  return sql.get<SampleRow>(
    `SELECT topic, order_name, params, product_gids FROM push
     WHERE shop = ? AND topic IN (${topics.map(() => "?").join(", ")}) AND params IS NOT NULL AND redacted_at IS NULL
       AND business_key NOT LIKE '${TEST_PUSH_KEY_PREFIX}%'
     ORDER BY created_at DESC, id DESC LIMIT 1`,
    [shop, ...topics],
  );
}

async function latestOrderName(sql: Sql, shop: string): Promise<string | null> {
  const row = await sql.get<{ name: string }>("SELECT name FROM shopify_order WHERE shop = ? ORDER BY created_at_ms DESC LIMIT 1", [shop]);
  return row?.name ?? null;
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
    const row = await latestSampleRow(sql, shop, ["package/update"]);
    const params = row ? parseJson<PackageParams | null>(row.params, null) : null;
    if (row && params?.tracking_number) return packageFromSample(params, parseJson(row.product_gids, [null]), row.order_name);
    return builtInPackage(shop, (await latestOrderName(sql, shop)) ?? undefined);
  }
  const row = await latestSampleRow(sql, shop, ["Order/Receipt", "Order/Unpaid"]);
  const params = row ? parseJson<ReceiptParams | null>(row.params, null) : null;
  if (row && params && Array.isArray(params.elements) && params.summary) {
    return receiptFromSample(params, topic, parseJson(row.product_gids, []), row.order_name);
  }
  return builtInReceipt(topic, now, (await latestOrderName(sql, shop)) ?? undefined);
}

const INSERT_TEST_PUSH = `INSERT INTO push (shop, topic, business_key, idempotency_key, status, order_name, tracking_status, recipient_kind,
    recipient_value, recipient_provisional, params, product_gids, test, due_at, attempts, locked_until, first_attempt_at, created_at, updated_at)
  VALUES (?, ?, ?, ?, 'sending', ?, ?, ?, ?, 0, ?, ?, 1, ?, 1, ?, ?, ?, ?) RETURNING ${PUSH_COLUMNS}`;

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
  const rows = await deps.db.all<PushRow>(INSERT_TEST_PUSH, [
    shop,
    topic,
    `${TEST_PUSH_KEY_PREFIX}${randomUUID()}`,
    randomUUID(),
    sample.orderName,
    sample.trackingStatus,
    recipient.kind,
    recipient.value,
    JSON.stringify(sample.params),
    JSON.stringify(sample.productGids),
    now,
    now + leaseMs,
    now,
    now,
    now,
  ]);
  const push = normalizePushRow(rows[0]);

  let status = await deliverPush(deps, push);
  if (status === "retrying") {
    await deps.db.run(
      "UPDATE push SET status = 'failed', locked_until = NULL, updated_at = ? WHERE id = ? AND status = 'retrying'",
      [(deps.now ?? Date.now)(), push.id],
    );
    status = "failed";
  }
  const attempt = await deps.db.get<{ http_status: number | null; answer: string | null; error: string | null; duration_ms: number }>(
    "SELECT http_status, answer, error, duration_ms FROM push_attempt WHERE push_id = ? ORDER BY number DESC LIMIT 1",
    [push.id],
  );
  const row = await deps.db.get<{ reason: string | null }>("SELECT reason FROM push WHERE id = ?", [push.id]);
  return {
    pushId: push.id,
    status,
    answer: attempt?.answer ?? null,
    httpStatus: attempt?.http_status ?? null,
    error: attempt?.error ?? row?.reason ?? null,
    durationMs: attempt?.duration_ms ?? null,
    sample: { source: sample.source, orderName: sample.orderName },
  };
}
