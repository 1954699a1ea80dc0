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
import { runRetention } from "../delivery/retention.server";
import { getPushDetail, listPushes, parseStatuses, PushActionError, retryPush, type PushSummary } from "../delivery/push-service.server";
import { createPushScheduler, type PushScheduler } from "../delivery/scheduler.server";
import { EnvSchema } from "../env.server";
import { en, type MessageKey } from "../i18n/en";
import { translate } from "../i18n/i18n";
import { isReasonCode } from "../pushes/reasons";
import { setLogLevel } from "../logger.server";
import { issueOptinRef, messengerLink } from "../lookup/messenger-optin.server";
import { syncProducts } from "../lookup/products-sync.server";
import { issueOrderToken, rotateLookupKey, shopLookupUrl, updateLookupSwitches } from "../lookup/setup.server";
import { createSecretBox, type SecretBox } from "../settings/secret-box.server";
import { checkStoredSecrets, rotateStoredSecrets } from "../settings/stored-secrets.server";
import { createShopifyAdminFromEnv, readShopAccess } from "../shopify/admin-api/index.server";
import type { ShopAccess } from "../shopify/admin-api/types";
import { getShopSettings, parseShopDomain, SettingsError, updateShopSettings } from "../settings/settings.server";
import { WEBHOOK_TOPICS, isWebhookTopic } from "../webhooks/topics";

export class CliError extends Error {
  name = "CliError";
  /**
   * 2: the input was refused; 1: the command ran and failed (the app unreachable or answering an error); 78: the
   * configuration is wrong (ENCRYPTION_KEY cannot read the stored secrets), as the app's processes exit.
   */
  constructor(
    message: string,
    readonly exitCode: 1 | 2 | 78 = 2,
  ) {
    super(message);
  }
}

const USAGE = `Usage: npm run cli -- <command>

  shop configure --shop <domain> [--page-id <digits>] [--secret <joinchat api secret>|-]
                 [--receipt on|off] [--unpaid on|off] [--package on|off] [--unpaid-delay <minutes>]
                 [--recipient-preference email|phone] [--test-orders on|off] [--paused on|off]
                 [--package-statuses <status,...>|all] [--cod-orders confirmation|unpaid_reminder|nothing]
                 [--cod-names "<name>,<name>"|none] [--terms-reminder on|off]
                 [--cancel-notice on|off] [--refund-notice on|off]
  shop show --shop <domain> [--json]
  lookup rotate-key --shop <domain>     a new customer-lookup URL (the old one stops answering)
  lookup configure --shop <domain> [--order-name on|off] [--full-receipts on|off]
  lookup order-token --shop <domain> --order <order id or gid>   the order's lookup token (a full receipt by order_number)
  orders optin-link --shop <domain> --order <order id or gid>   the order's Messenger opt-in link (m.me, ref = lookup token)
  products sync --shop <domain> [--json]   fills the product catalogue of customer lookups from Shopify's Admin API
  pushes list --shop <domain> [--status <status,...>] [--topic <topic>] [--order <name>] [--limit <n>] [--json]
  pushes show <id> [--json]
  pushes retry <id>
  webhook send --topic <topic> --shop <domain> --file <payload.json> [--url <app url>] [--webhook-id <id>]
  db copy --to <postgres url>     copies everything from DATABASE_URL (SQLite) into an empty PostgreSQL database
  secrets rotate                  seals every shop's JoinChat secret and Shopify tokens again under ENCRYPTION_KEY's
                                  first key (safe while the app runs; run it after adding a key, before removing the old)
  retention run [--as-of <ISO time>]
                                  prunes now what is older than RETENTION_DAYS (default 90) and prints what it erased

Environment: DATABASE_URL (default file:./prisma/data/joinchat.sqlite), ENCRYPTION_KEY (to store a secret; secrets rotate),
SHOPIFY_API_SECRET (to sign webhooks), PORT (default target of webhook send), QUEUE, REDIS_URL and QUEUE_PREFIX
(pushes retry: with QUEUE=bullmq the retried push's job is added to the queue), SHOPIFY_APP_URL (the lookup URL),
SHOPIFY_API_KEY, SHOPIFY_API_SECRET, SCOPES and ENCRYPTION_KEY (products sync: the app's credentials refresh the
shop's token, which is stored sealed).`;

export interface CliIo {
  out: (line: string) => void;
  env: Record<string, string | undefined>;
  /** Standard input, whole (`--secret -`): a secret kept out of the shell's history and the process list. */
  stdin?: () => Promise<string>;
}

/** `--secret -`: the secret is the first line of standard input. */
async function secretOf(io: CliIo, value: string | undefined): Promise<string | undefined> {
  if (value !== "-") return value;
  if (!io.stdin) throw new CliError("--secret -: there is no standard input to read the secret from");
  const [line] = (await io.stdin()).split(/\r?\n/);
  if (!line) throw new CliError('--secret -: standard input was empty; pipe the secret in, e.g. printf %s "$SECRET" | npm run cli -- ...');
  return line;
}

function readProcessStdin(): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    process.stdin.on("data", (c: Buffer) => chunks.push(c));
    process.stdin.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    process.stdin.on("error", reject);
  });
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

/** A push's reason as the admin names it in English, the detail in place; an unknown code as it is. */
function reasonLabel(push: Pick<PushSummary, "reason" | "reasonDetail">): string | null {
  if (!push.reason) return null;
  return isReasonCode(push.reason) ? translate(en, `reason.${push.reason}` as MessageKey, { detail: push.reasonDetail ?? "" }) : push.reason;
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
    // The reason's English label (the admin's), before what JoinChat last answered.
    [reasonLabel(p), p.lastError].filter(Boolean).join(": "),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join("  ")
      .trimEnd();
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
      "cod-orders": { type: "string" },
      "cod-names": { type: "string" },
      "terms-reminder": { type: "string" },
      "cancel-notice": { type: "string" },
      "refund-notice": { type: "string" },
    },
    strict: true,
  });
  if (!values.shop) throw new CliError("--shop is required");
  const shop = parseShopDomain(values.shop);
  const statuses = values["package-statuses"];
  const codNames = values["cod-names"];
  const patch = {
    pageId: values["page-id"],
    secret: await secretOf(io, values.secret),
    receiptEnabled: onOff(values.receipt, "receipt"),
    unpaidEnabled: onOff(values.unpaid, "unpaid"),
    packageEnabled: onOff(values.package, "package"),
    unpaidDelayMinutes: integer(values["unpaid-delay"], "unpaid-delay"),
    recipientPreference: values["recipient-preference"],
    testOrdersEnabled: onOff(values["test-orders"], "test-orders"),
    paused: onOff(values.paused, "paused"),
    packageStatuses: statuses === undefined ? undefined : statuses === "all" ? null : statuses.split(",").map((s) => s.trim()),
    codOrders: values["cod-orders"],
    codGatewayNames: codNames === undefined ? undefined : codNames.trim() === "none" ? [] : codNames.split(",").map((s) => s.trim()),
    termsReminderEnabled: onOff(values["terms-reminder"], "terms-reminder"),
    cancelNoticeEnabled: onOff(values["cancel-notice"], "cancel-notice"),
    refundNoticeEnabled: onOff(values["refund-notice"], "refund-notice"),
  };
  const defined = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
  if (Object.keys(defined).length === 0) throw new CliError("nothing to configure: give at least one setting, e.g. --page-id");
  // The key is needed only to store a secret; without one, a placeholder box never encrypts anything.
  const box: SecretBox = values.secret !== undefined ? createSecretBox(envValue(io, "ENCRYPTION_KEY", "to encrypt the JoinChat API secret")) : noSecretBox;
  const saved = await withDb(io, async (db) => {
    if (values.secret !== undefined) await refuseUnreadableSecrets(db, box);
    return updateShopSettings(db, shop, defined, box, Date.now(), { noticesAvailable: Boolean(io.env.JOINCHAT_SEND_API_URL) });
  });
  io.out(`Saved settings of ${shop}:`);
  printSettings(io, saved);
}

const noSecretBox: SecretBox = {
  keyIds: [],
  inspect: () => null,
  isCurrent: () => false,
  encrypt: () => {
    throw new CliError("ENCRYPTION_KEY is required to store a secret");
  },
  decrypt: () => {
    throw new CliError("ENCRYPTION_KEY is required to read a secret");
  },
};

function printSettings(io: CliIo, s: NonNullable<Awaited<ReturnType<typeof getShopSettings>>>) {
  io.out(`  Facebook page id     ${s.pageId ?? "not linked"}`);
  io.out(
    `  JoinChat API secret  ${s.secretSet ? `set ${formatTime(s.secretSetAt)}` : "not set (only the single shop of JOINCHAT_SINGLE_SHOP pushes under JOINCHAT_API_SECRET)"}`,
  );
  io.out(`  Order/Receipt        ${s.receiptEnabled ? "on" : "off"}`);
  io.out(`  Order/Unpaid         ${s.unpaidEnabled ? "on" : "off"} after ${s.unpaidDelayMinutes} min`);
  io.out(`  package/update       ${s.packageEnabled ? "on" : "off"} (${s.packageStatuses?.join(", ") ?? "every status"})`);
  io.out(`  recipient            PSID, then ${s.recipientPreference === "email" ? "email, then phone" : "phone, then email"}`);
  io.out(`  test orders          ${s.testOrdersEnabled ? "pushed" : "skipped"}`);
  io.out(`  paused               ${s.paused ? "yes" : "no"}`);
  io.out(`  cash on delivery     ${s.codOrders.replace("_", " ")}${s.codGatewayNames.length > 0 ? ` (also: ${s.codGatewayNames.join(", ")})` : ""}`);
  io.out(`  payment terms        ${s.termsReminderEnabled ? "reminder at the due date" : "no reminder"}`);
  io.out(`  cancellation notice  ${s.cancelNoticeEnabled ? "on" : "off"}`);
  io.out(`  refund notice        ${s.refundNoticeEnabled ? "on" : "off"}`);
}

async function shopShow(io: CliIo, argv: string[]) {
  const { values } = parseArgs({ args: argv, options: { shop: { type: "string" }, json: { type: "boolean" } }, strict: true });
  if (!values.shop) throw new CliError("--shop is required");
  const shop = parseShopDomain(values.shop);
  // The lookup URL is under the app's public URL: without SHOPIFY_APP_URL it cannot be told (null).
  const appUrl = io.env.SHOPIFY_APP_URL ? envValue(io, "SHOPIFY_APP_URL", "the customer lookup URL is under it") : null;
  const shown = await withDb(io, async (db) => {
    const settings = await getShopSettings(db, shop);
    if (!settings) return null;
    const lookupUrl = appUrl === null ? null : await shopLookupUrl(db, shop, appUrl);
    return {
      settings,
      lookupUrl,
      access: await readShopAccess(
        db,
        shop,
        io.env.ENCRYPTION_KEY ? createSecretBox(envValue(io, "ENCRYPTION_KEY", "to read the shop's Shopify token")) : null,
      ),
    };
  });
  if (!shown) throw new CliError(`${shop} has no settings yet: run shop configure`);
  if (values.json) io.out(JSON.stringify({ ...shown.settings, lookupUrl: shown.lookupUrl, shopifyAccess: shown.access }, null, 2));
  else {
    printSettings(io, shown.settings);
    io.out(`  customer lookup URL  ${shown.lookupUrl ?? "set SHOPIFY_APP_URL to see it"}`);
    io.out(`  Shopify Admin API    ${accessText(shown.access)}`);
  }
}

async function lookupRotateKey(io: CliIo, argv: string[]) {
  const { values } = parseArgs({ args: argv, options: { shop: { type: "string" } }, strict: true });
  if (!values.shop) throw new CliError("--shop is required");
  const shop = parseShopDomain(values.shop);
  const appUrl = envValue(io, "SHOPIFY_APP_URL", "the lookup URL is under it");
  const url = await withDb(io, (db) => rotateLookupKey(db, shop, appUrl));
  io.out(`New customer lookup URL of ${shop} (the old one answers 404 from now on): ${url}`);
}

async function lookupConfigure(io: CliIo, argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: { shop: { type: "string" }, "order-name": { type: "string" }, "full-receipts": { type: "string" } },
    strict: true,
  });
  if (!values.shop) throw new CliError("--shop is required");
  const shop = parseShopDomain(values.shop);
  const switches = { allowOrderName: onOff(values["order-name"], "order-name"), fullReceipts: onOff(values["full-receipts"], "full-receipts") };
  if (switches.allowOrderName === undefined && switches.fullReceipts === undefined)
    throw new CliError("nothing to configure: give --order-name or --full-receipts");
  const row = await withDb(io, (db) => updateLookupSwitches(db, shop, switches));
  io.out(
    `Customer lookups of ${shop}: order names ${row.allow_order_name === 1 ? "answered" : "not answered"}, full receipts ${row.full_receipts === 1 ? "always" : "only for a lookup token"}.`,
  );
}

/** Whether pushes get their images and PSIDs from Shopify, and why not. */
function accessText(access: ShopAccess): string {
  if (access.status === "connected") return "connected";
  if (access.status === "not_installed") return "no offline session (not installed): pushes go without images and PSIDs from Shopify";
  return `needs reconnect since ${formatTime(access.since)} (${access.reason}): pushes go without images and PSIDs from Shopify until the merchant opens the app once`;
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
    io.out(
      `attempt ${a.number}  ${formatTime(a.startedAt)}  ${a.outcome}  HTTP ${a.httpStatus ?? "—"}  ${a.durationMs} ms  ${a.error ?? ""}  ${a.answer ?? ""}`,
    );
  }
}

/**
 * The scheduler port of the CLI's process, as the app's processes have it: with QUEUE=bullmq and REDIS_URL, jobs are
 * added to the queue; on the embedded default the CLI has no worker, and the running app's finds the push by its poll.
 */
function cliScheduler(io: CliIo): PushScheduler {
  const queue = EnvSchema.shape.QUEUE.safeParse(io.env.QUEUE || undefined);
  if (!queue.success) throw new CliError(`QUEUE ${queue.error.issues[0].message}`);
  if (queue.data !== "bullmq") return createPushScheduler({ QUEUE: "embedded", QUEUE_PREFIX: "" }, "cli", null);
  return createPushScheduler(
    {
      QUEUE: "bullmq",
      REDIS_URL: envValue(io, "REDIS_URL", "QUEUE=bullmq: the Redis of the delivery queue"),
      QUEUE_PREFIX: envValue(io, "QUEUE_PREFIX", "the Redis key prefix of the delivery queue"),
    },
    "cli",
    null,
  );
}

async function pushesRetry(io: CliIo, argv: string[]) {
  const { positionals } = parseArgs({ args: argv, options: {}, allowPositionals: true, strict: true });
  const id = pushId(positionals[0]);
  const scheduler = cliScheduler(io);
  try {
    const push = await withDb(io, (db) => retryPush(db, id));
    scheduler.queued([push]);
    const when = scheduler.kind === "bullmq" ? "a worker sends it now" : "the running app sends it within a second";
    io.out(`Push ${push.id} (${push.topic}${push.orderName ? ` ${push.orderName}` : ""}) is queued again; ${when}.`);
  } finally {
    // Waits for the job to be added (a few seconds at most; else the workers' reconciler finds the push).
    await scheduler.close();
  }
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
  if (!target || databaseKindOf(target) !== "postgres")
    throw new CliError("--to must be the PostgreSQL database to copy into (postgres://user@host:5432/name)");
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

/** As the app's processes refuse to start: exit 78 when ENCRYPTION_KEY cannot read what is stored under some key. */
async function refuseUnreadableSecrets(db: Database, box: SecretBox): Promise<void> {
  const check = await checkStoredSecrets(db, box);
  if (check.message) throw new CliError(check.message, 78);
}

/** `secrets rotate`: every stored secret sealed again under the writing key; counts; exit 1 when some could not be read. */
async function secretsRotate(io: CliIo, argv: string[]) {
  parseArgs({ args: argv, options: {}, strict: true });
  const box = createSecretBox(envValue(io, "ENCRYPTION_KEY", "the keys that read the stored secrets, the first one writing"));
  const report = await withDb(io, async (db) => {
    await refuseUnreadableSecrets(db, box);
    return rotateStoredSecrets(db, box);
  });
  const line = (label: string, c: typeof report.joinchatSecrets) =>
    io.out(`  ${label.padEnd(18)} re-encrypted ${c.reencrypted}, already current ${c.current}, unreadable ${c.unreadable}`);
  io.out(`Secrets sealed under key ${report.keyId} (the first of ENCRYPTION_KEY):`);
  line("JoinChat secrets", report.joinchatSecrets);
  line("Shopify tokens", report.shopifyTokens);
  const others = box.keyIds.slice(1);
  if (report.unreadableShops.length > 0) {
    throw new CliError(
      `${report.joinchatSecrets.unreadable + report.shopifyTokens.unreadable} stored secret(s) could not be read and stay as they are (${report.unreadableShops.join(", ")}): ` +
        "the merchant re-enters the JoinChat secret in the app; opening the app replaces a Shopify token. Keep the old keys until then.",
      1,
    );
  }
  io.out(
    others.length > 0
      ? `Every stored secret is under key ${report.keyId}: ${others.join(", ")} may now be removed from ENCRYPTION_KEY (restart the app after).`
      : `Every stored secret is under key ${report.keyId}.`,
  );
}

/** Retention on demand: what is older than RETENTION_DAYS as of now (or --as-of) is pruned, and counted. */
async function retentionRun(io: CliIo, argv: string[]) {
  const { values } = parseArgs({ args: argv, options: { "as-of": { type: "string" } }, strict: true });
  const asOf = values["as-of"] === undefined ? Date.now() : Date.parse(values["as-of"]);
  if (!Number.isFinite(asOf)) throw new CliError(`--as-of must be an ISO time, e.g. 2026-12-01T00:00:00Z, not "${values["as-of"]}"`);
  const retentionDays = Number(envValue(io, "RETENTION_DAYS", "the days finished pushes keep their data"));
  const counts = await withDb(io, (db) => runRetention(db, { asOf, retentionDays, waitForOthers: true }));
  io.out(`Retention as of ${new Date(asOf).toISOString()} (RETENTION_DAYS=${retentionDays}):`);
  io.out(`  pushes pruned             ${counts.pushes}`);
  io.out(`  attempts pruned           ${counts.attempts}`);
  io.out(`  order records pruned      ${counts.orders}`);
  io.out(`  lookup orders gone        ${counts.lookupOrders}`);
  io.out(`  webhook deliveries gone   ${counts.webhookDeliveries}`);
  io.out(`  lookup log entries gone   ${counts.lookupLogs}`);
  io.out(`  messenger bindings gone   ${counts.bindings}`);
  io.out(`  cached PSIDs gone         ${counts.cachedPsids}`);
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

function orderGidArg(value: string | undefined): string {
  const order = value?.trim() ?? "";
  const orderGid = /^\d+$/.test(order) ? `gid://shopify/Order/${order}` : /^gid:\/\/shopify\/Order\/\d+$/.test(order) ? order : null;
  if (!orderGid) throw new CliError("--order must be the order's id (digits) or its gid://shopify/Order/... GID");
  return orderGid;
}

/** The order's Messenger opt-in link, as the Thank-you and Order status block shows it (decision 020). */
async function ordersOptinLink(io: CliIo, argv: string[]) {
  const { values } = parseArgs({ args: argv, options: { shop: { type: "string" }, order: { type: "string" }, json: { type: "boolean" } }, strict: true });
  if (!values.shop) throw new CliError("--shop is required");
  const shop = parseShopDomain(values.shop);
  const orderGid = orderGidArg(values.order);
  const shown = await withDb(io, async (db) => {
    const settings = await getShopSettings(db, shop);
    if (!settings?.pageId) return null;
    return { settings, issued: await issueOptinRef(db, shop, orderGid) };
  });
  if (!shown) throw new CliError(`${shop} has not linked its Facebook page: there is no Messenger link yet`, 1);
  const url = messengerLink(shown.settings.pageId!, shown.issued.token);
  if (values.json)
    io.out(JSON.stringify({ orderGid, url, ref: shown.issued.token, expiresAt: shown.issued.expiresAt, optinEnabled: shown.settings.optinEnabled }));
  else {
    io.out(url);
    io.out(
      `ref valid until ${formatTime(shown.issued.expiresAt)} UTC${shown.settings.optinEnabled ? "" : "; the opt-in block is off for this shop (Push settings)"}`,
    );
  }
}

async function lookupOrderToken(io: CliIo, argv: string[]) {
  const { values } = parseArgs({ args: argv, options: { shop: { type: "string" }, order: { type: "string" }, json: { type: "boolean" } }, strict: true });
  if (!values.shop) throw new CliError("--shop is required");
  const shop = parseShopDomain(values.shop);
  const orderGid = orderGidArg(values.order);
  const issued = await withDb(io, (db) => issueOrderToken(db, shop, orderGid));
  if (values.json) io.out(JSON.stringify({ orderGid, token: issued.token, expiresAt: issued.expiresAt }));
  else io.out(`${issued.token} (valid until ${formatTime(issued.expiresAt)} UTC)`);
}

/** The catalogue of customer lookups from Shopify, page by page (decision 024); the numbers of what it recorded. */
async function productsSync(io: CliIo, argv: string[]) {
  const { values } = parseArgs({ args: argv, options: { shop: { type: "string" }, json: { type: "boolean" } }, strict: true });
  if (!values.shop) throw new CliError("--shop is required");
  const shop = parseShopDomain(values.shop);
  const credentials = {
    SHOPIFY_API_KEY: envValue(io, "SHOPIFY_API_KEY", "the app's credentials refresh the shop's token"),
    SHOPIFY_API_SECRET: envValue(io, "SHOPIFY_API_SECRET", "the app's credentials refresh the shop's token"),
    // Only the refresh's configuration reads them; the app's public URL is not called.
    SHOPIFY_APP_URL: io.env.SHOPIFY_APP_URL ? envValue(io, "SHOPIFY_APP_URL", "the app's public URL") : "https://localhost",
    SCOPES: envValue(io, "SCOPES", "the app's access scopes"),
    SHOPIFY_ADMIN_API_TIMEOUT_MS: Number(envValue(io, "SHOPIFY_ADMIN_API_TIMEOUT_MS", "the time limit of one Admin API call")),
  };
  // The shop's Shopify tokens are sealed under ENCRYPTION_KEY (decision 022).
  const box = createSecretBox(envValue(io, "ENCRYPTION_KEY", "to read the shop's Shopify token"));
  const result = await withDb(io, async (db) => {
    await refuseUnreadableSecrets(db, box);
    const access = await readShopAccess(db, shop, box);
    if (access.status !== "connected") return { access, sync: null };
    const adminApi = createShopifyAdminFromEnv(credentials, db, box);
    return { access, sync: await syncProducts({ graphql: adminApi.graphql, write: (work) => db.transaction(work) }, db, shop) };
  });
  if (!result.sync) throw new CliError(`${shop}: the Shopify Admin API is not reachable (${accessText(result.access)})`, 1);
  const { sync } = result;
  if (values.json) io.out(JSON.stringify({ shop, ...sync }));
  else {
    const statuses = Object.entries(sync.byStatus)
      .map(([status, n]) => `${n} ${status}`)
      .join(", ");
    io.out(`${shop}: ${sync.total} products read from Shopify in ${sync.pages} page(s)${statuses ? ` (${statuses})` : ""}.`);
    if (sync.removed > 0) io.out(`${sync.removed} product(s) Shopify no longer lists were removed from the catalogue.`);
    io.out(`The catalogue answers lookups with ${sync.shown} active product(s); drafts, archived and unpublished ones are kept hidden.`);
    if (!sync.complete) io.out(`Stopped early: ${sync.reason}. Run it again to finish (what was read is kept).`);
  }
  if (!sync.complete) throw new CliError(`products sync of ${shop} stopped early (${sync.reason})`, 1);
}

const COMMANDS: Record<string, (io: CliIo, argv: string[]) => Promise<void>> = {
  "shop configure": shopConfigure,
  "shop show": shopShow,
  "lookup rotate-key": lookupRotateKey,
  "lookup configure": lookupConfigure,
  "lookup order-token": lookupOrderToken,
  "orders optin-link": ordersOptinLink,
  "products sync": productsSync,
  "pushes list": pushesList,
  "pushes show": pushesShow,
  "pushes retry": pushesRetry,
  "webhook send": webhookSend,
  "db copy": dbCopy,
  "retention run": retentionRun,
  "secrets rotate": secretsRotate,
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
  codOrders: "--cod-orders",
  codGatewayNames: "--cod-names",
  termsReminderEnabled: "--terms-reminder",
  cancelNoticeEnabled: "--cancel-notice",
  refundNoticeEnabled: "--refund-notice",
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

if (import.meta.url === `file://${process.argv[1]}`) {
  setLogLevel("warn");
  void runCli(process.argv.slice(2), { out: (line) => process.stdout.write(`${line}\n`), env: process.env, stdin: readProcessStdin }).then((code) => {
    process.exitCode = code;
  });
}
