import http from "node:http";
import type { AddressInfo } from "node:net";
import { log } from "../logger.server";
import type { Runtime } from "../runtime.server";
import { createWebhookHttpHandler } from "../webhooks/http-intake.server";

// The one HTTP server of a web process: webhooks take the lean path, health checks answer directly,
// everything else (the embedded admin) goes to Remix.

export type NodeHandler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

export interface AppServer {
  server: http.Server;
  port: number;
  close(): Promise<void>;
}

export async function startAppServer(runtime: Runtime, options: { remix?: NodeHandler; port?: number; host?: string } = {}): Promise<AppServer> {
  const handleWebhook = createWebhookHttpHandler({
    apiSecret: runtime.env.SHOPIFY_API_SECRET,
    maxBodyBytes: runtime.env.WEBHOOK_MAX_BODY_BYTES,
    receive: runtime.receive,
  });
  let closing = false;

  const server = http.createServer((req, res) => {
    const url = req.url ?? "/";
    if (url.startsWith("/webhooks/")) {
      handleWebhook(req, res).catch((error) => {
        log.error("webhook handler crashed", { error, path: url });
        if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: "internal error" }));
      });
      return;
    }
    if (url === "/healthz") return json(res, 200, { status: "ok" });
    if (url === "/readyz") {
      void readiness(runtime, closing).then(({ status, body }) => json(res, status, body));
      return;
    }
    if (options.remix) return options.remix(req, res);
    json(res, 404, { error: "not found" });
  });
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? runtime.env.PORT, options.host ?? runtime.env.HOST, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    server,
    port,
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
export async function readiness(
  runtime: Pick<Runtime, "db" | "producer" | "worker">,
  closing: boolean,
): Promise<{ status: number; body: Record<string, string> }> {
  const body: Record<string, string> = { status: "ready" };
  let ok = true;
  try {
    await runtime.db.get("SELECT 1 AS ok");
    body.database = "ok";
  } catch (error) {
    ok = false;
    body.database = (error as Error).message;
  }
  if (runtime.producer) {
    try {
      await runtime.producer.ping();
      body.queue = "ok";
    } catch (error) {
      ok = false;
      body.queue = (error as Error).message;
    }
    body.worker = "separate";
  } else {
    body.worker = runtime.worker.running ? "running" : "off";
  }
  if (!ok) body.status = "not ready";
  else if (closing) body.status = "stopping";
  return { status: ok && !closing ? 200 : 503, body };
}

function json(res: http.ServerResponse, status: number, body: object): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}
