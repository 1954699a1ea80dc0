import type { Sql } from "../db/database.server";

// Table data_request: each customers/data_request, with a summary of what the app held of the customer for the
// merchant to hand over. Every statement on it is here.

export interface DataRequestRecord {
  shop: string;
  customerGid: string | null;
  dataRequestId: string | null;
  summary: unknown;
  receivedAt: number;
}

export async function insertDataRequest(sql: Sql, r: DataRequestRecord): Promise<void> {
  await sql.run("INSERT INTO data_request (shop, customer_gid, data_request_id, summary, received_at) VALUES (?, ?, ?, ?, ?)", [
    r.shop,
    r.customerGid,
    r.dataRequestId,
    JSON.stringify(r.summary),
    r.receivedAt,
  ]);
}

/** customers/redact: the customer's earlier data requests go too. */
export async function deleteDataRequestsOfCustomer(sql: Sql, shop: string, customerGid: string): Promise<void> {
  await sql.run("DELETE FROM data_request WHERE shop = ? AND customer_gid = ?", [shop, customerGid]);
}

export async function deleteDataRequestsOfShop(sql: Sql, shop: string): Promise<void> {
  await sql.run("DELETE FROM data_request WHERE shop = ?", [shop]);
}
