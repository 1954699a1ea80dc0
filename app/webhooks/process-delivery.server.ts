import type { Sql } from "../db/database.server";
import { cancelUnpaidReminder, storePush, type PushRef, type QueuedPushRef } from "../delivery/outbox.server";
import { compareStatusProgress, extractFulfillmentFacts } from "../pushes/fulfillment-facts";
import { extractOrderFacts } from "../pushes/order-facts";
import { businessKeys, PAID_FINANCIAL_STATUSES, planOrderPush, planPackagePush, type KnownOrder, type PushDraft } from "../pushes/plan";
import { SKIP_REASONS } from "../pushes/skip-reasons";
import type { TrackingStatus } from "../pushes/types";
import { readShopSettingsRow, settingsFromRow, type ShopSettings } from "../settings/settings.server";
import { toGid, type FulfillmentPayload, type OrderPayload } from "../shopify/payloads";
import { eraseCustomer, eraseShop, summarizeCustomerData } from "./data-protection.server";
import type { FulfillmentTopic, OrderTopic, WebhookTopic } from "./topics";
import type { ValidatedPayload } from "./validate-payload";

// What one accepted delivery does to the database, inside the intake transaction. No network here.

export interface DeliveryContext {
  shop: string;
  webhookId: string;
  topic: WebhookTopic;
  apiVersion: string | null;
  eventId: string | null;
  triggeredAt: string | null;
  now: number;
}

export interface DeliveryOutcome {
  duplicate: boolean;
  /** Pushes stored by this delivery, and the earliest time one of them falls due (to wake the worker). */
  pushIds: number[];
  dueAt: number | null;
  summary: string;
  /** The pushes stored to be sent (a queue adds their jobs after the commit). */
  queued: QueuedPushRef[];
  /** Pushes that were waiting and are cancelled now (a queue removes their jobs after the commit). */
  cancelled: PushRef[];
}

export async function processDelivery(tx: Sql, ctx: DeliveryContext, payload: ValidatedPayload): Promise<DeliveryOutcome> {
  const recorded = await tx.run(
    `INSERT INTO webhook_delivery (shop, webhook_id, topic, api_version, event_id, triggered_at, resource_gid, received_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (shop, webhook_id) DO NOTHING`,
    [ctx.shop, ctx.webhookId, ctx.topic, ctx.apiVersion, ctx.eventId, ctx.triggeredAt, resourceGidOf(payload), ctx.now],
  );
  if (recorded.changes === 0) return { duplicate: true, pushIds: [], dueAt: null, summary: "repeated delivery", queued: [], cancelled: [] };

  const outcome = await dispatch(tx, ctx, payload);
  if (ctx.topic !== "shop/redact") {
    await tx.run("UPDATE webhook_delivery SET outcome = ? WHERE shop = ? AND webhook_id = ?", [outcome.summary, ctx.shop, ctx.webhookId]);
  }
  return outcome;
}

function resourceGidOf(payload: ValidatedPayload): string | null {
  if (payload.kind === "order" || payload.kind === "fulfillment") return payload.value.admin_graphql_api_id;
  return null;
}

async function dispatch(tx: Sql, ctx: DeliveryContext, payload: ValidatedPayload): Promise<DeliveryOutcome> {
  switch (payload.kind) {
    case "order":
      return handleOrder(tx, ctx, ctx.topic as OrderTopic, payload.value);
    case "fulfillment":
      return handleFulfillment(tx, ctx, ctx.topic as FulfillmentTopic, payload.value);
    case "app/uninstalled":
      return handleUninstalled(tx, ctx);
    case "app/scopes_update":
      await tx.run(`UPDATE "Session" SET "scope" = ? WHERE "shop" = ?`, [payload.value.current.join(","), ctx.shop]);
      return done(`scope set to ${payload.value.current.join(",")}`);
    case "customers/redact": {
      const erased = await eraseCustomer(tx, ctx.shop, payload.value, ctx.now);
      return done(`customer erased from ${erased.pushes} pushes and ${erased.orders} orders`);
    }
    case "customers/data_request": {
      const summary = await summarizeCustomerData(tx, ctx.shop, payload.value, ctx.now);
      return done(`data request recorded: ${summary.pushes} pushes, ${summary.orders} orders held`);
    }
    case "shop/redact":
      await eraseShop(tx, ctx.shop);
      return done("shop erased");
  }
}

function done(summary: string, pushIds: number[] = [], dueAt: number | null = null, queued: QueuedPushRef[] = [], cancelled: PushRef[] = []): DeliveryOutcome {
  return { duplicate: false, pushIds, dueAt, summary, queued, cancelled };
}

async function loadSettings(tx: Sql, shop: string): Promise<ShopSettings | null> {
  const row = await readShopSettingsRow(tx, shop);
  return row ? settingsFromRow(row) : null;
}

async function storeDrafts(tx: Sql, ctx: DeliveryContext, drafts: { draft: PushDraft; reason?: string }[], cancelled: PushRef[] = []): Promise<DeliveryOutcome> {
  const ids: number[] = [];
  let dueAt: number | null = null;
  const queued: QueuedPushRef[] = [];
  const parts: string[] = [];
  for (const { draft, reason } of drafts) {
    const stored = await storePush(tx, ctx.shop, draft, ctx.webhookId, ctx.now, reason ?? null);
    ids.push(stored.id);
    if (stored.status === "queued") {
      dueAt = dueAt === null ? stored.dueAt : Math.min(dueAt, stored.dueAt);
      queued.push({ id: stored.id, shop: ctx.shop, attempts: 0, dueAt: stored.dueAt });
    }
    parts.push(`${draft.topic} ${stored.status}${stored.status === "skipped" ? ` (${reason ?? (stored.duplicate ? SKIP_REASONS.duplicate : draft.skipReason)})` : ""}`);
  }
  return done(parts.join(", ") || "no push", ids, dueAt, queued, cancelled);
}

interface OrderRow {
  order_gid: string;
  name: string;
  customer_gid: string | null;
  email: string | null;
  phone: string | null;
  psid: string | null;
  recipient_name: string | null;
  order_status_url: string | null;
  test: number;
  cancelled: number;
  paid: number;
}

export function knownOrderFromRow(row: OrderRow): KnownOrder {
  return {
    orderGid: row.order_gid,
    name: row.name,
    customerGid: row.customer_gid,
    email: row.email,
    phone: row.phone,
    psid: row.psid,
    recipientName: row.recipient_name,
    orderStatusUrl: row.order_status_url,
    test: row.test === 1,
    cancelled: row.cancelled === 1,
  };
}

export async function readOrderRow(sql: Sql, shop: string, orderGid: string): Promise<OrderRow | undefined> {
  return sql.get<OrderRow>(
    `SELECT order_gid, name, customer_gid, email, phone, psid, recipient_name, order_status_url, test, cancelled, paid
     FROM shopify_order WHERE shop = ? AND order_gid = ?`,
    [shop, orderGid],
  );
}

async function handleOrder(tx: Sql, ctx: DeliveryContext, topic: OrderTopic, order: OrderPayload): Promise<DeliveryOutcome> {
  const facts = extractOrderFacts(order);
  const paidNow = topic === "orders/paid" || PAID_FINANCIAL_STATUSES.has(facts.financialStatus ?? "");
  const before = await readOrderRow(tx, ctx.shop, facts.orderGid);

  // Paid stays paid: a late orders/create of a pending order must not undo an orders/paid seen before it.
  await tx.run(
    `INSERT INTO shopify_order (shop, order_gid, name, customer_gid, email, phone, psid, recipient_name, order_status_url, test, cancelled, paid, created_at_ms, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (shop, order_gid) DO UPDATE SET name = excluded.name, customer_gid = excluded.customer_gid,
       email = excluded.email, phone = excluded.phone, psid = COALESCE(excluded.psid, shopify_order.psid),
       recipient_name = excluded.recipient_name, order_status_url = excluded.order_status_url, test = excluded.test,
       cancelled = CASE WHEN shopify_order.cancelled = 1 THEN 1 ELSE excluded.cancelled END,
       paid = CASE WHEN shopify_order.paid = 1 THEN 1 ELSE excluded.paid END, updated_at = excluded.updated_at`,
    [
      ctx.shop,
      facts.orderGid,
      facts.name,
      facts.customerGid,
      facts.email,
      facts.phone,
      facts.psid,
      facts.recipientName,
      facts.orderStatusUrl,
      facts.test,
      facts.cancelled,
      paidNow,
      Number.isFinite(facts.createdAtMs) ? facts.createdAtMs : ctx.now,
      ctx.now,
    ],
  );

  const cancelled = paidNow ? await cancelUnpaidReminder(tx, ctx.shop, facts.orderGid, SKIP_REASONS.paidBeforeReminder, ctx.now) : [];

  const settings = await loadSettings(tx, ctx.shop);
  const draft = planOrderPush(topic, order, facts, settings, ctx.now);
  if (!draft) return done(`no push for financial status ${facts.financialStatus ?? "unknown"}`, [], null, [], cancelled);

  if (draft.topic === "Order/Unpaid") {
    // Deliveries arrive in any order: a reminder for an order already known as paid is never sent.
    const paidBefore = before?.paid === 1;
    const receipt = paidBefore
      ? null
      : await tx.get<{ id: number }>("SELECT id FROM push WHERE shop = ? AND business_key = ?", [ctx.shop, businessKeys.receipt(facts.orderGid)]);
    if (paidBefore || receipt) return storeDrafts(tx, ctx, [{ draft, reason: SKIP_REASONS.alreadyPaid }], cancelled);
  }
  return storeDrafts(tx, ctx, [{ draft }], cancelled);
}

interface FulfillmentStateRow {
  furthest_status: TrackingStatus;
  newest_updated_at: number;
}

async function handleFulfillment(tx: Sql, ctx: DeliveryContext, topic: FulfillmentTopic, payload: FulfillmentPayload): Promise<DeliveryOutcome> {
  const facts = extractFulfillmentFacts(payload, topic);
  const orderRow = facts.orderGid ? await readOrderRow(tx, ctx.shop, facts.orderGid) : undefined;
  const order = orderRow ? knownOrderFromRow(orderRow) : null;
  const settings = await loadSettings(tx, ctx.shop);

  if (facts.trackingStatus === null) {
    const draft = planPackagePush(facts, "shipped", order, settings, ctx.now);
    draft.trackingStatus = null;
    draft.businessKey = `package:${facts.fulfillmentGid}:${facts.shipmentStatus ?? "unknown"}`;
    return storeDrafts(tx, ctx, [{ draft, reason: `${SKIP_REASONS.unknownShipmentStatus} ${facts.shipmentStatus ?? ""}`.trim() }]);
  }

  const status = facts.trackingStatus;
  const draft = planPackagePush(facts, status, order, settings, ctx.now);
  const state = await tx.get<FulfillmentStateRow>(
    "SELECT furthest_status, newest_updated_at FROM fulfillment_state WHERE shop = ? AND fulfillment_gid = ?",
    [ctx.shop, facts.fulfillmentGid],
  );
  if (state && facts.updatedAtMs < Number(state.newest_updated_at)) {
    return storeDrafts(tx, ctx, [{ draft, reason: SKIP_REASONS.staleUpdate }]);
  }
  const progress = compareStatusProgress(state?.furthest_status ?? null, status);
  if (progress === "backwards") return storeDrafts(tx, ctx, [{ draft, reason: SKIP_REASONS.statusBackwards }]);

  await tx.run(
    `INSERT INTO fulfillment_state (shop, fulfillment_gid, order_gid, furthest_status, newest_updated_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (shop, fulfillment_gid) DO UPDATE SET furthest_status = excluded.furthest_status,
       newest_updated_at = excluded.newest_updated_at, order_gid = COALESCE(excluded.order_gid, fulfillment_state.order_gid),
       updated_at = excluded.updated_at`,
    [ctx.shop, facts.fulfillmentGid, facts.orderGid, status, Math.max(facts.updatedAtMs, Number(state?.newest_updated_at ?? 0)), ctx.now],
  );
  return storeDrafts(tx, ctx, [{ draft }]);
}

async function handleUninstalled(tx: Sql, ctx: DeliveryContext): Promise<DeliveryOutcome> {
  await tx.run(`DELETE FROM "Session" WHERE "shop" = ?`, [ctx.shop]);
  const cancelled = await tx.all<PushRef>(
    `UPDATE push SET status = 'cancelled', reason = 'app uninstalled', updated_at = ? WHERE shop = ? AND status IN ('queued', 'retrying') RETURNING id, attempts`,
    [ctx.now, ctx.shop],
  );
  // A reinstall starts clean: the merchant links the page again.
  await tx.run("DELETE FROM shop_settings WHERE shop = ?", [ctx.shop]);
  return done(`sessions deleted, ${cancelled.length} queued pushes cancelled`, [], null, [], cancelled);
}

export { toGid };
