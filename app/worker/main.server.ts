import http from "node:http";
import { QueueDeliveryWorker } from "../delivery/bullmq.server";
import { deliverPush } from "../delivery/deliver.server";
import type { Env } from "../env.server";
import { log } from "../logger.server";
import { createRuntime } from "../runtime.server";
import { checkReadiness, createRuntimeOrExit, exitForBadConfiguration, handleStopSignals, loadEnvOrExit, sendJson } from "../server/process.server";

// `npm run worker` (node worker.mjs, from the production build like npm start): a delivery worker for
// QUEUE=bullmq. Any number of them, on any number of machines, share the PostgreSQL database and the Redis queue;
// each takes up to DELIVERY_CONCURRENCY jobs at once, slowing a shop (or all) down when JoinChat pushes back.
// WORKER_PORT (optional) serves GET /healthz (the process is up) and GET /readyz (database and Redis answer).
// Its runtime is of role worker: it takes no webhooks and builds no embedded worker.

export async function startWorkerProcess(): Promise<void> {
  const env = loadEnvOrExit("Scaling out");
  if (env.QUEUE !== "bullmq") {
    exitForBadConfiguration(
      "npm run worker delivers from the BullMQ queue: set QUEUE=bullmq, REDIS_URL and a postgres:// DATABASE_URL (with QUEUE=embedded, npm start delivers in the web process)",
      "Scaling out",
    );
  }
  const runtime = await createRuntimeOrExit(() => createRuntime(env, { role: "worker" }), "Configuration");
  const worker = new QueueDeliveryWorker({
    url: env.REDIS_URL!,
    prefix: env.QUEUE_PREFIX,
    db: runtime.db,
    write: (work) => runtime.commit.run(work),
    deliver: (push) => deliverPush(runtime.deliveryDeps, push),
    concurrency: env.DELIVERY_CONCURRENCY,
    shopConcurrency: env.DELIVERY_SHOP_CONCURRENCY,
    backPressure: runtime.deliveryDeps.backPressure,
    leaseMs: runtime.leaseMs,
    reconcileMs: env.DELIVERY_POLL_MS,
  });
  await worker.start();

  let health: http.Server | null = null;
  const stopping = handleStopSignals({
    logPrefix: "worker ",
    deadlineMs: env.SHUTDOWN_TIMEOUT_MS,
    inFlight: () => worker.activeDeliveries,
    stop: async () => {
      await worker.stop(env.SHUTDOWN_TIMEOUT_MS);
      await runtime.close();
      await new Promise<void>((resolve) => (health ? health.close(() => resolve()) : resolve()));
    },
  });
  health =
    env.WORKER_PORT === undefined
      ? null
      : await serveHealth(env, (res) =>
          checkReadiness({
            db: runtime.db,
            queue: () => worker.ping(),
            stopping: stopping(),
            report: { deliveriesInFlight: String(worker.activeDeliveries) },
          }).then(({ status, body }) => sendJson(res, status, body)),
        );
  log.info("worker started", {
    database: runtime.db.kind,
    queue: env.QUEUE,
    concurrency: env.DELIVERY_CONCURRENCY,
    shopConcurrency: env.DELIVERY_SHOP_CONCURRENCY,
  });
}

async function serveHealth(env: Env, answerReadiness: (res: http.ServerResponse) => Promise<void>): Promise<http.Server> {
  // The web process's limits (app-server.server.ts): slow or idle clients of the health port are cut off in seconds,
  // and their connections capped, so that they cannot hold the resources of a process that delivers.
  const options = {
    headersTimeout: env.HTTP_HEADERS_TIMEOUT_SECONDS * 1000,
    requestTimeout: env.HTTP_REQUEST_TIMEOUT_SECONDS * 1000,
    connectionsCheckingInterval: 1000,
  };
  const server = http.createServer(options, (req, res) => {
    if (req.url === "/healthz") return sendJson(res, 200, { status: "ok" });
    if (req.url === "/readyz") return void answerReadiness(res);
    sendJson(res, 404, { error: "not found" });
  });
  server.maxConnections = env.HTTP_MAX_CONNECTIONS;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(env.WORKER_PORT, env.HOST, () => resolve());
  });
  return server;
}
