// The webhook topics the app subscribes to (shopify.app.toml), each on its own route /webhooks/<topic>.

export const ORDER_TOPICS = ["orders/create", "orders/paid"] as const;
/** The end of an order's life: a cancellation stops what is queued; either may tell the buyer (a notice). */
export const ORDER_END_TOPICS = ["orders/cancelled", "refunds/create"] as const;
export const FULFILLMENT_TOPICS = ["fulfillments/create", "fulfillments/update"] as const;
export const PRODUCT_TOPICS = ["products/create", "products/update", "products/delete"] as const;
export const APP_TOPICS = ["app/uninstalled", "app/scopes_update"] as const;
export const COMPLIANCE_TOPICS = ["customers/data_request", "customers/redact", "shop/redact"] as const;

export const WEBHOOK_TOPICS = [...ORDER_TOPICS, ...ORDER_END_TOPICS, ...FULFILLMENT_TOPICS, ...PRODUCT_TOPICS, ...APP_TOPICS, ...COMPLIANCE_TOPICS] as const;
export type WebhookTopic = (typeof WEBHOOK_TOPICS)[number];
export type OrderTopic = (typeof ORDER_TOPICS)[number];
export type FulfillmentTopic = (typeof FULFILLMENT_TOPICS)[number];

const TOPIC_SET = new Set<string>(WEBHOOK_TOPICS);

export function isWebhookTopic(value: string): value is WebhookTopic {
  return TOPIC_SET.has(value);
}

/** `/webhooks/orders/create` -> `orders/create`; null for any other path. */
export function topicOfPath(pathname: string): WebhookTopic | null {
  if (!pathname.startsWith("/webhooks/")) return null;
  const topic = pathname.slice("/webhooks/".length).replace(/\/+$/, "");
  return isWebhookTopic(topic) ? topic : null;
}

/**
 * A topic header in any of Shopify's spellings (`orders/create`, `ORDERS_CREATE`) in the form the routes use.
 * Shopify's own normalisation (upper case, `/` and `.` as `_`) loses the slash, so compare in that form.
 */
export function normalizeTopicHeader(value: string): string {
  return value.trim().toUpperCase().replace(/[/.]/g, "_");
}
