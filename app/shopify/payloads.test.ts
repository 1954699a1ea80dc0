import { describe, expect, it } from "vitest";
import { buildOrderJson, buildOrderPayload, buildLineItem, ORDER_GID, toRawJson } from "../../test/fixtures/orders";
import { buildFulfillmentJson, buildFulfillmentPayload, FULFILLMENT_GID } from "../../test/fixtures/fulfillments";
import { readShopifyFixture } from "../../test/fixtures/shopify-fixtures";
import { parseJsonLossless } from "./lossless-json";
import {
  AppScopesUpdatePayloadSchema,
  AppUninstalledPayloadSchema,
  CustomersDataRequestPayloadSchema,
  CustomersRedactPayloadSchema,
  describeZodError,
  FulfillmentPayloadSchema,
  OrderPayloadSchema,
  ShopRedactPayloadSchema,
  toGid,
} from "./payloads";

function parseOrderText(text: string) {
  return OrderPayloadSchema.safeParse(parseJsonLossless(text));
}

function orderError(overrides: Record<string, unknown>): string {
  const result = parseOrderText(buildOrderJson(overrides));
  expect(result.success).toBe(false);
  return result.success ? "" : describeZodError(result.error);
}

describe("OrderPayloadSchema", () => {
  it("parses the built order and keeps only the fields the app reads", () => {
    const order = OrderPayloadSchema.parse(parseJsonLossless(buildOrderJson()));
    expect(order.admin_graphql_api_id).toBe(ORDER_GID);
    expect(order.line_items).toHaveLength(3);
    expect(order.line_items[0].discount_allocations[0].discount_application_index).toBe(0);
    expect(order).not.toHaveProperty("total_weight");
    expect(order).not.toHaveProperty("refunds");
  });

  it("needs only admin_graphql_api_id, name and created_at", () => {
    const order = OrderPayloadSchema.parse({
      admin_graphql_api_id: "gid://shopify/Order/1",
      name: "#1",
      created_at: "2026-04-14T10:15:30Z",
    });
    expect(order.line_items).toEqual([]);
    expect(order.note_attributes).toEqual([]);
    expect(order.discount_applications).toEqual([]);
    expect(order.shipping_lines).toEqual([]);
    expect(order.discount_codes).toEqual([]);
  });

  it("accepts null for every optional field Shopify may null", () => {
    const nulls = Object.fromEntries(
      [
        "id",
        "email",
        "contact_email",
        "phone",
        "financial_status",
        "cancelled_at",
        "test",
        "currency",
        "presentment_currency",
        "payment_gateway_names",
        "order_status_url",
        "note_attributes",
        "customer",
        "shipping_address",
        "billing_address",
        "subtotal_price",
        "subtotal_price_set",
        "total_price",
        "total_price_set",
        "total_tax",
        "total_tax_set",
        "total_discounts",
        "total_discounts_set",
        "total_shipping_price_set",
        "shipping_lines",
        "discount_codes",
        "discount_applications",
        "line_items",
      ].map((key) => [key, null]),
    );
    const result = parseOrderText(buildOrderJson(nulls));
    expect(result.success).toBe(true);
    if (result.success) expect(result.data.line_items).toEqual([]);
  });

  it("accepts ids and money as strings or numbers", () => {
    const result = OrderPayloadSchema.safeParse({
      ...(parseJsonLossless(buildOrderJson()) as object),
      id: 42,
      total_price: 12.5,
      line_items: [{ product_id: "788032119674292922", quantity: 1, price: 3 }],
    });
    expect(result.success).toBe(true);
  });

  it.each([
    [{ admin_graphql_api_id: undefined }, "admin_graphql_api_id: Required"],
    [{ name: undefined }, "name: Required"],
    [{ created_at: undefined }, "created_at: Required"],
    [{ admin_graphql_api_id: "gid://shopify/Customer/1" }, "admin_graphql_api_id: Expected a gid://shopify/Order/… id"],
    [{ admin_graphql_api_id: "gid://shopify/Order/" }, "admin_graphql_api_id: Expected a gid://shopify/Order/… id"],
    [{ admin_graphql_api_id: 42 }, "admin_graphql_api_id: Expected string, received number"],
    [{ name: "  " }, "name: Expected a non-empty string"],
    [{ created_at: "yesterday" }, "created_at: Expected a date-time string"],
    [{ line_items: "x" }, "line_items: Expected array, received string"],
    [{ total_price: {} }, "total_price: Expected string | number, received object"],
    [{ test: "true" }, "test: Expected boolean, received string"],
    [{ payment_gateway_names: "bogus" }, "payment_gateway_names: Expected array, received string"],
    [{ customer: [] }, "customer: Expected object, received array"],
    [{ id: true }, "id: Expected string | number, received boolean"],
    [{ total_price_set: { presentment_money: { amount: null } } }, "total_price_set.presentment_money.amount:"],
    [{ note_attributes: [{ name: "joinchat_psid", value: {} }] }, "note_attributes.0.value:"],
  ])("refuses a field of the wrong type: %o", (overrides, message) => {
    expect(orderError(overrides)).toContain(message);
  });

  it("names the failing line item field, e.g. a quantity sent as text", () => {
    const message = orderError({ line_items: [buildLineItem({ quantity: "two" })] });
    expect(message).toBe("line_items.0.quantity: Expected number, received string");
  });

  it("refuses a non-object body with a readable message", () => {
    const result = OrderPayloadSchema.safeParse([1, 2]);
    expect(result.success).toBe(false);
    if (!result.success) expect(describeZodError(result.error)).toBe("(payload): Expected object, received array");
  });
});

describe("describeZodError", () => {
  it("lists at most three issues and counts the rest", () => {
    const result = OrderPayloadSchema.safeParse({});
    expect(result.success).toBe(false);
    if (result.success) return;
    expect(describeZodError(result.error)).toBe("admin_graphql_api_id: Required; name: Required; created_at: Required");
    const more = OrderPayloadSchema.safeParse({ test: 1 });
    if (!more.success) expect(describeZodError(more.error)).toMatch(/\(and 1 more\)$/);
  });

  it("passes other errors' messages through", () => {
    expect(describeZodError(new SyntaxError("Unexpected token"))).toBe("Unexpected token");
    expect(describeZodError("boom")).toBe("Invalid payload (string)");
  });
});

describe("FulfillmentPayloadSchema", () => {
  it("parses the built fulfillment", () => {
    const f = FulfillmentPayloadSchema.parse(parseJsonLossless(buildFulfillmentJson()));
    expect(f.admin_graphql_api_id).toBe(FULFILLMENT_GID);
    expect(f.order_id).toBe("820982911946154508");
    expect(f.line_items).toHaveLength(2);
  });

  it("needs only admin_graphql_api_id", () => {
    const f = FulfillmentPayloadSchema.parse({ admin_graphql_api_id: "gid://shopify/Fulfillment/1" });
    expect(f.line_items).toEqual([]);
  });

  it.each([
    [{ admin_graphql_api_id: "gid://shopify/Order/1" }, "admin_graphql_api_id: Expected a gid://shopify/Fulfillment/… id"],
    [{ tracking_numbers: "1Z" }, "tracking_numbers: Expected array, received string"],
    [{ shipment_status: 3 }, "shipment_status: Expected string, received number"],
    [{ destination: "home" }, "destination: Expected object, received string"],
    [{ line_items: [{ product_id: false }] }, "line_items.0.product_id: Expected string | number, received boolean"],
  ])("refuses a field of the wrong type: %o", (overrides, message) => {
    const result = FulfillmentPayloadSchema.safeParse(parseJsonLossless(toRawJson(buildFulfillmentPayload(overrides))));
    expect(result.success).toBe(false);
    if (!result.success) expect(describeZodError(result.error)).toBe(message);
  });
});

describe("compliance and app payload schemas", () => {
  it("parse hand-written payloads", () => {
    expect(
      CustomersRedactPayloadSchema.parse({
        shop_id: 1,
        shop_domain: "a.myshopify.com",
        customer: { id: 2, email: null, phone: null },
        orders_to_redact: [3, "12345678901234567"],
      }).orders_to_redact,
    ).toEqual([3, "12345678901234567"]);
    expect(
      CustomersDataRequestPayloadSchema.parse({
        shop_id: 1,
        shop_domain: "a.myshopify.com",
        customer: { id: 2 },
        data_request: { id: 9 },
      }).orders_requested,
    ).toEqual([]);
    expect(ShopRedactPayloadSchema.safeParse({ shop_domain: "a.myshopify.com" }).success).toBe(false);
    expect(AppScopesUpdatePayloadSchema.safeParse({ previous: [] }).success).toBe(false);
    expect(AppScopesUpdatePayloadSchema.parse({ current: ["read_orders"] }).current).toEqual(["read_orders"]);
    expect(AppUninstalledPayloadSchema.parse({ id: 1, anything: [1] })).toEqual({ id: 1, anything: [1] });
    expect(AppUninstalledPayloadSchema.safeParse("x").success).toBe(false);
  });
});

describe("toGid", () => {
  it.each([
    ["Order", 1, "gid://shopify/Order/1"],
    ["Customer", "115310627314723954", "gid://shopify/Customer/115310627314723954"],
    ["Product", Number.MAX_SAFE_INTEGER, `gid://shopify/Product/${Number.MAX_SAFE_INTEGER}`],
    ["Fulfillment", 0, "gid://shopify/Fulfillment/0"],
  ] as const)("%s %s -> %s", (type, id, gid) => {
    expect(toGid(type, id)).toBe(gid);
  });

  it.each([
    ["a rounded number", 820982911946154500],
    ["a negative number", -1],
    ["a fraction", 1.5],
    ["NaN", Number.NaN],
    ["a gid string", "gid://shopify/Product/1"],
    ["a blank string", ""],
    ["a padded string", " 12 "],
    ["a signed string", "-12"],
    ["null", null],
    ["undefined", undefined],
  ])("returns null for %s", (_label, id) => {
    expect(toGid("Product", id)).toBeNull();
  });
});

describe("schemas on the Shopify fixtures", () => {
  it.each(["orders/create", "orders/paid", "orders/cancelled"] as const)("%s is an order", (topic) => {
    const order = OrderPayloadSchema.parse(parseJsonLossless(readShopifyFixture(topic)));
    expect(order.admin_graphql_api_id).toBe(
      topic === "orders/cancelled" ? "gid://shopify/Order/5731908254891146527" : "gid://shopify/Order/5731908254617390113",
    );
    expect(order.id).toBe(order.admin_graphql_api_id.split("/").pop());
    expect(order.currency).toBe("CAD");
    expect(order.presentment_currency).not.toBe(order.currency);
    expect(order.line_items.length).toBeGreaterThan(0);
  });

  it("reads the paid order's null variant title, missing product and short product id as Shopify writes them", () => {
    const order = OrderPayloadSchema.parse(parseJsonLossless(readShopifyFixture("orders/create")));
    expect(order.line_items.map((item) => item.product_id)).toEqual(["9120377465102938211", "9120377465230041877", "9120377465318850634", null, 7513920461]);
    expect(order.line_items[1].variant_title).toBeNull();
    expect(order.shipping_address?.address2).toBeNull();
    expect(order.note_attributes).toContainEqual({ name: "joinchat_psid", value: "7401825563920174" });
  });

  it.each(["fulfillments/create", "fulfillments/update"] as const)("%s is a fulfillment of the paid order", (topic) => {
    const f = FulfillmentPayloadSchema.parse(parseJsonLossless(readShopifyFixture(topic)));
    expect(f.admin_graphql_api_id).toBe("gid://shopify/Fulfillment/5274411990327751563");
    expect(f.order_id).toBe("5731908254617390113");
    expect(f.tracking_company).toBe("Canada Post");
  });

  it("parses the compliance and app topics", () => {
    const read = (topic: Parameters<typeof readShopifyFixture>[0]) => parseJsonLossless(readShopifyFixture(topic));
    expect(CustomersRedactPayloadSchema.parse(read("customers/redact"))).toEqual({
      shop_id: 61847302951,
      shop_domain: "harbour-and-kiln.myshopify.com",
      customer: { id: "7240518840067711943", email: "lea.marchand@example.fr", phone: null },
      orders_to_redact: ["5731908254891146527"],
    });
    expect(CustomersDataRequestPayloadSchema.parse(read("customers/data_request"))).toEqual({
      shop_id: 61847302951,
      shop_domain: "harbour-and-kiln.myshopify.com",
      customer: { id: "7240518839102274561", email: "amara.okafor@example.com", phone: "+12065550147" },
      orders_requested: ["5731908254617390113"],
      // Shopify's data request carries no orders_to_redact: the schema reads it as empty.
      orders_to_redact: [],
      data_request: { id: 40717 },
    });
    expect(ShopRedactPayloadSchema.parse(read("shop/redact"))).toEqual({ shop_id: 61847302951, shop_domain: "harbour-and-kiln.myshopify.com" });
    expect(AppScopesUpdatePayloadSchema.parse(read("app/scopes_update")).current).toEqual(["read_fulfillments", "read_orders", "read_products"]);
    expect(AppUninstalledPayloadSchema.parse(read("app/uninstalled"))).toMatchObject({
      name: "Harbour & Kiln",
      myshopify_domain: "harbour-and-kiln.myshopify.com",
    });
  });
});

describe("builders", () => {
  it("build an order that other tests can trust", () => {
    const raw = buildOrderPayload();
    expect(raw.financial_status).toBe("paid");
    expect(raw.test).toBe(false);
    expect(raw.cancelled_at).toBeNull();
    expect(raw.phone).toBeNull();
    expect(buildOrderPayload({ email: undefined })).not.toHaveProperty("email");
  });
});
