#!/usr/bin/env node
// npm run cli -- <command>: the operator's tool. It uses the same services as the webhooks and the admin.
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { copySqliteToPostgres, DatabaseCopyError } from "../db/copy.server";
import type { Database } from "../db/database.server";
import { databaseKindOf, resolveDatabaseUrl, sqliteFilePath } from "../db/database-url";
import { openDatabaseByUrl } from "../db/open.server";
import { PUSH_STATUSES } from "../delivery/outbox.server";
import { getPushDetail, listPushes, parseStatuses, PushActionError, retryPush, type PushSummary } from "../delivery/push-service.server";
import { EnvSchema } from "../env.server";
import { setLogLevel } from "../logger.server";
import { TRACKING_STATUSES } from "../pushes/types";
import { createSecretBox, type SecretBox } from "../settings/secret-box.server";
import { getShopSettings, parseShopDomain, SettingsError, updateShopSettings } from "../settings/settings.server";
import { WEBHOOK_TOPICS, isWebhookTopic } from "../webhooks/topics";

export class CliError extends Error {
  name = "CliError";
  /** 2: the input was refused; 1: the command ran and failed (the app unreachable or answering an error). */
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 2,
  ) {
    super(message);
  }
}

const USAGE = `Usage: npm run cli -- <command>

  shop configure --shop <domain> [--page-id <digits>] [--secret <joinchat api secret>]
                 [--receipt on|off] [--unpaid on|off] [--package on|off] [--unpaid-delay <minutes>]
                 [--recipient-preference email|phone] [--test-orders on|off] [--paused on|off]
                 [--package-statuses <status,...>|all]
  shop show --shop <domain> [--json]
  pushes list --shop <domain> [--status <status,...>] [--topic <topic>] [--order <name>] [--limit <n>] [--json]
  pushes show <id> [--json]
  pushes retry <id>
  webhook send --topic <topic> --shop <domain> --file <payload.json> [--url <app url>] [--webhook-id <id>]
  db copy --to <postgres url>     copies everything from DATABASE_URL (SQLite) into an empty PostgreSQL database

Environment: DATABASE_URL (default file:./prisma/data/joinchat.sqlite), ENCRYPTION_KEY (to store a secret),
SHOPIFY_API_SECRET (to sign webhooks), PORT (default target of webhook send).`;

export interface CliIo {
  out: (line: string) => void;
  env: Record<string, string | undefined>;
}

function envValue<K extends keyof typeof EnvSchema.shape>(io: CliIo, key: K, needed: string): string {
  const parsed = EnvSchema.shape[key].safeParse(io.env[key] || undefined);
  if (!parsed.success || parsed.data === undefined) {
    throw new CliError(`${key} ${parsed.success ? "is required" : parsed.error.issues[0].message} (${needed})`);
  }
  return String(parsed.data);
}

function openDb(io: CliIo): Database {
  const url = resolveDatabaseUrl(io.env.DATABASE_URL);
  if (databaseKindOf(url) === null) throw new CliError("DATABASE_URL must be a file: URL (SQLite) or a postgres:// URL (PostgreSQL)");
  return openDatabaseByUrl(url, { synchronous: "FULL", poolSize: 2, applicationName: "joinchat-push cli" });
}

function onOff(value: string | undefined, flag: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (value === "on" || value === "true") return true;
  if (value === "off" || value === "false") return false;
  throw new CliError(`--${flag} must be on or off, not "${value}"`);
}

function integer(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value.trim())) throw new CliError(`--${flag} must be a whole number, not "${value}"`);
  return Number(value);
}

function formatTime(ms: number | null): string {
  return ms ? new Date(ms).toISOString().replace("T", " ").slice(0, 19) : "—";
}

function formatPushTable(pushes: PushSummary[]): string[] {
  const header = ["id", "created", "topic", "order", "status", "attempts", "recipient", "note"];
  const rows = pushes.map((p) => [
    String(p.id),
    formatTime(p.createdAt),
    p.topic + (p.trackingStatus ? ` (${p.trackingStatus})` : ""),
    p.orderName ?? "—",
    p.status,
    String(p.attempts),
    p.recipient,
    p.reason ?? p.lastError ?? "",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
  return [line(header), ...rows.map(line)];
}

async function withDb<T>(io: CliIo, fn: (db: Database) => Promise<T>): Promise<T> {
  const db = openDb(io);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

async function shopConfigure(io: CliIo, argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      shop: { type: "string" },
      "page-id": { type: "string" },
      secret: { type: "string" },
      receipt: { type: "string" },
      unpaid: { type: "string" },
      package: { type: "string" },
      "unpaid-delay": { type: "string" },
      "recipient-preference": { type: "string" },
      "test-orders": { type: "string" },
      paused: { type: "string" },
      "package-statuses": { type: "string" },
    },
    strict: true,
  });
  if (!values.shop) throw new CliError("--shop is required");
  const shop = parseShopDomain(values.shop);
  const statuses = values["package-statuses"];
  const patch = {
    pageId: values["page-id"],
    secret: values.secret,
    receiptEnabled: onOff(values.receipt, "receipt"),
    unpaidEnabled: onOff(values.unpaid, "unpaid"),
    packageEnabled: onOff(values.package, "package"),
    unpaidDelayMinutes: integer(values["unpaid-delay"], "unpaid-delay"),
    recipientPreference: values["recipient-preference"],
    testOrdersEnabled: onOff(values["test-orders"], "test-orders"),
    paused: onOff(values.paused, "paused"),
    packageStatuses: statuses === undefined ? undefined : statuses === "all" ? null : statuses.split(",").map((s) => s.trim()),
  };
  const defined = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
  if (Object.keys(defined).length === 0) throw new CliError("nothing to configure: give at least one setting, e.g. --page-id");
  // The key is needed only to store a secret; without one, a placeholder box never encrypts anything.
  const box: SecretBox = values.secret !== undefined ? createSecretBox(envValue(io, "ENCRYPTION_KEY", "to encrypt the JoinChat API secret")) : noSecretBox;
  const saved = await withDb(io, (db) => updateShopSettings(db, shop, defined, box));
  io.out(`Saved settings of ${shop}:`);
  printSettings(io, saved);
}

const noSecretBox: SecretBox = {
  encrypt: () => {
    throw new CliError("ENCRYPTION_KEY is required to store a secret");
  },
  decrypt: () => {
    throw new CliError("ENCRYPTION_KEY is required to read a secret");
  },
};

function printSettings(io: CliIo, s: NonNullable<Awaited<ReturnType<typeof getShopSettings>>>) {
  io.out(`  Facebook page id     ${s.pageId ?? "not linked"}`);
  io.out(`  JoinChat API secret  ${s.secretSet ? `set ${formatTime(s.secretSetAt)}` : "not set (JOINCHAT_API_SECRET is used)"}`);
  io.out(`  Order/Receipt        ${s.receiptEnabled ? "on" : "off"}`);
  io.out(`  Order/Unpaid         ${s.unpaidEnabled ? "on" : "off"} after ${s.unpaidDelayMinutes} min`);
  io.out(`  package/update       ${s.packageEnabled ? "on" : "off"} (${s.packageStatuses?.join(", ") ?? "every status"})`);
  io.out(`  recipient            PSID, then ${s.recipientPreference === "email" ? "email, then phone" : "phone, then email"}`);
  io.out(`  test orders          ${s.testOrdersEnabled ? "pushed" : "skipped"}`);
  io.out(`  paused               ${s.paused ? "yes" : "no"}`);
}

async function shopShow(io: CliIo, argv: string[]) {
  const { values } = parseArgs({ args: argv, options: { shop: { type: "string" }, json: { type: "boolean" } }, strict: true });
  if (!values.shop) throw new CliError("--shop is required");
  const shop = parseShopDomain(values.shop);
  const settings = await withDb(io, (db) => getShopSettings(db, shop));
  if (!settings) throw new CliError(`${shop} has no settings yet: run shop configure`);
  if (values.json) io.out(JSON.stringify(settings, null, 2));
  else printSettings(io, settings);
}

async function pushesList(io: CliIo, argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      shop: { type: "string" },
      status: { type: "string" },
      topic: { type: "string" },
      order: { type: "string" },
      limit: { type: "string" },
      json: { type: "boolean" },
    },
    strict: true,
  });
  if (!values.shop) throw new CliError("--shop is required");
  const shop = parseShopDomain(values.shop);
  const limit = integer(values.limit, "limit");
  const pushes = await withDb(io, (db) =>
    listPushes(db, { shop, status: parseStatuses(values.status), topic: values.topic ? [values.topic] : undefined, orderName: values.order, limit }),
  );
  if (values.json) io.out(JSON.stringify(pushes, null, 2));
  else if (pushes.length === 0) io.out(`No pushes of ${shop}${values.status ? ` with status ${values.status}` : ""}.`);
  else formatPushTable(pushes).forEach((l) => io.out(l));
}

function pushId(value: string | undefined): number {
  if (!value || !/^\d+$/.test(value)) throw new CliError("give the push id, e.g. pushes retry 42");
  return Number(value);
}

async function pushesShow(io: CliIo, argv: string[]) {
  const { values, positionals } = parseArgs({ args: argv, options: { json: { type: "boolean" } }, allowPositionals: true, strict: true });
  const id = pushId(positionals[0]);
  const detail = await withDb(io, (db) => getPushDetail(db, id));
  if (!detail) throw new CliError(`push ${id} not found`);
  if (values.json) return io.out(JSON.stringify(detail, null, 2));
  formatPushTable([detail.push]).forEach((l) => io.out(l));
  io.out(`body: ${detail.body ?? "(not built yet)"}`);
  for (const a of detail.attempts) {
    io.out(`attempt ${a.number}  ${formatTime(a.startedAt)}  ${a.outcome}  HTTP ${a.httpStatus ?? "—"}  ${a.durationMs} ms  ${a.error ?? ""}  ${a.answer ?? ""}`);
  }
}

async function pushesRetry(io: CliIo, argv: string[]) {
  const { positionals } = parseArgs({ args: argv, options: {}, allowPositionals: true, strict: true });
  const id = pushId(positionals[0]);
  const push = await withDb(io, (db) => retryPush(db, id));
  io.out(`Push ${push.id} (${push.topic}${push.orderName ? ` ${push.orderName}` : ""}) is queued again; the running app sends it within a second.`);
}

async function webhookSend(io: CliIo, argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      topic: { type: "string" },
      shop: { type: "string" },
      file: { type: "string" },
      url: { type: "string" },
      "webhook-id": { type: "string" },
      "api-version": { type: "string" },
    },
    strict: true,
  });
  if (!values.topic || !isWebhookTopic(values.topic)) throw new CliError(`--topic must be one of ${WEBHOOK_TOPICS.join(", ")}`);
  if (!values.shop) throw new CliError("--shop is required");
  if (!values.file) throw new CliError("--file is required");
  const shop = parseShopDomain(values.shop);
  const secret = envValue(io, "SHOPIFY_API_SECRET", "to sign the webhook as Shopify does");
  let body: string;
  try {
    body = readFileSync(values.file, "utf8");
  } catch (error) {
    throw new CliError(`cannot read ${values.file}: ${(error as Error).message}`);
  }
  const base = values.url ?? `http://127.0.0.1:${io.env.PORT || 3000}`;
  const target = new URL(base.includes("/webhooks/") ? base : `${base.replace(/\/$/, "")}/webhooks/${values.topic}`);
  const { signShopifyWebhook } = await import("../webhooks/sign-webhook");
  const webhookId = values["webhook-id"] ?? randomUUID();
  const res = await fetch(target, {
    method: "POST",
    headers: signShopifyWebhook({ body, secret, topic: values.topic, shop, webhookId, apiVersion: values["api-version"] }),
    body,
  }).catch((error: Error) => {
    throw new CliError(`cannot reach ${target}: ${(error.cause as Error | undefined)?.message ?? error.message}`, 1);
  });
  const answer = await res.text();
  io.out(`${res.status} ${answer}`);
  if (!res.ok) throw new CliError(`the app answered ${res.status}`, 1);
}

/**
 * Moving to PostgreSQL: migrates the target (as npm run setup does, creating the database when missing), then copies
 * every row of the SQLite database of DATABASE_URL into it, all or nothing. Stop the app first.
 */
async function dbCopy(io: CliIo, argv: string[]) {
  const { values } = parseArgs({ args: argv, options: { to: { type: "string" } }, strict: true });
  const source = resolveDatabaseUrl(io.env.DATABASE_URL);
  if (databaseKindOf(source) !== "sqlite") throw new CliError("DATABASE_URL must be the SQLite database to copy from (a file: URL)");
  if (!existsSync(sqliteFilePath(source))) throw new CliError(`there is no SQLite database at ${sqliteFilePath(source)} (DATABASE_URL)`);
  const target = values.to?.trim();
  if (!target || databaseKindOf(target) !== "postgres") throw new CliError("--to must be the PostgreSQL database to copy into (postgres://user@host:5432/name)");
  try {
    const url = new URL(target);
    if (!url.hostname || url.pathname.replace(/^\//, "") === "") throw new Error("no host or database name");
  } catch (error) {
    throw new CliError(`--to is not a PostgreSQL URL: ${(error as Error).message}`);
  }
  io.out(`Migrating ${redactUrl(target)}...`);
  try {
    execFileSync(process.execPath, [fileURLToPath(new URL("../../scripts/setup.mjs", import.meta.url)), "--quiet"], {
      env: { ...process.env, ...io.env, DATABASE_URL: target, PRISMA_HIDE_UPDATE_MESSAGE: "1" },
      stdio: ["ignore", "ignore", "pipe"],
    });
  } catch (error) {
    const stderr = String((error as { stderr?: Buffer }).stderr ?? "").trim();
    throw new CliError(`could not migrate ${redactUrl(target)}: ${stderr.split("\n").slice(-3).join(" ") || (error as Error).message}`, 1);
  }
  const from = openDatabaseByUrl(source, { synchronous: "FULL" });
  const to = openDatabaseByUrl(target, { poolSize: 2, applicationName: "joinchat-push cli db copy" });
  try {
    const copies = await copySqliteToPostgres(from, to, ({ table, rows }) => io.out(`  ${table.padEnd(20)} ${rows} row(s)`));
    io.out(`Copied ${copies.reduce((n, c) => n + c.rows, 0)} row(s) of ${copies.length} tables. Start the app with DATABASE_URL=${redactUrl(target)}.`);
  } catch (error) {
    if (error instanceof DatabaseCopyError) throw new CliError(`${error.message}. Nothing was copied.`);
    throw new CliError(`the copy failed and was rolled back: ${(error as Error).message}`, 1);
  } finally {
    await from.close();
    await to.close();
  }
}

/** A database URL without its password, for messages. */
function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "****";
    return parsed.toString();
  } catch {
    return "<the --to URL>";
  }
}

const COMMANDS: Record<string, (io: CliIo, argv: string[]) => Promise<void>> = {
  "shop configure": shopConfigure,
  "shop show": shopShow,
  "pushes list": pushesList,
  "pushes show": pushesShow,
  "pushes retry": pushesRetry,
  "webhook send": webhookSend,
  "db copy": dbCopy,
};

/** The settings' field names as the flags that set them, so an error points at what to type. */
const FLAGS: Record<string, string> = {
  shop: "--shop",
  pageId: "--page-id",
  secret: "--secret",
  receiptEnabled: "--receipt",
  unpaidEnabled: "--unpaid",
  packageEnabled: "--package",
  unpaidDelayMinutes: "--unpaid-delay",
  recipientPreference: "--recipient-preference",
  testOrdersEnabled: "--test-orders",
  paused: "--paused",
  packageStatuses: "--package-statuses",
};

function flagOf(field: string): string {
  const [name, ...rest] = field.split(".");
  return FLAGS[name] ? [FLAGS[name], ...rest].join(".") : field;
}

/** Runs one command; returns the exit code (0 done, 2 refused input, 1 failure). */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const name = argv.slice(0, 2).join(" ");
  const command = COMMANDS[name];
  if (!command) {
    io.out(argv.length === 0 || argv[0] === "help" || argv[0] === "--help" ? USAGE : `Unknown command "${argv.join(" ")}".\n\n${USAGE}`);
    return argv.length === 0 || argv[0] === "help" || argv[0] === "--help" ? 0 : 2;
  }
  try {
    await command(io, argv.slice(2));
    return 0;
  } catch (error) {
    if (error instanceof SettingsError) {
      for (const [field, message] of Object.entries(error.fieldErrors)) io.out(`error: ${flagOf(field)} ${message}`);
      io.out("Nothing was saved.");
      return 2;
    }
    if (error instanceof CliError || error instanceof PushActionError || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      io.out(`error: ${(error as Error).message}`);
      return error instanceof CliError ? error.exitCode : 2;
    }
    io.out(`error: ${(error as Error).message}`);
    return 1;
  }
}

export { PUSH_STATUSES, TRACKING_STATUSES };

if (import.meta.url === `file://${process.argv[1]}`) {
  setLogLevel("warn");
  runCli(process.argv.slice(2), { out: (line) => process.stdout.write(`${line}\n`), env: process.env }).then((code) => {
    process.exitCode = code;
  });
}
