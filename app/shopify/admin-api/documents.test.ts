import { readFileSync } from "node:fs";
import { buildSchema, NoDeprecatedCustomRule, parse, specifiedRules, validate } from "graphql";
import { describe, expect, it } from "vitest";
import { OrderPayloadSchema, ProductPayloadSchema } from "../payloads";
import { ADMIN_DOCUMENTS, CATALOGUE_PRODUCTS, CUSTOMER_PSID, ORDER_CONTACT, ORDER_LOOKUP, PRODUCT_IMAGES } from "./documents";

// Every document the app sends fits the part of Shopify's schema the app keeps (admin-schema.graphql), uses no
// deprecated field, and its answer parser reads what the schema allows (null where Shopify may answer null).

const schema = buildSchema(readFileSync(new URL("./admin-schema.graphql", import.meta.url), "utf8"));

describe("the Admin API documents", () => {
  it.each(ADMIN_DOCUMENTS.map((d) => [d.name, d] as const))("%s validates against the schema, without deprecated fields", (name, document) => {
    const ast = parse(document.query);
    expect(validate(schema, ast, [...specifiedRules, NoDeprecatedCustomRule]).map((e) => e.message)).toEqual([]);
    const operations = ast.definitions.filter((d) => d.kind === "OperationDefinition");
    expect(operations.map((o) => ("name" in o ? o.name?.value : undefined))).toEqual([name]);
  });

  it("catches a document that leaves the schema or reads a deprecated field", () => {
    const deprecated = parse(`query Old($id: ID!) { customer(id: $id) { email } }`);
    expect(validate(schema, deprecated, [...specifiedRules, NoDeprecatedCustomRule]).map((e) => e.message)).toEqual([
      expect.stringContaining("deprecated") as string,
    ]);
    const unknownField = parse(`query Nope($id: ID!) { order(id: $id) { psid } }`);
    expect(validate(schema, unknownField)).toHaveLength(1);
  });

  it("reads what Shopify may answer: nulls where the schema allows them, psids only when they are digits", () => {
    expect(PRODUCT_IMAGES.data.parse({ nodes: [null, {}, { id: "gid://shopify/Product/1", featuredMedia: null }] })).toEqual({
      nodes: [null, null, { id: "gid://shopify/Product/1", imageUrl: null }],
    });
    expect(CUSTOMER_PSID.data.parse({ customer: { id: "gid://shopify/Customer/1", metafield: { value: " 42 " } } })).toEqual({
      customer: { id: "gid://shopify/Customer/1", psid: "42" },
    });
    expect(CUSTOMER_PSID.data.parse({ customer: { id: "gid://shopify/Customer/1", metafield: { value: "not a psid" } } }).customer?.psid).toBeNull();
    expect(ORDER_CONTACT.data.parse({ order: null })).toEqual({ order: null });
    // An answer of another shape is refused, not half read.
    expect(ORDER_CONTACT.data.safeParse({ order: { name: 1 } }).success).toBe(false);
  });

  it("reads orders and products of the customer lookups in the webhook payloads' shape", () => {
    const money = (amount: string) => ({ shopMoney: { amount, currencyCode: "USD" }, presentmentMoney: { amount, currencyCode: "EUR" } });
    const { orders } = ORDER_LOOKUP.data.parse({
      orders: {
        nodes: [
          {
            id: "gid://shopify/Order/5",
            name: "#1005",
            confirmationNumber: "ABC123XYZ",
            email: "a@b.co",
            phone: null,
            statusPageUrl: "https://shop.example/status",
            createdAt: "2026-11-01T10:00:00Z",
            cancelledAt: null,
            closed: false,
            displayFinancialStatus: "PARTIALLY_REFUNDED",
            paymentGatewayNames: ["paypal"],
            currencyCode: "USD",
            presentmentCurrencyCode: "EUR",
            discountCodes: ["A", "B"],
            subtotalPriceSet: money("10.00"),
            totalPriceSet: money("12.00"),
            totalTaxSet: null,
            totalShippingPriceSet: money("2.00"),
            totalDiscountsSet: money("1.00"),
            lineItems: {
              nodes: [
                {
                  title: "Hat",
                  name: "Hat - Red",
                  variantTitle: "Red",
                  quantity: 1,
                  originalUnitPriceSet: money("10.00"),
                  product: { id: "gid://shopify/Product/9" },
                },
              ],
            },
            shippingAddress: null,
            billingAddress: { name: "Ann Lee" },
          },
        ],
      },
    });
    const payload = OrderPayloadSchema.parse(orders[0].payload);
    expect(payload).toMatchObject({ name: "#1005", financial_status: "partially_refunded", presentment_currency: "EUR", confirmation_number: "ABC123XYZ" });
    // Two codes: what each took is unknown, so none is named.
    expect(payload.discount_codes).toEqual([]);
    expect(payload.line_items[0]).toMatchObject({
      product_id: "9",
      variant_title: "Red",
      price_set: { presentment_money: { amount: "10.00", currency_code: "EUR" } },
    });

    const page = CATALOGUE_PRODUCTS.data.parse({
      products: {
        nodes: [
          {
            id: "gid://shopify/Product/9",
            title: "Hat",
            handle: "hat",
            descriptionHtml: "<p>Warm</p>",
            vendor: "Acme",
            productType: "Hats",
            status: "DRAFT",
            publishedAt: null,
            createdAt: "2026-01-01T00:00:00Z",
            updatedAt: "2026-02-01T00:00:00Z",
            featuredMedia: null,
            variants: {
              nodes: [
                { legacyResourceId: "91", price: "5.00", position: 1, inventoryQuantity: 0, inventoryPolicy: "CONTINUE", inventoryItem: { tracked: true } },
              ],
            },
          },
        ],
        pageInfo: { hasNextPage: false, endCursor: "abc" },
      },
    });
    expect(page).toMatchObject({ hasNextPage: false, endCursor: "abc" });
    expect(ProductPayloadSchema.parse(page.products[0])).toMatchObject({
      status: "draft",
      published_at: null,
      image: null,
      variants: [{ id: "91", inventory_policy: "continue", inventory_management: "shopify" }],
    });
  });
});
