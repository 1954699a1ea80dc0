// The push settings page: the loader shows what the shop's pushes follow (the database's defaults for a new
// shop), the action saves a change whole or refuses it whole, by the one settings schema.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { TRACKING_STATUSES } from "../../app/pushes/types";
import { startAdminRoutes, type AdminRoutes } from "../helpers/admin-routes";
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
};

const settingsRow = () => h.db.get<Record<string, unknown>>("SELECT * FROM shop_settings WHERE shop = ?", [h.shop]);

describe("push settings", () => {
  it("shows the defaults of a new shop: every push on, no delay, email first, test orders on, not paused, all statuses", async () => {
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
  ])("refuses %s inline, with the valid fields beside it, and saves nothing", async (_name, bad, field) => {
    await h.configure({ pageId: "407898491811542", unpaidDelayMinutes: 15 });
    const before = await dumpAll(h.db);
    const res = await h.act(h.routes.settings, "/app/settings", { ...VALID, ...bad });
    expect(res.status).toBe(400);
    expect(res.data.ok).toBe(false);
    expect(Object.keys(res.data.fieldErrors)).toContain(field);
    expect(await dumpAll(h.db)).toEqual(before);
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
});
