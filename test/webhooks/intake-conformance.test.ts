import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import "@shopify/shopify-app-remix/adapters/node";
import { ApiVersion, shopifyApp } from "@shopify/shopify-app-remix/server";
import { testConfig } from "@shopify/shopify-app-remix/test-helpers";
import { MemorySessionStorage } from "@shopify/shopify-app-session-storage-memory";
import type { Database } from "../../app/db/database.server";
import { createGroupCommit } from "../../app/db/group-commit.server";
import { createWebhookHttpHandler } from "../../app/webhooks/http-intake.server";
import { createEmbeddedScheduler } from "../../app/delivery/scheduler.server";
import { createWebhookReceiver } from "../../app/webhooks/receive.server";
import { signShopifyWebhook } from "../../app/webhooks/sign-webhook";
import { buildOrderJson } from "../fixtures/orders";
import { openTestDatabase } from "../helpers/database";

// The lean webhook path answers as authenticate.webhook does, request for request: the library is the
// reference, the lean path is held to it.

const SECRET = "conformance-secret";
const SHOP = "conformance-shop.myshopify.com";
const TOPIC = "orders/create";

const shopify = shopifyApp(testConfig({ apiSecretKey: SECRET, apiVersion: ApiVersion.April26, sessionStorage: new MemorySessionStorage() }));

async function libraryStatus(init: { method: string; headers: Record<string, string>; body?: string }): Promise<number> {
  const request = new Request(`https://app.example.com/webhooks/${TOPIC}`, init);
  try {
    await shopify.authenticate.webhook(request);
    return 200;
  } catch (thrown) {
    if (thrown instanceof Response) return thrown.status;
    throw thrown;
  }
}

let db: Database;
let server: http.Server;
let base: string;

beforeAll(async () => {
  ({ db } = openTestDatabase());
  const commit = createGroupCommit(db);
  const receive = createWebhookReceiver({ commit, scheduler: createEmbeddedScheduler(null) });
  const handle = createWebhookHttpHandler({ apiSecret: SECRET, maxBodyBytes: 1024 * 1024, receive });
  server = http.createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await db.close();
});

async function leanStatus(init: { method: string; headers: Record<string, string>; body?: string }): Promise<number> {
  const res = await fetch(`${base}/webhooks/${TOPIC}`, init);
  await res.text();
  return res.status;
}

async function storedRows(): Promise<number> {
  const deliveries = await db.get<{ n: number }>("SELECT COUNT(*) AS n FROM webhook_delivery");
  const pushes = await db.get<{ n: number }>("SELECT COUNT(*) AS n FROM push");
  return Number(deliveries?.n) + Number(pushes?.n);
}

let counter = 0;
function signed(body = buildOrderJson({})): { headers: Record<string, string>; body: string } {
  counter += 1;
  return { body, headers: signShopifyWebhook({ body, secret: SECRET, topic: TOPIC, shop: SHOP, webhookId: `conformance-${counter}` }) };
}

function without(headers: Record<string, string>, name: string): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== name));
}

const REFUSED: [string, () => { method: string; headers: Record<string, string>; body?: string }, number][] = [
  ["a forged HMAC", () => ({ method: "POST", ...signed(), headers: { ...signed().headers, "x-shopify-hmac-sha256": "Zm9yZ2VkIHNpZ25hdHVyZQ==" } }), 401],
  [
    "an HMAC of other bytes",
    () => {
      const s = signed();
      return { method: "POST", headers: s.headers, body: s.body.replace("#1001", "#1002") };
    },
    401,
  ],
  [
    "a truncated HMAC",
    () => {
      const s = signed();
      return { method: "POST", body: s.body, headers: { ...s.headers, "x-shopify-hmac-sha256": s.headers["x-shopify-hmac-sha256"].slice(0, 20) } };
    },
    401,
  ],
  ["a GET", () => ({ method: "GET", headers: signed().headers }), 405],
  [
    "an empty body",
    () => ({ method: "POST", headers: signShopifyWebhook({ body: "", secret: SECRET, topic: TOPIC, shop: SHOP, webhookId: "empty" }), body: "" }),
    400,
  ],
  ...["x-shopify-hmac-sha256", "x-shopify-topic", "x-shopify-shop-domain", "x-shopify-api-version", "x-shopify-webhook-id"].map(
    (name): [string, () => { method: string; headers: Record<string, string>; body?: string }, number] => [
      `no ${name} header`,
      () => {
        const s = signed();
        return { method: "POST", body: s.body, headers: without(s.headers, name) };
      },
      400,
    ],
  ),
];

describe("the lean webhook path answers like authenticate.webhook", () => {
  it.each(REFUSED)("%s", async (_name, make, expected) => {
    const init = make();
    const before = await storedRows();
    const [library, lean] = [await libraryStatus(init), await leanStatus(init)];
    expect(library).toBe(expected);
    expect(lean).toBe(library);
    expect(await storedRows()).toBe(before);
  });

  it("accepts a correctly signed delivery, as the library does, and stores it", async () => {
    const init = { method: "POST", ...signed() };
    expect(await libraryStatus(init)).toBe(200);
    const before = await storedRows();
    expect(await leanStatus(init)).toBe(200);
    expect(await storedRows()).toBeGreaterThan(before);
  });

  it("reads the topic the library reads, in Shopify's normalised spelling too", async () => {
    const s = signed();
    const init = { method: "POST", body: s.body, headers: { ...s.headers, "x-shopify-topic": "ORDERS_CREATE" } };
    expect(await libraryStatus(init)).toBe(200);
    expect(await leanStatus(init)).toBe(200);
  });
});
