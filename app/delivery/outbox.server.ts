import { randomUUID } from "node:crypto";
import type { Sql } from "../db/database.server";
import type { PushDraft } from "../pushes/plan";
import { SKIP_REASONS } from "../pushes/skip-reasons";

// The outbox: pushes are rows; their status moves queued -> sending -> delivered | retrying | failed,
// or is skipped / cancelled. Unique (shop, business_key) makes "one receipt per order" a database fact.

export const PUSH_STATUSES = ["queued", "sending", "delivered", "retrying", "failed", "skipped", "cancelled"] as const;
export type PushStatus = (typeof PUSH_STATUSES)[number];
/** Statuses of a push that is still going to be sent. */
export const PENDING_STATUSES: readonly PushStatus[] = ["queued", "retrying"];

export interface PushRow {
  id: number;
  shop: string;
  topic: string;
  business_key: string;
  idempotency_key: string;
  status: PushStatus;
  reason: string | null;
  order_gid: string | null;
  order_name: string | null;
  fulfillment_gid: string | null;
  tracking_status: string | null;
  customer_gid: string | null;
  recipient_kind: string | null;
  recipient_value: string | null;
  recipient_provisional: number;
  params: string | null;
  product_gids: string | null;
  body: string | null;
  test: number;
  webhook_id: string | null;
  resend_of: number | null;
  due_at: number;
  attempts: number;
  locked_until: number | null;
  first_attempt_at: number | null;
  last_http_status: number | null;
  last_error: string | null;
  recipient_id: string | null;
  delivered_at: number | null;
  redacted_at: number | null;
  created_at: number;
  updated_at: number;
}

export const PUSH_COLUMNS =
  "id, shop, topic, business_key, idempotency_key, status, reason, order_gid, order_name, fulfillment_gid, tracking_status, customer_gid, recipient_kind, recipient_value, recipient_provisional, params, product_gids, body, test, webhook_id, resend_of, due_at, attempts, locked_until, first_attempt_at, last_http_status, last_error, recipient_id, delivered_at, redacted_at, created_at, updated_at";

const INSERT_COLUMNS = [
  "shop",
  "topic",
  "business_key",
  "idempotency_key",
  "status",
  "reason",
  "order_gid",
  "order_name",
  "fulfillment_gid",
  "tracking_status",
  "customer_gid",
  "recipient_kind",
  "recipient_value",
  "recipient_provisional",
  "params",
  "product_gids",
  "test",
  "webhook_id",
  "resend_of",
  "due_at",
  "created_at",
  "updated_at",
] as const;

const INSERT_PUSH_SQL = `INSERT INTO push (${INSERT_COLUMNS.join(", ")}) VALUES (${INSERT_COLUMNS.map(() => "?").join(", ")})
  ON CONFLICT (shop, business_key) DO NOTHING RETURNING id, status, due_at`;

export interface StoredPush {
  id: number;
  status: PushStatus;
  dueAt: number;
  duplicate: boolean;
}

function insertValues(shop: string, draft: PushDraft, key: string, status: PushStatus, reason: string | null, webhookId: string | null, now: number, resendOf: number | null) {
  return [
    shop,
    draft.topic,
    key,
    randomUUID(),
    status,
    reason,
    draft.orderGid,
    draft.orderName,
    draft.fulfillmentGid,
    draft.trackingStatus,
    draft.customerGid,
    draft.recipient?.kind ?? null,
    draft.recipient?.value ?? null,
    draft.recipientProvisional,
    JSON.stringify(draft.params),
    JSON.stringify(draft.productGids),
    draft.test,
    webhookId,
    resendOf,
    draft.dueAt,
    now,
    now,
  ];
}

/**
 * Stores a planned push. When its business key is taken (the push exists already), the attempt is still
 * recorded, as a skipped push with the reason "duplicate" under a key of its own.
 */
export async function storePush(
  sql: Sql,
  shop: string,
  draft: PushDraft,
  webhookId: string | null,
  now: number,
  overrideReason: string | null = null,
): Promise<StoredPush> {
  const reason = overrideReason ?? draft.skipReason;
  const status: PushStatus = reason ? "skipped" : "queued";
  const key = overrideReason ? `${draft.businessKey}#${webhookId ?? randomUUID()}` : draft.businessKey;
  const rows = await sql.all<{ id: number; status: PushStatus; due_at: number }>(
    INSERT_PUSH_SQL,
    insertValues(shop, draft, key, status, reason, webhookId, now, null),
  );
  if (rows.length > 0) return { id: rows[0].id, status: rows[0].status, dueAt: Number(rows[0].due_at), duplicate: false };
  if (overrideReason) throw new Error(`push ${key} of ${shop} could not be recorded`);
  const dup = await storePush(sql, shop, draft, webhookId, now, SKIP_REASONS.duplicate);
  return { ...dup, duplicate: true };
}

/** A merchant's explicit resend: a new push with a fresh key, never a duplicate of the original. */
export async function storeResend(sql: Sql, original: PushRow, now: number): Promise<number> {
  const key = `${original.business_key}#resend:${randomUUID()}`;
  const rows = await sql.all<{ id: number }>(
    `INSERT INTO push (shop, topic, business_key, idempotency_key, status, order_gid, order_name, fulfillment_gid, tracking_status,
       customer_gid, recipient_kind, recipient_value, recipient_provisional, params, product_gids, test, resend_of, due_at, created_at, updated_at)
     SELECT shop, topic, ?, ?, 'queued', order_gid, order_name, fulfillment_gid, tracking_status, customer_gid, recipient_kind,
       recipient_value, recipient_provisional, params, product_gids, test, id, ?, ?, ? FROM push WHERE id = ? RETURNING id`,
    [key, randomUUID(), now, now, now, original.id],
  );
  return rows[0].id;
}

export async function getPush(sql: Sql, id: number): Promise<PushRow | undefined> {
  return sql.get<PushRow>(`SELECT ${PUSH_COLUMNS} FROM push WHERE id = ?`, [id]);
}

/** Cancels the order's unpaid reminder while it has not gone out. */
export async function cancelUnpaidReminder(sql: Sql, shop: string, orderGid: string, reason: string, now: number): Promise<number> {
  const { changes } = await sql.run(
    `UPDATE push SET status = 'cancelled', reason = ?, updated_at = ?
     WHERE shop = ? AND business_key = ? AND status IN ('queued', 'retrying')`,
    [reason, now, shop, `unpaid:${orderGid}`],
  );
  return changes;
}

/** Claims up to `limit` due pushes for sending: one conditional update, so no push is claimed twice. */
export async function claimDuePushes(sql: Sql, now: number, limit: number, leaseMs: number): Promise<PushRow[]> {
  const rows = await sql.all<PushRow>(
    `UPDATE push SET status = 'sending', locked_until = ?, attempts = attempts + 1,
       first_attempt_at = COALESCE(first_attempt_at, ?), updated_at = ?
     WHERE id IN (SELECT id FROM push WHERE status IN ('queued', 'retrying') AND due_at <= ? ORDER BY due_at, id LIMIT ?)
       AND status IN ('queued', 'retrying')
     RETURNING ${PUSH_COLUMNS}`,
    [now + leaseMs, now, now, now, limit],
  );
  return rows.map(normalizePushRow);
}

/** When the next queued push falls due, or null when none waits. */
export async function nextDueAt(sql: Sql): Promise<number | null> {
  const row = await sql.get<{ due: number | null }>(
    "SELECT MIN(due_at) AS due FROM push WHERE status IN ('queued', 'retrying')",
  );
  return row?.due === null || row?.due === undefined ? null : Number(row.due);
}

/**
 * Puts back pushes whose sender stopped before JoinChat answered (a crash, a kill): their lease ran out, or
 * (`all`) this process is the only sender. The lost attempt is recorded; the Idempotency-Key stays, so a
 * push JoinChat did receive is not delivered twice.
 */
export async function releaseStalledPushes(sql: Sql, now: number, all = false): Promise<number> {
  const stalled = await sql.all<{ id: number; attempts: number; locked_until: number | null }>(
    `SELECT id, attempts, locked_until FROM push WHERE status = 'sending'${all ? "" : " AND locked_until < ?"}`,
    all ? [] : [now],
  );
  for (const push of stalled) {
    await sql.run(
      `INSERT INTO push_attempt (push_id, number, started_at, duration_ms, http_status, outcome, answer, error)
       VALUES (?, ?, ?, 0, NULL, 'interrupted', NULL, 'the sender stopped before JoinChat answered')
       ON CONFLICT (push_id, number) DO NOTHING`,
      [push.id, push.attempts, now],
    );
    await sql.run(
      `UPDATE push SET status = 'retrying', due_at = ?, locked_until = NULL, updated_at = ? WHERE id = ? AND status = 'sending'`,
      [now, now, push.id],
    );
  }
  return stalled.length;
}

/** SQLite and PostgreSQL hand back BIGINT columns differently; the app works with numbers. */
export function normalizePushRow(row: PushRow): PushRow {
  for (const key of ["due_at", "locked_until", "first_attempt_at", "delivered_at", "redacted_at", "created_at", "updated_at"] as const) {
    const v = row[key];
    if (v !== null && typeof v !== "number") (row as unknown as Record<string, unknown>)[key] = Number(v);
  }
  return row;
}
