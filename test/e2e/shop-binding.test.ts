// Issue 13, point 2: the shop is what Shopify signed. Shopify's HMAC covers the body, not X-Shopify-Shop-Domain: a
// compliance body (shop_domain) or an app/uninstalled body (myshopify_domain) signed for shop A and sent with shop B's
// header is refused and changes nothing of B's; a delivery triggered longer ago than Shopify's retry window (and a
// margin) is answered 200, ignored and counted (GET /readyz). Orders and fulfillments: decision 018.
import { describe, expect, it } from "vitest";
import { buildOrderJson } from "../fixtures/orders";
import { uniqueShop, type AppProcess } from "../helpers/app-process";
import { describeOnBackends, receivedBy, useE2eStack, type E2eStack } from "../helpers/e2e-stack";

let stack: E2eStack;
let app: AppProcess;

describeOnBackends((backend) => {
  useE2eStack(
    (started) => {
      stack = started;
      app = started.app;
    },
    {},
    backend,
  );

  /** Rows of the shop in every table a delivery may write. */
  async function rowsOf(shop: string): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const table of ["webhook_delivery", "push", "shopify_order", "shop_settings", "data_request"]) {
      out[table] = Number((await app.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table} WHERE shop = ?`, [shop]))?.n ?? 0);
    }
    return out;
  }

  async function readyz(): Promise<Record<string, string>> {
    return (await app.request("/readyz", { method: "GET" })).json as Record<string, string>;
  }

  /** Shop B, configured, with one order of a buyer and its receipt delivered. */
  async function shopWithAnOrder(label: string): Promise<{ shop: string; before: Record<string, number> }> {
    const shop = uniqueShop(label);
    await app.configureShop(shop);
    const res = await app.sendWebhook("orders/create", shop, buildOrderJson({ email: "buyer@example.com" }));
    expect(res.status).toBe(200);
    return { shop, before: await rowsOf(shop) };
  }

  describe("a signed body acts only for the shop it names", () => {
    it("compliance bodies naming shop A, sent with shop B's header: 401, nothing of B's changed", { timeout: 30_000 }, async () => {
      const a = uniqueShop("binding-a");
      const { shop: b, before } = await shopWithAnOrder("binding-b");
      const refusedBefore = Number((await readyz()).otherShopRefused);
      const bodies: [string, string][] = [
        ["customers/redact", JSON.stringify({ shop_id: 1, shop_domain: a, customer: { id: 1, email: "buyer@example.com" }, orders_to_redact: [] })],
        ["customers/data_request", JSON.stringify({ shop_id: 1, shop_domain: a, customer: { id: 1, email: "buyer@example.com" }, orders_requested: [] })],
        ["shop/redact", JSON.stringify({ shop_id: 1, shop_domain: a })],
        ["shop/redact", JSON.stringify({ shop_id: 1, shop_domain: a.toUpperCase() + "x" })],
      ];
      for (const [topic, body] of bodies) {
        const res = await app.sendWebhook(topic, b, body);
        expect(res.status, topic).toBe(401);
        expect(res.json.error).toContain(`not for the X-Shopify-Shop-Domain ${b}`);
      }
      expect(await rowsOf(b)).toEqual(before);
      expect(Number((await readyz()).otherShopRefused)).toBe(refusedBefore + bodies.length);
      // The same bodies with their own shop's header are taken.
      const own = await app.sendWebhook("shop/redact", a, JSON.stringify({ shop_id: 1, shop_domain: a }));
      expect(own.status).toBe(200);
    });

    it("app/uninstalled naming another shop, or none: 401, B stays installed and configured", { timeout: 30_000 }, async () => {
      const a = uniqueShop("binding-ua");
      const { shop: b, before } = await shopWithAnOrder("binding-ub");
      const other = await app.sendWebhook("app/uninstalled", b, JSON.stringify({ id: 1, name: "A", domain: a, myshopify_domain: a }));
      expect(other.status).toBe(401);
      const none = await app.sendWebhook("app/uninstalled", b, JSON.stringify({ id: 1, name: "B", domain: b }));
      expect(none.status).toBe(401);
      expect(none.json.error).toBe("the body names no shop");
      expect(await rowsOf(b)).toEqual(before);
      expect(before.shop_settings).toBe(1);
      // Its own, in any case: taken, and the shop's settings go.
      const own = await app.sendWebhook("app/uninstalled", b, JSON.stringify({ id: 1, name: "B", domain: b, myshopify_domain: b.toUpperCase() }));
      expect(own.status).toBe(200);
      expect((await rowsOf(b)).shop_settings).toBe(0);
    });
  });

  describe("stale deliveries", () => {
    it("triggered longer ago than Shopify's retry window and a margin: 200, ignored, nothing stored or sent, counted", { timeout: 30_000 }, async () => {
      const shop = uniqueShop("binding-stale");
      await app.configureShop(shop);
      const ignoredBefore = Number((await readyz()).staleDeliveriesIgnored);
      const sixHoursAgo = new Date(Date.now() - 6 * 3_600_000).toISOString();
      const stale = await app.sendWebhook("orders/create", shop, buildOrderJson(), { headers: { "x-shopify-triggered-at": sixHoursAgo } });
      expect(stale.status).toBe(200);
      expect(stale.json).toMatchObject({ ok: true, ignored: expect.stringMatching(/^stale/) });
      expect(await rowsOf(shop)).toMatchObject({ webhook_delivery: 0, push: 0, shopify_order: 0 });
      expect(Number((await readyz()).staleDeliveriesIgnored)).toBe(ignoredBefore + 1);
      expect(app.logs()).toContain('"msg":"webhook ignored"');
      // Whatever its body holds: a stale delivery is not read, so not refused (a 400 would only ask for it again).
      const staleOdd = await app.sendWebhook("orders/create", shop, '{"id":1}', { headers: { "x-shopify-triggered-at": sixHoursAgo } });
      expect(staleOdd.status, staleOdd.text).toBe(200);
      expect(staleOdd.json).toMatchObject({ ok: true, ignored: expect.stringMatching(/^stale/) });
      expect(Number((await readyz()).staleDeliveriesIgnored)).toBe(ignoredBefore + 2);

      // A retry within the window (three hours) is one of Shopify's: taken and sent.
      const threeHoursAgo = new Date(Date.now() - 3 * 3_600_000).toISOString();
      const retry = await app.sendWebhook("orders/create", shop, buildOrderJson(), { headers: { "x-shopify-triggered-at": threeHoursAgo } });
      expect(retry.status).toBe(200);
      expect(retry.json).toMatchObject({ ok: true, duplicate: false });
      expect((await rowsOf(shop)).webhook_delivery).toBe(1);
      for (let i = 0; i < 200 && receivedBy(stack.sandbox, shop).length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(receivedBy(stack.sandbox, shop)).toHaveLength(1);
      expect(Number((await readyz()).staleDeliveriesIgnored)).toBe(ignoredBefore + 2);
    });
  });
});
