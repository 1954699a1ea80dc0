#!/usr/bin/env node
// npm run setup: generates the Prisma clients and migrates the database of DATABASE_URL (default: the SQLite
// file in prisma/data/). A postgres:// or postgresql:// URL is PostgreSQL: its database is created when missing,
// then prisma/postgresql/migrations are applied (prisma.config.ts picks the schema and the adapter by the URL).
// Safe to run again, and from several processes at once: it only applies what is missing (Prisma takes a
// lock on PostgreSQL while it migrates). --quiet prints errors only.
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { generatePrismaClients } from "./prisma-generate.mjs";

const quiet = process.argv.includes("--quiet");
const url = process.env.DATABASE_URL?.trim() || "file:./prisma/data/joinchat.sqlite";
const postgres = url.startsWith("postgres://") || url.startsWith("postgresql://");
const prisma = path.join("node_modules", "prisma", "build", "index.js");
const env = { ...process.env, DATABASE_URL: url, PRISMA_HIDE_UPDATE_MESSAGE: "1" };

function run(args, extraEnv = {}) {
  // The preload lets `migrate deploy` on PostgreSQL exit when done instead of 10 s later (see the file).
  execFileSync(process.execPath, ["--require", path.resolve("scripts", "prisma-exit-when-idle.cjs"), prisma, ...args], {
    env: { ...env, ...extraEnv },
    stdio: quiet ? ["ignore", "ignore", "inherit"] : "inherit",
  });
}

/** CREATE DATABASE when the URL's database does not exist yet (another process may be creating it too). */
async function createPostgresDatabase() {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ""));
  if (!name) throw new Error("DATABASE_URL names no database");
  const maintenance = new URL(url);
  maintenance.pathname = "/postgres";
  const client = new pg.Client({ connectionString: maintenance.toString(), connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
  } catch (error) {
    // No access to the maintenance database (a managed server): the database must exist; migrate tells.
    if (!quiet) console.log(`Could not check that database ${name} exists (${error.message}); migrating it as it is.`);
    return;
  }
  try {
    const { rowCount } = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (rowCount === 0) {
      await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`).catch((error) => {
        if (error.code !== "42P04") throw error; // created meanwhile by another process
      });
      if (!quiet) console.log(`Created PostgreSQL database ${name}.`);
    }
  } finally {
    await client.end();
  }
}

// Both clients: the session storage loads the one of the database in use (app/db.server.ts).
generatePrismaClients({ ifMissing: quiet, quiet });
if (postgres) {
  await createPostgresDatabase();
} else if (url.startsWith("file:")) {
  const file = path.resolve(url.replace(/^file:/, "").replace(/\?.*$/, ""));
  mkdirSync(path.dirname(file), { recursive: true });
}
run(["migrate", "deploy"]);
