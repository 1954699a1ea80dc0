// The vocabulary of a push: JoinChat's topics and params, and what the planner needs from a Shopify payload.

export const JOINCHAT_TOPICS = ["Order/Receipt", "Order/Unpaid", "package/update"] as const;
export type JoinChatTopic = (typeof JOINCHAT_TOPICS)[number];

export const TRACKING_STATUSES = [
  "shipped",
  "in_transit",
  "out_for_delivery",
  "attempt_fail",
  "available_for_pickup",
  "delivered",
  "exception",
  "cancelled",
] as const;
export type TrackingStatus = (typeof TRACKING_STATUSES)[number];

/** What a cash-on-delivery order gets: an order confirmation (an Order/Receipt), an unpaid reminder, or nothing. */
export const COD_ORDER_CHOICES = ["confirmation", "unpaid_reminder", "nothing"] as const;
export type CodOrderChoice = (typeof COD_ORDER_CHOICES)[number];

/** JoinChat's `recipient`: exactly one of a Messenger PSID (`id`), an email or a phone. */
export type RecipientKind = "id" | "email" | "phone";
export interface Recipient {
  kind: RecipientKind;
  value: string;
}

/** Which contact comes first after a PSID. */
export type RecipientPreference = "email" | "phone";

export interface ReceiptAddress {
  street_1: string;
  street_2: string;
  city: string;
  postal_code: string;
  state: string;
  country: string;
}

export interface ReceiptElement {
  title: string;
  subtitle?: string;
  quantity: number;
  price: number;
  currency: string;
  image_url?: string;
}

/** The params of `Order/Receipt` and `Order/Unpaid` (Messenger's receipt template underneath). */
export interface ReceiptParams {
  recipient_name: string;
  order_number: string;
  currency: string;
  payment_method: string;
  order_url?: string;
  timestamp: number;
  address?: ReceiptAddress;
  summary: {
    subtotal: number;
    shipping_cost: number;
    total_tax: number;
    total_cost: number;
  };
  adjustments: { name: string; amount: number }[];
  elements: ReceiptElement[];
}

/** The params of `package/update`. */
export interface PackageParams {
  tracking_number: string;
  tracking_url: string;
  recipient_name: string;
  tracking_status: TrackingStatus;
  image_url?: string;
}

export type PushParams = ReceiptParams | PackageParams;

/** What the app keeps of an order: enough to address its pushes and those of its fulfillments. */
export interface OrderFacts {
  orderGid: string;
  name: string;
  customerGid: string | null;
  email: string | null;
  phone: string | null;
  /** A Messenger PSID the order carries (note attribute `joinchat_psid`). */
  psid: string | null;
  recipientName: string | null;
  orderStatusUrl: string | null;
  /** The buyer's language at checkout (`customer_locale`), the language of the order's notices. */
  customerLocale: string | null;
  financialStatus: string | null;
  test: boolean;
  cancelled: boolean;
  /** Unix milliseconds of `created_at`. */
  createdAtMs: number;
  /** The buyer collects the order (a local pickup shipping line). */
  localPickup: boolean;
  /** The order has payment terms (B2B: net 30, a fixed date, on fulfillment). */
  paymentTerms: boolean;
  /** Unix milliseconds of the earliest open payment schedule's due date; null without terms or a due date. */
  paymentDueAtMs: number | null;
}

/** A planned receipt: the params, and for each element the product whose image may be looked up. */
export interface PlannedReceipt {
  params: ReceiptParams;
  productGids: (string | null)[];
}

export interface FulfillmentFacts {
  fulfillmentGid: string;
  /** Shopify's name of the fulfillment, e.g. `#1001.1`. */
  name: string | null;
  orderGid: string | null;
  /** The mapped status, or null when Shopify sent a shipment status we do not push. */
  trackingStatus: TrackingStatus | null;
  /** What Shopify sent (`status` / `shipment_status`), for the skip reason of an unknown one. */
  shipmentStatus: string | null;
  fulfillmentStatus: string | null;
  /** Unix milliseconds of `updated_at` (else `created_at`). */
  updatedAtMs: number;
  trackingNumber: string | null;
  trackingUrl: string | null;
  destinationName: string | null;
  email: string | null;
  phone: string | null;
  firstProductGid: string | null;
  /** Some line item requires shipping (or the payload lists none): false for digital goods and gift cards only. */
  shipsGoods: boolean;
}
