import type { Database, Sql } from "../db/database.server";
import { sendPush, type PushOutcome } from "../joinchat/client.server";
import { log } from "../logger.server";
import { compareStatusProgress } from "../pushes/fulfillment-facts";
import { chooseRecipient } from "../pushes/recipient";
import { SKIP_REASONS } from "../pushes/skip-reasons";
import type { PackageParams, ReceiptParams, Recipient, RecipientKind, TrackingStatus } from "../pushes/types";
import type { SecretBox } from "../settings/secret-box.server";
import { getShopSecret, getShopSettings, type ShopSettings } from "../settings/settings.server";
import type { AdminApi } from "../shopify/admin-api.server";
import type { GroupCommit } from "../webhooks/group-commit.server";
import { knownOrderFromRow, readOrderRow } from "../webhooks/process-delivery.server";
import type { PushRow, PushStatus } from "./outbox.server";
import { planRetry, type RetryPolicy } from "./retry-policy";

// One attempt at one claimed push: settle its body on the first attempt (recipient, product images),
// sign and send it, and record what JoinChat answered.

export interface DeliveryDeps {
  db: Database;
  box: SecretBox;
  adminApi: AdminApi;
  joinchatUrl: string;
  defaultSecret: string | null;
  timeoutMs: number;
  policy: RetryPolicy;
  /** The process's group commit: the outcomes of deliveries that finish together share one commit. */
  commit?: GroupCommit;
  now?: () => number;
}

function write<T>(deps: DeliveryDeps, work: (tx: Sql) => Promise<T>): Promise<T> {
  return deps.commit ? deps.commit.run(work) : deps.db.transaction(work);
}

const IMAGE_TTL_MS = 24 * 3_600_000;
const MISSING_IMAGE_TTL_MS = 3_600_000;

export async function deliverPush(deps: DeliveryDeps, push: PushRow): Promise<PushStatus> {
  const now = deps.now ?? Date.now;
  const settings = await getShopSettings(deps.db, push.shop);
  if (!settings?.pageId) return settle(deps, push, "skipped", SKIP_REASONS.pageNotLinked);
  if (settings.paused) return settle(deps, push, "skipped", SKIP_REASONS.paused);
  if (push.topic === "Order/Unpaid" && push.order_gid) {
    const order = await readOrderRow(deps.db, push.shop, push.order_gid);
    if (order?.paid === 1) return settle(deps, push, "cancelled", SKIP_REASONS.paidBeforeReminder);
  }
  if (push.topic === "package/update" && push.fulfillment_gid && push.tracking_status && push.resend_of === null) {
    // A later status was planned while this one waited (a retry, the same batch): sent now, it would go backwards.
    const state = await deps.db.get<{ furthest_status: TrackingStatus }>(
      "SELECT furthest_status FROM fulfillment_state WHERE shop = ? AND fulfillment_gid = ?",
      [push.shop, push.fulfillment_gid],
    );
    if (state && compareStatusProgress(state.furthest_status, push.tracking_status as TrackingStatus) === "backwards") {
      return settle(deps, push, "skipped", SKIP_REASONS.statusBackwards);
    }
  }

  let body = push.body;
  if (body === null) {
    const built = await buildBody(deps, push, settings);
    if (!built) return settle(deps, push, "skipped", SKIP_REASONS.noRecipient);
    body = built.body;
    await deps.db.run(
      "UPDATE push SET body = ?, recipient_kind = ?, recipient_value = ?, recipient_provisional = 0 WHERE id = ?",
      [body, built.recipient.kind, built.recipient.value, push.id],
    );
  }

  let secret: string | null;
  try {
    secret = (await getShopSecret(deps.db, push.shop, deps.box)) ?? deps.defaultSecret;
  } catch (error) {
    return finish(deps, push, now(), finalFailure(`JoinChat API secret unreadable: ${(error as Error).message}`));
  }
  if (!secret) {
    return finish(deps, push, now(), finalFailure("no JoinChat API secret: set the shop's secret or JOINCHAT_API_SECRET"));
  }

  const startedAt = now();
  const outcome = await sendPush({
    url: deps.joinchatUrl,
    shopDomain: push.shop,
    secret,
    body,
    idempotencyKey: push.idempotency_key,
    timeoutMs: deps.timeoutMs,
  });
  return finish(deps, push, startedAt, outcome);
}

function finalFailure(message: string): PushOutcome {
  return { kind: "failed", httpStatus: null, code: null, message, answer: "", durationMs: 0 };
}

/** A push that ends without an attempt (skipped, cancelled at send time). */
async function settle(deps: DeliveryDeps, push: PushRow, status: PushStatus, reason: string): Promise<PushStatus> {
  const now = (deps.now ?? Date.now)();
  // The claim counted an attempt that never happened.
  await write(deps, (tx) =>
    tx.run(
      "UPDATE push SET status = ?, reason = ?, attempts = attempts - 1, locked_until = NULL, updated_at = ? WHERE id = ? AND status = 'sending'",
      [status, reason, now, push.id],
    ),
  );
  log.info("push not sent", { pushId: push.id, shop: push.shop, topic: push.topic, status, reason });
  return status;
}

async function finish(deps: DeliveryDeps, push: PushRow, startedAt: number, outcome: PushOutcome): Promise<PushStatus> {
  const now = (deps.now ?? Date.now)();
  const error = outcome.kind === "delivered" ? null : outcome.message;
  let status: PushStatus;
  const fields = { pushId: push.id, shop: push.shop, topic: push.topic, attempt: push.attempts, httpStatus: outcome.httpStatus };
  await write(deps, async (tx) => {
    await tx.run(
      `INSERT INTO push_attempt (push_id, number, started_at, duration_ms, http_status, outcome, answer, error)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (push_id, number) DO NOTHING`,
      [push.id, push.attempts, startedAt, Math.round(outcome.durationMs), outcome.httpStatus, outcome.kind, outcome.answer || null, error],
    );
    if (outcome.kind === "delivered") {
      status = "delivered";
      // JoinChat has it, whatever happened to the row meanwhile: record the truth.
      await tx.run(
        `UPDATE push SET status = 'delivered', recipient_id = ?, delivered_at = ?, last_http_status = ?, last_error = NULL,
           reason = NULL, locked_until = NULL, updated_at = ? WHERE id = ?`,
        [outcome.recipientId, now, outcome.httpStatus, now, push.id],
      );
      return;
    }
    if (outcome.kind === "retry") {
      const decision = planRetry({
        failedAttempts: push.attempts,
        firstAttemptAt: Number(push.first_attempt_at ?? startedAt),
        now,
        retryAfterMs: outcome.retryAfterMs,
        policy: deps.policy,
      });
      if (decision.retry) {
        status = "retrying";
        await tx.run(
          `UPDATE push SET status = 'retrying', due_at = ?, last_http_status = ?, last_error = ?, locked_until = NULL, updated_at = ?
           WHERE id = ? AND status = 'sending'`,
          [decision.dueAt, outcome.httpStatus, outcome.message, now, push.id],
        );
        return;
      }
      status = "failed";
      await markFailed(tx, push.id, outcome.httpStatus, `${outcome.message}; ${decision.reason}`, now);
      return;
    }
    status = "failed";
    await markFailed(tx, push.id, outcome.httpStatus, outcome.message, now);
  });
  const level = status! === "delivered" ? "info" : "warn";
  log[level](`push ${status!}`, { ...fields, error, durationMs: Math.round(outcome.durationMs) });
  return status!;
}

async function markFailed(tx: Sql, id: number, httpStatus: number | null, message: string, now: number) {
  await tx.run(
    `UPDATE push SET status = 'failed', last_http_status = ?, last_error = ?, locked_until = NULL, updated_at = ?
     WHERE id = ? AND status = 'sending'`,
    [httpStatus, message, now, id],
  );
}

/** The exact body of a push, settled once: every later attempt sends the same bytes. */
async function buildBody(deps: DeliveryDeps, push: PushRow, settings: ShopSettings): Promise<{ body: string; recipient: Recipient } | null> {
  const params = JSON.parse(push.params ?? "{}") as ReceiptParams | PackageParams;
  const productGids = JSON.parse(push.product_gids ?? "[]") as (string | null)[];
  const [recipient, images] = await Promise.all([
    resolveRecipient(deps, push, settings),
    resolveProductImages(deps, push.shop, productGids),
  ]);
  if (!recipient) return null;

  if (push.topic === "package/update") {
    const pkg = params as PackageParams;
    if (images[0]) pkg.image_url = images[0];
  } else {
    const receipt = params as ReceiptParams;
    receipt.elements = receipt.elements.map((element, i) => (images[i] ? { ...element, image_url: images[i]! } : element));
  }
  const body = JSON.stringify({
    request: { page_id: settings.pageId, topic: push.topic },
    recipient: { [recipient.kind]: recipient.value } as Partial<Record<RecipientKind, string>>,
    params,
  });
  return { body, recipient };
}

async function resolveRecipient(deps: DeliveryDeps, push: PushRow, settings: ShopSettings): Promise<Recipient | null> {
  const current: Recipient | null =
    push.recipient_kind && push.recipient_value ? { kind: push.recipient_kind as RecipientKind, value: push.recipient_value } : null;
  if (push.recipient_provisional === 1 && push.order_gid) {
    // The order may have arrived since the fulfillment did; else ask the Admin API; else the fulfillment's contact.
    const row = await readOrderRow(deps.db, push.shop, push.order_gid);
    const known = row ? knownOrderFromRow(row) : await deps.adminApi.fetchOrderContact(push.shop, push.order_gid);
    const fromOrder = known ? chooseRecipient(known, settings.recipientPreference) : null;
    if (fromOrder) return fromOrder;
  }
  if (current && current.kind !== "id" && push.customer_gid) {
    const psid = await deps.adminApi.fetchCustomerPsid(push.shop, push.customer_gid);
    if (psid) return { kind: "id", value: psid };
  }
  return current;
}

/** Image URLs per product, from the cache or the Admin API; a failed lookup leaves the image out. */
async function resolveProductImages(deps: DeliveryDeps, shop: string, productGids: (string | null)[]): Promise<(string | null)[]> {
  const wanted = [...new Set(productGids.filter((g): g is string => g !== null))];
  if (wanted.length === 0) return productGids.map(() => null);
  const now = (deps.now ?? Date.now)();
  const known = new Map<string, string | null>();
  const placeholders = wanted.map(() => "?").join(", ");
  const rows = await deps.db.all<{ product_gid: string; url: string | null; fetched_at: number }>(
    `SELECT product_gid, url, fetched_at FROM product_image WHERE shop = ? AND product_gid IN (${placeholders})`,
    [shop, ...wanted],
  );
  for (const row of rows) {
    const ttl = row.url ? IMAGE_TTL_MS : MISSING_IMAGE_TTL_MS;
    if (now - Number(row.fetched_at) < ttl) known.set(row.product_gid, row.url);
  }
  const missing = wanted.filter((g) => !known.has(g));
  if (missing.length > 0) {
    const fetched = await deps.adminApi.fetchProductImages(shop, missing);
    for (const [gid, url] of fetched) {
      known.set(gid, url);
      await deps.db.run(
        `INSERT INTO product_image (shop, product_gid, url, fetched_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (shop, product_gid) DO UPDATE SET url = excluded.url, fetched_at = excluded.fetched_at`,
        [shop, gid, url, now],
      );
    }
  }
  return productGids.map((g) => (g ? (known.get(g) ?? null) : null));
}
