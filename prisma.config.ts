import path from "node:path";
import { defineConfig } from "prisma/config";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { resolveDatabaseUrl, sqliteFilePath } from "./app/db/database-url";

// Prisma 6.19 runs migrations through a driver adapter (no engine download): see ../shared/STACK.md.
// The schema reads env("DATABASE_URL"); without it Prisma falls back to a path that downloads an engine.
const databaseUrl = resolveDatabaseUrl(process.env.DATABASE_URL);
process.env.DATABASE_URL = databaseUrl;

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: path.join("prisma", "schema.prisma"),
  async adapter() {
    return new PrismaBetterSQLite3({ url: sqliteFilePath(databaseUrl) });
  },
});
