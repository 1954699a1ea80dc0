import type { Database } from "./db/database.server";
import { openDatabaseByUrl } from "./db/open.server";
import { deliverPush, type DeliveryDeps } from "./delivery/deliver.server";
import { DeliveryQueueProducer } from "./delivery/bullmq.server";
import { claimDuePushes, nextDueAt, releasePush, releaseStalledPushes } from "./delivery/outbox.server";
import { DeliveryWorker } from "./delivery/worker.server";
import { getEnv, leaseMsOf, type Env } from "./env.server";
import { log, setLogLevel } from "./logger.server";
import { createSecretBox, type SecretBox } from "./settings/secret-box.server";
import { createAdminApi, type AdminApi } from "./shopify/admin-api.server";
import { SHOPIFY_API_VERSION } from "./shopify/api-version";
import { createGroupCommit, type GroupCommit } from "./webhooks/group-commit.server";
import { createWebhookReceiver, type WebhookReceiver } from "./webhooks/receive.server";

// Everything a process of the app holds: the database, the intake service and the delivery worker.
// One per process; the web server, the Remix routes and the CLI all reach the same services through it.
// QUEUE=embedded (the default): the web process delivers with its DeliveryWorker. QUEUE=bullmq: the web
// process adds a BullMQ job per push after the intake commit, and `npm run worker` processes deliver
// (app/worker/main.server.ts, on the same runtime without the embedded worker).

export interface Runtime {
  env: Env;
  db: Database;
  box: SecretBox;
  commit: GroupCommit;
  receive: WebhookReceiver;
  /** The embedded worker (started in a web process with QUEUE=embedded and DELIVERY_WORKER=on). */
  worker: DeliveryWorker;
  /** QUEUE=bullmq in a web process: where the intake adds the jobs of new pushes. */
  producer: DeliveryQueueProducer | null;
  adminApi: AdminApi;
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

/** SQLite for a `file:` DATABASE_URL, PostgreSQL for `postgres://` / `postgresql://`. */
export function openDatabase(env: Env, applicationName = "joinchat-push web"): Database {
  return openDatabaseByUrl(env.DATABASE_URL, { synchronous: env.SQLITE_SYNCHRONOUS, poolSize: env.DATABASE_POOL_SIZE, applicationName });
}

export async function createRuntime(env: Env, options: RuntimeOptions = {}): Promise<Runtime> {
  setLogLevel(env.LOG_LEVEL);
  const role = options.role ?? "web";
  const db = openDatabase(env, `joinchat-push ${role}`);
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
  const leaseMs = leaseMsOf(env);
  const worker = new DeliveryWorker({
    concurrency: env.DELIVERY_CONCURRENCY,
    shopConcurrency: env.DELIVERY_SHOP_CONCURRENCY,
    pollMs: env.DELIVERY_POLL_MS,
    deliver: (push) => deliverPush(deliveryDeps, push),
    source: {
      // Through the group commit: a claim shares its commit with the outcomes written meanwhile.
      claim: (limit, capacity) => commit.run((tx) => claimDuePushes(tx, Date.now(), limit, leaseMs, capacity)),
      nextDueAt: () => nextDueAt(db),
      releaseStalled: () => releaseStalledPushes(db, Date.now()),
    },
  });
  // With BullMQ the web process only records and enqueues, after the commit; the outbox keeps what Redis loses.
  const producer = env.QUEUE === "bullmq" && role === "web" ? new DeliveryQueueProducer({ url: env.REDIS_URL!, prefix: env.QUEUE_PREFIX }, "web") : null;
  const receive = producer
    ? createWebhookReceiver({ commit, onPushesStored: (_dueAt, pushes) => producer.addSoon(pushes), onPushesCancelled: (pushes) => producer.removeSoon(pushes) })
    : createWebhookReceiver({ commit, onPushesStored: (dueAt) => worker.wake(dueAt) });

  if (options.startWorker && env.DELIVERY_WORKER && env.QUEUE === "embedded") {
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
    producer,
    adminApi,
    deliveryDeps,
    leaseMs,
    async close() {
      // Deliveries in flight finish, or are put back for another attempt when they take longer than allowed.
      await worker.stop({
        deadlineMs: env.SHUTDOWN_TIMEOUT_MS,
        release: async (pushes) => {
          for (const push of pushes) await commit.run((tx) => releasePush(tx, push, Date.now()));
        },
      });
      await commit.drain();
      await producer?.close();
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
