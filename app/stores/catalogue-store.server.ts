import type { Sql } from "../db/database.server";

// Table catalogue_product: the shop's products as product lookups answer them (decision 019), kept current by the
// products/* webhooks and `products sync`. Every statement on it is here.

export interface CatalogueProductRow {
  product_gid: string;
  title: string;
  handle: string;
  product_type: string;
  vendor: string;
  status: string;
  description: string;
  image_url: string | null;
  price: string | null;
  variant_id: string | null;
  product_created: number;
  product_updated: number;
}

export interface CatalogueProduct {
  productGid: string;
  title: string;
  handle: string;
  productType: string;
  vendor: string;
  /** Shopify's status, lower case: active, draft, archived (only active ones are answered). */
  status: string;
  description: string;
  imageUrl: string | null;
  price: string | null;
  /** The first available variant's numeric id (the cart permalink), or null. */
  variantId: string | null;
  productCreated: number;
  productUpdated: number;
}

/** Records a product; an older update (by Shopify's updated_at) than the one kept changes nothing. */
export async function upsertCatalogueProduct(sql: Sql, shop: string, p: CatalogueProduct, now: number): Promise<void> {
  await sql.run(
    `INSERT INTO catalogue_product (shop, product_gid, title, handle, product_type, vendor, status, description, image_url, price, variant_id,
       product_created, product_updated, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (shop, product_gid) DO UPDATE SET title = excluded.title, handle = excluded.handle, product_type = excluded.product_type,
       vendor = excluded.vendor, status = excluded.status, description = excluded.description, image_url = excluded.image_url,
       price = excluded.price, variant_id = excluded.variant_id, product_created = excluded.product_created,
       product_updated = excluded.product_updated, updated_at = excluded.updated_at
     WHERE catalogue_product.product_updated <= excluded.product_updated`,
    [
      shop,
      p.productGid,
      p.title,
      p.handle,
      p.productType,
      p.vendor,
      p.status,
      p.description,
      p.imageUrl,
      p.price,
      p.variantId,
      p.productCreated,
      p.productUpdated,
      now,
    ],
  );
}

/**
 * `column` in lower case, to compare with `term` (lower case already) in every script. SQLite's LOWER folds ASCII only,
 * which is enough for an ASCII term (no other letter lower-cases to one); else its unicode_lower (sqlite.server.ts),
 * a call into JavaScript per row. PostgreSQL's LOWER folds every script.
 */
function lowerFor(sql: Sql, column: string, term: string): string {
  return sql.kind === "postgres" || !/\P{ASCII}/u.test(term) ? `LOWER(${column})` : `unicode_lower(${column})`;
}

/** A title search uses at most this many words: one statement per count, and a bounded one. */
const MAX_TITLE_WORDS = 8;

export type CatalogueOrder = { field: "title" | "product_created" | "product_updated"; dir: "asc" | "desc" };

/**
 * Active products matching any of the terms (title contains every word, product type or vendor equal, case-insensitive in every
 * script), one page, and how many match. No terms: every active product. Titles sort regardless of case.
 */
export async function searchCatalogue(
  sql: Sql,
  shop: string,
  terms: { title: string | null; productType: string | null; vendor: string | null },
  order: CatalogueOrder,
  page: { offset: number; limit: number },
): Promise<{ total: number; rows: CatalogueProductRow[] }> {
  const ors: string[] = [];
  const params: unknown[] = [shop];
  // Fuzzy: the title holds every word asked for, in any order (the first MAX_TITLE_WORDS words).
  const words = [...new Set((terms.title ?? "").toLowerCase().split(/\s+/).filter(Boolean))].slice(0, MAX_TITLE_WORDS);
  if (words.length > 0) {
    ors.push(`(${words.map((word) => `${lowerFor(sql, "title", word)} LIKE ? ESCAPE '\\'`).join(" AND ")})`);
    for (const word of words) params.push(`%${word.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  }
  if (terms.productType) {
    const term = terms.productType.toLowerCase();
    ors.push(`${lowerFor(sql, "product_type", term)} = ?`);
    params.push(term);
  }
  if (terms.vendor) {
    const term = terms.vendor.toLowerCase();
    ors.push(`${lowerFor(sql, "vendor", term)} = ?`);
    params.push(term);
  }
  const where = `shop = ? AND status = 'active'${ors.length > 0 ? ` AND (${ors.join(" OR ")})` : ""}`;
  const dir = order.dir === "desc" ? "DESC" : "ASC";
  // Titles regardless of case (ASCII's on SQLite: a call into JavaScript per row would cost more than it sorts better).
  const orderBy = `${order.field === "title" ? `LOWER(title) ${dir}, ` : ""}${order.field} ${dir}, product_gid`;
  const count = await sql.get<{ n: number | string }>(`SELECT COUNT(*) AS n FROM catalogue_product WHERE ${where}`, params);
  const total = Number(count?.n ?? 0);
  if (total === 0) return { total, rows: [] };
  const rows = await sql.all<CatalogueProductRow>(
    `SELECT product_gid, title, handle, product_type, vendor, status, description, image_url, price, variant_id, product_created, product_updated
     FROM catalogue_product WHERE ${where} ORDER BY ${orderBy} LIMIT ? OFFSET ?`,
    [...params, page.limit, page.offset],
  );
  return { total, rows: rows.map((r) => ({ ...r, product_created: Number(r.product_created), product_updated: Number(r.product_updated) })) };
}

/** The distinct product types or vendors of the shop's active products, sorted. */
export async function listCatalogueProperty(sql: Sql, shop: string, column: "product_type" | "vendor"): Promise<string[]> {
  const rows = await sql.all<{ v: string }>(
    `SELECT DISTINCT ${column} AS v FROM catalogue_product WHERE shop = ? AND status = 'active' AND ${column} <> '' ORDER BY ${column}`,
    [shop],
  );
  return rows.map((r) => r.v);
}

/** The products of the shop the catalogue still holds as existing (not tombstones), last written before `before`. */
export async function listCatalogueProductsWrittenBefore(sql: Sql, shop: string, before: number): Promise<string[]> {
  const rows = await sql.all<{ product_gid: string }>("SELECT product_gid FROM catalogue_product WHERE shop = ? AND status <> 'deleted' AND updated_at < ?", [
    shop,
    before,
  ]);
  return rows.map((r) => r.product_gid);
}

/** The shop's catalogue rows (tombstones included), or those of one status. */
export async function countCatalogueProducts(sql: Sql, shop: string, status?: string): Promise<number> {
  const row = await sql.get<{ n: number | string }>(
    `SELECT COUNT(*) AS n FROM catalogue_product WHERE shop = ?${status === undefined ? "" : " AND status = ?"}`,
    status === undefined ? [shop] : [shop, status],
  );
  return Number(row?.n ?? 0);
}

export async function deleteCatalogueOfShop(sql: Sql, shop: string): Promise<void> {
  await sql.run("DELETE FROM catalogue_product WHERE shop = ?", [shop]);
}
