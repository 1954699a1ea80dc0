import type { Sql } from "../db/database.server";
import type { KnownOrder } from "../pushes/plan";
import { normalizePhone } from "../pushes/recipient";
import type { OrderFacts } from "../pushes/types";

// Table shopify_order: what the app keeps of each order it saw (contact, flags), so that a later webhook of the
// order (paid, a fulfillment) knows its recipient and whether it is paid. Every statement on it is here.

export interface OrderRow {
  order_gid: string;
  name: string;
  customer_gid: string | null;
  email: string | null;
  phone: string | null;
  psid: string | null;
  recipient_name: string | null;
  order_status_url: string | null;
  customer_locale: string | null;
  test: number;
  cancelled: number;
  paid: number;
  /** The buyer collects the order (a local pickup shipping line). */
  local_pickup: number;
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
    `SELECT order_gid, name, customer_gid, email, phone, psid, recipient_name, order_status_url, customer_locale, test, cancelled, paid, local_pickup
     FROM shopify_order WHERE shop = ? AND order_gid = ?`,
    [shop, orderGid],
  );
}

/** When Shopify says the order was placed (ms), if the app knows the order. */
export async function readOrderCreatedAt(sql: Sql, shop: string, orderGid: string): Promise<number | null> {
  const row = await sql.get<{ created_at_ms: number | string }>("SELECT created_at_ms FROM shopify_order WHERE shop = ? AND order_gid = ?", [shop, orderGid]);
  return row ? Number(row.created_at_ms) : null;
}

/**
 * Records what an order webhook says of the order. Paid stays paid and cancelled stays cancelled: a late
 * orders/create of a pending order must not undo an orders/paid seen before it.
 */
export async function upsertOrder(sql: Sql, shop: string, facts: OrderFacts, paid: boolean, now: number): Promise<void> {
  await sql.run(
    `INSERT INTO shopify_order (shop, order_gid, name, customer_gid, email, phone, psid, recipient_name, order_status_url, customer_locale, test, cancelled, paid, local_pickup, created_at_ms, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (shop, order_gid) DO UPDATE SET name = excluded.name, customer_gid = excluded.customer_gid,
       email = excluded.email, phone = excluded.phone, psid = COALESCE(excluded.psid, shopify_order.psid),
       recipient_name = excluded.recipient_name, order_status_url = excluded.order_status_url,
       customer_locale = COALESCE(excluded.customer_locale, shopify_order.customer_locale), test = excluded.test,
       cancelled = CASE WHEN shopify_order.cancelled = 1 THEN 1 ELSE excluded.cancelled END,
       paid = CASE WHEN shopify_order.paid = 1 THEN 1 ELSE excluded.paid END, local_pickup = excluded.local_pickup,
       updated_at = excluded.updated_at`,
    [
      shop,
      facts.orderGid,
      facts.name,
      facts.customerGid,
      facts.email,
      facts.phone,
      facts.psid,
      facts.recipientName,
      facts.orderStatusUrl,
      facts.customerLocale,
      facts.test,
      facts.cancelled,
      paid,
      facts.localPickup,
      Number.isFinite(facts.createdAtMs) ? facts.createdAtMs : now,
      now,
    ],
  );
}

/** The name of the shop's most recently placed order. */
export async function latestOrderName(sql: Sql, shop: string): Promise<string | null> {
  const row = await sql.get<{ name: string }>("SELECT name FROM shopify_order WHERE shop = ? ORDER BY created_at_ms DESC LIMIT 1", [shop]);
  return row?.name ?? null;
}

/** The shop's orders of a customer, matched by customer or by contact. */
/**
 * The shop's orders of the customer: by customer, by email (lower case, matched whatever its case in the order) or by
 * phone (as normalizePhone gives it; the order keeps the phone as Shopify sent it, so candidates are found by their
 * digits in order and compared normalised).
 */
export async function findCustomerOrderGids(sql: Sql, shop: string, customer: { customerGid: string | null; email: string | null; phone: string | null }) {
  const digits = customer.phone?.replace(/\D/g, "") ?? "";
  const phoneLike = digits.length > 0 ? `%${digits.split("").join("%")}%` : null;
  const rows = await sql.all<{ order_gid: string; customer_gid: string | null; email: string | null; phone: string | null }>(
    `SELECT order_gid, customer_gid, email, phone FROM shopify_order WHERE shop = ? AND (customer_gid = ? OR LOWER(email) = ? OR phone LIKE ?)`,
    [shop, customer.customerGid, customer.email, phoneLike],
  );
  return rows
    .filter(
      (r) =>
        (customer.customerGid !== null && r.customer_gid === customer.customerGid) ||
        (customer.email !== null && r.email?.trim().toLowerCase() === customer.email) ||
        (digits.length > 0 && normalizePhone(r.phone)?.replace(/^\+/, "") === digits),
    )
    .map((r) => r.order_gid);
}

/** Deletes one order's record; 1 when there was one. */
export async function deleteOrder(sql: Sql, shop: string, orderGid: string): Promise<number> {
  return (await sql.run("DELETE FROM shopify_order WHERE shop = ? AND order_gid = ?", [shop, orderGid])).changes;
}

export async function deleteOrdersOfShop(sql: Sql, shop: string): Promise<void> {
  await sql.run("DELETE FROM shopify_order WHERE shop = ?", [shop]);
}

/**
 * Retention: at most `limit` order records last changed before `before` lose their contacts (email, phone, PSID,
 * name, order status link, customer); what decides the pushes (paid, cancelled, test, name) stays. How many.
 */
export async function pruneOrderContacts(sql: Sql, before: number, limit: number): Promise<number> {
  const { changes } = await sql.run(
    `UPDATE shopify_order SET email = NULL, phone = NULL, psid = NULL, recipient_name = NULL, order_status_url = NULL, customer_gid = NULL
     WHERE (shop, order_gid) IN (
       SELECT shop, order_gid FROM shopify_order WHERE updated_at < ?
         AND (email IS NOT NULL OR phone IS NOT NULL OR psid IS NOT NULL OR recipient_name IS NOT NULL OR order_status_url IS NOT NULL OR customer_gid IS NOT NULL)
       ORDER BY updated_at LIMIT ?)`,
    [before, limit],
  );
  return changes;
}
