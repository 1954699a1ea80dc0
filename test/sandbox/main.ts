// `npm run sandbox`: the JoinChat stand-in as a process of its own, for the demo and manual runs.
import { parseArgs } from "node:util";
import { startJoinChatSandbox, type SandboxPushEvent } from "./joinchat-sandbox";

const USAGE = `Usage: npm run sandbox -- [--port 8787] [--secret <api secret>] [--delay-ms 0] [--host 127.0.0.1]

  --port      port to listen on (default: $JOINCHAT_SANDBOX_PORT or 8787; 0 = any free port)
  --secret    the API secret pushes are signed with (default: $JOINCHAT_API_SECRET)
  --delay-ms  wait this long before each answer, to look like a remote service
  --host      interface to bind (default 127.0.0.1)`;

function parseNonNegativeInt(value: string, flag: string): number | string {
  if (!/^\d+$/.test(value)) return `${flag} must be a non-negative integer, got ${JSON.stringify(value)}`;
  return Number(value);
}

function maskRecipient(recipient: SandboxPushEvent["recipient"]): string {
  if (!recipient) return "-";
  if (recipient.id !== undefined) return `id:…${recipient.id.slice(-4)}`;
  if (recipient.email !== undefined) {
    const [local, domain] = recipient.email.split("@", 2);
    return `email:${local.slice(0, 1)}***${domain === undefined ? "" : `@${domain}`}`;
  }
  if (recipient.phone !== undefined) return `phone:***${recipient.phone.replace(/\D/g, "").slice(-2)}`;
  return "-";
}

function formatEvent(e: SandboxPushEvent): string {
  const time = new Date(e.at).toISOString().slice(11, 23);
  const status = e.status === null ? "---" : String(e.status);
  const parts = [time, status, e.outcome.padEnd(9), e.topic ?? "-", e.shop ?? "-", maskRecipient(e.recipient)];
  if (e.reason) parts.push(`(${e.reason})`);
  return parts.join("  ");
}

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: "string" },
        secret: { type: "string" },
        "delay-ms": { type: "string" },
        host: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }

  const port = parseNonNegativeInt(values.port ?? process.env.JOINCHAT_SANDBOX_PORT ?? "8787", "--port");
  const delayMs = parseNonNegativeInt(values["delay-ms"] ?? "0", "--delay-ms");
  const secret = values.secret ?? process.env.JOINCHAT_API_SECRET;
  for (const problem of [port, delayMs]) {
    if (typeof problem === "string") {
      console.error(`${problem}\n\n${USAGE}`);
      return 2;
    }
  }
  if (!secret) {
    console.error(`JoinChat sandbox: no API secret. Pass --secret <secret> or set JOINCHAT_API_SECRET.\n\n${USAGE}`);
    return 2;
  }

  const sandbox = await startJoinChatSandbox({
    port: port as number,
    host: values.host ?? "127.0.0.1",
    defaultSecret: secret,
    delayMs: delayMs as number,
    onPush: (event) => console.log(formatEvent(event)),
  });
  const base = sandbox.url.replace(/\/v1\/push$/, "");
  console.log(`JoinChat sandbox listening
  push URL:  ${sandbox.url}   (any path outside /_sandbox accepts pushes)
  control:   GET  ${base}/_sandbox/health | received | rejected | stats
             POST ${base}/_sandbox/secrets {shop, secret} | recipients {known} | faults {mode, ...} | reset
             DELETE ${base}/_sandbox/faults
Ctrl-C to stop.`);

  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      console.log(`\n${signal}: stopping the sandbox`);
      resolve();
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  await sandbox.close();
  const stats = sandbox.stats();
  console.log(`accepted ${stats.accepted}, replays ${stats.replays}, rejected ${stats.rejected}, faulted ${stats.faulted}`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(1);
  },
);
