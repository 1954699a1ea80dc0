// Fulfillment webhooks in and out of order through the production server, SQLite and the sandbox: one
// package/update per (fulfillment, tracking_status), never backwards, stale updates dropped.
import { describe, expect, it } from "vitest";
import { buildFulfillmentJson, FULFILLMENT_GID, TRACKING_NUMBER, TRACKING_URL } from "../fixtures/fulfillments";
import { buildOrderJson, PSID } from "../fixtures/orders";
import { attemptsOf, pushesOf, uniqueShop, waitFor, waitForSettled, type AppProcess } from "../helpers/app-process";
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

  const at = (hour: number) => `2026-04-15T${String(hour).padStart(2, "0")}:00:00-04:00`;

  /** Sends one fulfillment webhook and waits until whatever it planned has settled, so arrival order is the test's. */
  async function fulfillment(
    shop: string,
    topic: "fulfillments/create" | "fulfillments/update",
    shipmentStatus: string | null,
    hour: number,
    status = "success",
  ) {
    const res = await app.sendWebhook(topic, shop, buildFulfillmentJson({ shipment_status: shipmentStatus, status, updated_at: at(hour) }));
    expect(res.status, res.text).toBe(200);
    expect(res.json.pushes).toHaveLength(1);
    await waitForSettled(app, shop);
    return res.json.pushes[0] as number;
  }

  function trackingSequence(shop: string): string[] {
    return receivedBy(stack.sandbox, shop, "package/update").map((r) => r.params.tracking_status as string);
  }

  async function packageRows(shop: string) {
    return (await pushesOf(app, shop)).filter((p) => p.topic === "package/update").map((p) => [p.tracking_status, p.status, p.reason]);
  }

  async function orderFirst(shop: string) {
    await app.configureShop(shop);
    const res = await app.sendWebhook("orders/create", shop, buildOrderJson({ financial_status: "paid" }));
    expect(res.status).toBe(200);
    await waitForSettled(app, shop);
  }

  describe("package/update pushes end to end", () => {
    it("update delivered first, then create, then an older in_transit: only delivered is pushed", { timeout: 30_000 }, async () => {
      const shop = uniqueShop("fulfil-late");
      await orderFirst(shop);
      await fulfillment(shop, "fulfillments/update", "delivered", 14);
      await fulfillment(shop, "fulfillments/create", null, 8);
      await fulfillment(shop, "fulfillments/update", "in_transit", 10);

      expect(await packageRows(shop)).toEqual([
        ["delivered", "delivered", null],
        ["shipped", "skipped", "stale_update"],
        ["in_transit", "skipped", "stale_update"],
      ]);
      expect(trackingSequence(shop)).toEqual(["delivered"]);
      const state = await app.db.get<{ furthest_status: string; newest_updated_at: number }>(
        "SELECT furthest_status, newest_updated_at FROM fulfillment_state WHERE shop = ? AND fulfillment_gid = ?",
        [shop, FULFILLMENT_GID],
      );
      expect(state).toEqual({ furthest_status: "delivered", newest_updated_at: Date.parse(at(14)) });
    });

    it("a whole journey with repeats, regressions and stale updates: one push per status, in order", { timeout: 30_000 }, async () => {
      const shop = uniqueShop("fulfil-journey");
      await orderFirst(shop);
      await fulfillment(shop, "fulfillments/create", null, 8);
      await fulfillment(shop, "fulfillments/update", "in_transit", 10);
      await fulfillment(shop, "fulfillments/update", "in_transit", 11); // the same status again
      await fulfillment(shop, "fulfillments/update", "confirmed", 12); // backwards (shipped)
      await fulfillment(shop, "fulfillments/update", "out_for_delivery", 13);
      await fulfillment(shop, "fulfillments/update", "attempted_delivery", 9); // older than the newest seen
      await fulfillment(shop, "fulfillments/update", "delivered", 15);
      await fulfillment(shop, "fulfillments/update", "out_for_delivery", 16); // after delivered: never
      await fulfillment(shop, "fulfillments/update", "delivered", 17); // delivered again

      expect(await packageRows(shop)).toEqual([
        ["shipped", "delivered", null],
        ["in_transit", "delivered", null],
        ["in_transit", "skipped", "duplicate"],
        ["shipped", "skipped", "status_backwards"],
        ["out_for_delivery", "delivered", null],
        ["attempt_fail", "skipped", "stale_update"],
        ["delivered", "delivered", null],
        ["out_for_delivery", "skipped", "status_backwards"],
        ["delivered", "skipped", "duplicate"],
      ]);
      expect(trackingSequence(shop)).toEqual(["shipped", "in_transit", "out_for_delivery", "delivered"]);
      const last = receivedBy(stack.sandbox, shop, "package/update").at(-1)!;
      expect(last.recipient).toEqual({ id: PSID });
      expect(last.params).toMatchObject({ tracking_number: TRACKING_NUMBER, tracking_url: TRACKING_URL, recipient_name: "Steve Shipper" });
      expect(stack.sandbox.stats().doubledBusinessKeys).toEqual([]);
    });

    it("deliveries of the same updates racing each other still give one push per status", { timeout: 30_000 }, async () => {
      const shop = uniqueShop("fulfil-race");
      await orderFirst(shop);
      const bodies = [
        buildFulfillmentJson({ shipment_status: null, updated_at: at(8) }),
        buildFulfillmentJson({ shipment_status: "in_transit", updated_at: at(10) }),
        buildFulfillmentJson({ shipment_status: "delivered", updated_at: at(14) }),
      ];
      const sends = [...bodies, ...bodies, ...bodies].map((body, i) => app.sendWebhook(i % 2 ? "fulfillments/update" : "fulfillments/create", shop, body));
      for (const res of await Promise.all(sends)) expect(res.status).toBe(200);
      await waitForSettled(app, shop);

      const sent = trackingSequence(shop);
      expect(new Set(sent).size).toBe(sent.length);
      expect(sent).toContain("delivered");
      // Never backwards at the buyer's end, even for pushes planned in one batch and sent side by side.
      const rank = ["shipped", "in_transit", "delivered"];
      expect([...sent].sort((a, b) => rank.indexOf(a) - rank.indexOf(b))).toEqual(sent);
      const delivered = (await pushesOf(app, shop)).filter((p) => p.topic === "package/update" && p.status === "delivered");
      expect(delivered.map((p) => p.tracking_status).sort()).toEqual([...sent].sort());
      expect(stack.sandbox.stats().doubledBusinessKeys).toEqual([]);
    });

    it("a status still waiting for a retry when a later one is sent is not sent after it", { timeout: 30_000 }, async () => {
      const shop = uniqueShop("fulfil-retry");
      await orderFirst(shop);
      // JoinChat refuses the shipped push once and asks for a pause; the carrier's next event comes meanwhile.
      stack.sandbox.fail({ mode: "status", status: 503, count: 1, retryAfterS: 1 });
      const created = await app.sendWebhook("fulfillments/create", shop, buildFulfillmentJson({ shipment_status: null, updated_at: at(8) }));
      expect(created.status).toBe(200);
      await waitFor(
        async () => (await pushesOf(app, shop)).find((p) => p.tracking_status === "shipped")?.status === "retrying",
        10_000,
        "the shipped push to wait",
      );
      const moved = await app.sendWebhook("fulfillments/update", shop, buildFulfillmentJson({ shipment_status: "in_transit", updated_at: at(10) }));
      expect(moved.status).toBe(200);
      await waitForSettled(app, shop);

      expect(trackingSequence(shop)).toEqual(["in_transit"]);
      const shipped = (await pushesOf(app, shop)).find((p) => p.tracking_status === "shipped")!;
      expect(shipped.status).toBe("skipped");
      expect(shipped.reason).toBeTruthy();
      expect((await attemptsOf(app, shipped.id)).map((a) => a.http_status)).toEqual([503]);
    });

    it("a cancelled fulfillment is pushed as cancelled, and nothing after it", { timeout: 30_000 }, async () => {
      const shop = uniqueShop("fulfil-cancel");
      await orderFirst(shop);
      await fulfillment(shop, "fulfillments/create", null, 8);
      await fulfillment(shop, "fulfillments/update", null, 9, "cancelled");
      await fulfillment(shop, "fulfillments/update", "in_transit", 10);
      expect(trackingSequence(shop)).toEqual(["shipped", "cancelled"]);
      expect((await packageRows(shop)).at(-1)).toEqual(["in_transit", "skipped", "status_backwards"]);
    });

    it("a fulfillment of an order the app never saw goes to the fulfillment's email", { timeout: 30_000 }, async () => {
      const shop = uniqueShop("fulfil-orphan");
      await app.configureShop(shop);
      await fulfillment(shop, "fulfillments/create", null, 8);
      await waitFor(() => receivedBy(stack.sandbox, shop).length === 1, 10_000, "the package push");
      const [received] = receivedBy(stack.sandbox, shop);
      expect(received.recipient).toEqual({ email: "jon@example.com" });
      expect(received.params.tracking_status).toBe("shipped");
    });
  });
});
