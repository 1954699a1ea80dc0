// DELIVERY_SHOP_CONCURRENCY on the scale path holds across the fleet (issue 14, point 3): with several
// `npm run worker` processes, a shop's pushes in flight at JoinChat never exceed the limit (counted in Redis), where
// a per-process count would allow workers × the limit. Measured by the sandbox: the most requests of one shop in
// flight at once. Runs on PostgreSQL with BullMQ (CI, or TEST_DATABASE_URL and TEST_REDIS_URL); fails without them
// under CI. Also on that path (point 5): a group commit's pushes are enqueued in one round trip (addBulk).
import { describe, expect, it } from "vitest";
import { buildOrderJson } from "../fixtures/orders";
import { uniqueShop, waitFor, type AppProcess } from "../helpers/app-process";
import { SCALE_OUT_BACKEND, scaleOutAvailable } from "../helpers/backends";
import { receivedBy, useE2eStack, type E2eStack } from "../helpers/e2e-stack";

let stack: E2eStack;
let app: AppProcess;

const WORKERS = 3;
const LIMIT = 2;

describe.skipIf(!scaleOutAvailable)(`on ${SCALE_OUT_BACKEND.label}, ${WORKERS} workers`, () => {
  useE2eStack(
    (started) => {
      stack = started;
      app = started.app;
    },
    // Debug logs: the web process logs each round trip that enqueues pushes ("pushes enqueued").
    { DELIVERY_SHOP_CONCURRENCY: String(LIMIT), DELIVERY_CONCURRENCY: "8", LOG_LEVEL: "debug" },
    { kind: "postgres", label: SCALE_OUT_BACKEND.label, queue: "bullmq", workers: WORKERS },
    { latency: 300 },
  );

  it(`a shop never has more than DELIVERY_SHOP_CONCURRENCY (${LIMIT}) pushes in flight across the workers`, { timeout: 120_000 }, async () => {
    const shop = uniqueShop("fleet-limit");
    const other = uniqueShop("fleet-other");
    await app.configureShop(shop);
    await app.configureShop(other);
    const orders = 24;
    const sends: Promise<unknown>[] = [];
    for (let n = 0; n < orders; n++) {
      const id = 860000000000000000n + BigInt(n);
      const body = buildOrderJson({ id, admin_graphql_api_id: `gid://shopify/Order/${id}`, name: `#${7000 + n}`, financial_status: "paid" });
      sends.push(app.sendWebhook("orders/create", shop, body).then((res) => expect(res.status, res.text).toBe(200)));
      const otherId = 870000000000000000n + BigInt(n);
      const otherBody = buildOrderJson({ id: otherId, admin_graphql_api_id: `gid://shopify/Order/${otherId}`, name: `#${8000 + n}`, financial_status: "paid" });
      sends.push(app.sendWebhook("orders/create", other, otherBody).then((res) => expect(res.status, res.text).toBe(200)));
    }
    await Promise.all(sends);
    await waitFor(
      () => receivedBy(stack.sandbox, shop, "Order/Receipt").length === orders && receivedBy(stack.sandbox, other, "Order/Receipt").length === orders,
      90_000,
      "every receipt of both shops",
    );
    expect(app.workers).toHaveLength(WORKERS);
    // The limit held across the workers, and was used: both shops had two in flight at once, each.
    expect(stack.sandbox.maxInFlight(shop)).toBe(LIMIT);
    expect(stack.sandbox.maxInFlight(other)).toBe(LIMIT);
    expect(stack.sandbox.stats().doubledBusinessKeys).toEqual([]);
  });

  it("intake enqueues a group commit's pushes in one round trip to Redis, not one per push", { timeout: 120_000 }, async () => {
    const shop = uniqueShop("bulk-intake");
    await app.configureShop(shop);
    const orders = 30;
    const answers = await Promise.all(
      Array.from({ length: orders }, (_, n) => {
        const id = 880000000000000000n + BigInt(n);
        return app.sendWebhook(
          "orders/create",
          shop,
          buildOrderJson({ id, admin_graphql_api_id: `gid://shopify/Order/${id}`, name: `#${9000 + n}`, financial_status: "paid" }),
        );
      }),
    );
    const ids = new Set<number>(answers.flatMap((res) => (res.json as { pushes: number[] }).pushes));
    expect(ids.size).toBe(orders);
    await waitFor(() => receivedBy(stack.sandbox, shop, "Order/Receipt").length === orders, 90_000, "every receipt");
    const enqueues = app
      .logs()
      .split("\n")
      .filter((line) => line.includes('"msg":"pushes enqueued"'))
      .map((line) => JSON.parse(line) as { count: number; pushIds: number[] })
      .filter((entry) => entry.pushIds.some((id) => ids.has(id)));
    // Every push enqueued once, in fewer round trips than pushes: the webhooks committed together went together.
    expect(enqueues.flatMap((entry) => entry.pushIds).sort((a, b) => a - b)).toEqual([...ids].sort((a, b) => a - b));
    expect(enqueues.reduce((sum, entry) => sum + entry.count, 0)).toBe(orders);
    expect(enqueues.length).toBeLessThan(orders);
    expect(Math.max(...enqueues.map((entry) => entry.count))).toBeGreaterThan(1);
  });
});
