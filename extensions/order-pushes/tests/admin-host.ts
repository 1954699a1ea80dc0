// What the Shopify admin gives the block, for its tests: the app it talks to (the production server, `node
// server.mjs`, on its own SQLite file, delivering to the JoinChat sandbox), a fetch that resolves the block's
// relative URLs against that app as the admin resolves them against the app's URL, session tokens signed with the
// app's secret as shopify.auth.idToken() returns them, and translations read from the block's own locale files as
// the admin's shopify.i18n.translate reads them. Only the admin itself is stood in for; the app is the real one.
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { signShopifyWebhook } from "../../../app/webhooks/sign-webhook";
import { BROWSER_API_SECRET, CHROME_UA, startAdminServer, type AdminServer } from "../../../test/browser/admin-server";
import { httpRequest } from "../../../test/helpers/app-process";
import { startJoinChatSandbox, type JoinChatSandbox } from "../../../test/sandbox/joinchat-sandbox";

export const SHOP = "order-block.myshopify.com";
export const OTHER_SHOP = "another-order-block.myshopify.com";
export const PAGE_ID = "407898491811542";
const APP_JOINCHAT_SECRET = "app-default-joinchat-secret";

export interface AppUnderTest {
  server: AdminServer;
  sandbox: JoinChatSandbox;
  /** A session token for the shop, as shopify.auth.idToken() gives the block one. */
  sessionToken(): Promise<string>;
  /** A webhook delivery signed as Shopify signs it, through the app's real intake. */
  webhook(topic: string, body: string, shop?: string): Promise<void>;
  /** Waits until no push of the shop is queued or sending (retries to come count as settled). */
  settled(): Promise<void>;
  rows<T>(sql: string, ...params: unknown[]): T[];
  /** The fetch the block gets: relative URLs go to the app, with the origin admin UI extensions run on. */
  fetch: typeof fetch;
  stop(): Promise<void>;
}

export async function startApp(): Promise<AppUnderTest> {
  const sandbox = await startJoinChatSandbox({ defaultSecret: APP_JOINCHAT_SECRET });
  const server = await startAdminServer({ shop: SHOP, joinchatUrl: sandbox.url });
  const nodeFetch = globalThis.fetch;

  // The merchant links the Facebook page on the app's home page.
  try {
    const link = await nodeFetch(`${server.url}/app?index&_data=routes%2Fapp._index`, {
      method: "POST",
      headers: { authorization: `Bearer ${await server.sessionToken()}`, "content-type": "application/json", "user-agent": CHROME_UA },
      body: JSON.stringify({ intent: "link", pageId: PAGE_ID }),
    });
    if (!link.ok) throw new Error(`linking the page failed: ${link.status} ${await link.text()}`);
  } catch (error) {
    await server.stop();
    await sandbox.close();
    throw error;
  }

  const rows = <T>(sql: string, ...params: unknown[]) => server.db.prepare(sql).all(...params) as T[];
  return {
    server,
    sandbox,
    rows,
    sessionToken: () => server.sessionToken(),
    async webhook(topic, body, shop = SHOP) {
      const headers = signShopifyWebhook({ body, secret: BROWSER_API_SECRET, topic, shop, webhookId: randomUUID() });
      const res = await httpRequest(`${server.url}/webhooks/${topic}`, { method: "POST", headers, body });
      if (res.status !== 200) throw new Error(`webhook ${topic} refused: ${res.status} ${res.text}`);
    },
    async settled() {
      const deadline = Date.now() + 20_000;
      while (rows("SELECT id FROM push WHERE status IN ('queued', 'sending') AND due_at <= ?", Date.now()).length > 0) {
        if (Date.now() > deadline) throw new Error(`pushes still unsent:\n${server.logs()}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    fetch: ((input: RequestInfo | URL, init?: RequestInit) => {
      const url = new URL(String(input instanceof Request ? input.url : input), server.url);
      const headers = new Headers(init?.headers);
      headers.set("origin", "https://extensions.shopifycdn.com");
      headers.set("user-agent", CHROME_UA);
      return nodeFetch(url, { ...init, headers });
    }) as typeof fetch,
    async stop() {
      await server.stop();
      await sandbox.close();
    },
  };
}

type Messages = { [key: string]: string | Messages };

function loadLocale(locale: "en" | "zh-CN"): Messages {
  const file = locale === "en" ? "en.default.json" : `${locale}.json`;
  return JSON.parse(readFileSync(new URL(`../locales/${file}`, import.meta.url), "utf8")) as Messages;
}

/**
 * shopify.i18n.translate as the admin runs it on the block's locale files: dotted keys, {{name}} replacements,
 * and `count` choosing the plural form (one, other…) by the locale's rules. A missing key comes back as the key.
 */
export function translator(locale: "en" | "zh-CN") {
  const messages = loadLocale(locale);
  const plural = new Intl.PluralRules(locale);
  return (key: string, options: Record<string, unknown> = {}): string => {
    let node: string | Messages | undefined = messages;
    for (const part of key.split(".")) node = typeof node === "object" ? node[part] : undefined;
    if (typeof node === "object" && typeof options.count === "number") node = node[plural.select(options.count)] ?? node.other;
    if (typeof node !== "string") return key;
    return node.replace(/\{\{(\w+)\}\}/g, (_, name: string) => String(options[name] ?? ""));
  };
}

/** Every key of a locale file, dotted (plural forms included). */
export function localeKeys(locale: "en" | "zh-CN"): string[] {
  const keys: string[] = [];
  const walk = (node: Messages, prefix: string) => {
    for (const [k, v] of Object.entries(node)) {
      if (typeof v === "string") keys.push(`${prefix}${k}`);
      else walk(v, `${prefix}${k}.`);
    }
  };
  walk(loadLocale(locale), "");
  return keys.sort();
}
