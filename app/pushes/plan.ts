import type { ShopSettings } from "../settings/shop-settings";
import { cashOnDeliveryGateways } from "./cash-on-delivery";
import type { NoticeParams, NoticeTopic } from "./notices";
import { chooseRecipient, type RecipientSource } from "./recipient";
import { planPackageParams } from "./package-params";
import { planReceiptParams, readablePaymentMethod } from "./receipt-params";
import { SKIP_REASONS, type SkipReasonCode } from "./reasons";
import type { FulfillmentFacts, JoinChatTopic, OrderFacts, PushParams, Recipient, TrackingStatus } from "./types";
import type { OrderPayload } from "../shopify/payloads";

// Planning is pure: a payload, what is known of its order and the shop's settings in; push drafts out.
// What needs the database (was it paid already? has this status been sent?) is decided by the caller.

export interface PushDraft {
  /** A topic of JoinChat's merchant push, or a notice through its Send API. */
  topic: JoinChatTopic | NoticeTopic;
  /** `receipt:<order gid>`, `unpaid:<order gid>`, `package:<fulfillment gid>:<status>`: one push per key. */
  businessKey: string;
  orderGid: string | null;
  orderName: string | null;
  fulfillmentGid: string | null;
  trackingStatus: TrackingStatus | null;
  customerGid: string | null;
  recipient: Recipient | null;
  /** The recipient is only the fulfillment's own contact: delivery looks for the order's first. */
  recipientProvisional: boolean;
  /** How the recipient was found, when not from the order's own contacts (a Messenger binding, decision 023). */
  recipientSource?: RecipientSource;
  params: PushParams | NoticeParams;
  productGids: (string | null)[];
  test: boolean;
  dueAt: number;
  skipReason: SkipReasonCode | null;
}

/** Financial statuses of an order that has been paid, in part or in full (no unpaid reminder for those). */
export const PAID_FINANCIAL_STATUSES = new Set(["paid", "authorized", "partially_paid", "partially_refunded", "refunded"]);
/** Financial statuses that get an `Order/Receipt` on `orders/create`. */
export const RECEIPT_FINANCIAL_STATUSES = new Set(["paid", "authorized", "partially_paid"]);

export const businessKeys = {
  receipt: (orderGid: string) => `receipt:${orderGid}`,
  unpaid: (orderGid: string) => `unpaid:${orderGid}`,
  package: (fulfillmentGid: string, status: string) => `package:${fulfillmentGid}:${status}`,
};

type PushKind = "receipt" | "unpaid" | "package";

function isKindEnabled(settings: ShopSettings, kind: PushKind): boolean {
  if (kind === "receipt") return settings.receiptEnabled;
  if (kind === "unpaid") return settings.unpaidEnabled;
  return settings.packageEnabled;
}

/** The first reason, in the order a merchant would look for it, why a push is not sent; null to send it. */
export function skipReasonFor(
  settings: ShopSettings | null,
  kind: PushKind,
  facts: { cancelled: boolean; test: boolean; hasRecipient: boolean; trackingStatus?: TrackingStatus },
): SkipReasonCode | null {
  if (facts.cancelled) return SKIP_REASONS.orderCancelled;
  if (facts.test && settings && !settings.testOrdersEnabled) return SKIP_REASONS.testOrder;
  if (!settings?.pageId) return SKIP_REASONS.pageNotLinked;
  if (settings.paused) return SKIP_REASONS.paused;
  if (!isKindEnabled(settings, kind)) return SKIP_REASONS.pushTypeOff;
  if (kind === "package" && facts.trackingStatus && settings.packageStatuses && !settings.packageStatuses.includes(facts.trackingStatus)) {
    return SKIP_REASONS.statusNotPushed;
  }
  if (!facts.hasRecipient) return SKIP_REASONS.noRecipient;
  return null;
}

/** How an order is to be paid, as far as its pushes care (decision 016). */
export interface OrderPayment {
  /** Its gateway names that are cash on delivery (built-in names and the shop's own); empty for other orders. */
  codGateways: string[];
  /** What the shop wants for a COD order. */
  codChoice: ShopSettings["codOrders"];
}

export function orderPaymentOf(order: OrderPayload, settings: ShopSettings | null): OrderPayment {
  return {
    codGateways: cashOnDeliveryGateways(order.payment_gateway_names, settings?.codGatewayNames ?? []),
    codChoice: settings?.codOrders ?? "confirmation",
  };
}

/** Reasons that come before the shop's choice for a COD order: they would stop any push. */
const REASONS_BEFORE_COD_CHOICE = new Set<SkipReasonCode>([
  SKIP_REASONS.orderCancelled,
  SKIP_REASONS.testOrder,
  SKIP_REASONS.pageNotLinked,
  SKIP_REASONS.paused,
]);

/**
 * The push an order webhook asks for: a receipt for a paid order (and always for `orders/paid`), an unpaid
 * reminder for a pending one, nothing for other financial statuses. Issue 17 (decision 016):
 * - a cash-on-delivery order is not one the buyer forgot to pay: pending, it gets the shop's choice, by default an
 *   order confirmation (an `Order/Receipt` under the receipt's key, so `orders/paid` later sends no second one)
 *   whose payment method says cash on delivery; "nothing" skips its pushes (cod_no_push);
 * - an order with payment terms gets its reminder at the due date, never before (no_due_date without one,
 *   terms_reminder_off when the shop turned those off).
 */
export function planOrderPush(
  webhookTopic: "orders/create" | "orders/paid",
  order: OrderPayload,
  facts: OrderFacts,
  settings: ShopSettings | null,
  now: number,
): PushDraft | null {
  const status = facts.financialStatus ?? "";
  const { codGateways, codChoice } = orderPaymentOf(order, settings);
  const cod = codGateways.length > 0;
  let kind: "receipt" | "unpaid";
  let codConfirmation = false;
  if (webhookTopic === "orders/paid" || RECEIPT_FINANCIAL_STATUSES.has(status)) kind = "receipt";
  else if (status === "pending" && cod && codChoice !== "unpaid_reminder") {
    kind = "receipt";
    codConfirmation = true;
  } else if (status === "pending") kind = "unpaid";
  else return null;

  const topic: JoinChatTopic = kind === "receipt" ? "Order/Receipt" : "Order/Unpaid";
  const recipient = chooseRecipient(facts, settings?.recipientPreference ?? "email");
  const planned = planReceiptParams(order, topic);
  // The confirmation of a COD order says how it is paid: the shop's own name of it, in the buyer's language.
  if (codConfirmation) planned.params.payment_method = readablePaymentMethod(codGateways, "Order/Receipt");
  const createdAt = Number.isFinite(facts.createdAtMs) ? facts.createdAtMs : now;
  let dueAt = now;
  if (kind === "unpaid") {
    // Payment terms: the reminder waits for the due date. Otherwise the shop's delay after the order was placed.
    dueAt = facts.paymentTerms && facts.paymentDueAtMs !== null ? facts.paymentDueAtMs : createdAt + (settings?.unpaidDelayMinutes ?? 0) * 60_000;
  }

  let skipReason = skipReasonFor(settings, kind, { cancelled: facts.cancelled, test: facts.test, hasRecipient: recipient !== null });
  const stronger = skipReason !== null && REASONS_BEFORE_COD_CHOICE.has(skipReason);
  if (cod && codChoice === "nothing" && !stronger) skipReason = SKIP_REASONS.codNoPush;
  else if (kind === "unpaid" && facts.paymentTerms && !stronger && skipReason !== SKIP_REASONS.pushTypeOff) {
    if (facts.paymentDueAtMs === null) skipReason = SKIP_REASONS.noDueDate;
    else if (settings && !settings.termsReminderEnabled) skipReason = SKIP_REASONS.termsReminderOff;
  }
  return {
    topic,
    businessKey: kind === "receipt" ? businessKeys.receipt(facts.orderGid) : businessKeys.unpaid(facts.orderGid),
    orderGid: facts.orderGid,
    orderName: facts.name,
    fulfillmentGid: null,
    trackingStatus: null,
    customerGid: facts.customerGid,
    recipient,
    recipientProvisional: false,
    params: planned.params,
    productGids: planned.productGids,
    test: facts.test,
    // Never less than now.
    dueAt: Math.max(now, dueAt),
    skipReason,
  };
}

/** What the app knows of a fulfillment's order, from an earlier order webhook. */
export type KnownOrder = Pick<
  OrderFacts,
  "orderGid" | "name" | "customerGid" | "email" | "phone" | "psid" | "recipientName" | "orderStatusUrl" | "test" | "cancelled"
>;

/** The `package/update` push of a fulfillment at a tracking status. */
export function planPackagePush(
  facts: FulfillmentFacts,
  status: TrackingStatus,
  order: KnownOrder | null,
  settings: ShopSettings | null,
  now: number,
): PushDraft {
  const preference = settings?.recipientPreference ?? "email";
  let recipient = order ? chooseRecipient(order, preference) : null;
  let provisional = false;
  if (!recipient) {
    // Until the order is found (at delivery, from a later webhook or the Admin API), the fulfillment's own contact.
    recipient = chooseRecipient({ psid: null, email: facts.email, phone: facts.phone }, preference);
    provisional = order === null;
  }
  return {
    topic: "package/update",
    businessKey: businessKeys.package(facts.fulfillmentGid, status),
    orderGid: facts.orderGid,
    orderName: order?.name ?? null,
    fulfillmentGid: facts.fulfillmentGid,
    trackingStatus: status,
    customerGid: order?.customerGid ?? null,
    recipient,
    recipientProvisional: provisional,
    params: planPackageParams(facts, status, {
      recipientName: order?.recipientName ?? null,
      orderStatusUrl: order?.orderStatusUrl ?? null,
    }),
    productGids: [facts.firstProductGid],
    test: order?.test ?? false,
    dueAt: now,
    skipReason: skipReasonFor(settings, "package", {
      cancelled: order?.cancelled ?? false,
      test: order?.test ?? false,
      // A provisional push without any contact may still find the order's at delivery.
      hasRecipient: recipient !== null || provisional,
      trackingStatus: status,
    }),
  };
}
