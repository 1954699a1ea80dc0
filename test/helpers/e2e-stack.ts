// One end-to-end test file's world: a JoinChat sandbox (port 0), a recorder in front of it, and the production
// server on a fresh database pointed at the recorder. Each test file starts its own and closes it in afterAll.
import { afterAll, afterEach, beforeAll } from "vitest";
import { startJoinChatSandbox, type JoinChatSandbox, type ReceivedPush } from "../sandbox/joinchat-sandbox";
import { startAppProcess, TEST_JOINCHAT_API_SECRET, type AppProcess } from "./app-process";
import { startJoinChatRecorder, type JoinChatRecorder } from "./joinchat-recorder";

export interface E2eStack {
  sandbox: JoinChatSandbox;
  recorder: JoinChatRecorder;
  app: AppProcess;
  close(): Promise<void>;
}

export async function startE2eStack(env: Record<string, string> = {}): Promise<E2eStack> {
  const sandbox = await startJoinChatSandbox({ defaultSecret: TEST_JOINCHAT_API_SECRET });
  const recorder = await startJoinChatRecorder(sandbox.url);
  let app: AppProcess;
  try {
    app = await startAppProcess({ joinchatUrl: recorder.url, env });
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
 * The hooks every end-to-end file needs: its own stack before the tests, the sandbox back to normal after each
 * test (no faults, every recipient known), everything stopped at the end. `onStart` receives the stack.
 */
export function useE2eStack(onStart: (stack: E2eStack) => void, env: Record<string, string> = {}): void {
  let stack: E2eStack | undefined;
  beforeAll(async () => {
    stack = await startE2eStack(env);
    onStart(stack);
  });
  afterEach(() => {
    stack?.sandbox.clearFaults();
    stack?.sandbox.setKnownRecipients(null);
  });
  afterAll(async () => {
    await stack?.close();
  });
}

/** What the sandbox accepted for a shop (first deliveries only, replays left out). */
export function receivedBy(sandbox: JoinChatSandbox, shop: string, topic?: string): ReceivedPush[] {
  return sandbox.received.filter((r) => r.shop === shop && !r.replay && (topic === undefined || r.topic === topic));
}
