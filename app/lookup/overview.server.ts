import type { Sql } from "../db/database.server";
import { countCatalogueProducts } from "../stores/catalogue-store.server";
import { countLookupsByMethodAndOutcome } from "../stores/lookup-log-store.server";
import { ensureLookupSetup, lookupUrlOf } from "./setup.server";

// What the admin's "Customer lookups" card shows (decision 019): the set-up (URL, last `test`), counts by method and
// outcome for the last 24 hours and 7 days, the privacy switches, the products buyers can find. No contact, not even hashed.

export const LOOKUP_METHODS = ["orders", "products", "property", "test", "unknown"] as const;
export const LOOKUP_OUTCOMES = ["found", "not_found", "refused", "rate_limited"] as const;

export type LookupCounts = Record<string, Record<string, number>>;

export interface LookupOverview {
  url: string;
  lastTestAt: number | null;
  allowOrderName: boolean;
  fullReceipts: boolean;
  catalogueProducts: number;
  day: LookupCounts;
  week: LookupCounts;
}

async function counts(sql: Sql, shop: string, since: number): Promise<LookupCounts> {
  const out: LookupCounts = {};
  for (const method of LOOKUP_METHODS) out[method] = Object.fromEntries(LOOKUP_OUTCOMES.map((o) => [o, 0]));
  for (const row of await countLookupsByMethodAndOutcome(sql, shop, since)) {
    out[row.method] ??= {};
    out[row.method][row.outcome] = (out[row.method][row.outcome] ?? 0) + row.count;
  }
  return out;
}

export async function getLookupOverview(sql: Sql, shop: string, appUrl: string, now = Date.now()): Promise<LookupOverview> {
  const setup = await ensureLookupSetup(sql, shop, now);
  return {
    url: lookupUrlOf(appUrl, setup.lookup_key),
    lastTestAt: setup.last_test_at,
    allowOrderName: setup.allow_order_name === 1,
    fullReceipts: setup.full_receipts === 1,
    // What buyers can find: active products on the Online Store (not drafts, archived, unpublished or deleted ones).
    catalogueProducts: await countCatalogueProducts(sql, shop, "active"),
    day: await counts(sql, shop, now - 24 * 3_600_000),
    week: await counts(sql, shop, now - 7 * 24 * 3_600_000),
  };
}
