import type { Sql } from "../db/database.server";

// Table lookup_log: one row per customer lookup answered (method, outcome, a keyed hash of what was looked up:
// never the contact in clear), for the admin's counts and the rate limits. Every statement on it is here.

export interface LookupLogEntry {
  shop: string;
  method: string;
  outcome: string;
  identifierHash: string | null;
  at: number;
}

export async function insertLookupLog(sql: Sql, entry: LookupLogEntry): Promise<void> {
  await sql.run("INSERT INTO lookup_log (shop, method, outcome, identifier_hash, at) VALUES (?, ?, ?, ?, ?)", [
    entry.shop,
    entry.method,
    entry.outcome,
    entry.identifierHash,
    entry.at,
  ]);
}

/** Lookups of the shop since `since` (those refused for the rate limit left out), all or of one identifier. */
export async function countLookupsSince(sql: Sql, shop: string, since: number, identifierHash?: string): Promise<number> {
  const row =
    identifierHash === undefined
      ? await sql.get<{ n: number | string }>("SELECT COUNT(*) AS n FROM lookup_log WHERE shop = ? AND at > ? AND outcome <> 'rate_limited'", [shop, since])
      : await sql.get<{ n: number | string }>(
          "SELECT COUNT(*) AS n FROM lookup_log WHERE shop = ? AND identifier_hash = ? AND at > ? AND outcome <> 'rate_limited'",
          [shop, identifierHash, since],
        );
  return Number(row?.n ?? 0);
}

/** Counts per method and outcome since `since`. */
export async function countLookupsByMethodAndOutcome(sql: Sql, shop: string, since: number): Promise<{ method: string; outcome: string; count: number }[]> {
  const rows = await sql.all<{ method: string; outcome: string; n: number | string }>(
    "SELECT method, outcome, COUNT(*) AS n FROM lookup_log WHERE shop = ? AND at > ? GROUP BY method, outcome ORDER BY method, outcome",
    [shop, since],
  );
  return rows.map((r) => ({ method: r.method, outcome: r.outcome, count: Number(r.n) }));
}

export async function deleteLookupLogsOfIdentifiers(sql: Sql, shop: string, identifierHashes: readonly string[]): Promise<number> {
  let n = 0;
  for (const hash of identifierHashes) n += (await sql.run("DELETE FROM lookup_log WHERE shop = ? AND identifier_hash = ?", [shop, hash])).changes;
  return n;
}

/** Retention: up to `limit` entries older than `before`, of every shop, oldest first. */
export async function deleteLookupLogsBefore(sql: Sql, before: number, limit: number): Promise<number> {
  const { changes } = await sql.run("DELETE FROM lookup_log WHERE id IN (SELECT id FROM lookup_log WHERE at < ? ORDER BY at LIMIT ?)", [before, limit]);
  return changes;
}

export async function deleteLookupLogsOfShop(sql: Sql, shop: string): Promise<void> {
  await sql.run("DELETE FROM lookup_log WHERE shop = ?", [shop]);
}
