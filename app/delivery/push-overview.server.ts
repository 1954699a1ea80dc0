import type { Sql } from "../db/database.server";
import { normalizePushRow, PUSH_COLUMNS, PUSH_STATUSES, type PushRow, type PushStatus } from "./outbox.server";
import { summarizePush, type PushSummary } from "./push-service.server";

// What the admin's home page shows of a linked shop: how the connection to JoinChat is doing, and how many
// pushes went out lately. Every query is a range of the (shop, status, created_at) or (shop, created_at)
// index, so the page costs the same for a shop with ten pushes as for one with a million.

export const DAY_MS = 86_400_000;
export const CHART_DAYS = 14;

export type StatusCounts = Record<PushStatus, number>;

export interface DailyCount {
  /** Unix ms of the day's start (UTC). */
  day: number;
  delivered: number;
  failed: number;
}

export interface PushOverview {
  lastDelivered: PushSummary | null;
  /** The most recent push that failed or waits for a retry, with JoinChat's message in lastError. */
  lastFailure: PushSummary | null;
  last24h: StatusCounts;
  last7d: StatusCounts;
  /** Oldest day first, CHART_DAYS days ending today (UTC). */
  daily: DailyCount[];
}

function emptyCounts(): StatusCounts {
  return Object.fromEntries(PUSH_STATUSES.map((s) => [s, 0])) as StatusCounts;
}

export function startOfUtcDay(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

export async function countByStatusSince(sql: Sql, shop: string, since: number): Promise<StatusCounts> {
  // Every status named: the (shop, status, created_at) index is then read from `since` on for each status, not
  // over the shop's whole history.
  const rows = await sql.all<{ status: PushStatus; n: number | string }>(
    `SELECT status, COUNT(*) AS n FROM push WHERE shop = ? AND status IN (${PUSH_STATUSES.map(() => "?").join(", ")}) AND created_at >= ? GROUP BY status`,
    [shop, ...PUSH_STATUSES, since],
  );
  const counts = emptyCounts();
  for (const row of rows) if (row.status in counts) counts[row.status] = Number(row.n);
  return counts;
}

async function latestWithStatus(sql: Sql, shop: string, status: PushStatus): Promise<PushSummary | null> {
  const row = await sql.get<PushRow>(
    `SELECT ${PUSH_COLUMNS} FROM push WHERE shop = ? AND status = ? ORDER BY created_at DESC, id DESC LIMIT 1`,
    [shop, status],
  );
  return row ? summarizePush(normalizePushRow(row)) : null;
}

export async function dailyDeliveredAndFailed(sql: Sql, shop: string, now: number, days = CHART_DAYS): Promise<DailyCount[]> {
  const first = startOfUtcDay(now) - (days - 1) * DAY_MS;
  const rows = await sql.all<{ status: PushStatus; d: number | string; n: number | string }>(
    // CAST: better-sqlite3 binds numbers as REAL, so the division would not be whole on SQLite.
    `SELECT status, CAST((created_at - ?) / ${DAY_MS} AS INTEGER) AS d, COUNT(*) AS n FROM push
     WHERE shop = ? AND status IN ('delivered', 'failed') AND created_at >= ? GROUP BY status, d`,
    [first, shop, first],
  );
  const daily: DailyCount[] = Array.from({ length: days }, (_, i) => ({ day: first + i * DAY_MS, delivered: 0, failed: 0 }));
  for (const row of rows) {
    const bucket = daily[Number(row.d)];
    if (!bucket) continue;
    if (row.status === "delivered") bucket.delivered = Number(row.n);
    else if (row.status === "failed") bucket.failed = Number(row.n);
  }
  return daily;
}

export async function getPushOverview(sql: Sql, shop: string, now = Date.now()): Promise<PushOverview> {
  const [lastDelivered, lastFailed, lastRetrying, last24h, last7d, daily] = await Promise.all([
    latestWithStatus(sql, shop, "delivered"),
    latestWithStatus(sql, shop, "failed"),
    latestWithStatus(sql, shop, "retrying"),
    countByStatusSince(sql, shop, now - DAY_MS),
    countByStatusSince(sql, shop, now - 7 * DAY_MS),
    dailyDeliveredAndFailed(sql, shop, now),
  ]);
  const lastFailure =
    lastFailed && lastRetrying ? (lastRetrying.updatedAt > lastFailed.updatedAt ? lastRetrying : lastFailed) : (lastFailed ?? lastRetrying);
  return { lastDelivered, lastFailure, last24h, last7d, daily };
}
