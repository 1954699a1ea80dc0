// Issue 12 end to end: the production app (the web process with its embedded worker on SQLite; on PostgreSQL the
// web process and two `npm run worker` processes with BullMQ) against the Shopify stand-in, which expires tokens an
// hour after it issues them, refreshes them once per refresh token, throttles by query cost and can be revoked.
// Webhooks are signed as Shopify signs them, the admin is reached with a session token as App Bridge sends it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatSessionTime } from "../../app/shopify/admin-api/access-store.server";
import { CHROME_UA } from "../browser/admin-server";
import { buildOrderJson, CUSTOMER_GID, PRODUCT_GID, PRODUCT_ID } from "../fixtures/orders";
import {
  pushesOf,
  startAppProcess,
  TEST_JOINCHAT_API_SECRET,
  TEST_SHOPIFY_API_SECRET,
  uniqueShop,
  waitFor,
  waitForSettled,
  type AppProcess,
} from "../helpers/app-process";
import { E2E_BACKENDS } from "../helpers/backends";
import { receivedBy } from "../helpers/e2e-stack";
import { signSessionToken } from "../helpers/sign-session-token";
import { startShopifyStandIn, type ShopifyStandIn } from "../helpers/shopify-standin";
import { startJoinChatSandbox, type JoinChatSandbox } from "../sandbox/joinchat-sandbox";

const HOUR = 3_600_000;
const IMAGE = "https://cdn.shopify.com/s/files/1/aviator-standin.png";
const METAFIELD_PSID = "7100000000000042";
const API_KEY = "e2e-test-api-key";
/** SHOPIFY_ADMIN_API_TIMEOUT_MS of the app processes: the time limit of one push's lookups (a refresh included). */
const LOOKUP_LIMIT_MS = 2_000;

let orderSeq = 0;
/** A paid order of the shop's customer, without a PSID of its own: the push goes to the email unless Shopify knows one. */
function order(): string {
  orderSeq += 1;
  const id = 830000000000000000n + BigInt(orderSeq) * 1_000n + BigInt(Date.now() % 1_000);
  return buildOrderJson({ id, admin_graphql_api_id: `gid://shopify/Order/${id}`, name: `#${7000 + orderSeq}`, financial_status: "paid", note_attributes: [] });
}

for (const { backend, skip } of E2E_BACKENDS) {
  describe.skipIf(skip)(`the Admin API as Shopify runs it, on ${backend.label}`, () => {
    let standIn: ShopifyStandIn;
    let sandbox: JoinChatSandbox;
    let app: AppProcess;

    beforeAll(async () => {
      standIn = await startShopifyStandIn({ apiKey: API_KEY, apiSecret: TEST_SHOPIFY_API_SECRET });
      sandbox = await startJoinChatSandbox({ defaultSecret: TEST_JOINCHAT_API_SECRET });
      const env: Record<string, string> = { SHOPIFY_API_KEY: API_KEY, SHOPIFY_ADMIN_API_TIMEOUT_MS: String(LOOKUP_LIMIT_MS) };
      // A lease outlives the JoinChat call and the lookups (the app refuses a shorter one).
      if (backend.kind === "postgres") env.DELIVERY_LEASE_MS = "12000";
      app = await startAppProcess({ joinchatUrl: sandbox.url, backend, shopify: standIn, env });
    }, 120_000);
    afterAll(async () => {
      await app?.stop().catch(() => app.kill("SIGKILL"));
      await sandbox?.close();
      await standIn?.close();
    });

    /** The stand-in's clock minus the app's (the machine's): what advance() added. */
    const toAppClock = (standInMs: number) => standInMs - (standIn.now() - Date.now());

    /**
     * A shop whose app was installed `hoursAgo` (stand-in time): its product and customer (with the `joinchat.psid`
     * metafield) at the stand-in, and the offline session Shopify's install stored (an expiring token and its
     * refresh token, times in the app's clock), linked to a page.
     */
    async function install(label: string, hoursAgo = 0): Promise<{ shop: string; accessToken: string }> {
      const shop = uniqueShop(label);
      const state = standIn.shop(shop);
      state.addProduct(PRODUCT_GID, { imageUrl: IMAGE });
      state.addCustomer(CUSTOMER_GID, { firstName: "Jon", email: "jon@example.com", metafields: { "joinchat.psid": METAFIELD_PSID } });
      const tokens = standIn.issueOfflineToken(shop, { expiring: true });
      standIn.advance(hoursAgo * HOUR);
      await app.db.run(
        `INSERT INTO "Session" ("id", "shop", "state", "isOnline", "scope", "accessToken", "expires", "refreshToken", "refreshTokenExpires")
         VALUES (?, ?, '', false, ?, ?, ?, ?, ?)`,
        [
          `offline_${shop}`,
          shop,
          tokens.scope,
          tokens.accessToken,
          formatSessionTime(toAppClock(tokens.expiresAt!), app.db.kind),
          tokens.refreshToken,
          formatSessionTime(toAppClock(tokens.refreshTokenExpiresAt!), app.db.kind),
        ],
      );
      await app.configureShop(shop);
      return { shop, accessToken: tokens.accessToken };
    }

    /** Sends `count` paid orders of the shop at once; the receipts JoinChat received for them. */
    async function sendOrders(shop: string, count: number) {
      const before = receivedBy(sandbox, shop, "Order/Receipt").length;
      const answers = await Promise.all(Array.from({ length: count }, () => app.sendWebhook("orders/create", shop, order())));
      for (const res of answers) expect(res.status, res.text).toBe(200);
      const settled = await waitForSettled(app, shop);
      expect(settled.filter((p) => p.status !== "delivered")).toEqual([]);
      const all = await waitFor(
        () => (receivedBy(sandbox, shop, "Order/Receipt").length === before + count ? receivedBy(sandbox, shop, "Order/Receipt") : null),
        10_000,
        "the receipts",
      );
      return all.slice(before);
    }

    const imageOf = (push: { params: Record<string, unknown> }) => (push.params.elements as { image_url?: string }[])[0].image_url;
    const refreshes = (shop: string, outcome?: "ok" | "invalid_grant") =>
      standIn.countCalls({ shop, endpoint: "access_token", operation: "refresh_token", ...(outcome ? { outcome } : {}) });
    const offlineSession = (shop: string) => app.db.get<{ accessToken: string }>(`SELECT "accessToken" FROM "Session" WHERE "id" = ?`, [`offline_${shop}`]);

    /** The home page's data, as the admin loads it with App Bridge's session token (authenticate.admin first). */
    async function openTheApp(shop: string) {
      const token = signSessionToken({ shop, apiKey: API_KEY, apiSecret: TEST_SHOPIFY_API_SECRET });
      const res = await app.request(`/app?index&_data=${encodeURIComponent("routes/app._index")}`, {
        method: "GET",
        headers: { authorization: `Bearer ${token}`, "user-agent": CHROME_UA },
      });
      expect(res.status, res.text).toBe(200);
      return res.json as { shopifyAccess: { status: string; reason: string; since: number } | null };
    }

    it(
      "an hour of token lifetime later, a push still carries the product image and goes to the PSID of the customer's metafield",
      { timeout: 60_000 },
      async () => {
        const { shop, accessToken } = await install("hour-later", 1);
        const [receipt] = await sendOrders(shop, 1);
        expect(imageOf(receipt)).toBe(IMAGE);
        expect(receipt.recipient).toEqual({ id: METAFIELD_PSID });
        // The expired token was refreshed once, before any lookup used it, and the new pair stored for the next process.
        expect(refreshes(shop, "ok")).toBe(1);
        expect(standIn.countCalls({ shop, endpoint: "graphql", outcome: "unauthorized" })).toBe(0);
        expect(standIn.countCalls({ shop, endpoint: "graphql", token: accessToken })).toBe(0);
        expect((await offlineSession(shop))!.accessToken).not.toBe(accessToken);
        // The new pair is stored sealed under ENCRYPTION_KEY (decision 022): no token of the shop's in clear in the row.
        const stored = (await app.db.get<{ accessToken: string; refreshToken: string }>(`SELECT "accessToken", "refreshToken" FROM "Session" WHERE "id" = ?`, [
          `offline_${shop}`,
        ]))!;
        expect(stored.accessToken).toMatch(/^v2\.k0\./);
        expect(stored.refreshToken).toMatch(/^v2\.k0\./);
        const seenTokens = standIn.calls.filter((c) => c.shop === shop && c.token).map((c) => c.token!);
        for (const token of seenTokens) expect(JSON.stringify(stored)).not.toContain(token);
        const [push] = await pushesOf(app, shop);
        // The push log says how the recipient was found (issue 16): the customer's metafield.
        expect(push).toMatchObject({ recipient_kind: "id", recipient_value: METAFIELD_PSID, recipient_source: "metafield" });
      },
    );

    it("many pushes of one shop, from every process of the app, refresh its token once", { timeout: 60_000 }, async () => {
      const { shop } = await install("one-refresh", 1);
      // A slow token endpoint: every process and push that needs the token asks while the refresh is in flight.
      standIn.shop(shop).tokenLatencyMs = 400;
      const receipts = await sendOrders(shop, 8);
      expect(receipts.map(imageOf)).toEqual(Array.from({ length: 8 }, () => IMAGE));
      expect(receipts.map((r) => r.recipient)).toEqual(Array.from({ length: 8 }, () => ({ id: METAFIELD_PSID })));
      expect(refreshes(shop)).toBe(1);
      expect(standIn.countCalls({ shop, outcome: "invalid_grant" })).toBe(0);
      expect(standIn.countCalls({ shop, endpoint: "graphql", outcome: "unauthorized" })).toBe(0);
    });

    it("a throttled shop's pushes go out within their time limit, without what Shopify could not answer in time", { timeout: 60_000 }, async () => {
      const { shop } = await install("throttled");
      // The shop's bucket is empty and refills a point every ten seconds: no lookup gets its points within the time limit.
      standIn.shop(shop).bucket = { maximumAvailable: 1000, restoreRate: 0.1, available: 0, at: standIn.now() };
      const receipts = await sendOrders(shop, 3);
      expect(receipts.map(imageOf)).toEqual([undefined, undefined, undefined]);
      expect(receipts.map((r) => r.recipient)).toEqual(Array.from({ length: 3 }, () => ({ email: "jon@example.com" })));
      expect(standIn.countCalls({ shop, endpoint: "graphql", outcome: "throttled" })).toBeGreaterThan(0);
      expect(standIn.countCalls({ shop, endpoint: "graphql", outcome: "ok" })).toBe(0);
      // Each push's JoinChat call started within its lookups' time limit of its claim (with room for a loaded machine),
      // not after the seconds the bucket would have needed.
      const timed = await app.db.all<{ claimed: number; sent: number }>(
        `SELECT p.first_attempt_at AS claimed, a.started_at AS sent FROM push p JOIN push_attempt a ON a.push_id = p.id AND a.number = 1 WHERE p.shop = ?`,
        [shop],
      );
      expect(timed).toHaveLength(3);
      for (const { claimed, sent } of timed) expect(Number(sent) - Number(claimed)).toBeLessThan(LOOKUP_LIMIT_MS + 2_500);
    });

    it(
      "a revoked shop's pushes go out without lookups; the operator and the admin say why, and opening the app reconnects it",
      { timeout: 60_000 },
      async () => {
        const { shop } = await install("revoked", 1);
        standIn.uninstall(shop);
        const [first] = await sendOrders(shop, 1);
        expect(imageOf(first)).toBeUndefined();
        expect(first.recipient).toEqual({ email: "jon@example.com" });
        expect(refreshes(shop, "invalid_grant")).toBe(1);

        // Marked: the next pushes ask Shopify nothing at all.
        const callsBefore = standIn.calls.filter((c) => c.shop === shop).length;
        await sendOrders(shop, 2);
        expect(standIn.calls.filter((c) => c.shop === shop).length).toBe(callsBefore);

        const shown = await app.cli(["shop", "show", "--shop", shop]);
        expect(shown.code, shown.output).toBe(0);
        expect(shown.output).toMatch(/Shopify Admin API\s+needs reconnect since .+ \(refresh refused: invalid_grant\): pushes go without images and PSIDs/);

        // The merchant installs the app again and opens it: authenticate.admin exchanges a new token, the page says why.
        standIn.shop(shop).installed = true;
        const home = await openTheApp(shop);
        expect(home.shopifyAccess).toMatchObject({ status: "reconnected", reason: "refresh refused: invalid_grant" });
        expect((await openTheApp(shop)).shopifyAccess).toBeNull();
        expect((await app.cli(["shop", "show", "--shop", shop])).output).toMatch(/Shopify Admin API\s+connected/);
        const [next] = await sendOrders(shop, 1);
        expect(imageOf(next)).toBe(IMAGE);
        expect(next.recipient).toEqual({ id: METAFIELD_PSID });
      },
    );

    it("products/update and products/delete: the cached image is forgotten, the next push carries what Shopify has now", { timeout: 60_000 }, async () => {
      const { shop } = await install("product-changed");
      const [first] = await sendOrders(shop, 1);
      expect(imageOf(first)).toBe(IMAGE);
      const cached = () => app.db.all<{ url: string | null }>("SELECT url FROM product_image WHERE shop = ? AND product_gid = ?", [shop, PRODUCT_GID]);
      expect(await cached()).toEqual([{ url: IMAGE }]);

      // The merchant changes the product's image: Shopify says so with products/update.
      const newImage = "https://cdn.shopify.com/s/files/1/aviator-standin-v2.png";
      standIn.shop(shop).addProduct(PRODUCT_GID, { imageUrl: newImage });
      // The id as Shopify writes it: a number past 2^53.
      const withId = (body: object) => JSON.stringify(body).replace('"<id>"', String(PRODUCT_ID));
      const product = withId({
        admin_graphql_api_id: PRODUCT_GID,
        id: "<id>",
        title: "Aviator",
        handle: "aviator",
        status: "active",
        updated_at: new Date().toISOString(),
        variants: [],
        image: { src: newImage },
        images: [{ src: newImage }],
      });
      const updated = await app.sendWebhook("products/update", shop, product);
      expect(updated.status, updated.text).toBe(200);
      await waitFor(async () => (await cached()).length === 0, 10_000, "the cached image to be forgotten");
      const [second] = await sendOrders(shop, 1);
      expect(imageOf(second)).toBe(newImage);

      // The product goes: its image is forgotten too.
      expect(await cached()).toEqual([{ url: newImage }]);
      const deleted = await app.sendWebhook("products/delete", shop, withId({ id: "<id>" }));
      expect(deleted.status, deleted.text).toBe(200);
      await waitFor(async () => (await cached()).length === 0, 10_000, "the deleted product's image to be forgotten");
    });

    it("app/uninstalled forgets what the Admin API layer holds of the shop", { timeout: 60_000 }, async () => {
      const { shop } = await install("forget");
      await sendOrders(shop, 1);
      const held = async () =>
        Promise.all(
          ["product_image", "customer_psid", "shopify_access"].map(async (table) =>
            Number((await app.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table} WHERE shop = ?`, [shop]))!.n),
          ),
        );
      const [images, psids] = await held();
      expect(images).toBeGreaterThan(0);
      expect(psids).toBe(1);
      const res = await app.sendWebhook("app/uninstalled", shop, JSON.stringify({ id: 1, name: "Shop", domain: shop, myshopify_domain: shop }));
      expect(res.status, res.text).toBe(200);
      await waitFor(async () => (await held()).every((n) => n === 0), 10_000, "the layer's rows of the shop to go");
    });
  });
}
