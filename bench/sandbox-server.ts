// The JoinChat sandbox for the benchmark: its own process, no per-push logging, counters only unless told to record.
//   tsx bench/sandbox-server.ts <secret> [--record]
// With --record it keeps what it received and also serves, on a second port, GET /arrivals: one compact
// [businessKey, receivedAt ms] per push accepted (replays left out), and GET /arrivals/count, for the bench's per-order delays. Its latency,
// faults and counters are set and read through the sandbox's own control API (/_sandbox/...).
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { startJoinChatSandbox } from "../test/sandbox/joinchat-sandbox";

const secret = process.argv[2];
if (!secret) throw new Error("usage: tsx bench/sandbox-server.ts <secret> [--record]");
const record = process.argv.includes("--record");
const sandbox = await startJoinChatSandbox({ port: 0, defaultSecret: secret, record });
let arrivalsUrl = "";
if (record) {
  const arrivals = createServer((req, res) => {
    // /arrivals/count: how many so far, cheap enough to poll while a drain runs.
    const body =
      req.url === "/arrivals/count"
        ? String(sandbox.received.reduce((n, r) => (r.replay ? n : n + 1), 0))
        : JSON.stringify(sandbox.received.filter((r) => !r.replay).map((r) => [r.businessKey, r.receivedAt]));
    res.writeHead(200, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) });
    res.end(body);
  });
  await new Promise<void>((resolve) => arrivals.listen(0, "127.0.0.1", resolve));
  arrivalsUrl = ` arrivals http://127.0.0.1:${(arrivals.address() as AddressInfo).port}/arrivals`;
}
process.stdout.write(`sandbox listening ${sandbox.url}${arrivalsUrl}\n`);
process.on("SIGTERM", () => void sandbox.close().then(() => process.exit(0)));
