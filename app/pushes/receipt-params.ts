// The params of Order/Receipt and Order/Unpaid, built from an order payload. Messenger's receipt
// template sits underneath and refuses the whole push over one bad field, so every rule here
// prefers leaving something out (or a neutral default) to sending a value it would reject.
import { toGid, type Address, type OrderPayload } from "~/shopify/payloads";
import { parseMoney, presentmentAmount, sumMoney, toCents } from "./money";
import { recipientNameOf } from "./order-facts";
import type { PlannedReceipt, ReceiptAddress, ReceiptElement, ReceiptParams } from "./types";

export type ReceiptTopic = "Order/Receipt" | "Order/Unpaid";

/** Messenger's receipt template takes at most 100 elements. */
export const MAX_RECEIPT_ELEMENTS = 100;

const KNOWN_GATEWAYS: Record<string, string> = {
  shopify_payments: "Shopify Payments",
  paypal: "PayPal",
  manual: "Manual",
  bogus: "Bogus",
  cash_on_delivery: "Cash on Delivery",
  gift_card: "Gift card",
  shop_cash: "Shop Cash",
};

function text(value: string | null | undefined): string {
  return typeof value === "string" ? value.trim() : "";
}

function readableGateway(name: string): string {
  const known = KNOWN_GATEWAYS[name.toLowerCase()];
  if (known) return known;
  // A merchant-named manual method ("Cash on Delivery (COD)") is already meant to be read.
  if (/[A-Z\s]/.test(name)) return name;
  return name
    .split(/[_-]+/)
    .filter((word) => word !== "")
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join(" ");
}

/**
 * The gateways as a buyer would read them, joined with ", ". Never empty, because Messenger
 * refuses a receipt without a payment method.
 */
export function readablePaymentMethod(gatewayNames: readonly (string | null | undefined)[] | null | undefined, topic: ReceiptTopic): string {
  const readable = (gatewayNames ?? [])
    .map((name) => text(name))
    .filter((name) => name !== "")
    .map(readableGateway)
    .filter((name) => name !== "");
  const unique = [...new Set(readable)];
  if (unique.length > 0) return unique.join(", ");
  return topic === "Order/Unpaid" ? "Awaiting payment" : "Paid";
}

function currencyCode(value: string | null | undefined): string | null {
  const code = text(value).toUpperCase();
  return /^[A-Z]{3}$/.test(code) ? code : null;
}

/**
 * The currency the buyer paid in. The presentment currency of the total comes before the shop
 * currency: when a set has presentment money, the amounts on the receipt are taken from it.
 */
export function receiptCurrencyOf(order: OrderPayload): string {
  return (
    currencyCode(order.presentment_currency) ??
    currencyCode(order.total_price_set?.presentment_money?.currency_code) ??
    currencyCode(order.currency) ??
    currencyCode(order.total_price_set?.shop_money?.currency_code) ??
    "USD"
  );
}

function shopCurrencyOf(order: OrderPayload): string | null {
  return currencyCode(order.currency) ?? currencyCode(order.total_price_set?.shop_money?.currency_code);
}

/** The shipping address as Messenger accepts it, or undefined when any required part is missing. */
export function receiptAddressOf(address: Address | null | undefined): ReceiptAddress | undefined {
  if (!address) return undefined;
  const result: ReceiptAddress = {
    street_1: text(address.address1),
    street_2: text(address.address2),
    city: text(address.city),
    postal_code: text(address.zip),
    state: text(address.province_code) || text(address.province),
    country: text(address.country_code).toUpperCase(),
  };
  const complete = result.street_1 !== "" && result.city !== "" && result.postal_code !== "" && result.state !== "" && /^[A-Z]{2}$/.test(result.country);
  return complete ? result : undefined;
}

function shippingCostOf(order: OrderPayload): number {
  const set = order.total_shipping_price_set;
  const presented = set?.presentment_money?.amount;
  if (presented !== null && presented !== undefined) return parseMoney(presented);
  if (order.shipping_lines.length > 0) {
    return sumMoney(...order.shipping_lines.map((line) => presentmentAmount(line.price_set, line.price)));
  }
  // Shopify has no plain total_shipping_price field; the shop amount is all that is left.
  return parseMoney(set?.shop_money?.amount);
}

function adjustmentsOf(order: OrderPayload, currency: string): ReceiptParams["adjustments"] {
  // What each discount took, in the buyer's currency, from the allocations that point at it.
  const centsByApplication = new Map<number, number>();
  const allocations = [...order.line_items.flatMap((item) => item.discount_allocations), ...order.shipping_lines.flatMap((line) => line.discount_allocations)];
  for (const allocation of allocations) {
    const index = allocation.discount_application_index;
    if (typeof index !== "number") continue;
    const cents = toCents(presentmentAmount(allocation.amount_set, allocation.amount));
    centsByApplication.set(index, (centsByApplication.get(index) ?? 0) + cents);
  }

  const fromApplications = order.discount_applications
    .map((application, index) => ({
      name: text(application.code) || text(application.title) || text(application.description) || "Discount",
      amount: Math.abs((centsByApplication.get(index) ?? 0) / 100),
    }))
    .filter((adjustment) => adjustment.amount !== 0);
  if (fromApplications.length > 0) return fromApplications;

  // discount_codes amounts are in shop currency only, so they fit the receipt only when the
  // buyer paid in that currency.
  const shopCurrency = shopCurrencyOf(order);
  if (shopCurrency === currency) {
    const fromCodes = order.discount_codes
      .map((code) => ({ name: text(code.code) || "Discount", amount: Math.abs(parseMoney(code.amount)) }))
      .filter((adjustment) => adjustment.amount !== 0);
    if (fromCodes.length > 0) return fromCodes;
  }

  const totalDiscounts = Math.abs(presentmentAmount(order.total_discounts_set, order.total_discounts));
  return totalDiscounts > 0 ? [{ name: "Discount", amount: totalDiscounts }] : [];
}

function quantityOf(quantity: number | null | undefined): number {
  if (typeof quantity !== "number" || !Number.isFinite(quantity)) return 1;
  return Math.max(0, Math.trunc(quantity));
}

/** The receipt params of an order, and per element the product whose image may be added later. */
export function planReceiptParams(order: OrderPayload, topic: ReceiptTopic): PlannedReceipt {
  const currency = receiptCurrencyOf(order);
  const items = order.line_items.slice(0, MAX_RECEIPT_ELEMENTS);

  const elements: ReceiptElement[] = items.map((item) => {
    const subtitle = text(item.variant_title);
    return {
      title: text(item.title) || text(item.name) || "Item",
      ...(subtitle !== "" ? { subtitle } : {}),
      quantity: quantityOf(item.quantity),
      price: presentmentAmount(item.price_set, item.price),
      currency,
    };
  });

  const orderUrl = text(order.order_status_url);
  const address = receiptAddressOf(order.shipping_address);
  // Keys in the order of JoinChat's documentation, so a logged body reads like its example.
  const params: ReceiptParams = {
    recipient_name: recipientNameOf(order) ?? "Customer",
    order_number: order.name.trim(),
    currency,
    payment_method: readablePaymentMethod(order.payment_gateway_names, topic),
    ...(orderUrl !== "" ? { order_url: orderUrl } : {}),
    timestamp: Math.floor(Date.parse(order.created_at) / 1000),
    ...(address ? { address } : {}),
    summary: {
      subtotal: presentmentAmount(order.subtotal_price_set, order.subtotal_price),
      shipping_cost: shippingCostOf(order),
      total_tax: presentmentAmount(order.total_tax_set, order.total_tax),
      total_cost: presentmentAmount(order.total_price_set, order.total_price),
    },
    adjustments: adjustmentsOf(order, currency),
    elements,
  };

  return { params, productGids: items.map((item) => toGid("Product", item.product_id)) };
}
