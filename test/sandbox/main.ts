// `npm run sandbox`: the JoinChat stand-in as a process of its own, for the demo and manual runs.
import { parseArgs } from "node:util";
import { DEFAULT_LATENCY, NO_LATENCY, parseLatency, type SandboxLatency, type SandboxThrottle } from "./harshness";
import { startJoinChatSandbox, type SandboxPushEvent } from "./joinchat-sandbox";

const USAGE = `Usage: npm run sandbox -- [--port 8787] [--secret <api secret>] [--host 127.0.0.1]
         [--latency-ms 300] [--jitter-ms 100] [--slow-rate 0.02 --slow-ms 2000] [--seed 1]
         [--max-in-flight-per-page 4] [--rate-per-page 10/1000] [--retry-after-s 1] [--send-api-path /api/send_message]

  --port                    port to listen on (default: $JOINCHAT_SANDBOX_PORT or 8787; 0 = any free port)
  --secret                  the API secret pushes are signed with (default: $JOINCHAT_API_SECRET)
  --host                    interface to bind (default 127.0.0.1)
  --latency-ms              every answer waits this long (default 5, with --jitter-ms 15)
  --jitter-ms               plus a random 0..N ms (default 0 once --latency-ms is given)
  --slow-rate, --slow-ms    this share of answers (0..1) waits N ms more: a slow tail
  --delay-ms                older name of --latency-ms
  --seed                    replay the same random waits
  --max-in-flight-per-page  more requests of one Facebook page at once are answered 429
  --rate-per-page N/MS      more than N requests of one page in MS ms are answered 429
  --retry-after-s           the Retry-After of those 429s (default: when a slot frees, at least 1)
  --send-api-path           path of the Send API (repeatable; default /api/send_message)

The latency and the throttle can be changed while it runs: POST /_sandbox/latency, POST /_sandbox/throttle.`;

function parseNonNegativeInt(value: string, flag: string): number | string {
  if (!/^\d+$/.test(value)) return `${flag} must be a non-negative integer, got ${JSON.stringify(value)}`;
  return Number(value);
}

function parseRate(value: string): { requests: number; perMs: number } | string {
  const match = /^(\d+)\/(\d+)$/.exec(value);
  if (!match || Number(match[1]) < 1 || Number(match[2]) < 1) return `--rate-per-page must be <requests>/<ms>, e.g. 10/1000, got ${JSON.stringify(value)}`;
  return { requests: Number(match[1]), perMs: Number(match[2]) };
}

type Values = Record<string, string | string[] | boolean | undefined>;

/** The latency of the flags: the default profile unless --latency-ms (or --delay-ms) sets the base. */
function latencyOf(values: Values): SandboxLatency | string {
  if (values["latency-ms"] !== undefined && values["delay-ms"] !== undefined) return "give --latency-ms or --delay-ms, not both";
  const profile: SandboxLatency = { ...DEFAULT_LATENCY };
  const base = (values["latency-ms"] ?? values["delay-ms"]) as string | undefined;
  if (base !== undefined) {
    const ms = parseNonNegativeInt(base, values["latency-ms"] !== undefined ? "--latency-ms" : "--delay-ms");
    if (typeof ms === "string") return ms;
    Object.assign(profile, NO_LATENCY, { latencyMs: ms });
  }
  for (const [flag, key] of [
    ["jitter-ms", "jitterMs"],
    ["slow-ms", "slowMs"],
  ] as const) {
    const value = values[flag] as string | undefined;
    if (value === undefined) continue;
    const ms = parseNonNegativeInt(value, `--${flag}`);
    if (typeof ms === "string") return ms;
    profile[key] = ms;
  }
  const rate = values["slow-rate"] as string | undefined;
  if (rate !== undefined) {
    const n = Number(rate);
    if (!/^\d*\.?\d+$/.test(rate) || n > 1) return `--slow-rate must be a share from 0 to 1, got ${JSON.stringify(rate)}`;
    profile.slowRate = n;
  }
  const checked = parseLatency(profile);
  return typeof checked === "string" ? `latency: ${checked}` : checked;
}

function throttleOf(values: Values): SandboxThrottle | null | string {
  const throttle: SandboxThrottle = {};
  if (values["max-in-flight-per-page"] !== undefined) {
    const n = parseNonNegativeInt(values["max-in-flight-per-page"] as string, "--max-in-flight-per-page");
    if (typeof n === "string") return n;
    if (n < 1) return "--max-in-flight-per-page must be at least 1";
    throttle.maxInFlightPerPage = n;
  }
  if (values["rate-per-page"] !== undefined) {
    const rate = parseRate(values["rate-per-page"] as string);
    if (typeof rate === "string") return rate;
    throttle.ratePerPage = rate;
  }
  if (values["retry-after-s"] !== undefined) {
    const n = parseNonNegativeInt(values["retry-after-s"] as string, "--retry-after-s");
    if (typeof n === "string") return n;
    if (throttle.maxInFlightPerPage === undefined && throttle.ratePerPage === undefined)
      return "--retry-after-s needs --max-in-flight-per-page or --rate-per-page";
    throttle.retryAfterS = n;
  }
  return throttle.maxInFlightPerPage === undefined && throttle.ratePerPage === undefined ? null : throttle;
}

function describeLatency(l: SandboxLatency): string {
  let text = l.jitterMs ? `${l.latencyMs}–${l.latencyMs + l.jitterMs} ms` : `${l.latencyMs} ms`;
  if (l.slowRate && l.slowMs) text += `, ${l.slowRate * 100} % of answers ${l.slowMs} ms more`;
  return text;
}

function describeThrottle(t: SandboxThrottle | null): string {
  if (t === null) return "none";
  const parts: string[] = [];
  if (t.maxInFlightPerPage !== undefined) parts.push(`${t.maxInFlightPerPage} in flight per page`);
  if (t.ratePerPage !== undefined) parts.push(`${t.ratePerPage.requests} per ${t.ratePerPage.perMs} ms per page`);
  if (t.retryAfterS !== undefined) parts.push(`Retry-After ${t.retryAfterS} s`);
  return `429 past ${parts.join(", ")}`;
}

function maskRecipient(recipient: SandboxPushEvent["recipient"]): string {
  if (!recipient) return "-";
  if (recipient.id !== undefined) return `id:…${recipient.id.slice(-4)}`;
  if (recipient.email !== undefined) {
    const [local, domain] = recipient.email.split("@", 2);
    return `email:${local.slice(0, 1)}***${domain === undefined ? "" : `@${domain}`}`;
  }
  if (recipient.phone !== undefined) return `phone:***${recipient.phone.replace(/\D/g, "").slice(-2)}`;
  if (recipient.uuid !== undefined) return `uuid:…${recipient.uuid.slice(-4)}`;
  return "-";
}

function formatEvent(e: SandboxPushEvent): string {
  const time = new Date(e.at).toISOString().slice(11, 23);
  const status = e.status === null ? "---" : String(e.status);
  const parts = [time, status, e.outcome.padEnd(9), e.topic ?? e.endpoint, e.shop ?? "-", maskRecipient(e.recipient)];
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
        "latency-ms": { type: "string" },
        "jitter-ms": { type: "string" },
        "slow-rate": { type: "string" },
        "slow-ms": { type: "string" },
        seed: { type: "string" },
        "max-in-flight-per-page": { type: "string" },
        "rate-per-page": { type: "string" },
        "retry-after-s": { type: "string" },
        "send-api-path": { type: "string", multiple: true },
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
  const latency = latencyOf(values);
  const throttle = throttleOf(values);
  const seed = values.seed === undefined ? undefined : parseNonNegativeInt(values.seed, "--seed");
  const sendApiPaths = values["send-api-path"];
  const badPath = sendApiPaths?.find((p) => !p.startsWith("/") || p.startsWith("/_sandbox"));
  const secret = values.secret ?? process.env.JOINCHAT_API_SECRET;
  for (const problem of [
    port,
    latency,
    throttle,
    seed,
    badPath === undefined ? undefined : `--send-api-path must start with / and not with /_sandbox, got ${badPath}`,
  ]) {
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
    latency: latency as SandboxLatency,
    throttle: throttle as SandboxThrottle | null,
    seed: seed as number | undefined,
    sendApiPaths,
    onPush: (event) => console.log(formatEvent(event)),
  });
  const base = sandbox.origin;
  console.log(`JoinChat sandbox listening
  push URL:  ${sandbox.url}   (any path outside /_sandbox and the Send API takes pushes)
  Send API:  ${sandbox.sendUrl}
  latency:   ${describeLatency(sandbox.latency())}
  throttle:  ${describeThrottle(sandbox.throttle())}
  control:   GET  ${base}/_sandbox/health | received | rejected | sent | send-rejected | stats | timeline | in-flight | latency | throttle
             POST ${base}/_sandbox/secrets {shop, secret} | pages {pageId, secret, shop} | recipients {known} | messaging-window {open}
                  | faults {mode, ...} | latency {latencyMs, jitterMs, slowRate, slowMs} | throttle {maxInFlightPerPage, ratePerPage} | reset
             DELETE ${base}/_sandbox/faults | throttle
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
  console.log(
    `pushes: accepted ${stats.accepted}, replays ${stats.replays}, rejected ${stats.rejected}; ` +
      `send_message: accepted ${stats.send.accepted}, replays ${stats.send.replays}, rejected ${stats.send.rejected}; ` +
      `faulted ${stats.faulted}, throttled ${stats.throttled}`,
  );
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(1);
  },
);
