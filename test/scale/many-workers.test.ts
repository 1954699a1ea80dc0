// Three `npm run worker` processes on one queue deliver 1,000 pushes: none doubled, none lost, every worker
// taking a share; one shop's flash sale gets at most DELIVERY_SHOP_CONCURRENCY of each worker's slots, so the
// other shops' pushes do not wait behind it. Runs where PostgreSQL and Redis do (CI, or TEST_DATABASE_URL and
// TEST_REDIS_URL); fails under CI when they cannot be reached.
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DELIVERY_QUEUE_NAME, jobIdOf } from "../../app/delivery/bullmq.server";
import { buildOrderJson } from "../fixtures/orders";
import { pushesOf, uniqueShop, waitFor, waitForSettled } from "../helpers/app-process";
import { scaleOutAvailable, TEST_REDIS_URL } from "../helpers/backends";
import { deliveriesByWorker, expectEachDeliveredOnce, sendOrders, startScaleStack, waitForAllDelivered, type ScaleStack } from "./support";

const WORKERS = 3;
const SHOP_CONCURRENCY = 2;

describe.skipIf(!scaleOutAvailable)("three BullMQ workers", () => {
  let stack: ScaleStack;

  beforeAll(async () => {
    stack = await startScaleStack({ workers: WORKERS, sandboxDelayMs: 5, env: { DELIVERY_SHOP_CONCURRENCY: String(SHOP_CONCURRENCY) } });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it("deliver 1,000 pushes, a flash sale of one shop among nine others, each exactly once", async () => {
    const { app, probe } = stack;
    const sale = uniqueShop("flash-sale");
    const others = Array.from({ length: 9 }, (_, i) => uniqueShop(`steady-${i}`));
    for (const shop of [sale, ...others]) await app.configureShop(shop);

    const started = Date.now();
    // The sale's 640 orders arrive first; then 360 of the other shops, 40 each.
    await sendOrders(app, () => sale, 0, 640);
    await sendOrders(app, (n) => others[n % others.length], 640, 360);
    await waitForAllDelivered(app, 1000);
    const took = Date.now() - started;

    await expectEachDeliveredOnce(stack, 1000);
    // Every worker took a share.
    const shares = deliveriesByWorker(app);
    expect(shares).toHaveLength(WORKERS);
    for (const share of shares) expect(share).toBeGreaterThan(0);
    expect(shares.reduce((a, b) => a + b, 0)).toBe(1000);
    // The sale never had more than SHOP_CONCURRENCY pushes in flight per worker, while other shops had slots.
    expect(probe.maxInFlightOf(sale)).toBeLessThanOrEqual(WORKERS * SHOP_CONCURRENCY);
    expect(probe.maxInFlight).toBeGreaterThan(WORKERS * SHOP_CONCURRENCY);
    // Every other shop was answered while the sale was held to its limit (the in-flight checks above say the other
    // shops had lanes during the sale; which backlog's last push lands first is a matter of milliseconds on two cores).
    for (const shop of others) expect(probe.lastAnswerOf(shop)).toBeGreaterThan(0);
    console.log(`1,000 pushes by ${WORKERS} workers in ${took} ms; shares ${shares.join("/")}; the sale at most ${probe.maxInFlightOf(sale)} in flight`);
  });

  it("a failed push the operator retries with the CLI goes out through a worker (no job added: the reconciler finds it)", async () => {
    const { app, sandbox } = stack;
    const shop = uniqueShop("cli-retry");
    await app.configureShop(shop);
    sandbox.setKnownRecipients(["somebody-else@example.com"]);
    try {
      expect((await app.sendWebhook("orders/create", shop, buildOrderJson())).status).toBe(200);
      const [failed] = await waitForSettled(app, shop);
      expect(failed).toMatchObject({ status: "failed", attempts: 1 });
    } finally {
      sandbox.setKnownRecipients(null);
    }
    const [push] = await pushesOf(app, shop);
    const retried = await app.cli(["pushes", "retry", String(push.id)]);
    expect(retried.code, retried.output).toBe(0);
    const [delivered] = await waitForSettled(app, shop, 10_000);
    expect(delivered).toMatchObject({ id: push.id, status: "delivered", attempts: 2 });
  });

  it("an unpaid reminder waits as a delayed job until it is due, and paying the order removes the job", async () => {
    const { app } = stack;
    const shop = uniqueShop("reminder-job");
    await app.configureShop(shop, ["--unpaid-delay", "60"]);
    const createdAt = new Date().toISOString();
    expect((await app.sendWebhook("orders/create", shop, buildOrderJson({ financial_status: "pending", created_at: createdAt }))).status).toBe(200);
    const [reminder] = await pushesOf(app, shop);
    expect(reminder).toMatchObject({ topic: "Order/Unpaid", status: "queued", attempts: 0 });

    const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 2 });
    const queue = new Queue(DELIVERY_QUEUE_NAME, { connection: redis, prefix: app.env.QUEUE_PREFIX });
    try {
      const jobId = jobIdOf({ id: reminder.id, attempts: 0 });
      const job = await waitFor(() => queue.getJob(jobId), 5_000, "the reminder's job");
      expect(await job.getState()).toBe("delayed");
      expect(job.data).toEqual({ pushId: reminder.id, shop, attempt: 0 });
      expect(job.timestamp + job.delay).toBeGreaterThanOrEqual(Date.parse(createdAt) + 59 * 60_000);

      expect((await app.sendWebhook("orders/paid", shop, buildOrderJson({ financial_status: "paid", created_at: createdAt }))).status).toBe(200);
      const pushes = await waitForSettled(app, shop);
      expect(pushes.map((p) => [p.topic, p.status])).toEqual([
        ["Order/Unpaid", "cancelled"],
        ["Order/Receipt", "delivered"],
      ]);
      await waitFor(async () => (await queue.getJob(jobId)) === undefined, 5_000, "the reminder's job to be removed");
    } finally {
      await queue.close();
      redis.disconnect();
    }
  });
});
