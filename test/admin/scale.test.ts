// A shop with many pushes: the log's pages, filters and search, and the home page's counts and chart, read
// index ranges, so each answers in a few milliseconds whatever the size of the table (20,000 pushes here,
// and as many of another shop).
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PUSH_STATUSES } from "../../app/delivery/push-status";
import { OTHER_SHOP, startAdminRoutes, type AdminRoutes } from "../helpers/admin-routes";

const PER_SHOP = 20_000;
const DAY = 86_400_000;
const TOPICS = ["Order/Receipt", "Order/Unpaid", "package/update"];

let h: AdminRoutes;
let now: number;
beforeAll(async () => {
  h = await startAdminRoutes();
  await h.configure({ pageId: "407898491811542" });
  now = Date.now();
  await h.db.transaction(async (tx) => {
    for (const shop of [h.shop, OTHER_SHOP]) {
      for (let i = 0; i < PER_SHOP; i++) {
        // Spread over 20 days, oldest first; every 7th push is failed.
        const created = now - 20 * DAY + Math.floor((i * 20 * DAY) / PER_SHOP);
        const status = i % 7 === 0 ? "failed" : PUSH_STATUSES[i % PUSH_STATUSES.length] === "failed" ? "delivered" : PUSH_STATUSES[i % PUSH_STATUSES.length];
        await tx.run(
          `INSERT INTO push (shop, topic, business_key, idempotency_key, status, order_name, recipient_kind, recipient_value, attempts, last_error, due_at, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, 'email', 'buyer@example.com', 1, ?, ?, ?, ?)`,
          [shop, TOPICS[i % 3], `k:${i}`, randomUUID(), status, `#${10_000 + i}`, status === "failed" ? "10010 Recipient not found" : null, created, created, created],
        );
      }
    }
  });
}, 120_000);
afterAll(async () => {
  await h?.close();
});

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - started };
}

describe(`a shop with ${PER_SHOP.toLocaleString("en")} pushes`, () => {
  it("the log's first page, a filtered page, a deep page and a search each answer quickly", async () => {
    const first = await timed(() => h.load(h.routes.pushes, "/app/pushes"));
    expect(first.value.data.total).toBe(PER_SHOP);
    expect(first.value.data.page.pushes).toHaveLength(50);
    expect(first.value.data.page.pushes[0].orderName).toBe(`#${10_000 + PER_SHOP - 1}`);

    const failed = await timed(() => h.load(h.routes.pushes, "/app/pushes", { search: { status: "failed" } }));
    expect(failed.value.data.page.pushes.every((p: { status: string }) => p.status === "failed")).toBe(true);
    expect(failed.value.data.failed).toBe(Math.ceil(PER_SHOP / 7));

    let cursor: string = first.value.data.page.older;
    for (let i = 0; i < 100; i++) cursor = (await h.load(h.routes.pushes, "/app/pushes", { search: { before: cursor } })).data.page.older;
    const deep = await timed(() => h.load(h.routes.pushes, "/app/pushes", { search: { before: cursor } }));
    expect(deep.value.data.page.pushes[0].orderName).toBe(`#${10_000 + PER_SHOP - 1 - 101 * 50}`);

    const search = await timed(() => h.load(h.routes.pushes, "/app/pushes", { search: { q: "10042" } }));
    expect(search.value.data.page.pushes.map((p: { orderName: string }) => p.orderName)).toEqual(["#10042"]);

    for (const [name, t] of Object.entries({ first, failed, deep, search })) {
      if (process.env.SHOW_TIMINGS) console.log(name, t.ms.toFixed(1), "ms");
      expect(t.ms, name).toBeLessThan(1_000);
    }
  });

  it("the home page's counts and 14-day chart answer quickly", async () => {
    const home = await timed(() => h.load(h.routes.home, "/app"));
    const { overview } = home.value.data;
    const weekTotal = Object.values(overview.last7d as Record<string, number>).reduce((a, b) => a + b, 0);
    expect(weekTotal).toBeGreaterThan(PER_SHOP * 0.3);
    expect(weekTotal).toBeLessThan(PER_SHOP * 0.4);
    expect(overview.daily).toHaveLength(14);
    expect(overview.lastFailure.lastError).toBe("10010 Recipient not found");
    expect(home.ms).toBeLessThan(1_000);
  });

  it("retries every failed push of a filter in one click (the rest another click)", async () => {
    const res = await h.act(h.routes.pushes, "/app/pushes", { intent: "retryAll", confirm: true, topic: ["Order/Unpaid"] });
    expect(res.status).toBe(200);
    const failedUnpaid = Math.ceil(PER_SHOP / 7 / 3);
    expect(res.data.retried + res.data.remaining).toBeGreaterThanOrEqual(failedUnpaid - 1);
    expect(res.data.retried).toBeLessThanOrEqual(1000);
    // The other shop's failed pushes are not touched.
    const other = await h.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM push WHERE shop = ? AND status = 'failed'", [OTHER_SHOP]);
    expect(Number(other!.n)).toBe(Math.ceil(PER_SHOP / 7));
  });
});
