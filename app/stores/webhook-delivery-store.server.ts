import type { Sql } from "../db/database.server";

// Table webhook_delivery: one row per accepted delivery, unique (shop, X-Shopify-Webhook-Id), so a repeated
// delivery is recognised and changes nothing. Every statement on it is here.

export interface WebhookDeliveryRecord {
  shop: string;
  webhookId: string;
  topic: string;
  apiVersion: string | null;
  eventId: string | null;
  triggeredAt: string | null;
  resourceGid: string | null;
  receivedAt: number;
}

/** Records the delivery; false when it was recorded before (a repeat). */
export async function recordWebhookDelivery(sql: Sql, d: WebhookDeliveryRecord): Promise<boolean> {
  const { changes } = await sql.run(
    `INSERT INTO webhook_delivery (shop, webhook_id, topic, api_version, event_id, triggered_at, resource_gid, received_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (shop, webhook_id) DO NOTHING`,
    [d.shop, d.webhookId, d.topic, d.apiVersion, d.eventId, d.triggeredAt, d.resourceGid, d.receivedAt],
  );
  return changes > 0;
}

/** What the delivery did, in words, for an operator reading the table. */
export async function setWebhookOutcome(sql: Sql, shop: string, webhookId: string, outcome: string): Promise<void> {
  await sql.run("UPDATE webhook_delivery SET outcome = ? WHERE shop = ? AND webhook_id = ?", [outcome, shop, webhookId]);
}

export async function deleteWebhookDeliveriesOfShop(sql: Sql, shop: string): Promise<void> {
  await sql.run("DELETE FROM webhook_delivery WHERE shop = ?", [shop]);
}

/** Retention: deletes at most `limit` delivery records received before `before`; how many. */
export async function deleteWebhookDeliveriesBefore(sql: Sql, before: number, limit: number): Promise<number> {
  const { changes } = await sql.run(
    `DELETE FROM webhook_delivery WHERE (shop, webhook_id) IN (
       SELECT shop, webhook_id FROM webhook_delivery WHERE received_at < ? ORDER BY received_at LIMIT ?)`,
    [before, limit],
  );
  return changes;
}
