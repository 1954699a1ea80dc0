import type { Sql } from "../db/database.server";
import { compareStatusProgress, extractFulfillmentFacts, fulfillmentRule } from "../pushes/fulfillment-facts";
import {
  cancelNoticeParams,
  noticeKeys,
  noticeLanguageOf,
  noticeRecipient,
  noticeSkipReason,
  NOTICE_TOPICS,
  refundedAmountOf,
  refundNoticeParams,
  type NoticeTopic,
} from "../pushes/notices";
import { extractOrderFacts } from "../pushes/order-facts";
import { businessKeys, orderPaymentOf, PAID_FINANCIAL_STATUSES, planOrderPush, planPackagePush, type PushDraft } from "../pushes/plan";
import { SKIP_REASONS, type PushReason } from "../pushes/reasons";
import { recordLookupOrder, recordLookupTracking } from "../lookup/order-intake.server";
import { recordProduct, recordProductDeleted } from "../lookup/product-intake.server";
import { getShopSettings } from "../settings/settings.server";
import { toGid, type FulfillmentPayload, type OrderPayload, type RefundPayload } from "../shopify/payloads";
import { readFulfillmentState, saveFulfillmentState } from "../stores/fulfillment-store.server";
import { fillBindingCustomer, readBindingReachingOrder } from "../stores/messenger-binding-store.server";
import { knownOrderFromRow, readOrderRow, upsertOrder } from "../stores/order-store.server";
import {
  cancelPendingPushesOfOrder,
  cancelPendingPushesOfShop,
  cancelUnpaidReminder,
  cancelUntoldPackagePushes,
  countOrderPushes,
  findPushIdByKey,
  pushStatusByKey,
  storePush,
  type PushRef,
  type QueuedPushRef,
} from "../stores/push-store.server";
import { deleteSessionsOfShop, updateSessionScopes } from "../stores/session-store.server";
import { deleteShopSettings } from "../stores/shop-settings-store.server";
import { recordWebhookDelivery, setWebhookOutcome } from "../stores/webhook-delivery-store.server";
import { eraseCustomer, eraseShop, summarizeCustomerData } from "./data-protection.server";
import type { ShopSettings } from "../settings/shop-settings";
import type { OrderRow } from "../stores/order-store.server";
import type { FulfillmentTopic, OrderTopic, WebhookTopic } from "./topics";
import type { ValidatedPayload } from "./validate-payload";

// What one accepted delivery does to the database, inside the intake transaction. No network here.

export interface DeliveryContext {
  shop: string;
  webhookId: string;
  topic: WebhookTopic;
  apiVersion: string | null;
  eventId: string | null;
  triggeredAt: string | null;
  now: number;
}

export interface DeliveryOutcome {
  duplicate: boolean;
  /** Pushes stored by this delivery. */
  pushIds: number[];
  summary: string;
  /** The pushes stored to be sent (a queue adds their jobs after the commit). */
  queued: QueuedPushRef[];
  /** Pushes that were waiting and are cancelled now (a queue removes their jobs after the commit). */
  cancelled: PushRef[];
}

export async function processDelivery(tx: Sql, ctx: DeliveryContext, payload: ValidatedPayload): Promise<DeliveryOutcome> {
  const recorded = await recordWebhookDelivery(tx, {
    shop: ctx.shop,
    webhookId: ctx.webhookId,
    topic: ctx.topic,
    apiVersion: ctx.apiVersion,
    eventId: ctx.eventId,
    triggeredAt: ctx.triggeredAt,
    resourceGid: resourceGidOf(payload),
    receivedAt: ctx.now,
  });
  if (!recorded) return { duplicate: true, pushIds: [], summary: "repeated delivery", queued: [], cancelled: [] };

  const outcome = await dispatch(tx, ctx, payload);
  if (ctx.topic !== "shop/redact") {
    await setWebhookOutcome(tx, ctx.shop, ctx.webhookId, outcome.summary);
  }
  return outcome;
}

function resourceGidOf(payload: ValidatedPayload): string | null {
  if (
    payload.kind === "order" ||
    payload.kind === "cancellation" ||
    payload.kind === "fulfillment" ||
    payload.kind === "refund" ||
    payload.kind === "product"
  ) {
    return payload.value.admin_graphql_api_id;
  }
  if (payload.kind === "products/delete") return toGid("Product", payload.value.id);
  return null;
}

async function dispatch(tx: Sql, ctx: DeliveryContext, payload: ValidatedPayload): Promise<DeliveryOutcome> {
  switch (payload.kind) {
    case "order":
      return handleOrder(tx, ctx, ctx.topic as OrderTopic, payload.value);
    case "cancellation":
      return handleCancellation(tx, ctx, payload.value);
    case "refund":
      return handleRefund(tx, ctx, payload.value);
    case "fulfillment":
      return handleFulfillment(tx, ctx, ctx.topic as FulfillmentTopic, payload.value);
    case "product":
      return done(await recordProduct(tx, ctx.shop, payload.value, ctx.now));
    case "products/delete":
      return done(await recordProductDeleted(tx, ctx.shop, payload.value, ctx.now));
    case "app/uninstalled":
      return handleUninstalled(tx, ctx);
    case "app/scopes_update":
      await updateSessionScopes(tx, ctx.shop, payload.value.current.join(","));
      return done(`scope set to ${payload.value.current.join(",")}`);
    case "customers/redact": {
      const erased = await eraseCustomer(tx, ctx.shop, payload.value, ctx.now);
      return done(`customer erased from ${erased.pushes} pushes and ${erased.orders} orders`);
    }
    case "customers/data_request": {
      const summary = await summarizeCustomerData(tx, ctx.shop, payload.value, ctx.now);
      return done(`data request recorded: ${summary.pushes} pushes, ${summary.orders} orders held`);
    }
    case "shop/redact":
      await eraseShop(tx, ctx.shop);
      return done("shop erased");
  }
}

function done(summary: string, pushIds: number[] = [], queued: QueuedPushRef[] = [], cancelled: PushRef[] = []): DeliveryOutcome {
  return { duplicate: false, pushIds, summary, queued, cancelled };
}

async function storeDrafts(
  tx: Sql,
  ctx: DeliveryContext,
  drafts: { draft: PushDraft; reason?: PushReason }[],
  cancelled: PushRef[] = [],
): Promise<DeliveryOutcome> {
  const ids: number[] = [];
  const queued: QueuedPushRef[] = [];
  const parts: string[] = [];
  for (const { draft, reason } of drafts) {
    const stored = await storePush(tx, ctx.shop, draft, ctx.webhookId, ctx.now, reason ?? null);
    ids.push(stored.id);
    if (stored.status === "queued") {
      queued.push({ id: stored.id, shop: ctx.shop, attempts: 0, dueAt: stored.dueAt });
    }
    parts.push(
      `${draft.topic} ${stored.status}${stored.status === "skipped" ? ` (${reason?.code ?? (stored.duplicate ? SKIP_REASONS.duplicate : draft.skipReason)})` : ""}`,
    );
  }
  return done(parts.join(", ") || "no push", ids, queued, cancelled);
}

async function handleOrder(tx: Sql, ctx: DeliveryContext, topic: OrderTopic, order: OrderPayload): Promise<DeliveryOutcome> {
  const facts = extractOrderFacts(order);
  const paidNow = topic === "orders/paid" || PAID_FINANCIAL_STATUSES.has(facts.financialStatus ?? "");
  const before = await readOrderRow(tx, ctx.shop, facts.orderGid);

  await upsertOrder(tx, ctx.shop, facts, paidNow, ctx.now);
  // Bound from the Thank-you page before this webhook came: the binding learns the customer (their later orders).
  if (facts.customerGid) await fillBindingCustomer(tx, ctx.shop, facts.orderGid, facts.customerGid);
  await recordLookupOrder(tx, ctx.shop, order, facts, paidNow, ctx.now);

  const cancelled = paidNow ? await cancelUnpaidReminder(tx, ctx.shop, facts.orderGid, SKIP_REASONS.paidBeforeReminder, ctx.now) : [];

  const settings = await getShopSettings(tx, ctx.shop);
  const planned = planOrderPush(topic, order, facts, settings, ctx.now);
  if (!planned) return done(`no push for financial status ${facts.financialStatus ?? "unknown"}`, [], [], cancelled);
  const draft = await addressBoundBuyer(tx, ctx.shop, planned);
  // Deliveries arrive in any order: a late orders/create or orders/paid of an order already cancelled sends nothing.
  if (before?.cancelled === 1 && draft.skipReason === null) {
    return storeDrafts(tx, ctx, [{ draft, reason: { code: SKIP_REASONS.orderCancelled } }], cancelled);
  }

  if (draft.topic === "Order/Unpaid") {
    // Deliveries arrive in any order: a reminder for an order already known as paid is never sent.
    const paidBefore = before?.paid === 1;
    const receipt = paidBefore ? null : await findPushIdByKey(tx, ctx.shop, businessKeys.receipt(facts.orderGid));
    if (paidBefore || receipt !== null) return storeDrafts(tx, ctx, [{ draft, reason: { code: SKIP_REASONS.alreadyPaid } }], cancelled);
  }
  if (draft.skipReason === SKIP_REASONS.codNoPush) {
    // Recorded under a key of its own: the receipt's stays free, should the shop choose confirmations later.
    return storeDrafts(tx, ctx, [{ draft, reason: { code: SKIP_REASONS.codNoPush } }], cancelled);
  }
  if (topic === "orders/paid" && draft.topic === "Order/Receipt" && draft.skipReason === null) {
    // The courier's payment of a COD order recorded: its confirmation was the receipt, no second one.
    const payment = orderPaymentOf(order, settings);
    if (payment.codGateways.length > 0 && (await findPushIdByKey(tx, ctx.shop, businessKeys.receipt(facts.orderGid))) !== null) {
      return storeDrafts(tx, ctx, [{ draft, reason: { code: SKIP_REASONS.codConfirmationSent } }], cancelled);
    }
  }
  return storeDrafts(tx, ctx, [{ draft }], cancelled);
}

/**
 * An order without an email, phone or PSID of its own whose buyer bound their Messenger (the order itself, from the
 * Thank-you page, or an earlier order of the customer; decision 023) is sent to the bound PSID, not skipped.
 * no_recipient is the last skip reason decided, so nothing stronger is undone.
 */
async function addressBoundBuyer(tx: Sql, shop: string, draft: PushDraft): Promise<PushDraft> {
  if (draft.skipReason !== SKIP_REASONS.noRecipient || !draft.orderGid) return draft;
  const bound = await readBindingReachingOrder(tx, shop, draft.orderGid, draft.customerGid);
  return bound ? { ...draft, recipient: { kind: "id", value: bound.psid }, recipientSource: "binding", skipReason: null } : draft;
}

/**
 * orders/cancelled: the order is known as cancelled from now on (later deliveries of it plan nothing to send), and
 * its pushes still waiting (an unpaid reminder, a receipt or shipping update waiting for a retry) are cancelled. A
 * push being sent finishes; nothing sent is sent again.
 */
async function handleCancellation(tx: Sql, ctx: DeliveryContext, order: OrderPayload): Promise<DeliveryOutcome> {
  const facts = { ...extractOrderFacts(order), cancelled: true };
  await upsertOrder(tx, ctx.shop, facts, PAID_FINANCIAL_STATUSES.has(facts.financialStatus ?? ""), ctx.now);
  const cancelled = await cancelPendingPushesOfOrder(tx, ctx.shop, facts.orderGid, SKIP_REASONS.orderCancelled, ctx.now, { keep: NOTICE_TOPICS });
  const summary = `order cancelled: ${cancelled.length} waiting push${cancelled.length === 1 ? "" : "es"} cancelled`;

  const settings = await getShopSettings(tx, ctx.shop);
  if (!settings?.cancelNoticeEnabled) return done(summary, [], [], cancelled);
  const row = await readOrderRow(tx, ctx.shop, facts.orderGid);
  if (!row) return done(summary, [], [], cancelled);
  const fullyRefunded = facts.financialStatus === "refunded";
  const draft = noticeDraft("Notice/OrderCancelled", noticeKeys.cancelled(facts.orderGid), row, settings, ctx.now, (n) =>
    cancelNoticeParams(n, fullyRefunded || facts.financialStatus === "partially_refunded"),
  );
  if (draft.skipReason === null) {
    // One notice for a cancelled and refunded order: a refund notice still waiting gives way to this one, and a
    // full refund whose notice already went out is the buyer's notice.
    if (fullyRefunded && (await countOrderPushes(tx, ctx.shop, facts.orderGid, "Notice/RefundIssued", ["sending", "delivered"])) > 0) {
      const stored = await storeDrafts(tx, ctx, [{ draft, reason: { code: SKIP_REASONS.noticeCovered } }], cancelled);
      return { ...stored, summary: `${summary}; ${stored.summary}` };
    }
    cancelled.push(...(await cancelPendingPushesOfOrder(tx, ctx.shop, facts.orderGid, SKIP_REASONS.noticeCovered, ctx.now, { only: ["Notice/RefundIssued"] })));
  }
  const stored = await storeDrafts(tx, ctx, [{ draft }], cancelled);
  return { ...stored, summary: `${summary}; ${stored.summary}` };
}

/**
 * refunds/create: a refund alone stops nothing (a partial refund leaves the order going). With the shop's refund
 * notice on, the buyer is told, unless the order's cancellation notice does it already.
 */
async function handleRefund(tx: Sql, ctx: DeliveryContext, refund: RefundPayload): Promise<DeliveryOutcome> {
  const orderGid = toGid("Order", refund.order_id);
  const settings = await getShopSettings(tx, ctx.shop);
  if (!orderGid || !settings?.refundNoticeEnabled) return done(`refund of ${orderGid ?? "an unknown order"} recorded`);
  const row = await readOrderRow(tx, ctx.shop, orderGid);
  if (!row) return done(`refund of ${orderGid} recorded: the order is not known, no notice`);
  const amount = refundedAmountOf(refund.transactions);
  const draft = noticeDraft("Notice/RefundIssued", noticeKeys.refund(refund.admin_graphql_api_id), row, settings, ctx.now, (n) =>
    refundNoticeParams(n, amount),
  );
  if (draft.skipReason === null && row.cancelled === 1) {
    const cancelNotice = await pushStatusByKey(tx, ctx.shop, noticeKeys.cancelled(orderGid));
    if (cancelNotice !== null && ["queued", "retrying", "sending", "delivered"].includes(cancelNotice)) {
      return storeDrafts(tx, ctx, [{ draft, reason: { code: SKIP_REASONS.noticeCovered } }]);
    }
  }
  return storeDrafts(tx, ctx, [{ draft }]);
}

/** A notice of the order as the app knows it, in the buyer's language. */
function noticeDraft(
  topic: NoticeTopic,
  businessKey: string,
  row: OrderRow,
  settings: ShopSettings,
  now: number,
  params: (facts: { orderName: string; orderStatusUrl: string | null; language: ReturnType<typeof noticeLanguageOf> }) => PushDraft["params"],
): PushDraft {
  const recipient = noticeRecipient(row, settings.recipientPreference);
  return {
    topic,
    businessKey,
    orderGid: row.order_gid,
    orderName: row.name,
    fulfillmentGid: null,
    trackingStatus: null,
    customerGid: row.customer_gid,
    recipient,
    recipientProvisional: false,
    params: params({ orderName: row.name, orderStatusUrl: row.order_status_url, language: noticeLanguageOf(row.customer_locale) }),
    productGids: [],
    test: row.test === 1,
    dueAt: now,
    skipReason: noticeSkipReason(settings, topic, { test: row.test === 1, hasRecipient: recipient !== null }),
  };
}

async function handleFulfillment(tx: Sql, ctx: DeliveryContext, topic: FulfillmentTopic, payload: FulfillmentPayload): Promise<DeliveryOutcome> {
  const facts = extractFulfillmentFacts(payload, topic);
  const orderRow = facts.orderGid ? await readOrderRow(tx, ctx.shop, facts.orderGid) : undefined;
  const order = orderRow ? knownOrderFromRow(orderRow) : null;
  const settings = await getShopSettings(tx, ctx.shop);
  const state = await readFulfillmentState(tx, ctx.shop, facts.fulfillmentGid);

  let rule = fulfillmentRule(facts, { buyerTold: state?.buyer_told ?? false, localPickup: orderRow?.local_pickup === 1 });
  let untold: PushRef[] = [];
  if (rule.push && rule.status === "cancelled" && !(state && facts.updatedAtMs < state.newest_updated_at)) {
    // A parcel whose updates all wait for a retry (JoinChat down) was never announced: sent now, its cancellation
    // would be the first the buyer hears of it, and its shipped update would then be skipped as going backwards.
    untold = await cancelUntoldPackagePushes(tx, ctx.shop, facts.fulfillmentGid, SKIP_REASONS.buyerNotTold, ctx.now);
    if (untold.length > 0) rule = { push: false, reason: SKIP_REASONS.buyerNotTold, detail: null, status: "cancelled" };
  }
  if (!rule.push) {
    // Recorded with its reason under a key of its own, so that the same fulfillment's later success still pushes.
    const draft = planPackagePush(facts, rule.status ?? "shipped", order, settings, ctx.now);
    draft.trackingStatus = rule.status;
    draft.businessKey = `package:${facts.fulfillmentGid}:${rule.status ?? facts.shipmentStatus ?? facts.fulfillmentStatus ?? "unknown"}`;
    if (rule.status === "cancelled" && !(state && facts.updatedAtMs < state.newest_updated_at)) {
      // Cancelled unannounced is still the end of the parcel: no later status of it is pushed.
      await saveFulfillmentState(
        tx,
        ctx.shop,
        {
          fulfillmentGid: facts.fulfillmentGid,
          orderGid: facts.orderGid,
          furthestStatus: "cancelled",
          newestUpdatedAt: Math.max(facts.updatedAtMs, state?.newest_updated_at ?? 0),
          buyerTold: false,
        },
        ctx.now,
      );
    }
    if (untold.length > 0) {
      // Under the cancellation's own key: the buyer stays counted as told (buyer_told is never unset), so a repeat of
      // this cancellation must find its push taken and be a duplicate, not a cancellation to send.
      draft.skipReason = rule.reason;
      return storeDrafts(tx, ctx, [{ draft }], untold);
    }
    return storeDrafts(tx, ctx, [{ draft, reason: { code: rule.reason, detail: rule.detail } }]);
  }

  const status = rule.status;
  // A parcel of a bound buyer's order with no contact at all goes to the bound PSID, as the order's receipt does.
  const draft = await addressBoundBuyer(tx, ctx.shop, planPackagePush(facts, status, order, settings, ctx.now));
  if (state && facts.updatedAtMs < state.newest_updated_at) {
    return storeDrafts(tx, ctx, [{ draft, reason: { code: SKIP_REASONS.staleUpdate } }]);
  }
  const progress = compareStatusProgress(state?.furthest_status ?? null, status);
  if (progress === "backwards") return storeDrafts(tx, ctx, [{ draft, reason: { code: SKIP_REASONS.statusBackwards } }]);

  await saveFulfillmentState(
    tx,
    ctx.shop,
    {
      fulfillmentGid: facts.fulfillmentGid,
      orderGid: facts.orderGid,
      furthestStatus: status,
      newestUpdatedAt: Math.max(facts.updatedAtMs, state?.newest_updated_at ?? 0),
      // Planned to be sent (a repeat of a status is a duplicate of one that was): the buyer hears of the parcel.
      buyerTold: draft.skipReason === null,
    },
    ctx.now,
  );
  await recordLookupTracking(tx, ctx.shop, facts, ctx.now);
  return storeDrafts(tx, ctx, [{ draft }]);
}

async function handleUninstalled(tx: Sql, ctx: DeliveryContext): Promise<DeliveryOutcome> {
  await deleteSessionsOfShop(tx, ctx.shop);
  const cancelled = await cancelPendingPushesOfShop(tx, ctx.shop, SKIP_REASONS.appUninstalled, ctx.now);
  // A reinstall starts clean: the merchant links the page again.
  await deleteShopSettings(tx, ctx.shop);
  return done(`sessions deleted, ${cancelled.length} queued pushes cancelled`, [], [], cancelled);
}
