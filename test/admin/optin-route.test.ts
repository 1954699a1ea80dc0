// The Messenger opt-in block's route (/api/optin/:orderId), called as Remix calls it with the session token a
// checkout or customer account UI extension sends: the order's m.me link when the shop is linked and the opt-in is
// on, 204 otherwise; the token's shop only (forged, foreign-app and expired tokens refused, a logged-in buyer kept to
// their own orders); "stop" unbinding the order and cancelling its waiting pushes; CORS headers on every answer.
import { API_KEY, API_SECRET_KEY } from "@shopify/shopify-api/test-helpers";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { buildOrderJson } from "../fixtures/orders";
import { OTHER_SHOP, startAdminRoutes, type AdminRoutes, type CallOptions } from "../helpers/admin-routes";
import { signCheckoutSessionToken } from "../helpers/sign-session-token";
import { dumpAll } from "../integration/support";

const PAGE_ID = "407898491811542";
const PSID = "6024912345678901";
const CHECKOUT_ORIGIN = "https://extensions.shopifycdn.com";

let h: AdminRoutes;
beforeAll(async () => {
  h = await startAdminRoutes();
});
afterAll(async () => {
  await h?.close();
});
beforeEach(async () => {
  await h.resetShops(PAGE_ID);
  await h.db.run("DELETE FROM messenger_binding");
  await h.db.run("DELETE FROM optin_event");
  await h.configure({ optinEnabled: true });
});

const orderGid = (n: number) => `gid://shopify/Order/${6000 + n}`;
// Placed just now (the Thank-you page comes right after checkout), unless a test says otherwise.
const order = (n: number, extra: Record<string, unknown> = {}) =>
  buildOrderJson({ id: 6000 + n, admin_graphql_api_id: orderGid(n), name: `#${6000 + n}`, created_at: new Date().toISOString(), ...extra });

function token(options: { shop?: string; secret?: string; apiKey?: string; customerGid?: string; ttlSeconds?: number; claims?: Record<string, unknown> } = {}) {
  return signCheckoutSessionToken({
    shop: options.shop ?? h.shop,
    apiKey: options.apiKey ?? API_KEY,
    apiSecret: options.secret ?? API_SECRET_KEY,
    customerGid: options.customerGid,
    ttlSeconds: options.ttlSeconds,
    claims: options.claims,
  });
}

const path = (orderId: string) => `/api/optin/${orderId}`;
const link = (orderId: string, options: CallOptions = {}) =>
  h.load(h.routes.optin, path(orderId), { params: { orderId }, headers: { origin: CHECKOUT_ORIGIN }, bearer: token(), ...options });
const stop = (orderId: string, body: unknown = { intent: "stop" }, options: CallOptions & { rawBody?: string } = {}) =>
  h.act(h.routes.optin, path(orderId), body, { params: { orderId }, headers: { origin: CHECKOUT_ORIGIN }, bearer: token(), ...options });
const bind = (n: number, psid = PSID, shop = h.shop) =>
  h.db.run("INSERT INTO messenger_binding (shop, order_gid, customer_gid, psid, bound_at) VALUES (?, ?, NULL, ?, ?)", [shop, orderGid(n), psid, Date.now()]);

describe("GET /api/optin/:orderId", () => {
  it("answers the order's m.me link with the shop's page and a short ref without personal data; the same order gets the same link", async () => {
    await h.webhook("orders/create", order(1));
    const res = await link("6001");
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.data).toMatchObject({ bound: false, buttonText: { en: null, "zh-CN": null } });
    const url = new URL(res.data.url);
    expect(`${url.origin}${url.pathname}`).toBe(`https://m.me/${PAGE_ID}`);
    const ref = url.searchParams.get("ref")!;
    expect(ref).toMatch(/^[a-z0-9]{8,64}$/);
    expect(ref).not.toContain("6001");
    expect(ref).not.toContain("test-shop");
    // Asked again (the Order status page after the Thank-you page, or with the GID), the same link.
    expect((await link("6001")).data.url).toBe(res.data.url);
    expect((await link(encodeURIComponent(orderGid(1)), { params: { orderId: orderGid(1) } })).data.url).toBe(res.data.url);
    // Another order, another ref; the same order of another shop, another ref.
    expect((await link("6002")).data.url).not.toBe(res.data.url);
    await h.configure({ optinEnabled: true }, OTHER_SHOP);
    const foreign = await link("6001", { bearer: token({ shop: OTHER_SHOP }) });
    expect(foreign.status).toBe(200);
    expect(foreign.data.url).not.toBe(res.data.url);
  });

  it("gives the merchant's button words and whether the order is bound", async () => {
    await h.configure({ optinButtonEn: "Track it on Messenger", optinButtonZhCn: "在 Messenger 上追踪" });
    await bind(3);
    const res = await link("6003");
    expect(res.data).toMatchObject({ bound: true, buttonText: { en: "Track it on Messenger", "zh-CN": "在 Messenger 上追踪" } });
    expect(res.text).not.toContain(PSID);
  });

  it("answers 204 (the block shows nothing) while the opt-in is off or the shop is not linked, or for a shop that never set up the app", async () => {
    await h.configure({ optinEnabled: false });
    expect((await link("6004")).status).toBe(204);
    await h.configure({ optinEnabled: true, pageId: null });
    const unlinked = await link("6004");
    expect(unlinked.status).toBe(204);
    expect(unlinked.headers.get("access-control-allow-origin")).toBe("*");
    expect((await link("6004", { bearer: token({ shop: "never-installed.myshopify.com" }) })).status).toBe(204);
  });

  it.each([
    ["signed with another secret (forged)", () => token({ secret: "not-the-app-secret" })],
    ["for another app (aud)", () => token({ apiKey: "someone-elses-api-key" })],
    ["expired", () => token({ ttlSeconds: -60 })],
    ["without a shop (dest)", () => token({ claims: { dest: undefined } })],
    ["for something else than a shop (dest)", () => token({ claims: { dest: "https://evil.example.com" } })],
    ["that is not a JWT", () => "not-a-token"],
  ])("refuses a session token %s with 401, and issues nothing", async (_name, make) => {
    const before = await dumpAll(h.db);
    const res = await link("6005", { bearer: make() });
    expect(res.status).toBe(401);
    expect(res.text).not.toContain("m.me");
    expect(await dumpAll(h.db)).toEqual(before);
    expect((await stop("6005", { intent: "stop" }, { bearer: make() })).status).toBe(401);
  });

  it("answers the block's CORS preflight (its fetch sends Authorization from Shopify's extension origin)", async () => {
    for (const method of ["GET", "POST"]) {
      const res = await link("6005", {
        method: "OPTIONS",
        auth: "none",
        bearer: undefined,
        headers: { origin: CHECKOUT_ORIGIN, "access-control-request-method": method },
      });
      expect(res.status, method).toBe(204);
      expect(res.headers.get("access-control-allow-origin")).toBe("*");
      expect(res.headers.get("access-control-allow-headers")).toContain("Authorization");
    }
  });

  it("refuses a request without a session token", async () => {
    const req = await h.load(h.routes.optin, path("6005"), { params: { orderId: "6005" }, auth: "none", headers: { origin: CHECKOUT_ORIGIN } });
    expect(req.status).toBe(401);
  });

  it("keeps a logged-in buyer to their own orders: another customer's known order is not found", async () => {
    await h.webhook("orders/create", order(6, { customer: { id: 111, admin_graphql_api_id: "gid://shopify/Customer/111", email: "a@example.com" } }));
    const own = await link("6006", { bearer: token({ customerGid: "gid://shopify/Customer/111" }) });
    expect(own.status, own.text).toBe(200);
    const other = await link("6006", { bearer: token({ customerGid: "gid://shopify/Customer/222" }) });
    expect(other.status).toBe(404);
    expect(other.data).toMatchObject({ ok: false, error: "not_found" });
    expect(other.text).not.toContain("m.me");
  });

  it("ties a guest to recent orders: a guest's token (no sub) gets no link for an order placed over 24 hours ago; its buyer, logged in, does", async () => {
    const old = new Date(Date.now() - 25 * 3_600_000).toISOString();
    await h.webhook(
      "orders/create",
      order(11, { created_at: old, customer: { id: 333, admin_graphql_api_id: "gid://shopify/Customer/333", email: "c@example.com" } }),
    );
    const before = await dumpAll(h.db);
    const guest = await link("6011");
    expect(guest.status).toBe(404);
    expect(guest.data).toMatchObject({ ok: false, error: "not_found" });
    expect(guest.text).not.toContain("m.me");
    expect(await dumpAll(h.db)).toEqual(before);
    expect((await link("6011", { bearer: token({ customerGid: "gid://shopify/Customer/333" }) })).status).toBe(200);
    // An order the app does not know yet (its orders/create is on the way): the guest gets it, as on the Thank-you page.
    expect((await link("6012")).status).toBe(200);
  });

  it("counts a link issued once per ref, for the home page", async () => {
    await link("6013");
    await link("6013");
    await link("6014");
    expect(await h.db.all("SELECT kind FROM optin_event WHERE shop = ?", [h.shop])).toEqual([{ kind: "link" }, { kind: "link" }]);
  });

  it("refuses an order id that is not one", async () => {
    for (const orderId of ["abc", "gid://shopify/Customer/1", "12 34"]) {
      const res = await link(orderId, { params: { orderId } });
      expect(res.status, orderId).toBe(400);
      expect(res.data).toMatchObject({ ok: false, error: "invalid_order_id" });
    }
  });
});

describe("POST /api/optin/:orderId {intent: stop}", () => {
  it("unbinds the order and cancels its waiting pushes, once; the order's delivered pushes and other orders stay as they were", async () => {
    await h.configure({ unpaidEnabled: true, unpaidDelayMinutes: 60 });
    await h.webhook("orders/create", order(7, { financial_status: "pending" }));
    await h.webhook("orders/create", order(8, { financial_status: "pending" }));
    await bind(7);
    await bind(8);
    const waiting = () => h.db.all<{ order_gid: string; status: string; reason: string | null }>("SELECT order_gid, status, reason FROM push ORDER BY id");
    expect((await waiting()).map((p) => p.status)).toEqual(["queued", "queued"]);

    const res = await stop("6007");
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.data).toEqual({ ok: true, intent: "stop", unbound: true, cancelled: 1 });
    expect(await waiting()).toEqual([
      { order_gid: orderGid(7), status: "cancelled", reason: "buyer_stopped_messenger" },
      { order_gid: orderGid(8), status: "queued", reason: null },
    ]);
    expect(await h.db.all("SELECT order_gid FROM messenger_binding")).toEqual([{ order_gid: orderGid(8) }]);
    expect(await h.db.all("SELECT kind FROM optin_event WHERE shop = ? AND kind = 'stop'", [h.shop])).toEqual([{ kind: "stop" }]);
    expect((await link("6007")).data.bound).toBe(false);

    // Again (a second click, a retried request): nothing more changes.
    const before = await dumpAll(h.db);
    expect((await stop("6007")).data).toEqual({ ok: true, intent: "stop", unbound: false, cancelled: 0 });
    expect(await dumpAll(h.db)).toEqual(before);
  });

  it("a customer's order reached through another order's binding shows as bound, and its stop removes the customer's bindings", async () => {
    const customer = { id: 444, admin_graphql_api_id: "gid://shopify/Customer/444", email: "d@example.com" };
    await h.configure({ unpaidEnabled: true, unpaidDelayMinutes: 60 });
    await h.webhook("orders/create", order(15, { customer }));
    await h.webhook("orders/create", order(16, { customer, financial_status: "pending" }));
    // The buyer opted in on their first order: their later orders go to the PSID through the customer's binding.
    await h.db.run("INSERT INTO messenger_binding (shop, order_gid, customer_gid, psid, bound_at) VALUES (?, ?, ?, ?, ?)", [
      h.shop,
      orderGid(15),
      customer.admin_graphql_api_id,
      PSID,
      Date.now(),
    ]);
    const asBuyer = { bearer: token({ customerGid: customer.admin_graphql_api_id }) };
    expect((await link("6016", asBuyer)).data.bound).toBe(true);

    const res = await stop("6016", { intent: "stop" }, asBuyer);
    expect(res.data).toEqual({ ok: true, intent: "stop", unbound: true, cancelled: 1 });
    // Nothing of the stopped order reaches the PSID any more: no binding of the customer is left.
    expect(await h.db.all("SELECT order_gid FROM messenger_binding WHERE shop = ?", [h.shop])).toEqual([]);
    expect((await link("6016", asBuyer)).data.bound).toBe(false);
    expect(await h.db.all("SELECT status, reason FROM push WHERE order_gid = ?", [orderGid(16)])).toEqual([
      { status: "cancelled", reason: "buyer_stopped_messenger" },
    ]);
  });

  it("stops only the token's shop's binding of that order", async () => {
    await bind(9, PSID, OTHER_SHOP);
    expect((await stop("6009")).data).toMatchObject({ unbound: false });
    expect(await h.db.all("SELECT shop FROM messenger_binding")).toEqual([{ shop: OTHER_SHOP }]);
  });

  it("refuses another customer's order, an unknown intent and a body that is not JSON; nothing changes", async () => {
    await h.webhook("orders/create", order(10, { customer: { id: 111, admin_graphql_api_id: "gid://shopify/Customer/111", email: "a@example.com" } }));
    await bind(10);
    const before = await dumpAll(h.db);
    expect((await stop("6010", { intent: "stop" }, { bearer: token({ customerGid: "gid://shopify/Customer/222" }) })).status).toBe(404);
    expect((await stop("6010", { intent: "unbind-everything" })).data).toMatchObject({ ok: false, error: "unknown_intent" });
    expect((await stop("6010", { intent: "stop", psid: PSID })).status).toBe(400);
    expect((await stop("6010", null, { rawBody: "intent=stop" })).data).toMatchObject({ ok: false, error: "bad_request" });
    expect(await dumpAll(h.db)).toEqual(before);
  });
});

describe("the bindings are personal data", () => {
  const bindCustomer = (n: number, customerGid: string | null, shop = h.shop) =>
    h.db.run("INSERT INTO messenger_binding (shop, order_gid, customer_gid, psid, bound_at) VALUES (?, ?, ?, ?, ?)", [
      shop,
      orderGid(n),
      customerGid,
      PSID,
      Date.now(),
    ]);
  const boundOrders = async () =>
    (await h.db.all<{ shop: string; order_gid: string }>("SELECT shop, order_gid FROM messenger_binding ORDER BY shop, order_gid")).map(
      (r) => `${r.shop} ${r.order_gid}`,
    );

  it("customers/redact erases the customer's bindings (by customer and by the orders named); shop/redact every binding of the shop", async () => {
    await bindCustomer(21, "gid://shopify/Customer/777");
    await bindCustomer(22, null);
    await bindCustomer(23, "gid://shopify/Customer/888");
    await bindCustomer(21, "gid://shopify/Customer/777", OTHER_SHOP);
    await h.webhook(
      "customers/redact",
      JSON.stringify({ shop_id: 1, shop_domain: h.shop, customer: { id: 777, email: "gone@example.com", phone: null }, orders_to_redact: [6022] }),
    );
    expect(await boundOrders()).toEqual([`${OTHER_SHOP} ${orderGid(21)}`, `${h.shop} ${orderGid(23)}`]);
    await h.webhook("shop/redact", JSON.stringify({ shop_id: 1, shop_domain: h.shop }));
    expect(await boundOrders()).toEqual([`${OTHER_SHOP} ${orderGid(21)}`]);
  });
});
