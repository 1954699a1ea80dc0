#!/usr/bin/env node
// Keeps the SQLite and PostgreSQL data models in step (docs/decisions/006-scaling-out.md):
//
//   node scripts/check-schemas.mjs           check; exit 1 with the differences
//   node scripts/check-schemas.mjs --write   regenerate prisma/postgresql/schema.prisma from prisma/schema.prisma
//
// 1. prisma/postgresql/schema.prisma is prisma/schema.prisma with only the provider (and the client's output
//    path) changed: regenerated and compared.
// 2. Both migration folders hold the same migrations, by name, with the right migration_lock.toml.
// 3. For each database, its migrations applied one after the other build exactly what its schema describes
//    (the schema's own SQL from `prisma migrate diff --from-empty`, applied to a second scratch database).
// 4. The SQLite and the PostgreSQL migrations build the same tables, columns (type, null, default), primary
//    keys and indexes.
// Steps 3 and 4 need PostgreSQL for its half: TEST_DATABASE_URL (a database the check may create scratch
// databases from), by default postgresql://postgres@127.0.0.1:5432/postgres under CI=true. Without it the
// PostgreSQL half is skipped, unless CI=true or --require-postgres: then it fails.
// --root <dir> checks the prisma/ folder of another tree (the test checks that a drift is caught).
import BetterSqlite3 from "better-sqlite3";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";

const PROJECT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const option = (name) => {
  const i = args.indexOf(name);
  return i === -1 ? undefined : args[i + 1];
};
const ROOT = path.resolve(option("--root") ?? PROJECT);
const WRITE = args.includes("--write");
const CI = process.env.CI === "true";
const REQUIRE_POSTGRES = CI || args.includes("--require-postgres");
const POSTGRES_URL = process.env.TEST_DATABASE_URL || (CI ? "postgresql://postgres@127.0.0.1:5432/postgres" : undefined);

const SQLITE_SCHEMA = path.join(ROOT, "prisma", "schema.prisma");
const POSTGRES_SCHEMA = path.join(ROOT, "prisma", "postgresql", "schema.prisma");
const SQLITE_MIGRATIONS = path.join(ROOT, "prisma", "migrations");
const POSTGRES_MIGRATIONS = path.join(ROOT, "prisma", "postgresql", "migrations");
/** Where the PostgreSQL client goes, relative to prisma/postgresql/ (app/db.server.ts loads it from there). */
export const POSTGRES_CLIENT_OUTPUT = "../../node_modules/.prisma/client-postgresql";

const GENERATED_HEADER = `// GENERATED from prisma/schema.prisma by \`node scripts/check-schemas.mjs --write\`: do not edit, edit that file.
// The PostgreSQL data model: the same models, another provider, and a client of its own
// (node_modules/.prisma/client-postgresql, loaded by app/db.server.ts for a postgres:// DATABASE_URL).
`;

/** The PostgreSQL schema for a SQLite schema's text. */
export function postgresSchemaOf(sqliteSchema) {
  const body = sqliteSchema.replace(/^(\/\/[^\n]*\n)+/, "");
  const datasource = /datasource\s+db\s*\{[^}]*\}/;
  const generator = /generator\s+client\s*\{[^}]*\}/;
  if (!datasource.test(body) || !generator.test(body)) throw new Error("prisma/schema.prisma has no `datasource db` or `generator client` block");
  const converted = body
    .replace(datasource, (block) => {
      if (!/provider\s*=\s*"sqlite"/.test(block)) throw new Error('prisma/schema.prisma: the datasource provider must be "sqlite"');
      return block.replace(/provider(\s*)=(\s*)"sqlite"/, 'provider$1=$2"postgresql"');
    })
    .replace(generator, (block) => {
      if (/\boutput\s*=/.test(block)) throw new Error("prisma/schema.prisma: the SQLite client keeps Prisma's default output");
      const lines = block.split("\n");
      const closing = lines.pop();
      const indent = /^(\s*)\w/.exec(lines[1] ?? "  x")?.[1] ?? "  ";
      const width = Math.max(...lines.slice(1).map((l) => /^\s*(\w+)/.exec(l)?.[1].length ?? 0), "output".length);
      lines.push(`${indent}${"output".padEnd(width)} = "${POSTGRES_CLIENT_OUTPUT}"`);
      return [...lines, closing].join("\n");
    });
  return GENERATED_HEADER + converted;
}

const problems = [];
const notes = [];
const problem = (text) => problems.push(text);

// ---- 1. the generated schema ----
const expectedPostgresSchema = postgresSchemaOf(readFileSync(SQLITE_SCHEMA, "utf8"));
if (WRITE) {
  writeFileSync(POSTGRES_SCHEMA, expectedPostgresSchema);
  console.log(`wrote ${path.relative(process.cwd(), POSTGRES_SCHEMA)}`);
  process.exit(0);
}
if (!existsSync(POSTGRES_SCHEMA)) problem("prisma/postgresql/schema.prisma is missing: run node scripts/check-schemas.mjs --write");
else if (readFileSync(POSTGRES_SCHEMA, "utf8") !== expectedPostgresSchema) {
  problem("prisma/postgresql/schema.prisma is not generated from prisma/schema.prisma: run node scripts/check-schemas.mjs --write");
}

// ---- 2. the same migrations on both sides ----
const migrationsIn = (dir) =>
  existsSync(dir)
    ? readdirSync(dir, { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => d.name)
        .sort()
    : [];
const sqliteMigrations = migrationsIn(SQLITE_MIGRATIONS);
const postgresMigrations = migrationsIn(POSTGRES_MIGRATIONS);
for (const name of sqliteMigrations.filter((m) => !postgresMigrations.includes(m)))
  problem(`migration ${name} exists for SQLite only: write prisma/postgresql/migrations/${name}/migration.sql`);
for (const name of postgresMigrations.filter((m) => !sqliteMigrations.includes(m)))
  problem(`migration ${name} exists for PostgreSQL only: write prisma/migrations/${name}/migration.sql`);
for (const [dir, provider] of [
  [SQLITE_MIGRATIONS, "sqlite"],
  [POSTGRES_MIGRATIONS, "postgresql"],
]) {
  const lock = path.join(dir, "migration_lock.toml");
  if (!existsSync(lock) || !new RegExp(`provider\\s*=\\s*"${provider}"`).test(readFileSync(lock, "utf8"))) {
    problem(`${path.relative(ROOT, lock)} must say provider = "${provider}"`);
  }
}
const migrationSql = (dir, names) => names.map((name) => ({ name, sql: readFileSync(path.join(dir, name, "migration.sql"), "utf8") }));

/** The SQL that creates a schema from nothing, as Prisma writes it (no database needed). */
function schemaSql(schemaFile) {
  return execFileSync(
    process.execPath,
    [path.join(PROJECT, "node_modules", "prisma", "build", "index.js"), "migrate", "diff", "--from-empty", "--to-schema-datamodel", schemaFile, "--script"],
    // Through prisma.config.ts's SQLite adapter for either schema: the pg adapter would connect to a server,
    // and a URL that matches no adapter sends Prisma after an engine download.
    {
      cwd: PROJECT,
      env: { ...process.env, DATABASE_URL: `file:${path.join(os.tmpdir(), "joinchat-check-schemas-unused.sqlite")}`, PRISMA_HIDE_UPDATE_MESSAGE: "1" },
      stdio: ["ignore", "pipe", "pipe"],
      encoding: "utf8",
    },
  );
}

// ---- 3 and 4: what the migrations build ----
const SQLITE_TYPES = {
  TEXT: "text",
  INTEGER: "int",
  BIGINT: "bigint",
  BOOLEAN: "boolean",
  DATETIME: "datetime",
  REAL: "float",
  DECIMAL: "decimal",
  BLOB: "bytes",
  JSONB: "json",
};
const POSTGRES_TYPES = {
  text: "text",
  integer: "int",
  bigint: "bigint",
  boolean: "boolean",
  "timestamp without time zone": "datetime",
  "double precision": "float",
  numeric: "decimal",
  bytea: "bytes",
  jsonb: "json",
};

function normalizeDefault(value) {
  if (value === null || value === undefined) return null;
  let v = String(value).trim();
  if (/^nextval\(/i.test(v)) return "autoincrement";
  v = v.replace(/::[a-z ]+(\(\d+\))?$/i, "");
  if (/^(true|false)$/i.test(v)) return v.toLowerCase();
  if (/^CURRENT_TIMESTAMP$/i.test(v)) return "now";
  return v;
}

function describeSqlite(db) {
  const model = {};
  const tables = db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_prisma%'").all();
  for (const { name, sql } of tables) {
    const columns = {};
    const primaryKey = [];
    for (const c of db.prepare(`PRAGMA table_info("${name}")`).all()) {
      const base = String(c.type)
        .toUpperCase()
        .replace(/\(.*\)$/, "");
      const autoincrement = c.pk === 1 && /AUTOINCREMENT/i.test(sql) && base === "INTEGER";
      columns[c.name] = {
        type: SQLITE_TYPES[base] ?? `sqlite:${c.type}`,
        notNull: c.notnull === 1 || c.pk > 0,
        default: autoincrement ? "autoincrement" : normalizeDefault(c.dflt_value),
      };
      if (c.pk > 0) primaryKey[c.pk - 1] = c.name;
    }
    const indexes = {};
    for (const i of db.prepare(`PRAGMA index_list("${name}")`).all()) {
      if (i.origin !== "c") continue;
      indexes[i.name] = {
        unique: i.unique === 1,
        columns: db
          .prepare(`PRAGMA index_info("${i.name}")`)
          .all()
          .sort((a, b) => a.seqno - b.seqno)
          .map((x) => x.name),
      };
    }
    model[name] = { columns, primaryKey, indexes };
  }
  return model;
}

async function describePostgres(client) {
  const model = {};
  const { rows: columns } = await client.query(
    `SELECT table_name, column_name, data_type, is_nullable, column_default FROM information_schema.columns
     WHERE table_schema = 'public' AND table_name NOT LIKE '\\_prisma%' ORDER BY table_name, ordinal_position`,
  );
  for (const c of columns) {
    model[c.table_name] ??= { columns: {}, primaryKey: [], indexes: {} };
    model[c.table_name].columns[c.column_name] = {
      type: POSTGRES_TYPES[c.data_type] ?? `postgres:${c.data_type}`,
      notNull: c.is_nullable === "NO",
      default: normalizeDefault(c.column_default),
    };
  }
  const { rows: indexes } = await client.query(
    `SELECT t.relname AS table_name, i.relname AS index_name, ix.indisunique AS is_unique, ix.indisprimary AS is_primary,
            array_agg(a.attname::text ORDER BY k.ord) AS columns
     FROM pg_index ix
     JOIN pg_class t ON t.oid = ix.indrelid
     JOIN pg_class i ON i.oid = ix.indexrelid
     JOIN pg_namespace n ON n.oid = t.relnamespace
     CROSS JOIN LATERAL unnest(ix.indkey) WITH ORDINALITY AS k(attnum, ord)
     JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
     WHERE n.nspname = 'public' AND t.relname NOT LIKE '\\_prisma%'
     GROUP BY t.relname, i.relname, ix.indisunique, ix.indisprimary`,
  );
  for (const i of indexes) {
    const table = model[i.table_name];
    if (!table) continue;
    if (i.is_primary) table.primaryKey = i.columns;
    else table.indexes[i.index_name] = { unique: i.is_unique, columns: i.columns };
  }
  return model;
}

/** Every difference between two described databases, as lines. */
function compareModels(leftName, left, rightName, right) {
  const out = [];
  const keys = (a, b) => [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  for (const table of keys(left, right)) {
    const l = left[table];
    const r = right[table];
    if (!l || !r) {
      out.push(`table ${table}: only in ${l ? leftName : rightName}`);
      continue;
    }
    for (const column of keys(l.columns, r.columns)) {
      const lc = l.columns[column];
      const rc = r.columns[column];
      if (!lc || !rc) out.push(`column ${table}.${column}: only in ${lc ? leftName : rightName}`);
      else if (JSON.stringify(lc) !== JSON.stringify(rc))
        out.push(`column ${table}.${column}: ${leftName} ${JSON.stringify(lc)}, ${rightName} ${JSON.stringify(rc)}`);
    }
    if (JSON.stringify(l.primaryKey) !== JSON.stringify(r.primaryKey))
      out.push(`primary key of ${table}: ${leftName} (${l.primaryKey}), ${rightName} (${r.primaryKey})`);
    for (const index of keys(l.indexes, r.indexes)) {
      const li = l.indexes[index];
      const ri = r.indexes[index];
      if (!li || !ri) out.push(`index ${index} on ${table}: only in ${li ? leftName : rightName}`);
      else if (JSON.stringify(li) !== JSON.stringify(ri))
        out.push(`index ${index} on ${table}: ${leftName} ${JSON.stringify(li)}, ${rightName} ${JSON.stringify(ri)}`);
    }
  }
  return out;
}

function applySqlite(statements) {
  const db = new BetterSqlite3(":memory:");
  for (const { name, sql } of statements) {
    try {
      db.exec(sql);
    } catch (error) {
      problem(`SQLite migration ${name} does not apply: ${error.message}`);
    }
  }
  return db;
}

const sqliteMigrated = describeSqlite(applySqlite(migrationSql(SQLITE_MIGRATIONS, sqliteMigrations)));
const sqliteFromSchema = describeSqlite(applySqlite([{ name: "(schema.prisma)", sql: schemaSql(SQLITE_SCHEMA) }]));
for (const line of compareModels("the migrations", sqliteMigrated, "prisma/schema.prisma", sqliteFromSchema)) problem(`SQLite: ${line}`);

async function checkPostgres() {
  if (!POSTGRES_URL) {
    if (REQUIRE_POSTGRES) problem("PostgreSQL half not checked: set TEST_DATABASE_URL (CI=true defaults to postgresql://postgres@127.0.0.1:5432/postgres)");
    else notes.push("PostgreSQL half skipped: no TEST_DATABASE_URL (it runs under CI=true)");
    return;
  }
  const admin = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 5_000 });
  try {
    await admin.connect();
  } catch (error) {
    problem(`PostgreSQL at ${POSTGRES_URL.replace(/\/\/[^@]*@/, "//***@")} cannot be reached: ${error.message}`);
    return;
  }
  const stamp = randomBytes(4).toString("hex");
  const scratch = [`joinchat_check_${stamp}_migrations`, `joinchat_check_${stamp}_schema`];
  const urlOf = (name) => {
    const url = new URL(POSTGRES_URL);
    url.pathname = `/${name}`;
    return url.toString();
  };
  try {
    for (const name of scratch) await admin.query(`CREATE DATABASE "${name}"`);
    const apply = async (name, statements) => {
      const client = new pg.Client({ connectionString: urlOf(name) });
      await client.connect();
      try {
        for (const { name: migration, sql } of statements) {
          try {
            await client.query(sql);
          } catch (error) {
            problem(`PostgreSQL migration ${migration} does not apply: ${error.message}`);
          }
        }
        return await describePostgres(client);
      } finally {
        await client.end();
      }
    };
    const postgresMigrated = await apply(scratch[0], migrationSql(POSTGRES_MIGRATIONS, postgresMigrations));
    const postgresFromSchema = await apply(scratch[1], [{ name: "(postgresql/schema.prisma)", sql: schemaSql(POSTGRES_SCHEMA) }]);
    for (const line of compareModels("the migrations", postgresMigrated, "prisma/postgresql/schema.prisma", postgresFromSchema)) problem(`PostgreSQL: ${line}`);
    for (const line of compareModels("SQLite", sqliteMigrated, "PostgreSQL", postgresMigrated)) problem(`SQLite and PostgreSQL migrations differ: ${line}`);
  } finally {
    for (const name of scratch) await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch(() => {});
    await admin.end();
  }
}

await checkPostgres();
for (const note of notes) console.log(note);
if (problems.length > 0) {
  console.error(`The SQLite and PostgreSQL schemas are out of step:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  process.exit(1);
}
console.log(
  `schemas in step: ${sqliteMigrations.length} migration(s), ${Object.keys(sqliteMigrated).length} tables${notes.length ? " (SQLite half only)" : ", on SQLite and PostgreSQL"}`,
);
