// Customer lookups through Shopify's Admin API (issue 15, decision 024), end to end on each backend: the production
// app against the Shopify stand-in (latency, cost buckets, THROTTLED, the 60-day order window, search syntax that
// ignores what it does not know), JoinChat's requests signed as JoinChat signs them.
// - Orders from before the app was installed: found by confirmation number, by name only when the merchant allows
//   it, by email and by phone (through the customer), with the same private receipt as a local order; recorded, so
//   the next lookup needs no Shopify.
// - A slow, throttled or failing Admin API: the lookup answers JoinChat's "try again later" failure within 3 s.
// - `products sync` (the CLI) and the sync at install fill the catalogue page by page; drafts, archived and
//   unpublished products are never shown.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHROME_UA } from "../browser/admin-server";
import { startAppProcess, TEST_JOINCHAT_API_SECRET, TEST_SHOPIFY_API_SECRET, uniqueShop, waitFor, waitForRows, type AppProcess } from "../helpers/app-process";
import { E2E_BACKENDS } from "../helpers/backends";
import { callCustomerQuery, type CallOptions } from "../helpers/joinchat-caller";
import { signSessionToken } from "../helpers/sign-session-token";
import { routeShopifyFetch, startShopifyStandIn, type ShopifyStandIn, type StandInOrder, type StandInProduct } from "../helpers/shopify-standin";
import { startJoinChatSandbox, type JoinChatSandbox } from "../sandbox/joinchat-sandbox";

const API_KEY = "e2e-test-api-key";
/** A lookup's JSON answer, for reading its fields. */
type Answer = { success: boolean; total?: number; data?: Record<string, unknown>[]; errors?: string };
const bodyOf = (result: { json: unknown }) => result.json as Answer;
const SIGNED: CallOptions = { secret: TEST_JOINCHAT_API_SECRET };
const DAY = 86_400_000;
/** Shopify answers in a few hundred milliseconds at best; the stand-in is never faster. */
const SHOPIFY_LATENCY_MS = 150;

let seq = 0;
const nextId = () => 840000000000000000n + BigInt(Date.now() % 1_000_000) * 1000n + BigInt(++seq);

/** An order placed `daysAgo` days ago, before the app was installed: only Shopify knows it. */
function oldOrder(overrides: Partial<StandInOrder> & { confirmationNumber: string; name: string }, daysAgo = 20): StandInOrder {
  return {
    email: "ada@example.com",
    phone: null,
    statusPageUrl: "https://example.myshopify.com/123/orders/abc/authenticate?key=secret",
    shippingAddress: {
      name: "Ada Lovelace",
      address1: "12 St James's Square",
      city: "London",
      zip: "SW1Y 4JH",
      province: "England",
      provinceCode: "ENG",
      countryCode: "GB",
    },
    createdAt: new Date(Date.now() - daysAgo * DAY).toISOString(),
    financialStatus: "PAID",
    currency: "USD",
    gateways: ["shopify_payments"],
    lineItems: [
      { title: "Aviator sunglasses", variantTitle: "Black", quantity: 2, price: "30.00", productGid: "gid://shopify/Product/1" },
      { title: "Case", quantity: 1, price: "10.00" },
    ],
    subtotal: "70.00",
    shipping: "5.00",
    tax: "7.00",
    discounts: "7.00",
    discountCodes: ["WELCOME10"],
    total: "75.00",
    ...overrides,
  };
}

function product(n: number, overrides: Partial<StandInProduct> = {}): StandInProduct {
  return {
    title: `Trail shoe ${n}`,
    handle: `trail-shoe-${n}`,
    imageUrl: `https://cdn.shopify.com/s/files/trail-${n}.jpg`,
    vendor: n % 2 === 0 ? "Nike" : "Asics",
    productType: "Shoes",
    descriptionHtml: `<p>Trail shoe <b>${n}</b></p>`,
    createdAt: new Date(Date.now() - (100 - n) * DAY).toISOString(),
    updatedAt: new Date(Date.now() - (100 - n) * DAY).toISOString(),
    variants: [
      { id: String(9100000 + n * 10), price: "80.00", inventoryQuantity: 0 },
      { id: String(9100000 + n * 10 + 1), price: `${80 + n}.50`, inventoryQuantity: 3 },
    ],
    ...overrides,
  };
}

for (const { backend, skip } of E2E_BACKENDS) {
  describe.skipIf(skip)(`customer lookups through the Admin API, on ${backend.label}`, () => {
    let standIn: ShopifyStandIn;
    let sandbox: JoinChatSandbox;
    let app: AppProcess;
    let unroute: () => Promise<void>;

    beforeAll(async () => {
      standIn = await startShopifyStandIn({ apiKey: API_KEY, apiSecret: TEST_SHOPIFY_API_SECRET });
      sandbox = await startJoinChatSandbox({ defaultSecret: TEST_JOINCHAT_API_SECRET });
      // The CLI runs in this process: its fetches to *.myshopify.com go to the stand-in too.
      unroute = routeShopifyFetch(standIn);
      app = await startAppProcess({
        joinchatUrl: sandbox.url,
        backend,
        shopify: standIn,
        env: { SHOPIFY_API_KEY: API_KEY, LOOKUP_RATE_PER_IDENTIFIER_PER_HOUR: "50" },
      });
    }, 120_000);
    afterAll(async () => {
      await app?.stop().catch(() => app.kill("SIGKILL"));
      await unroute?.();
      await sandbox?.close();
      await standIn?.close();
    });

    /** A shop the app was installed on (an offline session as the install stores it), linked, with its lookup URL. */
    async function install(label: string, session = true): Promise<{ shop: string; url: string }> {
      const shop = uniqueShop(label);
      standIn.shop(shop).latencyMs = SHOPIFY_LATENCY_MS;
      if (session) {
        const tokens = standIn.issueOfflineToken(shop, { expiring: false });
        await app.db.run(`INSERT INTO "Session" ("id", "shop", "state", "isOnline", "scope", "accessToken") VALUES (?, ?, '', false, ?, ?)`, [
          `offline_${shop}`,
          shop,
          tokens.scope,
          tokens.accessToken,
        ]);
      }
      await app.configureShop(shop);
      const shown = await app.cli(["shop", "show", "--shop", shop, "--json"]);
      expect(shown.code, shown.output).toBe(0);
      return { shop, url: `${app.url}${new URL(JSON.parse(shown.output).lookupUrl as string).pathname}` };
    }

    const orderLookups = (shop: string) => standIn.countCalls({ shop, endpoint: "graphql", operation: "OrderLookup" });

    it(
      "finds an order from before the install by confirmation number, with the private receipt a local order gets, and keeps it",
      { timeout: 60_000 },
      async () => {
        const { shop, url } = await install("fallback-found");
        const id = nextId();
        standIn.shop(shop).addOrder(`gid://shopify/Order/${id}`, oldOrder({ confirmationNumber: "K7QX2MZP9", name: "#1042" }));
        // Another order of the shop that must never come back for that confirmation number.
        standIn.shop(shop).addOrder(`gid://shopify/Order/${nextId()}`, oldOrder({ confirmationNumber: "AAAA11111", name: "#1043", email: "bob@example.com" }));

        const started = Date.now();
        const answer = await callCustomerQuery(url, { method: "orders", params: { order_number: "k7qx2mzp9" } }, SIGNED);
        expect(Date.now() - started).toBeLessThan(3_000);
        expect(answer.status, answer.text).toBe(200);
        expect(bodyOf(answer).total).toBe(1);
        const [receipt] = bodyOf(answer).data!;
        // The push mapping's receipt: the name masked, no address and no status link (they are not a token's).
        expect(receipt).toEqual({
          template_type: "receipt",
          recipient_name: "A** L*******",
          order_number: "#1042",
          currency: "USD",
          payment_method: "Shopify Payments",
          timestamp: expect.stringMatching(/^\d{10}$/),
          summary: { subtotal: 70, shipping_cost: 5, total_tax: 7, total_cost: 75 },
          adjustments: [{ name: "WELCOME10", amount: 7 }],
          elements: [
            { title: "Aviator sunglasses", subtitle: "Black", quantity: 2, price: 30, currency: "USD" },
            { title: "Case", quantity: 1, price: 10, currency: "USD" },
          ],
        });
        expect(JSON.stringify(answer.json)).not.toMatch(/St James|secret|ada@example/);
        expect(orderLookups(shop)).toBe(1);

        // Recorded as a webhook would record it: the next lookup is answered locally, byte for byte the same.
        const again = await callCustomerQuery(url, { method: "orders", params: { order_number: "K7QX2MZP9" } }, SIGNED);
        expect(again.text).toBe(answer.text);
        expect(orderLookups(shop)).toBe(1);
        const row = await app.db.get<{ confirmation_number: string; email_key: string }>(
          "SELECT confirmation_number, email_key FROM lookup_order WHERE shop = ? AND order_gid = ?",
          [shop, `gid://shopify/Order/${id}`],
        );
        expect(row).toEqual({ confirmation_number: "K7QX2MZP9", email_key: "ada@example.com" });
        expect(await app.db.all("SELECT order_gid FROM lookup_order WHERE shop = ?", [shop])).toHaveLength(1);
      },
    );

    it(
      "asks Shopify by order name only when the merchant allows it; finds accounts by email and by phone through the customer",
      { timeout: 60_000 },
      async () => {
        const { shop, url } = await install("fallback-keys");
        const state = standIn.shop(shop);
        state.addOrder(`gid://shopify/Order/${nextId()}`, oldOrder({ confirmationNumber: "ZZ9PLURAL", name: "#2001", email: "grace@example.com" }));
        const customerGid = `gid://shopify/Customer/${nextId()}`;
        state.addCustomer(customerGid, { firstName: "Linus", phone: "+44 7700 900123" });
        state.addOrder(`gid://shopify/Order/${nextId()}`, oldOrder({ confirmationNumber: "PHONE0001", name: "#2002", email: null, customerGid }));
        // Older than Shopify's 60-day window without read_all_orders: the app cannot see it, and says not found.
        state.addOrder(`gid://shopify/Order/${nextId()}`, oldOrder({ confirmationNumber: "ANCIENT01", name: "#1001" }, 90));

        const byName = { method: "orders", params: { order_number: "#2001" } };
        const refused = await callCustomerQuery(url, byName, SIGNED);
        expect(refused.json).toEqual({ success: true, total: 0, data: [] });
        expect((await app.cli(["lookup", "configure", "--shop", shop, "--order-name", "on"])).code).toBe(0);
        const named = await callCustomerQuery(url, byName, SIGNED);
        expect(named.json).toMatchObject({ success: true, total: 1, data: [{ order_number: "#2001", recipient_name: "A** L*******" }] });

        const byEmail = await callCustomerQuery(url, { method: "orders", params: { user_account: " Grace@Example.com " } }, SIGNED);
        expect(byEmail.json).toMatchObject({ success: true, total: 1, data: [{ order_number: "#2001" }] });
        // An account unknown to Shopify too: the same bytes as any not-found.
        const nobody = await callCustomerQuery(url, { method: "orders", params: { user_account: "nobody@example.com" } }, SIGNED);
        expect(nobody.text).toBe(refused.text);

        const byPhone = await callCustomerQuery(url, { method: "orders", params: { user_amount: "+44 (7700) 900-123", filter: "open" } }, SIGNED);
        expect(byPhone.json).toMatchObject({ success: true, total: 1, data: [{ order_number: "#2002" }] });

        const ancient = await callCustomerQuery(url, { method: "orders", params: { order_number: "ANCIENT01" } }, SIGNED);
        expect(ancient.text).toBe(refused.text);
      },
    );

    it('a slow, throttled or failing Admin API: JoinChat gets "try again later" within 3 s', { timeout: 60_000 }, async () => {
      const { shop, url } = await install("fallback-slow");
      const state = standIn.shop(shop);
      state.addOrder(`gid://shopify/Order/${nextId()}`, oldOrder({ confirmationNumber: "SLOW00001", name: "#3001" }));
      const tryLater = async (orderNumber: string) => {
        const started = Date.now();
        const answer = await callCustomerQuery(url, { method: "orders", params: { order_number: orderNumber } }, SIGNED);
        const took = Date.now() - started;
        expect(took, "answered within 3 s").toBeLessThan(3_000);
        expect(answer.status, answer.text).toBe(503);
        expect(answer.json).toEqual({ success: false, errors: expect.stringMatching(/try again later/) });
        return took;
      };

      state.latencyMs = 4_000;
      const took = await tryLater("SLOW00001");
      // It waited for Shopify as long as it could, not less.
      expect(took).toBeGreaterThan(2_000);

      state.latencyMs = SHOPIFY_LATENCY_MS;
      state.failNext(10, { status: 503 });
      await tryLater("SLOW00001");
      state.failures.length = 0;

      // Shopify back: found.
      const found = await callCustomerQuery(url, { method: "orders", params: { order_number: "SLOW00001" } }, SIGNED);
      expect(found.json).toMatchObject({ success: true, total: 1 });

      // THROTTLED, the bucket refilling at a point a second: the app does not wait past the time it has.
      const other = `gid://shopify/Order/${nextId()}`;
      state.addOrder(other, oldOrder({ confirmationNumber: "SLOW00002", name: "#3002" }));
      state.bucket.available = 0;
      state.bucket.restoreRate = 1;
      await tryLater("SLOW00002");

      // The log counts the try-laters as not found (nothing refused, nothing crashed).
      // A lookup's log row is committed just after its answer (decision 025).
      const outcomes = await waitForRows(() => app.db.all<{ outcome: string }>("SELECT outcome FROM lookup_log WHERE shop = ? ORDER BY id", [shop]), 4);
      expect(outcomes.map((o) => o.outcome)).toEqual(["not_found", "not_found", "found", "not_found"]);
    });

    it("products sync fills the catalogue page by page; only active products on the Online Store are ever shown", { timeout: 90_000 }, async () => {
      const { shop, url } = await install("products-sync");
      const state = standIn.shop(shop);
      for (let n = 1; n <= 45; n++) state.addProduct(`gid://shopify/Product/${7700000 + n}`, product(n));
      state.addProduct("gid://shopify/Product/7700101", product(101, { title: "Secret draft boot", status: "DRAFT" }));
      state.addProduct("gid://shopify/Product/7700102", product(102, { title: "Archived boot", status: "ARCHIVED" }));
      state.addProduct("gid://shopify/Product/7700103", product(103, { title: "Unlisted boot", publishedAt: null }));

      const synced = await app.cli(["products", "sync", "--shop", shop]);
      expect(synced.code, synced.output).toBe(0);
      expect(synced.output).toContain(`${shop}: 48 products read from Shopify in 3 page(s) (45 active, 1 draft, 1 archived, 1 unpublished).`);
      expect(synced.output).toContain("answers lookups with 45 active product(s)");
      expect(standIn.countCalls({ shop, operation: "CatalogueProducts", outcome: "ok" })).toBe(3);
      // Every page within Shopify's single query limit.
      expect(
        Math.max(...standIn.calls.filter((c) => c.shop === shop && c.operation === "CatalogueProducts").map((c) => c.requestedCost ?? 0)),
      ).toBeLessThanOrEqual(1000);

      const all = await callCustomerQuery(url, { method: "products", params: {}, pagination: { page: 1, limit: 10 } }, SIGNED);
      expect(bodyOf(all).total).toBe(45);
      const shoe = await callCustomerQuery(url, { method: "products", params: { title: "trail shoe 45" } }, SIGNED);
      expect(shoe.json).toEqual({
        success: true,
        total: 1,
        data: [
          {
            title: "Trail shoe 45",
            image_url: "https://cdn.shopify.com/s/files/trail-45.jpg",
            product_type: "Shoes",
            vendor: "Asics",
            desc: "Trail shoe 45",
            detail_url: `https://${shop}/products/trail-shoe-45`,
            buy_url: `https://${shop}/cart/9100451:1`,
            price: "125.50",
          },
        ],
      });
      for (const title of ["boot", "Secret draft", "Archived", "Unlisted"]) {
        const hidden = await callCustomerQuery(url, { method: "products", params: { title } }, SIGNED);
        expect(hidden.json, title).toEqual({ success: true, total: 0, data: [] });
      }
      const vendors = await callCustomerQuery(url, { method: "property", params: { search_type: "vendor" } }, SIGNED);
      expect(vendors.json).toEqual({ success: true, data: ["Asics", "Nike"] });

      // Archived at Shopify later: the next sync hides it; a second sync changes nothing else. This time the shop's
      // bucket holds little more than a page and refills slowly: the sync paces itself and still reads every page.
      Object.assign(state.bucket, { maximumAvailable: 600, available: 600, restoreRate: 50, at: standIn.now() });
      state.products.get("gid://shopify/Product/7700045")!.status = "ARCHIVED";
      state.products.get("gid://shopify/Product/7700045")!.updatedAt = new Date().toISOString();
      const again = await app.cli(["products", "sync", "--shop", shop, "--json"]);
      expect(again.code, again.output).toBe(0);
      expect(JSON.parse(again.output)).toMatchObject({ complete: true, pages: 3, total: 48, removed: 0, shown: 44 });
      const pages = standIn.calls.filter((c) => c.shop === shop && c.operation === "CatalogueProducts");
      expect(pages.filter((c) => c.outcome === "ok")).toHaveLength(6);
      expect(pages.filter((c) => c.outcome === "throttled").length).toBeLessThanOrEqual(1);
      expect(bodyOf(await callCustomerQuery(url, { method: "products", params: { title: "trail shoe 45" } }, SIGNED)).total).toBe(0);

      // Deleted at Shopify while no webhook reached the app: a complete sync no longer finds it and removes it.
      state.products.delete("gid://shopify/Product/7700044");
      const removal = await app.cli(["products", "sync", "--shop", shop]);
      expect(removal.code, removal.output).toBe(0);
      expect(removal.output).toContain("1 product(s) Shopify no longer lists were removed from the catalogue.");
      expect(removal.output).toContain("answers lookups with 43 active product(s)");
      expect(bodyOf(await callCustomerQuery(url, { method: "products", params: { title: "trail shoe 44" } }, SIGNED)).total).toBe(0);

      // A shop the app has no session of: the CLI says so and fails, nothing is asked.
      const stranger = uniqueShop("no-session");
      await app.configureShop(stranger);
      const refused = await app.cli(["products", "sync", "--shop", stranger]);
      expect(refused.code).toBe(1);
      expect(refused.output).toMatch(/not reachable \(no offline session/);
    });

    it("the install fills the catalogue in the background: a product lookup finds the shop's products", { timeout: 60_000 }, async () => {
      const { shop, url } = await install("install-sync", false);
      const state = standIn.shop(shop);
      for (let n = 1; n <= 3; n++) state.addProduct(`gid://shopify/Product/${7800000 + n}`, product(n));
      state.addProduct("gid://shopify/Product/7800009", product(9, { title: "Trail shoe draft", status: "DRAFT" }));
      expect(bodyOf(await callCustomerQuery(url, { method: "products", params: { title: "trail" } }, SIGNED)).total).toBe(0);

      // The merchant opens the app: App Bridge's session token is exchanged for the offline token (the install).
      const token = signSessionToken({ shop, apiKey: API_KEY, apiSecret: TEST_SHOPIFY_API_SECRET });
      const home = await app.request(`/app?index&_data=${encodeURIComponent("routes/app._index")}`, {
        method: "GET",
        headers: { authorization: `Bearer ${token}`, "user-agent": CHROME_UA },
      });
      expect(home.status, home.text).toBe(200);
      const found = await waitFor(
        async () => {
          const answer = await callCustomerQuery(url, { method: "products", params: { title: "trail" } }, SIGNED);
          return bodyOf(answer).total === 3 ? answer : null;
        },
        20_000,
        "the products synced at install",
        250,
      );
      expect(
        bodyOf(found)
          .data!.map((p) => p.title)
          .sort(),
      ).toEqual(["Trail shoe 1", "Trail shoe 2", "Trail shoe 3"]);
      expect(standIn.countCalls({ shop, operation: "CatalogueProducts" })).toBe(1);
    });
  });
}
