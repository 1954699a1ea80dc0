// The production server (`node server.mjs`, the build of `npx remix vite:build`) for the browser test, on its own
// SQLite file with the shop's offline session in it, as Shopify's session storage would have stored it at install.
// Kept apart from test/helpers/app-process.ts on purpose: the browser test needs only a server and its database.
import BetterSqlite3 from "better-sqlite3";
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { signSessionToken } from "../helpers/sign-session-token";
import { freePort, freshDatabaseFile, httpRequest, waitFor } from "../helpers/app-process";
import { unreachableShopifyEnv } from "../helpers/shopify-standin";

const PROJECT_ROOT = fileURLToPath(new URL("../..", import.meta.url));

export const BROWSER_API_KEY = "browser-test-api-key";
export const BROWSER_API_SECRET = "shpss_browser_test_secret_0123456789";
export const BROWSER_APP_JOINCHAT_SECRET = "app-default-joinchat-secret";
export const SCOPES = "read_orders,read_fulfillments,read_products";
/** An ordinary Chrome's user agent: the app turns away what looks like a bot (headless Chromium's own agent too). */
export const CHROME_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

export interface AdminServer {
  url: string;
  dbFile: string;
  /** The server's ENCRYPTION_KEY, to read the shop's stored secret. */
  encryptionKey: string;
  /** A session token for the shop, as App Bridge's idToken() returns it: HS256 with the app's secret. */
  sessionToken(): Promise<string>;
  /** The query string of the admin's first load of the app: embedded=1, shop, host, a fresh id_token, locale. */
  embeddedQuery(locale?: string): Promise<string>;
  db: BetterSqlite3.Database;
  logs(): string;
  stop(): Promise<void>;
}

export async function startAdminServer(options: { shop: string; joinchatUrl: string }): Promise<AdminServer> {
  const dbFile = await freshDatabaseFile();
  const db = new BetterSqlite3(dbFile, { fileMustExist: true, timeout: 5000 });
  // The offline session Shopify's session storage keeps for the installed shop.
  db.prepare(`INSERT INTO "Session" ("id", "shop", "state", "isOnline", "scope", "accessToken") VALUES (?, ?, ?, 0, ?, ?)`).run(
    `offline_${options.shop}`,
    options.shop,
    "installed",
    SCOPES,
    "shpat_browser_test_token",
  );
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "",
    TMPDIR: process.env.TMPDIR ?? "/tmp",
    NODE_ENV: "production",
    SHOPIFY_API_KEY: BROWSER_API_KEY,
    SHOPIFY_API_SECRET: BROWSER_API_SECRET,
    SHOPIFY_APP_URL: "https://joinchat-push.browser-test.example.com",
    SCOPES,
    ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    JOINCHAT_API_URL: options.joinchatUrl,
    JOINCHAT_API_SECRET: BROWSER_APP_JOINCHAT_SECRET,
    JOINCHAT_SINGLE_SHOP: options.shop,
    JOINCHAT_TIMEOUT_MS: "5000",
    DATABASE_URL: `file:${dbFile}`,
    HOST: "127.0.0.1",
    PORT: String(port),
    LOG_LEVEL: "warn",
    DELIVERY_RETRY_BASE_MS: "200",
    DELIVERY_RETRY_CAP_MS: "1000",
    // No Shopify: any call to it is refused at once (docs/decisions/012-shopify-admin-api-access.md).
    ...unreachableShopifyEnv(),
    SHOPIFY_ADMIN_API_TIMEOUT_MS: "300",
  };
  let logs = "";
  const child: ChildProcess = spawn(process.execPath, [path.join(PROJECT_ROOT, "server.mjs")], {
    cwd: PROJECT_ROOT,
    env: env as NodeJS.ProcessEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.on("data", (c: Buffer) => (logs += c.toString("utf8")));
  child.stderr?.on("data", (c: Buffer) => (logs += c.toString("utf8")));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`the server exited (${child.exitCode})`);
        return (await httpRequest(`${url}/healthz`, { method: "GET" })).status === 200;
      },
      30_000,
      "the production server to answer /healthz",
    );
  } catch (error) {
    child.kill("SIGKILL");
    db.close();
    throw new Error(`${(error as Error).message}\n--- server output ---\n${logs}`);
  }

  const storeName = options.shop.replace(/\.myshopify\.com$/, "");
  const sessionToken = async () => signSessionToken({ shop: options.shop, apiKey: BROWSER_API_KEY, apiSecret: BROWSER_API_SECRET });
  return {
    url,
    dbFile,
    encryptionKey: env.ENCRYPTION_KEY,
    db,
    sessionToken,
    async embeddedQuery(locale = "en") {
      const query = new URLSearchParams({
        embedded: "1",
        shop: options.shop,
        host: Buffer.from(`admin.shopify.com/store/${storeName}`).toString("base64url"),
        locale,
        id_token: await sessionToken(),
      });
      return query.toString();
    },
    logs: () => logs,
    async stop() {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
      process.removeListener("exit", killOnExit);
      db.close();
    },
  };
}
