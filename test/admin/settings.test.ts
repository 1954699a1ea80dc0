// The push settings page: the loader shows what the shop's pushes follow (the database's defaults for a new
// shop), the action saves a change whole or refuses it whole, by the one settings schema.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { TRACKING_STATUSES } from "../../app/pushes/types";
import { NOT_A_JSON_OBJECT, startAdminRoutes, type AdminRoutes } from "../helpers/admin-routes";
import { dumpAll } from "../integration/support";

let h: AdminRoutes;
beforeAll(async () => {
  h = await startAdminRoutes();
});
afterAll(async () => {
  await h?.close();
});
beforeEach(async () => {
  await h.db.run("DELETE FROM shop_settings");
});

const VALID = {
  receiptEnabled: true,
  unpaidEnabled: false,
  packageEnabled: true,
  unpaidDelayMinutes: "45",
  recipientPreference: "phone",
  testOrdersEnabled: false,
  paused: true,
  packageStatuses: ["shipped", "delivered"],
  codOrders: "unpaid_reminder",
  codGatewayNames: "Pay the driver\nBar bei Lieferung",
  termsReminderEnabled: false,
  optinEnabled: true,
  optinButtonEn: "Updates on Messenger",
  optinButtonZhCn: "用 Messenger 接收",
  cancelNoticeEnabled: false,
  refundNoticeEnabled: false,
};

const settingsRow = () => h.db.get<Record<string, unknown>>("SELECT * FROM shop_settings WHERE shop = ?", [h.shop]);

describe("push settings", () => {
  it("shows the defaults of a new shop: every push on, no delay, email first, test orders on, not paused, all statuses, opt-in off", async () => {
    const res = await h.load(h.routes.settings, "/app/settings");
    expect(res.status).toBe(200);
    expect(res.data).toMatchObject({
      linked: false,
      values: {
        receiptEnabled: true,
        unpaidEnabled: true,
        packageEnabled: true,
        unpaidDelayMinutes: "0",
        recipientPreference: "email",
        testOrdersEnabled: true,
        paused: false,
        packageStatuses: [...TRACKING_STATUSES],
        optinEnabled: false,
        optinButtonEn: "",
        optinButtonZhCn: "",
      },
    });
  });

  it("saves every setting at once and shows them again; the secret is never part of the page", async () => {
    await h.configure({ pageId: "407898491811542", secret: "a-secret-that-stays-home" });
    const res = await h.act(h.routes.settings, "/app/settings", VALID);
    expect(res.status, res.text).toBe(200);
    expect(res.data.ok).toBe(true);
    expect(await settingsRow()).toMatchObject({
      page_id: "407898491811542",
      receipt_enabled: 1,
      unpaid_enabled: 0,
      package_enabled: 1,
      unpaid_delay_minutes: 45,
      recipient_preference: "phone",
      test_orders_enabled: 0,
      paused: 1,
      package_statuses: "shipped,delivered",
      cod_orders: "unpaid_reminder",
      cod_gateway_names: "Pay the driver\nBar bei Lieferung",
      terms_reminder_enabled: 0,
      optin_enabled: 1,
      optin_button_en: "Updates on Messenger",
      optin_button_zh_cn: "用 Messenger 接收",
    });
    const page = await h.load(h.routes.settings, "/app/settings");
    expect(page.data.linked).toBe(true);
    expect(page.data.values).toEqual({ ...VALID, unpaidDelayMinutes: "45" });
    for (const text of [res.text, page.text]) {
      expect(text).not.toContain("a-secret-that-stays-home");
      expect(text).not.toContain("secret_ciphertext");
      expect(text).not.toContain("v1.");
    }
  });

  it("stores every status ticked as 'all statuses' (new ones included), and the pause switch keeps the other settings", async () => {
    await h.act(h.routes.settings, "/app/settings", { ...VALID, packageStatuses: [...TRACKING_STATUSES] });
    expect((await settingsRow())!.package_statuses).toBeNull();
    await h.act(h.routes.settings, "/app/settings", { paused: false });
    expect(await settingsRow()).toMatchObject({ paused: 0, unpaid_delay_minutes: 45, recipient_preference: "phone", unpaid_enabled: 0 });
  });

  it.each([
    ["a delay above 10080 minutes", { unpaidDelayMinutes: "10081" }, "unpaidDelayMinutes"],
    ["a negative delay", { unpaidDelayMinutes: "-1" }, "unpaidDelayMinutes"],
    ["a delay with decimals", { unpaidDelayMinutes: "1.5" }, "unpaidDelayMinutes"],
    ["a delay that is not a number", { unpaidDelayMinutes: "soon" }, "unpaidDelayMinutes"],
    ["an empty delay", { unpaidDelayMinutes: "" }, "unpaidDelayMinutes"],
    ["an unknown recipient preference", { recipientPreference: "fax" }, "recipientPreference"],
    ["an unknown shipping status", { packageStatuses: ["shipped", "lost"] }, "packageStatuses"],
    ["a toggle that is not on or off", { paused: "yes" }, "paused"],
    ["the page id (it belongs to the home page)", { pageId: "123" }, "pageId"],
    ["the secret (it belongs to the home page)", { secret: "sneaky-secret-value" }, "secret"],
    ["an intent (the page posts its values alone)", { intent: "link" }, "intent"],
    ["a delay that is a list", { unpaidDelayMinutes: ["45"] }, "unpaidDelayMinutes"],
    ["shipping statuses that are not a list", { packageStatuses: "shipped" }, "packageStatuses"],
    ["a toggle that is null", { receiptEnabled: null }, "receiptEnabled"],
    ["an unknown choice for COD orders", { codOrders: "sometimes" }, "codOrders"],
    ["more than 20 COD names", { codGatewayNames: Array.from({ length: 21 }, (_, i) => `COD ${i}`).join("\n") }, "codGatewayNames"],
    ["a COD name over 100 characters", { codGatewayNames: "x".repeat(101) }, "codGatewayNames"],
    ["a payment terms switch that is not on or off", { termsReminderEnabled: "yes" }, "termsReminderEnabled"],
    ["an opt-in switch that is not on or off", { optinEnabled: "on" }, "optinEnabled"],
    ["an opt-in button text longer than 40 characters", { optinButtonEn: "x".repeat(41) }, "optinButtonEn"],
    ["an opt-in button text on two lines", { optinButtonZhCn: "接收\n更新" }, "optinButtonZhCn"],
    ["a notice turned on without JoinChat's Send API (JOINCHAT_SEND_API_URL unset)", { cancelNoticeEnabled: true }, "cancelNoticeEnabled"],
    ["the refund notice turned on without JoinChat's Send API", { refundNoticeEnabled: true }, "refundNoticeEnabled"],
  ])("refuses %s inline, with the valid fields beside it, and saves nothing", async (_name, bad, field) => {
    await h.configure({ pageId: "407898491811542", unpaidDelayMinutes: 15 });
    const before = await dumpAll(h.db);
    const res = await h.act(h.routes.settings, "/app/settings", { ...VALID, ...bad });
    expect(res.status).toBe(400);
    expect(res.data).toMatchObject({ ok: false, error: "invalid" });
    expect(res.text).not.toContain("sneaky-secret-value");
    expect(Object.keys(res.data.fieldErrors)).toContain(field);
    expect(await dumpAll(h.db)).toEqual(before);
  });

  it("stores an empty opt-in button text as the block's own words (null), and trims the merchant's", async () => {
    await h.act(h.routes.settings, "/app/settings", VALID);
    const res = await h.act(h.routes.settings, "/app/settings", { optinButtonEn: "  ", optinButtonZhCn: "  接收更新 " });
    expect(res.status, res.text).toBe(200);
    expect(await settingsRow()).toMatchObject({ optin_enabled: 1, optin_button_en: null, optin_button_zh_cn: "接收更新" });
    expect((await h.load(h.routes.settings, "/app/settings")).data.values).toMatchObject({ optinButtonEn: "", optinButtonZhCn: "接收更新" });
  });

  it("says why the notices cannot be turned on here, and previews both texts in both languages", async () => {
    await h.configure({ pageId: "407898491811542" });
    const page = await h.load(h.routes.settings, "/app/settings");
    expect(page.data.noticesAvailable).toBe(false);
    expect(page.data.values).toMatchObject({ cancelNoticeEnabled: false, refundNoticeEnabled: false });
    const previews = page.data.previews as { language: string; cancelled: { text: string }; refund: { text: string } }[];
    expect(previews.map((p) => p.language)).toEqual(["en", "zh-CN"]);
    expect(previews[0].cancelled.text).toMatch(/^Your order #\S+ has been cancelled\.$/);
    expect(previews[1].refund.text).toMatch(/^您的订单 #\S+ 已退款。$/);
  });

  it("accepts the limits 0 and 10080", async () => {
    for (const minutes of ["0", "10080"]) {
      const res = await h.act(h.routes.settings, "/app/settings", { unpaidDelayMinutes: minutes });
      expect(res.status, minutes).toBe(200);
      expect((await settingsRow())!.unpaid_delay_minutes).toBe(Number(minutes));
    }
  });

  it("refuses a request without a valid session, and a body that is not JSON; nothing saved", async () => {
    const before = await dumpAll(h.db);
    expect((await h.load(h.routes.settings, "/app/settings", { auth: "forged" })).status).toBe(401);
    expect((await h.act(h.routes.settings, "/app/settings", VALID, { auth: "forged" })).status).toBe(401);
    expect((await h.act(h.routes.settings, "/app/settings", VALID, { auth: "none" })).thrown).toBe(true);
    expect((await h.act(h.routes.settings, "/app/settings", null, { rawBody: "paused=1" })).status).toBe(400);
    expect((await h.act(h.routes.settings, "/app/settings", ["paused"])).status).toBe(400);
    expect(await dumpAll(h.db)).toEqual(before);
  });

  it.each(NOT_A_JSON_OBJECT)("refuses %s with 400 bad_request; nothing saved", async (_name, rawBody) => {
    await h.configure({ pageId: "407898491811542" });
    const before = await dumpAll(h.db);
    const res = await h.act(h.routes.settings, "/app/settings", null, { rawBody });
    expect(res.status).toBe(400);
    expect(res.data).toMatchObject({ ok: false, error: "bad_request" });
    expect(await dumpAll(h.db)).toEqual(before);
  });
});
