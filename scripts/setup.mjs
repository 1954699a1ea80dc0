#!/usr/bin/env node
// npm run setup: generates the Prisma client and migrates the database of DATABASE_URL (default: the SQLite
// file in prisma/data/). Safe to run again: it only applies what is missing. --quiet prints errors only.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";

const quiet = process.argv.includes("--quiet");
const url = process.env.DATABASE_URL?.trim() || "file:./prisma/data/joinchat.sqlite";
const env = { ...process.env, DATABASE_URL: url, PRISMA_HIDE_UPDATE_MESSAGE: "1" };

function run(args) {
  execFileSync(process.execPath, [path.join("node_modules", "prisma", "build", "index.js"), ...args], {
    env,
    stdio: quiet ? ["ignore", "ignore", "inherit"] : "inherit",
  });
}

if (url.startsWith("file:")) {
  const file = path.resolve(url.replace(/^file:/, "").replace(/\?.*$/, ""));
  mkdirSync(path.dirname(file), { recursive: true });
}
if (!existsSync(path.join("node_modules", ".prisma", "client", "default.js")) || !quiet) run(["generate"]);
run(["migrate", "deploy"]);
