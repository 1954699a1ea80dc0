// Cancellations through the production server, on both backends: a cancelled order stops what waits (an unpaid
// reminder, a receipt waiting for a retry), a push already sent is never sent again, and the same cancellation
// delivered three times does it once.
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { buildOrderJson, ORDER_GID } from "../fixtures/orders";
import { type AppProcess, pushesOf, sendAccepted, sleep, uniqueShop, waitFor, waitForSettled } from "../helpers/app-process";
import { describeOnBackends, receivedBy, useE2eStack, type E2eStack } from "../helpers/e2e-stack";

let stack: E2eStack;
let app: AppProcess;

/** The orders/cancelled body of the test order: cancelled by the buyer, the payment voided. */
export function cancelledOrderJson(overrides: Record<string, unknown> = {}): string {
  return buildOrderJson({
    financial_status: "voided",
    cancelled_at: new Date().toISOString(),
    cancel_reason: "customer",
    ...overrides,
  });
}

describeOnBackends((backend) => {
  useE2eStack(
    (started) => {
      stack = started;
      app = started.app;
    },
    {},
    backend,
  );

  const send = async (topic: string, shop: string, body: string, webhookId?: string) => (await sendAccepted(app, topic, shop, body, webhookId)).intake;

  describe("orders/cancelled stops what is queued", () => {
    it("a pending order cancelled before its reminder is due: the reminder is cancelled, never sent", { timeout: 30_000 }, async () => {
      const shop = uniqueShop("cancel-before-reminder");
      await app.configureShop(shop, ["--unpaid-delay", "60"]);
      const createdAt = new Date().toISOString();
      await send("orders/create", shop, buildOrderJson({ financial_status: "pending", created_at: createdAt }));
      const [waiting] = await pushesOf(app, shop);
      expect(waiting).toMatchObject({ topic: "Order/Unpaid", status: "queued" });

      await send("orders/cancelled", shop, cancelledOrderJson({ created_at: createdAt }));
      const pushes = await waitForSettled(app, shop);
      expect(pushes.map((p) => [p.topic, p.status, p.reason, p.attempts])).toEqual([["Order/Unpaid", "cancelled", "order_cancelled", 0]]);
      const order = await app.db.get<{ cancelled: number }>("SELECT cancelled FROM shopify_order WHERE shop = ? AND order_gid = ?", [shop, ORDER_GID]);
      expect(order?.cancelled).toBe(1);
      expect(stack.recorder.requests.filter((r) => r.shop === shop)).toHaveLength(0);
    });

    it("a receipt waiting for a retry when the cancellation arrives is cancelled, not sent", { timeout: 30_000 }, async () => {
      const shop = uniqueShop("cancel-retrying");
      await app.configureShop(shop);
      stack.sandbox.fail({ mode: "status", status: 503, forMs: 60_000 });
      await send("orders/create", shop, buildOrderJson({ financial_status: "paid" }));
      await waitFor(async () => (await pushesOf(app, shop))[0]?.status === "retrying", 10_000, "the receipt to wait for a retry");

      await send("orders/cancelled", shop, cancelledOrderJson({ financial_status: "refunded" }));
      // JoinChat stays down until the receipt is cancelled: an attempt under way when the cancellation came ends in
      // a retry, and the retry finds the order cancelled.
      await waitFor(async () => (await pushesOf(app, shop))[0]?.status === "cancelled", 10_000, "the receipt to be cancelled");
      stack.sandbox.clearFaults();
      const pushes = await waitForSettled(app, shop);
      expect(pushes.map((p) => [p.topic, p.status, p.reason])).toEqual([["Order/Receipt", "cancelled", "order_cancelled"]]);
      expect(receivedBy(stack.sandbox, shop)).toHaveLength(0);
      // Every request that reached JoinChat was refused with the 503: none went through.
      expect(stack.recorder.requests.filter((r) => r.shop === shop).every((r) => r.status === 503)).toBe(true);
    });

    it("a cancellation after everything was sent re-sends nothing, and a late orders/paid sends nothing", { timeout: 30_000 }, async () => {
      const shop = uniqueShop("cancel-after-sent");
      await app.configureShop(shop);
      await send("orders/create", shop, buildOrderJson({ financial_status: "paid" }));
      await waitFor(() => receivedBy(stack.sandbox, shop, "Order/Receipt").length === 1, 10_000, "the receipt");
      await waitForSettled(app, shop);

      await send("orders/cancelled", shop, cancelledOrderJson({ financial_status: "refunded" }));
      await send("orders/paid", shop, buildOrderJson({ financial_status: "paid" }));
      const pushes = await waitForSettled(app, shop);
      expect(pushes.map((p) => [p.topic, p.status, p.reason])).toEqual([
        ["Order/Receipt", "delivered", null],
        ["Order/Receipt", "skipped", "order_cancelled"],
      ]);
      await sleep(300);
      expect(receivedBy(stack.sandbox, shop)).toHaveLength(1);
      expect(stack.recorder.requests.filter((r) => r.shop === shop)).toHaveLength(1);
    });

    it("the same cancellation delivered three times is taken once", { timeout: 30_000 }, async () => {
      const shop = uniqueShop("cancel-thrice");
      await app.configureShop(shop, ["--unpaid-delay", "60"]);
      const createdAt = new Date().toISOString();
      await send("orders/create", shop, buildOrderJson({ financial_status: "pending", created_at: createdAt }));
      const body = cancelledOrderJson({ created_at: createdAt });
      const webhookId = randomUUID();
      const answers = await Promise.all([
        send("orders/cancelled", shop, body, webhookId),
        send("orders/cancelled", shop, body, webhookId),
        send("orders/cancelled", shop, body, webhookId),
      ]);
      expect(answers.filter((a) => !a.duplicate)).toHaveLength(1);
      const deliveries = await app.db.all<{ topic: string; outcome: string }>("SELECT topic, outcome FROM webhook_delivery WHERE shop = ? AND topic = ?", [
        shop,
        "orders/cancelled",
      ]);
      expect(deliveries).toEqual([{ topic: "orders/cancelled", outcome: "order cancelled: 1 waiting push cancelled" }]);
      const pushes = await waitForSettled(app, shop);
      expect(pushes.map((p) => [p.topic, p.status, p.reason])).toEqual([["Order/Unpaid", "cancelled", "order_cancelled"]]);
      expect(stack.recorder.requests.filter((r) => r.shop === shop)).toHaveLength(0);
    });

    it("a shipping update of a cancelled order is not sent", { timeout: 30_000 }, async () => {
      const shop = uniqueShop("cancel-then-ship");
      await app.configureShop(shop);
      await send("orders/cancelled", shop, cancelledOrderJson());
      const { buildFulfillmentJson } = await import("../fixtures/fulfillments");
      await send("fulfillments/create", shop, buildFulfillmentJson());
      const pushes = await waitForSettled(app, shop);
      expect(pushes.map((p) => [p.topic, p.status, p.reason])).toEqual([["package/update", "skipped", "order_cancelled"]]);
      expect(stack.recorder.requests.filter((r) => r.shop === shop)).toHaveLength(0);
    });
  });
});
