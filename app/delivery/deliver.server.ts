import type { Database, Sql } from "../db/database.server";
import type { GroupCommit } from "../db/group-commit.server";
import { sendPush, type PushOutcome } from "../joinchat/client.server";
import { log } from "../logger.server";
import { compareStatusProgress } from "../pushes/fulfillment-facts";
import { isNoticeTopic, type NoticeParams } from "../pushes/notices";
import { chooseRecipient, contactSourceOf, type RecipientSource } from "../pushes/recipient";
import { FAILURE_REASONS, SKIP_REASONS, type PushReason, type SkipReasonCode } from "../pushes/reasons";
import type { PackageParams, ReceiptParams, Recipient, RecipientKind, TrackingStatus } from "../pushes/types";
import type { PushStatus } from "../pushes/push-status";
import { SecretBoxError, type SecretBox } from "../settings/secret-box.server";
import { getShopSecret, getShopSettings } from "../settings/settings.server";
import type { ShopSettings } from "../settings/shop-settings";
import type { ShopifyAdmin } from "../shopify/admin-api/index.server";
import { readFulfillmentState } from "../stores/fulfillment-store.server";
import { readBindingReachingOrder } from "../stores/messenger-binding-store.server";
import { knownOrderFromRow, readOrderRow } from "../stores/order-store.server";
import {
  isParcelUnannounced,
  markPushDelivered,
  markPushFailed,
  markPushRetrying,
  recordAttempt,
  savePushBody,
  settleUnsentPush,
  type PushRow,
} from "../stores/push-store.server";
import type { BackPressure } from "./back-pressure";
import { planRetry, type RetryPolicy } from "./retry-policy";

// One attempt at one claimed push: settle its body on the first attempt (recipient, product images),
// sign and send it, and record what JoinChat answered.

/** The Admin API lookups a push makes (the process's access layer, app/shopify/admin-api). */
export type DeliveryLookups = Pick<ShopifyAdmin, "fetchProductImages" | "fetchOrderContact" | "fetchCustomerPsid" | "lookupDeadline">;

export interface DeliveryDeps {
  db: Database;
  box: SecretBox;
  /** The process's Admin API layer: cached, token-refreshing, cost-aware lookups, each within the push's time limit. */
  adminApi: DeliveryLookups;
  joinchatUrl: string;
  /** JOINCHAT_API_SECRET and the one shop of a single-shop deployment that may use it; every other shop needs its own. */
  singleShopSecret: { shop: string; secret: string } | null;
  /** JoinChat's Send API (JOINCHAT_SEND_API_URL), for notices; null: notices are not sent. */
  sendApiUrl?: string | null;
  timeoutMs: number;
  policy: RetryPolicy;
  /** The process's group commit: the outcomes of deliveries that finish together share one commit. */
  commit?: GroupCommit;
  /** The process's view of JoinChat's back-pressure: told of every call and its answer. */
  backPressure?: BackPressure;
  now?: () => number;
}

function write<T>(deps: DeliveryDeps, work: (tx: Sql) => Promise<T>): Promise<T> {
  return deps.commit ? deps.commit.run(work) : deps.db.transaction(work);
}

export async function deliverPush(deps: DeliveryDeps, push: PushRow): Promise<PushStatus> {
  const now = deps.now ?? Date.now;
  const settings = await getShopSettings(deps.db, push.shop);
  if (!settings?.pageId) return settle(deps, push, "skipped", SKIP_REASONS.pageNotLinked);
  if (settings.paused) return settle(deps, push, "skipped", SKIP_REASONS.paused);
  const notice = isNoticeTopic(push.topic);
  if (notice && !deps.sendApiUrl) return settle(deps, push, "skipped", SKIP_REASONS.sendApiMissing);
  if (push.order_gid && push.kind === "order" && !notice) {
    const order = await readOrderRow(deps.db, push.shop, push.order_gid);
    // Cancelled while this push waited or was being tried (its attempt ended in a retry): it is not sent. A
    // merchant's resend is sent: they asked for it knowing the order.
    if (order?.cancelled === 1 && push.resend_of === null) return settle(deps, push, "cancelled", SKIP_REASONS.orderCancelled);
    if (push.topic === "Order/Unpaid" && order?.paid === 1) return settle(deps, push, "cancelled", SKIP_REASONS.paidBeforeReminder);
  }
  if (push.topic === "package/update" && push.fulfillment_gid && push.tracking_status && push.resend_of === null) {
    // A later status was planned while this one waited (a retry, the same batch): sent now, it would go backwards.
    const state = await readFulfillmentState(deps.db, push.shop, push.fulfillment_gid);
    if (state && compareStatusProgress(state.furthest_status, push.tracking_status as TrackingStatus) === "backwards") {
      return settle(deps, push, "skipped", SKIP_REASONS.statusBackwards);
    }
    // Cancelled while its shipped update was on an attempt that then failed: that update now waits for a retry, and
    // the buyer has heard nothing of this parcel yet.
    if (push.tracking_status === "cancelled" && (await isParcelUnannounced(deps.db, push.shop, push.fulfillment_gid, push.id))) {
      return settle(deps, push, "skipped", SKIP_REASONS.buyerNotTold);
    }
  }

  let body = push.body;
  if (body === null) {
    const built = await buildBody(deps, push, settings);
    if (!built) return settle(deps, push, "skipped", SKIP_REASONS.noRecipient);
    body = built.body;
    // customers/redact while the body was built: nothing of the buyer's is written back, and nothing is sent.
    // SQLite: through the group commit, so the bodies of a claimed batch share one commit. A write of its own is a
    // commit of its own, an fsync in the event loop, and a few hundred at once held intake up for seconds.
    // PostgreSQL: on a pooled connection, in parallel with the other deliveries' (the group commit is one at a time).
    const saved =
      deps.db.kind === "sqlite"
        ? await write(deps, (tx) => savePushBody(tx, push.id, built.body, built.recipient))
        : await savePushBody(deps.db, push.id, built.body, built.recipient);
    if (!saved) return settle(deps, push, "cancelled", SKIP_REASONS.customerDataErased);
  }

  let secret: string | null;
  try {
    secret = (await getShopSecret(deps.db, push.shop, deps.box)) ?? (deps.singleShopSecret?.shop === push.shop ? deps.singleShopSecret.secret : null);
  } catch (error) {
    // Only a secret that cannot be decrypted fails the push for good. A database that did not answer in time (a
    // pool busy with hundreds of deliveries) throws on, as the reads above do: the claim's lease brings it back.
    if (!(error instanceof SecretBoxError)) throw error;
    return finish(deps, push, now(), NOT_SENT, { code: FAILURE_REASONS.secretUnreadable, detail: error.message });
  }
  if (!secret) return finish(deps, push, now(), NOT_SENT, { code: FAILURE_REASONS.secretMissing });

  const startedAt = now();
  deps.backPressure?.sending(push.shop);
  const outcome = await sendPush({
    url: notice ? deps.sendApiUrl! : deps.joinchatUrl,
    shopDomain: push.shop,
    secret,
    body,
    idempotencyKey: push.idempotency_key,
    timeoutMs: deps.timeoutMs,
  });
  deps.backPressure?.answered(push.shop, outcome);
  return finish(deps, push, startedAt, outcome);
}

/** An attempt the app ended before anything went to JoinChat: nothing was answered. */
const NOT_SENT: PushOutcome = { kind: "failed", httpStatus: null, code: null, message: "", answer: "", durationMs: 0 };

/** A push that ends without an attempt (skipped, cancelled at send time). */
async function settle(deps: DeliveryDeps, push: PushRow, status: "skipped" | "cancelled", reason: SkipReasonCode): Promise<PushStatus> {
  const now = (deps.now ?? Date.now)();
  // The claim counted an attempt that never happened.
  await write(deps, (tx) => settleUnsentPush(tx, push.id, status, reason, now));
  log.info("push not sent", { pushId: push.id, shop: push.shop, topic: push.topic, status, reason });
  return status;
}

/** Records the attempt and its outcome; `appReason`: the app, not JoinChat, ended it (the push fails with this code). */
async function finish(deps: DeliveryDeps, push: PushRow, startedAt: number, outcome: PushOutcome, appReason?: PushReason): Promise<PushStatus> {
  const now = (deps.now ?? Date.now)();
  const error = outcome.kind === "delivered" ? null : outcome.message || null;
  let status: PushStatus;
  let gaveUp: string | undefined;
  const fields = { pushId: push.id, shop: push.shop, topic: push.topic, attempt: push.attempts, httpStatus: outcome.httpStatus };
  await write(deps, async (tx) => {
    await recordAttempt(tx, {
      pushId: push.id,
      number: push.attempts,
      startedAt,
      durationMs: Math.round(outcome.durationMs),
      httpStatus: outcome.httpStatus,
      outcome: outcome.kind,
      answer: outcome.answer || null,
      error,
    });
    if (outcome.kind === "delivered") {
      status = "delivered";
      await markPushDelivered(tx, push.id, outcome.recipientId, outcome.httpStatus, now);
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
        await markPushRetrying(tx, push.id, decision.dueAt, outcome.httpStatus, outcome.message, now);
        return;
      }
      status = "failed";
      gaveUp = decision.reason;
      await markPushFailed(tx, push.id, outcome.httpStatus, outcome.message, { code: FAILURE_REASONS.retriesExhausted }, now);
      return;
    }
    status = "failed";
    await markPushFailed(tx, push.id, outcome.httpStatus, error, appReason ?? null, now);
  });
  const level = status! === "delivered" ? "info" : "warn";
  log[level](`push ${status!}`, {
    ...fields,
    error,
    reason: gaveUp ? FAILURE_REASONS.retriesExhausted : appReason?.code,
    gaveUp,
    durationMs: Math.round(outcome.durationMs),
  });
  return status!;
}

/** The exact body of a push, settled once: every later attempt sends the same bytes. */
async function buildBody(deps: DeliveryDeps, push: PushRow, settings: ShopSettings): Promise<{ body: string; recipient: SourcedRecipient } | null> {
  const params = JSON.parse(push.params ?? "{}") as ReceiptParams | PackageParams;
  const productGids = JSON.parse(push.product_gids ?? "[]") as (string | null)[];
  // One time limit for every lookup of the push: whatever Shopify does, the push goes out by then, without what
  // is not known (an image, a PSID, the order's contact).
  const deadline = deps.adminApi.lookupDeadline();
  const [recipient, images] = await Promise.all([
    resolveRecipient(deps, push, settings, deadline),
    resolveProductImages(deps, push.shop, productGids, deadline),
  ]);
  if (!recipient) return null;

  if (isNoticeTopic(push.topic)) {
    // JoinChat's Send API: the page, the recipient, Messenger's template and the tag (docs/joinchat-api.md).
    const notice = JSON.parse(push.params ?? "{}") as NoticeParams;
    const body = JSON.stringify({
      page_id: settings.pageId,
      recipient: { [recipient.kind]: recipient.value } as Partial<Record<RecipientKind, string>>,
      message: notice.message,
      tag: notice.tag,
    });
    return { body, recipient };
  }
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

type SourcedRecipient = Recipient & { source: RecipientSource | null };

/**
 * A PSID the buyer bound through the Messenger opt-in comes first (decision 023): the order's binding, else the
 * customer's latest. Then the order's own contacts as planned, a customer's `joinchat.psid` metafield before an email
 * or phone.
 */
async function resolveRecipient(deps: DeliveryDeps, push: PushRow, settings: ShopSettings, deadline: number): Promise<SourcedRecipient | null> {
  if (push.order_gid && push.kind === "order") {
    const bound = await readBindingReachingOrder(deps.db, push.shop, push.order_gid, push.customer_gid);
    if (bound) return { kind: "id", value: bound.psid, source: "binding" };
  }
  const current: SourcedRecipient | null =
    push.recipient_kind && push.recipient_value
      ? { kind: push.recipient_kind as RecipientKind, value: push.recipient_value, source: (push.recipient_source as RecipientSource | null) ?? null }
      : null;
  if (push.recipient_provisional === 1 && push.order_gid) {
    // The order may have arrived since the fulfillment did; else ask the Admin API; else the fulfillment's contact.
    const row = await readOrderRow(deps.db, push.shop, push.order_gid);
    const known = row ? knownOrderFromRow(row) : await deps.adminApi.fetchOrderContact(push.shop, push.order_gid, { deadline });
    const fromOrder = known ? chooseRecipient(known, settings.recipientPreference) : null;
    if (fromOrder) return { ...fromOrder, source: contactSourceOf(fromOrder.kind) };
  }
  if (current && current.kind !== "id" && push.customer_gid) {
    const psid = await deps.adminApi.fetchCustomerPsid(push.shop, push.customer_gid, { deadline });
    if (psid) return { kind: "id", value: psid, source: "metafield" };
  }
  return current;
}

/** Image URLs per product (the layer caches them); one not known by the deadline is left out. */
async function resolveProductImages(deps: DeliveryDeps, shop: string, productGids: (string | null)[], deadline: number): Promise<(string | null)[]> {
  const wanted = [...new Set(productGids.filter((g): g is string => g !== null))];
  if (wanted.length === 0) return productGids.map(() => null);
  const known = await deps.adminApi.fetchProductImages(shop, wanted, { deadline });
  return productGids.map((g) => (g ? (known.get(g) ?? null) : null));
}
