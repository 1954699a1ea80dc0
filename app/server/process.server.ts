import type http from "node:http";
import { pingDatabase, type Sql } from "../db/database.server";
import { EnvError, getEnv, type Env } from "../env.server";
import { log } from "../logger.server";
import type { Runtime } from "../runtime.server";
import { StoredSecretsError } from "../settings/stored-secrets.server";

// What the web process (`npm start`, production.server.ts) and the worker process (`npm run worker`,
// app/worker/main.server.ts) do alike: refuse a bad configuration with exit code 78, answer GET /readyz, and stop on
// SIGTERM or SIGINT without ever hanging.

/** EX_CONFIG (sysexits.h): the configuration is wrong; restarting the process will not help. */
export const EXIT_BAD_CONFIGURATION = 78;

/** Prints what is wrong and where the README explains it, and exits 78. */
export function exitForBadConfiguration(message: string, readmeSection: string): never {
  process.stderr.write(`${message}\n\nSee "${readmeSection}" in README.md.\n`);
  process.exit(EXIT_BAD_CONFIGURATION);
}

/** The validated environment, or exit 78 with every problem in it. */
export function loadEnvOrExit(readmeSection: string): Env {
  try {
    return getEnv();
  } catch (error) {
    if (error instanceof EnvError) exitForBadConfiguration(error.message, readmeSection);
    throw error;
  }
}

/** The process's runtime, or exit 78 when ENCRYPTION_KEY cannot read the secrets already stored. */
export async function createRuntimeOrExit(create: () => Promise<Runtime>, readmeSection: string): Promise<Runtime> {
  try {
    return await create();
  } catch (error) {
    if (error instanceof StoredSecretsError) exitForBadConfiguration(error.message, readmeSection);
    throw error;
  }
}

export interface ReadinessProbe {
  db: Pick<Sql, "get">;
  /** The delivery queue (Redis), when the process uses one. */
  queue?: () => Promise<void>;
  /** The process is stopping: not ready for more work, whatever answers. */
  stopping: boolean;
  /** What the process adds about itself (its worker, its deliveries in flight). */
  report?: Record<string, string>;
}

export interface Readiness {
  status: number;
  body: Record<string, string>;
}

/**
 * GET /readyz of either process: 200 when the database (and the queue) answer and the process is not stopping. A part
 * that does not answer reads "unavailable"; its error (a host, a driver's message) is logged, not answered.
 */
export async function checkReadiness(probe: ReadinessProbe): Promise<Readiness> {
  const body: Record<string, string> = { status: "ready" };
  let ok = true;
  try {
    await pingDatabase(probe.db);
    body.database = "ok";
  } catch (error) {
    ok = false;
    // The answer is public: what went wrong goes to the log, never to the client.
    log.warn("readiness: the database does not answer", { error });
    body.database = "unavailable";
  }
  if (probe.queue) {
    try {
      await probe.queue();
      body.queue = "ok";
    } catch (error) {
      ok = false;
      log.warn("readiness: the delivery queue does not answer", { error });
      body.queue = "unavailable";
    }
  }
  Object.assign(body, probe.report);
  body.status = !ok ? "not ready" : probe.stopping ? "stopping" : "ready";
  return { status: ok && !probe.stopping ? 200 : 503, body };
}

export function sendJson(res: http.ServerResponse, status: number, body: object): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

export interface StopOptions {
  /** What the log lines start with: "" for the web process ("stopping"), "worker " for a worker ("worker stopping"). */
  logPrefix: string;
  /** How long the deliveries in flight may take (SHUTDOWN_TIMEOUT_MS); the process exits 10 s after it at the latest. */
  deadlineMs: number;
  /** Deliveries in flight, for the logs. */
  inFlight: () => number;
  /** Stops taking work, lets the work in flight finish or puts it back, closes everything. */
  stop: () => Promise<void>;
}

/**
 * SIGTERM and SIGINT, once: `stop`, then exit 0 (1 when it failed). Never hangs: past the deadline and a margin the
 * process exits 1, and a push it left 'sending' comes back when its lease runs out. Returns whether a stop began.
 */
export function handleStopSignals(options: StopOptions): () => boolean {
  let stopping = false;
  const onSignal = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`${options.logPrefix}stopping`, { signal, deliveriesInFlight: options.inFlight() });
    setTimeout(() => {
      log.warn(`${options.logPrefix}did not stop in time`, { deliveriesInFlight: options.inFlight() });
      process.exit(1);
    }, options.deadlineMs + 10_000).unref();
    options
      .stop()
      .then(() => {
        log.info(`${options.logPrefix}stopped`, { signal });
        process.exit(0);
      })
      .catch((error) => {
        log.error(`unclean ${options.logPrefix}stop`, { error });
        process.exit(1);
      });
  };
  process.on("SIGTERM", () => onSignal("SIGTERM"));
  process.on("SIGINT", () => onSignal("SIGINT"));
  return () => stopping;
}
