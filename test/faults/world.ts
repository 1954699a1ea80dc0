// A shop's worth of orders and parcels, the webhooks Shopify would send for them, and what JoinChat must end up
// with: the pushes the rules require (definite), the ones that depend on arrival order (optional), nothing else.
import { randomUUID } from "node:crypto";
import { expect } from "vitest";
import { TRACKING_STATUS_RANK } from "../../app/pushes/fulfillment-facts";
import type { TrackingStatus } from "../../app/pushes/types";
import { buildFulfillmentJson } from "../fixtures/fulfillments";
import { buildOrderJson } from "../fixtures/orders";
import type { AppProcess, HttpAnswer } from "../helpers/app-process";
import type { JoinChatSandbox } from "../sandbox/joinchat-sandbox";

export const PAGE_ID = "407898491811542";

export interface Webhook {
  topic: string;
  body: string;
  webhookId: string;
}

export interface World {
  shop: string;
  webhooks: Webhook[];
  definite: Set<string>;
  optional: Set<string>;
  /** The tracking number of every parcel, to check that statuses never went backwards. */
  trackingNumbers: string[];
}

const key = {
  receipt: (shop: string, name: string) => `receipt:${shop}:${PAGE_ID}:${name}`,
  unpaid: (shop: string, name: string) => `unpaid:${shop}:${PAGE_ID}:${name}`,
  package: (shop: string, tracking: string, status: string) => `package:${shop}:${PAGE_ID}:${tracking}:${status}`,
};

const hour = (base: number, h: number) => new Date(base + h * 3_600_000).toISOString();

/**
 * `count` orders: 40 % paid at creation (then orders/paid too), 40 % pending then paid, 20 % pending and never paid.
 * Every paid order ships one parcel: fulfillments/create, then updates in_transit and delivered.
 */
export function buildWorld(shop: string, count: number, seed = 1): World {
  const world: World = { shop, webhooks: [], definite: new Set(), optional: new Set(), trackingNumbers: [] };
  const base = Date.parse("2026-11-20T10:00:00Z");
  for (let i = 0; i < count; i++) {
    const id = 7_000_000_000 + seed * 100_000 + i;
    const name = `#F${seed}-${i}`;
    const kind = i % 5 < 2 ? "paid" : i % 5 < 4 ? "paid-later" : "unpaid";
    const order = (financial_status: string) =>
      buildOrderJson({ id, admin_graphql_api_id: `gid://shopify/Order/${id}`, name, financial_status, created_at: hour(base, 0) });
    const add = (topic: string, body: string) => world.webhooks.push({ topic, body, webhookId: randomUUID() });

    add("orders/create", order(kind === "paid" ? "paid" : "pending"));
    if (kind !== "unpaid") add("orders/paid", order("paid"));
    if (kind === "unpaid") {
      world.definite.add(key.unpaid(shop, name));
      continue;
    }
    world.definite.add(key.receipt(shop, name));
    if (kind === "paid-later") world.optional.add(key.unpaid(shop, name));

    const tracking = `TRK${seed}X${i}`;
    world.trackingNumbers.push(tracking);
    const fulfillment = (shipment_status: string | null, h: number) =>
      buildFulfillmentJson({
        id: 8_000_000_000 + seed * 100_000 + i,
        admin_graphql_api_id: `gid://shopify/Fulfillment/${8_000_000_000 + seed * 100_000 + i}`,
        order_id: id,
        name: `${name}.1`,
        shipment_status,
        created_at: hour(base, 1),
        updated_at: hour(base, h),
        tracking_number: tracking,
        tracking_numbers: [tracking],
      });
    add("fulfillments/create", fulfillment(null, 1));
    add("fulfillments/update", fulfillment("in_transit", 2));
    add("fulfillments/update", fulfillment("delivered", 3));
    world.definite.add(key.package(shop, tracking, "delivered"));
    world.optional.add(key.package(shop, tracking, "shipped"));
    world.optional.add(key.package(shop, tracking, "in_transit"));
  }
  return world;
}

/** Shopify's at-least-once delivery: each webhook 1 to 3 times (mostly the same id, sometimes a new one), shuffled. */
export function withDuplicatesShuffled(webhooks: Webhook[], random: () => number): Webhook[] {
  const out: Webhook[] = [];
  for (const w of webhooks) {
    const copies = 1 + Math.floor(random() * 3);
    for (let c = 0; c < copies; c++) out.push(c > 0 && random() < 0.2 ? { ...w, webhookId: randomUUID() } : w);
  }
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** A small deterministic random source, so a failing run can be repeated. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/**
 * Sends every webhook, `concurrency` at a time. As Shopify does, a delivery that did not get a 200 (an error, a
 * connection the app dropped) is sent again after a pause, until it does.
 */
export async function sendAll(app: AppProcess, shop: string, webhooks: Webhook[], concurrency = 16): Promise<{ sent: number; retried: number }> {
  let next = 0;
  let sent = 0;
  let retried = 0;
  async function lane() {
    while (next < webhooks.length) {
      const w = webhooks[next++];
      for (let attempt = 0; ; attempt++) {
        sent += 1;
        const answer: HttpAnswer | null = await app.sendWebhook(w.topic, shop, w.body, { webhookId: w.webhookId }).catch(() => null);
        if (answer?.status === 200) break;
        if (answer && answer.status !== 500 && answer.status !== 503) throw new Error(`${w.topic} refused with ${answer.status}: ${answer.text}`);
        if (attempt > 200) throw new Error(`${w.topic} never accepted`);
        retried += 1;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, lane));
  return { sent, retried };
}

export interface Tally {
  delivered: number;
  doubled: string[];
  lost: string[];
  unexpected: string[];
  backwards: string[];
}

/** What JoinChat received for the world's shop, against what it must have. */
export function tally(sandbox: JoinChatSandbox, world: World): Tally {
  const first = sandbox.received.filter((p) => p.shop === world.shop && !p.replay);
  const counts = new Map<string, number>();
  for (const p of first) counts.set(p.businessKey, (counts.get(p.businessKey) ?? 0) + 1);
  const backwards: string[] = [];
  for (const tracking of world.trackingNumbers) {
    const statuses = first
      .filter((p) => p.topic === "package/update" && p.params?.tracking_number === tracking)
      .sort((a, b) => a.receivedAt - b.receivedAt)
      .map((p) => TRACKING_STATUS_RANK[p.params.tracking_status as TrackingStatus]);
    if (statuses.some((rank, i) => i > 0 && rank < statuses[i - 1])) backwards.push(tracking);
  }
  return {
    delivered: first.length,
    doubled: [...counts].filter(([, n]) => n > 1).map(([k]) => k),
    lost: [...world.definite].filter((k) => !counts.has(k)),
    unexpected: [...counts.keys()].filter((k) => !world.definite.has(k) && !world.optional.has(k)),
    backwards,
  };
}

export function expectedLabel(world: World): string {
  return world.optional.size > 0 ? `${world.definite.size}–${world.definite.size + world.optional.size}` : String(world.definite.size);
}

export function expectClean(t: Tally): void {
  expect(t.doubled).toEqual([]);
  expect(t.lost).toEqual([]);
  expect(t.unexpected).toEqual([]);
  expect(t.backwards).toEqual([]);
}

/** Waits until JoinChat has every push the world requires and the app has nothing left to send. */
export async function waitForWorld(app: AppProcess, sandbox: JoinChatSandbox, world: World, timeoutMs = 120_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const t = tally(sandbox, world);
    const pending = await app.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM push WHERE shop = ? AND status IN ('queued', 'retrying', 'sending')", [
      world.shop,
    ]);
    if (t.lost.length === 0 && Number(pending?.n ?? 1) === 0) return;
    if (Date.now() > until) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}
