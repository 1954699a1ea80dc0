// The scheduler port (app/delivery/scheduler.server.ts) through the production server, on each backend: a push the
// admin retries goes out at once, handed to the embedded worker (SQLite) or as a BullMQ job (PostgreSQL with
// workers), not found later by a poll or the reconciler: both look only every DELIVERY_POLL_MS, two minutes here.
import { expect, it } from "vitest";
import { runCli } from "../../app/cli/main";
import { signSessionToken } from "../helpers/sign-session-token";
import { CHROME_UA } from "../browser/admin-server";
import { buildOrderJson } from "../fixtures/orders";
import { installSession, pushesOf, TEST_SHOPIFY_API_SECRET, uniqueShop, waitFor, waitForSettled, type AppProcess } from "../helpers/app-process";
import { describeOnBackends, receivedBy, useE2eStack, type E2eStack } from "../helpers/e2e-stack";

let stack: E2eStack;
let app: AppProcess;

/** Far longer than the test waits: only a hand-over through the scheduler port delivers in time. */
const POLL_MS = "120000";
const AT_ONCE_MS = 10_000;

describeOnBackends((backend) => {
  useE2eStack(
    (started) => {
      stack = started;
      app = started.app;
    },
    { DELIVERY_POLL_MS: POLL_MS },
    backend,
  );

  /** A shop with one failed receipt (JoinChat did not know the recipient), and its order id. */
  async function failedReceipt(label: string): Promise<{ shop: string; orderId: string; pushId: number }> {
    const shop = uniqueShop(label);
    await installSession(app, shop, "read_orders,read_fulfillments,read_products");
    await app.configureShop(shop);
    stack.sandbox.setKnownRecipients(["someone-else@example.com"]);
    const orderId = String(910000000000000000n + BigInt(Date.now() % 1_000_000));
    const order = buildOrderJson({ id: BigInt(orderId), admin_graphql_api_id: `gid://shopify/Order/${orderId}`, name: "#7001" });
    expect((await app.sendWebhook("orders/create", shop, order)).status).toBe(200);
    const [push] = await waitForSettled(app, shop);
    expect(push).toMatchObject({ status: "failed", attempts: 1 });
    stack.sandbox.setKnownRecipients(null);
    return { shop, orderId, pushId: push.id };
  }

  async function deliveredAtOnce(shop: string): Promise<void> {
    await waitFor(
      async () => (await pushesOf(app, shop)).every((p) => p.status === "delivered") && receivedBy(stack.sandbox, shop, "Order/Receipt").length === 1,
      AT_ONCE_MS,
      "the retried push to be delivered",
    );
  }

  it("a push the admin retries (the order page block's retry) goes out at once", { timeout: 60_000 }, async () => {
    const { shop, orderId, pushId } = await failedReceipt("sched-admin");
    const token = signSessionToken({ shop, apiKey: app.env.SHOPIFY_API_KEY, apiSecret: TEST_SHOPIFY_API_SECRET });
    const res = await app.request(`/api/orders/${orderId}/pushes`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "user-agent": CHROME_UA, origin: "https://extensions.shopifycdn.com", "content-type": "application/json" },
      body: JSON.stringify({ intent: "retry", pushId }),
    });
    expect(res.status, res.text).toBe(200);
    await deliveredAtOnce(shop);
  });

  // On the embedded default the CLI has no worker to wake: the running app's finds the push by its poll.
  if (backend.kind !== "postgres") return;
  it("a push the CLI retries with QUEUE=bullmq is enqueued and goes out at once", { timeout: 60_000 }, async () => {
    const { shop, pushId } = await failedReceipt("sched-cli");
    const out: string[] = [];
    const code = await runCli(["pushes", "retry", String(pushId)], {
      out: (line) => out.push(line),
      env: { DATABASE_URL: app.env.DATABASE_URL, QUEUE: "bullmq", REDIS_URL: app.env.REDIS_URL, QUEUE_PREFIX: app.env.QUEUE_PREFIX },
    });
    expect(code, out.join("\n")).toBe(0);
    expect(out.join("\n")).toMatch(new RegExp(`Push ${pushId} \\(Order/Receipt #7001\\) is queued again; a worker sends it now`));
    await deliveredAtOnce(shop);
  });
});
