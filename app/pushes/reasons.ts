// Why a push was not sent, or failed without JoinChat refusing it: stable codes, stored in push.reason (with the
// variable part, such as the shipment status Shopify sent, in push.reason_detail). The words a merchant reads are in
// the locale files under `reason.<code>` (app/i18n/en.ts and zh-CN.ts, extensions/order-pushes/locales/*.json);
// JoinChat's own answer is kept as it came, in push.last_error (docs/decisions/010-reason-codes.md).

/** A push skipped when it was planned or when it was to be sent, or cancelled while it waited. */
export const SKIP_REASONS = {
  pageNotLinked: "page_not_linked",
  pushTypeOff: "push_type_off",
  noRecipient: "no_recipient",
  duplicate: "duplicate",
  /** The order's cancelled_at is set. */
  orderCancelled: "order_cancelled",
  testOrder: "test_order",
  paused: "pushes_paused",
  alreadyPaid: "already_paid",
  staleUpdate: "stale_update",
  statusBackwards: "status_backwards",
  /** reason_detail: the shipment status as Shopify sent it. */
  unknownShipmentStatus: "unknown_shipment_status",
  statusNotPushed: "status_not_pushed",
  /** Why an unpaid reminder was cancelled (not skipped): the order was paid first. */
  paidBeforeReminder: "order_paid_before_reminder",
  /** A pending or open fulfillment (sent to a fulfillment service, or still being prepared): its shipped push waits for success. */
  notShippedYet: "not_shipped_yet",
  /** The fulfillment's status is error or failure: the fulfillment service could not process it. */
  fulfillmentFailed: "fulfillment_failed",
  /** No line item of the fulfillment requires shipping (digital products, gift cards), and the order is not a local pickup. */
  nothingToShip: "nothing_to_ship",
  /** A cancelled fulfillment whose parcel was never announced to the buyer. */
  buyerNotTold: "buyer_not_told",
  /** A cash-on-delivery order of a shop whose setting for them is "nothing". */
  codNoPush: "cod_no_push",
  /** orders/paid of a cash-on-delivery order whose confirmation (an Order/Receipt) went out at orders/create. */
  codConfirmationSent: "cod_confirmation_sent",
  /** An order with payment terms, of a shop that turned off reminders at the due date. */
  termsReminderOff: "terms_reminder_off",
  /** An order with payment terms that have no due date (due on fulfillment or on receipt): no unpaid reminder. */
  noDueDate: "no_due_date",
  /** Why a waiting push was cancelled: the customer's data was erased (customers/redact). */
  customerDataErased: "customer_data_erased",
  /** Why a waiting push was cancelled: the shop uninstalled the app. */
  appUninstalled: "app_uninstalled",
  /** Why a waiting push was cancelled: the buyer chose "Stop Messenger updates" on the Order status page. */
  buyerStoppedMessenger: "buyer_stopped_messenger",
  /** A notice not sent because the order's other notice tells the buyer (a full refund of a cancelled order). */
  noticeCovered: "notice_covered",
  /** A notice with no JoinChat Send API to go through (JOINCHAT_SEND_API_URL is not set). */
  sendApiMissing: "send_api_not_configured",
} as const;

/** A push that failed by the app's decision, not by JoinChat's answer (which stays in last_error). */
export const FAILURE_REASONS = {
  /** The shop has no JoinChat API secret of its own (and is not the single shop JOINCHAT_API_SECRET serves). */
  secretMissing: "secret_missing",
  /** The shop's secret could not be decrypted (ENCRYPTION_KEY changed); reason_detail: why. */
  secretUnreadable: "secret_unreadable",
  /** JoinChat kept answering with an error worth retrying until the retry policy gave up. */
  retriesExhausted: "retries_exhausted",
} as const;

export type SkipReasonCode = (typeof SKIP_REASONS)[keyof typeof SKIP_REASONS];
export type FailureReasonCode = (typeof FAILURE_REASONS)[keyof typeof FAILURE_REASONS];
export type ReasonCode = SkipReasonCode | FailureReasonCode;

/** Every code a push may carry. */
export const REASON_CODES: readonly ReasonCode[] = [...Object.values(SKIP_REASONS), ...Object.values(FAILURE_REASONS)];

export function isReasonCode(value: unknown): value is ReasonCode {
  return typeof value === "string" && (REASON_CODES as readonly string[]).includes(value);
}

/** A reason as a push records it. */
export interface PushReason {
  code: ReasonCode;
  /** The variable part some codes carry (unknown_shipment_status: the status Shopify sent). */
  detail?: string | null;
}
