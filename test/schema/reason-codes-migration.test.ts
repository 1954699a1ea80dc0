// The migration 20261130100000_reason_codes on both databases: rows written before it (English reasons, app-made
// failures in last_error, test pushes known by their business key) come out with codes, details and kinds, and what
// JoinChat answered stays as it was. Each database is built by its own migrations, applied in order as
// `prisma migrate deploy` applies them; PostgreSQL where it runs (always under CI=true).
import BetterSqlite3 from "better-sqlite3";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { REASON_CODES } from "../../app/pushes/reasons";
import { postgresAvailable, TEST_DATABASE_URL } from "../helpers/backends";

const MIGRATION = "20261130100000_reason_codes";

function migrationsOf(dir: string): { name: string; sql: string }[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()
    .map((name) => ({ name, sql: readFileSync(path.join(dir, name, "migration.sql"), "utf8") }));
}

/** What each old row was, and what it must become: [status, reason, last_error, business_key] -> [reason, reason_detail, last_error, kind]. */
const CASES: { before: [string, string | null, string | null, string]; after: [string | null, string | null, string | null, string] }[] = [
  { before: ["skipped", "page not linked", null, "a"], after: ["page_not_linked", null, null, "order"] },
  { before: ["skipped", "push type off", null, "b"], after: ["push_type_off", null, null, "order"] },
  { before: ["skipped", "no recipient", null, "c"], after: ["no_recipient", null, null, "order"] },
  { before: ["skipped", "duplicate", null, "d"], after: ["duplicate", null, null, "order"] },
  { before: ["skipped", "cancelled", null, "e"], after: ["order_cancelled", null, null, "order"] },
  { before: ["skipped", "test order", null, "f"], after: ["test_order", null, null, "order"] },
  { before: ["skipped", "pushes paused", null, "g"], after: ["pushes_paused", null, null, "order"] },
  { before: ["skipped", "already paid", null, "h"], after: ["already_paid", null, null, "order"] },
  { before: ["skipped", "stale update", null, "i"], after: ["stale_update", null, null, "order"] },
  { before: ["skipped", "status went backwards", null, "j"], after: ["status_backwards", null, null, "order"] },
  { before: ["skipped", "unknown shipment status delayed", null, "k"], after: ["unknown_shipment_status", "delayed", null, "order"] },
  { before: ["skipped", "unknown shipment status", null, "l"], after: ["unknown_shipment_status", null, null, "order"] },
  { before: ["skipped", "tracking status not pushed", null, "m"], after: ["status_not_pushed", null, null, "order"] },
  { before: ["cancelled", "order paid before the reminder went out", null, "n"], after: ["order_paid_before_reminder", null, null, "order"] },
  { before: ["cancelled", "customer data erased", null, "o"], after: ["customer_data_erased", null, null, "order"] },
  { before: ["cancelled", "app uninstalled", null, "p"], after: ["app_uninstalled", null, null, "order"] },
  {
    before: ["failed", null, "no JoinChat API secret: set the shop's secret or JOINCHAT_API_SECRET", "q"],
    after: ["secret_missing", null, null, "order"],
  },
  {
    before: ["failed", null, "JoinChat API secret unreadable: unsupported state or unable to authenticate data", "r"],
    after: ["secret_unreadable", "unsupported state or unable to authenticate data", null, "order"],
  },
  {
    before: ["failed", null, "HTTP 503 Service Unavailable; gave up after 12 attempts over 24.0 h", "s"],
    after: ["retries_exhausted", null, "HTTP 503 Service Unavailable", "order"],
  },
  // JoinChat's own refusal stays JoinChat's answer, without a code.
  { before: ["failed", null, "10010 Recipient not found", "t"], after: [null, null, "10010 Recipient not found", "order"] },
  { before: ["delivered", null, null, "test-push:6f1c"], after: [null, null, null, "test"] },
  { before: ["failed", null, "401 Invalid signature", "test-push:77aa"], after: [null, null, "401 Invalid signature", "test"] },
  { before: ["delivered", null, null, "receipt:gid://shopify/Order/1"], after: [null, null, null, "order"] },
];

const INSERT = `INSERT INTO "push" ("shop", "topic", "business_key", "idempotency_key", "status", "reason", "last_error", "due_at", "created_at", "updated_at")
  VALUES (?, 'Order/Receipt', ?, ?, ?, ?, ?, 1, 1, 1)`;
const SELECT = `SELECT "business_key", "reason", "reason_detail", "last_error", "kind" FROM "push" ORDER BY "id"`;

/**
 * A migration's statements as Prisma's migrate deploy sends them: cut at every semicolon, even one inside a comment or a
 * string (a migration that relies on more fails there).
 */
function statementsOf(sql: string): string[] {
  return sql
    .split(";")
    .map((s) => s.trim())
    .filter((s) => s.replace(/--.*$/gm, "").trim() !== "");
}

type Row = { business_key: string; reason: string | null; reason_detail: string | null; last_error: string | null; kind: string };

function expectConverted(rows: Row[]): void {
  expect(rows.map((r) => [r.reason, r.reason_detail, r.last_error, r.kind])).toEqual(CASES.map((c) => c.after));
  // Every reason left is a code the app and its locale files know.
  for (const r of rows) if (r.reason !== null) expect(REASON_CODES).toContain(r.reason);
}

describe("the reason codes migration", () => {
  it("converts old rows on SQLite", () => {
    const db = new BetterSqlite3(":memory:");
    const migrations = migrationsOf(path.resolve("prisma", "migrations"));
    const at = migrations.findIndex((m) => m.name === MIGRATION);
    expect(at).toBeGreaterThan(0);
    for (const m of migrations.slice(0, at)) for (const statement of statementsOf(m.sql)) db.exec(statement);
    CASES.forEach(({ before: [status, reason, lastError, key] }, i) => db.prepare(INSERT).run("old.myshopify.com", key, `k${i}`, status, reason, lastError));
    for (const statement of statementsOf(migrations[at].sql)) db.exec(statement);
    expectConverted(db.prepare(SELECT).all() as Row[]);
    db.close();
  });

  describe.skipIf(!postgresAvailable)("on PostgreSQL", () => {
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    const name = `joinchat_reasons_${process.pid}_${Date.now()}`;
    afterAll(async () => {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
      await admin.end();
    });

    it("converts old rows on PostgreSQL", async () => {
      await admin.connect();
      await admin.query(`CREATE DATABASE ${name}`);
      const url = new URL(TEST_DATABASE_URL);
      url.pathname = `/${name}`;
      const db = new pg.Client({ connectionString: url.toString() });
      await db.connect();
      try {
        const migrations = migrationsOf(path.resolve("prisma", "postgresql", "migrations"));
        const at = migrations.findIndex((m) => m.name === MIGRATION);
        expect(at).toBeGreaterThan(0);
        for (const m of migrations.slice(0, at)) for (const statement of statementsOf(m.sql)) await db.query(statement);
        for (const [i, { before }] of CASES.entries()) {
          const [status, reason, lastError, key] = before;
          let n = 0;
          await db.query(
            INSERT.replace(/\?/g, () => `$${++n}`),
            ["old.myshopify.com", key, `k${i}`, status, reason, lastError],
          );
        }
        for (const statement of statementsOf(migrations[at].sql)) await db.query(statement);
        expectConverted((await db.query<Row>(SELECT)).rows);
      } finally {
        await db.end();
      }
    });
  });
});
