// The production server (`node server.mjs`, the build of `npx remix vite:build`) as a child process, for the
// end-to-end tests: its own SQLite file, a free port, the JoinChat URL of a sandbox. Webhooks are signed as
// Shopify signs them; shops are configured through the operator CLI against the same database file; the
// database is read directly to see what the app stored.
import BetterSqlite3 from "better-sqlite3";
import { spawn, type ChildProcess } from "node:child_process";
import { readdirSync, rmSync } from "node:fs";
import { randomBytes, randomUUID } from "node:crypto";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { runCli } from "../../app/cli/main";
import { signShopifyWebhook } from "../../app/webhooks/sign-webhook";
import { createTestDatabaseFile } from "./database";

const PROJECT_ROOT = fileURLToPath(new URL("../..", import.meta.url));
const SERVER_ENTRY = path.join(PROJECT_ROOT, "server.mjs");

export const TEST_SHOPIFY_API_SECRET = "shpss_e2e_test_secret_0123456789";
export const TEST_JOINCHAT_API_SECRET = "joinchat-default-e2e-secret";

export interface AppProcessOptions {
  /** JOINCHAT_API_URL: the sandbox's (or a recorder's) push endpoint. */
  joinchatUrl: string;
  /** Extra or overriding environment variables of the app (strings). */
  env?: Record<string, string>;
  /** An existing database file; default a fresh migrated copy. */
  dbFile?: string;
}

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- an answer's JSON, for assertions
  json: any;
}

export interface SendOptions {
  webhookId?: string;
  /** Sign with another secret (a forged delivery). */
  secret?: string;
  /** Headers to add or replace; a value of null removes the header. */
  headers?: Record<string, string | null>;
  method?: string;
  /** Another path than /webhooks/<topic>. */
  path?: string;
}

export interface CliResult {
  code: number;
  output: string;
}

type Row = Record<string, unknown>;

export interface AppProcess {
  readonly url: string;
  readonly port: number;
  readonly dbFile: string;
  readonly env: Record<string, string>;
  /** Everything the app wrote to stdout and stderr, across restarts. */
  logs(): string;
  /** Whether the child process is running. */
  readonly running: boolean;
  /** POST a signed webhook to /webhooks/<topic>. */
  sendWebhook(topic: string, shop: string, body: string, options?: SendOptions): Promise<HttpAnswer>;
  /** Any request to the app. */
  request(pathname: string, init?: { method?: string; headers?: Record<string, string>; body?: string | Buffer; chunked?: boolean }): Promise<HttpAnswer>;
  /** The operator CLI against the app's database. */
  cli(args: string[]): Promise<CliResult>;
  /** `shop configure --shop <shop> --page-id <pageId> ...extra`; throws when the CLI refuses. */
  configureShop(shop: string, extra?: string[], pageId?: string): Promise<string>;
  /** Sends a signal and waits for the process to exit (SIGKILL for a crash). */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Stops (SIGTERM) if running, then starts again on the same database and port. */
  restart(): Promise<void>;
  /** SIGTERM, then SIGKILL if it does not exit; closes the database handle. */
  stop(): Promise<void>;
  /** A connection to the app's database file, for reading what it stored. */
  openDb(): BetterSqlite3.Database;
  all<T = Row>(sql: string, ...params: unknown[]): T[];
  get<T = Row>(sql: string, ...params: unknown[]): T | undefined;
}

const live = new Set<ChildProcess>();
// Whatever happens to the test run, no server outlives it.
process.once("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls until `predicate` returns a truthy value (returned), or throws after `timeoutMs`. */
export async function waitFor<T>(predicate: () => T | Promise<T>, timeoutMs = 15_000, what = "condition", intervalMs = 25): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown = null;
  for (;;) {
    try {
      const value = await predicate();
      if (value) return value as NonNullable<T>;
      lastError = null;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ""}`);
    }
    await sleep(intervalMs);
  }
}

/** A raw HTTP request (node:http, so that an early answer to a large body can still be read). */
export function httpRequest(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string | Buffer; chunked?: boolean } = {},
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const body = init.body === undefined ? undefined : Buffer.isBuffer(init.body) ? init.body : Buffer.from(init.body, "utf8");
    const headers: Record<string, string> = { ...(init.headers ?? {}) };
    if (body && !init.chunked) headers["content-length"] = String(body.length);
    const req = http.request(url, { method: init.method ?? "POST", headers, agent: false });
    let settled = false;
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      const finish = () => {
        if (settled) return;
        settled = true;
        const text = Buffer.concat(chunks).toString("utf8");
        let json: unknown = null;
        try {
          json = JSON.parse(text);
        } catch {
          json = null;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      };
      res.on("end", finish);
      res.on("close", finish);
      res.on("error", finish);
    });
    // The server may close the connection while the body is still going out (413): the answer counts.
    req.on("error", (error) => {
      if (!settled) {
        // Give a response already on its way a moment to be parsed.
        setTimeout(() => {
          if (!settled) {
            settled = true;
            reject(error);
          }
        }, 200);
      }
    });
    if (body && init.chunked) {
      // Several writes, no content-length: the size is only known by reading.
      const step = 16 * 1024;
      for (let i = 0; i < body.length; i += step) req.write(body.subarray(i, i + step));
      req.end();
    } else {
      req.end(body);
    }
  });
}

const MIGRATIONS = readdirSync(path.join(PROJECT_ROOT, "prisma", "migrations"), { withFileTypes: true }).filter((d) => d.isDirectory()).length;

function isMigrated(file: string): boolean {
  const db = new BetterSqlite3(file, { fileMustExist: true, readonly: true });
  try {
    const row = db.prepare("SELECT COUNT(*) AS n FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL").get() as { n: number };
    return row.n >= MIGRATIONS;
  } finally {
    db.close();
  }
}

/**
 * A fresh migrated database (createTestDatabaseFile). Another vitest run in the same tree re-creates the
 * template in its global setup; a copy taken at that moment is missing or incomplete, so take another.
 */
export async function freshDatabaseFile(): Promise<string> {
  return waitFor(
    () => {
      const file = createTestDatabaseFile();
      try {
        if (isMigrated(file)) return file;
      } catch {
        // not a complete copy
      }
      rmSync(path.dirname(file), { recursive: true, force: true });
      return null;
    },
    60_000,
    "a migrated copy of test/.tmp/template.sqlite",
    200,
  );
}

export async function startAppProcess(options: AppProcessOptions): Promise<AppProcess> {
  const dbFile = options.dbFile ?? (await freshDatabaseFile());
  const port = await freePort();
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "",
    TMPDIR: process.env.TMPDIR ?? "/tmp",
    NODE_ENV: "production",
    SHOPIFY_API_KEY: "e2e-test-api-key",
    SHOPIFY_API_SECRET: TEST_SHOPIFY_API_SECRET,
    SHOPIFY_APP_URL: "https://joinchat-push.e2e.example.com",
    ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    JOINCHAT_API_URL: options.joinchatUrl,
    JOINCHAT_API_SECRET: TEST_JOINCHAT_API_SECRET,
    JOINCHAT_TIMEOUT_MS: "5000",
    DATABASE_URL: `file:${dbFile}`,
    HOST: "127.0.0.1",
    PORT: String(port),
    LOG_LEVEL: "info",
    DELIVERY_RETRY_BASE_MS: "200",
    DELIVERY_RETRY_CAP_MS: "2000",
    // No Admin API in tests: any call fails at once instead of going to the internet.
    SHOPIFY_ADMIN_API_ORIGIN: "http://127.0.0.1:9",
    SHOPIFY_ADMIN_API_TIMEOUT_MS: "500",
    ...options.env,
  };
  let logs = "";
  let child: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();
  let db: BetterSqlite3.Database | null = null;
  const url = `http://127.0.0.1:${port}`;

  /** Starts the server; a server that exits before it answers (a build being rewritten by another run) is started again. */
  async function spawnServer(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const outcome = await spawnOnce();
      if (outcome === "healthy") return;
      if (attempt >= 3) throw new Error(`the app exited before answering /healthz (${attempt} starts)\n--- app output ---\n${logs}`);
      await sleep(1_000);
    }
  }

  async function spawnOnce(): Promise<"healthy" | "exited"> {
    const proc = spawn(process.execPath, [SERVER_ENTRY], { cwd: PROJECT_ROOT, env: env as NodeJS.ProcessEnv, stdio: ["ignore", "pipe", "pipe"] });
    child = proc;
    live.add(proc);
    proc.stdout?.on("data", (c: Buffer) => (logs += c.toString("utf8")));
    proc.stderr?.on("data", (c: Buffer) => (logs += c.toString("utf8")));
    let hasExited = false;
    exited = new Promise<void>((resolve) => {
      proc.once("exit", () => {
        hasExited = true;
        live.delete(proc);
        if (child === proc) child = null;
        resolve();
      });
    });
    try {
      return await waitFor(
        async () => {
          if (hasExited) return "exited" as const;
          const res = await httpRequest(`${url}/healthz`, { method: "GET" });
          return res.status === 200 ? ("healthy" as const) : null;
        },
        30_000,
        "the app to answer /healthz",
      );
    } catch (error) {
      proc.kill("SIGKILL");
      throw new Error(`${(error as Error).message}\n--- app output ---\n${logs}`);
    }
  }

  async function kill(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    const proc = child;
    if (!proc) return;
    proc.kill(signal);
    const timer = setTimeout(() => proc.kill("SIGKILL"), 15_000);
    await exited;
    clearTimeout(timer);
  }

  function openDb(): BetterSqlite3.Database {
    const conn = new BetterSqlite3(dbFile, { fileMustExist: true, timeout: 5000 });
    conn.defaultSafeIntegers(false);
    return conn;
  }

  function conn(): BetterSqlite3.Database {
    db ??= openDb();
    return db;
  }

  const cliEnv = {
    DATABASE_URL: `file:${dbFile}`,
    ENCRYPTION_KEY: env.ENCRYPTION_KEY,
    SHOPIFY_API_SECRET: env.SHOPIFY_API_SECRET,
    PORT: String(port),
  };

  await spawnServer();

  const app: AppProcess = {
    url,
    port,
    dbFile,
    env,
    logs: () => logs,
    get running() {
      return child !== null;
    },
    async sendWebhook(topic, shop, body, opts = {}) {
      const webhookId = opts.webhookId ?? randomUUID();
      const signed = signShopifyWebhook({ body, secret: opts.secret ?? TEST_SHOPIFY_API_SECRET, topic, shop, webhookId });
      const headers: Record<string, string> = { ...signed };
      for (const [name, value] of Object.entries(opts.headers ?? {})) {
        delete headers[name.toLowerCase()];
        if (value !== null) headers[name.toLowerCase()] = value;
      }
      return httpRequest(`${url}${opts.path ?? `/webhooks/${topic}`}`, { method: opts.method ?? "POST", headers, body: opts.method === "GET" ? undefined : body });
    },
    request(pathname, init) {
      return httpRequest(`${url}${pathname}`, init);
    },
    async cli(args) {
      const lines: string[] = [];
      const code = await runCli(args, { out: (line) => lines.push(line), env: cliEnv });
      return { code, output: lines.join("\n") };
    },
    async configureShop(shop, extra = [], pageId = "407898491811542") {
      const result = await app.cli(["shop", "configure", "--shop", shop, "--page-id", pageId, ...extra]);
      if (result.code !== 0) throw new Error(`shop configure failed (${result.code}): ${result.output}`);
      return result.output;
    },
    kill,
    async restart() {
      await kill("SIGTERM");
      await spawnServer();
    },
    async stop() {
      await kill("SIGTERM");
      db?.close();
      db = null;
    },
    openDb,
    all<T>(sql: string, ...params: unknown[]) {
      return conn().prepare(sql).all(...params) as T[];
    },
    get<T>(sql: string, ...params: unknown[]) {
      return conn().prepare(sql).get(...params) as T | undefined;
    },
  };
  return app;
}

let shopCounter = 0;

/** A shop domain of its own for each test, so that tests sharing a server never see each other's rows. */
export function uniqueShop(label: string): string {
  shopCounter += 1;
  return `${label}-${shopCounter}-${randomBytes(3).toString("hex")}.myshopify.com`;
}

export interface PushRecord {
  id: number;
  shop: string;
  topic: string;
  business_key: string;
  idempotency_key: string;
  status: string;
  reason: string | null;
  tracking_status: string | null;
  attempts: number;
  last_http_status: number | null;
  last_error: string | null;
  recipient_id: string | null;
  body: string | null;
  due_at: number;
}

export interface AttemptRecord {
  push_id: number;
  number: number;
  http_status: number | null;
  outcome: string;
  answer: string | null;
  error: string | null;
}

export function pushesOf(app: AppProcess, shop: string): PushRecord[] {
  return app.all<PushRecord>("SELECT * FROM push WHERE shop = ? ORDER BY id", shop);
}

export function attemptsOf(app: AppProcess, pushId: number): AttemptRecord[] {
  return app.all<AttemptRecord>("SELECT * FROM push_attempt WHERE push_id = ? ORDER BY number", pushId);
}

/** Waits until no push of the shop is queued, retrying or being sent; returns them all. */
export function waitForSettled(app: AppProcess, shop: string, timeoutMs = 20_000): Promise<PushRecord[]> {
  return waitFor(
    () => {
      const rows = pushesOf(app, shop);
      return rows.every((p) => !["queued", "retrying", "sending"].includes(p.status)) ? rows : null;
    },
    timeoutMs,
    `the pushes of ${shop} to settle`,
  );
}
