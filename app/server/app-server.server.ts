import http from "node:http";
import type { AddressInfo } from "node:net";
import { log } from "../logger.server";
import { singleShopSecretOf, type Runtime } from "../runtime.server";
import { createLookupHttpHandler } from "../lookup/http.server";
import { LOOKUP_PATH_PREFIX } from "../lookup/setup.server";
import { createBodyBudget, createWebhookHttpHandler, type BodyBudget } from "../webhooks/http-intake.server";
import { checkReadiness, sendJson as json, type Readiness } from "./process.server";
import { admitRequestBody, isWebhookPath, normalizePath } from "./request-guard.server";

// The one HTTP server of a web process: webhooks take the lean path, health checks answer directly,
// everything else (the embedded admin) goes to Remix.

export type NodeHandler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/** The methods the admin's routes (Remix) may be reached with. */
const ROUTABLE_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

export interface AppServer {
  server: http.Server;
  port: number;
  /** The bytes of request bodies held at once (now, and the most). */
  budget: BodyBudget;
  close(): Promise<void>;
}

export async function startAppServer(runtime: Runtime, options: { remix?: NodeHandler; port?: number; host?: string } = {}): Promise<AppServer> {
  const { env } = runtime;
  // One budget for every request body the process holds: hundreds of slow or large requests cannot take the memory
  // of the process that also delivers.
  const budget = createBodyBudget(env.HTTP_MAX_BUFFERED_BYTES);
  const handleWebhook = createWebhookHttpHandler({
    apiSecret: env.SHOPIFY_API_SECRET,
    maxBodyBytes: env.WEBHOOK_MAX_BODY_BYTES,
    receive: runtime.receive,
    budget,
  });
  const handleLookup = createLookupHttpHandler({
    db: runtime.db,
    binding: { db: runtime.db, scheduler: runtime.scheduler },
    commit: runtime.commit,
    box: runtime.box,
    singleShopSecret: singleShopSecretOf(runtime.env),
    limits: { perShopPerMinute: runtime.env.LOOKUP_RATE_PER_SHOP_PER_MINUTE, perIdentifierPerHour: runtime.env.LOOKUP_RATE_PER_IDENTIFIER_PER_HOUR },
    adminApi: runtime.adminApi,
  });
  let closing = false;

  const server = http.createServer(
    {
      // A client has seconds, not minutes, to send its headers and its request (then 408 and the connection closed),
      // checked every second.
      headersTimeout: env.HTTP_HEADERS_TIMEOUT_SECONDS * 1000,
      requestTimeout: env.HTTP_REQUEST_TIMEOUT_SECONDS * 1000,
      connectionsCheckingInterval: 1000,
    },
    (req, res) => route(req, res),
  );
  server.maxConnections = env.HTTP_MAX_CONNECTIONS;
  server.keepAliveTimeout = 65_000;

  function route(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = req.url ?? "/";
    // Routed by the path as a router reads it: every spelling of /webhooks/ (case, escapes, dot segments) reaches the
    // lean intake and its WEBHOOK_MAX_BODY_BYTES, never Remix.
    const path = normalizePath(url);
    if (isWebhookPath(path)) {
      handleWebhook(req, res, path).catch((error) => {
        log.error("webhook handler crashed", { error, path: url });
        if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: "internal error" }));
      });
      return;
    }
    if (path.startsWith(LOOKUP_PATH_PREFIX)) {
      handleLookup(req, res).catch((error) => {
        log.error("customer lookup crashed", { error });
        if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ success: false, errors: "internal error: try again later" }));
      });
      return;
    }
    if (!ROUTABLE_METHODS.has(req.method ?? "")) {
      // The Fetch API under Remix refuses TRACE, CONNECT and TRACK: answered here, not a 500 and a stack trace.
      req.resume();
      res.setHeader("allow", [...ROUTABLE_METHODS].join(", "));
      return json(res, 405, { error: `${req.method} is not a method of this app` });
    }
    if (!admitRequestBody(req, res, env.REQUEST_MAX_BODY_BYTES, budget)) return;
    if (url === "/healthz") return json(res, 200, { status: "ok" });
    if (url === "/readyz") {
      void readiness(runtime, closing).then(({ status, body }) => json(res, status, body));
      return;
    }
    if (options.remix) return options.remix(req, res);
    json(res, 404, { error: "not found" });
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? runtime.env.PORT, options.host ?? runtime.env.HOST, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    server,
    port,
    budget,
    async close() {
      closing = true;
      // Stop taking requests, let those in progress answer, then stop the worker and close the database.
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await runtime.close();
    },
  };
}

/**
 * GET /readyz: the database answers, and with QUEUE=bullmq so does Redis (a webhook is still taken without it,
 * but its push waits in the outbox until a worker's reconciler enqueues it).
 */
export function readiness(runtime: Pick<Runtime, "db" | "scheduler" | "worker"> & Partial<Pick<Runtime, "intakeStats">>, closing: boolean): Promise<Readiness> {
  const queued = runtime.scheduler.kind === "bullmq";
  const stats = runtime.intakeStats;
  return checkReadiness({
    db: runtime.db,
    queue: queued ? () => runtime.scheduler.check() : undefined,
    stopping: closing,
    report: {
      worker: queued ? "separate" : runtime.worker?.running ? "running" : "off",
      // What the intake ignored or refused since the process started, and the most memory it took.
      ...(stats ? { staleDeliveriesIgnored: String(stats.staleIgnored), otherShopRefused: String(stats.otherShopRefused) } : {}),
      memoryPeakMb: String(Math.round(process.resourceUsage().maxRSS / 1024)),
    },
  });
}
