import express from "express";
import { createRequestHandler } from "@remix-run/express";
import type { ServerBuild } from "@remix-run/node";
import { EnvError, getEnv } from "../env.server";
import { log } from "../logger.server";
import { createRuntime, setRuntime } from "../runtime.server";
import { startAppServer } from "./app-server.server";

/**
 * `npm start`: the production build, the lean webhook path and (QUEUE=embedded) the delivery worker in one
 * process. SIGTERM stops taking requests, lets the deliveries in flight finish (SHUTDOWN_TIMEOUT_MS, then puts
 * them back for another attempt), waits for the last enqueues (QUEUE=bullmq) and exits.
 */
export async function startProductionServer(build: ServerBuild): Promise<void> {
  let env;
  try {
    env = getEnv();
  } catch (error) {
    if (error instanceof EnvError) {
      process.stderr.write(`${error.message}\n\nSee "Configuration" in README.md.\n`);
      process.exit(78);
    }
    throw error;
  }
  const runtime = await createRuntime(env, { startWorker: true });
  setRuntime(runtime);

  const app = express();
  app.disable("x-powered-by");
  app.use("/assets", express.static("build/client/assets", { immutable: true, maxAge: "1y" }));
  app.use(express.static("build/client", { maxAge: "1h" }));
  app.all("*", createRequestHandler({ build, mode: "production" }));

  const server = await startAppServer(runtime, { remix: app });
  log.info("app listening", { port: server.port, database: runtime.db.kind, queue: env.QUEUE, worker: runtime.worker.running });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info("stopping", { signal, deliveriesInFlight: runtime.worker.activeDeliveries });
    // Never hang: past the deadline and a margin, exit; a push left 'sending' comes back when its lease runs out.
    setTimeout(() => {
      log.warn("did not stop in time", { deliveriesInFlight: runtime.worker.activeDeliveries });
      process.exit(1);
    }, env.SHUTDOWN_TIMEOUT_MS + 10_000).unref();
    server
      .close()
      .then(() => process.exit(0))
      .catch((error) => {
        log.error("unclean stop", { error });
        process.exit(1);
      });
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}
