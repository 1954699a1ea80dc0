// What `npm start` (server.mjs) and `npm run worker` (worker.mjs) do alike, through app/server/process.server.ts: a bad
// configuration exits 78 with what is wrong and where the README explains it; /readyz answers by the same check; SIGTERM
// stops the process cleanly. Needs the production build (npx remix vite:build).
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { freePort, freshDatabaseFile, httpRequest, waitFor } from "../helpers/app-process";
import { createTestPostgresDatabase, removeRedisPrefix, scaleOutAvailable, TEST_REDIS_URL, uniqueQueuePrefix } from "../helpers/backends";

const ROOT = path.resolve(".");

interface Run {
  code: Promise<number | null>;
  output: () => string;
  kill: (signal: NodeJS.Signals) => void;
}

function run(entry: "server.mjs" | "worker.mjs", env: Record<string, string>): Run {
  const child = spawn(process.execPath, [path.join(ROOT, entry)], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", NODE_ENV: "production", LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const code = new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
  return { code, output: () => output, kill: (signal) => child.kill(signal) };
}

/** A complete, valid configuration of the embedded default. */
function validEnv(dbFile: string, port: number): Record<string, string> {
  return {
    SHOPIFY_API_KEY: "lifecycle-key",
    SHOPIFY_API_SECRET: "lifecycle-secret",
    SHOPIFY_APP_URL: "https://lifecycle.example.com",
    ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    JOINCHAT_API_URL: "http://127.0.0.1:9/v1/push",
    DATABASE_URL: `file:${dbFile}`,
    HOST: "127.0.0.1",
    PORT: String(port),
  };
}

async function readyz(port: number): Promise<{ status: number; body: Record<string, string> }> {
  const res = await httpRequest(`http://127.0.0.1:${port}/readyz`, { method: "GET" });
  return { status: res.status, body: JSON.parse(res.text) as Record<string, string> };
}

describe("both processes", { timeout: 60_000 }, () => {
  it("exit 78 on a bad configuration, naming every problem and the README's section", async () => {
    const env = { ...validEnv(await freshDatabaseFile(), await freePort()), JOINCHAT_API_URL: "", DELIVERY_CONCURRENCY: "many" };
    for (const entry of ["server.mjs", "worker.mjs"] as const) {
      const p = run(entry, env);
      expect(await p.code, p.output()).toBe(78);
      expect(p.output()).toContain("JOINCHAT_API_URL");
      expect(p.output()).toContain("DELIVERY_CONCURRENCY");
      expect(p.output()).toContain('See "Configuration" in README.md.');
    }
  });

  it("exit 78 for JOINCHAT_API_SECRET without JOINCHAT_SINGLE_SHOP: the operator's secret serves one shop only", async () => {
    const env = { ...validEnv(await freshDatabaseFile(), await freePort()), JOINCHAT_API_SECRET: "operator-secret-123" };
    const p = run("server.mjs", env);
    expect(await p.code, p.output()).toBe(78);
    expect(p.output()).toMatch(/JOINCHAT_API_SECRET is for a single-shop deployment only: set JOINCHAT_SINGLE_SHOP/);
  });

  it("exit 78 for a worker without QUEUE=bullmq: the web process delivers then", async () => {
    const p = run("worker.mjs", validEnv(await freshDatabaseFile(), await freePort()));
    expect(await p.code, p.output()).toBe(78);
    expect(p.output()).toMatch(/npm run worker delivers from the BullMQ queue: set QUEUE=bullmq/);
    expect(p.output()).toContain('See "Scaling out" in README.md.');
  });

  it("the web process: /readyz by the shared check, and SIGTERM stops it cleanly", async () => {
    const port = await freePort();
    const p = run("server.mjs", validEnv(await freshDatabaseFile(), port));
    const ready = await waitFor(() => readyz(port).catch(() => null), 30_000, "the web process's /readyz");
    expect(ready).toEqual({
      status: 200,
      body: {
        status: "ready",
        database: "ok",
        worker: "running",
        staleDeliveriesIgnored: "0",
        otherShopRefused: "0",
        memoryPeakMb: expect.stringMatching(/^\d+$/),
      },
    });
    p.kill("SIGTERM");
    expect(await p.code, p.output()).toBe(0);
    expect(p.output()).toContain('"msg":"stopping"');
    expect(p.output()).toContain('"msg":"stopped"');
  });

  it.skipIf(!scaleOutAvailable)("a worker process: /readyz by the shared check, and SIGTERM stops it cleanly", async () => {
    const database = await createTestPostgresDatabase();
    const prefix = uniqueQueuePrefix();
    try {
      const workerPort = await freePort();
      const p = run("worker.mjs", {
        ...validEnv("unused", await freePort()),
        DATABASE_URL: database.url,
        QUEUE: "bullmq",
        REDIS_URL: TEST_REDIS_URL,
        QUEUE_PREFIX: prefix,
        WORKER_PORT: String(workerPort),
      });
      const ready = await waitFor(() => readyz(workerPort).catch(() => null), 30_000, "the worker's /readyz");
      expect(ready).toEqual({ status: 200, body: { status: "ready", database: "ok", queue: "ok", deliveriesInFlight: "0" } });
      p.kill("SIGTERM");
      expect(await p.code, p.output()).toBe(0);
      expect(p.output()).toContain('"msg":"worker stopping"');
      expect(p.output()).toContain('"msg":"worker stopped"');
    } finally {
      await removeRedisPrefix(prefix);
      await database.drop();
    }
  });
});
