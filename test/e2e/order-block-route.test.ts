// The order page block's route through the production server, on each backend (SQLite with the embedded worker;
// PostgreSQL with BullMQ workers): the admin's session token in, the order's pushes of that shop out, and a resend
// that the same request sent twice at once still stores and delivers once.
import { randomUUID } from "node:crypto";
import { expect, it } from "vitest";
import { signSessionToken } from "../helpers/sign-session-token";
import { CHROME_UA } from "../browser/admin-server";
import { buildOrderJson } from "../fixtures/orders";
import { installSession, pushesOf, TEST_SHOPIFY_API_SECRET, uniqueShop, waitFor, waitForSettled, type AppProcess } from "../helpers/app-process";
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

  /** The shop's offline session, as Shopify's install stores it: authenticate.admin needs it beside the token. */
  async function install(shop: string) {
    await installSession(app, shop, "read_orders,read_fulfillments,read_products");
    await app.configureShop(shop);
  }

  function call(shop: string, orderId: string, body?: unknown) {
    const token = signSessionToken({ shop, apiKey: app.env.SHOPIFY_API_KEY, apiSecret: TEST_SHOPIFY_API_SECRET });
    return app.request(`/api/orders/${orderId}/pushes`, {
      method: body === undefined ? "GET" : "POST",
      headers: { authorization: `Bearer ${token}`, "user-agent": CHROME_UA, origin: "https://extensions.shopifycdn.com", "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  it("lists the order's pushes for its own shop only, and a resend sent twice at once is stored and delivered once", async () => {
    const shop = uniqueShop("block");
    const other = uniqueShop("block-other");
    await install(shop);
    await install(other);
    const orderId = String(900000000000000000n + BigInt(Date.now() % 1_000_000));
    const order = buildOrderJson({ id: BigInt(orderId), admin_graphql_api_id: `gid://shopify/Order/${orderId}`, name: "#4242" });
    expect((await app.sendWebhook("orders/create", shop, order)).status).toBe(200);
    await waitForSettled(app, shop);

    const listed = await call(shop, orderId);
    expect(listed.status, listed.text).toBe(200);
    expect(listed.headers["access-control-allow-origin"]).toBe("*");
    expect(listed.json.pushes).toMatchObject([{ topic: "Order/Receipt", status: "delivered" }]);
    expect(listed.json.resend.receipt).not.toBeNull();
    // The other shop's token sees nothing of this order, and cannot resend it.
    expect((await call(other, orderId)).json).toMatchObject({ pushes: [], resend: { receipt: null, shippingUpdate: null } });
    expect((await call(other, orderId, { intent: "resend-receipt", confirm: true })).status).toBe(409);

    const requestId = randomUUID();
    const [first, second] = await Promise.all([
      call(shop, orderId, { intent: "resend-receipt", confirm: true, requestId }),
      call(shop, orderId, { intent: "resend-receipt", confirm: true, requestId }),
    ]);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(first.json.push.id).toBe(second.json.push.id);
    expect([first.json.created, second.json.created].sort()).toEqual([false, true]);

    await waitFor(
      async () => (await pushesOf(app, shop)).every((p) => p.status === "delivered") && receivedBy(stack.sandbox, shop, "Order/Receipt").length >= 2,
      20_000,
      "the resend to be delivered",
    );
    expect(await pushesOf(app, shop)).toHaveLength(2);
    // The receipt and one resend: two messages, each under its own Idempotency-Key (the sandbox counts the same
    // receipt twice on purpose here: the merchant asked for it once).
    const receipts = receivedBy(stack.sandbox, shop, "Order/Receipt");
    expect(receipts).toHaveLength(2);
    expect(new Set(receipts.map((r) => r.idempotencyKey)).size).toBe(2);
    const after = await call(shop, orderId);
    expect(after.json.pushes[0]).toMatchObject({ id: first.json.push.id, status: "delivered", resendOf: listed.json.pushes[0].id });
  });
});
