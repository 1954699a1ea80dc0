#!/usr/bin/env node
// npm test: everything a fresh clone needs (Prisma client, the production build), then every test.
import { execFileSync } from "node:child_process";
import path from "node:path";

const node = (args, opts = {}) => execFileSync(process.execPath, args, { stdio: "inherit", ...opts });
const env = { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: "1" };

node([path.join("node_modules", "prisma", "build", "index.js"), "generate"], { env, stdio: ["ignore", "ignore", "inherit"] });
console.log("Building the production server for the end-to-end tests...");
node([path.join("node_modules", "@remix-run", "dev", "dist", "cli.js"), "vite:build"], { stdio: ["ignore", "ignore", "inherit"] });
try {
  node([path.join("node_modules", "vitest", "vitest.mjs"), "run", ...process.argv.slice(2)]);
} catch (error) {
  process.exit(error.status ?? 1);
}
