import path from "node:path";
import { defineConfig } from "prisma/config";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { createPrismaPgAdapter } from "./app/db/prisma-pg-adapter";
import { databaseKindOf, resolveDatabaseUrl, sqliteFilePath } from "./app/db/database-url";

// Prisma 6.19 runs migrations through a driver adapter and its JS engine, so neither `npm run setup` nor `npm start`
// downloads a native engine: the app starts without network.
// The schema reads env("DATABASE_URL"); without it Prisma falls back to a path that downloads an engine.
// A postgres:// DATABASE_URL takes the PostgreSQL schema (generated from prisma/schema.prisma, with its own
// migrations in prisma/postgresql/migrations) and the pg adapter; anything else the SQLite schema and file.
const databaseUrl = resolveDatabaseUrl(process.env.DATABASE_URL);
process.env.DATABASE_URL = databaseUrl;
const postgres = databaseKindOf(databaseUrl) === "postgres";

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: postgres ? path.join("prisma", "postgresql", "schema.prisma") : path.join("prisma", "schema.prisma"),
  migrations: { path: postgres ? path.join("prisma", "postgresql", "migrations") : path.join("prisma", "migrations") },
  async adapter() {
    return postgres ? createPrismaPgAdapter(databaseUrl) : new PrismaBetterSQLite3({ url: sqliteFilePath(databaseUrl) });
  },
});
