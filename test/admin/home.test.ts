// The app layout (/app's parent) and the home page: Shopify's authentication on every loader and action, the
// admin's language, linking the page (refused whole when a value is wrong), the secret written and never read
// back, and the connection status and counts once linked.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { createSecretBox } from "../../app/settings/secret-box.server";
import { buildOrderJson } from "../fixtures/orders";
import { NOT_A_JSON_OBJECT, startAdminRoutes, type AdminRoutes } from "../helpers/admin-routes";
import { dumpAll } from "../integration/support";

const SECRET = "merchant-joinchat-secret-42";
const PAGE_ID = "407898491811542";

let h: AdminRoutes;
beforeAll(async () => {
  h = await startAdminRoutes();
});
afterAll(async () => {
  await h?.close();
});

async function clearShop() {
  await h.db.run("DELETE FROM push_attempt");
  await h.db.run("DELETE FROM push");
  await h.db.run("DELETE FROM shopify_order");
  await h.db.run("DELETE FROM webhook_delivery");
  await h.db.run("DELETE FROM shop_settings");
  h.sandbox.reset();
}

const settingsRow = () => h.db.get<Record<string, unknown>>("SELECT * FROM shop_settings WHERE shop = ?", [h.shop]);

describe("the app layout", () => {
  it("answers an authenticated request with the API key, English and Polaris' English", async () => {
    const res = await h.load(h.routes.app, "/app");
    expect(res.status, res.text).toBe(200);
    expect(res.data.apiKey).toBe(process.env.SHOPIFY_API_KEY);
    expect(res.data.locale).toBe("en");
    expect(res.data.polarisTranslations.Polaris.Common.cancel).toBe("Cancel");
  });

  it("speaks Simplified Chinese when the admin asks for it (?locale=zh-CN), with Polaris' Chinese", async () => {
    for (const locale of ["zh-CN", "zh", "zh-Hans-CN"]) {
      const res = await h.load(h.routes.app, "/app", { search: { locale } });
      expect(res.data.locale, locale).toBe("zh-CN");
      expect(res.data.polarisTranslations.Polaris.Common.cancel).toBe("取消");
    }
    for (const locale of ["fr", "zh-TW", "en-GB"]) {
      expect((await h.load(h.routes.app, "/app", { search: { locale } })).data.locale, locale).toBe("en");
    }
  });

  it("serves the embedded document load (id_token in the URL)", async () => {
    const res = await h.load(h.routes.app, "/app", { auth: "document", search: { locale: "zh-CN" } });
    expect(res.status).toBe(200);
    expect(res.data.locale).toBe("zh-CN");
  });

  it("refuses a request without a session token, or with a forged one", async () => {
    const none = await h.load(h.routes.app, "/app", { auth: "none" });
    expect(none.thrown).toBe(true);
    expect([302, 401]).toContain(none.status);
    const forged = await h.load(h.routes.app, "/app", { auth: "forged" });
    expect(forged.thrown).toBe(true);
    expect(forged.status).toBe(401);
    expect(forged.headers.get("x-shopify-retry-invalid-session-request")).toBe("1");
  });
});

describe("home: onboarding", () => {
  beforeEach(clearShop);

  it("shows the setup until the page is linked: nothing linked, no secret, no overview", async () => {
    const res = await h.load(h.routes.home, "/app");
    expect(res.status).toBe(200);
    expect(res.data.connection).toEqual({ pageId: null, secretSet: false, secretUnreadable: false, secretSetAt: null, appSecret: true, paused: false });
    expect(res.data.overview).toBeNull();
  });

  it("links the page and stores the secret encrypted; the secret never comes back", async () => {
    const res = await h.act(h.routes.home, "/app", { intent: "link", pageId: ` ${PAGE_ID} `, secret: SECRET });
    expect(res.status, res.text).toBe(200);
    expect(res.data.ok).toBe(true);
    expect(res.text).not.toContain(SECRET);
    const row = await settingsRow();
    expect(row).toMatchObject({ page_id: PAGE_ID });
    expect(row!.secret_ciphertext).toEqual(expect.any(String));
    expect(row!.secret_ciphertext).not.toContain(SECRET);
    expect(h.runtime.box.decrypt(row!.secret_ciphertext as string, h.shop)).toBe(SECRET);

    const page = await h.load(h.routes.home, "/app");
    expect(page.data.connection).toMatchObject({ pageId: PAGE_ID, secretSet: true, secretSetAt: Number(row!.secret_set_at) });
    expect(page.text).not.toContain(SECRET);
    expect(page.text).not.toContain(row!.secret_ciphertext as string);
    expect(page.data.overview).not.toBeNull();
  });

  it("keeps the secret when the field is left empty, and replaces it when a new one is given", async () => {
    await h.act(h.routes.home, "/app", { intent: "link", pageId: PAGE_ID, secret: SECRET });
    const first = await settingsRow();
    const kept = await h.act(h.routes.home, "/app", { intent: "link", pageId: "123456", secret: "" });
    expect(kept.status).toBe(200);
    const second = await settingsRow();
    expect(second).toMatchObject({ page_id: "123456", secret_ciphertext: first!.secret_ciphertext });

    const replaced = await h.act(h.routes.home, "/app", { intent: "link", pageId: "123456", secret: "another-secret-value" });
    expect(replaced.status).toBe(200);
    expect(replaced.text).not.toContain("another-secret-value");
    expect(h.runtime.box.decrypt((await settingsRow())!.secret_ciphertext as string, h.shop)).toBe("another-secret-value");
  });

  it.each([
    ["a page id with letters", { pageId: "12ab34", secret: SECRET }, "pageId"],
    ["an empty page id", { pageId: "", secret: SECRET }, "pageId"],
    ["no page id", { secret: SECRET }, "pageId"],
    ["a secret with a space", { pageId: PAGE_ID, secret: "has a space inside" }, "secret"],
    ["a secret too short", { pageId: PAGE_ID, secret: "short" }, "secret"],
    ["a secret that is not text", { pageId: PAGE_ID, secret: 12345678 }, "secret"],
  ])("refuses %s inline and saves nothing", async (_name, input, field) => {
    await h.configure({ pageId: "999", unpaidDelayMinutes: 5 });
    const before = await dumpAll(h.db);
    const res = await h.act(h.routes.home, "/app", { intent: "link", ...input });
    expect(res.status).toBe(400);
    expect(res.data).toMatchObject({ ok: false, error: "invalid" });
    expect(Object.keys(res.data.fieldErrors)).toContain(field);
    expect(await dumpAll(h.db)).toEqual(before);
    if (typeof input.secret === "string") expect(res.text).not.toContain(input.secret);
  });

  it.each([
    ["a page id that is a number", { pageId: 407898491811542, secret: SECRET }, { pageId: "is required" }],
    ["a secret that is a number", { pageId: PAGE_ID, secret: 12345678 }, { secret: "must be text" }],
    ["a secret that is null", { pageId: PAGE_ID, secret: null }, { secret: "must be text" }],
  ])("refuses %s (a wrong type) with 400 invalid and the field's message; nothing saved", async (_name, input, fieldErrors) => {
    const before = await dumpAll(h.db);
    const res = await h.act(h.routes.home, "/app", { intent: "link", ...input });
    expect(res.status).toBe(400);
    expect(res.data).toMatchObject({ ok: false, error: "invalid", fieldErrors });
    expect(await dumpAll(h.db)).toEqual(before);
  });

  it.each(NOT_A_JSON_OBJECT)("refuses %s with 400 bad_request; nothing saved", async (_name, rawBody) => {
    const before = await dumpAll(h.db);
    const res = await h.act(h.routes.home, "/app", null, { rawBody });
    expect(res.status).toBe(400);
    expect(res.data).toMatchObject({ ok: false, error: "bad_request" });
    expect(await dumpAll(h.db)).toEqual(before);
  });

  it.each([
    ["no intent", { pageId: PAGE_ID, secret: SECRET }],
    ["an unknown intent", { intent: "drop-tables", pageId: PAGE_ID, secret: SECRET }],
    ["an intent that is not text", { intent: ["link"], pageId: PAGE_ID, secret: SECRET }],
    ["an intent every object has", { intent: "constructor", pageId: PAGE_ID, secret: SECRET }],
  ])("refuses %s with 400 unknown_intent; nothing saved", async (_name, body) => {
    const before = await dumpAll(h.db);
    const res = await h.act(h.routes.home, "/app", body);
    expect(res.status).toBe(400);
    expect(res.data).toMatchObject({ ok: false, error: "unknown_intent", message: "intent must be one of link, lookup-switches, lookup-rotate" });
    expect(await dumpAll(h.db)).toEqual(before);
  });

  describe("one page, one secret: JOINCHAT_API_SECRET serves only JOINCHAT_SINGLE_SHOP", () => {
    let single: string | undefined;
    beforeEach(() => {
      single = h.runtime.env.JOINCHAT_SINGLE_SHOP;
      h.runtime.env.JOINCHAT_SINGLE_SHOP = "the-single-shop.myshopify.com";
    });
    afterEach(() => {
      h.runtime.env.JOINCHAT_SINGLE_SHOP = single;
    });

    it("a shop that is not the single shop links a page only with a secret of its own; nothing saved", async () => {
      expect((await h.load(h.routes.home, "/app")).data.connection.appSecret).toBe(false);
      const res = await h.act(h.routes.home, "/app", { intent: "link", pageId: PAGE_ID });
      expect(res.status).toBe(400);
      expect(res.data).toMatchObject({ ok: false, error: "invalid", fieldErrors: { secret: "is required" } });
      expect(await settingsRow()).toBeUndefined();
    });

    it("another page needs its own secret: the one stored for the linked page is not carried over", async () => {
      expect((await h.act(h.routes.home, "/app", { intent: "link", pageId: PAGE_ID, secret: SECRET })).status).toBe(200);
      const before = await dumpAll(h.db);
      const moved = await h.act(h.routes.home, "/app", { intent: "link", pageId: "123456", secret: "" });
      expect(moved.status).toBe(400);
      expect(moved.data).toMatchObject({ ok: false, error: "invalid", fieldErrors: { secret: "is required" } });
      expect(await dumpAll(h.db)).toEqual(before);
      // The same page keeps its secret when the field is left empty.
      expect((await h.act(h.routes.home, "/app", { intent: "link", pageId: PAGE_ID, secret: "" })).status).toBe(200);
      expect((await h.act(h.routes.home, "/app", { intent: "link", pageId: "123456", secret: "page-123456-secret" })).status).toBe(200);
      expect(await settingsRow()).toMatchObject({ page_id: "123456" });
    });
  });

  it("shows a stored secret this ENCRYPTION_KEY cannot read as to re-enter, not as set", async () => {
    const other = createSecretBox(randomBytes(32).toString("base64"));
    await h.configure({ pageId: PAGE_ID });
    await h.db.run("UPDATE shop_settings SET secret_ciphertext = ?, secret_set_at = ? WHERE shop = ?", [other.encrypt(SECRET, h.shop), Date.now(), h.shop]);
    const page = await h.load(h.routes.home, "/app");
    expect(page.data.connection).toMatchObject({ secretSet: false, secretUnreadable: true });
    expect(page.text).not.toContain(SECRET);
  });

  it("asks for a secret when neither the shop nor the app has one", async () => {
    const appSecret = h.runtime.env.JOINCHAT_API_SECRET;
    h.runtime.env.JOINCHAT_API_SECRET = undefined;
    try {
      const res = await h.act(h.routes.home, "/app", { intent: "link", pageId: PAGE_ID });
      expect(res.status).toBe(400);
      expect(res.data).toMatchObject({ ok: false, error: "invalid", fieldErrors: { secret: "is required" } });
      expect(await settingsRow()).toBeUndefined();
      expect((await h.load(h.routes.home, "/app")).data.connection.appSecret).toBe(false);
    } finally {
      h.runtime.env.JOINCHAT_API_SECRET = appSecret;
    }
  });

  it("refuses an unknown intent, a body that is not JSON, and a request without a valid session; nothing saved", async () => {
    const before = await dumpAll(h.db);
    expect((await h.act(h.routes.home, "/app", { intent: "drop-tables", pageId: PAGE_ID })).status).toBe(400);
    expect((await h.act(h.routes.home, "/app", null, { rawBody: "{not json" })).status).toBe(400);
    const none = await h.act(h.routes.home, "/app", { intent: "link", pageId: PAGE_ID, secret: SECRET }, { auth: "none" });
    expect(none.thrown).toBe(true);
    const forged = await h.act(h.routes.home, "/app", { intent: "link", pageId: PAGE_ID, secret: SECRET }, { auth: "forged" });
    expect(forged.status).toBe(401);
    expect(await dumpAll(h.db)).toEqual(before);
  });
});

describe("home: once linked", () => {
  beforeAll(async () => {
    await clearShop();
    await h.configure({ pageId: PAGE_ID, secret: SECRET });
    h.sandbox.setSecret(h.shop, SECRET);
    // Three orders: two reach the buyer, one buyer JoinChat does not know.
    h.sandbox.setKnownRecipients(["6024912345678901", "jon@example.com"]);
    await h.webhook("orders/create", buildOrderJson({ id: 1001, admin_graphql_api_id: "gid://shopify/Order/1001", name: "#1001" }));
    await h.webhook("orders/create", buildOrderJson({ id: 1002, admin_graphql_api_id: "gid://shopify/Order/1002", name: "#1002" }));
    await h.webhook(
      "orders/create",
      buildOrderJson({
        id: 1003,
        admin_graphql_api_id: "gid://shopify/Order/1003",
        name: "#1003",
        note_attributes: [],
        email: "nobody@example.com",
        contact_email: null,
        customer: null,
      }),
    );
    await h.deliverDue();
  });

  it("shows the connection: last delivered push, last failure with JoinChat's message", async () => {
    const res = await h.load(h.routes.home, "/app");
    const { lastDelivered, lastFailure } = res.data.overview;
    expect(lastDelivered).toMatchObject({ topic: "Order/Receipt", orderName: "#1002", status: "delivered" });
    expect(lastFailure).toMatchObject({ topic: "Order/Receipt", orderName: "#1003", status: "failed" });
    expect(lastFailure.lastError).toBe("10010 Recipient not found");
    // No recipient on the page, not even JoinChat's recipient id (the buyer's PSID).
    expect(res.text).not.toContain("nobody@example.com");
    expect(res.text).not.toContain("6024912345678901");
    expect(res.text).not.toContain("recipient");
    expect(res.text).not.toContain(SECRET);
  });

  it("counts pushes by status for 24 hours and 7 days, and per day for 14 days", async () => {
    // One delivered push of 3 days ago, one failed of 10 days ago: in the chart, not in the last 24 hours.
    const [delivered] = await h.db.all<{ id: number }>("SELECT id FROM push WHERE status = 'delivered' ORDER BY id LIMIT 1");
    await h.db.run("UPDATE push SET created_at = created_at - ? WHERE id = ?", [3 * 86_400_000, delivered.id]);
    const [failed] = await h.db.all<{ id: number }>("SELECT id FROM push WHERE status = 'failed' ORDER BY id LIMIT 1");
    await h.db.run("UPDATE push SET created_at = created_at - ? WHERE id = ?", [10 * 86_400_000, failed.id]);

    const { overview } = (await h.load(h.routes.home, "/app")).data;
    expect(overview.last24h).toMatchObject({ delivered: 1, failed: 0, queued: 0 });
    expect(overview.last7d).toMatchObject({ delivered: 2, failed: 0 });
    expect(overview.daily).toHaveLength(14);
    const sum = (key: "delivered" | "failed") => overview.daily.reduce((n: number, d: Record<string, number>) => n + d[key], 0);
    expect(sum("delivered")).toBe(2);
    expect(sum("failed")).toBe(1);
    expect(overview.daily[13]).toMatchObject({ delivered: 1, failed: 0 });
    expect(overview.daily[10]).toMatchObject({ delivered: 1 });
    expect(overview.daily[3]).toMatchObject({ failed: 1 });
    expect(overview.daily[13].day % 86_400_000).toBe(0);
  });
});

describe("home: the Messenger opt-in card", () => {
  beforeAll(async () => {
    await clearShop();
    await h.db.run("DELETE FROM optin_event");
    await h.configure({ pageId: PAGE_ID, secret: SECRET, optinEnabled: true });
  });

  it("counts links issued, bindings and stops for 24 hours and 7 days, and shows no PSID", async () => {
    const now = Date.now();
    const event = (kind: string, agoMs: number) => h.db.run("INSERT INTO optin_event (shop, kind, at) VALUES (?, ?, ?)", [h.shop, kind, now - agoMs]);
    await event("link", 60_000);
    await event("link", 2 * 86_400_000);
    await event("bind", 120_000);
    await event("stop", 3 * 86_400_000);
    await event("bind", 9 * 86_400_000);
    await h.db.run("INSERT INTO optin_event (shop, kind, at) VALUES (?, ?, ?)", ["another-shop.myshopify.com", "bind", now]);
    await h.db.run("INSERT INTO messenger_binding (shop, order_gid, customer_gid, psid, bound_at) VALUES (?, ?, NULL, ?, ?)", [
      h.shop,
      "gid://shopify/Order/1",
      "6024912345678901",
      now,
    ]);
    const res = await h.load(h.routes.home, "/app");
    expect(res.data.optin).toEqual({ enabled: true, day: { link: 1, bind: 1, stop: 0 }, week: { link: 2, bind: 1, stop: 1 }, linkValidDays: 30 });
    expect(res.text).not.toContain("6024912345678901");
    await h.db.run("DELETE FROM messenger_binding");
  });
});

describe("home: the customer lookups card", () => {
  beforeAll(async () => {
    await clearShop();
    await h.db.run("DELETE FROM lookup_log");
    await h.db.run("DELETE FROM lookup_setup");
    await h.configure({ pageId: PAGE_ID, secret: SECRET });
  });

  it("shows the shop's lookup URL, the last test, counts by method and outcome for 24 hours and 7 days, and the switches", async () => {
    const first = (await h.load(h.routes.home, "/app")).data.lookups;
    expect(first.url).toMatch(new RegExp(`^${process.env.SHOPIFY_APP_URL?.replace(/\/$/, "")}/joinchat/lookup/[A-Za-z0-9_-]{43}$`));
    expect(first).toMatchObject({ lastTestAt: null, allowOrderName: false, fullReceipts: false, catalogueProducts: 0 });
    // The same URL on every view.
    expect((await h.load(h.routes.home, "/app")).data.lookups.url).toBe(first.url);

    const now = Date.now();
    const log = (method: string, outcome: string, agoMs: number) =>
      h.db.run("INSERT INTO lookup_log (shop, method, outcome, identifier_hash, at) VALUES (?, ?, ?, ?, ?)", [h.shop, method, outcome, "h", now - agoMs]);
    await log("orders", "found", 60_000);
    await log("orders", "not_found", 120_000);
    await log("orders", "rate_limited", 3 * 86_400_000);
    await log("products", "found", 2 * 86_400_000);
    await log("orders", "found", 9 * 86_400_000);
    await h.db.run("UPDATE lookup_setup SET last_test_at = ? WHERE shop = ?", [now - 5_000, h.shop]);
    const res = await h.load(h.routes.home, "/app");
    const { lookups } = res.data;
    expect(lookups.day.orders).toEqual({ found: 1, not_found: 1, refused: 0, rate_limited: 0 });
    expect(lookups.day.products.found).toBe(0);
    expect(lookups.week.orders).toEqual({ found: 1, not_found: 1, refused: 0, rate_limited: 1 });
    expect(lookups.week.products.found).toBe(1);
    expect(lookups.lastTestAt).toBe(now - 5_000);
    // No identifier of a lookup on the page, not even hashed.
    expect(res.text).not.toContain("identifier");
  });

  it("saves the switches, and issues a new URL only when confirmed", async () => {
    const before = (await h.load(h.routes.home, "/app")).data.lookups;
    const saved = await h.act(h.routes.home, "/app", { intent: "lookup-switches", allowOrderName: true, fullReceipts: false });
    expect(saved.status, saved.text).toBe(200);
    expect((await h.load(h.routes.home, "/app")).data.lookups).toMatchObject({ allowOrderName: true, fullReceipts: false, url: before.url });
    expect((await h.act(h.routes.home, "/app", { intent: "lookup-switches", allowOrderName: "yes" })).status).toBe(400);

    expect((await h.act(h.routes.home, "/app", { intent: "lookup-rotate" })).status).toBe(400);
    expect((await h.load(h.routes.home, "/app")).data.lookups.url).toBe(before.url);
    const rotated = await h.act(h.routes.home, "/app", { intent: "lookup-rotate", confirm: true });
    expect(rotated.status, rotated.text).toBe(200);
    const after = (await h.load(h.routes.home, "/app")).data.lookups;
    expect(after.url).not.toBe(before.url);
    expect(after.allowOrderName).toBe(true);
  });
});
