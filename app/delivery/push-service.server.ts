import type { Sql } from "../db/database.server";
import { PUSH_STATUSES, type PushStatus } from "../pushes/push-status";
import type { ReasonCode } from "../pushes/reasons";
import { maskRecipient } from "../pushes/recipient";
import type { RecipientKind } from "../pushes/types";
import {
  countPushRows,
  getPush,
  isTestPush,
  lastAttempt,
  listAttempts,
  listPushIds,
  listPushRows,
  requeueFailedPush,
  storeResend,
  type PushCursor,
  type PushFilter,
  type PushRow,
} from "../stores/push-store.server";

export type { PushFilter };

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

export interface PushSummary {
  id: number;
  shop: string;
  topic: string;
  status: PushStatus;
  /** A stable code (app/pushes/reasons.ts): why it was skipped or cancelled, or why the app failed it. */
  reason: ReasonCode | null;
  /** The variable part of the reason (unknown_shipment_status: the status Shopify sent). */
  reasonDetail: string | null;
  orderName: string | null;
  trackingStatus: string | null;
  recipient: string;
  /** How the recipient was found (RecipientSource: binding, note_attribute, metafield, email, phone), or null. */
  recipientSource: string | null;
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
    reasonDetail: row.reason_detail,
    orderName: row.order_name,
    trackingStatus: row.tracking_status,
    recipient: row.recipient_kind && row.recipient_value ? maskRecipient({ kind: row.recipient_kind as RecipientKind, value: row.recipient_value }) : "—",
    recipientSource: row.recipient_source,
    attempts: row.attempts,
    lastError: row.last_error,
    lastHttpStatus: row.last_http_status,
    recipientId: row.recipient_id,
    dueAt: Number(row.due_at),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    deliveredAt: row.delivered_at === null ? null : Number(row.delivered_at),
    resendOf: row.resend_of,
    testPush: isTestPush(row),
    testOrder: row.test === 1 && !isTestPush(row),
  };
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
  const statuses = value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  for (const s of statuses) {
    if (!(PUSH_STATUSES as readonly string[]).includes(s)) throw new PushActionError(`unknown status "${s}": use ${PUSH_STATUSES.join(", ")}`);
  }
  return statuses as PushStatus[];
}

/** Pushes of a shop, newest first (see listPushRows for the indexes each page reads). */
export async function listPushes(sql: Sql, filter: PushFilter): Promise<PushSummary[]> {
  return (await listPushRows(sql, filter)).map(summarizePush);
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
  return countPushRows(sql, filter);
}

export async function getPushDetail(sql: Sql, id: number, shop?: string) {
  const row = await getPush(sql, id);
  if (!row || (shop && row.shop !== shop)) return null;
  const attempts = await listAttempts(sql, id);
  return {
    push: summarizePush(row),
    /** The customer's data was erased (customers/redact): no retry, no resend. */
    redacted: row.redacted_at !== null,
    body: row.body,
    attempts: attempts.map((a): PushAttemptView => ({
      number: a.number,
      startedAt: Number(a.started_at),
      durationMs: a.duration_ms,
      httpStatus: a.http_status,
      outcome: a.outcome,
      answer: a.answer,
      error: a.error,
    })),
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
  const last = await lastAttempt(sql, id);
  const refusedForGood = last?.outcome === "failed" || last === undefined;
  if (!(await requeueFailedPush(sql, id, now, refusedForGood))) throw new PushActionError(`push ${id} changed meanwhile; look again`, "changed");
  return summarizePush((await getPush(sql, id))!);
}

export interface RetryAllResult {
  /** Pushes queued again (for the scheduler port). */
  retried: PushSummary[];
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
  const rows = await listPushIds(sql, failedOnly, max + 1);
  const batch = rows.slice(0, max);
  const retried: PushSummary[] = [];
  let refused = 0;
  for (const id of batch) {
    try {
      retried.push(await retryPush(sql, id, now, filter.shop));
    } catch (error) {
      if (!(error instanceof PushActionError)) throw error;
      refused += 1;
    }
  }
  const remaining = rows.length > max ? await countPushRows(sql, failedOnly) : 0;
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
export async function resendDeliveredPush(
  sql: Sql,
  id: number,
  now: number,
  shop?: string,
  requestKey?: string,
): Promise<{ push: PushSummary; created: boolean }> {
  const row = await getPush(sql, id);
  if (!row || (shop && row.shop !== shop)) throw new PushActionError(`push ${id} not found`, "not_found");
  if (row.status !== "delivered") throw new PushActionError(`push ${id} is ${row.status}: only a delivered push can be resent`, "not_delivered");
  if (row.redacted_at !== null || row.params === null) throw new PushActionError(`push ${id} cannot be resent: the customer's data was erased`, "redacted");
  const stored = await storeResend(sql, row, now, requestKey);
  return { push: summarizePush((await getPush(sql, stored.id))!), created: stored.created };
}
