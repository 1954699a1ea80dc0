#!/usr/bin/env node
// npm test: everything a fresh clone needs (Prisma client, the production build), then every test.
import { execFileSync } from "node:child_process";
import path from "node:path";
import { generatePrismaClients } from "./prisma-generate.mjs";

const node = (args, opts = {}) => execFileSync(process.execPath, args, { stdio: "inherit", ...opts });

// Both Prisma clients (SQLite, and PostgreSQL's for the tests on PostgreSQL).
generatePrismaClients({ quiet: true });
console.log("Building the production server for the end-to-end tests...");
node([path.join("node_modules", "@remix-run", "dev", "dist", "cli.js"), "vite:build"], { stdio: ["ignore", "ignore", "inherit"] });
try {
  node([path.join("node_modules", "vitest", "vitest.mjs"), "run", ...process.argv.slice(2)]);
} catch (error) {
  process.exit(error.status ?? 1);
}
