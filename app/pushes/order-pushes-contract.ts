// What the order page block (extensions/order-pushes) and its app route (/api/orders/:orderId/pushes) say to each
// other. Types only: the extension imports them as types, so nothing of the app is bundled into it.
import type { PushStatus } from "./push-status";
import type { ReasonCode } from "./reasons";

/** A push of the order as the block shows it: no recipient in clear, no message body. */
export interface OrderPushView {
  id: number;
  /** JoinChat's topic: Order/Receipt, Order/Unpaid or package/update. */
  topic: string;
  /** The parcel's tracking status for a package/update (shipped, in_transit…), else null. */
  trackingStatus: string | null;
  status: PushStatus;
  /** Why it was skipped, cancelled or failed by the app, as a stable code the block translates; null for none. */
  reasonCode: ReasonCode | null;
  /** The reason as recorded (the code; shown as it is by a block whose locale files lack the code). */
  reason: string | null;
  /** The variable part of the reason, shown in its label (unknown_shipment_status: the status Shopify sent). */
  reasonDetail: string | null;
  /** JoinChat's answer to the last attempt that did not deliver it (a failure, or a retry to come). */
  joinchatMessage: string | null;
  /** The recipient, masked as the app masks it (****8901). */
  recipient: string;
  attempts: number;
  createdAt: number;
  updatedAt: number;
  deliveredAt: number | null;
  /** When a retry is due (status retrying). */
  dueAt: number | null;
  /** The push this one resends, if it is a merchant's resend. */
  resendOf: number | null;
  /** The push's page in the app, under the app's URL. */
  path: string;
}

/** A delivered push of the order that a resend would send again. */
export interface ResendTarget {
  pushId: number;
  trackingStatus: string | null;
}

/** GET /api/orders/:orderId/pushes */
export interface OrderPushesAnswer {
  orderGid: string;
  orderName: string | null;
  /** Newest first. */
  pushes: OrderPushView[];
  /** More pushes than the list holds: the app's delivery log has them all. */
  more: boolean;
  resend: {
    receipt: ResendTarget | null;
    shippingUpdate: ResendTarget | null;
  };
}

export type OrderPushIntent = "resend-receipt" | "resend-shipping-update" | "retry";

/** POST /api/orders/:orderId/pushes (JSON). */
export interface OrderPushActionRequest {
  intent: OrderPushIntent;
  /** Required (true) for a resend: the buyer gets the message again. */
  confirm?: boolean;
  /** The failed push to retry (intent retry). */
  pushId?: number;
  /** The block's id for this request (letters, digits, dashes): sent again, the request changes nothing more. */
  requestId?: string;
}

export type OrderPushErrorCode =
  | "invalid_order_id"
  | "bad_request"
  | "unknown_intent"
  | "confirm"
  | "not_found"
  | "not_failed"
  | "not_delivered"
  | "redacted"
  | "changed"
  | "invalid"
  | "nothing_to_resend";

export type OrderPushActionAnswer =
  | { ok: true; intent: OrderPushIntent; push: OrderPushView; created: boolean }
  /** fieldErrors: for a bad_request about a field of the request (pushId, requestId), that field's message. */
  | { ok: false; error: OrderPushErrorCode; message: string; fieldErrors?: Record<string, string> };
