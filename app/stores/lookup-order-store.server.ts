import type { Sql } from "../db/database.server";

// Table lookup_order: what an order lookup answers from. Per order seen, its receipt (the push mapping's params, as
// JSON), the keys it is found by (name, confirmation number, normalised email and phone) and where it stands.
// Every statement on it is here.

export interface LookupOrderRow {
  order_gid: string;
  name_key: string;
  confirmation_number: string | null;
  receipt: string;
  paid: number;
  closed: number;
  tracking_status: string | null;
  tracking_url: string | null;
  created_at_ms: number;
}

export interface LookupOrderRecord {
  orderGid: string;
  nameKey: string;
  confirmationNumber: string | null;
  emailKey: string | null;
  phoneKey: string | null;
  receipt: string;
  paid: boolean;
  closed: boolean;
  createdAtMs: number;
}

const COLUMNS = "order_gid, name_key, confirmation_number, receipt, paid, closed, tracking_status, tracking_url, created_at_ms";

function normalize(row: LookupOrderRow): LookupOrderRow {
  return { ...row, paid: Number(row.paid), closed: Number(row.closed), created_at_ms: Number(row.created_at_ms) };
}

/** Records an order webhook's view of the order; paid and closed never go back. */
export async function upsertLookupOrder(sql: Sql, shop: string, order: LookupOrderRecord, now: number): Promise<void> {
  await sql.run(
    `INSERT INTO lookup_order (shop, order_gid, name_key, confirmation_number, email_key, phone_key, receipt, paid, closed, created_at_ms, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (shop, order_gid) DO UPDATE SET name_key = excluded.name_key,
       confirmation_number = COALESCE(excluded.confirmation_number, lookup_order.confirmation_number),
       email_key = excluded.email_key, phone_key = excluded.phone_key,
       receipt = CASE WHEN lookup_order.paid = 1 AND excluded.paid = 0 THEN lookup_order.receipt ELSE excluded.receipt END,
       paid = CASE WHEN lookup_order.paid = 1 THEN 1 ELSE excluded.paid END,
       closed = CASE WHEN lookup_order.closed = 1 THEN 1 ELSE excluded.closed END, updated_at = excluded.updated_at`,
    [
      shop,
      order.orderGid,
      order.nameKey,
      order.confirmationNumber,
      order.emailKey,
      order.phoneKey,
      order.receipt,
      order.paid,
      order.closed,
      order.createdAtMs,
      now,
    ],
  );
}

/** A fulfillment's news: its tracking status and link; a delivered parcel closes the order. */
export async function setLookupOrderTracking(
  sql: Sql,
  shop: string,
  orderGid: string,
  tracking: { status: string; url: string | null; closes: boolean },
  now: number,
): Promise<void> {
  await sql.run(
    `UPDATE lookup_order SET tracking_status = ?, tracking_url = COALESCE(?, tracking_url),
       closed = CASE WHEN ? = 1 THEN 1 ELSE closed END, updated_at = ? WHERE shop = ? AND order_gid = ?`,
    [tracking.status, tracking.url, tracking.closes ? 1 : 0, now, shop, orderGid],
  );
}

export async function findLookupOrderByGid(sql: Sql, shop: string, orderGid: string): Promise<LookupOrderRow | undefined> {
  const row = await sql.get<LookupOrderRow>(`SELECT ${COLUMNS} FROM lookup_order WHERE shop = ? AND order_gid = ?`, [shop, orderGid]);
  return row ? normalize(row) : undefined;
}

export async function findLookupOrderByConfirmation(sql: Sql, shop: string, confirmationNumber: string): Promise<LookupOrderRow | undefined> {
  const row = await sql.get<LookupOrderRow>(`SELECT ${COLUMNS} FROM lookup_order WHERE shop = ? AND confirmation_number = ? LIMIT 1`, [
    shop,
    confirmationNumber,
  ]);
  return row ? normalize(row) : undefined;
}

export async function findLookupOrderByName(sql: Sql, shop: string, nameKey: string): Promise<LookupOrderRow | undefined> {
  const row = await sql.get<LookupOrderRow>(`SELECT ${COLUMNS} FROM lookup_order WHERE shop = ? AND name_key = ? ORDER BY created_at_ms DESC LIMIT 1`, [
    shop,
    nameKey,
  ]);
  return row ? normalize(row) : undefined;
}

export type AccountFilter = "open" | "closed" | null;

/** The orders of an account (email or phone key), newest first, one page, and how many there are. */
export async function listLookupOrdersOfAccount(
  sql: Sql,
  shop: string,
  account: { column: "email_key" | "phone_key"; key: string },
  filter: AccountFilter,
  page: { offset: number; limit: number },
): Promise<{ total: number; rows: LookupOrderRow[] }> {
  const where = `shop = ? AND ${account.column} = ?${filter === null ? "" : ` AND closed = ${filter === "closed" ? 1 : 0}`}`;
  const params = [shop, account.key];
  const count = await sql.get<{ n: number | string }>(`SELECT COUNT(*) AS n FROM lookup_order WHERE ${where}`, params);
  const total = Number(count?.n ?? 0);
  if (total === 0) return { total, rows: [] };
  const rows = await sql.all<LookupOrderRow>(`SELECT ${COLUMNS} FROM lookup_order WHERE ${where} ORDER BY created_at_ms DESC, order_gid LIMIT ? OFFSET ?`, [
    ...params,
    page.limit,
    page.offset,
  ]);
  return { total, rows: rows.map(normalize) };
}

/** The shop's orders of a customer by contact key (customers/redact). */
export async function findLookupOrderGidsOfContact(sql: Sql, shop: string, emailKey: string | null, phoneKey: string | null): Promise<string[]> {
  const rows = await sql.all<{ order_gid: string }>("SELECT order_gid FROM lookup_order WHERE shop = ? AND (email_key = ? OR phone_key = ?)", [
    shop,
    emailKey,
    phoneKey,
  ]);
  return rows.map((r) => r.order_gid);
}

export async function deleteLookupOrders(sql: Sql, shop: string, orderGids: readonly string[]): Promise<number> {
  let n = 0;
  for (const orderGid of orderGids) n += (await sql.run("DELETE FROM lookup_order WHERE shop = ? AND order_gid = ?", [shop, orderGid])).changes;
  return n;
}

export async function deleteLookupOrdersOfShop(sql: Sql, shop: string): Promise<void> {
  await sql.run("DELETE FROM lookup_order WHERE shop = ?", [shop]);
}

/**
 * Retention: deletes at most `limit` lookup orders last changed before `before` (the receipt with the buyer's name,
 * address and order status link, and the contact keys); how many went. An order looked up later is asked of the Admin
 * API again (decision 024).
 */
export async function deleteLookupOrdersBefore(sql: Sql, before: number, limit: number): Promise<number> {
  const { changes } = await sql.run(
    `DELETE FROM lookup_order WHERE (shop, order_gid) IN (
       SELECT shop, order_gid FROM lookup_order WHERE updated_at < ? ORDER BY updated_at LIMIT ?)`,
    [before, limit],
  );
  return changes;
}
