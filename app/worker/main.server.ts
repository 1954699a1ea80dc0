import http from "node:http";
import { QueueDeliveryWorker } from "../delivery/bullmq.server";
import { deliverPush } from "../delivery/deliver.server";
import { EnvError, getEnv, type Env } from "../env.server";
import { log } from "../logger.server";
import { createRuntime } from "../runtime.server";

// `npm run worker` (node worker.mjs, from the production build like npm start): a delivery worker for
// QUEUE=bullmq. Any number of them, on any number of machines, share the PostgreSQL database and the Redis queue;
// each takes up to DELIVERY_CONCURRENCY jobs at once, at most DELIVERY_SHOP_CONCURRENCY of one shop.
// WORKER_PORT (optional) serves GET /healthz (the process is up) and GET /readyz (database and Redis answer).

function refuse(message: string): never {
  process.stderr.write(`${message}\n\nSee "Scaling out" in README.md.\n`);
  process.exit(78);
}

function loadEnv(): Env {
  try {
    return getEnv();
  } catch (error) {
    if (error instanceof EnvError) refuse(error.message);
    throw error;
  }
}

export async function startWorkerProcess(): Promise<void> {
  const env = loadEnv();
  if (env.QUEUE !== "bullmq") {
    refuse("npm run worker delivers from the BullMQ queue: set QUEUE=bullmq, REDIS_URL and a postgres:// DATABASE_URL (with QUEUE=embedded, npm start delivers in the web process)");
  }
  const runtime = await createRuntime(env, { role: "worker" });
  const worker = new QueueDeliveryWorker({
    url: env.REDIS_URL!,
    prefix: env.QUEUE_PREFIX,
    db: runtime.db,
    write: (work) => runtime.commit.run(work),
    deliver: (push) => deliverPush(runtime.deliveryDeps, push),
    concurrency: env.DELIVERY_CONCURRENCY,
    shopConcurrency: env.DELIVERY_SHOP_CONCURRENCY,
    leaseMs: runtime.leaseMs,
    reconcileMs: env.DELIVERY_POLL_MS,
  });
  await worker.start();

  let stopping = false;
  const health = env.WORKER_PORT === undefined ? null : await serveHealth(env, worker, runtime.db, () => stopping);
  log.info("worker started", { database: runtime.db.kind, queue: env.QUEUE, concurrency: env.DELIVERY_CONCURRENCY, shopConcurrency: env.DELIVERY_SHOP_CONCURRENCY });

  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info("worker stopping", { signal, deliveriesInFlight: worker.activeDeliveries });
    // Never hang: past the deadline and a margin, exit; a push left 'sending' comes back when its lease runs out.
    setTimeout(() => {
      log.warn("worker did not stop in time", { deliveriesInFlight: worker.activeDeliveries });
      process.exit(1);
    }, env.SHUTDOWN_TIMEOUT_MS + 10_000).unref();
    worker
      .stop(env.SHUTDOWN_TIMEOUT_MS)
      .then(() => runtime.close())
      .then(() => new Promise<void>((resolve) => (health ? health.close(() => resolve()) : resolve())))
      .then(() => {
        log.info("worker stopped", { signal });
        process.exit(0);
      })
      .catch((error) => {
        log.error("unclean worker stop", { error });
        process.exit(1);
      });
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

async function serveHealth(env: Env, worker: QueueDeliveryWorker, db: { get: (sql: string) => Promise<unknown> }, stopping: () => boolean): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const reply = (status: number, body: object) => {
      const text = JSON.stringify(body);
      res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
      res.end(text);
    };
    if (req.url === "/healthz") return reply(200, { status: "ok" });
    if (req.url === "/readyz") {
      void (async () => {
        const body: Record<string, string> = {};
        let ok = !stopping();
        await db.get("SELECT 1 AS ok").then(
          () => (body.database = "ok"),
          (error: Error) => ((body.database = error.message), (ok = false)),
        );
        await worker.ping().then(
          () => (body.queue = "ok"),
          (error: Error) => ((body.queue = error.message), (ok = false)),
        );
        reply(ok ? 200 : 503, { status: ok ? "ready" : stopping() ? "stopping" : "not ready", ...body, deliveriesInFlight: String(worker.activeDeliveries) });
      })();
      return;
    }
    reply(404, { error: "not found" });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(env.WORKER_PORT, env.HOST, () => resolve());
  });
  return server;
}
