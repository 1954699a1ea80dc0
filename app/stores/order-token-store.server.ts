import type { Sql } from "../db/database.server";

// Table order_token: per order, the short unguessable token the app gives buyers (order lookups; the Messenger
// `ref` of issue 16), scoped to its shop and valid until expires_at. Every statement on it is here.

export interface OrderTokenRow {
  token: string;
  shop: string;
  order_gid: string;
  expires_at: number;
  /** When this token was issued. */
  created_at: number;
}

function normalize(row: OrderTokenRow | undefined): OrderTokenRow | undefined {
  return row ? { ...row, expires_at: Number(row.expires_at), created_at: Number(row.created_at) } : undefined;
}

export async function readOrderTokenOfOrder(sql: Sql, shop: string, orderGid: string): Promise<OrderTokenRow | undefined> {
  return normalize(
    await sql.get<OrderTokenRow>("SELECT token, shop, order_gid, expires_at, created_at FROM order_token WHERE shop = ? AND order_gid = ?", [shop, orderGid]),
  );
}

export async function readOrderToken(sql: Sql, shop: string, token: string): Promise<OrderTokenRow | undefined> {
  return normalize(
    await sql.get<OrderTokenRow>("SELECT token, shop, order_gid, expires_at, created_at FROM order_token WHERE token = ? AND shop = ?", [token, shop]),
  );
}

/**
 * Gives the order `token` valid until `expiresAt`, unless it has one still valid at `now` (kept: the same order
 * keeps its token). The token in force afterwards.
 */
export async function upsertOrderToken(sql: Sql, shop: string, orderGid: string, token: string, expiresAt: number, now: number): Promise<OrderTokenRow> {
  await sql.run(
    `INSERT INTO order_token (token, shop, order_gid, expires_at, created_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (shop, order_gid) DO UPDATE SET token = excluded.token, expires_at = excluded.expires_at, created_at = excluded.created_at
     WHERE order_token.expires_at <= ?`,
    [token, shop, orderGid, expiresAt, now, now],
  );
  const row = await readOrderTokenOfOrder(sql, shop, orderGid);
  if (!row) throw new Error(`order_token of ${orderGid} missing after upsert`);
  return row;
}

export async function deleteOrderTokensOfOrders(sql: Sql, shop: string, orderGids: readonly string[]): Promise<void> {
  for (const orderGid of orderGids) await sql.run("DELETE FROM order_token WHERE shop = ? AND order_gid = ?", [shop, orderGid]);
}

export async function deleteOrderTokensOfShop(sql: Sql, shop: string): Promise<void> {
  await sql.run("DELETE FROM order_token WHERE shop = ?", [shop]);
}
