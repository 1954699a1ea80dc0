// What the app keeps of an order, read once from the payload: the contacts that can address a
// push and the flags that decide whether one is sent.
import { toGid, type Address, type OrderPayload, type PaymentTerms } from "~/shopify/payloads";
import type { OrderFacts } from "./types";

export const PSID_NOTE_ATTRIBUTE = "joinchat_psid";

function textOrNull(value: string | null | undefined): string | null {
  const trimmed = typeof value === "string" ? value.trim() : "";
  return trimmed === "" ? null : trimmed;
}

function nameOfAddress(address: Address | null | undefined): string | null {
  if (!address) return null;
  return textOrNull(address.name) ?? joinNames(address.first_name, address.last_name);
}

function joinNames(first: string | null | undefined, last: string | null | undefined): string | null {
  return textOrNull([textOrNull(first), textOrNull(last)].filter(Boolean).join(" "));
}

/** The name to greet: the shipping addressee, else the billing one, else the customer. */
export function recipientNameOf(order: OrderPayload): string | null {
  return nameOfAddress(order.shipping_address) ?? nameOfAddress(order.billing_address) ?? joinNames(order.customer?.first_name, order.customer?.last_name);
}

/** The Messenger PSID the storefront put in the `joinchat_psid` note attribute, if a valid one. */
export function psidOf(order: OrderPayload): string | null {
  for (const attribute of order.note_attributes) {
    if (attribute.name.trim() !== PSID_NOTE_ATTRIBUTE) continue;
    const { value } = attribute;
    // A numeric value past 2^53 was rounded by the parser and would name someone else.
    const text = typeof value === "number" ? (Number.isSafeInteger(value) && value >= 0 ? String(value) : null) : textOrNull(value);
    if (text !== null && /^\d+$/.test(text)) return text;
  }
  return null;
}

// A local pickup shipping line: Shopify's delivery category, or the method's code or title ("Pickup", "Pick up in
// store", "Local pickup"). Local delivery and pickup points are shipped, not collected at the shop.
const PICKUP_WORDS = /\bpick ?up\b/i;
const PICKUP_POINT_WORDS = /\bpick ?up ?point\b/i;

function isPickupText(value: string | null | undefined): boolean {
  const text = textOrNull(value)?.replace(/[\s_-]+/g, " ") ?? "";
  return PICKUP_WORDS.test(text) && !PICKUP_POINT_WORDS.test(text);
}

/** Whether the buyer collects the order at the shop: a local pickup shipping line. */
export function isLocalPickup(order: OrderPayload): boolean {
  return order.shipping_lines.some((line) => {
    if (textOrNull(line.delivery_category) !== null) return isPickupText(line.delivery_category);
    return isPickupText(line.code) || isPickupText(line.title);
  });
}

/** The earliest due date of the terms' schedules not paid yet, in Unix milliseconds; null when none has one. */
export function paymentDueAtOf(terms: PaymentTerms | null | undefined): number | null {
  const due = (terms?.payment_schedules ?? [])
    .filter((schedule) => textOrNull(schedule.completed_at) === null)
    .map((schedule) => (typeof schedule.due_at === "string" ? Date.parse(schedule.due_at) : Number.NaN))
    .filter((ms) => Number.isFinite(ms));
  return due.length > 0 ? Math.min(...due) : null;
}

export function extractOrderFacts(order: OrderPayload): OrderFacts {
  const customer = order.customer ?? null;
  return {
    orderGid: order.admin_graphql_api_id,
    name: order.name.trim(),
    customerGid: textOrNull(customer?.admin_graphql_api_id) ?? toGid("Customer", customer?.id),
    email: textOrNull(order.email) ?? textOrNull(order.contact_email) ?? textOrNull(customer?.email),
    // Address phones are left out on purpose: they are often placeholders ("555-555-SHIP") or
    // belong to whoever receives the parcel, not to the buyer.
    phone: textOrNull(order.phone) ?? textOrNull(customer?.phone),
    psid: psidOf(order),
    recipientName: recipientNameOf(order),
    orderStatusUrl: textOrNull(order.order_status_url),
    customerLocale: textOrNull(order.customer_locale),
    financialStatus: textOrNull(order.financial_status),
    test: order.test === true,
    cancelled: textOrNull(order.cancelled_at) !== null,
    createdAtMs: Date.parse(order.created_at),
    localPickup: isLocalPickup(order),
    paymentTerms: order.payment_terms != null,
    paymentDueAtMs: paymentDueAtOf(order.payment_terms),
  };
}
