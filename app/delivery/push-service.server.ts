import { randomUUID } from "node:crypto";
import type { Sql } from "../db/database.server";
import { maskRecipient } from "../pushes/recipient";
import type { RecipientKind } from "../pushes/types";
import { getPush, normalizePushRow, PUSH_COLUMNS, PUSH_STATUSES, storeResend, type PushRow, type PushStatus } from "./outbox.server";

// What merchants and operators do with pushes (the CLI now, the admin later): list, look, retry, resend.

export class PushActionError extends Error {
  name = "PushActionError";
}

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

/** Pushes of a shop, newest first. */
export async function listPushes(sql: Sql, filter: PushFilter): Promise<PushSummary[]> {
  const { where, params } = whereOf(filter);
  const limit = Math.min(Math.max(filter.limit ?? 50, 1), 500);
  const rows = await sql.all<PushRow>(
    `SELECT ${PUSH_COLUMNS} FROM push WHERE ${where}${filter.beforeId ? " AND id < ?" : ""} ORDER BY id DESC LIMIT ?`,
    [...params, ...(filter.beforeId ? [filter.beforeId] : []), limit],
  );
  return rows.map((r) => summarizePush(normalizePushRow(r)));
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
  if (!row || (shop && row.shop !== shop)) throw new PushActionError(`push ${id} not found`);
  if (row.status !== "failed") throw new PushActionError(`push ${id} is ${row.status}: only a failed push can be retried`);
  if (row.redacted_at !== null) throw new PushActionError(`push ${id} cannot be retried: the customer's data was erased`);
  const last = await sql.get<{ outcome: string }>("SELECT outcome FROM push_attempt WHERE push_id = ? ORDER BY number DESC LIMIT 1", [id]);
  const refusedForGood = last?.outcome === "failed" || last === undefined;
  const { changes } = await sql.run(
    `UPDATE push SET status = 'queued', due_at = ?, first_attempt_at = NULL, locked_until = NULL, reason = NULL, updated_at = ?
       ${refusedForGood ? ", idempotency_key = ?, body = NULL" : ""}
     WHERE id = ? AND status = 'failed'`,
    refusedForGood ? [now, now, randomUUID(), id] : [now, now, id],
  );
  if (changes === 0) throw new PushActionError(`push ${id} changed meanwhile; look again`);
  return summarizePush(normalizePushRow((await getPush(sql, id))!));
}

/** A merchant's explicit resend of a push: a new push with its own key. */
export async function resendPush(sql: Sql, id: number, now = Date.now(), shop?: string): Promise<PushSummary> {
  const row = await getPush(sql, id);
  if (!row || (shop && row.shop !== shop)) throw new PushActionError(`push ${id} not found`);
  if (row.redacted_at !== null || row.params === null) throw new PushActionError(`push ${id} cannot be resent: the customer's data was erased`);
  const newId = await storeResend(sql, row, now);
  return summarizePush(normalizePushRow((await getPush(sql, newId))!));
}
