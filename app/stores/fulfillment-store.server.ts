import type { Sql } from "../db/database.server";
import type { TrackingStatus } from "../pushes/types";

// Table fulfillment_state: per fulfillment, the furthest tracking status pushed and the newest update seen, so that
// a status never goes backwards and an older update is dropped, and whether the buyer was told of the parcel (its
// cancellation is pushed only then). Every statement on it is here.

export interface FulfillmentStateRow {
  furthest_status: TrackingStatus;
  newest_updated_at: number;
  buyer_told: boolean;
}

export async function readFulfillmentState(sql: Sql, shop: string, fulfillmentGid: string): Promise<FulfillmentStateRow | undefined> {
  const row = await sql.get<{ furthest_status: TrackingStatus; newest_updated_at: number; buyer_told: number }>(
    "SELECT furthest_status, newest_updated_at, buyer_told FROM fulfillment_state WHERE shop = ? AND fulfillment_gid = ?",
    [shop, fulfillmentGid],
  );
  return row ? { furthest_status: row.furthest_status, newest_updated_at: Number(row.newest_updated_at), buyer_told: Number(row.buyer_told) === 1 } : undefined;
}

export interface FulfillmentStateUpdate {
  fulfillmentGid: string;
  orderGid: string | null;
  furthestStatus: TrackingStatus;
  newestUpdatedAt: number;
  /** A package/update of the fulfillment is pushed now or was before: once told, always told. */
  buyerTold: boolean;
}

export async function saveFulfillmentState(sql: Sql, shop: string, state: FulfillmentStateUpdate, now: number): Promise<void> {
  await sql.run(
    `INSERT INTO fulfillment_state (shop, fulfillment_gid, order_gid, furthest_status, newest_updated_at, buyer_told, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (shop, fulfillment_gid) DO UPDATE SET furthest_status = excluded.furthest_status,
       newest_updated_at = excluded.newest_updated_at, order_gid = COALESCE(excluded.order_gid, fulfillment_state.order_gid),
       buyer_told = CASE WHEN fulfillment_state.buyer_told = 1 THEN 1 ELSE excluded.buyer_told END,
       updated_at = excluded.updated_at`,
    [shop, state.fulfillmentGid, state.orderGid, state.furthestStatus, state.newestUpdatedAt, state.buyerTold ? 1 : 0, now],
  );
}

export async function deleteFulfillmentStatesOfShop(sql: Sql, shop: string): Promise<void> {
  await sql.run("DELETE FROM fulfillment_state WHERE shop = ?", [shop]);
}
