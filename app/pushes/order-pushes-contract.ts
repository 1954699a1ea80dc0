// What the order page block (extensions/order-pushes) and its app route (/api/orders/:orderId/pushes) say to each
// other. Types only: the extension imports them as types, so nothing of the app is bundled into it.
import type { PushStatus } from "../delivery/push-status";
import type { SkipReasonCode } from "./skip-reasons";

/** A push of the order as the block shows it: no recipient in clear, no message body. */
export interface OrderPushView {
  id: number;
  /** JoinChat's topic: Order/Receipt, Order/Unpaid or package/update. */
  topic: string;
  /** The parcel's tracking status for a package/update (shipped, in_transit…), else null. */
  trackingStatus: string | null;
  status: PushStatus;
  /** Why it was skipped or cancelled, as a stable code the block translates; null for none or one it would not know. */
  reasonCode: SkipReasonCode | null;
  /** The reason as recorded, for a reason without a code. */
  reason: string | null;
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
  | { ok: false; error: OrderPushErrorCode; message: string };
