import type { Sql } from "../db/database.server";
import { PUSH_STATUSES, type PushStatus } from "../pushes/push-status";
import { countDeliveredAndFailedByDay, countPushesByStatusSince, latestPushWithStatus } from "../stores/push-store.server";
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
  const counts = emptyCounts();
  for (const [status, n] of await countPushesByStatusSince(sql, shop, since)) if (status in counts) counts[status] = n;
  return counts;
}

async function latestWithStatus(sql: Sql, shop: string, status: PushStatus): Promise<PushSummary | null> {
  const row = await latestPushWithStatus(sql, shop, status);
  return row ? summarizePush(row) : null;
}

export async function dailyDeliveredAndFailed(sql: Sql, shop: string, now: number, days = CHART_DAYS): Promise<DailyCount[]> {
  const first = startOfUtcDay(now) - (days - 1) * DAY_MS;
  const daily: DailyCount[] = Array.from({ length: days }, (_, i) => ({ day: first + i * DAY_MS, delivered: 0, failed: 0 }));
  for (const row of await countDeliveredAndFailedByDay(sql, shop, first, DAY_MS)) {
    const bucket = daily[row.day];
    if (!bucket) continue;
    if (row.status === "delivered") bucket.delivered = row.n;
    else if (row.status === "failed") bucket.failed = row.n;
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
  const lastFailure = lastFailed && lastRetrying ? (lastRetrying.updatedAt > lastFailed.updatedAt ? lastRetrying : lastFailed) : (lastFailed ?? lastRetrying);
  return { lastDelivered, lastFailure, last24h, last7d, daily };
}
