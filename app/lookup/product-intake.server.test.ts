import { describe, expect, it } from "vitest";
import { readShopifyFixture } from "../../test/fixtures/shopify-fixtures";
import { parseJsonLossless } from "../shopify/lossless-json";
import { ProductPayloadSchema, type ProductPayload } from "../shopify/payloads";
import { catalogueProductOf } from "./product-intake.server";

// The variant a product lookup's buy_url puts in the cart: the first one sellable now.

/** The products/create fixture (API 2026-04: variants carry no inventory_management), with `stock` per variant. */
function product(stock: number[], overrides: Partial<ProductPayload["variants"][number]> = {}): ProductPayload {
  const parsed = ProductPayloadSchema.parse(parseJsonLossless(readShopifyFixture("products/create")));
  return { ...parsed, variants: parsed.variants.map((v, i) => ({ ...v, inventory_quantity: stock[i] ?? 0, ...overrides })) };
}

describe("catalogueProductOf: the buy_url's variant", () => {
  it("skips a sold-out first variant of a 2026-04 webhook, which no longer says whether stock is tracked", () => {
    const p = product([0, 5, 5]);
    expect(p.variants[0]).not.toHaveProperty("inventory_management");
    expect(catalogueProductOf(p, 0).variantId).toBe(String(p.variants[1].id));
  });

  it("takes the first variant when it is in stock or sold when out of stock", () => {
    const p = product([3, 5, 5]);
    expect(catalogueProductOf(p, 0).variantId).toBe(String(p.variants[0].id));
    const oversold = product([0, 0, 0], { inventory_policy: "continue" });
    expect(catalogueProductOf(oversold, 0).variantId).toBe(String(oversold.variants[0].id));
  });

  it("no variant known to be sellable: no cart permalink (the product page instead)", () => {
    expect(catalogueProductOf(product([0, 0, 0]), 0).variantId).toBeNull();
  });

  it("a variant whose stock is not tracked (the Admin API's sync says so) is sellable at any quantity", () => {
    const p = product([0, 0, 0], { inventory_management: null });
    expect(catalogueProductOf(p, 0).variantId).toBe(String(p.variants[0].id));
  });
});
