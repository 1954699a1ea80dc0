import type { CodOrderChoice, RecipientPreference, TrackingStatus } from "../pushes/types";

// The shape of a shop's settings, apart from the service that reads and saves them (settings.server.ts), so that
// the pure push planning (app/pushes) and the browser's settings form can name it.

/** A shop's settings as the app uses them. The secret itself is never part of it. */
export interface ShopSettings {
  shop: string;
  pageId: string | null;
  secretSet: boolean;
  secretSetAt: number | null;
  receiptEnabled: boolean;
  unpaidEnabled: boolean;
  packageEnabled: boolean;
  unpaidDelayMinutes: number;
  recipientPreference: RecipientPreference;
  testOrdersEnabled: boolean;
  paused: boolean;
  /** null: every tracking status is pushed. */
  packageStatuses: TrackingStatus[] | null;
  /** What a cash-on-delivery order gets (decision 016). */
  codOrders: CodOrderChoice;
  /** The shop's own names of cash-on-delivery payment methods, beside the built-in ones. */
  codGatewayNames: string[];
  /** An order with payment terms gets its unpaid reminder at the due date. */
  termsReminderEnabled: boolean;
  /** The Messenger opt-in on the Thank-you and Order status pages (decision 020); off by default. */
  optinEnabled: boolean;
  /** The opt-in button's words per buyer language; null: the block's own words. */
  optinButtonEn: string | null;
  optinButtonZhCn: string | null;
  /** Tell the buyer, through JoinChat's Send API, that the order was cancelled (off by default). */
  cancelNoticeEnabled: boolean;
  /** Tell the buyer that a refund was issued (off by default). */
  refundNoticeEnabled: boolean;
  createdAt: number;
  updatedAt: number;
}
