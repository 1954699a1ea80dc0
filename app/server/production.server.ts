import express from "express";
import { createRequestHandler } from "@remix-run/express";
import type { ServerBuild } from "@remix-run/node";
import { log } from "../logger.server";
import { createRuntime, setRuntime } from "../runtime.server";
import { startAppServer } from "./app-server.server";
import { createRuntimeOrExit, handleStopSignals, loadEnvOrExit } from "./process.server";

/**
 * `npm start`: the production build, the lean webhook path and (QUEUE=embedded) the delivery worker in one
 * process. SIGTERM stops taking requests, lets the deliveries in flight finish (SHUTDOWN_TIMEOUT_MS, then puts
 * them back for another attempt), waits for the last enqueues (QUEUE=bullmq) and exits.
 */
export async function startProductionServer(build: ServerBuild): Promise<void> {
  const env = loadEnvOrExit("Configuration");
  const runtime = await createRuntimeOrExit(() => createRuntime(env, { startWorker: true }), "Configuration");
  setRuntime(runtime);

  const app = express();
  app.disable("x-powered-by");
  app.use("/assets", express.static("build/client/assets", { immutable: true, maxAge: "1y" }));
  app.use(express.static("build/client", { maxAge: "1h" }));
  // Remix's handler passes its own failures to next(): nothing is left to await here.
  const handleRemix = createRequestHandler({ build, mode: "production" });
  app.all("*", (req, res, next) => void handleRemix(req, res, next));

  const server = await startAppServer(runtime, { remix: app });
  log.info("app listening", { port: server.port, database: runtime.db.kind, queue: env.QUEUE, worker: runtime.worker?.running ?? false });

  handleStopSignals({
    logPrefix: "",
    deadlineMs: env.SHUTDOWN_TIMEOUT_MS,
    inFlight: () => runtime.worker?.activeDeliveries ?? 0,
    stop: () => server.close(),
  });
}
