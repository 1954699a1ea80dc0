// What Shopify's Thank-you and Order status pages give the opt-in block, for its tests: the app it talks to (the
// production server, `node server.mjs`, on its own SQLite file, delivering to the JoinChat sandbox), a fetch that
// sends the block's calls to the app's URL (src/app-url.ts) to that server, with the origin extensions run on,
// session tokens signed with the app's secret as shopify.sessionToken.get() returns them, and translations read from
// the block's own locale files. Only Shopify itself is stood in for; the app is the real one. The merchant links the
// page and turns the opt-in on through the admin's own routes.
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { signShopifyWebhook } from "../../../app/webhooks/sign-webhook";
import { BROWSER_API_KEY, BROWSER_API_SECRET, CHROME_UA, startAdminServer, type AdminServer } from "../../../test/browser/admin-server";
import { httpRequest } from "../../../test/helpers/app-process";
import { signCheckoutSessionToken } from "../../../test/helpers/sign-session-token";
import { startJoinChatSandbox, type JoinChatSandbox } from "../../../test/sandbox/joinchat-sandbox";
import { APP_URL } from "../src/app-url";

export const SHOP = "optin-block.myshopify.com";
export const PAGE_ID = "407898491811542";
const APP_JOINCHAT_SECRET = "app-default-joinchat-secret";

export interface AppUnderTest {
  server: AdminServer;
  sandbox: JoinChatSandbox;
  /** A checkout / customer account session token for the shop (or another), as the extension gets it. */
  buyerToken(options?: { shop?: string; secret?: string; customerGid?: string }): Promise<string>;
  /** The merchant's settings, saved through the admin's settings route (the page id through the home page's). */
  settings(patch: Record<string, unknown>): Promise<void>;
  link(pageId: string): Promise<void>;
  webhook(topic: string, body: string): Promise<void>;
  rows<T>(sql: string, ...params: unknown[]): T[];
  run(sql: string, ...params: unknown[]): void;
  /** The fetch the block gets: the app's URL goes to the server under test, with the extensions' origin. */
  fetch: typeof fetch;
  stop(): Promise<void>;
}

export async function startApp(): Promise<AppUnderTest> {
  const sandbox = await startJoinChatSandbox({ defaultSecret: APP_JOINCHAT_SECRET });
  const server = await startAdminServer({ shop: SHOP, joinchatUrl: sandbox.url });
  const nodeFetch = globalThis.fetch;

  async function admin(path: string, body: unknown) {
    const res = await nodeFetch(`${server.url}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${await server.sessionToken()}`, "content-type": "application/json", "user-agent": CHROME_UA },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${path} refused: ${res.status} ${await res.text()}`);
  }

  const app: AppUnderTest = {
    server,
    sandbox,
    async buyerToken(options = {}) {
      return signCheckoutSessionToken({
        shop: options.shop ?? SHOP,
        apiKey: BROWSER_API_KEY,
        apiSecret: options.secret ?? BROWSER_API_SECRET,
        customerGid: options.customerGid,
      });
    },
    settings: (patch) => admin("/app/settings?_data=routes%2Fapp.settings", patch),
    link: (pageId) => admin("/app?index&_data=routes%2Fapp._index", { intent: "link", pageId }),
    async webhook(topic, body) {
      const headers = signShopifyWebhook({ body, secret: BROWSER_API_SECRET, topic, shop: SHOP, webhookId: randomUUID() });
      const res = await httpRequest(`${server.url}/webhooks/${topic}`, { method: "POST", headers, body });
      if (res.status !== 200) throw new Error(`webhook ${topic} refused: ${res.status} ${res.text}`);
    },
    rows: <T>(sql: string, ...params: unknown[]) => server.db.prepare(sql).all(...params) as T[],
    run: (sql, ...params) => void server.db.prepare(sql).run(...params),
    fetch: ((input: RequestInfo | URL, init?: RequestInit) => {
      const asked = new URL(String(input instanceof Request ? input.url : input));
      if (asked.origin !== new URL(APP_URL).origin) return Promise.reject(new TypeError(`the block fetched another origin: ${asked.origin}`));
      const headers = new Headers(init?.headers);
      headers.set("origin", "https://extensions.shopifycdn.com");
      headers.set("user-agent", CHROME_UA);
      return nodeFetch(new URL(`${asked.pathname}${asked.search}`, server.url), { ...init, headers });
    }) as typeof fetch,
    async stop() {
      await server.stop();
      await sandbox.close();
    },
  };
  try {
    await app.link(PAGE_ID);
  } catch (error) {
    await app.stop();
    throw error;
  }
  return app;
}

type Messages = Record<string, string>;

/** shopify.i18n.translate as Shopify runs it on the block's locale files; a missing key comes back as the key. */
export function translator(locale: "en" | "zh-CN") {
  const file = locale === "en" ? "en.default.json" : `${locale}.json`;
  const messages = JSON.parse(readFileSync(new URL(`../locales/${file}`, import.meta.url), "utf8")) as Messages;
  return (key: string): string => messages[key] ?? key;
}

export function localeKeys(locale: "en" | "zh-CN"): string[] {
  const file = locale === "en" ? "en.default.json" : `${locale}.json`;
  return Object.keys(JSON.parse(readFileSync(new URL(`../locales/${file}`, import.meta.url), "utf8")) as Messages).sort();
}
