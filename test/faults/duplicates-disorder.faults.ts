// 500 orders, each webhook delivered 1 to 3 times, concurrently, in shuffled order (orders/paid before
// orders/create, fulfillment updates before creates): exactly the pushes the rules ask for.
import { describe, expect, it } from "vitest";
import type { AppProcess } from "../helpers/app-process";
import { describeOnBackends, useE2eStack, type E2eStack } from "../helpers/e2e-stack";
import { labelScenarios, recordScenario } from "./summary";
import { buildFulfillmentJson } from "../fixtures/fulfillments";
import { buildOrderJson } from "../fixtures/orders";
import { buildWorld, expectClean, expectedLabel, PAGE_ID, seededRandom, sendAll, tally, waitForWorld, withDuplicatesShuffled } from "./world";

let stack: E2eStack;
let app: AppProcess;

describeOnBackends((backend) => {
  labelScenarios(backend.label);
  useE2eStack(
    (started) => {
      stack = started;
      app = started.app;
    },
    {},
    backend,
  );

  describe("duplicates and disorder", () => {
    it("500 orders, every webhook 1-3 times, shuffled and concurrent: each push once, none lost, none backwards", async () => {
      const shop = "faults-disorder.myshopify.com";
      await app.configureShop(shop, [], PAGE_ID);
      const world = buildWorld(shop, 500, 1);
      const deliveries = withDuplicatesShuffled(world.webhooks, seededRandom(20261128));
      const { sent } = await sendAll(app, shop, deliveries, 32);
      await waitForWorld(app, stack.sandbox, world);

      const t = tally(stack.sandbox, world);
      recordScenario({
        scenario: "duplicates and disorder (500 orders)",
        webhooks: sent,
        expected: expectedLabel(world),
        delivered: t.delivered,
        doubled: t.doubled.length,
        lost: t.lost.length,
      });
      expectClean(t);
      // One delivery row per distinct webhook id, whatever the repeats.
      const distinct = new Set(deliveries.map((d) => d.webhookId)).size;
      expect(Number((await app.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM webhook_delivery WHERE shop = ?", [shop]))?.n)).toBe(distinct);
    });

    it("a Shopify retry of an old fulfillment update after a newer one is dropped", async () => {
      const shop = "faults-stale.myshopify.com";
      await app.configureShop(shop, [], PAGE_ID);
      const orderId = 7_900_000_001;
      await app.sendWebhook("orders/create", shop, buildOrderJson({ id: orderId, admin_graphql_api_id: `gid://shopify/Order/${orderId}`, name: "#S1" }));
      const parcel = (shipment_status: string | null, updated_at: string) =>
        buildFulfillmentJson({
          id: 8_900_000_001,
          admin_graphql_api_id: "gid://shopify/Fulfillment/8900000001",
          order_id: orderId,
          tracking_number: "STALE1",
          tracking_numbers: ["STALE1"],
          shipment_status,
          updated_at,
        });
      const older = parcel("in_transit", "2026-11-20T12:00:00Z");
      const olderId = "stale-retry-webhook";
      expect((await app.sendWebhook("fulfillments/create", shop, parcel(null, "2026-11-20T11:00:00Z"))).status).toBe(200);
      expect((await app.sendWebhook("fulfillments/update", shop, parcel("out_for_delivery", "2026-11-20T13:00:00Z"))).status).toBe(200);
      // The old update, late: first under a new subscription's id, then Shopify's retry of it under its own id.
      expect((await app.sendWebhook("fulfillments/update", shop, older)).status).toBe(200);
      expect((await app.sendWebhook("fulfillments/update", shop, older, { webhookId: olderId })).status).toBe(200);
      expect((await app.sendWebhook("fulfillments/update", shop, older, { webhookId: olderId })).status).toBe(200);

      // The receipt and out_for_delivery must arrive; shipped may be skipped when out_for_delivery was planned before it
      // went out (a status never goes backwards); the stale in_transit never.
      const received = () => stack.sandbox.received.filter((p) => p.shop === shop && !p.replay);
      const packages = () =>
        received()
          .filter((p) => p.topic === "package/update")
          .map((p) => p.params.tracking_status as string);
      for (let i = 0; i < 200 && !(received().some((p) => p.topic === "Order/Receipt") && packages().includes("out_for_delivery")); i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      await new Promise((r) => setTimeout(r, 500));
      const statuses = packages();
      const stale = await app.db.all<{ reason: string }>("SELECT reason FROM push WHERE shop = ? AND tracking_status = 'in_transit' ORDER BY id", [shop]);
      const keys = received().map((p) => p.businessKey);
      recordScenario({
        scenario: "stale retries",
        webhooks: 6,
        expected: "2–3",
        delivered: received().length,
        doubled: keys.length - new Set(keys).size,
        lost: (received().some((p) => p.topic === "Order/Receipt") ? 0 : 1) + (statuses.includes("out_for_delivery") ? 0 : 1),
      });
      expect(statuses.filter((s) => s !== "shipped")).toEqual(["out_for_delivery"]);
      expect(statuses.indexOf("shipped")).toBeLessThan(1);
      expect(stale.map((s) => s.reason)).toEqual(["stale_update", "stale_update"]);
    });
  });
});
