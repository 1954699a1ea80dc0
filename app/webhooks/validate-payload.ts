import type { z } from "zod";
import {
  AppScopesUpdatePayloadSchema,
  AppUninstalledPayloadSchema,
  CustomersDataRequestPayloadSchema,
  CustomersRedactPayloadSchema,
  describeZodError,
  FulfillmentPayloadSchema,
  OrderPayloadSchema,
  RefundPayloadSchema,
  ProductDeletePayloadSchema,
  ProductPayloadSchema,
  ShopRedactPayloadSchema,
  type CustomersDataRequestPayload,
  type CustomersRedactPayload,
  type FulfillmentPayload,
  type OrderPayload,
  type RefundPayload,
  type ProductDeletePayload,
  type ProductPayload,
} from "../shopify/payloads";
import { parseJsonLossless, parseJsonWithExactIds } from "../shopify/lossless-json";
import type { WebhookTopic } from "./topics";

// The body of a delivery, parsed without losing ids over 2^53 and checked against the fields the app uses.

export type ValidatedPayload =
  | { kind: "order"; value: OrderPayload }
  | { kind: "cancellation"; value: OrderPayload }
  | { kind: "refund"; value: RefundPayload }
  | { kind: "fulfillment"; value: FulfillmentPayload }
  | { kind: "product"; value: ProductPayload }
  | { kind: "products/delete"; value: ProductDeletePayload }
  | { kind: "app/uninstalled"; value: unknown }
  | { kind: "app/scopes_update"; value: { current: string[] } }
  | { kind: "customers/redact"; value: CustomersRedactPayload }
  | { kind: "customers/data_request"; value: CustomersDataRequestPayload }
  | { kind: "shop/redact"; value: unknown };

export type PayloadResult = { ok: true; payload: ValidatedPayload } | { ok: false; error: string };

function check<S extends z.ZodTypeAny>(schema: S, data: unknown): { ok: true; value: z.infer<S> } | { ok: false; error: string } {
  const parsed = schema.safeParse(data);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, error: `invalid payload: ${describeZodError(parsed.error)}` };
}

export function validatePayload(topic: WebhookTopic, rawBody: string): PayloadResult {
  let data: unknown;
  try {
    // Orders, refunds and fulfillments are the hot path and carry long ids only under id keys; compliance payloads
    // have arrays of ids, read by the general parser.
    data =
      topic.startsWith("orders/") || topic.startsWith("fulfillments/") || topic === "refunds/create" || topic.startsWith("products/")
        ? parseJsonWithExactIds(rawBody)
        : parseJsonLossless(rawBody);
  } catch (error) {
    return { ok: false, error: `malformed JSON: ${(error as Error).message}` };
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) return { ok: false, error: "invalid payload: expected a JSON object" };

  switch (topic) {
    case "orders/create":
    case "orders/paid": {
      const r = check(OrderPayloadSchema, data);
      return r.ok ? { ok: true, payload: { kind: "order", value: r.value } } : r;
    }
    case "orders/cancelled": {
      const r = check(OrderPayloadSchema, data);
      return r.ok ? { ok: true, payload: { kind: "cancellation", value: r.value } } : r;
    }
    case "refunds/create": {
      const r = check(RefundPayloadSchema, data);
      return r.ok ? { ok: true, payload: { kind: "refund", value: r.value } } : r;
    }
    case "fulfillments/create":
    case "fulfillments/update": {
      const r = check(FulfillmentPayloadSchema, data);
      return r.ok ? { ok: true, payload: { kind: "fulfillment", value: r.value } } : r;
    }
    case "products/create":
    case "products/update": {
      const r = check(ProductPayloadSchema, data);
      return r.ok ? { ok: true, payload: { kind: "product", value: r.value } } : r;
    }
    case "products/delete": {
      const r = check(ProductDeletePayloadSchema, data);
      return r.ok ? { ok: true, payload: { kind: topic, value: r.value } } : r;
    }
    case "app/uninstalled": {
      const r = check(AppUninstalledPayloadSchema, data);
      return r.ok ? { ok: true, payload: { kind: topic, value: r.value } } : r;
    }
    case "app/scopes_update": {
      const r = check(AppScopesUpdatePayloadSchema, data);
      return r.ok ? { ok: true, payload: { kind: topic, value: r.value } } : r;
    }
    case "customers/redact": {
      const r = check(CustomersRedactPayloadSchema, data);
      return r.ok ? { ok: true, payload: { kind: topic, value: r.value } } : r;
    }
    case "customers/data_request": {
      const r = check(CustomersDataRequestPayloadSchema, data);
      return r.ok ? { ok: true, payload: { kind: topic, value: r.value } } : r;
    }
    case "shop/redact": {
      const r = check(ShopRedactPayloadSchema, data);
      return r.ok ? { ok: true, payload: { kind: topic, value: r.value } } : r;
    }
  }
}
