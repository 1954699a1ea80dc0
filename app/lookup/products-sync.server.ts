import type { Sql } from "../db/database.server";
import { log } from "../logger.server";
import { CATALOGUE_PRODUCTS, type AdminGraphql, type UnknownReason } from "../shopify/admin-api/index.server";
import { ProductPayloadSchema } from "../shopify/payloads";
import { countCatalogueProducts, listCatalogueProductsWrittenBefore } from "../stores/catalogue-store.server";
import { recordProduct, recordProductGone } from "./product-intake.server";

// `npm run cli -- products sync --shop <shop>` and the sync at install (decision 024): every product of the shop
// through the Admin API, page by page with Shopify's cursors, recorded in the catalogue exactly as the products/*
// webhooks record it (recordProduct): a draft, archived or unpublished product is kept with its status and never
// answered, an update older than the one kept changes nothing, a deleted product's tombstone stays. A sync that read
// every page also removes what Shopify no longer lists (deleted while no webhook reached the app): a product the
// catalogue holds, not listed, and not written since the sync began (a products/* webhook meanwhile) is tombstoned.

/** Products per page and variants per product: about 500 points a page, within Shopify's single query limit. */
export const SYNC_PAGE_SIZE = 20;
export const SYNC_VARIANTS = 10;
/** How long one page may take, THROTTLED waits and a token refresh included. */
export const SYNC_PAGE_TIMEOUT_MS = 30_000;

export interface ProductsSyncDeps {
  graphql: AdminGraphql;
  write: <T>(work: (tx: Sql) => Promise<T>) => Promise<T>;
  now?: () => number;
  pageTimeoutMs?: number;
}

export interface ProductsSyncResult {
  /** Whether every page was read (else `reason` says why it stopped). */
  complete: boolean;
  reason: UnknownReason | null;
  pages: number;
  /** Products Shopify answered, by status (active, draft, archived, unpublished). */
  byStatus: Record<string, number>;
  total: number;
  /** Products the catalogue held that Shopify no longer lists (complete syncs only): now tombstones. */
  removed: number;
  /** Products the catalogue answers lookups with after the sync (active and on the Online Store). */
  shown: number;
}

/** Tombstones written per transaction when a sync removes what Shopify no longer lists. */
const REMOVE_BATCH = 200;

export async function syncProducts(deps: ProductsSyncDeps, db: Sql, shop: string): Promise<ProductsSyncResult> {
  const now = deps.now ?? Date.now;
  const startedAt = now();
  const seen = new Set<string>();
  const byStatus: Record<string, number> = {};
  let after: string | null = null;
  let pages = 0;
  let total = 0;
  let reason: UnknownReason | null = null;
  const readPage = (cursor: string | null) =>
    deps.graphql.query(
      shop,
      CATALOGUE_PRODUCTS,
      { first: SYNC_PAGE_SIZE, after: cursor, variants: SYNC_VARIANTS },
      now() + (deps.pageTimeoutMs ?? SYNC_PAGE_TIMEOUT_MS),
    );
  for (;;) {
    const answer = await readPage(after);
    if (answer.status !== "ok") {
      reason = answer.reason;
      break;
    }
    if (answer.denied) {
      reason = "access_denied";
      break;
    }
    pages += 1;
    // Listed, whether or not it can be recorded: not removed.
    for (const p of answer.data.products) seen.add(p.admin_graphql_api_id);
    const products = answer.data.products.flatMap((p) => {
      const parsed = ProductPayloadSchema.safeParse(p);
      if (!parsed.success) log.warn("a product of the Admin API could not be read as a product", { shop, detail: parsed.error.issues[0]?.message });
      return parsed.success ? [parsed.data] : [];
    });
    const at = now();
    const statuses = await deps.write(async (tx) => {
      const recorded: string[] = [];
      for (const product of products) recorded.push((await recordProduct(tx, shop, product, at)).replace(/^product /, ""));
      return recorded;
    });
    for (const status of statuses) byStatus[status] = (byStatus[status] ?? 0) + 1;
    total += products.length;
    if (!answer.data.hasNextPage || !answer.data.endCursor) break;
    after = answer.data.endCursor;
  }
  let removed = 0;
  if (reason === null) {
    const gone = (await listCatalogueProductsWrittenBefore(db, shop, startedAt)).filter((gid) => !seen.has(gid));
    for (let i = 0; i < gone.length; i += REMOVE_BATCH) {
      const batch = gone.slice(i, i + REMOVE_BATCH);
      const at = now();
      await deps.write(async (tx) => {
        for (const gid of batch) await recordProductGone(tx, shop, gid, at);
      });
      removed += batch.length;
    }
  }
  const shown = await countCatalogueProducts(db, shop, "active");
  const result = { complete: reason === null, reason, pages, byStatus, total, removed, shown };
  log.info("products sync", { shop, ...result });
  return result;
}

/** The sync at install, in the background: once per process at a time per shop, and only for an empty catalogue. */
const running = new Set<string>();

export function syncProductsAtInstall(deps: ProductsSyncDeps, db: Sql, shop: string): void {
  if (running.has(shop)) return;
  running.add(shop);
  void (async () => {
    try {
      // Shopify exchanges a new token (and so calls afterAuth) on every install and whenever the old token expired:
      // a catalogue that holds anything was synced or is kept by the webhooks already.
      if ((await countCatalogueProducts(db, shop)) > 0) return;
      const result = await syncProducts(deps, db, shop);
      if (!result.complete) log.warn("products sync at install stopped early", { shop, reason: result.reason, products: result.total });
    } catch (error) {
      log.warn("products sync at install failed", { shop, error });
    } finally {
      running.delete(shop);
    }
  })();
}
