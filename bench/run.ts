// npm run bench: the production build on this machine, side by side with the floor, in one run.
// Writes bench/results/latest.json and docs/benchmarks.md. Not part of the tests.
//
//   npm run bench -- [--n 5000] [--duration 8] [--connections 1,32,128] [--history 1000,10000,100000] [--quick]
//                    [--note "text for docs/benchmarks.md"] [--skip-build]
//   npm run bench -- --delivery-only [--delivery-rows four-shops,one-shop,fairness,flash-sale,429,scale] [--quick]
//     (issue 14's delivery rows alone, printed as JSON, nothing written: for working on delivery)
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { createHmac, randomBytes, randomUUID } from "node:crypto";
import { copyFileSync, createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import Database from "better-sqlite3";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import pg from "pg";
import { runCli } from "../app/cli/main";
import { DELIVERY_QUEUE_NAME } from "../app/delivery/bullmq.server";
import { readShopifyFixture } from "../test/fixtures/shopify-fixtures";
import { removeRedisPrefix } from "../test/helpers/backends";

const { values: args } = parseArgs({
  options: {
    n: { type: "string", default: "5000" },
    duration: { type: "string", default: "8" },
    connections: { type: "string", default: "1,32,128" },
    history: { type: "string", default: "1000,10000,100000" },
    quick: { type: "boolean", default: false },
    // Only the customer-lookup phase, printed, nothing written (a quick look while working on lookups).
    "lookups-only": { type: "boolean", default: false },
    // Only the end-to-end phase (intake and delivery together, then delivery alone against its floor), printed.
    "end-to-end-only": { type: "boolean", default: false },
    // Only the history phase (intake and delivery with --history pushes already stored), printed.
    "history-only": { type: "boolean", default: false },
    // Only issue 14's delivery rows (all, or those named), printed, nothing written.
    "delivery-only": { type: "boolean", default: false },
    "delivery-rows": { type: "string", default: "four-shops,one-shop,fairness,flash-sale,429,scale" },
    // Reuse the production build in build/ (when iterating; a full run builds).
    "skip-build": { type: "boolean", default: false },
    // A sentence for docs/benchmarks.md about the conditions of this run (e.g. other work on the machine).
    note: { type: "string", default: "" },
  },
});
const DELIVERY_ROWS = new Set(args["delivery-rows"].split(",").map((r) => r.trim()));
for (const row of DELIVERY_ROWS) {
  if (!["four-shops", "one-shop", "fairness", "flash-sale", "429", "scale"].includes(row)) throw new Error(`unknown --delivery-rows entry ${row}`);
}
const QUICK = args.quick;
const N = QUICK ? 1000 : Number(args.n);
const DURATION = QUICK ? 3 : Number(args.duration);
const CONNECTIONS = args.connections.split(",").map(Number);
const HISTORY = (QUICK ? "1000,10000" : args.history).split(",").map(Number);
/** Pushes delivered at each history size. */
const HISTORY_DRAIN = 3000;
const SHOP = "bench-shop.myshopify.com";
const PAGE_ID = "407898491811542";
// Issue 14's rows: four shops of one size, and a small shop next to a flash sale; each its own Facebook page.
const FOUR_SHOPS = [SHOP, "bench-shop-2.myshopify.com", "bench-shop-3.myshopify.com", "bench-shop-4.myshopify.com"];
const SMALL_SHOP = "bench-small-shop.myshopify.com";
const PAGE_IDS = new Map([...FOUR_SHOPS, SMALL_SHOP].map((shop, i) => [shop, String(BigInt(PAGE_ID) + BigInt(i))]));
const pageIdOf = (shop: string) => PAGE_IDS.get(shop) ?? PAGE_ID;
const SHOPIFY_SECRET = randomBytes(24).toString("hex");
const JOINCHAT_SECRET = randomBytes(18).toString("base64url");
// Each shop's JoinChat API secret is stored with the shop (encrypted with this key), as a multi-shop app keeps them.
const ENCRYPTION_KEY = randomBytes(32).toString("base64");
const DELIVERY_CONCURRENCY = 16;
const work = mkdtempSync(path.join(os.tmpdir(), "joinchat-bench-"));
const log = (line: string) => process.stdout.write(`${line}\n`);

// ---------------------------------------------------------------------------------------------- processes

interface Server {
  proc: ChildProcess;
  port: number;
  url: string;
  /** Named groups of the line that said the process is ready. */
  groups: Record<string, string | undefined>;
  /** Peak resident memory of the process so far, in MB (VmHWM). */
  peakRssMb(): number;
  /** CPU time the process has used so far (user + system), in seconds. */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

function startProcess(command: string, argv: string[], env: NodeJS.ProcessEnv, ready: RegExp): Promise<Server> {
  const proc = spawn(command, argv, { env, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  proc.stderr!.on("data", (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
  // BENCH_LOG_DIR: every process's output kept in a file of its own, to look into a slow or stuck row.
  if (process.env.BENCH_LOG_DIR) {
    const file = createWriteStream(path.join(process.env.BENCH_LOG_DIR, `${path.basename(argv[0])}-${Date.now()}-${proc.pid}.log`));
    proc.stdout!.on("data", (c: Buffer) => file.write(c));
    proc.stderr!.on("data", (c: Buffer) => file.write(c));
    proc.once("exit", () => file.end());
  }
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`${argv.join(" ")} did not start: ${stderr}`)), 60_000);
    proc.once("exit", (code) => reject(new Error(`${argv.join(" ")} exited with ${code}: ${stderr}`)));
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const match = ready.exec(out);
      if (!match) return;
      clearTimeout(timer);
      proc.stdout!.off("data", onData);
      proc.stdout!.resume();
      const port = Number(match.groups?.port ?? 0);
      resolve({
        proc,
        port,
        url: match.groups?.url ?? `http://127.0.0.1:${port}`,
        groups: { ...match.groups },
        peakRssMb() {
          try {
            const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${proc.pid}/status`, "utf8"))?.[1];
            return kb ? Math.round(Number(kb) / 1024) : 0;
          } catch {
            return 0;
          }
        },
        cpuSeconds() {
          try {
            // /proc/<pid>/stat: fields 14 and 15 (utime, stime) in clock ticks, after the command's parenthesis.
            const fields = readFileSync(`/proc/${proc.pid}/stat`, "utf8").split(") ")[1].split(" ");
            return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
          } catch {
            return 0;
          }
        },
        stop: () =>
          new Promise<void>((done) => {
            if (proc.exitCode !== null) return done();
            proc.once("exit", () => done());
            proc.kill("SIGTERM");
          }),
      });
    };
    proc.stdout!.on("data", onData);
  });
}

const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

const node = (file: string, argv: string[] = [], env: NodeJS.ProcessEnv = process.env) =>
  execFileSync(process.execPath, [file, ...argv], { env, stdio: ["ignore", "ignore", "inherit"] });

let templateDb = "";

/** A fresh copy of a database migrated by `npm run setup`'s own script. */
function freshDatabase(name: string): string {
  if (!templateDb) {
    templateDb = path.join(work, "template.sqlite");
    node("scripts/setup.mjs", ["--quiet"], { ...process.env, DATABASE_URL: `file:${templateDb}` });
    new Database(templateDb).pragma("wal_checkpoint(TRUNCATE)");
  }
  const file = path.join(work, `${name}.sqlite`);
  copyFileSync(templateDb, file);
  return file;
}

/** A database's URL: a SQLite file's path, or already a postgres:// URL. */
const urlOf = (db: string) => (db.startsWith("postgres") ? db : `file:${db}`);

function appEnv(db: string, joinchatUrl: string, worker: boolean, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    NODE_ENV: "production",
    DATABASE_URL: urlOf(db),
    SHOPIFY_API_KEY: "bench",
    SHOPIFY_API_SECRET: SHOPIFY_SECRET,
    SHOPIFY_APP_URL: "https://bench.example.com",
    ENCRYPTION_KEY,
    JOINCHAT_API_URL: joinchatUrl,
    DELIVERY_CONCURRENCY: String(DELIVERY_CONCURRENCY),
    // One shop here: let it use every lane, as the floor does (the per-shop limit protects many shops from one).
    DELIVERY_SHOP_CONCURRENCY: String(DELIVERY_CONCURRENCY),
    DELIVERY_WORKER: worker ? "on" : "off",
    HOST: "127.0.0.1",
    PORT: "0",
    LOG_LEVEL: "warn",
    ...extra,
  };
}

async function startApp(db: string, joinchatUrl: string, worker: boolean, extra: Record<string, string | undefined> = {}): Promise<Server> {
  // The app logs its port at info (the production default), which is where the run reads it.
  const env = { ...appEnv(db, joinchatUrl, worker, extra), LOG_LEVEL: "info" };
  return startProcess(process.execPath, ["server.mjs"], env, /"msg":"app listening","port":(?<port>\d+)/);
}

async function configureShop(db: string, shop = SHOP): Promise<void> {
  const out: string[] = [];
  const code = await runCli(["shop", "configure", "--shop", shop, "--page-id", pageIdOf(shop), "--secret", JOINCHAT_SECRET], {
    out: (l) => out.push(l),
    env: { DATABASE_URL: urlOf(db), ENCRYPTION_KEY },
  });
  if (code !== 0) throw new Error(out.join("\n"));
}

/** The JoinChat sandbox in its own process; `record` keeps each push's arrival (served at the `arrivals` URL). */
const startSandbox = (record = false) =>
  startProcess(
    path.join("node_modules", ".bin", "tsx"),
    ["bench/sandbox-server.ts", JOINCHAT_SECRET, ...(record ? ["--record"] : [])],
    process.env,
    /sandbox listening (?<url>http:\/\/127\.0\.0\.1:(?<port>\d+)\/\S*)(?: arrivals (?<arrivals>\S+))?\n/,
  );

async function sandboxAccepted(sandbox: Server): Promise<number> {
  const base = new URL(sandbox.url).origin;
  const stats = (await (await fetch(`${base}/_sandbox/stats`)).json()) as { accepted: number };
  return stats.accepted;
}

async function resetSandbox(sandbox: Server): Promise<void> {
  await fetch(`${new URL(sandbox.url).origin}/_sandbox/reset`, { method: "POST" });
}

// ---------------------------------------------------------------------------------------------- load

/**
 * A real-sized order: the project's paid orders/create fixture, made unique per request by its gid and name. The
 * text is edited in place, never re-serialized, so its long ids keep every digit as Shopify writes them.
 */
function orderTemplate(): string {
  const text = readShopifyFixture("orders/create");
  const order = JSON.parse(text) as { admin_graphql_api_id: string; name: string };
  let template = text;
  for (const [member, placeholder] of [
    [`"admin_graphql_api_id": ${JSON.stringify(order.admin_graphql_api_id)}`, '"admin_graphql_api_id": "__GID__"'],
    [`"name": ${JSON.stringify(order.name)}`, '"name": "__NAME__"'],
  ]) {
    if (template.split(member).length !== 2) throw new Error(`the orders/create fixture must hold ${member} exactly once`);
    template = template.replace(member, placeholder);
  }
  return template;
}

const TEMPLATE = orderTemplate();
const ORDER_KB = (Buffer.byteLength(TEMPLATE) / 1024).toFixed(0);
let sequence = 0;

function nextWebhook(shop = SHOP): { body: string; headers: Record<string, string>; name: string } {
  sequence += 1;
  const name = `#B${sequence}`;
  const body = TEMPLATE.replace("__GID__", `gid://shopify/Order/${9_000_000_000 + sequence}`).replace("__NAME__", name);
  return {
    name,
    body,
    headers: {
      "content-type": "application/json",
      "x-shopify-hmac-sha256": createHmac("sha256", SHOPIFY_SECRET).update(body).digest("base64"),
      "x-shopify-topic": "orders/create",
      "x-shopify-shop-domain": shop,
      "x-shopify-api-version": "2026-04",
      "x-shopify-webhook-id": randomUUID(),
    },
  };
}

interface LoadResult {
  connections: number;
  seconds: number;
  accepted: number;
  perSecond: number;
  p50: number;
  p99: number;
  max: number;
  errors: number;
}

async function load(port: number, connections: number, opts: { duration?: number; amount?: number; shops?: string[] }): Promise<LoadResult> {
  const shops = opts.shops ?? [SHOP];
  let turn = 0;
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    ...(opts.amount ? { amount: opts.amount } : { duration: opts.duration }),
    requests: [
      {
        method: "POST",
        path: "/webhooks/orders/create",
        setupRequest: (req: Record<string, unknown>) => {
          const { body, headers } = nextWebhook(shops[turn++ % shops.length]);
          return Object.assign(req, { body, headers });
        },
      },
    ],
  });
  const accepted = result["2xx"];
  return {
    connections,
    seconds: result.duration,
    accepted,
    perSecond: Math.round(accepted / result.duration),
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
    errors: result.errors + result.timeouts + result.non2xx,
  };
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 25));
  }
}

// ---------------------------------------------------------------------------------------------- phases

async function measureIntake(sandbox: Server) {
  const rows = [];
  let peakRssMb = 0;
  for (const connections of CONNECTIONS) {
    const dbFile = freshDatabase(`intake-${connections}`);
    await configureShop(dbFile);
    // Intake alone: the web process records and answers; delivery is measured on its own below.
    const app = await startApp(dbFile, sandbox.url, false);
    const appResult = await load(app.port, connections, { duration: DURATION });
    peakRssMb = Math.max(peakRssMb, app.peakRssMb());
    await app.stop();

    const floorDb = path.join(work, `floor-${connections}.sqlite`);
    const floor = await startProcess(process.execPath, ["bench/floor-server.mjs", floorDb, SHOPIFY_SECRET], process.env, /floor listening (?<port>\d+)/);
    const floorResult = await load(floor.port, connections, { duration: DURATION });
    await floor.stop();
    const row = { connections, app: appResult, floor: floorResult, ratio: round(appResult.perSecond / floorResult.perSecond) };
    log(
      `intake  c=${connections}: app ${appResult.perSecond}/s p99 ${appResult.p99} ms, floor ${floorResult.perSecond}/s p99 ${floorResult.p99} ms, ratio ${row.ratio}`,
    );
    rows.push(row);
  }
  return { rows, peakRssMb };
}

/** Stores `count` orders with the worker off, then starts the worker and times until JoinChat has them all. */
async function measureDrain(sandbox: Server, dbFile: string, count: number) {
  const taker = await startApp(dbFile, sandbox.url, false);
  const intake = await load(taker.port, 32, { amount: count });
  await taker.stop();
  if (intake.accepted !== count) throw new Error(`only ${intake.accepted} of ${count} webhooks were accepted`);
  await resetSandbox(sandbox);
  const app = await startApp(dbFile, sandbox.url, true);
  // The clock starts when the process is up (its start-up is not delivery); what it sent before counts out.
  const started = performance.now();
  const before = await sandboxAccepted(sandbox);
  await waitUntil(async () => (await sandboxAccepted(sandbox)) >= count, 600_000);
  const seconds = (performance.now() - started) / 1000;
  const peakRssMb = app.peakRssMb();
  await app.stop();
  return { pushes: count, seconds: round(seconds), perSecond: Math.round((count - before) / seconds), peakRssMb, intake };
}

async function measureEndToEnd(sandbox: Server) {
  // Intake and delivery together: N orders sent at 32 connections, timed until the last push reaches JoinChat.
  const dbFile = freshDatabase("e2e");
  await configureShop(dbFile);
  await resetSandbox(sandbox);
  const app = await startApp(dbFile, sandbox.url, true);
  const started = performance.now();
  const intake = await load(app.port, 32, { amount: N });
  const intakeSeconds = (performance.now() - started) / 1000;
  await waitUntil(async () => (await sandboxAccepted(sandbox)) >= N, 600_000);
  const seconds = (performance.now() - started) / 1000;
  const together = {
    orders: N,
    intakeSeconds: round(intakeSeconds),
    lastPushAfterSeconds: round(seconds),
    pushesPerSecond: Math.round(N / seconds),
    peakRssMb: app.peakRssMb(),
    intakeErrors: intake.errors,
  };
  await app.stop();
  log(`e2e     ${N} orders: last push after ${together.lastPushAfterSeconds} s (${together.pushesPerSecond}/s), peak RSS ${together.peakRssMb} MB`);

  // Delivery alone, and its floor: the very bodies the app sent, signed and posted by a bare loop.
  const drainDb = freshDatabase("drain");
  await configureShop(drainDb);
  const drain = await measureDrain(sandbox, drainDb, N);
  const bodies = new Database(drainDb, { readonly: true })
    .prepare("SELECT body FROM push WHERE status = 'delivered' AND body IS NOT NULL")
    .pluck()
    .all() as string[];
  const bodiesFile = path.join(work, "bodies.jsonl");
  writeFileSync(bodiesFile, bodies.join("\n"));
  await resetSandbox(sandbox);
  const floorOut = execFileSync(process.execPath, [
    "bench/delivery-floor.mjs",
    bodiesFile,
    sandbox.url,
    JOINCHAT_SECRET,
    SHOP,
    String(DELIVERY_CONCURRENCY),
  ]).toString();
  const floor = JSON.parse(floorOut) as { pushes: number; failed: number; seconds: number; perSecond: number };
  const delivery = {
    app: { pushes: drain.pushes, seconds: drain.seconds, perSecond: drain.perSecond, peakRssMb: drain.peakRssMb },
    floor: { pushes: floor.pushes, failed: floor.failed, seconds: round(floor.seconds), perSecond: Math.round(floor.perSecond) },
    ratio: round(drain.perSecond / floor.perSecond),
  };
  log(`deliver ${N} pushes: app ${delivery.app.perSecond}/s, floor ${delivery.floor.perSecond}/s, ratio ${delivery.ratio}`);
  return { together, delivery };
}

/** Pushes already delivered, as months of history would leave them. */
function seedHistory(dbFile: string, count: number): void {
  const db = new Database(dbFile);
  const now = Date.now();
  const insertPush = db.prepare(
    `INSERT INTO push (shop, topic, business_key, idempotency_key, status, order_gid, order_name, recipient_kind, recipient_value,
       params, product_gids, body, test, due_at, attempts, first_attempt_at, recipient_id, delivered_at, created_at, updated_at)
     VALUES (?, 'Order/Receipt', ?, ?, 'delivered', ?, ?, 'email', ?, '{}', '[]', ?, 0, ?, 1, ?, '1602407863220595', ?, ?, ?)`,
  );
  const insertAttempt = db.prepare(
    "INSERT INTO push_attempt (push_id, number, started_at, duration_ms, http_status, outcome, answer) VALUES (?, 1, ?, 12, 200, 'delivered', ?)",
  );
  const body = TEMPLATE.slice(0, 3000);
  db.transaction(() => {
    for (let i = 0; i < count; i++) {
      const t = now - (count - i) * 1000;
      const gid = `gid://shopify/Order/${1_000_000_000 + i}`;
      const { lastInsertRowid } = insertPush.run(SHOP, `receipt:${gid}`, randomUUID(), gid, `#H${i}`, `buyer${i}@example.com`, body, t, t, t, t, t);
      insertAttempt.run(lastInsertRowid, t, '{"success":true,"recipient_id":"1602407863220595"}');
    }
  })();
  db.close();
}

async function measureHistory(sandbox: Server) {
  const rows = [];
  for (const stored of HISTORY) {
    const dbFile = freshDatabase(`history-${stored}`);
    await configureShop(dbFile);
    seedHistory(dbFile, stored);
    const app = await startApp(dbFile, sandbox.url, false);
    const intake = await load(app.port, 32, { duration: Math.max(3, Math.round(DURATION / 2)) });
    await app.stop();
    // 3,000 pushes: a drain of 1,000 lasts about 2 s, and its rate then varied ±10 % from run to run by itself.
    const drain = await measureDrain(sandbox, dbFile, HISTORY_DRAIN);
    rows.push({ storedPushes: stored, intakePerSecond: intake.perSecond, intakeP99: intake.p99, deliveryPerSecond: drain.perSecond });
    log(`history ${stored} stored: intake ${intake.perSecond}/s p99 ${intake.p99} ms, delivery ${drain.perSecond}/s`);
  }
  const base = rows[0];
  return rows.map((r) => ({
    ...r,
    intakeChange: round(r.intakePerSecond / base.intakePerSecond - 1),
    deliveryChange: round(r.deliveryPerSecond / base.deliveryPerSecond - 1),
  }));
}

// ---------------------------------------------------------------------------------------------- scale path

// Customer lookups (issue 15, decision 019): signed JoinChat lookups at 50 connections while webhooks are taken.
const LOOKUP_CONNECTIONS = 50;

async function measureLookups(sandbox: Server) {
  const dbFile = freshDatabase("lookups");
  await configureShop(dbFile);
  // One shop, one looked-up account: the rate limits (which protect buyers from enumeration) out of the way.
  const app = await startApp(dbFile, sandbox.url, true, { LOOKUP_RATE_PER_SHOP_PER_MINUTE: "100000000", LOOKUP_RATE_PER_IDENTIFIER_PER_HOUR: "100000000" });
  try {
    // Orders of one buyer to list (the fixture's email), taken through the webhooks like any other.
    const seeded = await load(app.port, 32, { amount: QUICK ? 200 : 1000 });
    const out: string[] = [];
    const code = await runCli(["shop", "show", "--shop", SHOP, "--json"], {
      out: (l) => out.push(l),
      env: { DATABASE_URL: urlOf(dbFile), SHOPIFY_APP_URL: "https://bench.example.com" },
    });
    if (code !== 0) throw new Error(out.join("\n"));
    const lookupPath = new URL((JSON.parse(out.join("\n")) as { lookupUrl: string }).lookupUrl).pathname;
    const email = (JSON.parse(TEMPLATE.replace("__GID__", "x").replace("__NAME__", "x")) as { email: string }).email;
    const body = JSON.stringify({ method: "orders", params: { user_account: email, filter: "open" }, pagination: { page: 1, limit: 3 } });
    const signature = createHmac("sha256", JOINCHAT_SECRET).update(body).digest("base64");
    const [lookups, webhooks] = await Promise.all([
      autocannon({
        url: `http://127.0.0.1:${app.port}`,
        connections: LOOKUP_CONNECTIONS,
        duration: DURATION,
        requests: [
          {
            method: "POST",
            path: lookupPath,
            setupRequest: (req: Record<string, unknown>) =>
              Object.assign(req, { body, headers: { "content-type": "application/json", "x-joinchat-signature": signature } }),
          },
        ],
      }),
      load(app.port, 32, { duration: DURATION }),
    ]);
    const result = {
      orders: seeded.accepted,
      connections: LOOKUP_CONNECTIONS,
      perSecond: Math.round(lookups["2xx"] / lookups.duration),
      p50: lookups.latency.p50,
      p99: lookups.latency.p99,
      max: lookups.latency.max,
      errors: lookups.errors + lookups.timeouts + lookups.non2xx,
      webhooksPerSecond: webhooks.perSecond,
      webhookErrors: webhooks.errors,
    };
    log(
      `lookups c=${LOOKUP_CONNECTIONS}: ${result.perSecond}/s p50 ${result.p50} p99 ${result.p99} ms, errors ${result.errors}; webhooks meanwhile ${result.webhooksPerSecond}/s`,
    );
    return result;
  } finally {
    await app.stop();
  }
}

const BENCH_DATABASE_URL = process.env.BENCH_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const BENCH_REDIS_URL = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379";

async function scaleServersReachable(): Promise<string | null> {
  const client = new pg.Client({ connectionString: BENCH_DATABASE_URL, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.end();
  } catch (error) {
    return `PostgreSQL at ${BENCH_DATABASE_URL}: ${(error as Error).message}`;
  }
  const redis = new Redis(BENCH_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 3_000 });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    return `Redis at ${BENCH_REDIS_URL}: ${(error as Error).message}`;
  } finally {
    redis.disconnect();
  }
  return null;
}

/** A PostgreSQL database of its own, created and migrated by `npm run setup`'s script; and how to drop it. */
function createBenchDatabase(): { url: string; drop: () => Promise<void> } {
  const name = `joinchat_bench_${randomBytes(4).toString("hex")}`;
  const url = new URL(BENCH_DATABASE_URL);
  url.pathname = `/${name}`;
  node("scripts/setup.mjs", ["--quiet"], { ...process.env, DATABASE_URL: url.toString() });
  return {
    url: url.toString(),
    async drop() {
      const admin = new pg.Client({ connectionString: BENCH_DATABASE_URL });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
      await admin.end();
    },
  };
}

/** PostgreSQL with BullMQ: web intake (it records and enqueues), then N orders end to end with 1, 2 and 4 workers. */
async function measureScalePath(sandbox: Server) {
  const unreachable = await scaleServersReachable();
  if (unreachable) {
    log(`scale   skipped: ${unreachable}`);
    return { skipped: unreachable, intake: null, workers: [] };
  }
  const run = async <T>(fn: (db: string, extra: Record<string, string | undefined>) => Promise<T>): Promise<T> => {
    const db = createBenchDatabase();
    const prefix = `joinchat-bench-${randomBytes(4).toString("hex")}`;
    try {
      await configureShop(db.url);
      return await fn(db.url, { QUEUE: "bullmq", REDIS_URL: BENCH_REDIS_URL, QUEUE_PREFIX: prefix });
    } finally {
      await db.drop();
      await removeRedisPrefix(prefix, BENCH_REDIS_URL);
    }
  };

  const intake = await run(async (db, extra) => {
    const web = await startApp(db, sandbox.url, false, extra);
    const result = await load(web.port, 32, { duration: DURATION });
    await web.stop();
    return { ...result, peakRssMb: web.peakRssMb() };
  });
  log(`scale   intake c=32 (PostgreSQL, enqueue to BullMQ): ${intake.perSecond}/s p99 ${intake.p99} ms`);

  const workers = [];
  for (const count of [1, 2, 4]) {
    const row = await run(async (db, extra) => {
      await resetSandbox(sandbox);
      const web = await startApp(db, sandbox.url, false, extra);
      const env = { ...appEnv(db, sandbox.url, true, extra), LOG_LEVEL: "info", WORKER_PORT: undefined };
      const fleet = await Promise.all(Array.from({ length: count }, () => startProcess(process.execPath, ["worker.mjs"], env, /"msg":"worker started"/)));
      const started = performance.now();
      const sent = await load(web.port, 32, { amount: N });
      await waitUntil(async () => (await sandboxAccepted(sandbox)) >= N, 600_000);
      const seconds = (performance.now() - started) / 1000;
      const peakRssMb = Math.max(...fleet.map((w) => w.peakRssMb()));
      await Promise.all([web.stop(), ...fleet.map((w) => w.stop())]);
      return {
        workers: count,
        orders: N,
        lastPushAfterSeconds: round(seconds),
        pushesPerSecond: Math.round(N / seconds),
        intakeErrors: sent.errors,
        workerPeakRssMb: peakRssMb,
      };
    });
    log(`scale   ${count} worker(s): ${N} orders, last push after ${row.lastPushAfterSeconds} s (${row.pushesPerSecond}/s)`);
    workers.push(row);
  }
  return { skipped: null, intake, workers };
}

// ---------------------------------------------------------------------------------------------- delivery at latency

// Issue 14 (decision 015): delivery when JoinChat answers as slowly as Messenger does, with the app's defaults
// (DELIVERY_CONCURRENCY and DELIVERY_SHOP_CONCURRENCY as a merchant base gets them, not the 16 of the rows above).
// These rows use a second sandbox that records each push's arrival, so every order's delay can be read.
const DEFAULTS = { DELIVERY_CONCURRENCY: undefined, DELIVERY_SHOP_CONCURRENCY: undefined };
const LATENCY_MS = 300;
const SCALE_LATENCY_MS = 1000;
const DRAIN_ORDERS = QUICK ? 1000 : 2000;
const FLASH_RATE = 75;
const FLASH_SECONDS = QUICK ? 15 : 60;
const SMALL_ORDERS = 20;
const THROTTLE_ORDERS = QUICK ? 2500 : 5000;
const THROTTLE_MS = QUICK ? 5_000 : 10_000;
const SCALE_ORDERS = QUICK ? 1000 : 4000;

/**
 * How busy a stretch of time kept the machine and some processes: call it at the start, and the function it returns
 * at the end. Machine: the share of all cores not idle (/proc/stat). Processes: the cores they used, on average.
 */
function cpuMeter(processes: Server[]) {
  const machineTicks = () => {
    const [, ...ticks] = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).map(Number);
    const idle = ticks[3] + (ticks[4] ?? 0);
    return { busy: ticks.reduce((a, b) => a + b, 0) - idle, all: ticks.reduce((a, b) => a + b, 0) };
  };
  const m0 = machineTicks();
  const p0 = processes.reduce((sum, p) => sum + p.cpuSeconds(), 0);
  const t0 = performance.now();
  return () => {
    const m1 = machineTicks();
    const seconds = (performance.now() - t0) / 1000;
    return {
      machineBusy: round((m1.busy - m0.busy) / Math.max(1, m1.all - m0.all)),
      appCores: round((processes.reduce((sum, p) => sum + p.cpuSeconds(), 0) - p0) / seconds),
    };
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const controlUrl = (sandbox: Server, what: string) => `${new URL(sandbox.url).origin}/_sandbox/${what}`;

async function control(sandbox: Server, what: string, body?: unknown): Promise<void> {
  const res = await fetch(controlUrl(sandbox, what), { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body ?? {}) });
  if (!res.ok) throw new Error(`sandbox ${what}: ${res.status} ${await res.text()}`);
}

const receiptKey = (shop: string, name: string) => `receipt:${shop}:${pageIdOf(shop)}:${name}`;

/** When each push first reached JoinChat (its arrival, before JoinChat's latency), by business key. */
async function arrivals(sandbox: Server): Promise<Map<string, number>> {
  const rows = (await (await fetch(sandbox.groups.arrivals!)).json()) as [string, number][];
  const first = new Map<string, number>();
  for (const [key, at] of rows) if (!first.has(key) || first.get(key)! > at) first.set(key, at);
  return first;
}

/** Pushes accepted so far (replays left out). */
async function arrivedCount(sandbox: Server): Promise<number> {
  return Number(await (await fetch(`${sandbox.groups.arrivals!}/count`)).text());
}

/** Polls until `check` holds; false (not a throw) when the time is up. */
async function waitFor(check: () => Promise<boolean>, timeoutMs: number, everyMs = 100): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) return false;
    await sleep(everyMs);
  }
  return true;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** The orders of `shops` (round-robin) taken by a web process with its worker off: a backlog, as a burst leaves it. */
async function takeBacklog(db: string, sandbox: Server, orders: number, shops: string[], extra: Record<string, string | undefined> = {}) {
  const taker = await startApp(db, sandbox.url, false, { ...DEFAULTS, ...extra });
  const intake = await load(taker.port, 32, { amount: orders, shops });
  await taker.stop();
  if (intake.accepted !== orders) throw new Error(`only ${intake.accepted} of ${orders} webhooks were accepted`);
  return intake;
}

/** A signed orders/create of `shop` sent now; resolves with its name and when it was sent (ms since the epoch). */
interface SentOrder {
  name: string;
  sentAt: number;
  /** When the app answered the webhook (ms since the epoch). */
  answeredAt: number;
  ok: boolean;
}

async function sendOrder(port: number, shop: string): Promise<SentOrder> {
  const { body, headers, name } = nextWebhook(shop);
  const sentAt = Date.now();
  try {
    const res = await fetch(`http://127.0.0.1:${port}/webhooks/orders/create`, { method: "POST", headers, body });
    await res.arrayBuffer();
    return { name, sentAt, answeredAt: Date.now(), ok: res.ok };
  } catch {
    return { name, sentAt, answeredAt: Date.now(), ok: false };
  }
}

/** Arrivals per second from `from` (ms since the epoch), for the JSON: the shape of a drain. */
function perSecond(times: number[], from: number): number[] {
  const counts: number[] = [];
  for (const t of times) {
    const i = Math.floor((t - from) / 1000);
    if (i < 0) continue;
    while (counts.length <= i) counts.push(0);
    counts[i] += 1;
  }
  return counts;
}

/** Pushes per second over the window JoinChat saw them: first arrival to the last one's answer (its latency later). */
function deliveryRate(times: number[], latencyMs: number) {
  const first = Math.min(...times);
  const seconds = (Math.max(...times) + latencyMs - first) / 1000;
  return { seconds: round(seconds), perSecond: Math.round(times.length / seconds) };
}

/** A backlog of `orders` over `shops`, then the worker (defaults) started and timed until JoinChat has every push. */
async function measureLatencyDrain(sandbox: Server, label: string, shops: string[], orders: number) {
  const db = freshDatabase(label);
  for (const shop of shops) await configureShop(db, shop);
  await takeBacklog(db, sandbox, orders, shops);
  await control(sandbox, "reset");
  const app = await startApp(db, sandbox.url, true, DEFAULTS);
  const meter = cpuMeter([app]);
  const complete = await waitFor(async () => (await arrivedCount(sandbox)) >= orders, 300_000);
  const cpu = meter();
  const peakRssMb = app.peakRssMb();
  await app.stop();
  const times = [...(await arrivals(sandbox)).values()];
  const inFlight = (await (await fetch(controlUrl(sandbox, "in-flight"))).json()) as { max: number };
  const row = {
    shops: shops.length,
    orders,
    delivered: times.length,
    complete,
    ...deliveryRate(times, LATENCY_MS),
    maxInFlight: inFlight.max,
    peakRssMb,
    ...cpu,
  };
  log(
    `latency ${label}: ${orders} orders over ${shops.length} shop(s) at ${LATENCY_MS} ms: ${row.perSecond} pushes/s (${row.seconds} s), most in flight ${row.maxInFlight}; app ${row.appCores} cores, machine ${Math.round(row.machineBusy * 100)} % busy`,
  );
  return row;
}

/** A large shop's backlog drains; 20 orders of a small shop arrive meanwhile: how long each takes to reach JoinChat. */
async function measureFairness(sandbox: Server) {
  const db = freshDatabase("fairness");
  await configureShop(db, SHOP);
  await configureShop(db, SMALL_SHOP);
  await takeBacklog(db, sandbox, DRAIN_ORDERS, [SHOP]);
  await control(sandbox, "reset");
  const app = await startApp(db, sandbox.url, true, DEFAULTS);
  try {
    // Well into the drain: the first claims are out and the backlog is being worked through.
    await waitFor(async () => (await arrivedCount(sandbox)) >= Math.min(300, DRAIN_ORDERS / 4), 120_000, 25);
    const small = await Promise.all(Array.from({ length: SMALL_ORDERS }, () => sendOrder(app.port, SMALL_SHOP)));
    await waitFor(async () => (await arrivedCount(sandbox)) >= DRAIN_ORDERS + SMALL_ORDERS, 300_000);
    const seen = await arrivals(sandbox);
    const delays = small.map((o) => (seen.has(receiptKey(SMALL_SHOP, o.name)) ? seen.get(receiptKey(SMALL_SHOP, o.name))! - o.sentAt : Infinity));
    const lastSmall = Math.max(...small.map((o) => seen.get(receiptKey(SMALL_SHOP, o.name)) ?? Infinity));
    const bigTimes = [...seen.entries()].filter(([k]) => k.startsWith(`receipt:${SHOP}:`)).map(([, t]) => t);
    const row = {
      largeShopOrders: DRAIN_ORDERS,
      smallShopOrders: SMALL_ORDERS,
      smallDelivered: delays.filter(Number.isFinite).length,
      smallWebhookErrors: small.filter((o) => !o.ok).length,
      smallMaxMs: Math.round(Math.max(...delays)),
      smallP50Ms: Math.round(
        percentile(
          [...delays].sort((a, b) => a - b),
          50,
        ),
      ),
      // Of that, the app's answer to the small shop's webhooks (intake while the drain runs).
      smallWebhookMaxMs: Math.max(...small.map((o) => o.answeredAt - o.sentAt)),
      // Pushes of the large shop that reached JoinChat after the small shop's last: > 0 means it was still draining.
      largeAfterLastSmall: bigTimes.filter((t) => t > lastSmall).length,
    };
    log(
      `latency fairness: ${row.smallDelivered}/${SMALL_ORDERS} small-shop orders, slowest ${row.smallMaxMs} ms; ${row.largeAfterLastSmall} large-shop pushes still to go after the last`,
    );
    return row;
  } finally {
    await app.stop();
  }
}

/** One shop's flash sale at 75 orders/s: each order's receipt, from its webhook sent to its push reaching JoinChat. */
async function measureFlashSale(sandbox: Server) {
  const db = freshDatabase("flash");
  await configureShop(db, SHOP);
  await control(sandbox, "reset");
  const app = await startApp(db, sandbox.url, true, DEFAULTS);
  try {
    const total = FLASH_RATE * FLASH_SECONDS;
    const meter = cpuMeter([app]);
    const started = Date.now();
    const sending: Promise<SentOrder>[] = [];
    for (let i = 0; i < total; i++) {
      const due = started + (i * 1000) / FLASH_RATE;
      if (due > Date.now()) await sleep(due - Date.now());
      sending.push(sendOrder(app.port, SHOP));
    }
    const sent = await Promise.all(sending);
    const sendSeconds = (Date.now() - started) / 1000;
    await waitFor(async () => (await arrivedCount(sandbox)) >= total, 120_000, 250);
    const cpu = meter();
    const seen = await arrivals(sandbox);
    const delays = sent.map((o) => (seen.has(receiptKey(SHOP, o.name)) ? seen.get(receiptKey(SHOP, o.name))! - o.sentAt : Infinity)).sort((a, b) => a - b);
    const row = {
      orders: total,
      ratePerSecond: FLASH_RATE,
      seconds: FLASH_SECONDS,
      sentPerSecond: round(total / sendSeconds),
      webhookErrors: sent.filter((o) => !o.ok).length,
      webhookP99Ms: Math.round(
        percentile(
          sent.map((o) => o.answeredAt - o.sentAt).sort((a, b) => a - b),
          99,
        ),
      ),
      delivered: delays.filter(Number.isFinite).length,
      p50Ms: Math.round(percentile(delays, 50)),
      p99Ms: Math.round(percentile(delays, 99)),
      maxMs: Math.round(delays[delays.length - 1]),
      peakRssMb: app.peakRssMb(),
      ...cpu,
    };
    log(
      `latency flash sale: ${row.delivered}/${total} orders at ${row.sentPerSecond}/s, webhook to JoinChat p50 ${row.p50Ms} p99 ${row.p99Ms} max ${row.maxMs} ms`,
    );
    return row;
  } finally {
    await app.stop();
  }
}

/** A drain during which JoinChat answers every push 429 with Retry-After: 1 for a while: doubled, lost, and recovery. */
async function measureThrottledDrain(sandbox: Server) {
  const db = freshDatabase("throttled");
  await configureShop(db, SHOP);
  await takeBacklog(db, sandbox, THROTTLE_ORDERS, [SHOP]);
  await control(sandbox, "reset");
  const app = await startApp(db, sandbox.url, true, DEFAULTS);
  let throttleStart = 0;
  let complete = false;
  const meter = cpuMeter([app]);
  let cpu = { machineBusy: 0, appCores: 0 };
  try {
    await waitFor(async () => (await arrivedCount(sandbox)) > 0, 120_000, 25);
    await sleep(2_000);
    throttleStart = Date.now();
    await control(sandbox, "faults", { mode: "status", status: 429, retryAfterS: 1, forMs: THROTTLE_MS, endpoint: "push" });
    complete = await waitFor(async () => (await arrivedCount(sandbox)) >= THROTTLE_ORDERS, 300_000, 250);
    cpu = meter();
  } finally {
    await app.stop();
  }
  const throttleEnd = throttleStart + THROTTLE_MS;
  const stats = (await (await fetch(controlUrl(sandbox, "stats"))).json()) as { faulted: number; replays: number; doubledBusinessKeys: string[] };
  const statuses = new Database(db, { readonly: true }).prepare("SELECT status, count(*) AS n FROM push GROUP BY status").all() as {
    status: string;
    n: number;
  }[];
  const times = [...(await arrivals(sandbox)).values()].sort((a, b) => a - b);
  // Speed in 1 s windows: before the 429s (the best full window once the drain was going), and after them: the first
  // window whose rate is at least 90 % of that; "resumed after" is the end of that window minus the end of the 429s.
  const WINDOW = 1000;
  const inWindow = (from: number) => times.filter((t) => t >= from && t < from + WINDOW).length;
  let before = 0;
  for (let from = times[0]; from + WINDOW <= throttleStart; from += 100) before = Math.max(before, inWindow(from));
  let resumedAfterMs: number | null = null;
  let bestAfter = 0;
  for (let from = throttleEnd; from + WINDOW <= times[times.length - 1] + LATENCY_MS; from += 100) {
    const n = inWindow(from);
    bestAfter = Math.max(bestAfter, n);
    if (resumedAfterMs === null && n >= 0.9 * before) resumedAfterMs = from + WINDOW - throttleEnd;
  }
  const delivered = times.length;
  const row = {
    orders: THROTTLE_ORDERS,
    throttleSeconds: THROTTLE_MS / 1000,
    answered429: stats.faulted,
    replays: stats.replays,
    doubled: stats.doubledBusinessKeys.length,
    lost: THROTTLE_ORDERS - delivered,
    complete,
    pushStatuses: Object.fromEntries(statuses.map((s) => [s.status, s.n])),
    perSecondBefore: before,
    bestPerSecondAfter: bestAfter,
    resumedAfterSeconds: resumedAfterMs === null ? null : round(resumedAfterMs / 1000),
    lastPushAfterThrottleSeconds: round((times[times.length - 1] - throttleEnd) / 1000),
    // Pushes reaching JoinChat in each second from the start of the 429s.
    perSecondFromThrottle: perSecond(times, throttleStart),
    ...cpu,
  };
  log(
    `latency 429s: ${row.answered429} answered 429 over ${row.throttleSeconds} s, doubled ${row.doubled}, lost ${row.lost}; ${row.perSecondBefore}/s before, full speed again ${row.resumedAfterSeconds ?? "never"} s after`,
  );
  return row;
}

/** PostgreSQL + BullMQ at 1 s of JoinChat latency: a backlog in the (paused) queue, then 1, 2 and 4 workers drain it. */
async function measureScaleAtLatency(sandbox: Server) {
  const unreachable = await scaleServersReachable();
  if (unreachable) {
    log(`latency scale skipped: ${unreachable}`);
    return { skipped: unreachable, workers: [] as ScaleLatencyRow[] };
  }
  await control(sandbox, "latency", { latencyMs: SCALE_LATENCY_MS });
  const workers: ScaleLatencyRow[] = [];
  try {
    for (const count of [1, 2, 4]) {
      const db = createBenchDatabase();
      const prefix = `joinchat-bench-${randomBytes(4).toString("hex")}`;
      const redis = new Redis(BENCH_REDIS_URL, { maxRetriesPerRequest: null });
      const queue = new Queue(DELIVERY_QUEUE_NAME, { connection: redis, prefix });
      try {
        await configureShop(db.url);
        const extra = { QUEUE: "bullmq", REDIS_URL: BENCH_REDIS_URL, QUEUE_PREFIX: prefix };
        // The queue paused while the backlog is taken and the workers start, so all of them start on it together.
        await queue.pause();
        await takeBacklog(db.url, sandbox, SCALE_ORDERS, [SHOP], extra);
        await control(sandbox, "reset");
        const env = { ...appEnv(db.url, sandbox.url, true, { ...extra, ...DEFAULTS }), LOG_LEVEL: "info", WORKER_PORT: undefined };
        const fleet = await Promise.all(Array.from({ length: count }, () => startProcess(process.execPath, ["worker.mjs"], env, /"msg":"worker started"/)));
        const early = await arrivedCount(sandbox);
        const meter = cpuMeter(fleet);
        await queue.resume();
        // Bounded: a stuck fleet shows as an incomplete row rather than holding the whole run.
        const complete = await waitFor(async () => (await arrivedCount(sandbox)) >= SCALE_ORDERS, 120_000, 250);
        const cpu = meter();
        const peakRssMb = Math.max(...fleet.map((w) => w.peakRssMb()));
        await Promise.all(fleet.map((w) => w.stop()));
        const times = [...(await arrivals(sandbox)).values()];
        const inFlight = (await (await fetch(controlUrl(sandbox, "in-flight"))).json()) as { max: number };
        const row = {
          workers: count,
          orders: SCALE_ORDERS,
          complete,
          beforeResume: early,
          ...deliveryRate(times, SCALE_LATENCY_MS),
          maxInFlight: inFlight.max,
          workerPeakRssMb: peakRssMb,
          ...cpu,
        };
        log(
          `latency scale ${count} worker(s): ${SCALE_ORDERS} pushes at ${SCALE_LATENCY_MS} ms: ${row.perSecond}/s (${row.seconds} s), most in flight ${row.maxInFlight}; workers ${row.appCores} cores, machine ${Math.round(row.machineBusy * 100)} % busy`,
        );
        workers.push(row);
      } finally {
        await queue.close();
        redis.disconnect();
        await db.drop();
        await removeRedisPrefix(prefix, BENCH_REDIS_URL);
      }
    }
  } finally {
    await control(sandbox, "latency", { latencyMs: LATENCY_MS });
  }
  return { skipped: null, workers };
}

interface ScaleLatencyRow {
  workers: number;
  orders: number;
  complete: boolean;
  beforeResume: number;
  seconds: number;
  perSecond: number;
  maxInFlight: number;
  workerPeakRssMb: number;
  machineBusy: number;
  appCores: number;
}

/** Issue 14's rows, those asked for, on a recording sandbox of their own answering after LATENCY_MS. */
async function measureDelivery() {
  const sandbox = await startSandbox(true);
  try {
    await control(sandbox, "latency", { latencyMs: LATENCY_MS });
    const want = (row: string) => DELIVERY_ROWS.has(row);
    return {
      latencyMs: LATENCY_MS,
      fourShops: want("four-shops") ? await measureLatencyDrain(sandbox, "four-shops", FOUR_SHOPS, DRAIN_ORDERS) : null,
      oneShop: want("one-shop") ? await measureLatencyDrain(sandbox, "one-shop", [SHOP], DRAIN_ORDERS) : null,
      fairness: want("fairness") ? await measureFairness(sandbox) : null,
      flashSale: want("flash-sale") ? await measureFlashSale(sandbox) : null,
      throttled: want("429") ? await measureThrottledDrain(sandbox) : null,
      scale: want("scale") ? await measureScaleAtLatency(sandbox) : null,
    };
  } finally {
    await sandbox.stop();
  }
}

// ---------------------------------------------------------------------------------------------- report

const round = (x: number) => Math.round(x * 100) / 100;
const pct = (x: number) => `${x >= 0 ? "+" : ""}${Math.round(x * 100)} %`;

function machine() {
  return {
    cpu: os.cpus()[0]?.model ?? "unknown",
    cores: os.cpus().length,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.type()} ${os.release()}`,
    date: new Date().toISOString(),
  };
}

type Results = Awaited<ReturnType<typeof runAll>>;

type DeliveryResults = Awaited<ReturnType<typeof measureDelivery>>;

const NOT_MEASURED = "not measured";

/** Issue 14's targets, as rows of the headline table: [target, measured, met]. */
function deliveryTargets(d: DeliveryResults): (readonly [string, string, boolean])[] {
  const { fourShops, oneShop, fairness, flashSale, throttled, scale } = d;
  const workers = scale && !scale.skipped ? scale.workers : [];
  const one = workers.find((w) => w.workers === 1);
  const times = (n: number) => {
    const w = workers.find((x) => x.workers === n);
    return one && w ? round(w.perSecond / one.perSecond) : null;
  };
  const x2 = times(2);
  const x4 = times(4);
  return [
    [
      `embedded, JoinChat at ${d.latencyMs} ms, ${fourShops?.orders ?? DRAIN_ORDERS} orders over 4 shops ≥ 400 pushes/s`,
      fourShops ? `${fourShops.perSecond}/s` : NOT_MEASURED,
      !!fourShops && fourShops.complete && fourShops.perSecond >= 400,
    ],
    [
      `embedded, JoinChat at ${d.latencyMs} ms, ${oneShop?.orders ?? DRAIN_ORDERS} orders of one shop ≥ 200 pushes/s`,
      oneShop ? `${oneShop.perSecond}/s` : NOT_MEASURED,
      !!oneShop && oneShop.complete && oneShop.perSecond >= 200,
    ],
    [
      `flash sale of one shop, ${FLASH_RATE} orders/s for ${flashSale?.seconds ?? FLASH_SECONDS} s: webhook to JoinChat p99 ≤ 5 s, every order`,
      flashSale ? `p99 ${flashSale.p99Ms} ms, ${flashSale.delivered}/${flashSale.orders}` : NOT_MEASURED,
      !!flashSale && flashSale.p99Ms <= 5000 && flashSale.delivered === flashSale.orders && flashSale.webhookErrors === 0,
    ],
    [
      `fairness: ${SMALL_ORDERS} orders of a small shop during a large shop's drain all at JoinChat within 2 s`,
      fairness ? `slowest ${fairness.smallMaxMs} ms, ${fairness.smallDelivered}/${fairness.smallShopOrders}` : NOT_MEASURED,
      !!fairness && fairness.smallMaxMs <= 2000 && fairness.smallDelivered === fairness.smallShopOrders,
    ],
    [
      `scale path, JoinChat at ${SCALE_LATENCY_MS} ms: 2 workers ≥ 1.8 × 1 worker`,
      x2 === null ? (scale?.skipped ? `not measured (${scale.skipped})` : NOT_MEASURED) : `${x2} ×`,
      x2 !== null && x2 >= 1.8,
    ],
    [`scale path, JoinChat at ${SCALE_LATENCY_MS} ms: 4 workers ≥ 3 × 1 worker`, x4 === null ? NOT_MEASURED : `${x4} ×`, x4 !== null && x4 >= 3],
    [
      `429 with Retry-After: 1 for ${throttled?.throttleSeconds ?? THROTTLE_MS / 1000} s during a drain: 0 doubled, 0 lost, full speed within 5 s after`,
      throttled
        ? `${throttled.doubled} doubled, ${throttled.lost} lost, full speed ${throttled.resumedAfterSeconds === null ? "not reached" : `after ${throttled.resumedAfterSeconds} s`}`
        : NOT_MEASURED,
      !!throttled && throttled.doubled === 0 && throttled.lost === 0 && throttled.resumedAfterSeconds !== null && throttled.resumedAfterSeconds <= 5,
    ],
  ];
}

const busy = (row: { machineBusy: number; appCores: number }) => `${Math.round(row.machineBusy * 100)} % / ${row.appCores}`;

function deliveryMarkdown(d: DeliveryResults): string[] {
  const { fourShops, oneShop, fairness, flashSale, throttled, scale } = d;
  const drains = [fourShops, oneShop].filter((x) => x !== null);
  return [
    "## Delivery at flash-sale speed (issue 14)",
    "",
    `The app with its defaults (\`DELIVERY_CONCURRENCY\` 256, no per-shop limit: docs/decisions/015-delivery-at-flash-sale-speed.md), the`,
    `JoinChat sandbox answering every push after ${d.latencyMs} ms (its latency setting, \`POST /_sandbox/latency\`) in a process of its own`,
    "that records when each push arrives (`bench/sandbox-server.ts --record`). A push's delay is from the moment the bench sent its",
    "order's webhook to the moment the push reached JoinChat. A drain's rate counts from the first push reaching JoinChat to the",
    'last one\'s answer. "Machine busy" is the share of all cores not idle meanwhile (everything on the machine, not only the',
    'bench); "app cores" the CPU the app\'s process (or the workers) used, in cores. When the machine is busy and the app gets',
    "less than a core, the app is waiting for the CPU, not for JoinChat.",
    "",
    "Drain: the orders taken first with the worker off (a burst's backlog), then the worker started.",
    "",
    "| orders | shops | pushes/s | seconds | most in flight at JoinChat | machine busy / app cores | peak RSS (MB) |",
    "| --- | --- | --- | --- | --- | --- | --- |",
    ...drains.map((x) => `| ${x.orders} | ${x.shops} | ${x.perSecond} | ${x.seconds} | ${x.maxInFlight} | ${busy(x)} | ${x.peakRssMb} |`),
    ...(drains.length === 0 ? ["| not measured | | | | | | |"] : []),
    "",
    ...(flashSale
      ? [
          `Flash sale: one shop's orders sent at ${flashSale.ratePerSecond} a second for ${flashSale.seconds} s (${flashSale.orders} orders; the bench managed`,
          `${flashSale.sentPerSecond} a second) to the app with its worker on. Webhook to JoinChat: p50 **${flashSale.p50Ms} ms**, p99 **${flashSale.p99Ms} ms**,`,
          `max ${flashSale.maxMs} ms; ${flashSale.delivered} of ${flashSale.orders} delivered; the webhooks' own answers p99 ${flashSale.webhookP99Ms} ms, errors ${flashSale.webhookErrors};`,
          `machine busy / app cores ${busy(flashSale)}.`,
          "",
        ]
      : []),
    ...(fairness
      ? [
          `Fairness: a large shop's backlog of ${fairness.largeShopOrders} orders draining; once JoinChat has a few hundred of its pushes, ${fairness.smallShopOrders}`,
          `orders of a small shop are sent at once. Their pushes reached JoinChat after p50 ${fairness.smallP50Ms} ms, slowest **${fairness.smallMaxMs} ms**`,
          `(${fairness.smallDelivered}/${fairness.smallShopOrders}); of that, the app's answers to their webhooks took up to ${fairness.smallWebhookMaxMs} ms. Pushes of the large`,
          `shop still to reach JoinChat after the small shop's last: ${fairness.largeAfterLastSmall}.`,
          "",
        ]
      : []),
    ...(throttled
      ? [
          `429s: a backlog of ${throttled.orders} orders of one shop draining; 2 s in, JoinChat answers every push 429 with \`Retry-After: 1\` for`,
          `${throttled.throttleSeconds} s (${throttled.answered429} such answers). Doubled: **${throttled.doubled}**; lost: **${throttled.lost}** (push statuses after the drain:`,
          `${Object.entries(throttled.pushStatuses)
            .map(([k, v]) => `${k} ${v}`)
            .join(", ")}). Before the 429s the best second delivered ${throttled.perSecondBefore} pushes; after them, the first second at 90 % of that`,
          `ended **${throttled.resumedAfterSeconds === null ? "never (the backlog ran out first)" : `${throttled.resumedAfterSeconds} s`}** after the 429s stopped (the best second after: ${throttled.bestPerSecondAfter}); the last push`,
          `${throttled.lastPushAfterThrottleSeconds} s after. Pushes per second from the start of the 429s: ${throttled.perSecondFromThrottle.join(", ")}.`,
          "",
        ]
      : []),
    ...(scale
      ? scale.skipped
        ? [`Scale path at ${SCALE_LATENCY_MS} ms: not measured in this run: ${scale.skipped}.`, ""]
        : [
            `Scale path (PostgreSQL + BullMQ, workers with the defaults), JoinChat at ${SCALE_LATENCY_MS} ms: ${scale.workers[0]?.orders ?? SCALE_ORDERS} orders of one shop`,
            "taken into a paused queue, the workers started, then the queue resumed:",
            "",
            "| worker processes | pushes/s | × 1 worker | seconds | most in flight at JoinChat | machine busy / workers' cores | peak RSS of a worker (MB) |",
            "| --- | --- | --- | --- | --- | --- | --- |",
            ...scale.workers.map(
              (w) =>
                `| ${w.workers} | ${w.perSecond} | ${round(w.perSecond / scale.workers[0].perSecond)} | ${w.seconds} | ${w.maxInFlight} | ${busy(w)} | ${w.workerPeakRssMb} |`,
            ),
            "",
          ]
      : []),
  ];
}

function markdown(r: Results): string {
  const i32 = r.intake.rows.find((x) => x.connections === 32);
  const worstHistory = Math.min(...r.history.map((h) => Math.min(h.intakeChange, h.deliveryChange)));
  const targets = [
    ["intake at 32 connections ≥ 0.5 × floor", i32 ? `${i32.ratio}` : "not measured", i32 ? i32.ratio >= 0.5 : false],
    ["app p99 at 32 connections < 50 ms", i32 ? `${i32.app.p99} ms` : "not measured", i32 ? i32.app.p99 < 50 : false],
    ["delivery ≥ 0.5 × its floor", `${r.endToEnd.delivery.ratio}`, r.endToEnd.delivery.ratio >= 0.5],
    ["no slowdown beyond 10 % from 1,000 to the most stored pushes", pct(worstHistory), worstHistory >= -0.1],
    [
      `customer lookup p99 at ${LOOKUP_CONNECTIONS} connections while taking webhooks < 100 ms`,
      `${r.lookups.p99} ms`,
      r.lookups.p99 < 100 && r.lookups.errors === 0,
    ],
    ...deliveryTargets(r.delivery),
  ] as const;
  const lines = [
    "# Benchmarks",
    "",
    "Written by `npm run bench` (bench/run.ts); the raw numbers are in `bench/results/latest.json`. The production build on",
    "this machine, load from autocannon in the same process as the bench, server and load sharing the cores. Orders are",
    `the project's paid \`orders/create\` fixture (\`test/fixtures/shopify/orders_create.json\`, ${ORDER_KB} KB), each made unique and correctly signed.`,
    "",
    `Machine: ${r.machine.cpu}, ${r.machine.cores} cores, ${r.machine.memoryGb} GB, Node ${r.machine.node}, ${r.machine.platform}; run ${r.machine.date};`,
    `load average (1 min) ${r.machine.loadAverage.atStart[0]} at the start, ${r.machine.loadAverage.atEnd[0]} at the end.`,
    ...(r.note ? ["", r.note] : []),
    "",
    "## Headline",
    "",
    `Intake / floor at 32 connections: **${i32?.ratio ?? "n/a"}**; the app's p99 at 32 connections: **${i32?.app.p99 ?? "n/a"} ms**.`,
    "",
    "| target | measured | met |",
    "| --- | --- | --- |",
    ...targets.map(([t, m, ok]) => `| ${t} | ${m} | ${ok ? "yes" : "**no**"} |`),
    "",
    "## Intake: signed orders/create deliveries answered 200",
    "",
    "The app runs with `DELIVERY_WORKER=off` here (a web process taking webhooks); the floor is a bare `node:http` server that",
    "checks the same HMAC and inserts the same body into SQLite (WAL, `synchronous=FULL` like the app), `bench/floor-server.mjs`.",
    "",
    "| connections | app webhooks/s | app p50 / p99 / max (ms) | app errors | floor webhooks/s | floor p50 / p99 / max (ms) | app / floor |",
    "| --- | --- | --- | --- | --- | --- | --- |",
    ...r.intake.rows.map(
      (x) =>
        `| ${x.connections} | ${x.app.perSecond} | ${x.app.p50} / ${x.app.p99} / ${x.app.max} | ${x.app.errors} | ${x.floor.perSecond} | ${x.floor.p50} / ${x.floor.p99} / ${x.floor.max} | ${x.ratio} |`,
    ),
    "",
    "## End to end",
    "",
    `${r.endToEnd.together.orders} paid orders sent at 32 connections to the app with its worker on: all taken in ${r.endToEnd.together.intakeSeconds} s,`,
    `the last push reached the JoinChat sandbox after ${r.endToEnd.together.lastPushAfterSeconds} s (${r.endToEnd.together.pushesPerSecond} pushes/s), intake errors ${r.endToEnd.together.intakeErrors}.`,
    "",
    "Delivery alone: the same number of orders stored first, then the worker started and timed until JoinChat has every push;",
    `the floor is a bare loop that signs and posts the very bodies the app sent with the same concurrency (${DELIVERY_CONCURRENCY}), \`bench/delivery-floor.mjs\`.`,
    "",
    "| | pushes | seconds | pushes/s |",
    "| --- | --- | --- | --- |",
    `| app (worker) | ${r.endToEnd.delivery.app.pushes} | ${r.endToEnd.delivery.app.seconds} | ${r.endToEnd.delivery.app.perSecond} |`,
    `| floor (bare loop) | ${r.endToEnd.delivery.floor.pushes} | ${r.endToEnd.delivery.floor.seconds} | ${r.endToEnd.delivery.floor.perSecond} |`,
    `| app / floor | | | ${r.endToEnd.delivery.ratio} |`,
    "",
    "## Cost",
    "",
    `Peak RSS of the app: ${r.intake.peakRssMb} MB taking webhooks, ${r.endToEnd.together.peakRssMb} MB taking and delivering ${r.endToEnd.together.orders} orders, ${r.endToEnd.delivery.app.peakRssMb} MB delivering them.`,
    "",
    `As history grows (delivered pushes with their attempts already stored): intake at 32 connections and delivery of ${HISTORY_DRAIN.toLocaleString("en")} pushes.`,
    "",
    "| stored pushes | intake webhooks/s | intake p99 (ms) | delivery pushes/s | intake change | delivery change |",
    "| --- | --- | --- | --- | --- | --- |",
    ...r.history.map(
      (h) =>
        `| ${h.storedPushes.toLocaleString("en")} | ${h.intakePerSecond} | ${h.intakeP99} | ${h.deliveryPerSecond} | ${pct(h.intakeChange)} | ${pct(h.deliveryChange)} |`,
    ),
    "",
    "## Customer lookups",
    "",
    `JoinChat's signed \`orders\` lookup of one buyer's open orders (${r.lookups.orders} orders of that buyer, \`limit\` 3) at ${r.lookups.connections} connections,`,
    "while orders/create webhooks are sent at 32 connections to the same process (worker on), answered from local data.",
    "",
    "| lookups/s | p50 / p99 / max (ms) | lookup errors | webhooks/s meanwhile | webhook errors |",
    "| --- | --- | --- | --- | --- |",
    `| ${r.lookups.perSecond} | ${r.lookups.p50} / ${r.lookups.p99} / ${r.lookups.max} | ${r.lookups.errors} | ${r.lookups.webhooksPerSecond} | ${r.lookups.webhookErrors} |`,
    "",
    "## Notes",
    "",
    "- Server and load generator share the machine's two cores; the ratios, not the absolute numbers, are what carries",
    "  from one run to the next. Run-to-run noise on this machine is about ±10 %.",
    "- A 200 means the delivery and its pushes are committed (WAL, `synchronous=FULL`); commits are grouped, so one fsync serves",
    "  every delivery that arrived while the previous transaction committed (docs/decisions/001-lean-webhook-intake.md).",
    "- The floor here is lower than the 5,424 webhooks/s measured on this machine before the app was written (a bare `node:http`",
    "  server with the same HMAC check and a better-sqlite3 insert, autocannon at 32 connections sending one 14.5 KB order",
    `  body): here the load generator signs a fresh, unique ${ORDER_KB} KB order for every request (so the app plans a new receipt`,
    "  each time rather than a duplicate), in the same process and on the same two cores; both servers get exactly the same load.",
    "- Delivery alone is timed from the moment the worker's process is up; the JoinChat sandbox runs in its own process.",
    "",
    ...deliveryMarkdown(r.delivery),
    "## Scale path: PostgreSQL with BullMQ workers",
    "",
    ...(r.scale.skipped
      ? [`Not measured in this run: ${r.scale.skipped}.`]
      : [
          "The web process records each delivery in PostgreSQL and adds a BullMQ job after the commit; `npm run worker` processes",
          `deliver. Intake at 32 connections (no worker running): ${r.scale.intake!.perSecond} webhooks/s, p50 / p99 / max ${r.scale.intake!.p50} / ${r.scale.intake!.p99} / ${r.scale.intake!.max} ms, errors ${r.scale.intake!.errors}.`,
          "",
          `${N} orders sent at 32 connections while the workers run, timed until the last push reaches the sandbox:`,
          "",
          "| worker processes | last push after (s) | pushes/s | peak RSS of a worker (MB) | intake errors |",
          "| --- | --- | --- | --- | --- |",
          ...r.scale.workers.map((w) => `| ${w.workers} | ${w.lastPushAfterSeconds} | ${w.pushesPerSecond} | ${w.workerPeakRssMb} | ${w.intakeErrors} |`),
          "",
          "On two cores, more worker processes share the same CPU with the web process, PostgreSQL, Redis, the sandbox and the",
          "load generator: the rows show the cost of the distributed path on one machine, not how it scales across machines.",
        ]),
    "",
  ];
  const missed = targets.filter(([, , ok]) => !ok);
  if (missed.length > 0) lines.push("## Targets missed in this run", "");
  for (const [t] of missed) lines.push(`- Missed: ${t}. ${WHY_MISSED.find(([prefix]) => t.startsWith(prefix))?.[1] ?? GENERIC_WHY}`);
  return lines.join("\n") + "\n";
}

const GENERIC_WHY = "See the numbers above; what holds it back is the next thing to profile.";

/** Why a target is missed on a 2-core machine, as far as the rows show it (the report says so, issue 14). */
const WHY_MISSED: [string, string][] = [
  [
    "scale path",
    "The workers wait for the CPU, not for JoinChat: with 2 or 4 workers the machine is near 100 % busy and the workers together get about one core (the row's last column), shared with the web process, PostgreSQL, Redis, the sandbox and the load. Worker scaling needs cores to scale onto; this row cannot show it on two.",
  ],
  [
    "customer lookup",
    "The lookups are CPU-bound here: 50 lookups and 32 webhook connections share one process and the two cores with the load generator, so the p50 is 50 connections over the rate (Little's law) and the p99 a little under twice it. Runs on this machine since decision 025 measured p99 70-85 ms, and 103 ms once; a lookup no longer scans the log or waits for a commit, and what remains is CPU (signature, JSON, three reads, the receipts).",
  ],
  [
    "no slowdown",
    "Each row is one intake run of a few seconds and one drain: the same measure repeated on this machine moves ±10 % by itself (the 1,000 row's own intake measured 1,292-1,601/s across runs), and the sizes do not slow down in order. What did grow with history (retention's pick of finished pushes, SQLite's 2 MB page cache) was fixed; a slowdown that holds across runs is what to look for.",
  ],
  ["app p99", "The load generator runs in the bench's own process on the same two cores; the floor's p99 in the same run is in the table above."],
  [
    "delivery ≥",
    "This row keeps 16 pushes in flight for the app and the floor alike (the first round's setting), so the app's work per push (claim, body, Admin API and binding reads, attempt record) is not hidden behind the network as it is at the default 256; the latency rows show the default. The ratio was 0.53 in the first round: what costs the difference is the next thing to profile.",
  ],
];

/** The production build the bench runs (skipped with --skip-build when build/ is there). */
function build(): void {
  if (args["skip-build"] && existsSync("build/server/index.js")) return;
  log("Building the production server...");
  execFileSync(process.execPath, [path.join("node_modules", "@remix-run", "dev", "dist", "cli.js"), "vite:build"], { stdio: ["ignore", "ignore", "inherit"] });
}

async function runAll() {
  const loadAtStart = os.loadavg();
  build();
  const sandbox = await startSandbox();
  try {
    const intake = await measureIntake(sandbox);
    const endToEnd = await measureEndToEnd(sandbox);
    const history = await measureHistory(sandbox);
    const lookups = await measureLookups(sandbox);
    const scale = await measureScalePath(sandbox);
    const delivery = await measureDelivery();
    return {
      machine: { ...machine(), loadAverage: { atStart: loadAtStart.map(round), atEnd: os.loadavg().map(round) } },
      note: args.note,
      options: { n: N, duration: DURATION, connections: CONNECTIONS, history: HISTORY, quick: QUICK },
      intake,
      endToEnd,
      history,
      lookups,
      scale,
      delivery,
    };
  } finally {
    await sandbox.stop();
  }
}

/** One phase alone (--lookups-only, --end-to-end-only, --history-only, --delivery-only): printed as JSON, nothing written. */
async function runOnly(phase: () => Promise<unknown>) {
  build();
  log(JSON.stringify(await phase(), null, 2));
}

const finish = (error?: unknown) => {
  if (error) process.stderr.write(`bench failed: ${(error as Error).stack ?? error}\n`);
  rmSync(work, { recursive: true, force: true });
  process.exit(error ? 1 : 0);
};

/** A phase that measures against the JoinChat sandbox: started for it, stopped after. */
const withSandbox = (phase: (sandbox: Server) => Promise<unknown>) => async () => {
  const sandbox = await startSandbox();
  try {
    return await phase(sandbox);
  } finally {
    await sandbox.stop();
  }
};

const ONLY_PHASES = [
  ["lookups-only", withSandbox(measureLookups)],
  ["end-to-end-only", withSandbox(measureEndToEnd)],
  ["history-only", withSandbox(measureHistory)],
  ["delivery-only", measureDelivery],
] as const;
const onlyPhase = ONLY_PHASES.find(([flag]) => args[flag])?.[1];

if (onlyPhase) {
  runOnly(onlyPhase).then(() => finish(), finish);
} else
  runAll().then((results) => {
    writeFileSync("bench/results/latest.json", JSON.stringify(results, null, 2) + "\n");
    writeFileSync("docs/benchmarks.md", markdown(results));
    log("Wrote bench/results/latest.json and docs/benchmarks.md");
    finish();
  }, finish);
