import { randomUUID } from "node:crypto";
import type { Sql } from "../db/database.server";
import type { PushDraft } from "../pushes/plan";
import { PUSH_STATUSES, type PushStatus } from "../pushes/push-status";
import { SKIP_REASONS, type PushReason, type ReasonCode } from "../pushes/reasons";
import { contactSourceOf, type RecipientSource } from "../pushes/recipient";

// The outbox aggregate, tables push and push_attempt: every statement on them, on SQLite and PostgreSQL alike.
// A push's status moves queued -> sending -> delivered | retrying | failed, or it is skipped / cancelled.
// Unique (shop, business_key) makes "one receipt per order" a database fact; push_attempt keeps one row per
// attempt (unique (push_id, number)). The services above (intake, delivery, the push services, the overview, the
// test push, data protection) call these functions and hold no SQL of their own.

/** What a push is: a push of a Shopify order or fulfillment (resends included), or a merchant's test push. */
export type PushKind = "order" | "test";

/** Statuses of a push that is still going to be sent. */
const PENDING_STATUSES: readonly PushStatus[] = ["queued", "retrying"];

export interface PushRow {
  id: number;
  shop: string;
  topic: string;
  business_key: string;
  idempotency_key: string;
  status: PushStatus;
  kind: PushKind;
  /** A stable code (app/pushes/reasons.ts) for a skipped or cancelled push, or one that failed by the app's decision. */
  reason: ReasonCode | null;
  /** The variable part of the reason, when its code has one (the shipment status Shopify sent). */
  reason_detail: string | null;
  order_gid: string | null;
  order_name: string | null;
  fulfillment_gid: string | null;
  tracking_status: string | null;
  customer_gid: string | null;
  recipient_kind: string | null;
  recipient_value: string | null;
  recipient_provisional: number;
  /** How the recipient was found (RecipientSource); null for a test push, or none yet. */
  recipient_source: string | null;
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

const PUSH_COLUMNS =
  "id, shop, topic, business_key, idempotency_key, status, kind, reason, reason_detail, order_gid, order_name, fulfillment_gid, tracking_status, customer_gid, recipient_kind, recipient_value, recipient_provisional, recipient_source, params, product_gids, body, test, webhook_id, resend_of, due_at, attempts, locked_until, first_attempt_at, last_http_status, last_error, recipient_id, delivered_at, redacted_at, created_at, updated_at";

const INSERT_COLUMNS = [
  "shop",
  "topic",
  "business_key",
  "idempotency_key",
  "status",
  "reason",
  "reason_detail",
  "order_gid",
  "order_name",
  "fulfillment_gid",
  "tracking_status",
  "customer_gid",
  "recipient_kind",
  "recipient_value",
  "recipient_provisional",
  "recipient_source",
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

function insertValues(
  shop: string,
  draft: PushDraft,
  key: string,
  status: PushStatus,
  reason: PushReason | null,
  webhookId: string | null,
  now: number,
  resendOf: number | null,
) {
  return [
    shop,
    draft.topic,
    key,
    randomUUID(),
    status,
    reason?.code ?? null,
    reason?.detail ?? null,
    draft.orderGid,
    draft.orderName,
    draft.fulfillmentGid,
    draft.trackingStatus,
    draft.customerGid,
    draft.recipient?.kind ?? null,
    draft.recipient?.value ?? null,
    draft.recipientProvisional,
    draft.recipientSource ?? (draft.recipient ? contactSourceOf(draft.recipient.kind) : null),
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
 * Stores a planned push (skipped with `overrideReason` when given, else with the draft's skip reason, if any). When its
 * business key is taken (the push exists already), the attempt is still recorded, as a skipped push with the reason
 * "duplicate" under a key of its own.
 */
export async function storePush(
  sql: Sql,
  shop: string,
  draft: PushDraft,
  webhookId: string | null,
  now: number,
  overrideReason: PushReason | null = null,
): Promise<StoredPush> {
  const reason = overrideReason ?? (draft.skipReason ? { code: draft.skipReason } : null);
  const status: PushStatus = reason ? "skipped" : "queued";
  const key = overrideReason ? `${draft.businessKey}#${webhookId ?? randomUUID()}` : draft.businessKey;
  const rows = await sql.all<{ id: number; status: PushStatus; due_at: number }>(
    INSERT_PUSH_SQL,
    insertValues(shop, draft, key, status, reason, webhookId, now, null),
  );
  if (rows.length > 0) return { id: rows[0].id, status: rows[0].status, dueAt: Number(rows[0].due_at), duplicate: false };
  if (overrideReason) throw new Error(`push ${key} of ${shop} could not be recorded`);
  const dup = await storePush(sql, shop, draft, webhookId, now, { code: SKIP_REASONS.duplicate });
  return { ...dup, duplicate: true };
}

/**
 * Stores a merchant's resend of `original` as a new push with its own keys. A `requestKey` (the caller's id of the
 * request, sent again when the request is repeated) makes it once only: the same key finds the push already
 * stored instead of a second one. Returns the push and whether this call created it.
 */
export async function storeResend(sql: Sql, original: PushRow, now: number, requestKey?: string): Promise<{ id: number; created: boolean }> {
  const key = `${original.business_key}#resend:${requestKey ?? randomUUID()}`;
  const rows = await sql.all<{ id: number }>(
    `INSERT INTO push (shop, topic, business_key, idempotency_key, status, order_gid, order_name, fulfillment_gid, tracking_status,
       customer_gid, recipient_kind, recipient_value, recipient_provisional, recipient_source, params, product_gids, test, kind, resend_of, due_at, created_at, updated_at)
     SELECT shop, topic, ?, ?, 'queued', order_gid, order_name, fulfillment_gid, tracking_status, customer_gid, recipient_kind,
       recipient_value, recipient_provisional, recipient_source, params, product_gids, test, kind, id, ?, ?, ? FROM push WHERE id = ?
     ON CONFLICT (shop, business_key) DO NOTHING RETURNING id`,
    [key, randomUUID(), now, now, now, original.id],
  );
  if (rows[0]) return { id: rows[0].id, created: true };
  const existing = await sql.get<{ id: number }>("SELECT id FROM push WHERE shop = ? AND business_key = ?", [original.shop, key]);
  if (!existing) throw new Error(`resend of push ${original.id} was neither stored nor found`);
  return { id: existing.id, created: false };
}

export async function getPush(sql: Sql, id: number): Promise<PushRow | undefined> {
  const row = await sql.get<PushRow>(`SELECT ${PUSH_COLUMNS} FROM push WHERE id = ?`, [id]);
  return row ? normalizePushRow(row) : undefined;
}

/** Cancels the order's unpaid reminder while it has not gone out; returns it (for its queued job to be removed). */
export async function cancelUnpaidReminder(sql: Sql, shop: string, orderGid: string, reason: ReasonCode, now: number): Promise<PushRef[]> {
  return sql.all<PushRef>(
    `UPDATE push SET status = 'cancelled', reason = ?, reason_detail = NULL, updated_at = ?
     WHERE shop = ? AND business_key = ? AND status IN ('queued', 'retrying') RETURNING id, attempts`,
    [reason, now, shop, `unpaid:${orderGid}`],
  );
}

/**
 * A PSID was just bound to the order (decision 023): its pushes that JoinChat refused with 10010 "Recipient not
 * found" are queued again at once to the PSID, under a new Idempotency-Key (nothing was delivered under the old
 * one), and those still waiting are addressed to it (a retrying one due at once, under a new key, since its body
 * named another recipient; a queued one keeps its time). Conditional updates: a push another bind took already is
 * not taken again. The pushes due now, for the scheduler port.
 */
export async function readdressPushesOfOrder(
  sql: Sql,
  shop: string,
  orderGid: string,
  psid: string,
  now: number,
): Promise<{ queued: QueuedPushRef[]; replacedJobs: PushRef[] }> {
  const waiting = `shop = ? AND order_gid = ? AND kind = 'order' AND redacted_at IS NULL
       AND ((status = 'failed' AND last_error LIKE '10010%') OR (status = 'retrying' AND NOT (recipient_kind = 'id' AND recipient_value = ?)))`;
  const candidates = await sql.all<{ id: number; status: PushStatus; attempts: number }>(`SELECT id, status, attempts FROM push WHERE ${waiting} ORDER BY id`, [
    shop,
    orderGid,
    psid,
  ]);
  const again: QueuedPushRef[] = [];
  const replacedJobs: PushRef[] = [];
  for (const { id, status, attempts } of candidates) {
    // Each its own key (unique); the condition again, so that a push another bind took is not taken twice.
    const rows = await sql.all<{ id: number; shop: string; attempts: number; due_at: number }>(
      `UPDATE push SET status = 'queued', due_at = ?, first_attempt_at = NULL, locked_until = NULL, reason = NULL, reason_detail = NULL,
         idempotency_key = ?, body = NULL, recipient_kind = 'id', recipient_value = ?, recipient_provisional = 0, recipient_source = 'binding', updated_at = ?
       WHERE id = ? AND ${waiting}
       RETURNING id, shop, attempts, due_at`,
      [now, randomUUID(), psid, now, id, shop, orderGid, psid],
    );
    for (const r of rows) again.push({ id: r.id, shop: r.shop, attempts: r.attempts, dueAt: Number(r.due_at) });
    // A retrying push's job waits for its old time: it goes, the new one comes due now.
    if (rows.length > 0 && status === "retrying") replacedJobs.push({ id, attempts });
  }
  await sql.run(
    `UPDATE push SET recipient_kind = 'id', recipient_value = ?, recipient_provisional = 0, recipient_source = 'binding', updated_at = ?
     WHERE shop = ? AND order_gid = ? AND kind = 'order' AND status = 'queued' AND body IS NULL AND redacted_at IS NULL`,
    [psid, now, shop, orderGid],
  );
  return { queued: again, replacedJobs };
}

/** Cancels the order's pushes still waiting to be sent (the buyer stopped Messenger updates). */
export async function cancelWaitingPushesOfOrder(sql: Sql, shop: string, orderGid: string, reason: ReasonCode, now: number): Promise<PushRef[]> {
  return sql.all<PushRef>(
    `UPDATE push SET status = 'cancelled', reason = ?, reason_detail = NULL, updated_at = ?
     WHERE shop = ? AND order_gid = ? AND status IN ('queued', 'retrying') RETURNING id, attempts`,
    [reason, now, shop, orderGid],
  );
}

/**
 * How many pushes of each shop the claiming process is sending, and how many one shop may have at once: `perShop`
 * (DELIVERY_SHOP_CONCURRENCY, unset: no fixed limit) and, for shops JoinChat is pushing back on, a lower limit for
 * now (`limits`; 0: none of that shop's pushes now).
 */
export interface ShopCapacity {
  perShop?: number;
  busy: ReadonlyMap<string, number>;
  limits?: ReadonlyMap<string, number>;
}

/**
 * Row locks for a claim on PostgreSQL, where several processes claim at once: each takes rows nobody else is
 * claiming instead of waiting for them. SQLite has one writer at a time and no such clause.
 */
function skipLocked(sql: Sql): string {
  return sql.kind === "postgres" ? " FOR UPDATE SKIP LOCKED" : "";
}

/**
 * A fulfillment's package updates reach JoinChat one at a time, in the order they were planned: an update is not
 * claimed while an earlier one of the same fulfillment is being sent, or is due (it is claimed first). Otherwise an
 * earlier update that passed its "not backwards" check (deliverPush) could still be on its way when the later one is
 * sent, and the buyer would read "delivered", then "in transit". An earlier update that is claimed after a later one
 * was planned finds the later status and is skipped. One `?`: the claim's now.
 */
const NOT_BEHIND_AN_EARLIER_UPDATE = `(push.topic <> 'package/update' OR push.fulfillment_gid IS NULL OR NOT EXISTS (
       SELECT 1 FROM push earlier WHERE earlier.shop = push.shop AND earlier.fulfillment_gid = push.fulfillment_gid
         AND earlier.topic = 'package/update' AND earlier.id < push.id
         AND (earlier.status = 'sending' OR (earlier.status IN ('queued', 'retrying') AND earlier.due_at <= ?))))`;

/** How many rounds a claim on PostgreSQL passes over rows other processes hold before it settles for what it has. */
const CLAIM_ROUNDS = 8;

/**
 * Claims up to `limit` due pushes for sending: one conditional update, so no push is claimed twice. With a
 * `capacity`, the claim is fair across shops (docs/decisions/015-delivery-at-flash-sale-speed.md): it reads each
 * shop's due pushes in order (a window per shop), then gives each next slot to the shop with the fewest pushes in
 * flight and taken so far, so a shop alone takes every slot and a small shop's push is next whatever another's
 * backlog; no shop gets more than its limit. On PostgreSQL the rows another process is claiming are passed over
 * (SKIP LOCKED) and the claim picks again without them.
 */
export async function claimDuePushes(sql: Sql, now: number, limit: number, leaseMs: number, capacity?: ShopCapacity): Promise<PushRow[]> {
  const claim = `UPDATE push SET status = 'sending', locked_until = ?, attempts = attempts + 1,
       first_attempt_at = COALESCE(first_attempt_at, ?), updated_at = ?`;
  if (!capacity) {
    const rows = await sql.all<PushRow>(
      `${claim}
     WHERE id IN (SELECT id FROM push WHERE status IN ('queued', 'retrying') AND due_at <= ? AND ${NOT_BEHIND_AN_EARLIER_UPDATE}
       ORDER BY due_at, id LIMIT ?${skipLocked(sql)})
       AND status IN ('queued', 'retrying')
     RETURNING ${PUSH_COLUMNS}`,
      [now + leaseMs, now, now, now, now, limit],
    );
    return rows.map(normalizePushRow);
  }
  const taken = new Map(capacity.busy);
  const claimed: PushRow[] = [];
  const passedOver: number[] = [];
  for (let round = 0; round < CLAIM_ROUNDS && claimed.length < limit; round++) {
    const ids = await pickFairly(sql, now, limit - claimed.length, capacity, taken, passedOver);
    if (ids.length === 0) break;
    const rows = await sql.all<PushRow>(
      `${claim}
     WHERE id IN (SELECT id FROM push WHERE id IN (${ids.map(() => "?").join(", ")}) AND status IN ('queued', 'retrying') AND due_at <= ?
       AND ${NOT_BEHIND_AN_EARLIER_UPDATE}${skipLocked(sql)})
       AND status IN ('queued', 'retrying')
     RETURNING ${PUSH_COLUMNS}`,
      [now + leaseMs, now, now, ...ids, now, now],
    );
    const got = new Set<number>();
    for (const row of rows) {
      got.add(row.id);
      claimed.push(normalizePushRow(row));
    }
    // SQLite has one writer: what it picked it claimed. PostgreSQL: another process holds the rows it did not get.
    if (sql.kind !== "postgres" || got.size === ids.length) break;
    for (const id of ids) {
      if (got.has(id)) continue;
      passedOver.push(id);
    }
    for (const row of rows) taken.set(row.shop, (taken.get(row.shop) ?? 0) + 1);
  }
  return claimed.sort((a, b) => Number(a.due_at) - Number(b.due_at) || a.id - b.id);
}

/** The ids to claim next, shop by shop (see claimDuePushes); `taken` counts each shop's pushes in flight and picked. */
async function pickFairly(
  sql: Sql,
  now: number,
  limit: number,
  capacity: ShopCapacity,
  taken: ReadonlyMap<string, number>,
  passedOver: number[],
): Promise<number[]> {
  const limitOf = (shop: string) => Math.min(capacity.perShop ?? Infinity, capacity.limits?.get(shop) ?? Infinity);
  const full = [...new Set([...taken.keys(), ...(capacity.limits?.keys() ?? [])])].filter((shop) => (taken.get(shop) ?? 0) >= limitOf(shop));
  let busyTotal = 0;
  for (const n of taken.values()) busyTotal += n;
  // Each shop's due pushes numbered in order (rank 1 is its next): read by rank, `limit + busyTotal` rows hold every
  // push the fair pick below can choose.
  const rows = await sql.all<{ id: number; shop: string }>(
    `SELECT id, shop FROM (
       SELECT id, shop, due_at, ROW_NUMBER() OVER (PARTITION BY shop ORDER BY due_at, id) AS rank FROM push
       WHERE status IN ('queued', 'retrying') AND due_at <= ? AND ${NOT_BEHIND_AN_EARLIER_UPDATE}${full.length > 0 ? ` AND shop NOT IN (${full.map(() => "?").join(", ")})` : ""}${
         passedOver.length > 0 ? ` AND id NOT IN (${passedOver.map(() => "?").join(", ")})` : ""
       }
     ) AS due WHERE rank <= ? ORDER BY rank, due_at, id LIMIT ?`,
    [now, now, ...full, ...passedOver, limit, limit + busyTotal],
  );
  const queues = new Map<string, number[]>();
  for (const { id, shop } of rows) {
    const queue = queues.get(shop);
    if (queue) queue.push(id);
    else queues.set(shop, [id]);
  }
  const load = new Map<string, number>();
  for (const shop of queues.keys()) load.set(shop, taken.get(shop) ?? 0);
  const ids: number[] = [];
  while (ids.length < limit && queues.size > 0) {
    // The shop with the fewest in flight and picked; ties to the one whose next push is oldest (first in `queues`).
    let best: string | null = null;
    for (const shop of queues.keys()) if (best === null || load.get(shop)! < load.get(best)!) best = shop;
    const queue = queues.get(best!)!;
    const n = load.get(best!)!;
    if (n >= limitOf(best!) || queue.length === 0) {
      queues.delete(best!);
      continue;
    }
    ids.push(queue.shift()!);
    load.set(best!, n + 1);
  }
  return ids;
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
  /** Due, but an earlier package update of its fulfillment is being sent or is due: it goes after that one. */
  | { kind: "behind" }
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
     WHERE id = ? AND attempts = ? AND status IN ('queued', 'retrying') AND due_at <= ? AND ${NOT_BEHIND_AN_EARLIER_UPDATE}
     RETURNING ${PUSH_COLUMNS}`,
    [now + leaseMs, now, now, id, attempt, now, now],
  );
  if (rows.length > 0) return { kind: "claimed", push: normalizePushRow(rows[0]) };
  const row = await sql.get<{ status: PushStatus; attempts: number; due_at: number; locked_until: number | null }>(
    "SELECT status, attempts, due_at, locked_until FROM push WHERE id = ?",
    [id],
  );
  if (!row) return { kind: "gone" };
  if ((PENDING_STATUSES as readonly string[]).includes(row.status)) {
    if (row.attempts !== attempt) return { kind: "stale", attempts: row.attempts };
    return Number(row.due_at) <= now ? { kind: "behind" } : { kind: "early", dueAt: Number(row.due_at) };
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
  const row = await sql.get<{ shop: string; status: PushStatus; attempts: number; due_at: number }>(
    "SELECT shop, status, attempts, due_at FROM push WHERE id = ?",
    [id],
  );
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
  const row = await sql.get<{ due: number | null }>("SELECT MIN(due_at) AS due FROM push WHERE status IN ('queued', 'retrying')");
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
function normalizePushRow(row: PushRow): PushRow {
  for (const key of ["due_at", "locked_until", "first_attempt_at", "delivered_at", "redacted_at", "created_at", "updated_at"] as const) {
    const v = row[key];
    if (v !== null && typeof v !== "number") (row as unknown as Record<string, unknown>)[key] = Number(v);
  }
  return row;
}

// ---- Delivery: what one attempt writes ----

/** The exact body settled on the first attempt, and the recipient it was built for. */
/**
 * Settles the body and recipient of a push about to be sent; false (nothing written) when the customer's data was
 * erased meanwhile (customers/redact while it was claimed): the push must not be sent.
 */
export async function savePushBody(
  sql: Sql,
  id: number,
  body: string,
  recipient: { kind: string; value: string; source?: RecipientSource | null },
): Promise<boolean> {
  const result = await sql.run(
    `UPDATE push SET body = ?, recipient_kind = ?, recipient_value = ?, recipient_provisional = 0, recipient_source = COALESCE(?, recipient_source)
     WHERE id = ? AND redacted_at IS NULL`,
    [body, recipient.kind, recipient.value, recipient.source ?? null, id],
  );
  return result.changes > 0;
}

/** A claimed push that ends without an attempt (skipped, or cancelled at send time): the claim's count is undone. */
export async function settleUnsentPush(sql: Sql, id: number, status: "skipped" | "cancelled", reason: ReasonCode, now: number): Promise<void> {
  await sql.run(
    "UPDATE push SET status = ?, reason = ?, reason_detail = NULL, attempts = attempts - 1, locked_until = NULL, updated_at = ? WHERE id = ? AND status = 'sending'",
    [status, reason, now, id],
  );
}

export interface AttemptRecord {
  pushId: number;
  number: number;
  startedAt: number;
  durationMs: number;
  httpStatus: number | null;
  outcome: string;
  answer: string | null;
  error: string | null;
}

/**
 * Records one attempt (once: a second record of the same attempt number changes nothing). JoinChat's answer and the
 * error text are left out when the customer's data was erased while the push was being sent.
 */
export async function recordAttempt(sql: Sql, attempt: AttemptRecord): Promise<void> {
  await sql.run(
    `INSERT INTO push_attempt (push_id, number, started_at, duration_ms, http_status, outcome, answer, error)
     SELECT ?, ?, ?, ?, ?, ?, CASE WHEN redacted_at IS NULL THEN ? END, CASE WHEN redacted_at IS NULL THEN ? END FROM push WHERE id = ?
     ON CONFLICT (push_id, number) DO NOTHING`,
    [attempt.pushId, attempt.number, attempt.startedAt, attempt.durationMs, attempt.httpStatus, attempt.outcome, attempt.answer, attempt.error, attempt.pushId],
  );
}

/**
 * JoinChat has it, whatever happened to the row meanwhile: the truth is recorded (without JoinChat's recipient id when
 * the customer's data was erased while it was being sent).
 */
export async function markPushDelivered(sql: Sql, id: number, recipientId: string | null, httpStatus: number | null, now: number): Promise<void> {
  await sql.run(
    `UPDATE push SET status = 'delivered', recipient_id = CASE WHEN redacted_at IS NULL THEN ? END, delivered_at = ?, last_http_status = ?, last_error = NULL,
       reason = NULL, reason_detail = NULL, locked_until = NULL, updated_at = ? WHERE id = ?`,
    [recipientId, now, httpStatus, now, id],
  );
}

/**
 * The claimed push waits for another attempt at `dueAt`; cancelled instead (customer_data_erased) when the customer's
 * data was erased while it was being sent: there is nothing left to send.
 */
export async function markPushRetrying(sql: Sql, id: number, dueAt: number, httpStatus: number | null, error: string, now: number): Promise<void> {
  await sql.run(
    `UPDATE push SET status = CASE WHEN redacted_at IS NULL THEN 'retrying' ELSE 'cancelled' END,
       reason = CASE WHEN redacted_at IS NULL THEN reason ELSE ? END,
       due_at = ?, last_http_status = ?, last_error = CASE WHEN redacted_at IS NULL THEN ? END, locked_until = NULL, updated_at = ?
     WHERE id = ? AND status = 'sending'`,
    [SKIP_REASONS.customerDataErased, dueAt, httpStatus, error, now, id],
  );
}

/**
 * The claimed push failed for good: `error` is what JoinChat (or the connection) last answered, `reason` the app's
 * decision when it was the app that ended it (no secret, retries given up).
 */
export async function markPushFailed(
  sql: Sql,
  id: number,
  httpStatus: number | null,
  error: string | null,
  reason: PushReason | null,
  now: number,
): Promise<void> {
  await sql.run(
    `UPDATE push SET status = 'failed', last_http_status = ?, last_error = CASE WHEN redacted_at IS NULL THEN ? END, reason = ?, reason_detail = ?,
       locked_until = NULL, updated_at = ?
     WHERE id = ? AND status = 'sending'`,
    [httpStatus, error, reason?.code ?? null, reason?.detail ?? null, now, id],
  );
}

// ---- Intake ----

/** The id of the shop's push under a business key, if there is one. */
export async function findPushIdByKey(sql: Sql, shop: string, businessKey: string): Promise<number | null> {
  const row = await sql.get<{ id: number }>("SELECT id FROM push WHERE shop = ? AND business_key = ?", [shop, businessKey]);
  return row?.id ?? null;
}

/** Cancels every push of the shop that was still to be sent (an uninstall); returns them, for their jobs to go. */
export async function cancelPendingPushesOfShop(sql: Sql, shop: string, reason: ReasonCode, now: number): Promise<PushRef[]> {
  return sql.all<PushRef>(
    `UPDATE push SET status = 'cancelled', reason = ?, reason_detail = NULL, updated_at = ? WHERE shop = ? AND status IN ('queued', 'retrying') RETURNING id, attempts`,
    [reason, now, shop],
  );
}

/**
 * Cancels the order's pushes still to be sent (queued or waiting for a retry; a merchant's test push is never an
 * order's, and `keepTopics` stay: the order's notices). A push being sent is not touched: it finishes and is
 * recorded as it went. Returns them, for their jobs to go.
 */
export async function cancelPendingPushesOfOrder(
  sql: Sql,
  shop: string,
  orderGid: string,
  reason: ReasonCode,
  now: number,
  topics: { keep?: readonly string[]; only?: readonly string[] } = {},
): Promise<PushRef[]> {
  const keep = topics.keep ?? [];
  const only = topics.only ?? [];
  return sql.all<PushRef>(
    `UPDATE push SET status = 'cancelled', reason = ?, reason_detail = NULL, updated_at = ?
     WHERE shop = ? AND order_gid = ? AND status IN ('queued', 'retrying') AND kind <> 'test'${
       keep.length > 0 ? ` AND topic NOT IN (${keep.map(() => "?").join(", ")})` : ""
     }${only.length > 0 ? ` AND topic IN (${only.map(() => "?").join(", ")})` : ""}
     RETURNING id, attempts`,
    [reason, now, shop, orderGid, ...keep, ...only],
  );
}

/**
 * A fulfillment cancelled while its package/updates all still wait, one of them for a retry (JoinChat refused or could
 * not be reached), none being sent nor delivered: the buyer never heard of the parcel, so its updates are cancelled
 * with `reason`. Updates only queued are left: due now, they go before the cancellation (a parcel's updates are sent
 * in order). Returns the pushes cancelled, none when the buyer was told or is being told.
 */
export async function cancelUntoldPackagePushes(sql: Sql, shop: string, fulfillmentGid: string, reason: ReasonCode, now: number): Promise<PushRef[]> {
  return sql.all<PushRef>(
    `UPDATE push SET status = 'cancelled', reason = ?, reason_detail = NULL, updated_at = ?
     WHERE shop = ? AND fulfillment_gid = ? AND topic = 'package/update' AND status IN ('queued', 'retrying') AND kind <> 'test'
       AND NOT EXISTS (SELECT 1 FROM push told WHERE told.shop = ? AND told.fulfillment_gid = ? AND told.topic = 'package/update'
         AND told.status IN ('sending', 'delivered'))
       AND EXISTS (SELECT 1 FROM push refused WHERE refused.shop = ? AND refused.fulfillment_gid = ? AND refused.topic = 'package/update'
         AND refused.status = 'retrying')
     RETURNING id, attempts`,
    [reason, now, shop, fulfillmentGid, shop, fulfillmentGid, shop, fulfillmentGid],
  );
}

/**
 * Whether a fulfillment's parcel is still unannounced at the moment its cancellation is to be sent: an update of it
 * waits (queued, or for a retry) and none was delivered. Sent then, the cancellation would be the first the buyer hears.
 */
export async function isParcelUnannounced(sql: Sql, shop: string, fulfillmentGid: string, exceptId: number): Promise<boolean> {
  const row = await sql.get<{ waiting: number | string | null; told: number | string | null }>(
    `SELECT SUM(CASE WHEN status IN ('queued', 'retrying') THEN 1 ELSE 0 END) AS waiting,
       SUM(CASE WHEN status IN ('sending', 'delivered') THEN 1 ELSE 0 END) AS told
     FROM push WHERE shop = ? AND fulfillment_gid = ? AND topic = 'package/update' AND id <> ? AND kind <> 'test'`,
    [shop, fulfillmentGid, exceptId],
  );
  return Number(row?.waiting ?? 0) > 0 && Number(row?.told ?? 0) === 0;
}

/** How many of the order's pushes of `topic` have one of `statuses`. */
export async function countOrderPushes(sql: Sql, shop: string, orderGid: string, topic: string, statuses: readonly PushStatus[]): Promise<number> {
  const row = await sql.get<{ n: number | string }>(
    `SELECT COUNT(*) AS n FROM push WHERE shop = ? AND order_gid = ? AND topic = ? AND status IN (${statuses.map(() => "?").join(", ")})`,
    [shop, orderGid, topic, ...statuses],
  );
  return Number(row?.n ?? 0);
}

/** The status of the shop's push under a business key, if there is one. */
export async function pushStatusByKey(sql: Sql, shop: string, businessKey: string): Promise<PushStatus | null> {
  const row = await sql.get<{ status: PushStatus }>("SELECT status FROM push WHERE shop = ? AND business_key = ?", [shop, businessKey]);
  return row?.status ?? null;
}

// ---- The delivery log: lists, counts, a push's attempts, retry ----

export interface PushCursor {
  createdAt: number;
  id: number;
  direction: "older" | "newer";
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
export async function listPushRows(sql: Sql, filter: PushFilter): Promise<PushRow[]> {
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
  return rows.map(normalizePushRow);
}

export async function countPushRows(sql: Sql, filter: PushFilter): Promise<number> {
  const { where, params } = whereOf(filter);
  const row = await sql.get<{ n: number }>(`SELECT COUNT(*) AS n FROM push WHERE ${where}`, params);
  return Number(row?.n ?? 0);
}

/** Ids of the pushes matching the filter, oldest first, at most `limit`. */
export async function listPushIds(sql: Sql, filter: PushFilter, limit: number): Promise<number[]> {
  const { where, params } = whereOf(filter);
  const rows = await sql.all<{ id: number }>(`SELECT id FROM push WHERE ${where} ORDER BY created_at, id LIMIT ?`, [...params, limit]);
  return rows.map((r) => r.id);
}

export interface PushAttemptRow {
  number: number;
  started_at: number;
  duration_ms: number;
  http_status: number | null;
  outcome: string;
  answer: string | null;
  error: string | null;
}

/** Every attempt of a push, first first. */
export async function listAttempts(sql: Sql, pushId: number): Promise<PushAttemptRow[]> {
  return sql.all<PushAttemptRow>(
    "SELECT number, started_at, duration_ms, http_status, outcome, answer, error FROM push_attempt WHERE push_id = ? ORDER BY number",
    [pushId],
  );
}

/** The last attempt of a push, if it made one. */
export async function lastAttempt(sql: Sql, pushId: number): Promise<PushAttemptRow | undefined> {
  return sql.get<PushAttemptRow>(
    "SELECT number, started_at, duration_ms, http_status, outcome, answer, error FROM push_attempt WHERE push_id = ? ORDER BY number DESC LIMIT 1",
    [pushId],
  );
}

/**
 * Queues a failed push again, due now. `freshKey`: a new Idempotency-Key and no body (JoinChat refused the old one
 * for good, so nothing was delivered under it). False when the push is no longer failed.
 */
export async function requeueFailedPush(sql: Sql, id: number, now: number, freshKey: boolean): Promise<boolean> {
  const { changes } = await sql.run(
    `UPDATE push SET status = 'queued', due_at = ?, first_attempt_at = NULL, locked_until = NULL, reason = NULL, reason_detail = NULL, updated_at = ?
       ${freshKey ? ", idempotency_key = ?, body = NULL" : ""}
     WHERE id = ? AND status = 'failed'`,
    freshKey ? [now, now, randomUUID(), id] : [now, now, id],
  );
  return changes > 0;
}

// ---- An order's pushes (the order page block) ----

// A merchant's test pushes are never an order's, whatever they carry.
const NOT_A_TEST_PUSH = "kind <> 'test'";

/** The order's pushes, newest first, at most `limit` (the (shop, order_gid, created_at) index gives rows and order). */
export async function listOrderPushRows(sql: Sql, shop: string, orderGid: string, limit: number): Promise<PushRow[]> {
  const rows = await sql.all<PushRow>(
    `SELECT ${PUSH_COLUMNS} FROM push WHERE shop = ? AND order_gid = ? AND ${NOT_A_TEST_PUSH} ORDER BY created_at DESC, id DESC LIMIT ?`,
    [shop, orderGid, limit],
  );
  return rows.map(normalizePushRow);
}

/** What tells whether a push of the order can be sent again. */
export interface ResendFacts {
  id: number;
  topic: string;
  status: string;
  tracking_status: string | null;
  /** 1 when the buyer's data was erased (customers/redact): nothing left to send. */
  erased: number;
}

export function resendFactsOf(row: PushRow): ResendFacts {
  return {
    id: row.id,
    topic: row.topic,
    status: row.status,
    tracking_status: row.tracking_status,
    erased: row.redacted_at === null && row.params !== null ? 0 : 1,
  };
}

/**
 * The resend facts of the order's newest `limit` pushes, from the order's own index range only (statuses are told
 * apart by the caller, not in SQL, so that the planner cannot prefer the shop's (shop, status) range).
 */
export async function listOrderResendFacts(sql: Sql, shop: string, orderGid: string, limit: number): Promise<ResendFacts[]> {
  return sql.all<ResendFacts>(
    `SELECT id, topic, status, tracking_status, CASE WHEN redacted_at IS NULL AND params IS NOT NULL THEN 0 ELSE 1 END AS erased
     FROM push WHERE shop = ? AND order_gid = ? AND ${NOT_A_TEST_PUSH} ORDER BY created_at DESC, id DESC LIMIT ?`,
    [shop, orderGid, limit],
  );
}

/** The resend of the order that a request with this id stored, if any. */
export async function findResendByRequest(sql: Sql, shop: string, orderGid: string, requestId: string): Promise<PushRow | undefined> {
  const row = await sql.get<PushRow>(`SELECT ${PUSH_COLUMNS} FROM push WHERE shop = ? AND order_gid = ? AND business_key LIKE ?`, [
    shop,
    orderGid,
    `%#resend:${requestId}`,
  ]);
  return row ? normalizePushRow(row) : undefined;
}

/** Whether the push is one of the order's (not a test push, not another order's or shop's). */
export async function isPushOfOrder(sql: Sql, id: number, shop: string, orderGid: string): Promise<boolean> {
  const row = await sql.get<{ id: number }>(`SELECT id FROM push WHERE id = ? AND shop = ? AND order_gid = ? AND ${NOT_A_TEST_PUSH}`, [id, shop, orderGid]);
  return row !== undefined;
}

// ---- The admin's home page ----

/** Pushes of the shop created since `since`, by status (every status named, each read from `since` in its index range). */
export async function countPushesByStatusSince(sql: Sql, shop: string, since: number): Promise<Map<PushStatus, number>> {
  const rows = await sql.all<{ status: PushStatus; n: number | string }>(
    `SELECT status, COUNT(*) AS n FROM push WHERE shop = ? AND status IN (${PUSH_STATUSES.map(() => "?").join(", ")}) AND created_at >= ? GROUP BY status`,
    [shop, ...PUSH_STATUSES, since],
  );
  return new Map(rows.map((r) => [r.status, Number(r.n)]));
}

/** The shop's newest push with this status. */
export async function latestPushWithStatus(sql: Sql, shop: string, status: PushStatus): Promise<PushRow | undefined> {
  const row = await sql.get<PushRow>(`SELECT ${PUSH_COLUMNS} FROM push WHERE shop = ? AND status = ? ORDER BY created_at DESC, id DESC LIMIT 1`, [
    shop,
    status,
  ]);
  return row ? normalizePushRow(row) : undefined;
}

/** Delivered and failed pushes created since `first`, by day (`d`: whole days of `dayMs` after `first`). */
export async function countDeliveredAndFailedByDay(
  sql: Sql,
  shop: string,
  first: number,
  dayMs: number,
): Promise<{ status: "delivered" | "failed"; day: number; n: number }[]> {
  const rows = await sql.all<{ status: "delivered" | "failed"; d: number | string; n: number | string }>(
    // CAST: better-sqlite3 binds numbers as REAL, so the division would not be whole on SQLite.
    `SELECT status, CAST((created_at - ?) / ${Math.trunc(dayMs)} AS INTEGER) AS d, COUNT(*) AS n FROM push
     WHERE shop = ? AND status IN ('delivered', 'failed') AND created_at >= ? GROUP BY status, d`,
    [first, shop, first],
  );
  return rows.map((r) => ({ status: r.status, day: Number(r.d), n: Number(r.n) }));
}

// ---- Test pushes (the admin's "Send a test push") ----

export function isTestPush(row: Pick<PushRow, "kind">): boolean {
  return row.kind === "test";
}

export interface SamplePushRow {
  topic: string;
  order_name: string | null;
  params: string;
  product_gids: string | null;
}

/** The shop's most recent real push of these topics that still has its params (not erased, not a test). */
export async function latestSamplePush(sql: Sql, shop: string, topics: readonly string[]): Promise<SamplePushRow | undefined> {
  return sql.get<SamplePushRow>(
    `SELECT topic, order_name, params, product_gids FROM push
     WHERE shop = ? AND topic IN (${topics.map(() => "?").join(", ")}) AND params IS NOT NULL AND redacted_at IS NULL
       AND ${NOT_A_TEST_PUSH}
     ORDER BY created_at DESC, id DESC LIMIT 1`,
    [shop, ...topics],
  );
}

export interface TestPushInsert {
  shop: string;
  topic: string;
  orderName: string | null;
  trackingStatus: string | null;
  recipient: { kind: string; value: string };
  params: unknown;
  productGids: unknown;
}

/** Stores a test push already claimed for sending (attempt 1, locked until `lockedUntil`), so no worker takes it. */
export async function insertClaimedTestPush(sql: Sql, push: TestPushInsert, now: number, lockedUntil: number): Promise<PushRow> {
  const rows = await sql.all<PushRow>(
    `INSERT INTO push (shop, topic, business_key, idempotency_key, status, order_name, tracking_status, recipient_kind,
       recipient_value, recipient_provisional, params, product_gids, test, kind, due_at, attempts, locked_until, first_attempt_at, created_at, updated_at)
     VALUES (?, ?, ?, ?, 'sending', ?, ?, ?, ?, 0, ?, ?, 1, 'test', ?, 1, ?, ?, ?, ?) RETURNING ${PUSH_COLUMNS}`,
    [
      push.shop,
      push.topic,
      `test:${randomUUID()}`,
      randomUUID(),
      push.orderName,
      push.trackingStatus,
      push.recipient.kind,
      push.recipient.value,
      JSON.stringify(push.params),
      JSON.stringify(push.productGids),
      now,
      lockedUntil,
      now,
      now,
      now,
    ],
  );
  return normalizePushRow(rows[0]);
}

/** A push waiting for a retry that is not to be retried on its own (a test push) ends failed. */
export async function failRetryingPush(sql: Sql, id: number, now: number): Promise<void> {
  await sql.run("UPDATE push SET status = 'failed', locked_until = NULL, updated_at = ? WHERE id = ? AND status = 'retrying'", [now, id]);
}

// ---- Data protection ----

/** Who a customers/redact or customers/data_request names: the customer and their contact. */
export interface CustomerMatch {
  customerGid: string | null;
  email: string | null;
  phone: string | null;
}

/**
 * The shop's pushes of the customer: by customer, by contact, or of one of their orders. `email` lower case (matched
 * whatever its case in the push); `phone` as normalizePhone gives it (matched with or without its +).
 */
export async function findCustomerPushIds(sql: Sql, shop: string, customer: CustomerMatch, orderGids: readonly string[]): Promise<number[]> {
  const ids = new Set<number>();
  const digits = customer.phone?.replace(/^\+/, "") ?? null;
  const direct = await sql.all<{ id: number }>(
    `SELECT id FROM push WHERE shop = ? AND (customer_gid = ?
       OR (recipient_kind = 'email' AND LOWER(recipient_value) = ?)
       OR (recipient_kind = 'phone' AND (recipient_value = ? OR recipient_value = ?)))`,
    [shop, customer.customerGid, customer.email, digits, digits === null ? null : `+${digits}`],
  );
  direct.forEach((r) => ids.add(r.id));
  for (const orderGid of orderGids) {
    const rows = await sql.all<{ id: number }>("SELECT id FROM push WHERE shop = ? AND order_gid = ?", [shop, orderGid]);
    rows.forEach((r) => ids.add(r.id));
  }
  return [...ids];
}

/**
 * Erases the customer's data from a push and its attempts (contact, params, body, JoinChat's answers and the error
 * texts, which may quote them); what remains
 * (topic, order name, status, times) keeps the merchant's counts right. A push still to be sent is cancelled.
 */
export async function erasePushCustomerData(sql: Sql, id: number, reason: ReasonCode, now: number): Promise<void> {
  await sql.run("UPDATE push_attempt SET answer = NULL, error = NULL WHERE push_id = ?", [id]);
  await sql.run(
    `UPDATE push SET recipient_value = NULL, customer_gid = NULL, params = NULL, body = NULL, recipient_id = NULL, last_error = NULL,
       redacted_at = ?, updated_at = ?,
       reason_detail = CASE WHEN status IN ('queued', 'retrying') THEN NULL ELSE reason_detail END,
       reason = CASE WHEN status IN ('queued', 'retrying') THEN ? ELSE reason END,
       status = CASE WHEN status IN ('queued', 'retrying') THEN 'cancelled' ELSE status END
     WHERE id = ?`,
    [now, now, reason, id],
  );
}

/** Deletes every push of the shop and their attempts (shop/redact). */
export async function deletePushesOfShop(sql: Sql, shop: string): Promise<void> {
  await sql.run("DELETE FROM push_attempt WHERE push_id IN (SELECT id FROM push WHERE shop = ?)", [shop]);
  await sql.run("DELETE FROM push WHERE shop = ?", [shop]);
}

// ---- Retention ----

/** A finished push that still holds something of the buyer's. */
const HOLDS_BUYER_DATA =
  "(body IS NOT NULL OR params IS NOT NULL OR recipient_value IS NOT NULL OR recipient_id IS NOT NULL OR last_error IS NOT NULL OR customer_gid IS NOT NULL)";

/**
 * Retention: at most `limit` finished pushes last changed before `before` lose their body, params, recipient, JoinChat's
 * answers and error texts (their attempts' too); topic, order name, status, counts and times stay. How many of each.
 */
export async function pruneFinishedPushes(sql: Sql, before: number, limit: number): Promise<{ pushes: number; attempts: number }> {
  const rows = await sql.all<{ id: number }>(
    // Finished: not waiting or being sent. Said with NOT IN so that SQLite walks the updated_at index (the old end of
    // the outbox) rather than every delivered push through the status index.
    `SELECT id FROM push WHERE updated_at < ? AND status NOT IN ('queued', 'retrying', 'sending') AND ${HOLDS_BUYER_DATA}
     ORDER BY updated_at LIMIT ?`,
    [before, limit],
  );
  if (rows.length === 0) return { pushes: 0, attempts: 0 };
  const ids = rows.map((r) => r.id);
  const list = ids.map(() => "?").join(", ");
  const attempts = await sql.run(
    `UPDATE push_attempt SET answer = NULL, error = NULL WHERE push_id IN (${list}) AND (answer IS NOT NULL OR error IS NOT NULL)`,
    ids,
  );
  const pushes = await sql.run(
    `UPDATE push SET body = NULL, params = NULL, recipient_value = NULL, recipient_id = NULL, last_error = NULL, customer_gid = NULL
     WHERE id IN (${list})`,
    ids,
  );
  return { pushes: pushes.changes, attempts: attempts.changes };
}
