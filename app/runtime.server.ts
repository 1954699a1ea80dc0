import type { Database } from "./db/database.server";
import { openDatabaseByUrl } from "./db/open.server";
import { BackPressure } from "./delivery/back-pressure";
import { deliverPush, type DeliveryDeps } from "./delivery/deliver.server";
import { createPushScheduler, type PushScheduler } from "./delivery/scheduler.server";
import { startRetention, type RetentionRunner } from "./delivery/retention.server";
import { DeliveryWorker } from "./delivery/worker.server";
import { claimDuePushes, nextDueAt, releasePush, releaseStalledPushes } from "./stores/push-store.server";
import { getEnv, leaseMsOf, type Env } from "./env.server";
import { log, setLogLevel } from "./logger.server";
import { createSecretBox, type SecretBox } from "./settings/secret-box.server";
import { assertStoredSecretsReadable } from "./settings/stored-secrets.server";
import { createShopifyAdminFromEnv, type ShopifyAdmin } from "./shopify/admin-api/index.server";
import { createGroupCommit, type GroupCommit } from "./db/group-commit.server";
import { createIntakeStats, createWebhookReceiver, type IntakeStats, type WebhookReceiver } from "./webhooks/receive.server";

// Everything a process of the app holds: the database, the intake service, the scheduler port and (a web process
// on QUEUE=embedded) the delivery worker. One per process; the web server and the Remix routes reach the same
// services through it. QUEUE=embedded (the default): the web process delivers with its DeliveryWorker, which the
// scheduler port wakes. QUEUE=bullmq: the port adds a BullMQ job per push after each commit, and `npm run worker`
// processes deliver (app/worker/main.server.ts, on a runtime of role worker: no embedded worker is built there).

export interface Runtime {
  env: Env;
  db: Database;
  box: SecretBox;
  commit: GroupCommit;
  receive: WebhookReceiver;
  /** What the intake refused or ignored (GET /readyz reports them). */
  intakeStats: IntakeStats;
  /** The embedded worker: a web process with QUEUE=embedded, DELIVERY_WORKER=on and startWorker; else null. */
  worker: DeliveryWorker | null;
  /** Where the pushes each commit queued or cancelled are handed (the embedded worker, or BullMQ). */
  scheduler: PushScheduler;
  /** The process's one Admin API access layer (tokens refreshed once across processes, pacing, caches). */
  adminApi: ShopifyAdmin;
  deliveryDeps: DeliveryDeps;
  /** How long a claim holds a push. */
  leaseMs: number;
  close(): Promise<void>;
}

export interface RuntimeOptions {
  /** The web process delivers (QUEUE=embedded); the CLI only reads and writes. */
  startWorker?: boolean;
  /** `worker`: an `npm run worker` process, which takes jobs instead of webhooks. */
  role?: "web" | "worker";
}

/** JOINCHAT_API_SECRET with the one shop that may push under it (JOINCHAT_SINGLE_SHOP), or null. */
export function singleShopSecretOf(env: Env): { shop: string; secret: string } | null {
  return env.JOINCHAT_API_SECRET && env.JOINCHAT_SINGLE_SHOP ? { shop: env.JOINCHAT_SINGLE_SHOP, secret: env.JOINCHAT_API_SECRET } : null;
}

/** SQLite for a `file:` DATABASE_URL, PostgreSQL for `postgres://` / `postgresql://`. */
export function openDatabase(env: Env, applicationName = "joinchat-push web"): Database {
  return openDatabaseByUrl(env.DATABASE_URL, { synchronous: env.SQLITE_SYNCHRONOUS, poolSize: env.DATABASE_POOL_SIZE, applicationName });
}

export async function createRuntime(env: Env, options: RuntimeOptions = {}): Promise<Runtime> {
  setLogLevel(env.LOG_LEVEL);
  const role = options.role ?? "web";
  const db = openDatabase(env, `joinchat-push ${role}`);
  const box = createSecretBox(env.ENCRYPTION_KEY);
  // Before anything is sent: a key ring that cannot read the stored secrets stops the process (StoredSecretsError,
  // exit 78), instead of every push of those shops failing one by one.
  try {
    await assertStoredSecretsReadable(db, box);
  } catch (error) {
    await db.close();
    throw error;
  }
  const adminApi = createShopifyAdminFromEnv(env, db, box);
  const commit = createGroupCommit(db, 512, env.INTAKE_MAX_QUEUE);
  // What JoinChat's 429s, timeouts and 5xx say, shared by every delivery of this process.
  const backPressure = new BackPressure(env.DELIVERY_CONCURRENCY);
  const deliveryDeps: DeliveryDeps = {
    db,
    commit,
    backPressure,
    box,
    adminApi,
    joinchatUrl: env.JOINCHAT_API_URL,
    singleShopSecret: singleShopSecretOf(env),
    sendApiUrl: env.JOINCHAT_SEND_API_URL ?? null,
    timeoutMs: env.JOINCHAT_TIMEOUT_MS,
    policy: { baseMs: env.DELIVERY_RETRY_BASE_MS, capMs: env.DELIVERY_RETRY_CAP_MS, maxAgeMs: env.DELIVERY_MAX_RETRY_AGE_MS },
  };
  // A claim outlives the JoinChat call and the Admin API lookups before it.
  const leaseMs = leaseMsOf(env);
  const embedded = role === "web" && env.QUEUE === "embedded" && options.startWorker === true && env.DELIVERY_WORKER;
  const worker = !embedded
    ? null
    : new DeliveryWorker({
        concurrency: env.DELIVERY_CONCURRENCY,
        shopConcurrency: env.DELIVERY_SHOP_CONCURRENCY,
        pollMs: env.DELIVERY_POLL_MS,
        backPressure,
        deliver: (push) => deliverPush(deliveryDeps, push),
        source: {
          // Through the group commit: a claim shares its commit with the outcomes written meanwhile.
          claim: (limit, capacity) => commit.run((tx) => claimDuePushes(tx, Date.now(), limit, leaseMs, capacity)),
          nextDueAt: () => nextDueAt(db),
          releaseStalled: () => releaseStalledPushes(db, Date.now()),
        },
      });
  // With BullMQ a web process only records and enqueues, after the commit; the outbox keeps what Redis loses. A worker
  // process enqueues through its QueueDeliveryWorker, and hands nothing to this port.
  const scheduler = createPushScheduler(role === "web" ? env : { ...env, QUEUE: "embedded" }, role, worker);
  const intakeStats = createIntakeStats();
  const receive = createWebhookReceiver({ commit, scheduler, adminApi, stats: intakeStats });

  // Retention runs by itself where deliveries run: the embedded web process, or every BullMQ worker (one at a time).
  const retention: RetentionRunner | null =
    role === "worker" || (env.QUEUE === "embedded" && options.startWorker === true)
      ? startRetention(db, { retentionDays: env.RETENTION_DAYS, intervalMs: env.RETENTION_INTERVAL_MS })
      : null;

  if (worker) {
    // With SQLite this process is the only sender: whatever it was sending when it stopped goes again now.
    const released = await releaseStalledPushes(db, Date.now(), db.kind === "sqlite");
    if (released > 0) log.warn("resumed pushes interrupted by a stop", { count: released });
    worker.start();
  }

  return {
    env,
    db,
    box,
    commit,
    receive,
    intakeStats,
    worker,
    scheduler,
    adminApi,
    deliveryDeps,
    leaseMs,
    async close() {
      // Deliveries in flight finish, or are put back for another attempt when they take longer than allowed.
      await worker?.stop({
        deadlineMs: env.SHUTDOWN_TIMEOUT_MS,
        release: async (pushes) => {
          for (const push of pushes) await commit.run((tx) => releasePush(tx, push, Date.now()));
        },
      });
      await retention?.stop();
      await commit.drain();
      await scheduler.close();
      await db.close();
    },
  };
}

const globalForRuntime = globalThis as unknown as { joinchatRuntime?: Promise<Runtime> };

/** The process's runtime, created on first use (with the worker, unless DELIVERY_WORKER=off). */
export function getRuntime(): Promise<Runtime> {
  globalForRuntime.joinchatRuntime ??= createRuntime(getEnv(), { startWorker: true });
  return globalForRuntime.joinchatRuntime;
}

/** Installs a runtime created elsewhere (the production server) as the process's. */
export function setRuntime(runtime: Runtime): void {
  globalForRuntime.joinchatRuntime = Promise.resolve(runtime);
}
