// `npm run sandbox` as a process: its harshness flags, its banner, its log, and its refusals of a wrong flag.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { describe, expect, it } from "vitest";
import { exampleReceiptPush, exampleSendMessage } from "./joinchat-sandbox";
import { postRaw } from "./test-client";

const SHOP = "demo-shop.myshopify.com";

function startCli(args: string[]): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, ["--import", "tsx", "test/sandbox/main.ts", ...args], { env: { ...process.env, JOINCHAT_API_SECRET: "" } });
}

interface Output {
  out: string;
  err: string;
  /** Its exit code once it has exited. */
  code: number | null | undefined;
}

/** Everything the process writes, from its start. */
function collect(child: ChildProcessWithoutNullStreams): Output {
  const output: Output = { out: "", err: "", code: undefined };
  child.stdout.on("data", (c: Buffer) => (output.out += c.toString()));
  child.stderr.on("data", (c: Buffer) => (output.err += c.toString()));
  child.once("exit", (code) => (output.code = code));
  return output;
}

async function waitFor(output: Output, done: (o: Output) => boolean, what: string): Promise<Output> {
  for (let waited = 0; waited < 30_000; waited += 20) {
    if (done(output)) return output;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`${what} did not happen within 30 s:\n${output.out}\n${output.err}`);
}

const hasStarted = (o: Output) => o.out.includes("Ctrl-C to stop") || o.code !== undefined;
const exited = (o: Output) => o.code !== undefined;

describe("npm run sandbox", () => {
  it("starts with a latency, a throttle and a Send API path, says so, and answers accordingly", async () => {
    const child = startCli([
      "--port",
      "0",
      "--secret",
      "cli-secret",
      "--latency-ms",
      "120",
      "--jitter-ms",
      "30",
      "--max-in-flight-per-page",
      "1",
      "--retry-after-s",
      "2",
      "--send-api-path",
      "/api/send/message",
    ]);
    const output = collect(child);
    try {
      const { out } = await waitFor(output, hasStarted, "the start");
      expect(out).toContain("latency:   120–150 ms");
      expect(out).toContain("throttle:  429 past 1 in flight per page, Retry-After 2 s");
      const pushUrl = /push URL:\s+(\S+)/.exec(out)![1];
      const sendUrl = /Send API:\s+(\S+)/.exec(out)![1];
      expect(sendUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/send\/message$/);

      const started = performance.now();
      const [first, second] = await Promise.all([
        postRaw(pushUrl, exampleReceiptPush(), { shop: SHOP, secret: "cli-secret" }),
        postRaw(pushUrl, exampleReceiptPush(), { shop: SHOP, secret: "cli-secret" }),
      ]);
      expect(performance.now() - started).toBeGreaterThanOrEqual(119);
      expect([first.status, second.status].sort()).toEqual([200, 429]);
      expect([first, second].find((a) => a.status === 429)!.headers["retry-after"]).toBe("2");
      const sent = await postRaw(sendUrl, exampleSendMessage("button"), { shop: null, secret: "cli-secret" });
      expect(sent.json).toEqual({ success: true, recipient_id: "1602407863220595" });

      child.kill("SIGTERM");
      const { out: all, code } = await waitFor(output, exited, "the exit");
      expect(code).toBe(0);
      expect(all).toMatch(/200 {2}delivered {2}Order\/Receipt {2}demo-shop\.myshopify\.com {2}id:…0595/);
      expect(all).toMatch(/429 {2}throttled {2}Order\/Receipt {2}demo-shop\.myshopify\.com {2}id:…0595 {2}\(Too Many Requests: page 407898491811542/);
      expect(all).toMatch(/200 {2}delivered {2}send_message\/button {2}- {2}id:…0595/);
      expect(all).toContain("pushes: accepted 1, replays 0, rejected 0; send_message: accepted 1, replays 0, rejected 0; faulted 0, throttled 1");
    } finally {
      child.kill("SIGKILL");
    }
  });

  it("runs with the default latency and no throttle when not told otherwise", async () => {
    const child = startCli(["--port", "0", "--secret", "s"]);
    const output = collect(child);
    try {
      const { out } = await waitFor(output, hasStarted, "the start");
      expect(out).toContain("latency:   5–20 ms");
      expect(out).toContain("throttle:  none");
      expect(out).toMatch(/Send API:\s+http:\/\/127\.0\.0\.1:\d+\/api\/send_message/);
    } finally {
      child.kill("SIGKILL");
    }
  });

  it.each([
    [["--latency-ms=soon"], /--latency-ms must be a non-negative integer, got "soon"/],
    [["--latency-ms", "10", "--delay-ms", "10"], /give --latency-ms or --delay-ms, not both/],
    [["--slow-rate", "2"], /--slow-rate must be a share from 0 to 1/],
    [["--rate-per-page", "10"], /--rate-per-page must be <requests>\/<ms>/],
    [["--retry-after-s", "1"], /--retry-after-s needs --max-in-flight-per-page or --rate-per-page/],
    [["--max-in-flight-per-page", "0"], /--max-in-flight-per-page must be at least 1/],
    [["--send-api-path", "api/send"], /--send-api-path must start with \//],
    [["--latency-ms", "700000"], /latency: latencyMs must be a number of milliseconds/],
  ])("refuses %j with exit code 2 and the usage", async (args, message) => {
    const { err, code } = await waitFor(collect(startCli(["--port", "0", "--secret", "s", ...args])), exited, "the exit");
    expect(code).toBe(2);
    expect(err).toMatch(message);
    expect(err).toContain("Usage: npm run sandbox");
  });
});
