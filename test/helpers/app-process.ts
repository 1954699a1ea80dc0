// The production server (`node server.mjs`, the build of `npx remix vite:build`) as a child process, for the
// end-to-end tests: a free port, the JoinChat URL of a sandbox, and a database of its own: a fresh SQLite file
// (the embedded default), or on the scale-out backend a fresh PostgreSQL database with BullMQ on Redis under a
// queue prefix of its own and `npm run worker` processes (`node worker.mjs`) that deliver. Webhooks are signed
// as Shopify signs them; shops are configured through the operator CLI against the same database; the database
// is read directly to see what the app stored.
import BetterSqlite3 from "better-sqlite3";
import { spawn, type ChildProcess } from "node:child_process";
import { readdirSync, rmSync } from "node:fs";
import { randomBytes, randomUUID } from "node:crypto";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { runCli } from "../../app/cli/main";
import type { Database } from "../../app/db/database.server";
import { openPostgresDatabase } from "../../app/db/postgres.server";
import { openSqliteDatabase } from "../../app/db/sqlite.server";
import { signShopifyWebhook } from "../../app/webhooks/sign-webhook";
import {
  createTestPostgresDatabase,
  removeRedisPrefix,
  SQLITE_BACKEND,
  TEST_REDIS_URL,
  uniqueQueuePrefix,
  type E2eBackend,
  type TestPostgresDatabase,
} from "./backends";
import { createTestDatabaseFile } from "./database";
import { unreachableShopifyEnv, type ShopifyStandIn } from "./shopify-standin";

const PROJECT_ROOT = fileURLToPath(new URL("../..", import.meta.url));
const SERVER_ENTRY = path.join(PROJECT_ROOT, "server.mjs");
const WORKER_ENTRY = path.join(PROJECT_ROOT, "worker.mjs");

export const TEST_SHOPIFY_API_SECRET = "shpss_e2e_test_secret_0123456789";
export const TEST_JOINCHAT_API_SECRET = "joinchat-default-e2e-secret";

export interface AppProcessOptions {
  /** JOINCHAT_API_URL: the sandbox's (or a recorder's) push endpoint. */
  joinchatUrl: string;
  /** Extra or overriding environment variables of the app (strings). */
  env?: Record<string, string>;
  /** An existing database file; default a fresh migrated copy (SQLite only). */
  dbFile?: string;
  /** SQLite with the embedded worker (the default), or PostgreSQL with BullMQ and worker processes. */
  backend?: E2eBackend;
  /** Environment of the worker processes only, over `env`. */
  workerEnv?: Record<string, string>;
  /**
   * The Shopify stand-in the app's processes reach (through its proxy, trusting its CA); without one, every https
   * call of the app is refused at once.
   */
  shopify?: ShopifyStandIn;
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

/** One `npm run worker` process of the scale-out backend. */
export interface WorkerProcess {
  readonly pid: number;
  /** Its health port (WORKER_PORT: /healthz, /readyz). */
  readonly port: number;
  readonly running: boolean;
  /** Resolves with the exit code (null after a signal) when the process has exited. */
  readonly exited: Promise<number | null>;
  logs(): string;
  /** Sends a signal and waits for the process to exit (SIGKILL for a crash). */
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface AppProcess {
  readonly url: string;
  readonly port: number;
  readonly backend: E2eBackend;
  /** The SQLite file (SQLite backend only). */
  readonly dbFile: string;
  readonly databaseUrl: string;
  readonly env: Record<string, string>;
  /** Everything the app (web and workers) wrote to stdout and stderr, across restarts. */
  logs(): string;
  /** Whether the web process is running. */
  readonly running: boolean;
  /** The worker processes started and still running (scale-out backend). */
  readonly workers: WorkerProcess[];
  /** Starts one more worker process (scale-out backend); resolves when it answers /healthz. */
  startWorker(env?: Record<string, string>): Promise<WorkerProcess>;
  /** POST a signed webhook to /webhooks/<topic>. */
  sendWebhook(topic: string, shop: string, body: string, options?: SendOptions): Promise<HttpAnswer>;
  /** Any request to the app. */
  request(pathname: string, init?: { method?: string; headers?: Record<string, string>; body?: string | Buffer; chunked?: boolean }): Promise<HttpAnswer>;
  /** The operator CLI against the app's database. */
  cli(args: string[]): Promise<CliResult>;
  /**
   * `shop configure --shop <shop> --page-id <pageId> --secret <the sandbox's default> ...extra` (no default secret when
   * extra has --secret); throws when the CLI refuses.
   */
  configureShop(shop: string, extra?: string[], pageId?: string): Promise<string>;
  /** Sends a signal to the web process and every worker, and waits for them to exit (SIGKILL for a crash). */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Stops (SIGTERM) if running, then starts again (web and workers) on the same database and port. */
  restart(): Promise<void>;
  /** SIGTERM, then SIGKILL if it does not exit; closes the database handles; drops a PostgreSQL database and the queue's keys. */
  stop(): Promise<void>;
  /** The app's database through the app's own data access, on either backend. */
  readonly db: Database;
  /** Every table of the app's database (Prisma's bookkeeping left out). */
  tables(): Promise<string[]>;
  /** A connection to the app's database file, for reading what it stored (SQLite backend only). */
  openDb(): BetterSqlite3.Database;
  /** Synchronous reads of the SQLite file (SQLite backend only; use `db` on either). */
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

/** What the intake answers a webhook it took. */
export interface IntakeAnswer {
  ok: boolean;
  duplicate: boolean;
  pushes: number[];
}

/** POSTs a signed webhook and throws unless the app took it (200); the answer, with the intake's JSON as `intake`. */
export async function sendAccepted(
  app: AppProcess,
  topic: string,
  shop: string,
  body: string,
  webhookId?: string,
): Promise<HttpAnswer & { intake: IntakeAnswer }> {
  const res = await app.sendWebhook(topic, shop, body, { webhookId });
  if (res.status !== 200) throw new Error(`${topic} for ${shop} answered ${res.status}, not 200: ${res.text}`);
  return { ...res, intake: JSON.parse(res.text) as IntakeAnswer };
}

/** Polls `read` until it returns at least `count` rows (returned, all of them), or throws after `timeoutMs`. */
export function waitForRows<R>(read: () => Promise<R[]>, count: number, timeoutMs = 5_000): Promise<R[]> {
  return waitFor(
    async () => {
      const rows = await read();
      return rows.length >= count ? rows : null;
    },
    timeoutMs,
    `${count} rows`,
  );
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

interface Spawned {
  proc: ChildProcess;
  exited: Promise<number | null>;
  hasExited: () => boolean;
}

/** Starts `entry` and waits until it answers /healthz on `port`; a process that exits first is reported as such. */
async function spawnHealthy(entry: string, env: Record<string, string>, port: number, onOutput: (text: string) => void): Promise<Spawned | "exited"> {
  const proc = spawn(process.execPath, [entry], { cwd: PROJECT_ROOT, env: env as NodeJS.ProcessEnv, stdio: ["ignore", "pipe", "pipe"] });
  live.add(proc);
  proc.stdout?.on("data", (c: Buffer) => onOutput(c.toString("utf8")));
  proc.stderr?.on("data", (c: Buffer) => onOutput(c.toString("utf8")));
  let hasExited = false;
  const exited = new Promise<number | null>((resolve) => {
    proc.once("exit", (code) => {
      hasExited = true;
      live.delete(proc);
      resolve(code);
    });
  });
  const outcome = await waitFor(
    async () => {
      if (hasExited) return "exited" as const;
      const res = await httpRequest(`http://127.0.0.1:${port}/healthz`, { method: "GET" });
      return res.status === 200 ? ("healthy" as const) : null;
    },
    30_000,
    `${path.basename(entry)} to answer /healthz`,
  ).catch((error: Error) => {
    proc.kill("SIGKILL");
    throw error;
  });
  return outcome === "exited" ? "exited" : { proc, exited, hasExited: () => hasExited };
}

async function stopProcess(spawned: Spawned, signal: NodeJS.Signals): Promise<number | null> {
  if (spawned.hasExited()) return spawned.exited;
  spawned.proc.kill(signal);
  const timer = setTimeout(() => spawned.proc.kill("SIGKILL"), 15_000);
  const code = await spawned.exited;
  clearTimeout(timer);
  return code;
}

export async function startAppProcess(options: AppProcessOptions): Promise<AppProcess> {
  const backend = options.backend ?? SQLITE_BACKEND;
  let pgDatabase: TestPostgresDatabase | null = null;
  let dbFile = "";
  let databaseUrl: string;
  if (backend.kind === "postgres") {
    pgDatabase = await createTestPostgresDatabase();
    databaseUrl = pgDatabase.url;
  } else {
    dbFile = options.dbFile ?? (await freshDatabaseFile());
    databaseUrl = `file:${dbFile}`;
  }
  const queuePrefix = backend.kind === "postgres" && backend.queue === "bullmq" ? uniqueQueuePrefix() : null;
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
    JOINCHAT_TIMEOUT_MS: "5000",
    DATABASE_URL: databaseUrl,
    HOST: "127.0.0.1",
    PORT: String(port),
    LOG_LEVEL: "info",
    DELIVERY_RETRY_BASE_MS: "200",
    DELIVERY_RETRY_CAP_MS: "2000",
    // Shopify is the stand-in when the test gives one; else any call to Shopify fails at once instead of going to
    // the internet. Through Node's env proxy: the app has no setting of its own for where Shopify is.
    ...(options.shopify ? options.shopify.childEnv() : unreachableShopifyEnv()),
    SHOPIFY_ADMIN_API_TIMEOUT_MS: "500",
    ...(queuePrefix
      ? {
          QUEUE: "bullmq",
          REDIS_URL: TEST_REDIS_URL,
          QUEUE_PREFIX: queuePrefix,
          // A claim whose worker was killed comes back after this (the default is tens of seconds).
          DELIVERY_LEASE_MS: "8000",
          // How often a worker looks for pushes whose job Redis lost (and for retried ones).
          DELIVERY_POLL_MS: "500",
        }
      : {}),
    ...options.env,
  };
  let logs = "";
  let web: Spawned | null = null;
  const workers = new Set<{ handle: WorkerProcess; spawned: Spawned; env: Record<string, string> }>();
  let workerCount = 0;
  let db: Database | null = null;
  let sqlite: BetterSqlite3.Database | null = null;
  const url = `http://127.0.0.1:${port}`;
  const wantedWorkers = backend.kind === "postgres" && backend.queue === "bullmq" ? backend.workers : 0;

  /** Starts the server; a server that exits before it answers (a build being rewritten by another run) is started again. */
  async function spawnServer(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const outcome = await spawnHealthy(SERVER_ENTRY, env, port, (text) => (logs += text)).catch((error: Error) => {
        throw new Error(`${error.message}\n--- app output ---\n${logs}`);
      });
      if (outcome !== "exited") {
        web = outcome;
        void outcome.exited.then(() => {
          if (web === outcome) web = null;
        });
        return;
      }
      if (attempt >= 3) throw new Error(`the app exited before answering /healthz (${attempt} starts)\n--- app output ---\n${logs}`);
      await sleep(1_000);
    }
  }

  async function spawnWorker(extra: Record<string, string> = {}): Promise<WorkerProcess> {
    workerCount += 1;
    const name = `worker-${workerCount}`;
    let own = "";
    for (let attempt = 1; ; attempt++) {
      const workerPort = await freePort();
      const workerEnv = { ...env, ...options.workerEnv, ...extra, WORKER_PORT: String(workerPort) };
      const outcome = await spawnHealthy(WORKER_ENTRY, workerEnv, workerPort, (text) => {
        own += text;
        logs += text;
      }).catch((error: Error) => {
        throw new Error(`${name}: ${error.message}\n--- worker output ---\n${own}`);
      });
      if (outcome === "exited") {
        if (attempt >= 3) throw new Error(`${name} exited before answering /healthz\n--- worker output ---\n${own}`);
        await sleep(1_000);
        continue;
      }
      const handle: WorkerProcess = {
        pid: outcome.proc.pid ?? 0,
        port: workerPort,
        get running() {
          return !outcome.hasExited();
        },
        exited: outcome.exited,
        logs: () => own,
        kill: (signal = "SIGTERM") => stopProcess(outcome, signal),
      };
      const entry = { handle, spawned: outcome, env: extra };
      workers.add(entry);
      void outcome.exited.then(() => workers.delete(entry));
      return handle;
    }
  }

  async function startAll(): Promise<void> {
    await spawnServer();
    await Promise.all(Array.from({ length: wantedWorkers }, () => spawnWorker()));
  }

  async function kill(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    const running = [...(web ? [web] : []), ...[...workers].map((w) => w.spawned)];
    await Promise.all(running.map((p) => stopProcess(p, signal)));
    web = null;
  }

  function openDb(): BetterSqlite3.Database {
    if (backend.kind !== "sqlite") throw new Error("openDb() reads the SQLite file: use app.db on PostgreSQL");
    const conn = new BetterSqlite3(dbFile, { fileMustExist: true, timeout: 5000 });
    conn.defaultSafeIntegers(false);
    return conn;
  }

  function conn(): BetterSqlite3.Database {
    sqlite ??= openDb();
    return sqlite;
  }

  function database(): Database {
    db ??=
      backend.kind === "postgres"
        ? openPostgresDatabase(databaseUrl, { max: 4, applicationName: "joinchat-push e2e test" })
        : openSqliteDatabase(dbFile, { synchronous: "NORMAL" });
    return db;
  }

  const cliEnv = {
    DATABASE_URL: databaseUrl,
    ENCRYPTION_KEY: env.ENCRYPTION_KEY,
    SHOPIFY_API_SECRET: env.SHOPIFY_API_SECRET,
    SHOPIFY_APP_URL: env.SHOPIFY_APP_URL,
    // `products sync` reaches Shopify with the app's credentials (a test routes its fetches to the stand-in).
    SHOPIFY_API_KEY: env.SHOPIFY_API_KEY,
    PORT: String(port),
    // `shop configure` lets the notices be turned on only where the app can send them.
    JOINCHAT_SEND_API_URL: env.JOINCHAT_SEND_API_URL,
  };

  async function dispose(): Promise<void> {
    sqlite?.close();
    sqlite = null;
    await db?.close();
    db = null;
    await pgDatabase?.drop();
    pgDatabase = null;
    if (queuePrefix) await removeRedisPrefix(queuePrefix);
  }

  try {
    await startAll();
  } catch (error) {
    await kill("SIGKILL");
    await dispose().catch(() => {});
    throw error;
  }

  const app: AppProcess = {
    url,
    port,
    backend,
    dbFile,
    databaseUrl,
    env,
    logs: () => logs,
    get running() {
      return web !== null && !web.hasExited();
    },
    get workers() {
      return [...workers].map((w) => w.handle);
    },
    startWorker: (extra) => spawnWorker(extra),
    async sendWebhook(topic, shop, body, opts = {}) {
      const webhookId = opts.webhookId ?? randomUUID();
      const signed = signShopifyWebhook({ body, secret: opts.secret ?? TEST_SHOPIFY_API_SECRET, topic, shop, webhookId });
      const headers: Record<string, string> = { ...signed };
      for (const [name, value] of Object.entries(opts.headers ?? {})) {
        delete headers[name.toLowerCase()];
        if (value !== null) headers[name.toLowerCase()] = value;
      }
      return httpRequest(`${url}${opts.path ?? `/webhooks/${topic}`}`, {
        method: opts.method ?? "POST",
        headers,
        body: opts.method === "GET" ? undefined : body,
      });
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
      // One page, one secret: the shop's own (the sandbox's default unless the test gives another).
      const secret = extra.includes("--secret") ? [] : ["--secret", TEST_JOINCHAT_API_SECRET];
      const result = await app.cli(["shop", "configure", "--shop", shop, "--page-id", pageId, ...secret, ...extra]);
      if (result.code !== 0) throw new Error(`shop configure failed (${result.code}): ${result.output}`);
      return result.output;
    },
    kill,
    async restart() {
      const workerEnvs = [...workers].map((w) => w.env);
      await kill("SIGTERM");
      await spawnServer();
      // The workers that ran before, or the backend's number when they were killed.
      const again = workerEnvs.length > 0 ? workerEnvs : Array.from({ length: wantedWorkers }, () => ({}));
      await Promise.all(again.map((extra) => spawnWorker(extra)));
    },
    async stop() {
      await kill("SIGTERM");
      await dispose();
    },
    get db() {
      return database();
    },
    async tables() {
      const rows =
        backend.kind === "postgres"
          ? await database().all<{ name: string }>(
              "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
            )
          : await database().all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'");
      return rows.map((r) => r.name).filter((name) => !name.startsWith("_prisma"));
    },
    openDb,
    all<T>(sql: string, ...params: unknown[]) {
      return conn()
        .prepare(sql)
        .all(...params) as T[];
    },
    get<T>(sql: string, ...params: unknown[]) {
      return conn()
        .prepare(sql)
        .get(...params) as T | undefined;
    },
  };
  return app;
}

let shopCounter = 0;

/** A shop domain of its own for each test, so that tests sharing a server never see each other's rows. */
/** An offline session as the Shopify library stores it after install (no OAuth in tests), with `scope`. */
export async function installSession(app: AppProcess, shop: string, scope = "read_orders"): Promise<void> {
  await app.db.run(`INSERT INTO "Session" ("id", "shop", "state", "isOnline", "scope", "accessToken") VALUES (?, ?, ?, false, ?, ?)`, [
    `offline_${shop}`,
    shop,
    "installed",
    scope,
    `shpat_${randomBytes(8).toString("hex")}`,
  ]);
}

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

export function pushesOf(app: AppProcess, shop: string): Promise<PushRecord[]> {
  return app.db.all<PushRecord>("SELECT * FROM push WHERE shop = ? ORDER BY id", [shop]);
}

export function attemptsOf(app: AppProcess, pushId: number): Promise<AttemptRecord[]> {
  return app.db.all<AttemptRecord>("SELECT * FROM push_attempt WHERE push_id = ? ORDER BY number", [pushId]);
}

/** Waits until no push of the shop is queued, retrying or being sent; returns them all. */
export function waitForSettled(app: AppProcess, shop: string, timeoutMs = 20_000): Promise<PushRecord[]> {
  return waitFor(
    async () => {
      const rows = await pushesOf(app, shop);
      return rows.every((p) => !["queued", "retrying", "sending"].includes(p.status)) ? rows : null;
    },
    timeoutMs,
    `the pushes of ${shop} to settle`,
  );
}
