import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import path from "node:path";

// Once per test run: a database migrated by the real migrations (each test copies it), and the production
// build that the end-to-end tests start (scripts/test.mjs builds it fresh; a bare `npx vitest` builds if missing).
export const TEMPLATE_DB = path.resolve("test/.tmp/template.sqlite");

export default function setup() {
  mkdirSync(path.dirname(TEMPLATE_DB), { recursive: true });
  // Migrated aside and renamed into place: a run starting meanwhile (another terminal) never finds the
  // template missing or half-migrated while its tests copy it.
  const fresh = `${TEMPLATE_DB}.${process.pid}.tmp`;
  for (const suffix of ["", "-wal", "-shm"]) rmSync(fresh + suffix, { force: true });
  const prisma = path.join("node_modules", "prisma", "build", "index.js");
  const env = { ...process.env, DATABASE_URL: `file:${fresh}`, PRISMA_HIDE_UPDATE_MESSAGE: "1" };
  if (!existsSync(path.join("node_modules", ".prisma", "client", "default.js"))) {
    execFileSync(process.execPath, [prisma, "generate"], { env, stdio: ["ignore", "ignore", "inherit"] });
  }
  if (!existsSync(path.join("node_modules", ".prisma", "client-postgresql", "default.js"))) {
    execFileSync(process.execPath, [prisma, "generate", "--schema", path.join("prisma", "postgresql", "schema.prisma")], {
      env: { ...env, DATABASE_URL: "postgresql://generate@127.0.0.1:5432/generate" },
      stdio: ["ignore", "ignore", "inherit"],
    });
  }
  execFileSync(process.execPath, [prisma, "migrate", "deploy"], { env, stdio: ["ignore", "ignore", "pipe"] });
  for (const suffix of ["-wal", "-shm"]) rmSync(fresh + suffix, { force: true });
  renameSync(fresh, TEMPLATE_DB);
  if (!existsSync(path.resolve("build/server/index.js"))) {
    execFileSync(process.execPath, [path.join("node_modules", "@remix-run", "dev", "dist", "cli.js"), "vite:build"], {
      stdio: ["ignore", "ignore", "inherit"],
    });
  }
}
