// The scale-out path under load and under faults: the production build on PostgreSQL with BullMQ, several
// `npm run worker` processes, the JoinChat sandbox counting what it got by Idempotency-Key and business key.
import { execFile } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { promisify } from "node:util";
import { expect } from "vitest";
import { buildOrderJson } from "../fixtures/orders";
import { startAppProcess, TEST_JOINCHAT_API_SECRET, waitFor, type AppProcess } from "../helpers/app-process";
import { SCALE_OUT_BACKEND, TEST_REDIS_URL } from "../helpers/backends";
import { startJoinChatSandbox, type JoinChatSandbox } from "../sandbox/joinchat-sandbox";

const run = promisify(execFile);

/** In front of the sandbox: how many pushes of each shop were in flight at once, at most. */
export interface ConcurrencyProbe {
  url: string;
  maxInFlight: number;
  maxInFlightOf(shop: string): number;
  /** When the last push of each shop was answered. */
  lastAnswerOf(shop: string): number;
  close(): Promise<void>;
}

export async function startConcurrencyProbe(targetUrl: string): Promise<ConcurrencyProbe> {
  const target = new URL(targetUrl);
  const inFlight = new Map<string, number>();
  const most = new Map<string, number>();
  const last = new Map<string, number>();
  let total = 0;
  const probe = {
    url: "",
    maxInFlight: 0,
    maxInFlightOf: (shop: string) => most.get(shop) ?? 0,
    lastAnswerOf: (shop: string) => last.get(shop) ?? 0,
    close: async () => {},
  };
  const server = http.createServer((req, res) => {
    const shop = String(req.headers["x-shop-domain"] ?? "");
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      total += 1;
      probe.maxInFlight = Math.max(probe.maxInFlight, total);
      inFlight.set(shop, (inFlight.get(shop) ?? 0) + 1);
      most.set(shop, Math.max(most.get(shop) ?? 0, inFlight.get(shop)!));
      const done = () => {
        total -= 1;
        inFlight.set(shop, inFlight.get(shop)! - 1);
        last.set(shop, Date.now());
      };
      const body = Buffer.concat(chunks);
      const out = http.request(
        target,
        { method: req.method, headers: { ...req.headers, host: target.host, "content-length": String(body.length) }, agent: false },
        (answer) => {
          const parts: Buffer[] = [];
          answer.on("data", (c: Buffer) => parts.push(c));
          answer.on("end", () => {
            done();
            res.writeHead(answer.statusCode ?? 502, { "content-type": answer.headers["content-type"] ?? "application/json" });
            res.end(Buffer.concat(parts));
          });
        },
      );
      out.on("error", () => {
        done();
        res.destroy();
      });
      out.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  probe.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${target.pathname}`;
  probe.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return probe;
}

export interface ScaleStack {
  sandbox: JoinChatSandbox;
  probe: ConcurrencyProbe;
  app: AppProcess;
  close(): Promise<void>;
}

export async function startScaleStack(options: { workers: number; sandboxDelayMs?: number; env?: Record<string, string> }): Promise<ScaleStack> {
  const sandbox = await startJoinChatSandbox({ defaultSecret: TEST_JOINCHAT_API_SECRET, delayMs: options.sandboxDelayMs ?? 0 });
  const probe = await startConcurrencyProbe(sandbox.url);
  let app: AppProcess;
  try {
    app = await startAppProcess({
      joinchatUrl: probe.url,
      backend: { ...SCALE_OUT_BACKEND, workers: options.workers } as typeof SCALE_OUT_BACKEND,
      env: { LOG_LEVEL: "info", ...options.env },
    });
  } catch (error) {
    await probe.close();
    await sandbox.close();
    throw error;
  }
  return {
    sandbox,
    probe,
    app,
    async close() {
      await app.stop().catch(() => app.kill("SIGKILL"));
      await probe.close();
      await sandbox.close();
    },
  };
}

/** An order of its own (numbered), paid: one Order/Receipt. */
export function paidOrder(n: number): string {
  const id = 5_000_000_000_000n + BigInt(n);
  return buildOrderJson({ id, admin_graphql_api_id: `gid://shopify/Order/${id}`, name: `#S${n}`, financial_status: "paid" });
}

/** Sends `count` paid orders numbered from `from`, `lanes` at a time; shopOf(n) says whose. All must be taken. */
export async function sendOrders(app: AppProcess, shopOf: (n: number) => string, from: number, count: number, lanes = 16): Promise<void> {
  let next = from;
  const end = from + count;
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (next < end) {
        const n = next++;
        const res = await app.sendWebhook("orders/create", shopOf(n), paidOrder(n));
        expect(res.status, res.text).toBe(200);
      }
    }),
  );
}

export async function statusCounts(app: AppProcess): Promise<Record<string, number>> {
  const rows = await app.db.all<{ status: string; n: number }>("SELECT status, COUNT(*) AS n FROM push GROUP BY status");
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}

/** Waits until `expected` pushes are delivered and none is pending. */
export async function waitForAllDelivered(app: AppProcess, expected: number, timeoutMs = 120_000): Promise<void> {
  await waitFor(
    async () => {
      const counts = await statusCounts(app);
      return counts.delivered === expected && !counts.queued && !counts.retrying && !counts.sending;
    },
    timeoutMs,
    `${expected} pushes to be delivered`,
    250,
  ).catch(async (error: Error) => {
    throw new Error(`${error.message}; now ${JSON.stringify(await statusCounts(app))}`);
  });
}

/**
 * Every push of the database reached JoinChat exactly once: one accepted Idempotency-Key per business key, the
 * keys the database holds, nothing doubled, nothing lost. A repeat under the same key (a retry of a push JoinChat
 * had already taken) is a replay, answered as before, never a second message.
 */
export async function expectEachDeliveredOnce(stack: ScaleStack, expected: number): Promise<void> {
  const stats = stack.sandbox.stats();
  expect(stats.doubledBusinessKeys).toEqual([]);
  expect(Object.keys(stats.byBusinessKey)).toHaveLength(expected);
  expect(Object.values(stats.byBusinessKey).every((n) => n === 1)).toBe(true);
  expect(stats.accepted).toBe(expected);
  const firsts = stack.sandbox.received.filter((r) => !r.replay);
  expect(firsts).toHaveLength(expected);
  const rows = await stack.app.db.all<{ idempotency_key: string; status: string }>("SELECT idempotency_key, status FROM push");
  expect(rows).toHaveLength(expected);
  expect(rows.every((r) => r.status === "delivered")).toBe(true);
  expect(new Set(firsts.map((r) => r.idempotencyKey))).toEqual(new Set(rows.map((r) => r.idempotency_key)));
}

/** Deliveries each worker process made, from its log lines. */
export function deliveriesByWorker(app: AppProcess): number[] {
  return app.workers.map(
    (w) =>
      w
        .logs()
        .split("\n")
        .filter((line) => line.includes('"msg":"push delivered"')).length,
  );
}

// ---- the machine's Redis, restarted the way the machine starts it ----

const REDIS_START = [
  "--daemonize",
  "yes",
  "--bind",
  "127.0.0.1",
  "-::1",
  "--port",
  "6379",
  "--save",
  "",
  "--appendonly",
  "no",
  "--dir",
  "/var/lib/redis",
  "--logfile",
  "/var/log/redis/ci.log",
];

/** Whether the tests' Redis is the machine's own (127.0.0.1:6379), which a test may stop and start again. */
export const redisIsTheMachines = (() => {
  if (!TEST_REDIS_URL) return false;
  const url = new URL(TEST_REDIS_URL);
  return (url.hostname === "127.0.0.1" || url.hostname === "localhost") && (url.port === "" || url.port === "6379");
})();

async function redisAnswers(): Promise<boolean> {
  try {
    const { stdout } = await run("redis-cli", ["-h", "127.0.0.1", "-p", "6379", "ping"], { timeout: 2_000 });
    return stdout.trim() === "PONG";
  } catch {
    return false;
  }
}

export async function stopRedis(): Promise<void> {
  await run("redis-cli", ["-h", "127.0.0.1", "-p", "6379", "shutdown", "nosave"], { timeout: 5_000 }).catch(() => {});
  await waitFor(async () => !(await redisAnswers()), 10_000, "Redis to stop", 100);
}

/** Starts the machine's Redis if it does not answer (also after a failed test). */
export async function ensureRedisRunning(): Promise<void> {
  if (await redisAnswers()) return;
  await run("redis-server", REDIS_START, { timeout: 10_000 });
  await waitFor(() => redisAnswers(), 10_000, "Redis to answer again", 100);
}
