// What a process's runtime builds: the embedded DeliveryWorker only in a web process that delivers (QUEUE=embedded,
// DELIVERY_WORKER=on), never in `npm run worker`'s runtime or a process that only records; the scheduler port in
// front of whichever delivers. Real runtimes over a migrated SQLite file; nothing started is left running.
import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { parseEnv } from "../../app/env.server";
import { createRuntime, type Runtime } from "../../app/runtime.server";
import { createTestDatabaseFile } from "../helpers/database";

function envOf(extra: Record<string, string> = {}) {
  return parseEnv({
    SHOPIFY_API_KEY: "runtime-key",
    SHOPIFY_API_SECRET: "runtime-secret",
    SHOPIFY_APP_URL: "https://runtime.example.com",
    ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    JOINCHAT_API_URL: "http://127.0.0.1:9/v1/push",
    DATABASE_URL: `file:${createTestDatabaseFile()}`,
    LOG_LEVEL: "silent",
    ...extra,
  });
}

let runtime: Runtime | null = null;
afterEach(async () => {
  await runtime?.close();
  runtime = null;
});

describe("createRuntime", () => {
  it("builds and starts the embedded worker in a web process that delivers, behind the embedded scheduler", async () => {
    runtime = await createRuntime(envOf(), { startWorker: true });
    expect(runtime.worker?.running).toBe(true);
    expect(runtime.scheduler.kind).toBe("embedded");
  });

  it("builds no embedded worker for `npm run worker`", async () => {
    runtime = await createRuntime(envOf(), { role: "worker", startWorker: true });
    expect(runtime.worker).toBeNull();
  });

  it("builds no embedded worker with DELIVERY_WORKER=off, nor for a process that does not deliver (the CLI, tests)", async () => {
    runtime = await createRuntime(envOf({ DELIVERY_WORKER: "off" }), { startWorker: true });
    expect(runtime.worker).toBeNull();
    await runtime.close();
    runtime = await createRuntime(envOf(), { startWorker: false });
    expect(runtime.worker).toBeNull();
  });
});
