// Schemas of the Shopify webhook payloads: only the fields the app reads. Unknown fields are
// stripped (Shopify adds fields every version), while a known field of the wrong type fails the
// parse, so a malformed delivery is refused with a message instead of producing a wrong push.
import { z } from "zod";

// Ids arrive as JSON numbers, or as strings when parseJsonLossless kept a long one exact.
const IdSchema = z.union([z.string(), z.number()]);
// Shopify sends money as decimal strings; numbers are accepted for hand-made payloads.
const MoneySchema = z.union([z.string(), z.number()]);

const MoneyBagSchema = z.object({
  amount: MoneySchema,
  currency_code: z.string().nullish(),
});

export const MoneySetSchema = z.object({
  shop_money: MoneyBagSchema.nullish(),
  presentment_money: MoneyBagSchema.nullish(),
});
export type MoneySet = z.infer<typeof MoneySetSchema>;

export const AddressSchema = z.object({
  name: z.string().nullish(),
  first_name: z.string().nullish(),
  last_name: z.string().nullish(),
  address1: z.string().nullish(),
  address2: z.string().nullish(),
  city: z.string().nullish(),
  zip: z.string().nullish(),
  province: z.string().nullish(),
  province_code: z.string().nullish(),
  country: z.string().nullish(),
  country_code: z.string().nullish(),
  phone: z.string().nullish(),
});
export type Address = z.infer<typeof AddressSchema>;

function gidSchema(type: string) {
  const prefix = `gid://shopify/${type}/`;
  return z.string().refine((s) => s.startsWith(prefix) && s.length > prefix.length, {
    message: `Expected a ${prefix}… id`,
  });
}

// Shopify may send null for an array it has nothing for; treat it as empty rather than refuse.
function listOf<T extends z.ZodTypeAny>(item: T) {
  return z
    .array(item)
    .nullish()
    .transform((v): z.infer<T>[] => v ?? []);
}

const NoteAttributeSchema = z.object({
  name: z.string(),
  value: z.union([z.string(), z.number()]).nullish(),
});

const CustomerSchema = z.object({
  admin_graphql_api_id: z.string().nullish(),
  id: IdSchema.nullish(),
  email: z.string().nullish(),
  phone: z.string().nullish(),
  first_name: z.string().nullish(),
  last_name: z.string().nullish(),
});

const DiscountAllocationSchema = z.object({
  amount: MoneySchema.nullish(),
  amount_set: MoneySetSchema.nullish(),
  discount_application_index: z.number().int().nullish(),
});
export type DiscountAllocation = z.infer<typeof DiscountAllocationSchema>;

const ShippingLineSchema = z.object({
  title: z.string().nullish(),
  code: z.string().nullish(),
  source: z.string().nullish(),
  delivery_category: z.string().nullish(),
  price: MoneySchema.nullish(),
  price_set: MoneySetSchema.nullish(),
  discount_allocations: listOf(DiscountAllocationSchema),
});

const DiscountCodeSchema = z.object({
  code: z.string().nullish(),
  amount: MoneySchema.nullish(),
  type: z.string().nullish(),
});

const DiscountApplicationSchema = z.object({
  type: z.string().nullish(),
  title: z.string().nullish(),
  code: z.string().nullish(),
  description: z.string().nullish(),
  value: MoneySchema.nullish(),
  value_type: z.string().nullish(),
  target_type: z.string().nullish(),
});

const OrderLineItemSchema = z.object({
  admin_graphql_api_id: z.string().nullish(),
  title: z.string().nullish(),
  name: z.string().nullish(),
  variant_title: z.string().nullish(),
  quantity: z.number().finite().nullish(),
  price: MoneySchema.nullish(),
  price_set: MoneySetSchema.nullish(),
  product_id: IdSchema.nullish(),
  discount_allocations: listOf(DiscountAllocationSchema),
});
export type OrderLineItem = z.infer<typeof OrderLineItemSchema>;

const PaymentScheduleSchema = z.object({
  due_at: z.string().nullish(),
  completed_at: z.string().nullish(),
});

/** B2B payment terms (net 30, a fixed date, on fulfillment): when the buyer is to pay. */
const PaymentTermsSchema = z.object({
  payment_terms_name: z.string().nullish(),
  payment_terms_type: z.string().nullish(),
  payment_schedules: listOf(PaymentScheduleSchema),
});
export type PaymentTerms = z.infer<typeof PaymentTermsSchema>;

/** orders/create, orders/paid and orders/cancelled. */
export const OrderPayloadSchema = z.object({
  admin_graphql_api_id: gidSchema("Order"),
  // The receipt's order_number, which Messenger requires: a blank one cannot make a push.
  name: z.string().refine((s) => s.trim() !== "", { message: "Expected a non-empty string" }),
  created_at: z.string().refine((s) => !Number.isNaN(Date.parse(s)), {
    message: "Expected a date-time string",
  }),
  id: IdSchema.nullish(),
  email: z.string().nullish(),
  contact_email: z.string().nullish(),
  phone: z.string().nullish(),
  financial_status: z.string().nullish(),
  /** Shopify's random confirmation number (2024-01 on): what an order lookup takes in place of the guessable name. */
  confirmation_number: z.string().nullish(),
  cancelled_at: z.string().nullish(),
  cancel_reason: z.string().nullish(),
  /** The buyer's language at checkout (`en-US`, `zh-CN`, `fr`): the language of a notice. */
  customer_locale: z.string().nullish(),
  test: z.boolean().nullish(),
  currency: z.string().nullish(),
  presentment_currency: z.string().nullish(),
  payment_gateway_names: z.array(z.string()).nullish(),
  payment_terms: PaymentTermsSchema.nullish(),
  order_status_url: z.string().nullish(),
  note_attributes: listOf(NoteAttributeSchema),
  customer: CustomerSchema.nullish(),
  shipping_address: AddressSchema.nullish(),
  billing_address: AddressSchema.nullish(),
  subtotal_price: MoneySchema.nullish(),
  subtotal_price_set: MoneySetSchema.nullish(),
  total_price: MoneySchema.nullish(),
  total_price_set: MoneySetSchema.nullish(),
  total_tax: MoneySchema.nullish(),
  total_tax_set: MoneySetSchema.nullish(),
  total_discounts: MoneySchema.nullish(),
  total_discounts_set: MoneySetSchema.nullish(),
  total_shipping_price_set: MoneySetSchema.nullish(),
  shipping_lines: listOf(ShippingLineSchema),
  discount_codes: listOf(DiscountCodeSchema),
  discount_applications: listOf(DiscountApplicationSchema),
  line_items: listOf(OrderLineItemSchema),
});
export type OrderPayload = z.infer<typeof OrderPayloadSchema>;

const FulfillmentLineItemSchema = z.object({
  product_id: IdSchema.nullish(),
  // False for goods that do not ship (digital products, gift cards); absent is taken as true.
  requires_shipping: z.boolean().nullish(),
  title: z.string().nullish(),
  admin_graphql_api_id: z.string().nullish(),
});

/** fulfillments/create and fulfillments/update. */
export const FulfillmentPayloadSchema = z.object({
  admin_graphql_api_id: gidSchema("Fulfillment"),
  name: z.string().nullish(),
  id: IdSchema.nullish(),
  order_id: IdSchema.nullish(),
  status: z.string().nullish(),
  shipment_status: z.string().nullish(),
  created_at: z.string().nullish(),
  updated_at: z.string().nullish(),
  tracking_company: z.string().nullish(),
  tracking_number: z.string().nullish(),
  tracking_numbers: z.array(z.string()).nullish(),
  tracking_url: z.string().nullish(),
  tracking_urls: z.array(z.string()).nullish(),
  email: z.string().nullish(),
  destination: AddressSchema.nullish(),
  line_items: listOf(FulfillmentLineItemSchema),
});
export type FulfillmentPayload = z.infer<typeof FulfillmentPayloadSchema>;

const RefundTransactionSchema = z.object({
  kind: z.string().nullish(),
  status: z.string().nullish(),
  amount: MoneySchema.nullish(),
  currency: z.string().nullish(),
});

/** refunds/create: the refund, naming its order by numeric id. */
export const RefundPayloadSchema = z.object({
  admin_graphql_api_id: gidSchema("Refund"),
  order_id: IdSchema,
  id: IdSchema.nullish(),
  created_at: z.string().nullish(),
  transactions: listOf(RefundTransactionSchema),
});
export type RefundPayload = z.infer<typeof RefundPayloadSchema>;
const ProductVariantSchema = z.object({
  id: IdSchema.nullish(),
  price: MoneySchema.nullish(),
  position: z.number().nullish(),
  inventory_quantity: z.number().nullish(),
  inventory_policy: z.string().nullish(),
  inventory_management: z.string().nullish(),
});

/** products/create and products/update (REST shape): what a product lookup answers with. */
export const ProductPayloadSchema = z.object({
  admin_graphql_api_id: gidSchema("Product"),
  id: IdSchema.nullish(),
  title: z.string(),
  handle: z.string(),
  body_html: z.string().nullish(),
  vendor: z.string().nullish(),
  product_type: z.string().nullish(),
  status: z.string().nullish(),
  // null: not published on the Online Store (its product page answers 404); absent: not told.
  published_at: z.string().nullish(),
  created_at: z.string().nullish(),
  updated_at: z.string().nullish(),
  variants: listOf(ProductVariantSchema),
  image: z.object({ src: z.string().nullish() }).nullish(),
  images: listOf(z.object({ src: z.string().nullish() })),
});
export type ProductPayload = z.infer<typeof ProductPayloadSchema>;

/** products/delete: only the id. */
export const ProductDeletePayloadSchema = z.object({ id: IdSchema });
export type ProductDeletePayload = z.infer<typeof ProductDeletePayloadSchema>;

const ComplianceCustomerSchema = z.object({
  id: IdSchema.nullish(),
  email: z.string().nullish(),
  phone: z.string().nullish(),
});

/** customers/redact (mandatory compliance topic). */
export const CustomersRedactPayloadSchema = z.object({
  shop_id: IdSchema,
  shop_domain: z.string(),
  customer: ComplianceCustomerSchema,
  orders_to_redact: listOf(IdSchema),
});
export type CustomersRedactPayload = z.infer<typeof CustomersRedactPayloadSchema>;

/** customers/data_request (mandatory compliance topic). */
export const CustomersDataRequestPayloadSchema = z.object({
  shop_id: IdSchema,
  shop_domain: z.string(),
  customer: ComplianceCustomerSchema,
  orders_requested: listOf(IdSchema),
  orders_to_redact: listOf(IdSchema),
  data_request: z.object({ id: IdSchema.nullish() }).nullish(),
});
export type CustomersDataRequestPayload = z.infer<typeof CustomersDataRequestPayloadSchema>;

/** shop/redact (mandatory compliance topic), sent 48 hours after uninstall. */
export const ShopRedactPayloadSchema = z.object({
  shop_id: IdSchema,
  shop_domain: z.string(),
});
export type ShopRedactPayload = z.infer<typeof ShopRedactPayloadSchema>;

export const AppScopesUpdatePayloadSchema = z.object({
  id: IdSchema.nullish(),
  shop_id: IdSchema.nullish(),
  current: z.array(z.string()),
  previous: z.array(z.string()).nullish(),
  updated_at: z.string().nullish(),
});
export type AppScopesUpdatePayload = z.infer<typeof AppScopesUpdatePayloadSchema>;

// The handler only needs the shop from the headers; the body (the Shop resource) is kept as is.
export const AppUninstalledPayloadSchema = z.object({}).passthrough();
export type AppUninstalledPayload = z.infer<typeof AppUninstalledPayloadSchema>;

export type GidType = "Order" | "Customer" | "Product" | "Fulfillment";

/**
 * `gid://shopify/<type>/<id>` from a numeric id, or null when the id is missing or cannot be
 * trusted: a number beyond 2^53 was already rounded by JSON.parse and names another record.
 */
export function toGid(type: GidType, id: string | number | null | undefined): string | null {
  if (typeof id === "number") {
    return Number.isSafeInteger(id) && id >= 0 ? `gid://shopify/${type}/${id}` : null;
  }
  if (typeof id === "string" && /^\d+$/.test(id)) return `gid://shopify/${type}/${id}`;
  return null;
}

function describeType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

function describeIssue(issue: z.ZodIssue): string {
  // A union of primitives reports only "Invalid input"; naming the accepted types is clearer.
  if (issue.code === z.ZodIssueCode.invalid_union) {
    const branches = issue.unionErrors.flatMap((e) => e.issues);
    const sameSpot = branches.every((b) => b.code === z.ZodIssueCode.invalid_type && b.path.join(".") === issue.path.join("."));
    if (branches.length > 0 && sameSpot) {
      const typed = branches as z.ZodInvalidTypeIssue[];
      const expected = [...new Set(typed.map((b) => b.expected))].join(" | ");
      return `Expected ${expected}, received ${typed[0].received}`;
    }
  }
  return issue.message;
}

/** A short human message for a failed parse, e.g. `line_items.0.quantity: Expected number, received string`. */
export function describeZodError(error: unknown): string {
  if (error instanceof z.ZodError) {
    const shown = error.issues.slice(0, 3).map((issue) => {
      const where = issue.path.length > 0 ? issue.path.join(".") : "(payload)";
      return `${where}: ${describeIssue(issue)}`;
    });
    const more = error.issues.length - shown.length;
    return more > 0 ? `${shown.join("; ")} (and ${more} more)` : shown.join("; ");
  }
  if (error instanceof Error) return error.message;
  return `Invalid payload (${describeType(error)})`;
}
