import { randomUUID } from "node:crypto";
import type { Sql } from "../db/database.server";
import { maskRecipient } from "../pushes/recipient";
import type { RecipientKind } from "../pushes/types";
import { getPush, normalizePushRow, PUSH_COLUMNS, PUSH_STATUSES, storeResend, type PushRow, type PushStatus } from "./outbox.server";

// What merchants and operators do with pushes (the CLI now, the admin later): list, look, retry, resend.

/** Why an action on a push was refused; the admin shows a message per code, the CLI the message. */
export type PushActionErrorCode = "not_found" | "not_failed" | "not_delivered" | "redacted" | "changed" | "invalid" | "nothing_to_resend";

export class PushActionError extends Error {
  name = "PushActionError";
  constructor(
    message: string,
    readonly code: PushActionErrorCode = "invalid",
  ) {
    super(message);
  }
}

/** The business key of a merchant's test push (the admin's "Send a test push"): never a real order's. */
export const TEST_PUSH_KEY_PREFIX = "test-push:";

export interface PushSummary {
  id: number;
  shop: string;
  topic: string;
  status: PushStatus;
  reason: string | null;
  orderName: string | null;
  trackingStatus: string | null;
  recipient: string;
  attempts: number;
  lastError: string | null;
  lastHttpStatus: number | null;
  recipientId: string | null;
  dueAt: number;
  createdAt: number;
  updatedAt: number;
  deliveredAt: number | null;
  resendOf: number | null;
  /** A merchant's test push (sent from the admin), not a push of a real order. */
  testPush: boolean;
  /** A push of a Shopify test order. */
  testOrder: boolean;
}

export interface PushAttemptView {
  number: number;
  startedAt: number;
  durationMs: number;
  httpStatus: number | null;
  outcome: string;
  answer: string | null;
  error: string | null;
}

export function summarizePush(row: PushRow): PushSummary {
  return {
    id: row.id,
    shop: row.shop,
    topic: row.topic,
    status: row.status,
    reason: row.reason,
    orderName: row.order_name,
    trackingStatus: row.tracking_status,
    recipient: row.recipient_kind && row.recipient_value ? maskRecipient({ kind: row.recipient_kind as RecipientKind, value: row.recipient_value }) : "—",
    attempts: row.attempts,
    lastError: row.last_error,
    lastHttpStatus: row.last_http_status,
    recipientId: row.recipient_id,
    dueAt: Number(row.due_at),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    deliveredAt: row.delivered_at === null ? null : Number(row.delivered_at),
    resendOf: row.resend_of,
    testPush: row.business_key.startsWith(TEST_PUSH_KEY_PREFIX),
    testOrder: row.test === 1 && !row.business_key.startsWith(TEST_PUSH_KEY_PREFIX),
  };
}

export interface PushFilter {
  shop: string;
  status?: PushStatus[];
  topic?: string[];
  /** An order name, with or without the leading #. */
  orderName?: string;
  limit?: number;
  /** Keyset pagination: pushes with an id below this one. */
  beforeId?: number;
  /** Keyset pagination on the log's order (created_at, id): the page older or newer than this push. */
  cursor?: PushCursor;
}

export interface PushCursor {
  createdAt: number;
  id: number;
  direction: "older" | "newer";
}

/** `<created_at>.<id>` as it travels in a URL. */
export function formatCursor(push: { createdAt: number; id: number }): string {
  return `${push.createdAt}.${push.id}`;
}

export function parseCursor(value: string | null | undefined, direction: PushCursor["direction"]): PushCursor | undefined {
  const match = value ? /^(\d{1,16})\.(\d{1,16})$/.exec(value) : null;
  return match ? { createdAt: Number(match[1]), id: Number(match[2]), direction } : undefined;
}

export function parseStatuses(value: string | undefined): PushStatus[] | undefined {
  if (!value) return undefined;
  const statuses = value.split(",").map((s) => s.trim()).filter(Boolean);
  for (const s of statuses) {
    if (!(PUSH_STATUSES as readonly string[]).includes(s)) throw new PushActionError(`unknown status "${s}": use ${PUSH_STATUSES.join(", ")}`);
  }
  return statuses as PushStatus[];
}

function whereOf(filter: PushFilter): { where: string; params: unknown[] } {
  const clauses = ["shop = ?"];
  const params: unknown[] = [filter.shop];
  if (filter.status?.length) {
    clauses.push(`status IN (${filter.status.map(() => "?").join(", ")})`);
    params.push(...filter.status);
  }
  if (filter.topic?.length) {
    clauses.push(`topic IN (${filter.topic.map(() => "?").join(", ")})`);
    params.push(...filter.topic);
  }
  if (filter.orderName) {
    const name = filter.orderName.trim();
    clauses.push("order_name = ?");
    params.push(name.startsWith("#") ? name : `#${name}`);
  }
  return { where: clauses.join(" AND "), params };
}

/**
 * Pushes of a shop, newest first: by (created_at, id), the order of the (shop, created_at) and
 * (shop, status, created_at) indexes (both end in the row id on SQLite), so a page reads only its own rows.
 */
export async function listPushes(sql: Sql, filter: PushFilter): Promise<PushSummary[]> {
  const { where, params } = whereOf(filter);
  const limit = Math.min(Math.max(filter.limit ?? 50, 1), 500);
  const clauses = [where];
  if (filter.beforeId) {
    clauses.push("id < ?");
    params.push(filter.beforeId);
  }
  const cursor = filter.cursor;
  if (cursor) {
    const op = cursor.direction === "older" ? "<" : ">";
    // A row value: SQLite and PostgreSQL both seek the index to it.
    clauses.push(`(created_at, id) ${op} (?, ?)`);
    params.push(cursor.createdAt, cursor.id);
  }
  // The page newer than a cursor is read upwards from it, then turned back to newest first.
  const newer = cursor?.direction === "newer";
  const order = newer ? "created_at ASC, id ASC" : "created_at DESC, id DESC";
  const rows = await sql.all<PushRow>(`SELECT ${PUSH_COLUMNS} FROM push WHERE ${clauses.join(" AND ")} ORDER BY ${order} LIMIT ?`, [...params, limit]);
  if (newer) rows.reverse();
  return rows.map((r) => summarizePush(normalizePushRow(r)));
}

export interface PushPage {
  pushes: PushSummary[];
  /** Cursors of the neighbouring pages, or null at either end. */
  older: string | null;
  newer: string | null;
}

/** One page of the delivery log: `pageSize` pushes and whether there are more on either side. */
export async function listPushPage(sql: Sql, filter: PushFilter, pageSize = 50): Promise<PushPage> {
  const size = Math.min(Math.max(pageSize, 1), 250);
  const rows = await listPushes(sql, { ...filter, limit: size + 1 });
  const direction = filter.cursor?.direction ?? "older";
  // One row beyond the page says whether the page beyond it exists.
  const more = rows.length > size;
  // Back at the newest pushes: show a whole first page.
  if (direction === "newer" && !more) return listPushPage(sql, { ...filter, cursor: undefined }, size);
  const pushes = direction === "newer" ? rows.slice(more ? 1 : 0) : rows.slice(0, size);
  const first = pushes[0];
  const last = pushes[pushes.length - 1];
  const hasOlder = direction === "older" ? more : filter.cursor !== undefined;
  const hasNewer = direction === "newer" ? more : filter.cursor !== undefined;
  return {
    pushes,
    older: hasOlder && last ? formatCursor(last) : null,
    newer: hasNewer && first ? formatCursor(first) : null,
  };
}

export async function countPushes(sql: Sql, filter: PushFilter): Promise<number> {
  const { where, params } = whereOf(filter);
  const row = await sql.get<{ n: number }>(`SELECT COUNT(*) AS n FROM push WHERE ${where}`, params);
  return Number(row?.n ?? 0);
}

export async function getPushDetail(sql: Sql, id: number, shop?: string) {
  const row = await getPush(sql, id);
  if (!row || (shop && row.shop !== shop)) return null;
  const attempts = await sql.all<{ number: number; started_at: number; duration_ms: number; http_status: number | null; outcome: string; answer: string | null; error: string | null }>(
    "SELECT number, started_at, duration_ms, http_status, outcome, answer, error FROM push_attempt WHERE push_id = ? ORDER BY number",
    [id],
  );
  return {
    push: summarizePush(normalizePushRow(row)),
    /** The customer's data was erased (customers/redact): no retry, no resend. */
    redacted: row.redacted_at !== null,
    body: row.body,
    attempts: attempts.map(
      (a): PushAttemptView => ({
        number: a.number,
        startedAt: Number(a.started_at),
        durationMs: a.duration_ms,
        httpStatus: a.http_status,
        outcome: a.outcome,
        answer: a.answer,
        error: a.error,
      }),
    ),
  };
}

/**
 * Sends a failed push again. When JoinChat refused it for good (its last attempt got a final answer), nothing
 * was delivered under its Idempotency-Key, so it goes with a new key and a body built afresh; after a give-up on
 * timeouts JoinChat may have it already, so the key and body stay and JoinChat recognises a repeat.
 */
export async function retryPush(sql: Sql, id: number, now = Date.now(), shop?: string): Promise<PushSummary> {
  const row = await getPush(sql, id);
  if (!row || (shop && row.shop !== shop)) throw new PushActionError(`push ${id} not found`, "not_found");
  if (row.status !== "failed") throw new PushActionError(`push ${id} is ${row.status}: only a failed push can be retried`, "not_failed");
  if (row.redacted_at !== null) throw new PushActionError(`push ${id} cannot be retried: the customer's data was erased`, "redacted");
  const last = await sql.get<{ outcome: string }>("SELECT outcome FROM push_attempt WHERE push_id = ? ORDER BY number DESC LIMIT 1", [id]);
  const refusedForGood = last?.outcome === "failed" || last === undefined;
  const { changes } = await sql.run(
    `UPDATE push SET status = 'queued', due_at = ?, first_attempt_at = NULL, locked_until = NULL, reason = NULL, updated_at = ?
       ${refusedForGood ? ", idempotency_key = ?, body = NULL" : ""}
     WHERE id = ? AND status = 'failed'`,
    refusedForGood ? [now, now, randomUUID(), id] : [now, now, id],
  );
  if (changes === 0) throw new PushActionError(`push ${id} changed meanwhile; look again`, "changed");
  return summarizePush(normalizePushRow((await getPush(sql, id))!));
}

export interface RetryAllResult {
  /** Pushes queued again. */
  retried: number[];
  /** Failed pushes that could not be retried (erased, changed meanwhile). */
  refused: number;
  /** Failed pushes matching the filter that were left for another click (over `max`). */
  remaining: number;
}

/**
 * Retries every failed push of the shop that matches the filter (its status filter, if any, must let
 * `failed` through), each by the rules of retryPush; at most `max` per call.
 */
export async function retryFailedPushes(sql: Sql, filter: PushFilter, now = Date.now(), max = 1000): Promise<RetryAllResult> {
  if (filter.status?.length && !filter.status.includes("failed")) return { retried: [], refused: 0, remaining: 0 };
  const failedOnly: PushFilter = { ...filter, status: ["failed"], cursor: undefined, beforeId: undefined };
  const { where, params } = whereOf(failedOnly);
  const rows = await sql.all<{ id: number }>(`SELECT id FROM push WHERE ${where} ORDER BY created_at, id LIMIT ?`, [...params, max + 1]);
  const batch = rows.slice(0, max);
  const retried: number[] = [];
  let refused = 0;
  for (const { id } of batch) {
    try {
      await retryPush(sql, id, now, filter.shop);
      retried.push(id);
    } catch (error) {
      if (!(error instanceof PushActionError)) throw error;
      refused += 1;
    }
  }
  const remaining = rows.length > max ? (await countPushes(sql, failedOnly)) : 0;
  return { retried, refused, remaining };
}

/**
 * A merchant's explicit resend of a delivered push: a new push with its own key. With a `requestKey`, a repeated
 * request (the same key) gives back the push the first one stored instead of sending the buyer another.
 */
export async function resendPush(sql: Sql, id: number, now = Date.now(), shop?: string, requestKey?: string): Promise<PushSummary> {
  return (await resendDeliveredPush(sql, id, now, shop, requestKey)).push;
}

/** resendPush, telling also whether this call stored the resend (false: an earlier request with the same key did). */
export async function resendDeliveredPush(sql: Sql, id: number, now: number, shop?: string, requestKey?: string): Promise<{ push: PushSummary; created: boolean }> {
  const row = await getPush(sql, id);
  if (!row || (shop && row.shop !== shop)) throw new PushActionError(`push ${id} not found`, "not_found");
  if (row.status !== "delivered") throw new PushActionError(`push ${id} is ${row.status}: only a delivered push can be resent`, "not_delivered");
  if (row.redacted_at !== null || row.params === null) throw new PushActionError(`push ${id} cannot be resent: the customer's data was erased`, "redacted");
  const stored = await storeResend(sql, row, now, requestKey);
  return { push: summarizePush(normalizePushRow((await getPush(sql, stored.id))!)), created: stored.created };
}
