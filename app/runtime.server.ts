import type { Database } from "./db/database.server";
import { sqliteFilePath } from "./db/database-url";
import { openSqliteDatabase } from "./db/sqlite.server";
import { deliverPush, type DeliveryDeps } from "./delivery/deliver.server";
import { claimDuePushes, nextDueAt, releaseStalledPushes } from "./delivery/outbox.server";
import { DeliveryWorker } from "./delivery/worker.server";
import { getEnv, type Env } from "./env.server";
import { log, setLogLevel } from "./logger.server";
import { createSecretBox, type SecretBox } from "./settings/secret-box.server";
import { createAdminApi, type AdminApi } from "./shopify/admin-api.server";
import { SHOPIFY_API_VERSION } from "./shopify/api-version";
import { createGroupCommit, type GroupCommit } from "./webhooks/group-commit.server";
import { createWebhookReceiver, type WebhookReceiver } from "./webhooks/receive.server";

// Everything a process of the app holds: the database, the intake service and the delivery worker.
// One per process; the web server, the Remix routes and the CLI all reach the same services through it.

export interface Runtime {
  env: Env;
  db: Database;
  box: SecretBox;
  commit: GroupCommit;
  receive: WebhookReceiver;
  worker: DeliveryWorker;
  adminApi: AdminApi;
  deliveryDeps: DeliveryDeps;
  close(): Promise<void>;
}

export interface RuntimeOptions {
  /** The web process delivers; the CLI only reads and writes. */
  startWorker?: boolean;
}

export function openDatabase(env: Env): Database {
  if (env.DATABASE_URL.startsWith("file:")) {
    return openSqliteDatabase(sqliteFilePath(env.DATABASE_URL), { synchronous: env.SQLITE_SYNCHRONOUS });
  }
  throw new Error("PostgreSQL is not supported by this build yet: set DATABASE_URL to a file: URL");
}

export async function createRuntime(env: Env, options: RuntimeOptions = {}): Promise<Runtime> {
  setLogLevel(env.LOG_LEVEL);
  const db = openDatabase(env);
  const box = createSecretBox(env.ENCRYPTION_KEY);
  const adminApi = createAdminApi({
    sql: db,
    apiVersion: SHOPIFY_API_VERSION,
    timeoutMs: env.SHOPIFY_ADMIN_API_TIMEOUT_MS,
    origin: env.SHOPIFY_ADMIN_API_ORIGIN,
  });
  const commit = createGroupCommit(db);
  const deliveryDeps: DeliveryDeps = {
    db,
    commit,
    box,
    adminApi,
    joinchatUrl: env.JOINCHAT_API_URL,
    defaultSecret: env.JOINCHAT_API_SECRET ?? null,
    timeoutMs: env.JOINCHAT_TIMEOUT_MS,
    policy: { baseMs: env.DELIVERY_RETRY_BASE_MS, capMs: env.DELIVERY_RETRY_CAP_MS, maxAgeMs: env.DELIVERY_MAX_RETRY_AGE_MS },
  };
  // A claim outlives the JoinChat call and the Admin API lookups before it.
  const leaseMs = env.JOINCHAT_TIMEOUT_MS + 3 * env.SHOPIFY_ADMIN_API_TIMEOUT_MS + 30_000;
  const worker = new DeliveryWorker({
    concurrency: env.DELIVERY_CONCURRENCY,
    pollMs: env.DELIVERY_POLL_MS,
    deliver: (push) => deliverPush(deliveryDeps, push),
    source: {
      // Through the group commit: a claim shares its commit with the outcomes written meanwhile.
      claim: (limit) => commit.run((tx) => claimDuePushes(tx, Date.now(), limit, leaseMs)),
      nextDueAt: () => nextDueAt(db),
      releaseStalled: () => releaseStalledPushes(db, Date.now()),
    },
  });
  const receive = createWebhookReceiver({ commit, onPushesStored: (dueAt) => worker.wake(dueAt) });

  if (options.startWorker && env.DELIVERY_WORKER) {
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
    worker,
    adminApi,
    deliveryDeps,
    async close() {
      await worker.stop();
      await commit.drain();
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
