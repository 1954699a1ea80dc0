// The home page says when Shopify refuses the app's access to the shop (the Admin API layer marked it), and opening
// the app reconnects it: authenticate.admin exchanges the page's session token for a new offline token (at the
// Shopify stand-in), the mark goes, and the page says once what it was. Real authentication, the real layer.
import { API_KEY, API_SECRET_KEY } from "@shopify/shopify-api/test-helpers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAdminRoutes, type AdminRoutes } from "../helpers/admin-routes";
import { routeShopifyFetch, startShopifyStandIn, type ShopifyStandIn } from "../helpers/shopify-standin";

const CUSTOMER = "gid://shopify/Customer/5005";
const PSID = "7000000000000555";

let h: AdminRoutes;
let standIn: ShopifyStandIn;
let unroute: () => Promise<void>;

beforeAll(async () => {
  h = await startAdminRoutes();
  // The stand-in knows the app by the credentials the admin's session tokens are signed with.
  standIn = await startShopifyStandIn({ apiKey: API_KEY, apiSecret: API_SECRET_KEY });
  unroute = routeShopifyFetch(standIn);
  standIn.shop(h.shop).addCustomer(CUSTOMER, { email: "kim@example.com", metafields: { "joinchat.psid": PSID } });
});
afterAll(async () => {
  await unroute?.();
  await standIn?.close();
  await h?.close();
});

const offlineToken = async () =>
  (await h.db.get<{ accessToken: string }>(`SELECT "accessToken" FROM "Session" WHERE "id" = ?`, [`offline_${h.shop}`]))?.accessToken;

describe("the home page and Shopify's access", () => {
  it("shows nothing while the shop is connected", async () => {
    expect(await h.runtime.adminApi.getShopAccess(h.shop)).toEqual({ status: "connected" });
    const res = await h.load(h.routes.home, "/app");
    expect(res.status, res.text).toBe(200);
    expect(res.data.shopifyAccess).toBeNull();
  });

  it("a token Shopify refuses marks the shop; opening the app exchanges a new one, clears the mark and says once what it was", async () => {
    const refused = await offlineToken();
    // The session's token is not one Shopify issued (or it was revoked): 401, and nothing can refresh it.
    expect(await h.runtime.adminApi.lookups.fetchCustomerPsid(h.shop, CUSTOMER, Date.now() + 5_000)).toEqual({ status: "unknown", reason: "needs_reconnect" });
    expect(standIn.countCalls({ shop: h.shop, endpoint: "graphql", outcome: "unauthorized" })).toBe(1);
    const marked = await h.runtime.adminApi.getShopAccess(h.shop);
    expect(marked).toMatchObject({ status: "needs_reconnect", reason: "access token refused" });
    // Pushes meanwhile ask Shopify nothing.
    const calls = standIn.calls.length;
    expect(await h.runtime.adminApi.lookups.fetchCustomerPsid(h.shop, CUSTOMER, Date.now() + 5_000)).toEqual({ status: "unknown", reason: "needs_reconnect" });
    expect(standIn.calls.length).toBe(calls);

    // The merchant opens the app: authenticate.admin exchanges the session token for a new offline token.
    const res = await h.load(h.routes.home, "/app");
    expect(res.status, res.text).toBe(200);
    expect(standIn.countCalls({ shop: h.shop, endpoint: "access_token", operation: "urn:ietf:params:oauth:grant-type:token-exchange", outcome: "ok" })).toBe(1);
    expect(await offlineToken()).not.toBe(refused);
    expect(res.data.shopifyAccess).toEqual({ status: "reconnected", reason: "access token refused", since: (marked as { since: number }).since });

    // Said once; the shop is connected and its lookups work again.
    expect((await h.load(h.routes.home, "/app")).data.shopifyAccess).toBeNull();
    expect(await h.runtime.adminApi.getShopAccess(h.shop)).toEqual({ status: "connected" });
    expect(await h.runtime.adminApi.lookups.fetchCustomerPsid(h.shop, CUSTOMER, Date.now() + 5_000)).toEqual({ status: "found", value: PSID });
  });
});
