// The JoinChat sandbox for the benchmark: its own process, no per-push logging or recording, counters only.
//   tsx bench/sandbox-server.ts <secret>
import { startJoinChatSandbox } from "../test/sandbox/joinchat-sandbox";

const secret = process.argv[2];
if (!secret) throw new Error("usage: tsx bench/sandbox-server.ts <secret>");
const sandbox = await startJoinChatSandbox({ port: 0, defaultSecret: secret, record: false });
process.stdout.write(`sandbox listening ${sandbox.url}\n`);
process.on("SIGTERM", () => void sandbox.close().then(() => process.exit(0)));
