// Retention (issue 13 point 3), through the production server on both backends: after RETENTION_DAYS a finished push
// keeps its topic, status, counts and times but loses its body, recipient and JoinChat's answers; order records lose
// their contacts (the customer lookups' copy of an order goes); webhook delivery records older than the duplicate
// window go; the admin's counts and chart stay the same. On demand with `npm run cli -- retention run --as-of`, and by itself in the running app (the embedded web
// process, or the BullMQ workers).
import { randomBytes } from "node:crypto";
import { expect, it } from "vitest";
import { getPushOverview } from "../../app/delivery/push-overview.server";
import { getLookupOverview } from "../../app/lookup/overview.server";
import { buildOrderJson } from "../fixtures/orders";
import { attemptsOf, pushesOf, TEST_JOINCHAT_API_SECRET, uniqueShop, waitFor, waitForRows, waitForSettled, type AppProcess } from "../helpers/app-process";
import { describeOnBackends, useE2eStack } from "../helpers/e2e-stack";
import { callCustomerQuery, EXAMPLE_CUSTOMER_QUERIES } from "../helpers/joinchat-caller";

const DAY_MS = 86_400_000;
let app: AppProcess;

describeOnBackends((backend) => {
  useE2eStack(
    (started) => {
      app = started.app;
    },
    // The running app looks often, so the test sees it prune by itself.
    { RETENTION_INTERVAL_MS: "300" },
    backend,
  );

  async function shopWithPushes(label: string) {
    const shop = uniqueShop(label);
    await app.configureShop(shop);
    const tag = randomBytes(4).toString("hex");
    const email = `keep-${tag}@buyer.example.com`;
    const contact = { email, contact_email: email, phone: "+15550100200", note_attributes: [] };
    for (const [n, status] of [
      [1, "paid"],
      [2, "paid"],
    ] as const) {
      const id = 620982911946154508n + BigInt(n);
      const body = buildOrderJson({ id, admin_graphql_api_id: `gid://shopify/Order/${id}`, name: `#${7000 + n}`, financial_status: status, ...contact });
      const res = await app.sendWebhook("orders/create", shop, body);
      expect(res.status, res.text).toBe(200);
    }
    const pushes = await waitForSettled(app, shop);
    expect(pushes.map((p) => p.status)).toEqual(["delivered", "delivered"]);
    return { shop, tag, pushes };
  }

  const ordersOf = (shop: string) =>
    app.db.all<{ email: string | null; phone: string | null; psid: string | null; order_status_url: string | null; name: string; paid: number }>(
      "SELECT email, phone, psid, order_status_url, name, paid FROM shopify_order WHERE shop = ? ORDER BY name",
      [shop],
    );
  const lookupOrdersOf = (shop: string) => app.db.all("SELECT order_gid FROM lookup_order WHERE shop = ?", [shop]);
  const deliveriesOf = (shop: string) => app.db.all("SELECT webhook_id FROM webhook_delivery WHERE shop = ?", [shop]);

  it("retention run --as-of: prints what it erased; pushes keep status, counts and times; the admin's counts stay", { timeout: 60_000 }, async () => {
    const { shop, tag, pushes } = await shopWithPushes("retention-cli");
    const now = Date.now();
    const overviewBefore = await getPushOverview(app.db, shop, now);

    // Within the duplicate window and the retention: nothing of the shop's goes.
    const early = await app.cli(["retention", "run", "--as-of", new Date(now + 6 * DAY_MS).toISOString()]);
    expect(early.code, early.output).toBe(0);
    expect(early.output).toMatch(/pushes pruned\s+0\b/);
    expect((await pushesOf(app, shop)).every((p) => p.body !== null)).toBe(true);
    expect(await deliveriesOf(shop)).toHaveLength(2);
    // The customer lookups' copy of each order: its receipt and the buyer's contact keys.
    expect(await lookupOrdersOf(shop)).toHaveLength(2);

    const late = await app.cli(["retention", "run", "--as-of", new Date(now + 91 * DAY_MS).toISOString()]);
    expect(late.code, late.output).toBe(0);
    // Numbers of every kind: other tests' rows of this database count too.
    expect(Number(/pushes pruned\s+(\d+)/.exec(late.output)?.[1])).toBeGreaterThanOrEqual(2);
    expect(Number(/attempts pruned\s+(\d+)/.exec(late.output)?.[1])).toBeGreaterThanOrEqual(2);
    expect(Number(/order records pruned\s+(\d+)/.exec(late.output)?.[1])).toBeGreaterThanOrEqual(2);
    expect(Number(/webhook deliveries gone\s+(\d+)/.exec(late.output)?.[1])).toBeGreaterThanOrEqual(2);
    expect(Number(/lookup orders gone\s+(\d+)/.exec(late.output)?.[1])).toBeGreaterThanOrEqual(2);
    expect(late.output).toMatch(/cached PSIDs gone\s+\d+/);

    const after = await pushesOf(app, shop);
    expect(after.map((p) => [p.id, p.topic, p.status, p.attempts])).toEqual(pushes.map((p) => [p.id, p.topic, p.status, p.attempts]));
    for (const push of after) {
      expect(push).toMatchObject({ body: null, recipient_id: null, last_error: null });
      const full = await app.db.get<Record<string, unknown>>("SELECT * FROM push WHERE id = ?", [push.id]);
      expect(full).toMatchObject({ params: null, recipient_value: null, customer_gid: null });
      expect(full!.delivered_at).not.toBeNull();
      for (const attempt of await attemptsOf(app, push.id)) expect(attempt).toMatchObject({ outcome: "delivered", answer: null, error: null });
    }
    expect(await ordersOf(shop)).toEqual([
      { email: null, phone: null, psid: null, order_status_url: null, name: "#7001", paid: 1 },
      { email: null, phone: null, psid: null, order_status_url: null, name: "#7002", paid: 1 },
    ]);
    expect(await deliveriesOf(shop)).toEqual([]);
    expect(await lookupOrdersOf(shop)).toEqual([]);
    const text = JSON.stringify(await app.db.all("SELECT * FROM push WHERE shop = ?", [shop]));
    expect(text).not.toContain(tag);
    // The admin's counts and chart read the same.
    const overviewAfter = await getPushOverview(app.db, shop, now);
    expect({ last24h: overviewAfter.last24h, last7d: overviewAfter.last7d, daily: overviewAfter.daily }).toEqual({
      last24h: overviewBefore.last24h,
      last7d: overviewBefore.last7d,
      daily: overviewBefore.daily,
    });
    expect(overviewAfter.lastDelivered?.id).toBe(overviewBefore.lastDelivered?.id);

    const refused = await app.cli(["retention", "run", "--as-of", "next tuesday"]);
    expect(refused.code).toBe(2);
    expect(refused.output).toMatch(/--as-of must be an ISO time/);
  });

  it("the lookup log: entries older than RETENTION_DAYS go in the same run, and the admin's lookup counts stay", { timeout: 60_000 }, async () => {
    const shop = uniqueShop("retention-lookups");
    await app.configureShop(shop);
    const shown = await app.cli(["shop", "show", "--shop", shop, "--json"]);
    const url = `${app.url}${new URL(JSON.parse(shown.output).lookupUrl as string).pathname}`;
    // Lookups as JoinChat makes them, each logged by the app.
    for (let i = 0; i < 3; i++) {
      const res = await callCustomerQuery(url, EXAMPLE_CUSTOMER_QUERIES.ordersByAccount, { secret: TEST_JOINCHAT_API_SECRET });
      expect(res.status, res.text).toBe(200);
    }
    const logOf = () => app.db.all<{ id: number; at: number }>("SELECT id, at FROM lookup_log WHERE shop = ? ORDER BY id", [shop]);
    // A lookup's log row is committed just after its answer (decision 025).
    const logged = await waitForRows(logOf, 3);
    expect(logged).toHaveLength(3);
    // As of 91 days on, the first is past RETENTION_DAYS; the others as if made 90 days on (moved forward, so the
    // running app's own retention leaves them all alone meanwhile).
    const asOf = Date.now() + 91 * DAY_MS;
    await app.db.run("UPDATE lookup_log SET at = at + ? WHERE id IN (?, ?)", [90 * DAY_MS, logged[1].id, logged[2].id]);
    const countsBefore = await getLookupOverview(app.db, shop, app.env.SHOPIFY_APP_URL, asOf);

    const run = await app.cli(["retention", "run", "--as-of", new Date(asOf).toISOString()]);
    expect(run.code, run.output).toBe(0);
    expect(Number(/lookup log entries gone\s+(\d+)/.exec(run.output)?.[1])).toBeGreaterThanOrEqual(1);
    expect((await logOf()).map((r) => r.id)).toEqual([logged[1].id, logged[2].id]);
    const countsAfter = await getLookupOverview(app.db, shop, app.env.SHOPIFY_APP_URL, asOf);
    expect({ day: countsAfter.day, week: countsAfter.week }).toEqual({ day: countsBefore.day, week: countsBefore.week });
    expect(Object.values(countsAfter.week.orders ?? {}).reduce((n, c) => n + c, 0)).toBe(2);
  });

  it("runs by itself in the running app: rows older than the policy are pruned without anyone asking", { timeout: 60_000 }, async () => {
    const { shop, pushes } = await shopWithPushes("retention-auto");
    // The shop's rows as they would be 100 days on (the app's clock cannot be moved: the rows are).
    const old = Date.now() - 100 * DAY_MS;
    await app.db.run("UPDATE push SET updated_at = ? WHERE shop = ?", [old, shop]);
    await app.db.run("UPDATE shopify_order SET updated_at = ? WHERE shop = ?", [old, shop]);
    await app.db.run("UPDATE webhook_delivery SET received_at = ? WHERE shop = ?", [old, shop]);
    await app.db.run("UPDATE lookup_order SET updated_at = ? WHERE shop = ?", [old, shop]);
    // PSIDs the Admin API layer cached: one past its lifetime (a day), one fresh.
    const psidsOf = () => app.db.all<{ customer_gid: string }>("SELECT customer_gid FROM customer_psid WHERE shop = ? ORDER BY customer_gid", [shop]);
    await app.db.run("INSERT INTO customer_psid (shop, customer_gid, psid, fetched_at) VALUES (?, ?, ?, ?), (?, ?, ?, ?)", [
      shop,
      "gid://shopify/Customer/1",
      "psid-expired",
      Date.now() - 2 * DAY_MS,
      shop,
      "gid://shopify/Customer/2",
      "psid-fresh",
      Date.now(),
    ]);
    await waitFor(
      async () =>
        (await pushesOf(app, shop)).every((p) => p.body === null) &&
        (await deliveriesOf(shop)).length === 0 &&
        (await lookupOrdersOf(shop)).length === 0 &&
        (await psidsOf()).length === 1,
      30_000,
      "the running app's retention",
    );
    expect((await pushesOf(app, shop)).map((p) => [p.id, p.status])).toEqual(pushes.map((p) => [p.id, "delivered"]));
    expect((await ordersOf(shop)).map((o) => o.email)).toEqual([null, null]);
    expect(await psidsOf()).toEqual([{ customer_gid: "gid://shopify/Customer/2" }]);
  });
});
