import { randomUUID } from "node:crypto";
import type { Sql } from "../db/database.server";
import type { PushDraft } from "../pushes/plan";
import { SKIP_REASONS } from "../pushes/skip-reasons";
import type { ShopCapacity } from "./worker.server";

// The outbox: pushes are rows; their status moves queued -> sending -> delivered | retrying | failed,
// or is skipped / cancelled. Unique (shop, business_key) makes "one receipt per order" a database fact.

import { PUSH_STATUSES, type PushStatus } from "./push-status";
export { PUSH_STATUSES, type PushStatus };
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
/**
 * Stores a merchant's resend of `original` as a new push with its own keys. A `requestKey` (the caller's id of the
 * request, sent again when the request is repeated) makes it once only: the same key finds the push already
 * stored instead of a second one. Returns the push and whether this call created it.
 */
export async function storeResend(sql: Sql, original: PushRow, now: number, requestKey?: string): Promise<{ id: number; created: boolean }> {
  const key = `${original.business_key}#resend:${requestKey ?? randomUUID()}`;
  const rows = await sql.all<{ id: number }>(
    `INSERT INTO push (shop, topic, business_key, idempotency_key, status, order_gid, order_name, fulfillment_gid, tracking_status,
       customer_gid, recipient_kind, recipient_value, recipient_provisional, params, product_gids, test, resend_of, due_at, created_at, updated_at)
     SELECT shop, topic, ?, ?, 'queued', order_gid, order_name, fulfillment_gid, tracking_status, customer_gid, recipient_kind,
       recipient_value, recipient_provisional, params, product_gids, test, id, ?, ?, ? FROM push WHERE id = ?
     ON CONFLICT (shop, business_key) DO NOTHING RETURNING id`,
    [key, randomUUID(), now, now, now, original.id],
  );
  if (rows[0]) return { id: rows[0].id, created: true };
  const existing = await sql.get<{ id: number }>("SELECT id FROM push WHERE shop = ? AND business_key = ?", [original.shop, key]);
  if (!existing) throw new Error(`resend of push ${original.id} was neither stored nor found`);
  return { id: existing.id, created: false };
}

export async function getPush(sql: Sql, id: number): Promise<PushRow | undefined> {
  return sql.get<PushRow>(`SELECT ${PUSH_COLUMNS} FROM push WHERE id = ?`, [id]);
}

/** Cancels the order's unpaid reminder while it has not gone out; returns it (for its queued job to be removed). */
export async function cancelUnpaidReminder(sql: Sql, shop: string, orderGid: string, reason: string, now: number): Promise<PushRef[]> {
  return sql.all<PushRef>(
    `UPDATE push SET status = 'cancelled', reason = ?, updated_at = ?
     WHERE shop = ? AND business_key = ? AND status IN ('queued', 'retrying') RETURNING id, attempts`,
    [reason, now, shop, `unpaid:${orderGid}`],
  );
}

/**
 * Row locks for a claim on PostgreSQL, where several processes claim at once: each takes rows nobody else is
 * claiming instead of waiting for them. SQLite has one writer at a time and no such clause.
 */
function skipLocked(sql: Sql): string {
  return sql.kind === "postgres" ? " FOR UPDATE SKIP LOCKED" : "";
}

/**
 * Claims up to `limit` due pushes for sending: one conditional update, so no push is claimed twice. With a
 * `capacity`, no shop gets more pushes in flight than `perShop` (counting those it has already): the due pushes
 * are read first (passing over the shops at their limit), picked shop by shop, then claimed. Run it in a
 * transaction on PostgreSQL, so that the rows read stay locked until they are claimed.
 */
export async function claimDuePushes(sql: Sql, now: number, limit: number, leaseMs: number, capacity?: ShopCapacity): Promise<PushRow[]> {
  const claim = `UPDATE push SET status = 'sending', locked_until = ?, attempts = attempts + 1,
       first_attempt_at = COALESCE(first_attempt_at, ?), updated_at = ?`;
  if (!capacity) {
    const rows = await sql.all<PushRow>(
      `${claim}
     WHERE id IN (SELECT id FROM push WHERE status IN ('queued', 'retrying') AND due_at <= ? ORDER BY due_at, id LIMIT ?${skipLocked(sql)})
       AND status IN ('queued', 'retrying')
     RETURNING ${PUSH_COLUMNS}`,
      [now + leaseMs, now, now, now, limit],
    );
    return rows.map(normalizePushRow);
  }
  const full = [...capacity.busy].filter(([, n]) => n >= capacity.perShop).map(([shop]) => shop);
  const candidates = await sql.all<{ id: number; shop: string }>(
    `SELECT id, shop FROM push WHERE status IN ('queued', 'retrying') AND due_at <= ?${full.length > 0 ? ` AND shop NOT IN (${full.map(() => "?").join(", ")})` : ""}
     ORDER BY due_at, id LIMIT ?${skipLocked(sql)}`,
    [now, ...full, limit * 4],
  );
  const taken = new Map(capacity.busy);
  const ids: number[] = [];
  for (const { id, shop } of candidates) {
    if (ids.length >= limit) break;
    const busy = taken.get(shop) ?? 0;
    if (busy >= capacity.perShop) continue;
    taken.set(shop, busy + 1);
    ids.push(id);
  }
  if (ids.length === 0) return [];
  const rows = await sql.all<PushRow>(
    `${claim}
     WHERE id IN (${ids.map(() => "?").join(", ")}) AND status IN ('queued', 'retrying') AND due_at <= ?
     RETURNING ${PUSH_COLUMNS}`,
    [now + leaseMs, now, now, ...ids, now],
  );
  return rows.map(normalizePushRow).sort((a, b) => Number(a.due_at) - Number(b.due_at) || a.id - b.id);
}

/** What a job for one push (BullMQ) found when it tried to claim it. */
export type PushClaim =
  | { kind: "claimed"; push: PushRow }
  /** Deleted meanwhile (shop/redact). */
  | { kind: "gone" }
  /** Delivered, failed, skipped or cancelled: nothing left to do. */
  | { kind: "settled"; status: PushStatus }
  /** The job is of another attempt than the push's next one: another job carries the push. */
  | { kind: "stale"; attempts: number }
  /** Not due yet (the job ran early, or the push was rescheduled). */
  | { kind: "early"; dueAt: number }
  /** Being sent by a claim of this attempt: its sender is alive (lease running) or gone (lease ran out). */
  | { kind: "in-flight"; lockedUntil: number; expired: boolean; attempts: number };

/**
 * Claims one push for the job of its attempt number `attempt` (the attempts made before it): the same
 * conditional update as claimDuePushes, so with any number of workers and duplicate jobs one claim wins.
 */
export async function claimPush(sql: Sql, id: number, attempt: number, now: number, leaseMs: number): Promise<PushClaim> {
  const rows = await sql.all<PushRow>(
    `UPDATE push SET status = 'sending', locked_until = ?, attempts = attempts + 1,
       first_attempt_at = COALESCE(first_attempt_at, ?), updated_at = ?
     WHERE id = ? AND attempts = ? AND status IN ('queued', 'retrying') AND due_at <= ?
     RETURNING ${PUSH_COLUMNS}`,
    [now + leaseMs, now, now, id, attempt, now],
  );
  if (rows.length > 0) return { kind: "claimed", push: normalizePushRow(rows[0]) };
  const row = await sql.get<{ status: PushStatus; attempts: number; due_at: number; locked_until: number | null }>(
    "SELECT status, attempts, due_at, locked_until FROM push WHERE id = ?",
    [id],
  );
  if (!row) return { kind: "gone" };
  if ((PENDING_STATUSES as readonly string[]).includes(row.status)) {
    return row.attempts === attempt ? { kind: "early", dueAt: Number(row.due_at) } : { kind: "stale", attempts: row.attempts };
  }
  if (row.status === "sending") {
    if (row.attempts !== attempt + 1) return { kind: "stale", attempts: row.attempts };
    const lockedUntil = Number(row.locked_until ?? 0);
    return { kind: "in-flight", lockedUntil, expired: lockedUntil < now, attempts: row.attempts };
  }
  return { kind: "settled", status: row.status };
}

/** A push whose job must be added (or removed): its id, and the attempts made before the job's. */
export interface PushRef {
  id: number;
  attempts: number;
}

/** A push waiting to be sent: its job runs at dueAt. */
export interface QueuedPushRef extends PushRef {
  shop: string;
  dueAt: number;
}

/** A push's next job, as the row says now: null when nothing is left to send. */
export async function nextJobOf(sql: Sql, id: number): Promise<QueuedPushRef | null> {
  const row = await sql.get<{ shop: string; status: PushStatus; attempts: number; due_at: number }>("SELECT shop, status, attempts, due_at FROM push WHERE id = ?", [id]);
  if (!row || !(PENDING_STATUSES as readonly string[]).includes(row.status)) return null;
  return { id, shop: row.shop, attempts: row.attempts, dueAt: Number(row.due_at) };
}

/**
 * Pending pushes due by `before`, oldest first, after `afterId` (keyset pages): what a lost job may have carried.
 */
export async function duePendingPushes(sql: Sql, before: number, limit: number, after?: { dueAt: number; id: number }): Promise<QueuedPushRef[]> {
  const rows = await sql.all<{ id: number; shop: string; attempts: number; due_at: number }>(
    `SELECT id, shop, attempts, due_at FROM push WHERE status IN ('queued', 'retrying') AND due_at <= ?${after ? " AND (due_at > ? OR (due_at = ? AND id > ?))" : ""}
     ORDER BY due_at, id LIMIT ?`,
    after ? [before, after.dueAt, after.dueAt, after.id, limit] : [before, limit],
  );
  return rows.map((r) => ({ id: r.id, shop: r.shop, attempts: r.attempts, dueAt: Number(r.due_at) }));
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
  for (const push of stalled) await releasePush(sql, push, now);
  return stalled.length;
}

/**
 * Puts one push back for another attempt, due now, while the claim `push.attempts` holds it: its sender stopped
 * (the lease ran out), or is stopping (a shutdown that could not wait). The attempt is recorded as interrupted.
 * True when it was put back; false when the claim had ended meanwhile.
 */
export async function releasePush(sql: Sql, push: PushRef, now: number): Promise<boolean> {
  await sql.run(
    `INSERT INTO push_attempt (push_id, number, started_at, duration_ms, http_status, outcome, answer, error)
     SELECT id, attempts, ?, 0, NULL, 'interrupted', NULL, 'the sender stopped before JoinChat answered' FROM push
     WHERE id = ? AND status = 'sending' AND attempts = ?
     ON CONFLICT (push_id, number) DO NOTHING`,
    [now, push.id, push.attempts],
  );
  // Only the claim that was seen: with several processes, the push may have been released and claimed again.
  const { changes } = await sql.run(
    `UPDATE push SET status = 'retrying', due_at = ?, locked_until = NULL, updated_at = ? WHERE id = ? AND status = 'sending' AND attempts = ?`,
    [now, now, push.id, push.attempts],
  );
  return changes > 0;
}

/** SQLite and PostgreSQL hand back BIGINT columns differently; the app works with numbers. */
export function normalizePushRow(row: PushRow): PushRow {
  for (const key of ["due_at", "locked_until", "first_attempt_at", "delivered_at", "redacted_at", "created_at", "updated_at"] as const) {
    const v = row[key];
    if (v !== null && typeof v !== "number") (row as unknown as Record<string, unknown>)[key] = Number(v);
  }
  return row;
}
