#!/usr/bin/env node
// Generates both Prisma clients: the SQLite one (@prisma/client, the default) and the PostgreSQL one
// (node_modules/.prisma/client-postgresql, from prisma/postgresql/schema.prisma), which app/db.server.ts loads
// for a postgres:// DATABASE_URL. Used by npm run setup, npm test and the Dockerfile.
//   node scripts/prisma-generate.mjs [--if-missing] [--quiet]
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

const CLIENTS = [
  // Each schema's env("DATABASE_URL") must look like its provider's, or Prisma goes after an engine download.
  { schema: path.join("prisma", "schema.prisma"), output: path.join("node_modules", ".prisma", "client"), url: "file:./prisma/data/generate.sqlite" },
  {
    schema: path.join("prisma", "postgresql", "schema.prisma"),
    output: path.join("node_modules", ".prisma", "client-postgresql"),
    url: "postgresql://generate@127.0.0.1:5432/generate",
  },
];

export function generatePrismaClients({ ifMissing = false, quiet = false } = {}) {
  for (const client of CLIENTS) {
    if (ifMissing && existsSync(path.join(ROOT, client.output, "default.js"))) continue;
    execFileSync(process.execPath, [path.join(ROOT, "node_modules", "prisma", "build", "index.js"), "generate", "--schema", client.schema], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: client.url, PRISMA_HIDE_UPDATE_MESSAGE: "1" },
      stdio: quiet ? ["ignore", "ignore", "inherit"] : "inherit",
    });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  generatePrismaClients({ ifMissing: process.argv.includes("--if-missing"), quiet: process.argv.includes("--quiet") });
}
