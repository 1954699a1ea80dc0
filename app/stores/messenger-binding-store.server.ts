import type { Sql } from "../db/database.server";

// Table messenger_binding: the Messenger PSID a buyer bound to an order (and its customer) through the opt-in
// link's ref (decision 020). Personal data: customers/redact and shop/redact erase it. Every statement on it is here.

export interface MessengerBindingRow {
  shop: string;
  order_gid: string;
  customer_gid: string | null;
  psid: string;
  bound_at: number;
}

const COLUMNS = "shop, order_gid, customer_gid, psid, bound_at";

function fromRow(row: MessengerBindingRow): MessengerBindingRow {
  return { ...row, bound_at: Number(row.bound_at) };
}

export async function readBinding(sql: Sql, shop: string, orderGid: string): Promise<MessengerBindingRow | undefined> {
  const row = await sql.get<MessengerBindingRow>(`SELECT ${COLUMNS} FROM messenger_binding WHERE shop = ? AND order_gid = ?`, [shop, orderGid]);
  return row ? fromRow(row) : undefined;
}

/**
 * Binds the PSID to the order unless it is bound already (a bind from JoinChat, decision 023): "bound" when this call
 * bound it, "same" when it was bound to this PSID already (nothing changes), "other" when another PSID holds it.
 * One statement, so that identical binds at once make one binding on both databases.
 */
export async function bindIfUnbound(
  sql: Sql,
  binding: Omit<MessengerBindingRow, "bound_at">,
  now: number,
): Promise<{ result: "bound" | "same" | "other"; row: MessengerBindingRow }> {
  const { changes } = await sql.run(`INSERT INTO messenger_binding (${COLUMNS}) VALUES (?, ?, ?, ?, ?) ON CONFLICT (shop, order_gid) DO NOTHING`, [
    binding.shop,
    binding.order_gid,
    binding.customer_gid,
    binding.psid,
    now,
  ]);
  const row = await readBinding(sql, binding.shop, binding.order_gid);
  if (!row) throw new Error(`messenger_binding of ${binding.order_gid} missing after insert`);
  return { result: changes > 0 ? "bound" : row.psid === binding.psid ? "same" : "other", row };
}

/**
 * The binding an order's pushes go to: the order's own, else its customer's most recent (a customer's later orders go
 * to the PSID they bound last).
 */
export async function readBindingReachingOrder(sql: Sql, shop: string, orderGid: string, customerGid: string | null): Promise<MessengerBindingRow | undefined> {
  return (await readBinding(sql, shop, orderGid)) ?? (customerGid ? await readLatestBindingOfCustomer(sql, shop, customerGid) : undefined);
}

/** The customer's most recent binding. */
async function readLatestBindingOfCustomer(sql: Sql, shop: string, customerGid: string): Promise<MessengerBindingRow | undefined> {
  const row = await sql.get<MessengerBindingRow>(
    `SELECT ${COLUMNS} FROM messenger_binding WHERE shop = ? AND customer_gid = ? ORDER BY bound_at DESC LIMIT 1`,
    [shop, customerGid],
  );
  return row ? fromRow(row) : undefined;
}

/** An order bound before its orders/create arrived learns its customer when it does. */
export async function fillBindingCustomer(sql: Sql, shop: string, orderGid: string, customerGid: string): Promise<void> {
  await sql.run("UPDATE messenger_binding SET customer_gid = ? WHERE shop = ? AND order_gid = ? AND customer_gid IS NULL", [customerGid, shop, orderGid]);
}

/** Retention: at most `limit` bindings made before `before` are deleted; how many. */
export async function pruneBindings(sql: Sql, before: number, limit: number): Promise<number> {
  const rows = await sql.all<{ shop: string; order_gid: string }>(
    "SELECT shop, order_gid FROM messenger_binding WHERE bound_at < ? ORDER BY bound_at LIMIT ?",
    [before, limit],
  );
  for (const row of rows) await sql.run("DELETE FROM messenger_binding WHERE shop = ? AND order_gid = ? AND bound_at < ?", [row.shop, row.order_gid, before]);
  return rows.length;
}

/** Unbinds the order; true when it was bound. */
async function deleteBinding(sql: Sql, shop: string, orderGid: string): Promise<boolean> {
  const { changes } = await sql.run("DELETE FROM messenger_binding WHERE shop = ? AND order_gid = ?", [shop, orderGid]);
  return changes > 0;
}

/**
 * A stop (the block's "Stop Messenger updates", or JoinChat's `unbind`): the order's binding and, for a customer's
 * order, every binding of that customer, through which the order's pushes would still reach the PSID. How many.
 */
export async function deleteBindingsReachingOrder(sql: Sql, shop: string, orderGid: string, customerGid: string | null): Promise<number> {
  let count = (await deleteBinding(sql, shop, orderGid)) ? 1 : 0;
  if (customerGid) count += (await sql.run("DELETE FROM messenger_binding WHERE shop = ? AND customer_gid = ?", [shop, customerGid])).changes;
  return count;
}

/** customers/redact: the customer's bindings, and those of the orders named (a guest's orders have no customer). */
export async function deleteBindingsOfCustomer(sql: Sql, shop: string, customerGid: string | null, orderGids: readonly string[]): Promise<number> {
  let count = 0;
  if (customerGid) {
    count += (await sql.run("DELETE FROM messenger_binding WHERE shop = ? AND customer_gid = ?", [shop, customerGid])).changes;
  }
  for (const orderGid of orderGids) if (await deleteBinding(sql, shop, orderGid)) count += 1;
  return count;
}

/** shop/redact: every binding of the shop. */
export async function deleteBindingsOfShop(sql: Sql, shop: string): Promise<void> {
  await sql.run("DELETE FROM messenger_binding WHERE shop = ?", [shop]);
}
