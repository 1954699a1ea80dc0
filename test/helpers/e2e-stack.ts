// One end-to-end test file's world: a JoinChat sandbox (port 0), a recorder in front of it, and the production
// server on a fresh database pointed at the recorder, on one of the backends (test/helpers/backends.ts). Each
// test file starts its own per backend and closes it in afterAll.
import { afterAll, afterEach, beforeAll, describe } from "vitest";
import { startJoinChatSandbox, type JoinChatSandbox, type ReceivedPush, type SandboxOptions } from "../sandbox/joinchat-sandbox";
import { startAppProcess, TEST_JOINCHAT_API_SECRET, type AppProcess } from "./app-process";
import { E2E_BACKENDS, type E2eBackend } from "./backends";
import { startJoinChatRecorder, type JoinChatRecorder } from "./joinchat-recorder";

export interface E2eStack {
  sandbox: JoinChatSandbox;
  recorder: JoinChatRecorder;
  app: AppProcess;
  close(): Promise<void>;
}

/** The sandbox's options for a stack (its secret is the app's): e.g. `{ latency: 300, throttle: {...} }`. */
export type E2eSandboxOptions = Omit<SandboxOptions, "defaultSecret" | "port" | "host">;

export async function startE2eStack(env: Record<string, string> = {}, backend?: E2eBackend, sandboxOptions: E2eSandboxOptions = {}): Promise<E2eStack> {
  const sandbox = await startJoinChatSandbox({ ...sandboxOptions, defaultSecret: TEST_JOINCHAT_API_SECRET });
  const recorder = await startJoinChatRecorder(sandbox.url);
  let app: AppProcess;
  try {
    // The Send API (notices) through the recorder too; a test without it passes JOINCHAT_SEND_API_URL: "".
    app = await startAppProcess({ joinchatUrl: recorder.url, env: { JOINCHAT_SEND_API_URL: `${recorder.origin}/api/send_message`, ...env }, backend });
  } catch (error) {
    await recorder.close();
    await sandbox.close();
    throw error;
  }
  return {
    sandbox,
    recorder,
    app,
    /** Stops everything; then fails if the app logged an error (a crash of a delivery, a webhook not stored). */
    async close() {
      await app.stop().catch(() => app.kill("SIGKILL"));
      await recorder.close();
      await sandbox.close();
      const errors = app
        .logs()
        .split("\n")
        .filter((line) => line.includes('"level":"error"'));
      if (errors.length > 0) throw new Error(`the app logged ${errors.length} error(s):\n${errors.slice(0, 5).join("\n")}`);
    },
  };
}

/**
 * The hooks every end-to-end file needs: its own stack before the tests, the sandbox back to how it started after
 * each test (no faults, every recipient known, no messaging window, its first latency and throttle), everything
 * stopped at the end. `onStart` receives the stack.
 */
export function useE2eStack(
  onStart: (stack: E2eStack) => void,
  env: Record<string, string> = {},
  backend?: E2eBackend,
  sandboxOptions: E2eSandboxOptions = {},
): void {
  let stack: E2eStack | undefined;
  let started: { latency: ReturnType<JoinChatSandbox["latency"]>; throttle: ReturnType<JoinChatSandbox["throttle"]> } | undefined;
  beforeAll(async () => {
    stack = await startE2eStack(env, backend, sandboxOptions);
    started = { latency: stack.sandbox.latency(), throttle: stack.sandbox.throttle() };
    onStart(stack);
  });
  afterEach(() => {
    if (!stack || !started) return;
    stack.sandbox.clearFaults();
    stack.sandbox.setKnownRecipients(null);
    stack.sandbox.setMessagingWindow([]);
    stack.sandbox.setLatency(started.latency);
    stack.sandbox.setThrottle(started.throttle);
  });
  afterAll(async () => {
    await stack?.close();
  });
}

/** What the sandbox accepted for a shop (first deliveries only, replays left out). */
export function receivedBy(sandbox: JoinChatSandbox, shop: string, topic?: string): ReceivedPush[] {
  return sandbox.received.filter((r) => r.shop === shop && !r.replay && (topic === undefined || r.topic === topic));
}

/**
 * The same end-to-end suite on every backend of test/helpers/backends.ts (SQLite with the embedded worker;
 * PostgreSQL with BullMQ workers, skipped without those servers outside CI). `suite` registers the file's hooks
 * (useE2eStack with the backend) and its tests; the backends run one after the other.
 */
export function describeOnBackends(suite: (backend: E2eBackend) => void): void {
  for (const { backend, skip } of E2E_BACKENDS) describe.skipIf(skip)(`on ${backend.label}`, () => suite(backend));
}
