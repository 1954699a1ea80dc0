// The Admin API access layer (app/shopify/admin-api) against the Shopify stand-in, on SQLite and on PostgreSQL:
// tokens that expire an hour later and are refreshed once however many processes ask, a revoked shop marked and
// left alone until its merchant opens the app, throttling, 429s, 5xx and slow answers within each call's deadline,
// and lookups cached so that a flash sale asks once. Sessions are written and read by Shopify's own session
// storage (PrismaSessionStorage), as the app's install and authenticate.admin write them.
import "@shopify/shopify-api/adapters/node";
import { createRequire } from "node:module";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaClient } from "@prisma/client";
import { ApiVersion, LogSeverity, RequestedTokenType, Session, shopifyApi } from "@shopify/shopify-api";
import { PrismaSessionStorage } from "@shopify/shopify-app-session-storage-prisma";
import { randomBytes } from "node:crypto";
import { createSecretBox } from "../../app/settings/secret-box.server";
import { SealedSessionStorage } from "../../app/shopify/sealed-session-storage.server";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../app/db/database.server";
import { createPrismaPgAdapter } from "../../app/db/prisma-pg-adapter";
import { openPostgresDatabase } from "../../app/db/postgres.server";
import { openSqliteDatabase } from "../../app/db/sqlite.server";
import { setLogLevel } from "../../app/logger.server";
import { createShopifyAdmin, type ShopifyAdmin } from "../../app/shopify/admin-api/index.server";
import { SHOPIFY_API_VERSION } from "../../app/shopify/api-version";
import { signSessionToken } from "../helpers/sign-session-token";
import { createTestPostgresDatabase, postgresAvailable, type TestPostgresDatabase } from "../helpers/backends";
import { createTestDatabaseFile } from "../helpers/database";
import { routeShopifyFetch, startShopifyStandIn, type ShopifyStandIn } from "../helpers/shopify-standin";

setLogLevel("silent");

const HOUR = 3_600_000;
const PRODUCT = "gid://shopify/Product/1001";
const CUSTOMER = "gid://shopify/Customer/2002";
const ORDER = "gid://shopify/Order/3003";
const PSID = "7654321098765432";
const IMAGE = "https://cdn.shopify.com/s/files/1/product-1001.png";

interface Backend {
  label: string;
  skip: boolean;
  open(): Promise<{ connect(): Database; prisma: PrismaClient; close(): Promise<void> }>;
}

const BACKENDS: Backend[] = [
  {
    label: "SQLite",
    skip: false,
    async open() {
      const file = createTestDatabaseFile();
      const prisma = new PrismaClient({ adapter: new PrismaBetterSQLite3({ url: file }) });
      const opened: Database[] = [];
      return {
        connect() {
          const db = openSqliteDatabase(file, { synchronous: "NORMAL" });
          opened.push(db);
          return db;
        },
        prisma,
        async close() {
          await prisma.$disconnect();
          for (const db of opened) await db.close();
        },
      };
    },
  },
  {
    label: "PostgreSQL",
    skip: !postgresAvailable,
    async open() {
      const database: TestPostgresDatabase = await createTestPostgresDatabase();
      const require = createRequire(import.meta.url);
      const generated = require(".prisma/client-postgresql") as { PrismaClient: typeof PrismaClient };
      const prisma = new generated.PrismaClient({ adapter: createPrismaPgAdapter(database.url) });
      const opened: Database[] = [];
      return {
        connect() {
          const db = openPostgresDatabase(database.url, { max: 4 });
          opened.push(db);
          return db;
        },
        prisma,
        async close() {
          await prisma.$disconnect();
          for (const db of opened) await db.close();
          await database.drop();
        },
      };
    },
  },
];

let standIn: ShopifyStandIn;
let unroute: () => Promise<void>;

beforeAll(async () => {
  standIn = await startShopifyStandIn();
  unroute = routeShopifyFetch(standIn);
});

afterAll(async () => {
  await unroute?.();
  await standIn?.close();
});

const BOX = createSecretBox(randomBytes(32).toString("base64"));

for (const backend of BACKENDS) {
  describe.skipIf(backend.skip)(`the Admin API access layer on ${backend.label}`, () => {
    let opened: Awaited<ReturnType<Backend["open"]>>;
    // The app's session storage: the library's, with the tokens sealed under ENCRYPTION_KEY.
    let sessions: SealedSessionStorage;
    let shopSeq = 0;
    const admins: ShopifyAdmin[] = [];

    beforeAll(async () => {
      opened = await backend.open();
      sessions = new SealedSessionStorage(new PrismaSessionStorage<PrismaClient>(opened.prisma), BOX);
    });
    afterAll(async () => {
      await opened?.close();
    });
    afterEach(() => {
      admins.length = 0;
    });

    /** One process's layer: its own database connection, the stand-in's clock. */
    function startProcess(timeoutMs = 2_000): ShopifyAdmin {
      const admin = createShopifyAdmin({
        db: opened.connect(),
        box: BOX,
        credentials: {
          apiKey: standIn.apiKey,
          apiSecret: standIn.apiSecret,
          appUrl: "https://app.example.com",
          scopes: ["read_orders"],
          apiVersion: SHOPIFY_API_VERSION,
        },
        timeoutMs,
        now: standIn.now,
        tokens: { pollMs: 20 },
      });
      admins.push(admin);
      return admin;
    }

    /** A shop with the app installed: the offline session Shopify's install stores, and its data at the stand-in. */
    async function installShop(options: { expiring?: boolean } = {}): Promise<string> {
      shopSeq += 1;
      const shop = `layer-${backend.label.toLowerCase()}-${shopSeq}.myshopify.com`;
      const state = standIn.shop(shop);
      state.addProduct(PRODUCT, { imageUrl: IMAGE });
      state.addCustomer(CUSTOMER, { firstName: "Mei", email: "mei@example.com", metafields: { "joinchat.psid": PSID } });
      state.addOrder(ORDER, { name: "#3003", statusPageUrl: `https://${shop}/orders/3003`, shippingName: "Mei Lin", customerGid: CUSTOMER });
      const tokens = standIn.issueOfflineToken(shop, { expiring: options.expiring ?? true });
      await sessions.storeSession(
        new Session({
          id: `offline_${shop}`,
          shop,
          state: "",
          isOnline: false,
          accessToken: tokens.accessToken,
          scope: tokens.scope,
          ...(tokens.expiresAt !== null ? { expires: new Date(tokens.expiresAt) } : {}),
          ...(tokens.refreshToken ? { refreshToken: tokens.refreshToken, refreshTokenExpires: new Date(tokens.refreshTokenExpiresAt!) } : {}),
        }),
      );
      return shop;
    }

    /** What authenticate.admin does when the merchant opens the app: a token exchange, stored by the session storage. */
    async function openTheApp(shop: string): Promise<void> {
      const api = shopifyApi({
        apiKey: standIn.apiKey,
        apiSecretKey: standIn.apiSecret,
        apiVersion: ApiVersion.April26,
        hostName: "app.example.com",
        isEmbeddedApp: true,
        logger: { level: LogSeverity.Error, log: async () => {} },
      });
      const sessionToken = signSessionToken({ shop, apiKey: standIn.apiKey, apiSecret: standIn.apiSecret });
      const { session } = await api.auth.tokenExchange({ shop, sessionToken, requestedTokenType: RequestedTokenType.OfflineAccessToken, expiring: true });
      await sessions.storeSession(session);
    }

    const graphqlCalls = (shop: string, operation?: string) => standIn.countCalls({ shop, endpoint: "graphql", ...(operation ? { operation } : {}) });
    const refreshCalls = (shop: string) => standIn.countCalls({ shop, endpoint: "access_token", operation: "refresh_token" });

    it("an hour of token lifetime later, still finds the image and the PSID: the token is refreshed once and stored for the session storage", async () => {
      const shop = await installShop();
      const admin = startProcess();
      expect(await admin.fetchCustomerPsid(shop, CUSTOMER)).toBe(PSID);
      expect(await admin.fetchProductImages(shop, [PRODUCT])).toEqual(new Map([[PRODUCT, IMAGE]]));
      const before = await sessions.loadSession(`offline_${shop}`);

      standIn.advance(HOUR);
      await admin.forgetCustomerPsid(shop);
      await admin.forgetProductImages(shop);
      expect(await admin.fetchCustomerPsid(shop, CUSTOMER)).toBe(PSID);
      expect(await admin.fetchProductImages(shop, [PRODUCT])).toEqual(new Map([[PRODUCT, IMAGE]]));
      expect(await admin.fetchOrderContact(shop, ORDER)).toMatchObject({ psid: PSID, customerGid: CUSTOMER, recipientName: "Mei Lin", name: "#3003" });
      expect(refreshCalls(shop)).toBe(1);
      expect(standIn.countCalls({ shop, endpoint: "graphql", outcome: "unauthorized" })).toBe(0);

      // Shopify's session storage reads back the refreshed pair this layer wrote.
      const after = await sessions.loadSession(`offline_${shop}`);
      expect(after!.accessToken).not.toBe(before!.accessToken);
      expect(after!.refreshToken).not.toBe(before!.refreshToken);
      expect(after!.expires!.getTime()).toBeGreaterThan(standIn.now() + HOUR - 60_000);
      expect(after!.refreshTokenExpires!.getTime()).toBeGreaterThan(standIn.now() + 89 * 24 * HOUR);
      expect(standIn.countCalls({ shop, endpoint: "graphql", token: after!.accessToken!, outcome: "ok" })).toBe(3);
      expect(await admin.getShopAccess(shop)).toEqual({ status: "connected" });
      // At rest the refreshed pair is sealed, bound to the shop: neither token is in the row.
      const row = await opened
        .connect()
        .get<{ accessToken: string; refreshToken: string }>(`SELECT "accessToken", "refreshToken" FROM "Session" WHERE "id" = ?`, [`offline_${shop}`]);
      expect(row!.accessToken).toMatch(/^v2\.k0\./);
      expect(row!.refreshToken).toMatch(/^v2\.k0\./);
      expect(JSON.stringify(row)).not.toContain(after!.accessToken!);
      expect(JSON.stringify(row)).not.toContain(after!.refreshToken!);
    });

    it("two processes with many pushes of one shop refresh its token once", async () => {
      const shop = await installShop();
      standIn.shop(shop).tokenLatencyMs = 300;
      const workers = [startProcess(), startProcess()];
      standIn.advance(HOUR);
      const answers = await Promise.all(
        Array.from({ length: 40 }, (_, i) => workers[i % 2].fetchOrderContact(shop, ORDER, { deadline: standIn.now() + 5_000 })),
      );
      expect(answers.every((a) => a?.psid === PSID)).toBe(true);
      expect(refreshCalls(shop)).toBe(1);
      expect(standIn.countCalls({ shop, outcome: "invalid_grant" })).toBe(0);
      expect(standIn.countCalls({ shop, endpoint: "graphql", outcome: "unauthorized" })).toBe(0);
    });

    it("a token Shopify stopped taking before its time is replaced by a refresh, once", async () => {
      const shop = await installShop();
      const admin = startProcess();
      standIn.expireAccessTokens(shop);
      expect(await admin.fetchCustomerPsid(shop, CUSTOMER)).toBe(PSID);
      expect(standIn.countCalls({ shop, endpoint: "graphql", outcome: "unauthorized" })).toBe(1);
      expect(refreshCalls(shop)).toBe(1);
    });

    it("a process holding a token another process refreshed takes the session's new one", async () => {
      const shop = await installShop();
      const [first, second] = [startProcess(), startProcess()];
      expect(await second.fetchCustomerPsid(shop, CUSTOMER)).toBe(PSID);
      standIn.advance(HOUR - 4 * 60_000); // within the five minutes before expiry: the next lookup refreshes
      await first.forgetCustomerPsid(shop);
      expect(await first.fetchCustomerPsid(shop, CUSTOMER)).toBe(PSID);
      await second.forgetCustomerPsid(shop);
      expect(await second.fetchCustomerPsid(shop, CUSTOMER)).toBe(PSID);
      expect(refreshCalls(shop)).toBe(1);
    });

    it("a revoked shop is marked and left alone: no call until its merchant opens the app, and the admin can say why", async () => {
      const shop = await installShop();
      const admin = startProcess();
      standIn.uninstall(shop);
      standIn.advance(HOUR);
      expect(await admin.fetchCustomerPsid(shop, CUSTOMER)).toBeNull();
      expect(standIn.countCalls({ shop, endpoint: "access_token", outcome: "invalid_grant" })).toBe(1);
      const access = await admin.getShopAccess(shop);
      expect(access).toEqual({ status: "needs_reconnect", reason: "refresh refused: invalid_grant", since: expect.any(Number) as number });
      const listed = (await admin.listShopsNeedingReconnect()).filter((s) => s.shop === shop);
      expect(listed).toEqual([{ shop, reason: "refresh refused: invalid_grant", since: (access as { since: number }).since }]);
      // authenticate.admin will not trust the refused token: the session says it has expired.
      expect((await sessions.loadSession(`offline_${shop}`))!.expires!.getTime()).toBeLessThanOrEqual(standIn.now());

      const callsBefore = standIn.calls.filter((c) => c.shop === shop).length;
      const started = Date.now();
      const lookups = await Promise.all([
        admin.fetchProductImages(shop, [PRODUCT]),
        admin.fetchOrderContact(shop, ORDER),
        startProcess().fetchCustomerPsid(shop, CUSTOMER),
      ]);
      expect(lookups).toEqual([new Map(), null, null]);
      expect(Date.now() - started).toBeLessThan(1_000);
      expect(standIn.calls.filter((c) => c.shop === shop)).toHaveLength(callsBefore);

      // The merchant opens the app: authenticate.admin's token exchange stores a new pair, and the mark is gone.
      await openTheApp(shop);
      expect(await admin.getShopAccess(shop)).toEqual({ status: "connected" });
      expect(await admin.fetchCustomerPsid(shop, CUSTOMER)).toBe(PSID);
      expect((await admin.listShopsNeedingReconnect()).filter((s) => s.shop === shop)).toEqual([]);
    });

    it("a shop without a session makes no call; one whose token cannot be refreshed is marked once it expires", async () => {
      const admin = startProcess();
      expect(await admin.lookups.fetchCustomerPsid("never-installed.myshopify.com", CUSTOMER, standIn.now() + 1_000)).toEqual({
        status: "unknown",
        reason: "no_session",
      });
      expect(await admin.getShopAccess("never-installed.myshopify.com")).toEqual({ status: "not_installed" });
      expect(standIn.countCalls({ shop: "never-installed.myshopify.com" })).toBe(0);

      // A token that never expires, then revoked (the app uninstalled while its webhook was lost).
      const shop = await installShop({ expiring: false });
      expect(await admin.fetchCustomerPsid(shop, CUSTOMER)).toBe(PSID);
      standIn.uninstall(shop);
      await admin.forgetCustomerPsid(shop);
      expect(await admin.lookups.fetchCustomerPsid(shop, CUSTOMER, standIn.now() + 1_000)).toEqual({ status: "unknown", reason: "needs_reconnect" });
      expect(await admin.getShopAccess(shop)).toMatchObject({ status: "needs_reconnect", reason: "access token refused" });
    });

    it("a throttled shop's lookups answer by their deadline: waiting for the points when they come in time, giving up at once when not", async () => {
      const shop = await installShop();
      const admin = startProcess();
      const state = standIn.shop(shop);
      // CustomerPsid costs 3 points; the bucket has 1 and restores 10 a second: 200 ms away.
      state.bucket = { maximumAvailable: 100, restoreRate: 10, available: 1, at: standIn.now() };
      expect(await admin.lookups.fetchCustomerPsid(shop, CUSTOMER, standIn.now() + 2_000)).toEqual({ status: "found", value: PSID });
      expect(standIn.countCalls({ shop, outcome: "throttled" })).toBe(1);

      // Now 1 point a minute: nothing comes in time. Every lookup is unknown by its deadline, and the pushes go on.
      state.bucket = { maximumAvailable: 100, restoreRate: 1 / 60, available: 0, at: standIn.now() };
      let started = Date.now();
      expect(await admin.lookups.fetchOrderContact(shop, "gid://shopify/Order/9000", standIn.now() + 800)).toEqual({ status: "unknown", reason: "throttled" });
      expect(Date.now() - started).toBeLessThan(800 + 300);
      started = Date.now();
      const answers = await Promise.all(
        Array.from({ length: 9 }, (_, i) => admin.lookups.fetchOrderContact(shop, `gid://shopify/Order/${9001 + i}`, standIn.now() + 800)),
      );
      expect(answers.every((a) => a.status === "unknown" && a.reason === "throttled")).toBe(true);
      expect(Date.now() - started).toBeLessThan(800 + 300);
      // Having learnt the bucket and the query's cost, it sent none of the queries that could not fit.
      expect(standIn.countCalls({ shop, operation: "OrderContact" })).toBe(1);
    });

    it("429s wait their Retry-After when it fits the deadline, and give up at once when it does not", async () => {
      const shop = await installShop();
      const admin = startProcess();
      standIn.shop(shop).failNext(1, { status: 429, retryAfter: 0.2 });
      expect(await admin.lookups.fetchCustomerPsid(shop, CUSTOMER, standIn.now() + 2_000)).toEqual({ status: "found", value: PSID });

      await admin.forgetCustomerPsid(shop);
      standIn.shop(shop).failNext(1, { status: 429, retryAfter: 30 });
      const started = Date.now();
      expect(await admin.lookups.fetchCustomerPsid(shop, CUSTOMER, standIn.now() + 1_000)).toEqual({ status: "unknown", reason: "throttled" });
      expect(Date.now() - started).toBeLessThan(500);
    });

    it("5xx bursts are retried with backoff within the deadline and a bounded number of attempts", async () => {
      const shop = await installShop();
      const admin = startProcess();
      standIn.shop(shop).failNext(2, { status: 503 });
      expect(await admin.lookups.fetchCustomerPsid(shop, CUSTOMER, standIn.now() + 3_000)).toEqual({ status: "found", value: PSID });

      await admin.forgetCustomerPsid(shop);
      standIn.shop(shop).failNext(50, { status: 502 });
      const before = graphqlCalls(shop);
      const answer = await admin.lookups.fetchCustomerPsid(shop, CUSTOMER, standIn.now() + 5_000);
      expect(answer).toEqual({ status: "unknown", reason: "unavailable" });
      expect(graphqlCalls(shop) - before).toBe(4);
      standIn.shop(shop).failures.length = 0;
    });

    it("a slow Shopify never holds a lookup past its deadline", async () => {
      const shop = await installShop();
      const admin = startProcess();
      standIn.shop(shop).latencyMs = 5_000;
      const started = Date.now();
      const [psid, images] = await Promise.all([
        admin.lookups.fetchCustomerPsid(shop, CUSTOMER, standIn.now() + 400),
        admin.fetchProductImages(shop, [PRODUCT], { deadline: standIn.now() + 400 }),
      ]);
      expect(psid).toEqual({ status: "unknown", reason: "deadline" });
      expect(images).toEqual(new Map());
      expect(Date.now() - started).toBeLessThan(400 + 300);
      standIn.shop(shop).latencyMs = 0;

      // A refresh that hangs does not hold it either, while the token it replaces still works.
      standIn.shop(shop).tokenLatencyMs = Infinity;
      standIn.advance(HOUR - 60_000);
      await admin.forgetCustomerPsid(shop);
      expect(await admin.lookups.fetchCustomerPsid(shop, CUSTOMER, standIn.now() + 1_500)).toEqual({ status: "found", value: PSID });
      standIn.advance(2 * 60_000);
      await admin.forgetCustomerPsid(shop);
      const hung = Date.now();
      expect(await admin.lookups.fetchCustomerPsid(shop, CUSTOMER, standIn.now() + 600)).toMatchObject({ status: "unknown" });
      expect(Date.now() - hung).toBeLessThan(600 + 300);
      standIn.shop(shop).tokenLatencyMs = 0;
    });

    it("a flash sale of one product asks Shopify for its image once; the cache is shared, lives a day, and forgets on demand", async () => {
      const shop = await installShop();
      const [web, worker] = [startProcess(), startProcess()];
      const images = await Promise.all(Array.from({ length: 300 }, () => web.fetchProductImages(shop, [PRODUCT])));
      expect(images.every((m) => m.get(PRODUCT) === IMAGE)).toBe(true);
      expect(graphqlCalls(shop, "ProductImages")).toBe(1);
      // Another process reads what the first stored.
      expect(await worker.fetchProductImages(shop, [PRODUCT, PRODUCT])).toEqual(new Map([[PRODUCT, IMAGE]]));
      expect(graphqlCalls(shop, "ProductImages")).toBe(1);

      standIn.advance(23 * HOUR);
      await worker.fetchProductImages(shop, [PRODUCT]);
      expect(graphqlCalls(shop, "ProductImages")).toBe(1);
      standIn.advance(2 * HOUR);
      await worker.fetchProductImages(shop, [PRODUCT]);
      expect(graphqlCalls(shop, "ProductImages")).toBe(2);

      // products/update: the new image is read at the next push.
      standIn.shop(shop).addProduct(PRODUCT, { imageUrl: "https://cdn.shopify.com/new.png" });
      expect(await web.forgetProductImages(shop, [PRODUCT])).toBe(1);
      expect((await web.fetchProductImages(shop, [PRODUCT])).get(PRODUCT)).toBe("https://cdn.shopify.com/new.png");
      // A product without an image, or one the shop no longer has, is known as "none" for an hour.
      const gone = "gid://shopify/Product/404";
      expect(await web.fetchProductImages(shop, [gone])).toEqual(new Map([[gone, null]]));
      await web.fetchProductImages(shop, [gone]);
      expect(graphqlCalls(shop, "ProductImages")).toBe(4);
    });

    it("products asked together and apart at the same moment make one query per batch of 50", async () => {
      const shop = await installShop();
      const admin = startProcess();
      const other = "gid://shopify/Product/1002";
      standIn.shop(shop).addProduct(other, { imageUrl: "https://cdn.shopify.com/1002.png" });
      const answers = await Promise.all([
        admin.fetchProductImages(shop, [PRODUCT, other]),
        ...Array.from({ length: 20 }, () => admin.fetchProductImages(shop, [PRODUCT])),
        ...Array.from({ length: 20 }, () => admin.fetchProductImages(shop, [other, PRODUCT])),
      ]);
      expect(answers[0]).toEqual(
        new Map([
          [PRODUCT, IMAGE],
          [other, "https://cdn.shopify.com/1002.png"],
        ]),
      );
      expect(answers.every((a) => a.get(PRODUCT) === IMAGE)).toBe(true);
      expect(graphqlCalls(shop, "ProductImages")).toBe(1);

      // An order of 120 line items: three queries, each well under Shopify's single query limit.
      const many = Array.from({ length: 120 }, (_, i) => `gid://shopify/Product/${5000 + i}`);
      for (const gid of many) standIn.shop(shop).addProduct(gid, { imageUrl: `https://cdn.shopify.com/${gid.slice(-4)}.png` });
      const found = await admin.fetchProductImages(shop, many, { deadline: standIn.now() + 5_000 });
      expect(found.size).toBe(120);
      expect(graphqlCalls(shop, "ProductImages")).toBe(4);
      expect(standIn.countCalls({ shop, operation: "ProductImages", outcome: "graphql_error" })).toBe(0);
    });

    it("caches a customer's PSID a day and its absence ten minutes; customers/update can forget it", async () => {
      const shop = await installShop();
      const admin = startProcess();
      const other = "gid://shopify/Customer/5005";
      standIn.shop(shop).addCustomer(other, { firstName: "No", metafields: {} });
      await Promise.all(Array.from({ length: 50 }, () => admin.fetchCustomerPsid(shop, CUSTOMER)));
      expect(await admin.fetchCustomerPsid(shop, other)).toBeNull();
      expect(graphqlCalls(shop, "CustomerPsid")).toBe(2);

      // JoinChat writes the PSID a few minutes after the order.
      standIn.shop(shop).customers.get(other)!.metafields = { "joinchat.psid": "1112223334" };
      standIn.advance(5 * 60_000);
      expect(await admin.fetchCustomerPsid(shop, other)).toBeNull();
      standIn.advance(6 * 60_000);
      expect(await admin.fetchCustomerPsid(shop, other)).toBe("1112223334");
      expect(await admin.fetchCustomerPsid(shop, CUSTOMER)).toBe(PSID);
      expect(graphqlCalls(shop, "CustomerPsid")).toBe(3);

      expect(await admin.forgetCustomerPsid(shop, CUSTOMER)).toBe(1);
      expect(await admin.fetchCustomerPsid(shop, CUSTOMER)).toBe(PSID);
      expect(graphqlCalls(shop, "CustomerPsid")).toBe(4);
      await admin.forgetShop(shop);
      expect(await admin.forgetCustomerPsid(shop)).toBe(0);
    });

    it("without read_customers, the PSID is unknown and the order's own contact is still used", async () => {
      const shop = await installShop();
      const state = standIn.shop(shop);
      state.scopes = new Set(["read_orders", "read_products"]);
      state.addOrder(ORDER, { name: "#3003", email: "buyer@example.com", statusPageUrl: `https://${shop}/orders/3003`, customerGid: CUSTOMER });
      await openTheApp(shop); // a token with the narrower scopes
      const admin = startProcess();
      expect(await admin.lookups.fetchCustomerPsid(shop, CUSTOMER, standIn.now() + 1_000)).toEqual({ status: "unknown", reason: "access_denied" });
      expect(await admin.fetchOrderContact(shop, ORDER)).toMatchObject({ email: "buyer@example.com", psid: null, customerGid: null });
      // Unknown is not cached as "no PSID".
      expect(await admin.forgetCustomerPsid(shop, CUSTOMER)).toBe(0);
    });

    it("an app whose credentials Shopify refuses does not mark its shops", async () => {
      const shop = await installShop();
      const admin = createShopifyAdmin({
        db: opened.connect(),
        box: BOX,
        credentials: {
          apiKey: standIn.apiKey,
          apiSecret: "rotated-secret",
          appUrl: "https://app.example.com",
          scopes: ["read_orders"],
          apiVersion: SHOPIFY_API_VERSION,
        },
        timeoutMs: 1_000,
        now: standIn.now,
      });
      standIn.advance(HOUR);
      expect(await admin.lookups.fetchCustomerPsid(shop, CUSTOMER, standIn.now() + 1_000)).toEqual({ status: "unknown", reason: "unavailable" });
      expect(standIn.countCalls({ shop, outcome: "invalid_client" })).toBe(1);
      expect(await admin.getShopAccess(shop)).toEqual({ status: "connected" });
      // And it does not ask again for every push.
      await admin.lookups.fetchCustomerPsid(shop, CUSTOMER, standIn.now() + 1_000);
      expect(standIn.countCalls({ shop, outcome: "invalid_client" })).toBe(1);
    });
  });
}
