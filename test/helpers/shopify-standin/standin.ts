import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import { SHOPIFY_API_VERSION } from "../../../app/shopify/api-version";
import { prepareGraphql, type ShopData, type StandInCustomer, type StandInOrder, type StandInProduct } from "./admin-graphql";
import { throwawayCertificates } from "./certificates";

// A stand-in for Shopify, as harsh as Shopify, for every shop of a test file (each file starts its own, on port 0).
//
// How the app reaches it without any test hook in the app: the stand-in is an HTTP CONNECT proxy on 127.0.0.1. It
// opens a tunnel only to <shop>.myshopify.com:443 (any other host: 403, and it is recorded) and terminates TLS there
// with a certificate from a CA made for this test process (certificates.ts). A child process of the app gets
// NODE_USE_ENV_PROXY=1, HTTPS_PROXY, NO_PROXY=127.0.0.1,localhost and NODE_EXTRA_CA_CERTS (childEnv()); code in the
// test process routes its fetches through it with routeShopifyFetch() (fetch-routing.ts).
//
// Per shop it serves Shopify's two endpoints the app uses:
// - POST /admin/oauth/access_token: token exchange (a session token for an offline token, expiring or not) and the
//   refresh_token grant (a new pair; the refresh token used stops working at once, and so does the access token it
//   replaces; Shopify itself is kinder since 2026-08 and accepts the previous refresh token again until the new one
//   is used). Errors as OAuth says: invalid_client 401, invalid_grant / invalid_subject_token / invalid_request 400.
// - POST /admin/api/<version>/graphql.json: X-Shopify-Access-Token checked (unknown, expired, revoked: 401 with
//   Shopify's body), access scopes enforced per field (ACCESS_DENIED), the calculated query cost taken from a leaky
//   bucket per shop (THROTTLED when it is short, MAX_COST_EXCEEDED over 1000), extensions.cost on every answer, and
//   on demand 429s, 5xx, a latency or no answer at all.
// Its clock is the machine's plus an offset that advance() moves: "an hour later" without waiting an hour.

/**
 * For a child process of the app that must not reach any Shopify: Node's env proxy pointed at a port where nothing
 * listens, so every https call is refused at once (and none goes to the internet), while 127.0.0.1 is reached directly.
 */
export function unreachableShopifyEnv(): Record<string, string> {
  return { NODE_USE_ENV_PROXY: "1", HTTPS_PROXY: "http://127.0.0.1:9", NO_PROXY: "127.0.0.1,localhost" };
}

export const STANDIN_API_KEY = "standin-api-key";
export const STANDIN_API_SECRET = "standin-api-secret";
const DEFAULT_SCOPES = ["read_orders", "read_fulfillments", "read_products", "read_customers"];
const SHOP_DOMAIN = /^[a-z0-9][a-z0-9-]*\.myshopify\.com$/;
const INVALID_TOKEN_BODY = { errors: "[API] Invalid API key or access token (unrecognized login or wrong password)" };

export interface Bucket {
  maximumAvailable: number;
  restoreRate: number;
  /** What was left at `at` (stand-in time); it refills at restoreRate a second up to maximumAvailable. */
  available: number;
  at: number;
}

export interface QueuedAnswer {
  status: number;
  /** Seconds, for a 429's Retry-After header. */
  retryAfter?: number;
  body?: string;
}

export interface StandInShop extends ShopData {
  readonly domain: string;
  /** False once uninstalled: every token of the shop is refused, and a refresh answers invalid_grant. */
  installed: boolean;
  /** The scopes a new token is granted. */
  scopes: Set<string>;
  bucket: Bucket;
  /** Added to every GraphQL answer; Infinity: the stand-in never answers. */
  latencyMs: number;
  /** Added to every answer of the token endpoint; Infinity: it never answers. */
  tokenLatencyMs: number;
  /** Answers the next GraphQL requests get instead of a real answer, one each, in order. */
  failures: QueuedAnswer[];
  /** Answers the next token requests get instead of a real answer. */
  tokenFailures: QueuedAnswer[];
  failNext(count: number, answer: QueuedAnswer): void;
  addProduct(gid: string, product: StandInProduct): void;
  addOrder(gid: string, order: StandInOrder): void;
  addCustomer(gid: string, customer: StandInCustomer): void;
}

export interface OfflineTokens {
  accessToken: string;
  scope: string;
  /** Stand-in clock ms; null: a non-expiring token. */
  expiresAt: number | null;
  refreshToken: string | null;
  refreshTokenExpiresAt: number | null;
}

export interface StandInCall {
  /** Stand-in clock ms when the request arrived. */
  at: number;
  shop: string;
  endpoint: "graphql" | "access_token";
  /** The GraphQL operation's name, or the token request's grant type. */
  operation: string;
  /** The access token a GraphQL request carried, or the refresh token / session token a token request carried. */
  token: string | null;
  status: number;
  outcome: "ok" | "throttled" | "unauthorized" | "access_denied" | "queued_failure" | "invalid_grant" | "invalid_request" | "invalid_client" | "graphql_error";
  requestedCost?: number;
  actualCost?: number;
}

export interface ShopifyStandInOptions {
  apiKey?: string;
  apiSecret?: string;
  /** API versions the GraphQL endpoint answers (others: 404). */
  apiVersions?: string[];
  /** Lifetime of an expiring offline access token (Shopify: 3600). */
  tokenLifetimeSeconds?: number;
  /** Lifetime of a refresh token (Shopify: 90 days). */
  refreshTokenLifetimeSeconds?: number;
  /** A new shop's bucket (Shopify's Standard plan: 2000 and 100 a second). */
  maximumAvailable?: number;
  restoreRate?: number;
}

export interface ShopifyStandIn {
  /** http://127.0.0.1:<port>: the proxy to set as HTTPS_PROXY. */
  readonly proxyUrl: string;
  readonly caFile: string;
  readonly caPem: string;
  readonly apiKey: string;
  readonly apiSecret: string;
  tokenLifetimeSeconds: number;
  refreshTokenLifetimeSeconds: number;
  /** Every request the stand-in answered (or is answering), in order. */
  readonly calls: StandInCall[];
  /** CONNECT or proxy requests to hosts other than a shop's, refused with 403. */
  readonly refusedHosts: string[];
  /** The environment that sends a child process's https calls to *.myshopify.com here (and nothing else). */
  childEnv(): Record<string, string>;
  now(): number;
  advance(ms: number): void;
  /** The shop's state, installed with the default scopes on first use. */
  shop(domain: string): StandInShop;
  /** Issues an offline token the way the install's token exchange does, for a test to store as the session. */
  issueOfflineToken(domain: string, options?: { expiring?: boolean }): OfflineTokens;
  /** The shop's access tokens stop working now (as if their hour had passed); its refresh tokens still work. */
  expireAccessTokens(domain: string): void;
  /** The app is uninstalled (or its access revoked): every token of the shop is refused, refresh included. */
  uninstall(domain: string): void;
  countCalls(filter?: Partial<Pick<StandInCall, "shop" | "endpoint" | "operation" | "token" | "outcome">>): number;
  close(): Promise<void>;
}

interface AccessTokenRecord {
  shop: string;
  scopes: Set<string>;
  expiresAt: number | null;
  revoked: boolean;
}

interface RefreshTokenRecord {
  shop: string;
  expiresAt: number;
  /** The access token issued with it, revoked when this refresh token is used. */
  accessToken: string;
  used: boolean;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "x-request-id": randomBytes(8).toString("hex"), ...headers });
  res.end(text);
}

/** The parameters of a token request: Shopify takes JSON or a form. */
function tokenParams(req: IncomingMessage, raw: string): Record<string, string> | null {
  const type = String(req.headers["content-type"] ?? "");
  try {
    if (type.includes("application/json")) {
      const parsed: unknown = JSON.parse(raw);
      if (!parsed || typeof parsed !== "object") return null;
      return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, typeof v === "string" ? v : String(v)]));
    }
    return Object.fromEntries(new URLSearchParams(raw));
  } catch {
    return null;
  }
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Checks a session token (HS256 JWT) as Shopify does before a token exchange; the shop it names, or null. */
function verifySessionToken(token: string, apiKey: string, apiSecret: string): string | null {
  const [header, payload, signature] = token.split(".");
  if (!header || !payload || !signature) return null;
  const expected = createHmac("sha256", apiSecret).update(`${header}.${payload}`).digest("base64url");
  if (!safeEqual(signature, expected)) return null;
  try {
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<string, unknown>;
    const nowS = Date.now() / 1000;
    if (claims.aud !== apiKey || typeof claims.exp !== "number" || claims.exp < nowS - 5) return null;
    if (typeof claims.nbf === "number" && claims.nbf > nowS + 5) return null;
    const dest = typeof claims.dest === "string" ? claims.dest.replace(/^https:\/\//, "") : "";
    return SHOP_DOMAIN.test(dest) ? dest : null;
  } catch {
    return null;
  }
}

export async function startShopifyStandIn(options: ShopifyStandInOptions = {}): Promise<ShopifyStandIn> {
  const certificates = throwawayCertificates();
  const apiKey = options.apiKey ?? STANDIN_API_KEY;
  const apiSecret = options.apiSecret ?? STANDIN_API_SECRET;
  const apiVersions = new Set(options.apiVersions ?? [SHOPIFY_API_VERSION]);
  let offsetMs = 0;
  const now = () => Date.now() + offsetMs;
  const shops = new Map<string, StandInShop>();
  const accessTokens = new Map<string, AccessTokenRecord>();
  const refreshTokens = new Map<string, RefreshTokenRecord>();
  const calls: StandInCall[] = [];
  const refusedHosts: string[] = [];
  const sockets = new Set<Socket>();

  function shopState(domain: string): StandInShop {
    let shop = shops.get(domain);
    if (!shop) {
      const created: StandInShop = {
        domain,
        installed: true,
        scopes: new Set(DEFAULT_SCOPES),
        bucket: {
          maximumAvailable: options.maximumAvailable ?? 2000,
          restoreRate: options.restoreRate ?? 100,
          available: options.maximumAvailable ?? 2000,
          at: now(),
        },
        latencyMs: 0,
        tokenLatencyMs: 0,
        failures: [],
        tokenFailures: [],
        products: new Map(),
        orders: new Map(),
        customers: new Map(),
        failNext(count, answer) {
          for (let i = 0; i < count; i++) created.failures.push(answer);
        },
        addProduct(gid, product) {
          created.products.set(gid, product);
        },
        addOrder(gid, order) {
          created.orders.set(gid, order);
        },
        addCustomer(gid, customer) {
          created.customers.set(gid, customer);
        },
      };
      shop = created;
      shops.set(domain, shop);
    }
    return shop;
  }

  function issue(shop: StandInShop, expiring: boolean): OfflineTokens {
    shop.installed = true;
    const accessToken = `shpat_${randomBytes(16).toString("hex")}`;
    const issuedAt = now();
    const expiresAt = expiring ? issuedAt + standIn.tokenLifetimeSeconds * 1000 : null;
    accessTokens.set(accessToken, { shop: shop.domain, scopes: new Set(shop.scopes), expiresAt, revoked: false });
    let refreshToken: string | null = null;
    let refreshTokenExpiresAt: number | null = null;
    if (expiring) {
      refreshToken = `shprt_${randomBytes(16).toString("hex")}`;
      refreshTokenExpiresAt = issuedAt + standIn.refreshTokenLifetimeSeconds * 1000;
      refreshTokens.set(refreshToken, { shop: shop.domain, expiresAt: refreshTokenExpiresAt, accessToken, used: false });
    }
    return { accessToken, scope: [...shop.scopes].join(","), expiresAt, refreshToken, refreshTokenExpiresAt };
  }

  function tokenAnswer(tokens: OfflineTokens, issuedAt: number): Record<string, unknown> {
    return {
      access_token: tokens.accessToken,
      scope: tokens.scope,
      ...(tokens.expiresAt !== null ? { expires_in: Math.round((tokens.expiresAt - issuedAt) / 1000) } : {}),
      ...(tokens.refreshToken !== null
        ? { refresh_token: tokens.refreshToken, refresh_token_expires_in: Math.round((tokens.refreshTokenExpiresAt! - issuedAt) / 1000) }
        : {}),
    };
  }

  function refuseToken(token: string | null, shopDomain: string): boolean {
    if (!token) return true;
    const record = accessTokens.get(token);
    if (!record || record.revoked || record.shop !== shopDomain) return true;
    if (!shopState(shopDomain).installed) return true;
    return record.expiresAt !== null && record.expiresAt <= now();
  }

  async function answerQueuedFailure(res: ServerResponse, answer: QueuedAnswer): Promise<void> {
    const headers: Record<string, string> = {};
    if (answer.retryAfter !== undefined) headers["retry-after"] = answer.retryAfter.toFixed(1);
    const body =
      answer.body ??
      JSON.stringify(
        answer.status === 429
          ? { errors: "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service." }
          : { errors: "Internal Server Error" },
      );
    res.writeHead(answer.status, { "content-type": "application/json; charset=utf-8", ...headers });
    res.end(body);
  }

  async function handleToken(req: IncomingMessage, res: ServerResponse, shop: StandInShop): Promise<void> {
    const params = tokenParams(req, await readBody(req));
    const grant = params?.grant_type ?? "unknown";
    const record = (status: number, outcome: StandInCall["outcome"], token: string | null) =>
      calls.push({ at: now(), shop: shop.domain, endpoint: "access_token", operation: grant, token, status, outcome });
    if (shop.tokenLatencyMs === Infinity) {
      // Never answers: the caller's own timeout must end it.
      record(0, "queued_failure", params?.refresh_token ?? null);
      return;
    }
    if (shop.tokenLatencyMs > 0) await sleep(shop.tokenLatencyMs);
    const queued = shop.tokenFailures.shift();
    if (queued) {
      record(queued.status, "queued_failure", params?.refresh_token ?? null);
      return answerQueuedFailure(res, queued);
    }
    if (!params) {
      record(400, "invalid_request", null);
      return sendJson(res, 400, { error: "invalid_request", error_description: "The request body could not be read." });
    }
    if (params.client_id !== apiKey || !safeEqual(params.client_secret ?? "", apiSecret)) {
      record(401, "invalid_client", null);
      return sendJson(res, 401, { error: "invalid_client", error_description: "Client authentication failed." });
    }
    const issuedAt = now();
    if (grant === "refresh_token") {
      const token = params.refresh_token ?? "";
      const refresh = refreshTokens.get(token);
      if (!refresh || refresh.used || refresh.shop !== shop.domain || refresh.expiresAt <= issuedAt || !shop.installed) {
        record(400, "invalid_grant", token || null);
        return sendJson(res, 400, { error: "invalid_grant", error_description: "Token has been expired or revoked." });
      }
      refresh.used = true;
      const previous = accessTokens.get(refresh.accessToken);
      if (previous) previous.revoked = true;
      record(200, "ok", token);
      return sendJson(res, 200, tokenAnswer(issue(shop, true), issuedAt));
    }
    if (grant === "urn:ietf:params:oauth:grant-type:token-exchange") {
      const subject = params.subject_token ?? "";
      if (params.subject_token_type !== "urn:ietf:params:oauth:token-type:id_token" || verifySessionToken(subject, apiKey, apiSecret) !== shop.domain) {
        record(400, "invalid_request", subject || null);
        return sendJson(res, 400, { error: "invalid_subject_token", error_description: "The session token is invalid or has expired." });
      }
      if (params.requested_token_type !== "urn:shopify:params:oauth:token-type:offline-access-token") {
        // The app asks for offline tokens only; an online one would carry associated_user, which this stand-in has not.
        record(400, "invalid_request", subject);
        return sendJson(res, 400, { error: "invalid_request", error_description: "The stand-in issues offline access tokens only." });
      }
      record(200, "ok", subject);
      return sendJson(res, 200, tokenAnswer(issue(shop, params.expiring === "1"), issuedAt));
    }
    record(400, "invalid_request", null);
    return sendJson(res, 400, { error: "unsupported_grant_type", error_description: `grant_type ${grant} is not supported.` });
  }

  function takeFromBucket(shop: StandInShop, cost: number): { ok: boolean; status: Record<string, number> } {
    const t = now();
    const b = shop.bucket;
    b.available = Math.min(b.maximumAvailable, b.available + (b.restoreRate * Math.max(0, t - b.at)) / 1000);
    b.at = t;
    const ok = b.available >= cost;
    if (ok) b.available -= cost;
    return { ok, status: { maximumAvailable: b.maximumAvailable, currentlyAvailable: Math.floor(b.available), restoreRate: b.restoreRate } };
  }

  async function handleGraphql(req: IncomingMessage, res: ServerResponse, shop: StandInShop): Promise<void> {
    const token = typeof req.headers["x-shopify-access-token"] === "string" ? req.headers["x-shopify-access-token"] : null;
    const raw = await readBody(req);
    let request: Record<string, unknown> = {};
    try {
      const parsed: unknown = JSON.parse(raw);
      if (parsed && typeof parsed === "object") request = parsed as Record<string, unknown>;
    } catch {
      request = {};
    }
    const arrivedAt = now();
    const record = (call: Omit<StandInCall, "at" | "shop" | "endpoint" | "token">) =>
      calls.push({ at: arrivedAt, shop: shop.domain, endpoint: "graphql", token, ...call });
    const operationName =
      typeof request.operationName === "string"
        ? request.operationName
        : (/\b(?:query|mutation)\s+(\w+)/.exec(String(request.query ?? ""))?.[1] ?? "anonymous");
    if (shop.latencyMs === Infinity) {
      record({ operation: operationName, status: 0, outcome: "queued_failure" });
      return;
    }
    if (shop.latencyMs > 0) await sleep(shop.latencyMs);
    if (refuseToken(token, shop.domain)) {
      record({ operation: operationName, status: 401, outcome: "unauthorized" });
      return sendJson(res, 401, INVALID_TOKEN_BODY);
    }
    const queued = shop.failures.shift();
    if (queued) {
      record({ operation: operationName, status: queued.status, outcome: "queued_failure" });
      return answerQueuedFailure(res, queued);
    }
    const prepared = prepareGraphql(request, shop, accessTokens.get(token!)!.scopes);
    if (prepared.requestedCost === null) {
      record({ operation: prepared.operation, status: 200, outcome: "graphql_error" });
      return sendJson(res, 200, prepared.errorsBody);
    }
    const requested = prepared.requestedCost;
    if (requested > 1000) {
      const { status } = takeFromBucket(shop, 0);
      record({ operation: prepared.operation, status: 200, outcome: "graphql_error", requestedCost: requested });
      return sendJson(res, 200, {
        errors: [
          {
            message: `Query cost is ${requested}, which exceeds the single query max cost limit (1000).`,
            extensions: { code: "MAX_COST_EXCEEDED", cost: requested, maxCost: 1000, documentation: "https://shopify.dev/api/usage/rate-limits" },
          },
        ],
        extensions: { cost: { requestedQueryCost: requested, actualQueryCost: null, throttleStatus: status } },
      });
    }
    const taken = takeFromBucket(shop, requested);
    if (!taken.ok) {
      record({ operation: prepared.operation, status: 200, outcome: "throttled", requestedCost: requested });
      return sendJson(res, 200, {
        errors: [{ message: "Throttled", extensions: { code: "THROTTLED", documentation: "https://shopify.dev/api/usage/rate-limits" } }],
        extensions: { cost: { requestedQueryCost: requested, actualQueryCost: null, throttleStatus: taken.status } },
      });
    }
    const { body, actualCost } = prepared.execute();
    // What the query did not use of what it asked for goes back into the bucket.
    shop.bucket.available = Math.min(shop.bucket.maximumAvailable, shop.bucket.available + Math.max(0, requested - actualCost));
    const denied = Array.isArray(body.errors) && (body.errors as { extensions?: { code?: string } }[]).some((e) => e.extensions?.code === "ACCESS_DENIED");
    record({ operation: prepared.operation, status: 200, outcome: denied ? "access_denied" : "ok", requestedCost: requested, actualCost });
    const status = { ...taken.status, currentlyAvailable: Math.floor(shop.bucket.available) };
    return sendJson(res, 200, { ...body, extensions: { cost: { requestedQueryCost: requested, actualQueryCost: actualCost, throttleStatus: status } } });
  }

  const api = createHttpsServer({ key: certificates.key, cert: certificates.cert }, (req, res) => {
    const servername = (req.socket as TLSSocket).servername;
    const host = String(req.headers.host ?? "").replace(/:443$/, "");
    if (!servername || host !== servername || !SHOP_DOMAIN.test(host)) {
      return sendJson(res, 421, { errors: "Misdirected Request" });
    }
    const shop = shopState(host);
    const url = new URL(req.url ?? "/", `https://${host}`);
    const handled = (async () => {
      if (url.pathname === "/admin/oauth/access_token") {
        if (req.method !== "POST") return sendJson(res, 405, { errors: "Method Not Allowed" });
        return handleToken(req, res, shop);
      }
      const graphql = /^\/admin\/api\/([^/]+)\/graphql\.json$/.exec(url.pathname);
      if (graphql) {
        if (!apiVersions.has(graphql[1])) return sendJson(res, 404, { errors: "Not Found" });
        if (req.method !== "POST") return sendJson(res, 405, { errors: "Method Not Allowed" });
        return handleGraphql(req, res, shop);
      }
      return sendJson(res, 404, { errors: "Not Found" });
    })();
    handled.catch((error: Error) => res.destroy(error));
  });

  const proxy = createHttpServer((req, res) => {
    // Plain proxying (http:// through the proxy) is never what the app should do with Shopify.
    refusedHosts.push(req.headers.host ?? req.url ?? "");
    res.writeHead(403, { "content-type": "text/plain" });
    res.end("The Shopify stand-in only tunnels to <shop>.myshopify.com:443\n");
  });
  proxy.on("connect", (req: IncomingMessage, socket: Socket, head: Buffer) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    const target = req.url ?? "";
    const colon = target.lastIndexOf(":");
    const host = target.slice(0, colon).toLowerCase();
    if (colon < 0 || target.slice(colon + 1) !== "443" || !SHOP_DOMAIN.test(host)) {
      refusedHosts.push(target);
      socket.end("HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n");
      return;
    }
    socket.write("HTTP/1.1 200 Connection Established\r\n\r\n");
    if (head.length > 0) socket.unshift(head);
    api.emit("connection", socket);
  });
  proxy.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  const port = (proxy.address() as AddressInfo).port;

  const standIn: ShopifyStandIn = {
    proxyUrl: `http://127.0.0.1:${port}`,
    caFile: certificates.caFile,
    caPem: certificates.caPem,
    apiKey,
    apiSecret,
    tokenLifetimeSeconds: options.tokenLifetimeSeconds ?? 3600,
    refreshTokenLifetimeSeconds: options.refreshTokenLifetimeSeconds ?? 90 * 24 * 3600,
    calls,
    refusedHosts,
    childEnv() {
      return {
        NODE_USE_ENV_PROXY: "1",
        HTTPS_PROXY: standIn.proxyUrl,
        NO_PROXY: "127.0.0.1,localhost",
        NODE_EXTRA_CA_CERTS: certificates.caFile,
      };
    },
    now,
    advance(ms) {
      offsetMs += ms;
    },
    shop: shopState,
    issueOfflineToken(domain, issueOptions = {}) {
      return issue(shopState(domain), issueOptions.expiring ?? true);
    },
    expireAccessTokens(domain) {
      const t = now();
      for (const record of accessTokens.values()) if (record.shop === domain) record.expiresAt = Math.min(record.expiresAt ?? t, t);
    },
    uninstall(domain) {
      shopState(domain).installed = false;
      for (const record of accessTokens.values()) if (record.shop === domain) record.revoked = true;
      for (const record of refreshTokens.values()) if (record.shop === domain) record.used = true;
    },
    countCalls(filter = {}) {
      return calls.filter((c) => Object.entries(filter).every(([k, v]) => c[k as keyof StandInCall] === v)).length;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      proxy.closeAllConnections();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
      api.close();
    },
  };
  return standIn;
}
