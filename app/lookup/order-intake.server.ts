import type { Sql } from "../db/database.server";
import { emailKeyOf, orderNameKey, phoneKeyOf } from "../pushes/lookup-receipt";
import { planReceiptParams } from "../pushes/receipt-params";
import type { FulfillmentFacts, OrderFacts } from "../pushes/types";
import type { OrderPayload } from "../shopify/payloads";
import { setLookupOrderTracking, upsertLookupOrder } from "../stores/lookup-order-store.server";

// What order lookups answer from, recorded by the webhook intake inside its transaction (decision 019): the order's
// receipt by the push mapping, the keys it is found by, and where it stands.

export async function recordLookupOrder(tx: Sql, shop: string, order: OrderPayload, facts: OrderFacts, paid: boolean, now: number): Promise<void> {
  const { params } = planReceiptParams(order, paid ? "Order/Receipt" : "Order/Unpaid");
  const confirmation = (order.confirmation_number ?? "").trim().toUpperCase();
  await upsertLookupOrder(
    tx,
    shop,
    {
      orderGid: facts.orderGid,
      nameKey: orderNameKey(facts.name),
      confirmationNumber: /^[A-Z0-9]{4,20}$/.test(confirmation) ? confirmation : null,
      emailKey: emailKeyOf(facts.email),
      phoneKey: phoneKeyOf(facts.phone),
      receipt: JSON.stringify(params),
      paid,
      closed: facts.cancelled,
      createdAtMs: Number.isFinite(facts.createdAtMs) ? facts.createdAtMs : now,
    },
    now,
  );
}

/** A fulfillment's status moved on: the order's tracking status and link; a delivered parcel closes the order. */
export async function recordLookupTracking(tx: Sql, shop: string, facts: FulfillmentFacts, now: number): Promise<void> {
  if (!facts.orderGid || facts.trackingStatus === null) return;
  await setLookupOrderTracking(
    tx,
    shop,
    facts.orderGid,
    { status: facts.trackingStatus, url: facts.trackingUrl, closes: facts.trackingStatus === "delivered" },
    now,
  );
}
