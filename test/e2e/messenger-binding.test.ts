// `bind` and `unbind` on the shop's lookup URL (issue 16 point 3, decision 023) through the production server, on
// each backend, signed as JoinChat signs (test/helpers/joinchat-caller.ts): a receipt JoinChat refused with 10010 is
// sent again once to the bound PSID, the customer's next order goes to the PSID, the push log says "binding"; foreign,
// expired, unknown and too-early refs and malformed PSIDs bind nothing; 20 identical binds at once make one re-send;
// unbind undoes it and cancels what waits.
import { expect, it } from "vitest";
import { buildFulfillmentJson } from "../fixtures/fulfillments";
import { buildOrderJson } from "../fixtures/orders";
import { signCheckoutSessionToken } from "../helpers/sign-session-token";
import { TEST_JOINCHAT_API_SECRET, TEST_SHOPIFY_API_SECRET, pushesOf, uniqueShop, waitFor, waitForSettled, type AppProcess } from "../helpers/app-process";
import { describeOnBackends, receivedBy, useE2eStack, type E2eStack } from "../helpers/e2e-stack";
import { callCustomerQuery, type CallOptions } from "../helpers/joinchat-caller";

let app: AppProcess;
let stack: E2eStack;
const SIGNED: CallOptions = { secret: TEST_JOINCHAT_API_SECRET };
const PSID = "6024912345678901";
const OTHER_PSID = "7024912345678902";

let orderSeq = 0;
function nextOrderId(): bigint {
  orderSeq += 1;
  return 830000000000000000n + BigInt(Date.now() % 1_000_000) * 1000n + BigInt(orderSeq);
}

describeOnBackends((backend) => {
  useE2eStack(
    (started) => {
      app = started.app;
      stack = started;
    },
    // A retry waits a minute: a push the bind re-sends at once is seen not to wait for it.
    { DELIVERY_RETRY_BASE_MS: "60000", DELIVERY_RETRY_CAP_MS: "120000" },
    backend,
  );

  async function setUpShop(label: string): Promise<{ shop: string; url: string }> {
    const shop = uniqueShop(label);
    await app.configureShop(shop);
    const shown = await app.cli(["shop", "show", "--shop", shop, "--json"]);
    expect(shown.code, shown.output).toBe(0);
    return { shop, url: `${app.url}${new URL(JSON.parse(shown.output).lookupUrl as string).pathname}` };
  }

  const customer = (n: number) => ({ id: n, admin_graphql_api_id: `gid://shopify/Customer/${n}`, email: `buyer${n}@example.com` });

  async function placeOrder(shop: string, overrides: Record<string, unknown> = {}): Promise<{ id: bigint; gid: string }> {
    const id = nextOrderId();
    const gid = `gid://shopify/Order/${id}`;
    const res = await app.sendWebhook(
      "orders/create",
      shop,
      buildOrderJson({ id, admin_graphql_api_id: gid, name: `#${id % 100000n}`, note_attributes: [], ...overrides }),
    );
    expect(res.status, res.text).toBe(200);
    return { id, gid };
  }

  async function refOf(shop: string, orderGid: string): Promise<string> {
    const out = await app.cli(["orders", "optin-link", "--shop", shop, "--order", orderGid, "--json"]);
    expect(out.code, out.output).toBe(0);
    return JSON.parse(out.output).ref as string;
  }

  const bind = (url: string, ref: string, psid: unknown = PSID, method = "bind") => callCustomerQuery(url, { method, params: { ref, psid } as never }, SIGNED);
  const bindings = (shop: string) =>
    app.db.all<{ order_gid: string; customer_gid: string | null; psid: string }>(
      "SELECT order_gid, customer_gid, psid FROM messenger_binding WHERE shop = ? ORDER BY order_gid",
      [shop],
    );
  const sourceOf = async (id: number) =>
    (await app.db.get<{ recipient_source: string | null }>("SELECT recipient_source FROM push WHERE id = ?", [id]))?.recipient_source;

  it("re-sends a receipt JoinChat refused with 10010 once to the bound PSID; the customer's next order goes there too", { timeout: 60_000 }, async () => {
    const { shop, url } = await setUpShop("bind-resend");
    stack.sandbox.setKnownRecipients([PSID]);
    const first = await placeOrder(shop, { customer: customer(501), email: "buyer501@example.com" });
    const [failed] = await waitForSettled(app, shop);
    expect(failed).toMatchObject({ topic: "Order/Receipt", status: "failed", last_error: "10010 Recipient not found" });
    expect(await sourceOf(failed.id)).toBe("email");

    const ref = await refOf(shop, first.gid);
    // The ref is the order's lookup token: the one `lookup order-token` gives, and the customer lookup finds the order by it.
    const token = await app.cli(["lookup", "order-token", "--shop", shop, "--order", first.gid, "--json"]);
    expect(JSON.parse(token.output).token).toBe(ref);
    const looked = await callCustomerQuery(url, { method: "orders", params: { order_number: ref } }, SIGNED);
    expect(looked.json).toMatchObject({ success: true, total: 1 });
    const bound = await bind(url, ref);
    expect(bound.status, bound.text).toBe(200);
    expect(bound.json).toMatchObject({ success: true, data: { bound: true, already_bound: false, resent: 1 } });
    expect(bound.text).not.toContain(PSID);
    expect(await bindings(shop)).toEqual([{ order_gid: first.gid, customer_gid: "gid://shopify/Customer/501", psid: PSID }]);

    const [resent] = await waitForSettled(app, shop);
    expect(resent).toMatchObject({ id: failed.id, status: "delivered" });
    expect(await sourceOf(failed.id)).toBe("binding");
    const receipts = receivedBy(stack.sandbox, shop, "Order/Receipt");
    expect(receipts.map((r) => r.recipient)).toEqual([{ id: PSID }]);

    // The same bind again (JoinChat retrying): nothing more; another PSID for the bound order: refused.
    expect((await bind(url, ref)).json).toMatchObject({ success: true, data: { already_bound: true, resent: 0 } });
    const other = await bind(url, ref, OTHER_PSID);
    expect(other.status).toBe(409);
    expect(other.json).toEqual({ success: false, errors: expect.any(String) });
    expect((await bindings(shop)).map((b) => b.psid)).toEqual([PSID]);

    // The customer's next order: to the PSID, found by the binding, though the order names only an email.
    const second = await placeOrder(shop, { customer: customer(501), email: "buyer501@example.com" });
    const settled = await waitForSettled(app, shop);
    const next = settled.find((p) => p.business_key === `receipt:${second.gid}`)!;
    expect(next).toMatchObject({ status: "delivered" });
    expect(await sourceOf(next.id)).toBe("binding");
    expect(receivedBy(stack.sandbox, shop, "Order/Receipt").map((r) => r.recipient)).toEqual([{ id: PSID }, { id: PSID }]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(receivedBy(stack.sandbox, shop, "Order/Receipt")).toHaveLength(2);

    // An order of the customer without any contact of its own: not skipped for want of a recipient, sent to the PSID.
    const bare = await placeOrder(shop, {
      customer: { id: 501, admin_graphql_api_id: "gid://shopify/Customer/501" },
      email: null,
      contact_email: null,
      phone: null,
    });
    const third = (await waitForSettled(app, shop)).find((p) => p.business_key === `receipt:${bare.gid}`)!;
    expect(third).toMatchObject({ status: "delivered" });
    expect(await sourceOf(third.id)).toBe("binding");
    expect(receivedBy(stack.sandbox, shop, "Order/Receipt").map((r) => r.recipient)).toEqual([{ id: PSID }, { id: PSID }, { id: PSID }]);
    // Its parcel, without a contact either: the shipping update goes to the PSID too.
    const shipped = await app.sendWebhook(
      "fulfillments/create",
      shop,
      buildFulfillmentJson({
        id: bare.id + 7n,
        admin_graphql_api_id: `gid://shopify/Fulfillment/${bare.id + 7n}`,
        order_id: bare.id,
        email: null,
        shipment_status: "in_transit",
      }),
    );
    expect(shipped.status, shipped.text).toBe(200);
    const parcel = (await waitForSettled(app, shop)).find((p) => p.business_key.startsWith(`package:gid://shopify/Fulfillment/${bare.id + 7n}:`))!;
    expect(parcel).toMatchObject({ status: "delivered" });
    expect(await sourceOf(parcel.id)).toBe("binding");
    expect(receivedBy(stack.sandbox, shop, "package/update").map((r) => r.recipient)).toEqual([{ id: PSID }]);

    // unbind (the PSID must be the bound one): the binding goes; a later order of the customer is back to the email.
    expect((await bind(url, ref, OTHER_PSID, "unbind")).json).toMatchObject({ success: true, data: { unbound: false } });
    expect((await bind(url, ref, PSID, "unbind")).json).toMatchObject({ success: true, data: { unbound: true } });
    expect(await bindings(shop)).toEqual([]);
    expect((await bind(url, ref, PSID, "unbind")).json).toMatchObject({ success: true, data: { unbound: false } });
    const events = await app.db.all<{ kind: string }>("SELECT kind FROM optin_event WHERE shop = ? ORDER BY id", [shop]);
    expect(events.map((e) => e.kind)).toEqual(["link", "bind", "stop"]);
  });

  it(
    "a bind from the Thank-you page before orders/create arrives: the receipt goes to the PSID, and the binding learns its customer",
    { timeout: 60_000 },
    async () => {
      const { shop, url } = await setUpShop("bind-before-order");
      stack.sandbox.setKnownRecipients([PSID]);
      // The block asks for the link of the order the page names; its webhook is still on the way.
      const id = nextOrderId();
      const gid = `gid://shopify/Order/${id}`;
      const ref = await refOf(shop, gid);
      const bound = await bind(url, ref);
      expect(bound.status, bound.text).toBe(200);
      expect(bound.json).toMatchObject({ success: true, data: { order_number: null, bound: true, already_bound: false, resent: 0 } });
      expect(await bindings(shop)).toEqual([{ order_gid: gid, customer_gid: null, psid: PSID }]);

      const placed = await app.sendWebhook(
        "orders/create",
        shop,
        buildOrderJson({
          id,
          admin_graphql_api_id: gid,
          name: `#${id % 100000n}`,
          note_attributes: [],
          customer: customer(508),
          email: "buyer508@example.com",
          created_at: new Date(Date.now() - 30_000).toISOString(),
        }),
      );
      expect(placed.status, placed.text).toBe(200);
      const [receipt] = await waitForSettled(app, shop);
      expect(receipt).toMatchObject({ topic: "Order/Receipt", status: "delivered" });
      expect(await sourceOf(receipt.id)).toBe("binding");
      expect(receivedBy(stack.sandbox, shop, "Order/Receipt").map((r) => r.recipient)).toEqual([{ id: PSID }]);
      expect(await bindings(shop)).toEqual([{ order_gid: gid, customer_gid: "gid://shopify/Customer/508", psid: PSID }]);

      // The customer's next order, placed with only an email JoinChat does not know: to the PSID.
      const next = await placeOrder(shop, { customer: customer(508), email: "buyer508@example.com" });
      const settled = await waitForSettled(app, shop);
      expect(settled.find((p) => p.business_key === `receipt:${next.gid}`)).toMatchObject({ status: "delivered" });
      expect(receivedBy(stack.sandbox, shop, "Order/Receipt").map((r) => r.recipient)).toEqual([{ id: PSID }, { id: PSID }]);
    },
  );

  it("sends a receipt waiting for a retry to the bound PSID at once, not at its retry time", { timeout: 60_000 }, async () => {
    const { shop, url } = await setUpShop("bind-retrying");
    stack.sandbox.fail({ mode: "status", status: 503, count: 1 });
    const order = await placeOrder(shop, { customer: customer(507) });
    await waitFor(async () => (await pushesOf(app, shop))[0]?.status === "retrying", 10_000, "the receipt to wait for a retry");
    const [waiting] = await pushesOf(app, shop);
    // The first retry comes DELIVERY_RETRY_BASE_MS (a minute) later; the bind does not wait for it.
    expect(Number(waiting.due_at)).toBeGreaterThan(Date.now() + 10_000);
    expect((await bind(url, await refOf(shop, order.gid))).json).toMatchObject({ success: true, data: { bound: true, resent: 1 } });
    await waitFor(() => receivedBy(stack.sandbox, shop, "Order/Receipt").length === 1, 10_000, "the receipt by PSID");
    const [sent] = await waitForSettled(app, shop);
    expect(sent).toMatchObject({ id: waiting.id, status: "delivered" });
    expect(receivedBy(stack.sandbox, shop, "Order/Receipt").map((r) => r.recipient)).toEqual([{ id: PSID }]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(receivedBy(stack.sandbox, shop, "Order/Receipt")).toHaveLength(1);
  });

  it("unbind cancels the order's waiting pushes", { timeout: 60_000 }, async () => {
    const { shop, url } = await setUpShop("unbind-cancels");
    const cfg = await app.cli(["shop", "configure", "--shop", shop, "--unpaid", "on", "--unpaid-delay", "60"]);
    expect(cfg.code, cfg.output).toBe(0);
    const order = await placeOrder(shop, { financial_status: "pending", customer: customer(502), created_at: new Date().toISOString() });
    await waitFor(async () => (await pushesOf(app, shop)).length === 1);
    const ref = await refOf(shop, order.gid);
    expect((await bind(url, ref)).json).toMatchObject({ success: true, data: { bound: true, resent: 0 } });
    // The waiting reminder is addressed to the PSID now, and keeps its time.
    expect(await app.db.get("SELECT status, recipient_kind, recipient_value, recipient_source FROM push WHERE shop = ?", [shop])).toEqual({
      status: "queued",
      recipient_kind: "id",
      recipient_value: PSID,
      recipient_source: "binding",
    });
    expect((await bind(url, ref, PSID, "unbind")).json).toMatchObject({ success: true, data: { unbound: true, cancelled: 1 } });
    expect(await app.db.get("SELECT status, reason FROM push WHERE shop = ?", [shop])).toEqual({ status: "cancelled", reason: "buyer_stopped_messenger" });
  });

  it(
    "the Order status block's stop unbinds what JoinChat bound and cancels the re-addressed pushes; another shop's token stops nothing",
    { timeout: 60_000 },
    async () => {
      const { shop, url } = await setUpShop("bind-stop");
      const cfg = await app.cli(["shop", "configure", "--shop", shop, "--unpaid", "on", "--unpaid-delay", "60"]);
      expect(cfg.code, cfg.output).toBe(0);
      const order = await placeOrder(shop, { financial_status: "pending", customer: customer(506), created_at: new Date().toISOString() });
      await waitFor(async () => (await pushesOf(app, shop)).length === 1);
      expect((await bind(url, await refOf(shop, order.gid))).json).toMatchObject({ success: true, data: { bound: true } });
      const stop = (tokenShop: string) =>
        app.request(`/api/optin/${order.id}`, {
          method: "POST",
          headers: {
            authorization: `Bearer ${signCheckoutSessionToken({ shop: tokenShop, apiKey: "e2e-test-api-key", apiSecret: TEST_SHOPIFY_API_SECRET, customerGid: "gid://shopify/Customer/506" })}`,
            "content-type": "application/json",
            origin: "https://extensions.shopifycdn.com",
          },
          body: JSON.stringify({ intent: "stop" }),
        });
      const foreign = await stop(uniqueShop("bind-stop-foreign"));
      expect(foreign.status, foreign.text).toBe(200);
      expect(JSON.parse(foreign.text)).toMatchObject({ unbound: false, cancelled: 0 });
      expect(await bindings(shop)).toHaveLength(1);
      const own = await stop(shop);
      expect(own.status, own.text).toBe(200);
      expect(JSON.parse(own.text)).toEqual({ ok: true, intent: "stop", unbound: true, cancelled: 1 });
      expect(await bindings(shop)).toEqual([]);
      expect(await app.db.get("SELECT status, reason FROM push WHERE shop = ?", [shop])).toEqual({ status: "cancelled", reason: "buyer_stopped_messenger" });
    },
  );

  it(
    "refuses another shop's ref, an expired or unknown ref, a ref issued before its order, and a malformed PSID: nothing bound",
    { timeout: 60_000 },
    async () => {
      const { shop, url } = await setUpShop("bind-refusals");
      const other = await setUpShop("bind-refusals-other");
      const order = await placeOrder(shop, { customer: customer(503) });
      const foreignOrder = await placeOrder(other.shop);
      const ref = await refOf(shop, order.gid);
      const foreignRef = await refOf(other.shop, foreignOrder.gid);

      const refusals: [string, Promise<Awaited<ReturnType<typeof bind>>>, number][] = [
        ["another shop's ref", bind(url, foreignRef), 404],
        ["an unknown ref", bind(url, "abcdefghjkmn"), 404],
        ["a ref that is not one", bind(url, "../../etc"), 404],
        ["letters in the PSID", bind(url, ref, "60249123abc"), 400],
        ["a PSID too short", bind(url, ref, "12"), 400],
        ["a PSID too long", bind(url, ref, "1".repeat(40)), 400],
        ["no PSID", callCustomerQuery(url, { method: "bind", params: { ref } }, SIGNED), 400],
        ["no params", callCustomerQuery(url, { method: "bind" }, SIGNED), 400],
      ];
      for (const [what, answer, status] of refusals) {
        const res = await answer;
        expect(res.status, `${what}: ${res.text}`).toBe(status);
        expect(res.json, what).toEqual({ success: false, errors: expect.any(String) });
      }
      // Unsigned: 401 before anything is read.
      expect((await callCustomerQuery(url, { method: "bind", params: { ref, psid: PSID } }, { ...SIGNED, signature: "wrong" })).status).toBe(401);

      // Expired: 410, and nothing bound.
      await app.db.run("UPDATE order_token SET expires_at = ? WHERE shop = ? AND token = ?", [Date.now() - 1000, shop, ref]);
      const expired = await bind(url, ref);
      expect(expired.status, expired.text).toBe(410);
      expect(expired.json).toEqual({ success: false, errors: expect.stringContaining("expired") });

      // A ref asked for an order id before that order was placed (a guess at the next id): not found.
      const early = nextOrderId();
      const earlyGid = `gid://shopify/Order/${early}`;
      const earlyRef = await refOf(shop, earlyGid);
      const placed = await app.sendWebhook(
        "orders/create",
        shop,
        buildOrderJson({ id: early, admin_graphql_api_id: earlyGid, created_at: new Date(Date.now() + 10 * 60_000).toISOString() }),
      );
      expect(placed.status).toBe(200);
      expect((await bind(url, earlyRef)).status).toBe(404);

      expect(await bindings(shop)).toEqual([]);
      expect(await bindings(other.shop)).toEqual([]);
    },
  );

  it("keeps a binding for RETENTION_DAYS after it was made, then retention deletes it", { timeout: 60_000 }, async () => {
    const { shop, url } = await setUpShop("bind-retention");
    const order = await placeOrder(shop, { customer: customer(505) });
    expect((await bind(url, await refOf(shop, order.gid))).status).toBe(200);
    const early = await app.cli(["retention", "run", "--as-of", new Date(Date.now() + 6 * 86_400_000).toISOString()]);
    expect(early.code, early.output).toBe(0);
    expect(await bindings(shop)).toHaveLength(1);
    const late = await app.cli(["retention", "run", "--as-of", new Date(Date.now() + 91 * 86_400_000).toISOString()]);
    expect(late.code, late.output).toBe(0);
    expect(Number(/messenger bindings gone\s+(\d+)/.exec(late.output)?.[1])).toBeGreaterThanOrEqual(1);
    expect(await bindings(shop)).toEqual([]);
    expect(await app.db.all("SELECT kind FROM optin_event WHERE shop = ?", [shop])).toEqual([]);
  });

  it("makes one re-send of 20 identical binds at once", { timeout: 60_000 }, async () => {
    const { shop, url } = await setUpShop("bind-twenty");
    stack.sandbox.setKnownRecipients([PSID]);
    const order = await placeOrder(shop, { customer: customer(504) });
    const [failed] = await waitForSettled(app, shop);
    expect(failed).toMatchObject({ status: "failed", last_error: "10010 Recipient not found" });
    const ref = await refOf(shop, order.gid);

    const answers = await Promise.all(Array.from({ length: 20 }, () => bind(url, ref)));
    for (const a of answers) expect(a.status, a.text).toBe(200);
    const resent = answers.map((a) => (a.json as { data: { resent: number } }).data.resent);
    expect(resent.reduce((x, y) => x + y, 0)).toBe(1);
    expect(answers.filter((a) => (a.json as { data: { already_bound: boolean } }).data.already_bound === false)).toHaveLength(1);

    const [settled] = await waitForSettled(app, shop);
    expect(settled).toMatchObject({ id: failed.id, status: "delivered" });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(receivedBy(stack.sandbox, shop, "Order/Receipt").map((r) => r.recipient)).toEqual([{ id: PSID }]);
    expect(await bindings(shop)).toHaveLength(1);
    expect(await app.db.all("SELECT kind FROM optin_event WHERE shop = ? AND kind = 'bind'", [shop])).toHaveLength(1);
  });
});
