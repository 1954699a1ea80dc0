// Delivery at flash-sale speed through the production server, on each backend (issue 14, decision 015): with
// JoinChat answering slowly, a large shop's backlog does not hold back a small shop's receipt (fair scheduling,
// not a fixed cap per shop). No timings are asserted: only the order in which JoinChat received the pushes.
import { expect, it } from "vitest";
import { buildOrderJson } from "../fixtures/orders";
import { pushesOf, uniqueShop, waitFor, waitForSettled, type AppProcess } from "../helpers/app-process";
import { describeOnBackends, receivedBy, useE2eStack, type E2eStack } from "../helpers/e2e-stack";

let stack: E2eStack;
let app: AppProcess;

/** A paid order of its own (the business key is per order): one Order/Receipt. */
function paidOrder(base: bigint, n: number): string {
  const id = base + BigInt(n);
  return buildOrderJson({ id, admin_graphql_api_id: `gid://shopify/Order/${id}`, name: `#${5000 + n}`, financial_status: "paid" });
}

async function send(shop: string, body: string): Promise<void> {
  const res = await app.sendWebhook("orders/create", shop, body);
  expect(res.status, res.text).toBe(200);
}

describeOnBackends((backend) => {
  const senders = backend.kind === "postgres" && backend.queue === "bullmq" ? backend.workers : 1;
  // Few slots and a slow JoinChat, so the large shop's backlog takes seconds to drain.
  useE2eStack(
    (started) => {
      stack = started;
      app = started.app;
    },
    { DELIVERY_CONCURRENCY: "4" },
    backend,
    { latency: 500 },
  );

  it("a small shop's receipt is sent while a large shop's backlog is still draining", { timeout: 90_000 }, async () => {
    const large = uniqueShop("flash-sale");
    const small = uniqueShop("small");
    await app.configureShop(large);
    await app.configureShop(small);
    const backlog = 80;
    for (let n = 0; n < backlog; n += 20) {
      await Promise.all(Array.from({ length: 20 }, (_, i) => send(large, paidOrder(830000000000000000n, n + i))));
    }
    await send(small, paidOrder(840000000000000000n, 0));
    // What the large shop still had to send when the small shop's order was taken.
    const waiting = backlog - receivedBy(stack.sandbox, large, "Order/Receipt").length;
    expect(waiting, "the backlog drained before the small shop's order came: the test proves nothing").toBeGreaterThan(30);
    await waitFor(() => receivedBy(stack.sandbox, small, "Order/Receipt").length === 1, 30_000, "the small shop's receipt");
    const sentMeanwhile = backlog - waiting - (backlog - receivedBy(stack.sandbox, large, "Order/Receipt").length);
    // Served in turn: at most the pushes already in flight, and the slots' next turns, went first; in order of
    // arrival it would wait for all of them.
    expect(sentMeanwhile).toBeLessThanOrEqual(3 * 4 * senders);
    expect(sentMeanwhile).toBeLessThan(waiting / 2);
    await waitFor(() => receivedBy(stack.sandbox, large, "Order/Receipt").length === backlog, 60_000, "the large shop's backlog");
    // Each push once: no business key doubled.
    expect(stack.sandbox.stats().doubledBusinessKeys).toEqual([]);
    // A shop alone may use every slot: no fixed cap of a few per shop held the large shop back.
    expect(stack.sandbox.maxInFlight(large)).toBe(4 * senders);
  });

  it("a drain under 429s with Retry-After: every push reaches JoinChat exactly once", { timeout: 120_000 }, async () => {
    const shops = [uniqueShop("throttled-a"), uniqueShop("throttled-b"), uniqueShop("throttled-c")];
    for (const shop of shops) await app.configureShop(shop);
    const perShop = 15;
    const sends: Promise<void>[] = [];
    shops.forEach((shop, s) => {
      for (let n = 0; n < perShop; n++) sends.push(send(shop, paidOrder(850000000000000000n + BigInt(s * 1000), n)));
    });
    await Promise.all(sends);
    // Part of the drain gone, JoinChat answers every push 429 with Retry-After: 1 for a while.
    await waitFor(() => shops.some((shop) => receivedBy(stack.sandbox, shop).length >= 2), 30_000, "the drain to start");
    stack.sandbox.fail({ mode: "status", status: 429, retryAfterS: 1, forMs: 3_000, endpoint: "push" });
    for (const shop of shops) {
      const pushes = await waitForSettled(app, shop, 90_000);
      expect(pushes).toHaveLength(perShop);
      expect(pushes.every((p) => p.status === "delivered")).toBe(true);
      // Exactly once: one accepted request per push (by its Idempotency-Key), none of them a replay.
      const received = receivedBy(stack.sandbox, shop, "Order/Receipt");
      expect(received).toHaveLength(perShop);
      expect(new Set(received.map((r) => r.idempotencyKey))).toEqual(new Set(pushes.map((p) => p.idempotency_key)));
    }
    expect(stack.sandbox.stats().byStatus["429"]).toBeGreaterThan(0);
    expect(stack.sandbox.stats().doubledBusinessKeys).toEqual([]);
    const retried = (await Promise.all(shops.map((shop) => pushesOf(app, shop)))).flat().filter((p) => p.attempts > 1);
    expect(retried.length).toBeGreaterThan(0);
  });
});
