// Redis restarted in the middle of a run, the way the machine runs it (no persistence: every job is lost).
// Webhooks keep being taken while it is down (the outbox holds them), and afterwards the workers' reconciler
// enqueues every due push that lost its job: all delivered, each once. Redis is running again at the end, even
// when the test fails.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uniqueShop, waitFor } from "../helpers/app-process";
import { scaleOutAvailable } from "../helpers/backends";
import {
  ensureRedisRunning,
  expectEachDeliveredOnce,
  redisIsTheMachines,
  sendOrders,
  startScaleStack,
  statusCounts,
  stopRedis,
  waitForAllDelivered,
  type ScaleStack,
} from "./support";

describe.skipIf(!scaleOutAvailable || !redisIsTheMachines)("Redis restarted mid-run", () => {
  let stack: ScaleStack | undefined;

  beforeAll(async () => {
    await ensureRedisRunning();
  });
  afterAll(async () => {
    await ensureRedisRunning();
    await stack?.close();
  });

  it("loses every job, and still every push is delivered exactly once", async () => {
    stack = await startScaleStack({ workers: 3, sandboxDelayMs: 100 });
    const { app } = stack;
    const shops = Array.from({ length: 5 }, (_, i) => uniqueShop(`redis-${i}`));
    for (const shop of shops) await app.configureShop(shop);
    const shopOf = (n: number) => shops[n % shops.length];

    await sendOrders(app, shopOf, 0, 200);
    await waitFor(async () => ((await statusCounts(app)).delivered ?? 0) >= 30, 30_000, "deliveries under way");
    try {
      await stopRedis();
      // The web process still takes webhooks: stored and answered 200, their jobs added later by a worker.
      await sendOrders(app, shopOf, 200, 50, 4);
      const ready = await app.request("/readyz", { method: "GET" });
      expect(ready.status).toBe(503);
      expect(ready.json).toMatchObject({ status: "not ready", database: "ok" });
      expect(ready.json.queue).not.toBe("ok");
    } finally {
      await ensureRedisRunning();
    }
    await waitFor(async () => (await app.request("/readyz", { method: "GET" })).status === 200, 15_000, "the web process to be ready again");
    await sendOrders(app, shopOf, 250, 50);

    await waitForAllDelivered(app, 300, 90_000);
    await expectEachDeliveredOnce(stack, 300);
    expect(app.logs()).toContain("enqueued due pushes that had no job");
  });
});
