// What the app keeps of an order, read once from the payload: the contacts that can address a
// push and the flags that decide whether one is sent.
import { toGid, type Address, type OrderPayload } from "~/shopify/payloads";
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
  return (
    nameOfAddress(order.shipping_address) ??
    nameOfAddress(order.billing_address) ??
    joinNames(order.customer?.first_name, order.customer?.last_name)
  );
}

/** The Messenger PSID the storefront put in the `joinchat_psid` note attribute, if a valid one. */
export function psidOf(order: OrderPayload): string | null {
  for (const attribute of order.note_attributes) {
    if (attribute.name.trim() !== PSID_NOTE_ATTRIBUTE) continue;
    const { value } = attribute;
    // A numeric value past 2^53 was rounded by the parser and would name someone else.
    const text =
      typeof value === "number" ? (Number.isSafeInteger(value) && value >= 0 ? String(value) : null) : textOrNull(value);
    if (text !== null && /^\d+$/.test(text)) return text;
  }
  return null;
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
    financialStatus: textOrNull(order.financial_status),
    test: order.test === true,
    cancelled: textOrNull(order.cancelled_at) !== null,
    createdAtMs: Date.parse(order.created_at),
  };
}
