import type { Sql } from "../db/database.server";
import { toGid, type CustomersDataRequestPayload, type CustomersRedactPayload } from "../shopify/payloads";

// Shopify's compliance topics. None needs an Admin API session: they arrive after uninstall too.

/** Every table that holds rows of a shop, and how to find them. */
const SHOP_TABLES: { table: string; where: string }[] = [
  { table: "push_attempt", where: "push_id IN (SELECT id FROM push WHERE shop = ?)" },
  { table: "push", where: "shop = ?" },
  { table: "fulfillment_state", where: "shop = ?" },
  { table: "shopify_order", where: "shop = ?" },
  { table: "webhook_delivery", where: "shop = ?" },
  { table: "product_image", where: "shop = ?" },
  { table: "data_request", where: "shop = ?" },
  { table: "shop_settings", where: "shop = ?" },
  { table: '"Session"', where: '"shop" = ?' },
];

export async function eraseShop(tx: Sql, shop: string): Promise<void> {
  for (const { table, where } of SHOP_TABLES) await tx.run(`DELETE FROM ${table} WHERE ${where}`, [shop]);
}

interface CustomerRef {
  customerGid: string | null;
  email: string | null;
  phone: string | null;
  orderGids: string[];
}

function customerRefOf(payload: CustomersRedactPayload | CustomersDataRequestPayload, orderIds: readonly (string | number)[] | null | undefined): CustomerRef {
  const customer = payload.customer ?? null;
  return {
    customerGid: toGid("Customer", customer?.id ?? null),
    email: customer?.email?.trim() || null,
    phone: customer?.phone?.trim() || null,
    orderGids: (orderIds ?? []).map((id) => toGid("Order", id)).filter((g): g is string => g !== null),
  };
}

/** The orders of the shop that belong to the customer: named by Shopify, or matched by customer or contact. */
async function customerOrderGids(tx: Sql, shop: string, ref: CustomerRef): Promise<string[]> {
  const rows = await tx.all<{ order_gid: string }>(
    `SELECT order_gid FROM shopify_order WHERE shop = ? AND (customer_gid = ? OR email = ? OR phone = ?)`,
    [shop, ref.customerGid, ref.email, ref.phone],
  );
  return [...new Set([...ref.orderGids, ...rows.map((r) => r.order_gid)])];
}

async function customerPushIds(tx: Sql, shop: string, ref: CustomerRef, orderGids: string[]): Promise<number[]> {
  const ids = new Set<number>();
  const direct = await tx.all<{ id: number }>(
    `SELECT id FROM push WHERE shop = ? AND (customer_gid = ? OR recipient_value = ? OR recipient_value = ?)`,
    [shop, ref.customerGid, ref.email, ref.phone],
  );
  direct.forEach((r) => ids.add(r.id));
  for (const orderGid of orderGids) {
    const rows = await tx.all<{ id: number }>("SELECT id FROM push WHERE shop = ? AND order_gid = ?", [shop, orderGid]);
    rows.forEach((r) => ids.add(r.id));
  }
  return [...ids];
}

/**
 * customers/redact: the customer's contact, name, address and the bodies sent to JoinChat are erased from
 * every push; what remains (topic, order name, status, times) keeps the merchant's counts right.
 */
export async function eraseCustomer(tx: Sql, shop: string, payload: CustomersRedactPayload, now: number): Promise<{ pushes: number; orders: number }> {
  const ref = customerRefOf(payload, payload.orders_to_redact);
  const orderGids = await customerOrderGids(tx, shop, ref);
  const pushIds = await customerPushIds(tx, shop, ref, orderGids);
  for (const id of pushIds) {
    await tx.run("UPDATE push_attempt SET answer = NULL WHERE push_id = ?", [id]);
    await tx.run(
      `UPDATE push SET recipient_value = NULL, customer_gid = NULL, params = NULL, body = NULL, recipient_id = NULL,
         redacted_at = ?, updated_at = ?,
         reason = CASE WHEN status IN ('queued', 'retrying') THEN 'customer data erased' ELSE reason END,
         status = CASE WHEN status IN ('queued', 'retrying') THEN 'cancelled' ELSE status END
       WHERE id = ?`,
      [now, now, id],
    );
  }
  let orders = 0;
  for (const orderGid of orderGids) {
    orders += (await tx.run("DELETE FROM shopify_order WHERE shop = ? AND order_gid = ?", [shop, orderGid])).changes;
  }
  if (ref.customerGid) await tx.run("DELETE FROM data_request WHERE shop = ? AND customer_gid = ?", [shop, ref.customerGid]);
  return { pushes: pushIds.length, orders };
}

/** customers/data_request: records what the app holds of the customer, for the merchant to hand over. */
export async function summarizeCustomerData(
  tx: Sql,
  shop: string,
  payload: CustomersDataRequestPayload,
  now: number,
): Promise<{ pushes: number; orders: number }> {
  const ref = customerRefOf(payload, payload.orders_requested);
  const orderGids = await customerOrderGids(tx, shop, ref);
  const pushIds = await customerPushIds(tx, shop, ref, orderGids);
  const summary = {
    orders: orderGids.length,
    pushes: pushIds.length,
    pushIds,
    orderGids,
    fields: ["order name", "email", "phone", "Messenger PSID", "recipient name", "shipping address", "line items", "JoinChat answers"],
  };
  await tx.run(
    "INSERT INTO data_request (shop, customer_gid, data_request_id, summary, received_at) VALUES (?, ?, ?, ?, ?)",
    [shop, ref.customerGid, payload.data_request?.id != null ? String(payload.data_request.id) : null, JSON.stringify(summary), now],
  );
  return { pushes: pushIds.length, orders: orderGids.length };
}
