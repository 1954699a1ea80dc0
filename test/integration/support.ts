// Shared parts of the integration tests: a migrated SQLite database with the real intake service in
// front of it, and ways to look at every table at once. No module of the app is replaced.
import { randomBytes, randomUUID } from "node:crypto";
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { Database, Sql } from "../../app/db/database.server";
import type { PushRow } from "../../app/stores/push-store.server";
import { setLogLevel } from "../../app/logger.server";
import { createSecretBox, type SecretBox } from "../../app/settings/secret-box.server";
import { updateShopSettings } from "../../app/settings/settings.server";
import type { ShopSettings } from "../../app/settings/shop-settings";
import type { ShopSettingsPatch } from "../../app/settings/settings-schema";
import { createGroupCommit, type GroupCommit } from "../../app/db/group-commit.server";
import { createEmbeddedScheduler } from "../../app/delivery/scheduler.server";
import { createShopifyAdmin, type ShopifyAdmin } from "../../app/shopify/admin-api/index.server";
import { SHOPIFY_API_VERSION } from "../../app/shopify/api-version";
import { createWebhookReceiver, type WebhookAnswer } from "../../app/webhooks/receive.server";
import { STANDIN_API_KEY, STANDIN_API_SECRET } from "../helpers/shopify-standin";
import type { WebhookTopic } from "../../app/webhooks/topics";
import { openTestDatabase } from "../helpers/database";

export const SHOP = "rules-shop.myshopify.com";
export const OTHER_SHOP = "other-shop.myshopify.com";
export const PAGE_ID = "407898491811542";
export const ENCRYPTION_KEY = randomBytes(32).toString("base64");

/** Unix ms of the default order's created_at (2026-04-14T10:15:30-04:00). */
export const ORDER_CREATED_MS = Date.parse("2026-04-14T10:15:30-04:00");

// The receiver logs every delivery; the tests read the database instead.
setLogLevel("silent");

export interface Harness {
  db: Database;
  file: string;
  box: SecretBox;
  commit: GroupCommit;
  /** The clock the receiver stamps deliveries with; tests move it. */
  clock: { now: number };
  /** Earliest due times the receiver reported (what wakes the worker). */
  woken: number[];
  send(topic: WebhookTopic, rawBody: string, options?: { shop?: string; webhookId?: string }): Promise<WebhookAnswer & { json: DeliveryAnswer }>;
  configure(patch: ShopSettingsPatch, shop?: string): Promise<ShopSettings>;
  pushes(shop?: string): Promise<PushRow[]>;
  close(): Promise<void>;
}

export interface DeliveryAnswer {
  ok?: boolean;
  duplicate?: boolean;
  pushes?: number[];
  error?: string;
}

export function createHarness(options: { onPushesStored?: (dueAt: number) => void } = {}): Harness {
  const { db, file } = openTestDatabase();
  const box = createSecretBox(ENCRYPTION_KEY);
  const commit = createGroupCommit(db);
  const clock = { now: ORDER_CREATED_MS + 10 * 60_000 };
  const woken: number[] = [];
  // The embedded scheduler port, in front of whatever the test wakes.
  const scheduler = createEmbeddedScheduler({
    wake: (dueAt = clock.now) => {
      woken.push(dueAt);
      options.onPushesStored?.(dueAt);
    },
  });
  const receive = createWebhookReceiver({ commit, scheduler, now: () => clock.now });
  return {
    db,
    file,
    box,
    commit,
    clock,
    woken,
    async send(topic, rawBody, options = {}) {
      const answer = await receive({
        topic,
        shop: options.shop ?? SHOP,
        webhookId: options.webhookId ?? randomUUID(),
        apiVersion: "2026-04",
        eventId: null,
        triggeredAt: null,
        rawBody,
      });
      return { ...answer, json: JSON.parse(answer.body) as DeliveryAnswer };
    },
    configure(patch, shop = SHOP) {
      return updateShopSettings(db, shop, patch, box, clock.now);
    },
    pushes(shop = SHOP) {
      return db.all<PushRow>("SELECT * FROM push WHERE shop = ? ORDER BY id", [shop]);
    },
    async close() {
      await commit.drain();
      await db.close();
    },
  };
}

/** Every table of the database, from sqlite_master (so a table added later is covered too). */
export async function tableNames(sql: Sql): Promise<string[]> {
  const rows = await sql.all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name");
  return rows.map((r) => r.name);
}

/** Every row of every table, for "nothing changed" comparisons. */
export async function dumpAll(sql: Sql): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const table of await tableNames(sql)) {
    out[table] = await sql.all(`SELECT * FROM "${table}" ORDER BY rowid`).catch(() => sql.all(`SELECT * FROM "${table}"`));
  }
  return out;
}

export async function rowCounts(sql: Sql): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of await tableNames(sql)) {
    const row = await sql.get<{ n: number }>(`SELECT COUNT(*) AS n FROM "${table}"`);
    out[table] = Number(row?.n ?? 0);
  }
  return out;
}

/** Rows of any table with a column whose text contains `needle` (case-insensitive). */
export async function rowsMentioning(sql: Sql, needle: string): Promise<{ table: string; row: Record<string, unknown> }[]> {
  const found: { table: string; row: Record<string, unknown> }[] = [];
  for (const table of await tableNames(sql)) {
    const columns = await sql.all<{ name: string }>(`SELECT name FROM pragma_table_info('${table}')`);
    if (columns.length === 0) continue;
    const where = columns.map((c) => `CAST("${c.name}" AS TEXT) LIKE ?`).join(" OR ");
    const rows = await sql.all<Record<string, unknown>>(
      `SELECT * FROM "${table}" WHERE ${where}`,
      columns.map(() => `%${needle}%`),
    );
    for (const row of rows) found.push({ table, row });
  }
  return found;
}

/** An offline Admin API session as Shopify's session storage writes it. */
export async function insertSession(
  sql: Sql,
  shop: string,
  options: { accessToken?: string; scope?: string; online?: boolean; email?: string } = {},
): Promise<string> {
  const id = options.online ? `${shop}_${randomUUID()}` : `offline_${shop}`;
  await sql.run(`INSERT INTO "Session" ("id", "shop", "state", "isOnline", "scope", "accessToken", "email") VALUES (?, ?, ?, ?, ?, ?, ?)`, [
    id,
    shop,
    "state",
    options.online ? 1 : 0,
    options.scope ?? "read_orders,read_fulfillments,read_products",
    options.accessToken ?? "shpat_test_token",
    options.email ?? null,
  ]);
  return id;
}

/** A gid of `type` with a numeric id past 2^53 made unique by `n`. */
export function bigId(n: number): bigint {
  return 820982911946154508n + BigInt(n) * 1_000n;
}

async function listen(server: Server): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

function readBody(req: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

export interface RecordedRequest {
  at: number;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface RecordingProxy {
  url: string;
  requests: RecordedRequest[];
  /** Requests forwarded and not yet answered, and the most there ever were at once. */
  inFlight: number;
  maxInFlight: number;
  close(): Promise<void>;
}

/**
 * A pass-through in front of the JoinChat sandbox that keeps every request as it went over the wire
 * (headers and exact body bytes) and counts how many are open at once. Resets and held answers of the
 * sandbox reach the client as they are.
 */
export async function startRecordingProxy(targetUrl: string): Promise<RecordingProxy> {
  const target = new URL(targetUrl);
  const proxy: RecordingProxy = { url: "", requests: [], inFlight: 0, maxInFlight: 0, close: async () => {} };
  // A failed request fails its test through the client's answer; it must not crash the test process.
  const server = createServer((req, res) => {
    void (async () => {
      proxy.inFlight += 1;
      proxy.maxInFlight = Math.max(proxy.maxInFlight, proxy.inFlight);
      let counted = true;
      const done = () => {
        if (counted) proxy.inFlight -= 1;
        counted = false;
      };
      // The answer left (finish) or the connection went (close): whichever comes first.
      res.on("finish", done);
      res.on("close", done);
      const body = await readBody(req);
      proxy.requests.push({ at: Date.now(), method: req.method ?? "", path: req.url ?? "", headers: req.headers, body: body.toString("utf8") });
      const upstream = httpRequest(
        { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: { ...req.headers, host: target.host } },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on("error", () => req.socket.destroy());
      // The client gave up (its timeout): let go of the sandbox too.
      res.on("close", () => {
        if (!res.writableFinished) upstream.destroy();
      });
      upstream.end(body);
    })().catch((error: Error) => res.destroy(error));
  });
  const listening = await listen(server);
  proxy.url = `http://127.0.0.1:${listening.port}${target.pathname}`;
  proxy.close = listening.close;
  return proxy;
}

/**
 * The app's Admin API layer as a process builds it, with the Shopify stand-in's app credentials: it reaches
 * https://<shop>.myshopify.com, which is the stand-in when the test routes its fetches there (routeShopifyFetch).
 * Without an offline session for a shop it asks nothing.
 */
export function createTestShopifyAdmin(db: Sql, timeoutMs = 300): ShopifyAdmin {
  return createShopifyAdmin({
    db,
    box: createSecretBox(ENCRYPTION_KEY),
    credentials: {
      apiKey: STANDIN_API_KEY,
      apiSecret: STANDIN_API_SECRET,
      appUrl: "https://joinchat-push.test.example.com",
      scopes: ["read_orders", "read_fulfillments", "read_products", "read_customers"],
      apiVersion: SHOPIFY_API_VERSION,
    },
    timeoutMs,
    tokens: { pollMs: 20 },
  });
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(check: () => Promise<T | undefined | false>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
