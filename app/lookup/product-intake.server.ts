import type { Sql } from "../db/database.server";
import { toGid, type ProductDeletePayload, type ProductPayload } from "../shopify/payloads";
import { upsertCatalogueProduct, type CatalogueProduct } from "../stores/catalogue-store.server";

// The product catalogue of product lookups (decision 019), fed by the products/* webhooks inside the intake
// transaction (a repeated delivery is recognised before this runs) and by `products sync`. An older update than the
// one kept changes nothing; a deleted product stays as a tombstone so that a late update cannot bring it back.

/** Tombstones outrank every update. */
const DELETED_AT = Number.MAX_SAFE_INTEGER;

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'", apos: "'", nbsp: " " };

/** A product's HTML description as plain text, at most 300 characters. */
export function plainDescription(html: string | null | undefined): string {
  const text = (html ?? "")
    .replace(/<(script|style)[\s\S]*?<\/\1>/gi, " ")
    .replace(/<[^>]*>/g, " ")
    .replace(/&(amp|lt|gt|quot|#39|apos|nbsp);/g, (_, name: string) => ENTITIES[name])
    .replace(/\s+/g, " ")
    .trim();
  return text.length > 300 ? `${text.slice(0, 299).trimEnd()}…` : text;
}

function priceText(value: string | number | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  const n = Number(value);
  return Number.isFinite(n) ? n.toFixed(2) : null;
}

type Variant = ProductPayload["variants"][number];

/**
 * Sellable now: not tracked, sold when out of stock, or in stock. Webhooks of API 2026-04 no longer carry
 * `inventory_management` (absent, where the Admin API's sync says null for untracked): then only the stock and the
 * policy tell, and a variant out of stock is not put in a cart (buy_url falls back to the product page).
 */
function available(variant: Variant): boolean {
  if (variant.inventory_management === null) return true;
  if (variant.inventory_management !== undefined && variant.inventory_management.trim() === "") return true;
  if ((variant.inventory_policy ?? "").toLowerCase() === "continue") return true;
  return (variant.inventory_quantity ?? 0) > 0;
}

function timeOf(value: string | null | undefined, fallback: number): number {
  const ms = Date.parse(value ?? "");
  return Number.isFinite(ms) ? ms : fallback;
}

/** What the catalogue keeps of a product webhook's payload. */
export function catalogueProductOf(product: ProductPayload, now: number): CatalogueProduct {
  const variants = [...product.variants].sort((a, b) => (a.position ?? 0) - (b.position ?? 0));
  const sellable = variants.find(available) ?? null;
  const status = (product.status ?? "active").toLowerCase();
  return {
    productGid: product.admin_graphql_api_id,
    title: product.title.trim(),
    handle: product.handle.trim(),
    productType: (product.product_type ?? "").trim(),
    vendor: (product.vendor ?? "").trim(),
    // Active but not on the Online Store: its product page does not exist for buyers.
    status: status === "active" && product.published_at === null ? "unpublished" : status,
    description: plainDescription(product.body_html),
    imageUrl: product.image?.src || product.images.find((i) => i.src)?.src || null,
    price: priceText((sellable ?? variants[0])?.price),
    variantId: sellable?.id !== null && sellable?.id !== undefined ? String(sellable.id) : null,
    productCreated: timeOf(product.created_at, now),
    productUpdated: timeOf(product.updated_at, now),
  };
}

export async function recordProduct(tx: Sql, shop: string, product: ProductPayload, now: number): Promise<string> {
  const entry = catalogueProductOf(product, now);
  await upsertCatalogueProduct(tx, shop, entry, now);
  return `product ${entry.status}`;
}

export async function recordProductDeleted(tx: Sql, shop: string, payload: ProductDeletePayload, now: number): Promise<string> {
  const productGid = toGid("Product", payload.id);
  if (!productGid) return "no product id";
  await recordProductGone(tx, shop, productGid, now);
  return "product deleted";
}

/** The product is gone at Shopify (products/delete, or a full sync no longer lists it): a tombstone, never answered. */
export async function recordProductGone(tx: Sql, shop: string, productGid: string, now: number): Promise<void> {
  await upsertCatalogueProduct(
    tx,
    shop,
    {
      productGid,
      title: "",
      handle: "",
      productType: "",
      vendor: "",
      status: "deleted",
      description: "",
      imageUrl: null,
      price: null,
      variantId: null,
      productCreated: now,
      productUpdated: DELETED_AT,
    },
    now,
  );
}
