import type { Sql } from "../db/database.server";
import type { OrderPushesAnswer, OrderPushView } from "../pushes/order-pushes-contract";
import { isReasonCode } from "../pushes/reasons";
import { findResendByRequest, isPushOfOrder, listOrderPushRows, listOrderResendFacts, resendFactsOf, type ResendFacts } from "../stores/push-store.server";
import { PushActionError, resendDeliveredPush, retryPush, summarizePush, type PushSummary } from "./push-service.server";

// The pushes of one order, for the order page block in the Shopify admin (extensions/order-pushes): what it lists,
// and its resend of the receipt or of the latest shipping update. The same push services as the app's own pages.

export type OrderResendKind = "receipt" | "shippingUpdate";

const RESEND_TOPICS: Record<OrderResendKind, string> = { receipt: "Order/Receipt", shippingUpdate: "package/update" };

/** An order's id as Shopify's admin has it: digits, or its GID. */
const ORDER_ID = /^(?:gid:\/\/shopify\/Order\/)?([1-9]\d{0,19})$/;

/** The Admin API GID of an order id from a URL (`450789469` or `gid://shopify/Order/450789469`); null if it is none. */
export function orderGidOf(value: string | undefined): string | null {
  const match = value ? ORDER_ID.exec(value) : null;
  return match ? `gid://shopify/Order/${match[1]}` : null;
}

/** A request id the block sends with a resend: 8 to 64 letters, digits or dashes (nothing LIKE would read). */
const REQUEST_ID = /^[A-Za-z0-9-]{8,64}$/;

export function isRequestId(value: unknown): value is string {
  return typeof value === "string" && REQUEST_ID.test(value);
}

export function orderPushView(push: PushSummary): OrderPushView {
  const undelivered = push.status === "failed" || push.status === "retrying";
  return {
    id: push.id,
    topic: push.topic,
    trackingStatus: push.trackingStatus,
    status: push.status,
    reasonCode: isReasonCode(push.reason) ? push.reason : null,
    reason: push.reason,
    reasonDetail: push.reasonDetail,
    joinchatMessage: undelivered ? push.lastError : null,
    recipient: push.recipient,
    attempts: push.attempts,
    createdAt: push.createdAt,
    updatedAt: push.updatedAt,
    deliveredAt: push.deliveredAt,
    dueAt: push.status === "retrying" ? push.dueAt : null,
    resendOf: push.resendOf,
    path: `/app/pushes/${push.id}`,
  };
}

/** The order's pushes, newest first (at most `limit`), and what a resend would send again. */
export async function listOrderPushes(sql: Sql, shop: string, orderGid: string, limit = 50): Promise<OrderPushesAnswer> {
  // The (shop, order_gid, created_at) index gives both the rows and their order.
  const rows = await listOrderPushRows(sql, shop, orderGid, limit + 1);
  const more = rows.length > limit;
  // Holding every push of the order already, what a resend would send is among them: no second read.
  const targets = more ? await resendTargets(sql, shop, orderGid) : newestResendable(rows.map(resendFactsOf));
  const pushes = rows.slice(0, limit).map(summarizePush);
  return {
    orderGid,
    orderName: pushes.find((p) => p.orderName)?.orderName ?? null,
    pushes: pushes.map(orderPushView),
    more,
    resend: {
      receipt: targets.receipt ? { pushId: targets.receipt.id, trackingStatus: null } : null,
      shippingUpdate: targets.shippingUpdate ? { pushId: targets.shippingUpdate.id, trackingStatus: targets.shippingUpdate.tracking_status } : null,
    },
  };
}

/** How many of an order's newest pushes are looked through for what a resend would send. */
const RESEND_LOOKBACK = 1000;

/** For each kind, the newest (first, in rows newest first) delivered push whose buyer's data is still there. */
function newestResendable(rows: readonly ResendFacts[]): Record<OrderResendKind, ResendFacts | undefined> {
  const newest = (kind: OrderResendKind) => rows.find((r) => r.topic === RESEND_TOPICS[kind] && r.status === "delivered" && Number(r.erased) === 0);
  return { receipt: newest("receipt"), shippingUpdate: newest("shippingUpdate") };
}

/**
 * What a resend sends again, read from the order's own index range only (its statuses are told apart in code, not
 * in SQL, so that the planner cannot prefer the shop's (shop, status) range), among its newest RESEND_LOOKBACK pushes.
 */
async function resendTargets(sql: Sql, shop: string, orderGid: string): Promise<Record<OrderResendKind, ResendFacts | undefined>> {
  return newestResendable(await listOrderResendFacts(sql, shop, orderGid, RESEND_LOOKBACK));
}

/**
 * Sends the buyer the order's receipt, or its latest shipping update, again: a new push of the newest delivered
 * one. A `requestId` makes it once only: the same id again gives back the push the first request stored, even
 * if that one has since become the newest delivered.
 */
export async function resendOrderPush(
  sql: Sql,
  shop: string,
  orderGid: string,
  kind: OrderResendKind,
  now = Date.now(),
  requestId?: string,
): Promise<{ push: PushSummary; created: boolean }> {
  if (requestId !== undefined && !isRequestId(requestId)) throw new PushActionError("requestId must be 8 to 64 letters, digits or dashes", "invalid");
  if (requestId) {
    const earlier = await findResendByRequest(sql, shop, orderGid, requestId);
    if (earlier) return { push: summarizePush(earlier), created: false };
  }
  const target = (await resendTargets(sql, shop, orderGid))[kind];
  if (!target) {
    const what = kind === "receipt" ? "receipt" : "shipping update";
    throw new PushActionError(`order ${orderGid} has no delivered ${what} to send again`, "nothing_to_resend");
  }
  return resendDeliveredPush(sql, target.id, now, shop, requestId);
}

/** Retries a failed push of the order (another order's push, or another shop's, is "not found"). */
export async function retryOrderPush(sql: Sql, shop: string, orderGid: string, pushId: number, now = Date.now()): Promise<PushSummary> {
  if (!(await isPushOfOrder(sql, pushId, shop, orderGid))) throw new PushActionError(`push ${pushId} not found on order ${orderGid}`, "not_found");
  return retryPush(sql, pushId, now, shop);
}
