// The Messenger opt-in of the Thank-you and Order status pages (decision 020): the link the block shows (the shop's
// page on m.me with the order's ref), and "Stop Messenger updates" (unbind the order, cancel its waiting pushes).
// The shop is always the session token's; the route has checked it.
import type { Database } from "../db/database.server";
import type { OptinLinkAnswer, OptinStopAnswer } from "../pushes/optin-contract";
import { SKIP_REASONS } from "../pushes/reasons";
import { getShopSettings } from "../settings/settings.server";
import { deleteBindingsReachingOrder, readBinding, readBindingReachingOrder } from "../stores/messenger-binding-store.server";
import { countOptinEventsSince, recordOptinEvent, type OptinEventKind } from "../stores/optin-event-store.server";
import { readOrderCreatedAt, readOrderRow } from "../stores/order-store.server";
import { cancelWaitingPushesOfOrder, type PushRef } from "../stores/push-store.server";
import { issueOrderToken, ORDER_TOKEN_TTL_MS } from "./setup.server";

export function messengerLink(pageId: string, ref: string): string {
  return `https://m.me/${encodeURIComponent(pageId)}?ref=${encodeURIComponent(ref)}`;
}

/**
 * How long after an order was placed a guest (a session token without `sub`) may still get its link: the Thank-you
 * page comes right after checkout. A guest's token names no order (decision 023), so an older order is not handed
 * to whoever asks for its id.
 */
export const GUEST_LINK_WINDOW_MS = 24 * 60 * 60 * 1000;

/**
 * Whether the buyer holding a session token may see this order's opt-in: a logged-in buyer (the token's `sub`)
 * only for an order the app knows to be someone else's is refused; a guest's order, or one whose orders/create
 * has not arrived yet (the Thank-you page comes first), is the token holder's as far as the app can tell.
 */
async function isBuyersOrder(db: Database, shop: string, orderGid: string, customerGid: string | null): Promise<boolean> {
  if (!customerGid) return true;
  const order = await readOrderRow(db, shop, orderGid);
  return !order?.customer_gid || order.customer_gid === customerGid;
}

/** A guest gets the link of an order the app does not know yet (its webhook is on the way) or of a recent one. */
async function isWithinGuestWindow(db: Database, shop: string, orderGid: string, customerGid: string | null, now: number): Promise<boolean> {
  if (customerGid) return true;
  const placedAt = await readOrderCreatedAt(db, shop, orderGid);
  return placedAt === null || now - placedAt <= GUEST_LINK_WINDOW_MS;
}

export class OptinNotFound extends Error {
  name = "OptinNotFound";
}

/** The order's ref (its lookup token); a new one counts as a link issued on the home page (decision 023). */
export async function issueOptinRef(db: Database, shop: string, orderGid: string, now = Date.now()): Promise<{ token: string; expiresAt: number }> {
  const { token, expiresAt, issued } = await issueOrderToken(db, shop, orderGid, { now });
  if (issued) await recordOptinEvent(db, shop, "link", now);
  return { token, expiresAt };
}

/** The block's link, or null when it shows nothing (the shop is not linked, or the merchant left the opt-in off). */
export async function optinLink(
  db: Database,
  request: { shop: string; orderGid: string; customerGid: string | null },
  now = Date.now(),
): Promise<OptinLinkAnswer | null> {
  const settings = await getShopSettings(db, request.shop);
  if (!settings?.pageId || !settings.optinEnabled) return null;
  if (!(await isBuyersOrder(db, request.shop, request.orderGid, request.customerGid))) throw new OptinNotFound("not this buyer's order");
  if (!(await isWithinGuestWindow(db, request.shop, request.orderGid, request.customerGid, now))) {
    throw new OptinNotFound("a guest's link is for an order placed within the last 24 hours");
  }
  // Bound: the order itself, or its customer (the customer's later orders go to their latest binding's PSID).
  const bound = (await readBindingReachingOrder(db, request.shop, request.orderGid, request.customerGid)) !== undefined;
  // The ref is the order's lookup token (issue 15): unguessable, scoped to the shop, no personal data, 12 characters,
  // the same while it is valid (30 days by default), a new one after.
  const { token } = await issueOptinRef(db, request.shop, request.orderGid, now);
  return {
    url: messengerLink(settings.pageId, token),
    bound,
    buttonText: { en: settings.optinButtonEn, "zh-CN": settings.optinButtonZhCn },
  };
}

/**
 * "Stop Messenger updates": the order is unbound, with every binding of its customer (so that none still carries the
 * order's pushes to the PSID), and its waiting pushes cancelled, in one transaction.
 */
export async function stopOptin(
  db: Database,
  request: { shop: string; orderGid: string; customerGid: string | null },
  now = Date.now(),
): Promise<{ answer: OptinStopAnswer; cancelled: PushRef[] }> {
  if (!(await isBuyersOrder(db, request.shop, request.orderGid, request.customerGid))) throw new OptinNotFound("not this buyer's order");
  return db.transaction(async (tx) => {
    const own = await readBinding(tx, request.shop, request.orderGid);
    const unbound = (await deleteBindingsReachingOrder(tx, request.shop, request.orderGid, own?.customer_gid ?? request.customerGid)) > 0;
    const cancelled = unbound ? await cancelWaitingPushesOfOrder(tx, request.shop, request.orderGid, SKIP_REASONS.buyerStoppedMessenger, now) : [];
    if (unbound) await recordOptinEvent(tx, request.shop, "stop", now);
    return { answer: { ok: true, intent: "stop", unbound, cancelled: cancelled.length }, cancelled };
  });
}

/** The home page's opt-in card (decision 023): whether it is on, and links issued, bindings and stops (24 h, 7 days). */
export interface OptinOverview {
  enabled: boolean;
  day: Record<OptinEventKind, number>;
  week: Record<OptinEventKind, number>;
  /** How long an order's link (its ref) stays valid before the order gets a new one, in days (issue 16: the merchant sees it). */
  linkValidDays: number;
}

export async function getOptinOverview(db: Database, shop: string, now = Date.now()): Promise<OptinOverview> {
  const settings = await getShopSettings(db, shop);
  return {
    enabled: settings?.optinEnabled === true,
    day: await countOptinEventsSince(db, shop, now - 24 * 3_600_000),
    week: await countOptinEventsSince(db, shop, now - 7 * 24 * 3_600_000),
    linkValidDays: Math.round(ORDER_TOKEN_TTL_MS / (24 * 3_600_000)),
  };
}
