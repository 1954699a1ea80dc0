// The Shopify stand-in itself: reached through its CONNECT proxy with TLS from its throw-away CA (by a child
// process through Node's own env proxy, and in process through fetch routing), other hosts refused, tokens that
// expire and refresh as Shopify's do (spoken to by @shopify/shopify-api itself), GraphQL cost throttling, scopes,
// 429s, 5xx and slow answers.
import "@shopify/shopify-api/adapters/node";
import { execFile } from "node:child_process";
import { connect } from "node:net";
import { promisify } from "node:util";
import { ApiVersion, HttpResponseError, LogSeverity, RequestedTokenType, shopifyApi } from "@shopify/shopify-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CUSTOMER_PSID, ORDER_CONTACT, PRODUCT_IMAGES } from "../../app/shopify/admin-api/documents";
import { SHOPIFY_API_VERSION } from "../../app/shopify/api-version";
import { signSessionToken } from "../helpers/sign-session-token";
import { routeShopifyFetch, startShopifyStandIn, type ShopifyStandIn } from "../helpers/shopify-standin";

const SHOP = "standin-shop.myshopify.com";
const run = promisify(execFile);

let standIn: ShopifyStandIn;
let unroute: () => Promise<void>;

const api = () =>
  shopifyApi({
    apiKey: standIn.apiKey,
    apiSecretKey: standIn.apiSecret,
    apiVersion: ApiVersion.April26,
    hostName: "app.example.com",
    isEmbeddedApp: true,
    scopes: ["read_orders"],
    logger: { level: LogSeverity.Error, log: async () => {} },
  });

async function graphql(shop: string, token: string | null, query: string, variables: Record<string, unknown> = {}, version = SHOPIFY_API_VERSION) {
  const res = await fetch(`https://${shop}/admin/api/${version}/graphql.json`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { "x-shopify-access-token": token } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    body: JSON.parse(text) as Record<string, unknown> & { data?: Record<string, unknown>; errors?: unknown; extensions?: { cost: Cost } },
  };
}

interface Cost {
  requestedQueryCost: number;
  actualQueryCost: number | null;
  throttleStatus: { maximumAvailable: number; currentlyAvailable: number; restoreRate: number };
}

beforeAll(async () => {
  standIn = await startShopifyStandIn();
  unroute = routeShopifyFetch(standIn);
});

afterAll(async () => {
  await unroute?.();
  await standIn?.close();
});

describe("reaching the stand-in", () => {
  it("answers a child process that has only Node's env proxy settings and the CA, and refuses every other host", async () => {
    const tokens = standIn.issueOfflineToken(SHOP);
    const script = `
      const query = ${JSON.stringify(PRODUCT_IMAGES.query)};
      const res = await fetch("https://${SHOP}/admin/api/${SHOPIFY_API_VERSION}/graphql.json", {
        method: "POST", headers: { "content-type": "application/json", "x-shopify-access-token": ${JSON.stringify(tokens.accessToken)} },
        body: JSON.stringify({ query, variables: { ids: [] } }) });
      let other = "reached";
      try { await fetch("https://example.com/"); } catch (error) { other = "refused"; }
      console.log(JSON.stringify({ status: res.status, body: await res.json(), other }));`;
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], {
      env: { PATH: process.env.PATH ?? "", NODE_ENV: "test", NODE_NO_WARNINGS: "1", ...standIn.childEnv() },
    });
    const out = JSON.parse(stdout) as { status: number; body: { data: unknown }; other: string };
    expect(out).toMatchObject({ status: 200, body: { data: { nodes: [] } }, other: "refused" });
    expect(standIn.refusedHosts).toContain("example.com:443");
  });

  it("is not trusted without its CA: the TLS handshake fails", async () => {
    const { NODE_EXTRA_CA_CERTS: _ca, ...withoutCa } = standIn.childEnv();
    const env = { PATH: process.env.PATH ?? "", NODE_ENV: "test" as const, NODE_NO_WARNINGS: "1", ...withoutCa };
    const script = `try { await fetch("https://${SHOP}/admin/api/${SHOPIFY_API_VERSION}/graphql.json", { method: "POST", body: "{}" }); console.log("trusted"); }
      catch (error) { console.log(String(error.cause?.code ?? error.cause?.message ?? error.message)); }`;
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], { env });
    expect(stdout.trim()).toBe("UNABLE_TO_VERIFY_LEAF_SIGNATURE");
  });

  it("opens a tunnel only to a shop's domain on port 443", async () => {
    const answer = (target: string) =>
      new Promise<string>((resolve, reject) => {
        const url = new URL(standIn.proxyUrl);
        const socket = connect(Number(url.port), url.hostname, () => socket.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n`));
        socket.once("data", (chunk) => {
          resolve(chunk.toString("latin1").split("\r\n")[0]);
          socket.destroy();
        });
        socket.once("error", reject);
      });
    expect(await answer(`${SHOP}:443`)).toBe("HTTP/1.1 200 Connection Established");
    expect(await answer(`${SHOP}:80`)).toBe("HTTP/1.1 403 Forbidden");
    expect(await answer("myshopify.com.evil.example:443")).toBe("HTTP/1.1 403 Forbidden");
    expect(await answer("127.0.0.1:443")).toBe("HTTP/1.1 403 Forbidden");
  });
});

describe("tokens", () => {
  it("exchanges a session token for an expiring offline token, as the library asks", async () => {
    const shop = "exchange-shop.myshopify.com";
    const sessionToken = signSessionToken({ shop, apiKey: standIn.apiKey, apiSecret: standIn.apiSecret });
    const { session } = await api().auth.tokenExchange({ shop, sessionToken, requestedTokenType: RequestedTokenType.OfflineAccessToken, expiring: true });
    expect(session.id).toBe(`offline_${shop}`);
    expect(session.accessToken).toMatch(/^shpat_/);
    expect(session.refreshToken).toMatch(/^shprt_/);
    expect(session.expires!.getTime() - Date.now()).toBeGreaterThan(3590_000);
    expect(session.refreshTokenExpires!.getTime() - Date.now()).toBeGreaterThan(89 * 24 * 3600_000);
    expect((await graphql(shop, session.accessToken!, CUSTOMER_PSID.query, { id: "gid://shopify/Customer/1" })).status).toBe(200);

    // Not expiring: no expiry and no refresh token.
    const lasting = await api().auth.tokenExchange({ shop, sessionToken, requestedTokenType: RequestedTokenType.OfflineAccessToken, expiring: false });
    expect(lasting.session.expires).toBeUndefined();
    expect(lasting.session.refreshToken).toBeUndefined();
  });

  it("refuses a session token signed with another secret, and client credentials that are wrong", async () => {
    const shop = "exchange-shop.myshopify.com";
    const forged = signSessionToken({ shop, apiKey: standIn.apiKey, apiSecret: "not-the-secret" });
    const res = await fetch(`https://${shop}/admin/oauth/access_token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        client_id: standIn.apiKey,
        client_secret: standIn.apiSecret,
        grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
        subject_token: forged,
        subject_token_type: "urn:ietf:params:oauth:token-type:id_token",
        requested_token_type: "urn:shopify:params:oauth:token-type:offline-access-token",
      }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: "invalid_subject_token" });

    const tokens = standIn.issueOfflineToken(shop);
    const wrongSecret = await fetch(`https://${shop}/admin/oauth/access_token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ client_id: standIn.apiKey, client_secret: "wrong", grant_type: "refresh_token", refresh_token: tokens.refreshToken! }),
    });
    expect(wrongSecret.status).toBe(401);
    expect(await wrongSecret.json()).toMatchObject({ error: "invalid_client" });
  });

  it("expires an access token after its lifetime; the refresh token gives a new pair once, and the old ones stop working", async () => {
    const shop = "expiry-shop.myshopify.com";
    const first = standIn.issueOfflineToken(shop);
    expect((await graphql(shop, first.accessToken, CUSTOMER_PSID.query, { id: "gid://shopify/Customer/1" })).status).toBe(200);

    standIn.advance(3600_000 + 1);
    const expired = await graphql(shop, first.accessToken, CUSTOMER_PSID.query, { id: "gid://shopify/Customer/1" });
    expect(expired.status).toBe(401);
    expect(expired.body).toEqual({ errors: "[API] Invalid API key or access token (unrecognized login or wrong password)" });

    const { session } = await api().auth.refreshToken({ shop, refreshToken: first.refreshToken! });
    expect(session.accessToken).not.toBe(first.accessToken);
    expect(session.refreshToken).not.toBe(first.refreshToken);
    expect((await graphql(shop, session.accessToken!, CUSTOMER_PSID.query, { id: "gid://shopify/Customer/1" })).status).toBe(200);

    // The refresh token that was used is spent.
    const again = await api()
      .auth.refreshToken({ shop, refreshToken: first.refreshToken! })
      .catch((e: unknown) => e);
    expect(again).toBeInstanceOf(HttpResponseError);
    expect((again as HttpResponseError).response).toMatchObject({ code: 400, body: { error: "invalid_grant" } });

    // Refreshing before expiry retires the access token it replaces.
    const second = await api().auth.refreshToken({ shop, refreshToken: session.refreshToken! });
    expect((await graphql(shop, session.accessToken!, CUSTOMER_PSID.query, { id: "gid://shopify/Customer/1" })).status).toBe(401);
    expect((await graphql(shop, second.session.accessToken!, CUSTOMER_PSID.query, { id: "gid://shopify/Customer/1" })).status).toBe(200);
    expect(standIn.countCalls({ shop, endpoint: "access_token", operation: "refresh_token", outcome: "ok" })).toBe(2);
    expect(standIn.countCalls({ shop, endpoint: "access_token", outcome: "invalid_grant" })).toBe(1);
  });

  it("expires a shop's access tokens on demand, and refuses everything of an uninstalled shop", async () => {
    const shop = "uninstall-shop.myshopify.com";
    const tokens = standIn.issueOfflineToken(shop);
    standIn.expireAccessTokens(shop);
    expect((await graphql(shop, tokens.accessToken, CUSTOMER_PSID.query, { id: "gid://shopify/Customer/1" })).status).toBe(401);
    const { session } = await api().auth.refreshToken({ shop, refreshToken: tokens.refreshToken! });

    standIn.uninstall(shop);
    expect((await graphql(shop, session.accessToken!, CUSTOMER_PSID.query, { id: "gid://shopify/Customer/1" })).status).toBe(401);
    const refused = await api()
      .auth.refreshToken({ shop, refreshToken: session.refreshToken! })
      .catch((e: unknown) => e);
    expect((refused as HttpResponseError).response).toMatchObject({ code: 400, body: { error: "invalid_grant" } });
    // A token meant for one shop does not open another.
    const other = standIn.issueOfflineToken("other-shop.myshopify.com");
    expect((await graphql(SHOP, other.accessToken, CUSTOMER_PSID.query, { id: "gid://shopify/Customer/1" })).status).toBe(401);
    expect((await graphql(SHOP, null, CUSTOMER_PSID.query, { id: "gid://shopify/Customer/1" })).status).toBe(401);
  });
});

describe("the GraphQL Admin API", () => {
  it("answers the app's documents from the shop's data, with the cost of each answer", async () => {
    const shop = "data-shop.myshopify.com";
    const state = standIn.shop(shop);
    state.addProduct("gid://shopify/Product/1", { imageUrl: "https://cdn.shopify.com/1.png" });
    state.addProduct("gid://shopify/Product/2", { imageUrl: null });
    state.addCustomer("gid://shopify/Customer/7", { firstName: "Ana", email: "ana@example.com", metafields: { "joinchat.psid": "1234567890" } });
    state.addOrder("gid://shopify/Order/9", {
      name: "#1009",
      statusPageUrl: "https://shop.example/s/9",
      shippingName: "Ana Ship",
      customerGid: "gid://shopify/Customer/7",
    });
    const { accessToken } = standIn.issueOfflineToken(shop);

    const images = await graphql(shop, accessToken, PRODUCT_IMAGES.query, {
      ids: ["gid://shopify/Product/1", "gid://shopify/Product/2", "gid://shopify/Product/3"],
    });
    expect(PRODUCT_IMAGES.data.parse(images.body.data)).toEqual({
      nodes: [{ id: "gid://shopify/Product/1", imageUrl: "https://cdn.shopify.com/1.png" }, { id: "gid://shopify/Product/2", imageUrl: null }, null],
    });
    expect(images.body.extensions!.cost).toMatchObject({ requestedQueryCost: 13, actualQueryCost: expect.any(Number) as number });
    expect(images.body.extensions!.cost.actualQueryCost).toBeLessThan(13);

    const contact = await graphql(shop, accessToken, ORDER_CONTACT.query, { id: "gid://shopify/Order/9" });
    expect(ORDER_CONTACT.data.parse(contact.body.data)).toEqual({
      order: {
        name: "#1009",
        email: null,
        phone: null,
        statusPageUrl: "https://shop.example/s/9",
        shippingName: "Ana Ship",
        billingName: null,
        customer: { id: "gid://shopify/Customer/7", firstName: "Ana", lastName: null, email: "ana@example.com", phone: null, psid: "1234567890" },
      },
    });
    const psid = await graphql(shop, accessToken, CUSTOMER_PSID.query, { id: "gid://shopify/Customer/7" });
    expect(CUSTOMER_PSID.data.parse(psid.body.data)).toEqual({ customer: { id: "gid://shopify/Customer/7", psid: "1234567890" } });
    expect(standIn.countCalls({ shop, operation: "ProductImages" })).toBe(1);
    expect(standIn.countCalls({ shop, token: accessToken })).toBe(3);
  });

  it("denies a field the token's scopes do not cover, with the rest of the answer", async () => {
    const shop = "scopes-shop.myshopify.com";
    const state = standIn.shop(shop);
    state.scopes = new Set(["read_orders", "read_products"]);
    state.addCustomer("gid://shopify/Customer/7", { metafields: { "joinchat.psid": "1234567890" } });
    state.addOrder("gid://shopify/Order/9", {
      name: "#1009",
      statusPageUrl: "https://shop.example/s/9",
      email: "buyer@example.com",
      customerGid: "gid://shopify/Customer/7",
    });
    const { accessToken } = standIn.issueOfflineToken(shop);
    const contact = await graphql(shop, accessToken, ORDER_CONTACT.query, { id: "gid://shopify/Order/9" });
    expect(contact.status).toBe(200);
    expect(contact.body.errors).toEqual([
      expect.objectContaining({ path: ["order", "customer"], extensions: expect.objectContaining({ code: "ACCESS_DENIED" }) as unknown }),
    ]);
    expect(ORDER_CONTACT.data.parse(contact.body.data).order).toMatchObject({ name: "#1009", email: "buyer@example.com", customer: null });
    const psid = await graphql(shop, accessToken, CUSTOMER_PSID.query, { id: "gid://shopify/Customer/7" });
    expect(psid.body).toMatchObject({ data: { customer: null }, errors: [expect.objectContaining({ path: ["customer"] })] });
  });

  it("answers a document that does not fit the schema with errors and no data", async () => {
    const { accessToken } = standIn.issueOfflineToken(SHOP);
    const answer = await graphql(SHOP, accessToken, "query Bad { customer(id: 1) { nope } }");
    expect(answer.status).toBe(200);
    expect(answer.body.data).toBeUndefined();
    expect(answer.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ message: expect.stringContaining("nope") as string })]));
    expect((await graphql(SHOP, accessToken, PRODUCT_IMAGES.query, { ids: [] }, "2019-01")).status).toBe(404);
  });

  it("takes each query's cost from a leaky bucket per shop: THROTTLED when short, refilled at the restore rate", async () => {
    const shop = "throttle-shop.myshopify.com";
    const state = standIn.shop(shop);
    state.bucket = { maximumAvailable: 30, restoreRate: 10, available: 30, at: standIn.now() };
    const { accessToken } = standIn.issueOfflineToken(shop);
    const ids = Array.from({ length: 5 }, (_, i) => `gid://shopify/Product/${i + 1}`); // requested cost 21
    const first = await graphql(shop, accessToken, PRODUCT_IMAGES.query, { ids });
    expect(first.body.extensions!.cost.requestedQueryCost).toBe(21);
    // Nothing was found: everything but the root's cost comes back.
    expect(first.body.extensions!.cost.throttleStatus).toEqual({ maximumAvailable: 30, currentlyAvailable: 29, restoreRate: 10 });
    state.addProduct(ids[0], { imageUrl: "https://cdn.shopify.com/p.png" });
    state.bucket.available = 10;
    state.bucket.at = standIn.now();
    const throttled = await graphql(shop, accessToken, PRODUCT_IMAGES.query, { ids });
    expect(throttled.status).toBe(200);
    expect(throttled.body).toEqual({
      errors: [{ message: "Throttled", extensions: { code: "THROTTLED", documentation: "https://shopify.dev/api/usage/rate-limits" } }],
      extensions: {
        cost: {
          requestedQueryCost: 21,
          actualQueryCost: null,
          throttleStatus: { maximumAvailable: 30, currentlyAvailable: expect.any(Number) as number, restoreRate: 10 },
        },
      },
    });
    // 10 left, and what a slow machine restored meanwhile: still short of 21.
    expect(throttled.body.extensions!.cost.throttleStatus.currentlyAvailable).toBeGreaterThanOrEqual(10);
    standIn.advance(1200); // 12 points restored
    const after = await graphql(shop, accessToken, PRODUCT_IMAGES.query, { ids });
    expect(after.body.data).toBeDefined();
    expect(after.body.extensions!.cost.actualQueryCost).toBe(5);
    expect(standIn.countCalls({ shop, outcome: "throttled" })).toBe(1);
  });

  it("refuses a query over the single query limit", async () => {
    const { accessToken } = standIn.issueOfflineToken(SHOP);
    const ids = Array.from({ length: 260 }, (_, i) => `gid://shopify/Product/${i + 1}`);
    const answer = await graphql(SHOP, accessToken, PRODUCT_IMAGES.query, { ids });
    expect(answer.body.errors).toEqual([
      expect.objectContaining({ extensions: expect.objectContaining({ code: "MAX_COST_EXCEEDED", maxCost: 1000 }) as unknown }),
    ]);
  });

  it("answers 429 with Retry-After and 5xx on demand, then normally again", async () => {
    const shop = "burst-shop.myshopify.com";
    const state = standIn.shop(shop);
    const { accessToken } = standIn.issueOfflineToken(shop);
    state.failNext(1, { status: 429, retryAfter: 2 });
    state.failNext(1, { status: 503 });
    const limited = await graphql(shop, accessToken, PRODUCT_IMAGES.query, { ids: [] });
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("2.0");
    expect((await graphql(shop, accessToken, PRODUCT_IMAGES.query, { ids: [] })).status).toBe(503);
    expect((await graphql(shop, accessToken, PRODUCT_IMAGES.query, { ids: [] })).status).toBe(200);
  });

  it("answers late when told to, or not at all", async () => {
    const shop = "slow-shop.myshopify.com";
    const state = standIn.shop(shop);
    const { accessToken } = standIn.issueOfflineToken(shop);
    state.latencyMs = 300;
    const started = performance.now();
    expect((await graphql(shop, accessToken, PRODUCT_IMAGES.query, { ids: [] })).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    state.latencyMs = Infinity;
    const hung = await fetch(`https://${shop}/admin/api/${SHOPIFY_API_VERSION}/graphql.json`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-shopify-access-token": accessToken },
      body: JSON.stringify({ query: PRODUCT_IMAGES.query, variables: { ids: [] } }),
      signal: AbortSignal.timeout(200),
    }).catch((e: Error) => e.name);
    expect(hung).toBe("TimeoutError");
  });
});
