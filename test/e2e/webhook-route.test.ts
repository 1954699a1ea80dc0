// The webhook route of the production server, with correctly signed (and deliberately wrong) requests:
// what it answers, and that a refused request leaves nothing behind.
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { buildFulfillmentJson } from "../fixtures/fulfillments";
import { buildOrderJson, ORDER_GID } from "../fixtures/orders";
import { readShopifyFixture } from "../fixtures/shopify-fixtures";
import { pushesOf, TEST_SHOPIFY_API_SECRET, uniqueShop, waitFor, waitForSettled, type AppProcess } from "../helpers/app-process";
import { describeOnBackends, receivedBy, useE2eStack, type E2eStack } from "../helpers/e2e-stack";
import { signShopifyWebhook } from "../../app/webhooks/sign-webhook";

const MAX_BODY_BYTES = 32 * 1024;

let stack: E2eStack;
let app: AppProcess;

describeOnBackends((backend) => {
  useE2eStack(
    (started) => {
      stack = started;
      app = started.app;
    },
    { WEBHOOK_MAX_BODY_BYTES: String(MAX_BODY_BYTES) },
    backend,
  );

  async function storedFor(shop: string) {
    return {
      deliveries: (await app.db.all("SELECT * FROM webhook_delivery WHERE shop = ?", [shop])).length,
      pushes: (await app.db.all("SELECT * FROM push WHERE shop = ?", [shop])).length,
      orders: (await app.db.all("SELECT * FROM shopify_order WHERE shop = ?", [shop])).length,
    };
  }

  const nothing = { deliveries: 0, pushes: 0, orders: 0 };

  describe("POST /webhooks/<topic> on the production server", () => {
    it("takes a correctly signed delivery: 200, the delivery and its push stored, the push delivered", { timeout: 30_000 }, async () => {
      const shop = uniqueShop("route-valid");
      await app.configureShop(shop);
      const webhookId = randomUUID();
      const res = await app.sendWebhook("orders/create", shop, buildOrderJson(), { webhookId });
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({ ok: true, duplicate: false });
      expect(res.json.pushes).toHaveLength(1);

      const delivery = await app.db.get<{ topic: string; resource_gid: string }>("SELECT * FROM webhook_delivery WHERE shop = ? AND webhook_id = ?", [
        shop,
        webhookId,
      ]);
      expect(delivery).toMatchObject({ topic: "orders/create", resource_gid: ORDER_GID });
      const [push] = await waitForSettled(app, shop);
      expect(push).toMatchObject({ id: res.json.pushes[0], topic: "Order/Receipt", status: "delivered", business_key: `receipt:${ORDER_GID}` });

      const received = receivedBy(stack.sandbox, shop);
      expect(received).toHaveLength(1);
      expect(received[0]).toMatchObject({ topic: "Order/Receipt", pageId: "407898491811542", idempotencyKey: push.idempotency_key });
      expect(received[0].params.order_number).toBe("#1001");
    });

    it("refuses a forged HMAC with 401 and stores nothing", { timeout: 30_000 }, async () => {
      const shop = uniqueShop("route-forged");
      await app.configureShop(shop);
      const res = await app.sendWebhook("orders/create", shop, buildOrderJson(), { secret: "not-the-app-secret" });
      expect(res.status).toBe(401);
      // The right signature of another body does not do either.
      const other = signShopifyWebhook({ body: "{}", secret: TEST_SHOPIFY_API_SECRET, topic: "orders/create", shop, webhookId: randomUUID() });
      const swapped = await app.sendWebhook("orders/create", shop, buildOrderJson(), { headers: { "x-shopify-hmac-sha256": other["x-shopify-hmac-sha256"] } });
      expect(swapped.status).toBe(401);
      expect(await storedFor(shop)).toEqual(nothing);
      expect(receivedBy(stack.sandbox, shop)).toHaveLength(0);
    });

    it("refuses a missing HMAC or a missing Shopify header with 400 and stores nothing", { timeout: 30_000 }, async () => {
      const shop = uniqueShop("route-missing");
      await app.configureShop(shop);
      for (const name of ["x-shopify-hmac-sha256", "x-shopify-topic", "x-shopify-shop-domain", "x-shopify-webhook-id", "x-shopify-api-version"]) {
        const res = await app.sendWebhook("orders/create", shop, buildOrderJson(), { headers: { [name]: null } });
        expect(res.status, `without ${name}`).toBe(400);
      }
      // A topic header that does not belong on the route.
      const wrongTopic = await app.sendWebhook("orders/create", shop, buildOrderJson(), { headers: { "x-shopify-topic": "orders/paid" } });
      expect(wrongTopic.status).toBe(400);
      expect(await storedFor(shop)).toEqual(nothing);
    });

    it("answers GET with 405 and an unknown webhook path with 404, storing nothing", { timeout: 30_000 }, async () => {
      const shop = uniqueShop("route-method");
      await app.configureShop(shop);
      const get = await app.sendWebhook("orders/create", shop, buildOrderJson(), { method: "GET" });
      expect(get.status).toBe(405);
      expect(get.headers.allow).toBe("POST");
      const unknown = await app.sendWebhook("orders/delete", shop, buildOrderJson());
      expect(unknown.status).toBe(404);
      const nowhere = await app.sendWebhook("orders/create", shop, buildOrderJson(), { path: "/webhooks/orders/create/extra" });
      expect(nowhere.status).toBe(404);
      expect(await storedFor(shop)).toEqual(nothing);
    });

    it("refuses malformed JSON and a wrong-typed field with 400 even when signed, storing nothing", { timeout: 30_000 }, async () => {
      const shop = uniqueShop("route-malformed");
      await app.configureShop(shop);
      const malformed = await app.sendWebhook("orders/create", shop, buildOrderJson().slice(0, -10));
      expect(malformed.status).toBe(400);
      expect(malformed.json.error).toMatch(/JSON/i);
      const notAnObject = await app.sendWebhook("orders/create", shop, "[1,2,3]");
      expect(notAnObject.status).toBe(400);
      const wrongType = await app.sendWebhook("orders/create", shop, buildOrderJson({ test: "yes", line_items: "three" }));
      expect(wrongType.status).toBe(400);
      const wrongGid = await app.sendWebhook("fulfillments/create", shop, buildFulfillmentJson({ admin_graphql_api_id: 12345 }));
      expect(wrongGid.status).toBe(400);
      const empty = await app.sendWebhook("orders/create", shop, "");
      expect(empty.status).toBe(400);
      expect(await storedFor(shop)).toEqual(nothing);
    });

    it("refuses a body over WEBHOOK_MAX_BODY_BYTES with 413, declared or streamed, storing nothing", { timeout: 30_000 }, async () => {
      const shop = uniqueShop("route-large");
      await app.configureShop(shop);
      const big = buildOrderJson({ note: "x".repeat(MAX_BODY_BYTES) });
      const declared = await app.sendWebhook("orders/create", shop, big);
      expect(declared.status).toBe(413);
      const headers = signShopifyWebhook({ body: big, secret: TEST_SHOPIFY_API_SECRET, topic: "orders/create", shop, webhookId: randomUUID() });
      const streamed = await app.request("/webhooks/orders/create", { headers, body: big, chunked: true });
      expect(streamed.status).toBe(413);
      expect(await storedFor(shop)).toEqual(nothing);
      // The server is still well after cutting those connections.
      const ok = await app.sendWebhook("orders/create", shop, buildOrderJson());
      expect(ok.status).toBe(200);
    });

    it("answers a repeated delivery (same X-Shopify-Webhook-Id) with 200 and changes nothing", { timeout: 30_000 }, async () => {
      const shop = uniqueShop("route-duplicate");
      await app.configureShop(shop);
      const webhookId = randomUUID();
      const body = buildOrderJson();
      const first = await app.sendWebhook("orders/create", shop, body, { webhookId });
      expect(first.status).toBe(200);
      expect(first.json.duplicate).toBe(false);
      await waitForSettled(app, shop);
      const again = await Promise.all([1, 2, 3].map(() => app.sendWebhook("orders/create", shop, body, { webhookId })));
      for (const res of again) {
        expect(res.status).toBe(200);
        expect(res.json).toMatchObject({ ok: true, duplicate: true, pushes: [] });
      }
      expect(await storedFor(shop)).toEqual({ deliveries: 1, pushes: 1, orders: 1 });
      const pushes = await waitForSettled(app, shop);
      expect(pushes.map((p) => p.status)).toEqual(["delivered"]);
      expect(receivedBy(stack.sandbox, shop)).toHaveLength(1);
      expect(stack.sandbox.stats().doubledBusinessKeys).toEqual([]);
    });

    it("takes the same delivery sent several times at once as one", { timeout: 30_000 }, async () => {
      const shop = uniqueShop("route-concurrent");
      await app.configureShop(shop);
      const webhookId = randomUUID();
      const body = buildOrderJson();
      const answers = await Promise.all(Array.from({ length: 5 }, () => app.sendWebhook("orders/create", shop, body, { webhookId })));
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
      expect(answers.filter((a) => a.json.duplicate === false)).toHaveLength(1);
      const pushes = await waitForSettled(app, shop);
      expect(pushes.map((p) => p.status)).toEqual(["delivered"]);
      expect(await storedFor(shop)).toEqual({ deliveries: 1, pushes: 1, orders: 1 });
      expect(receivedBy(stack.sandbox, shop)).toHaveLength(1);
    });

    it("answers health checks directly and leaves other paths to Remix", { timeout: 30_000 }, async () => {
      expect((await app.request("/healthz", { method: "GET" })).status).toBe(200);
      const ready = await app.request("/readyz", { method: "GET" });
      expect(ready.status).toBe(200);
      // The embedded default delivers in the web process; with BullMQ the web process only enqueues, and is
      // ready when Redis answers too.
      expect(ready.json).toMatchObject(
        backend.kind === "sqlite"
          ? { status: "ready", database: "ok", worker: "running" }
          : { status: "ready", database: "ok", queue: "ok", worker: "separate" },
      );
      const home = await app.request("/", { method: "GET" });
      expect(home.status).toBe(200);
      expect(home.headers["content-type"]).toMatch(/text\/html/);
    });

    it("takes the Shopify fixtures: a cancelled order gets no receipt, the paid one gets exactly one", { timeout: 30_000 }, async () => {
      const shop = uniqueShop("route-fixture");
      await app.configureShop(shop);
      // An orders/create whose order is already cancelled and voided (Shopify's own published orders/create
      // example is such an order): taken, no push planned.
      const cancelled = readShopifyFixture("orders/cancelled");
      const asCancelled = await app.sendWebhook("orders/create", shop, cancelled);
      expect(asCancelled.status).toBe(200);
      expect(asCancelled.json.pushes).toEqual([]);
      // Paid but still cancelled: the receipt is recorded as skipped, with the reason.
      const paidButCancelled = cancelled.replace(/"financial_status": "voided"/, '"financial_status": "paid"');
      expect(paidButCancelled).not.toBe(cancelled);
      expect((await app.sendWebhook("orders/paid", shop, paidButCancelled)).status).toBe(200);
      const skipped = await waitFor(async () => (await pushesOf(app, shop))[0], 5_000, "the skipped push");
      expect(skipped).toMatchObject({ topic: "Order/Receipt", status: "skipped", reason: "order_cancelled" });

      // The paid order as its file holds it, then its orders/paid: one receipt, to the PSID of its note attribute.
      const other = uniqueShop("route-fixture-paid");
      await app.configureShop(other);
      const res = await app.sendWebhook("orders/create", other, readShopifyFixture("orders/create"));
      expect(res.status).toBe(200);
      expect((await app.sendWebhook("orders/paid", other, readShopifyFixture("orders/paid"))).status).toBe(200);
      const pushes = await waitForSettled(app, other);
      expect(pushes).toHaveLength(2);
      expect(pushes[0]).toMatchObject({ topic: "Order/Receipt", status: "delivered", business_key: "receipt:gid://shopify/Order/5731908254617390113" });
      expect(pushes[1]).toMatchObject({ topic: "Order/Receipt", status: "skipped", reason: "duplicate" });
      const received = receivedBy(stack.sandbox, other);
      expect(received).toHaveLength(1);
      expect(received[0].recipient).toEqual({ id: "7401825563920174" });
      expect(received[0].params).toMatchObject({ order_number: "#2087", currency: "USD", summary: { total_cost: 173.53 } });
      expect(receivedBy(stack.sandbox, shop)).toHaveLength(0);
    });
  });
});
