#!/usr/bin/env node
// Prints the SQL that creates prisma/schema.prisma from nothing, for a new migration file.
// `prisma migrate diff` needs a query-engine download that cannot be reached here, while `prisma db push`
// runs through the driver adapter: push the schema into a scratch database and read back what it created.
//   node scripts/schema-sql.mjs > prisma/migrations/<stamp>_<name>/migration.sql   (from an empty database)
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";

const dir = mkdtempSync(path.join(os.tmpdir(), "schema-sql-"));
const file = path.join(dir, "scratch.sqlite");
try {
  execFileSync("npx", ["prisma", "db", "push", "--skip-generate"], {
    env: { ...process.env, DATABASE_URL: `file:${file}` },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const db = new Database(file, { readonly: true });
  const rows = db
    .prepare(
      `SELECT type, sql FROM sqlite_master
       WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_prisma%'
       ORDER BY CASE type WHEN 'table' THEN 0 ELSE 1 END, rowid`,
    )
    .all();
  db.close();
  process.stdout.write(rows.map((r) => `${r.sql};`).join("\n\n") + "\n");
} finally {
  rmSync(dir, { recursive: true, force: true });
}
