// A shop with many pushes: the log's pages, filters and search, the home page's counts and chart, and the order page
// block's list read index ranges of the shop (SQLite's query plan of every statement they run says SEARCH through an
// index, never a SCAN of the table), so their cost follows the page, not the size of the table (20,000 pushes here,
// and as many of another shop). How fast that is, is for the benchmark (npm run bench) to show, not a test.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PUSH_STATUSES } from "../../app/pushes/push-status";
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
          [
            shop,
            TOPICS[i % 3],
            `k:${i}`,
            randomUUID(),
            status,
            `#${10_000 + i}`,
            status === "failed" ? "10010 Recipient not found" : null,
            created,
            created,
            created,
          ],
        );
      }
    }
  });
}, 120_000);
afterAll(async () => {
  await h?.close();
});

/**
 * Runs `fn` and returns what it answered and SQLite's plan of each statement it ran on the push table: the runtime's
 * database is the one the routes use, so the statements are theirs, with their parameters.
 */
async function planned<T>(fn: () => Promise<T>): Promise<{ value: T; plans: { sql: string; steps: string[] }[] }> {
  const statements: { sql: string; params: unknown[] }[] = [];
  const db = h.db as unknown as Record<"all" | "get", (sql: string, params?: unknown[]) => Promise<unknown>>;
  const originals = { all: db.all, get: db.get };
  for (const name of ["all", "get"] as const) {
    db[name] = (sql: string, params: unknown[] = []) => {
      statements.push({ sql, params });
      return originals[name].call(h.db, sql, params);
    };
  }
  let value: T;
  try {
    value = await fn();
  } finally {
    Object.assign(db, originals);
  }
  const plans = [];
  for (const { sql, params } of statements.filter((st) => /\bFROM push\b/.test(st.sql))) {
    const steps = await h.db.all<{ detail: string }>(`EXPLAIN QUERY PLAN ${sql}`, params);
    plans.push({ sql, steps: steps.map((st) => st.detail) });
  }
  return { value, plans };
}

/**
 * Every statement on the push table searches an index by the shop (or reads a push by id), never scans the table;
 * and a statement that picks an order (order_gid, order_name) or a status searches an index by that column too,
 * so it reads that range, not the shop's whole range.
 */
function expectIndexRanges(name: string, plans: { sql: string; steps: string[] }[]) {
  expect(plans.length, `${name}: statements on push`).toBeGreaterThan(0);
  for (const { sql, steps } of plans) {
    if (process.env.SHOW_PLANS) console.log(name, steps.join(" / "), "<-", sql.replace(/\s+/g, " ").slice(0, 100));
    const onPush = steps.filter((st) => /\b(SCAN|SEARCH) push\b/.test(st));
    expect(onPush.length, `${name}: ${sql}`).toBeGreaterThan(0);
    for (const step of onPush) {
      expect(step, `${name}: ${sql}`).toMatch(/^SEARCH push USING (COVERING )?INDEX \S+ \((shop=\?|id=\?)|^SEARCH push USING INTEGER PRIMARY KEY/);
      for (const column of ["order_gid", "order_name"]) {
        if (new RegExp(`\\b${column} = \\?`).test(sql)) expect(step, `${name}: ${sql}`).toContain(`${column}=?`);
      }
      if (/\bstatus IN \(/.test(sql) && !/\border_name = \?/.test(sql)) expect(step, `${name}: ${sql}`).toContain("status=?");
      // A count of recent pushes reads from that time on, not the shop's whole history.
      if (/\bcreated_at >= \?/.test(sql)) expect(step, `${name}: ${sql}`).toContain("created_at>?");
    }
  }
}

describe(`a shop with ${PER_SHOP.toLocaleString("en")} pushes`, () => {
  it("the log's first page, a filtered page, a deep page and a search each read index ranges", async () => {
    const first = await planned(() => h.load(h.routes.pushes, "/app/pushes"));
    expect(first.value.data.total).toBe(PER_SHOP);
    expect(first.value.data.page.pushes).toHaveLength(50);
    expect(first.value.data.page.pushes[0].orderName).toBe(`#${10_000 + PER_SHOP - 1}`);

    const failed = await planned(() => h.load(h.routes.pushes, "/app/pushes", { search: { status: "failed" } }));
    expect(failed.value.data.page.pushes.every((p: { status: string }) => p.status === "failed")).toBe(true);
    expect(failed.value.data.failed).toBe(Math.ceil(PER_SHOP / 7));

    let cursor: string = first.value.data.page.older;
    for (let i = 0; i < 100; i++) cursor = (await h.load(h.routes.pushes, "/app/pushes", { search: { before: cursor } })).data.page.older;
    const deep = await planned(() => h.load(h.routes.pushes, "/app/pushes", { search: { before: cursor } }));
    expect(deep.value.data.page.pushes[0].orderName).toBe(`#${10_000 + PER_SHOP - 1 - 101 * 50}`);

    const search = await planned(() => h.load(h.routes.pushes, "/app/pushes", { search: { q: "10042" } }));
    expect(search.value.data.page.pushes.map((p: { orderName: string }) => p.orderName)).toEqual(["#10042"]);

    for (const [name, t] of Object.entries({ first, failed, deep, search })) expectIndexRanges(name, t.plans);
  });

  it("the home page's counts and 14-day chart read index ranges", async () => {
    const home = await planned(() => h.load(h.routes.home, "/app"));
    const { overview } = home.value.data;
    const weekTotal = Object.values(overview.last7d as Record<string, number>).reduce((a, b) => a + b, 0);
    expect(weekTotal).toBeGreaterThan(PER_SHOP * 0.3);
    expect(weekTotal).toBeLessThan(PER_SHOP * 0.4);
    expect(overview.daily).toHaveLength(14);
    expect(overview.lastFailure.lastError).toBe("10010 Recipient not found");
    expectIndexRanges("home", home.plans);
  });

  it("the order page block's list of an order reads the order's index range", async () => {
    await h.db.run("UPDATE push SET order_gid = 'gid://shopify/Order/77' WHERE shop = ? AND order_name IN ('#10007', '#10008')", [h.shop]);
    const block = await planned(() => h.load(h.routes.orderPushes, "/api/orders/77/pushes", { params: { orderId: "77" } }));
    expect(block.value.data.pushes).toHaveLength(2);
    expectIndexRanges("order block", block.plans);
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
