import type { Database, Sql } from "./database.server";

// Moving a shop base from the embedded default (SQLite) to PostgreSQL: every row of every table of the app's schema
// (Shopify's sessions, shop settings with their encrypted secrets, orders, pushes and attempts, webhook deliveries…)
// copied as it is, in one PostgreSQL transaction, into a migrated and empty database. Both schemas are the same
// (scripts/check-schemas.mjs); only the columns Prisma types differently are converted (Session's booleans, stored
// as 0/1 by SQLite, and its DateTime columns, stored as ISO text). Queued pushes need no BullMQ job: the workers'
// reconciler enqueues the due pushes it finds without one.

export interface TableCopy {
  table: string;
  rows: number;
}

export class DatabaseCopyError extends Error {
  name = "DatabaseCopyError";
}

/** What a batch of INSERT may bind: PostgreSQL takes at most 65,535 parameters a statement. */
const MAX_PARAMS = 30_000;

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** The app's tables on SQLite: every table but SQLite's own and Prisma's bookkeeping. */
async function sourceTables(source: Sql): Promise<string[]> {
  const rows = await source.all<{ name: string }>(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '_prisma_migrations' ORDER BY name",
  );
  return rows.map((r) => r.name);
}

/** Each table's columns and PostgreSQL type on the target. */
async function targetColumns(target: Sql): Promise<Map<string, Map<string, string>>> {
  const rows = await target.all<{ table_name: string; column_name: string; data_type: string }>(
    "SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name <> '_prisma_migrations'",
  );
  const tables = new Map<string, Map<string, string>>();
  for (const r of rows) {
    if (!tables.has(r.table_name)) tables.set(r.table_name, new Map());
    tables.get(r.table_name)!.set(r.column_name, r.data_type);
  }
  return tables;
}

/** A SQLite value as the PostgreSQL column of `type` takes it. */
function convert(value: unknown, type: string): unknown {
  if (value === null || value === undefined) return null;
  if (type === "boolean") return value === 1 || value === "1" || value === true || value === "true";
  if (type.startsWith("timestamp")) {
    const date = typeof value === "number" ? new Date(value) : new Date(String(value));
    if (Number.isNaN(date.getTime())) throw new DatabaseCopyError(`not a time: ${JSON.stringify(value)}`);
    // Prisma keeps DateTime as UTC in a timestamp without time zone: the UTC wall time, without an offset.
    return type === "timestamp without time zone" ? date.toISOString().replace("Z", "") : date.toISOString();
  }
  return value;
}

/**
 * Copies every row of `source` (SQLite) into `target` (PostgreSQL, migrated, every table empty) and sets the target's
 * id sequences past the copied ids. All or nothing: a refusal or a failure leaves the target as it was. The source is
 * read in one transaction, so the copy is one moment of it (stop the app first: its writes would wait meanwhile).
 */
export async function copySqliteToPostgres(source: Database, target: Database, onTable: (copy: TableCopy) => void = () => {}): Promise<TableCopy[]> {
  if (source.kind !== "sqlite") throw new DatabaseCopyError("the source must be the SQLite database (a file: DATABASE_URL)");
  if (target.kind !== "postgres") throw new DatabaseCopyError("the target must be a PostgreSQL database (a postgres:// URL)");
  const tables = await sourceTables(source);
  const columnsOnTarget = await targetColumns(target);
  const missing = tables.filter((t) => !columnsOnTarget.has(t));
  if (missing.length > 0)
    throw new DatabaseCopyError(`the target lacks table(s) ${missing.join(", ")}: migrate it first (npm run setup with its DATABASE_URL)`);
  for (const table of tables) {
    const row = await target.get<{ n: number | string }>(`SELECT COUNT(*) AS n FROM ${quote(table)}`);
    if (Number(row?.n ?? 0) > 0) throw new DatabaseCopyError(`the target is not empty: ${table} has ${row?.n} row(s); copy into an empty database`);
  }

  return source.transaction(async (from) =>
    target.transaction(async (to) => {
      const copies: TableCopy[] = [];
      for (const table of tables) {
        const types = columnsOnTarget.get(table)!;
        const columns = (await from.all<{ name: string }>(`SELECT name FROM pragma_table_info(?) ORDER BY cid`, [table])).map((c) => c.name);
        const unknown = columns.filter((c) => !types.has(c));
        if (unknown.length > 0) throw new DatabaseCopyError(`the target's ${table} lacks column(s) ${unknown.join(", ")}: migrate it first`);
        const perBatch = Math.max(1, Math.floor(MAX_PARAMS / columns.length));
        let copied = 0;
        // Keyset pages by rowid: each read is a range, whatever the size of the table.
        let after = -Infinity;
        for (;;) {
          const rows = await from.all<Record<string, unknown>>(
            `SELECT rowid AS "__rowid", ${columns.map(quote).join(", ")} FROM ${quote(table)} WHERE rowid > ? ORDER BY rowid LIMIT ?`,
            [after === -Infinity ? Number.MIN_SAFE_INTEGER : after, perBatch],
          );
          if (rows.length === 0) break;
          const params: unknown[] = [];
          const tuples = rows.map((r) => `(${columns.map((c) => (params.push(convert(r[c], types.get(c)!)), "?")).join(", ")})`);
          await to.run(`INSERT INTO ${quote(table)} (${columns.map(quote).join(", ")}) VALUES ${tuples.join(", ")}`, params);
          copied += rows.length;
          after = Number(rows[rows.length - 1].__rowid);
        }
        // An autoincrement id goes on after the copied ones.
        if (types.get("id") === "integer" && columns.includes("id")) {
          await to.get(`SELECT setval(pg_get_serial_sequence(?, 'id'), COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) FROM ${quote(table)}`, [quote(table)]);
        }
        const copy = { table, rows: copied };
        copies.push(copy);
        onTable(copy);
      }
      return copies;
    }),
  );
}
