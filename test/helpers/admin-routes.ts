// The admin's Remix routes called as Remix calls them (loader/action with a Request), in this process, against
// a migrated SQLite file, the real Shopify authentication (`authenticate.admin` with the app's Prisma session
// storage) and the real services; JoinChat is the sandbox. Requests carry a session token made by
// @shopify/shopify-api's test helpers (getJwt), as App Bridge sends it, for an offline session stored by
// setUpValidSession. Nothing of the app is replaced.
import { randomBytes, randomUUID } from "node:crypto";
import { API_KEY, API_SECRET_KEY, APP_URL, BASE64_HOST, getJwt, setUpValidSession, TEST_SHOP, TEST_SHOP_NAME } from "@shopify/shopify-api/test-helpers";
import type { Database } from "../../app/db/database.server";
import { deliverPush } from "../../app/delivery/deliver.server";
import { claimDuePushes } from "../../app/stores/push-store.server";
import type { Runtime } from "../../app/runtime.server";
import type { ShopSettingsPatch } from "../../app/settings/settings-schema";
import type { WebhookTopic } from "../../app/webhooks/topics";
import { CHROME_UA } from "../browser/admin-server";
import { startJoinChatSandbox, type JoinChatSandbox } from "../sandbox/joinchat-sandbox";
import { freshDatabaseFile } from "./app-process";
import { refuseShopifyFetch } from "./shopify-standin";

export const SHOP = TEST_SHOP;
export const OTHER_SHOP = "someone-else.myshopify.com";
export const SCOPES = "read_orders,read_fulfillments,read_products";
export const APP_JOINCHAT_SECRET = "app-default-joinchat-secret";

/* eslint-disable @typescript-eslint/no-explicit-any -- route modules are loaded dynamically, after the environment is set */
type RouteModule = { loader?: (args: any) => Promise<unknown>; action?: (args: any) => Promise<unknown> };

export interface RouteAnswer {
  status: number;
  /** The JSON answer (null for one that is not JSON). */
  data: any;
  text: string;
  headers: Headers;
  /** The answer was thrown (an authentication redirect, a 404) rather than returned. */
  thrown: boolean;
}
/* eslint-enable @typescript-eslint/no-explicit-any */

export interface CallOptions {
  params?: Record<string, string>;
  /** Default: a valid session token in the Authorization header, as App Bridge sends it. */
  auth?: "bearer" | "document" | "none" | "forged";
  search?: Record<string, string>;
  /** A bearer token of the caller's own (a checkout UI extension's session token), instead of `auth`'s. */
  bearer?: string;
  /** Extra request headers (an Origin, as an admin UI extension's requests have). */
  headers?: Record<string, string>;
  /** Default GET for load, POST for act. */
  method?: string;
}

export interface AdminRoutes {
  shop: string;
  runtime: Runtime;
  db: Database;
  sandbox: JoinChatSandbox;
  routes: {
    app: RouteModule;
    home: RouteModule;
    settings: RouteModule;
    testPush: RouteModule;
    pushes: RouteModule;
    pushDetail: RouteModule;
    /** The order page block's route, /api/orders/:orderId/pushes. */
    orderPushes: RouteModule;
    /** The Messenger opt-in block's route, /api/optin/:orderId (checkout and customer account session tokens). */
    optin: RouteModule;
  };
  load(route: RouteModule, path: string, options?: CallOptions): Promise<RouteAnswer>;
  act(route: RouteModule, path: string, body: unknown, options?: CallOptions & { rawBody?: string }): Promise<RouteAnswer>;
  configure(patch: ShopSettingsPatch, shop?: string): Promise<void>;
  /** Forgets every push, order and setting, resets the sandbox, and links both shops to `pageId`. */
  resetShops(pageId: string): Promise<void>;
  /** A webhook through the real intake service (as after Shopify's HMAC check). */
  webhook(topic: WebhookTopic, rawBody: string, shop?: string): Promise<void>;
  /** Sends every due push now through deliverPush, as the worker does. */
  deliverDue(): Promise<void>;
  close(): Promise<void>;
}

/** Bodies every action refuses with 400 bad_request before it looks at a field: not a JSON object. */
export const NOT_A_JSON_OBJECT: [name: string, rawBody: string][] = [
  ["a body that is not JSON", "{not json"],
  ["a form body", "intent=link&pageId=1"],
  ["an empty body", ""],
  ["JSON null", "null"],
  ["a JSON array", '[{"intent":"link"}]'],
  ["a JSON string", '"link"'],
  ["a JSON number", "42"],
];

let started: Promise<AdminRoutes> | null = null;

async function toAnswer(value: unknown, thrown: boolean): Promise<RouteAnswer> {
  if (!(value instanceof Response)) {
    if (thrown) throw value;
    return { status: 200, data: value, text: JSON.stringify(value), headers: new Headers(), thrown };
  }
  const text = await value.text();
  let data: unknown = null;
  try {
    data = JSON.parse(text);
  } catch {
    data = null;
  }
  return { status: value.status, data, text, headers: value.headers, thrown };
}

/** One per test file (vitest runs each file in its own process): the environment is read once, at import. */
export function startAdminRoutes(): Promise<AdminRoutes> {
  started ??= start();
  return started;
}

async function start(): Promise<AdminRoutes> {
  const dbFile = await freshDatabaseFile();
  const sandbox = await startJoinChatSandbox({ defaultSecret: APP_JOINCHAT_SECRET });
  Object.assign(process.env, {
    SHOPIFY_API_KEY: API_KEY,
    SHOPIFY_API_SECRET: API_SECRET_KEY,
    SHOPIFY_APP_URL: APP_URL,
    SCOPES,
    DATABASE_URL: `file:${dbFile}`,
    SQLITE_SYNCHRONOUS: "NORMAL",
    ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    JOINCHAT_API_URL: sandbox.url,
    JOINCHAT_API_SECRET: APP_JOINCHAT_SECRET,
    JOINCHAT_SINGLE_SHOP: SHOP,
    JOINCHAT_TIMEOUT_MS: "3000",
    DELIVERY_WORKER: "off",
    SHOPIFY_ADMIN_API_TIMEOUT_MS: "300",
    LOG_LEVEL: "silent",
  });
  // No Shopify in these tests: a call to it fails at once (and never reaches the internet).
  refuseShopifyFetch();
  const { getEnv, parseEnv } = await import("../../app/env.server");
  const env = parseEnv();
  // The app's own modules (shopify.server) read the environment once, at their import: it must be this one.
  if (getEnv().DATABASE_URL !== env.DATABASE_URL)
    throw new Error("the app read its environment before the test set it: import the app after startAdminRoutes()");
  const { createRuntime, setRuntime } = await import("../../app/runtime.server");
  const runtime = await createRuntime(env, { startWorker: false });
  setRuntime(runtime);
  const { sessionStorage } = await import("../../app/shopify.server");
  await sessionStorage.storeSession(setUpValidSession({ shop: SHOP, expires: undefined, scope: SCOPES }));

  const routes = {
    app: (await import("../../app/routes/app")) as RouteModule,
    home: (await import("../../app/routes/app._index")) as RouteModule,
    settings: (await import("../../app/routes/app.settings")) as RouteModule,
    testPush: (await import("../../app/routes/app.test-push")) as RouteModule,
    pushes: (await import("../../app/routes/app.pushes._index")) as RouteModule,
    pushDetail: (await import("../../app/routes/app.pushes.$id")) as RouteModule,
    orderPushes: (await import("../../app/routes/api.orders.$orderId.pushes")) as RouteModule,
    optin: (await import("../../app/routes/api.optin.$orderId")) as RouteModule,
  };
  const { updateShopSettings } = await import("../../app/settings/settings.server");

  async function request(path: string, init: { method: string; body?: string }, options: CallOptions): Promise<Request> {
    const url = new URL(path, APP_URL);
    for (const [k, v] of Object.entries(options.search ?? {})) url.searchParams.set(k, v);
    const headers = new Headers({ "user-agent": CHROME_UA, ...options.headers });
    if (init.body !== undefined) headers.set("content-type", "application/json");
    const auth = options.auth ?? "bearer";
    if (options.bearer !== undefined) {
      headers.set("authorization", `Bearer ${options.bearer}`);
    } else if (auth === "bearer" || auth === "forged") {
      const { token } = await getJwt(TEST_SHOP_NAME, API_KEY, auth === "forged" ? "not-the-app-secret" : API_SECRET_KEY);
      headers.set("authorization", `Bearer ${token}`);
    } else if (auth === "document") {
      const { token } = await getJwt(TEST_SHOP_NAME, API_KEY, API_SECRET_KEY);
      url.searchParams.set("embedded", "1");
      url.searchParams.set("shop", SHOP);
      url.searchParams.set("host", BASE64_HOST);
      url.searchParams.set("id_token", token);
    }
    return new Request(url, { method: init.method, headers, body: init.body });
  }

  async function call(fn: ((args: unknown) => Promise<unknown>) | undefined, req: Request, params: Record<string, string>) {
    if (!fn) throw new Error("the route has no such function");
    try {
      return await toAnswer(await fn({ request: req, params, context: {} }), false);
    } catch (error) {
      return toAnswer(error, true);
    }
  }

  return {
    shop: SHOP,
    runtime,
    db: runtime.db,
    sandbox,
    routes,
    async load(route, path, options = {}) {
      return call(route.loader, await request(path, { method: options.method ?? "GET" }, options), options.params ?? {});
    },
    async act(route, path, body, options = {}) {
      const raw = options.rawBody ?? JSON.stringify(body);
      return call(route.action, await request(path, { method: options.method ?? "POST", body: raw }, options), options.params ?? {});
    },
    async configure(patch, shop = SHOP) {
      await updateShopSettings(runtime.db, shop, patch, runtime.box);
    },
    async resetShops(pageId) {
      for (const table of ["push_attempt", "push", "shopify_order", "webhook_delivery", "shop_settings", "fulfillment_state"])
        await runtime.db.run(`DELETE FROM ${table}`);
      sandbox.reset();
      await updateShopSettings(runtime.db, SHOP, { pageId }, runtime.box);
      // Only SHOP pushes under the app's secret (JOINCHAT_SINGLE_SHOP): the other shop has its page's own.
      await updateShopSettings(runtime.db, OTHER_SHOP, { pageId, secret: APP_JOINCHAT_SECRET }, runtime.box);
    },
    async webhook(topic, rawBody, shop = SHOP) {
      const answer = await runtime.receive({ topic, shop, webhookId: randomUUID(), apiVersion: "2026-04", eventId: null, triggeredAt: null, rawBody });
      if (answer.status !== 200) throw new Error(`webhook refused: ${answer.status} ${answer.body}`);
      await runtime.commit.drain();
    },
    async deliverDue() {
      for (;;) {
        const due = await claimDuePushes(runtime.db, Date.now(), 100, 60_000);
        if (due.length === 0) return;
        await Promise.all(due.map((push) => deliverPush(runtime.deliveryDeps, push)));
      }
    },
    async close() {
      await runtime.close();
      await sandbox.close();
    },
  };
}
