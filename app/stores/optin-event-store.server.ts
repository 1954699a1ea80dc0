import type { Sql } from "../db/database.server";

// Table optin_event: what happened to the Messenger opt-in (decision 023), for the home page's counts: a link issued
// (a new ref), a bind, a stop (the buyer's, or JoinChat's unbind). No personal data. Every statement on it is here.

export const OPTIN_EVENT_KINDS = ["link", "bind", "stop"] as const;
export type OptinEventKind = (typeof OPTIN_EVENT_KINDS)[number];

export async function recordOptinEvent(sql: Sql, shop: string, kind: OptinEventKind, at: number): Promise<void> {
  await sql.run("INSERT INTO optin_event (shop, kind, at) VALUES (?, ?, ?)", [shop, kind, at]);
}

/** How many of each kind since `since`. */
export async function countOptinEventsSince(sql: Sql, shop: string, since: number): Promise<Record<OptinEventKind, number>> {
  const counts: Record<OptinEventKind, number> = { link: 0, bind: 0, stop: 0 };
  const rows = await sql.all<{ kind: string; count: number | string }>(
    "SELECT kind, COUNT(*) AS count FROM optin_event WHERE shop = ? AND at >= ? GROUP BY kind",
    [shop, since],
  );
  for (const row of rows) if (row.kind in counts) counts[row.kind as OptinEventKind] = Number(row.count);
  return counts;
}

/** Retention: at most `limit` events older than `before` are deleted; how many. */
export async function pruneOptinEvents(sql: Sql, before: number, limit: number): Promise<number> {
  const { changes } = await sql.run("DELETE FROM optin_event WHERE id IN (SELECT id FROM optin_event WHERE at < ? ORDER BY at LIMIT ?)", [before, limit]);
  return changes;
}

export async function deleteOptinEventsOfShop(sql: Sql, shop: string): Promise<void> {
  await sql.run("DELETE FROM optin_event WHERE shop = ?", [shop]);
}
