// The SQLite and PostgreSQL data models stay in step: scripts/check-schemas.mjs passes on the tree, and catches a
// PostgreSQL schema edited by hand, a migration written for one database only, and migrations that build
// something else than the schema says. Its PostgreSQL half runs where PostgreSQL does (CI, or TEST_DATABASE_URL).
import { execFile } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { postgresAvailable, TEST_DATABASE_URL } from "../helpers/backends";

const run = promisify(execFile);
const SCRIPT = path.resolve("scripts", "check-schemas.mjs");

async function check(...args: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [SCRIPT, ...args], {
      env: { ...process.env, ...(TEST_DATABASE_URL ? { TEST_DATABASE_URL } : {}) },
      encoding: "utf8",
    });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof failed.code === "number" ? failed.code : 1, output: `${failed.stdout ?? ""}${failed.stderr ?? ""}` };
  }
}

const copies: string[] = [];
/** A copy of the project's prisma/ folder to break. */
function copyOfPrisma(): string {
  const root = mkdtempSync(path.join(os.tmpdir(), "joinchat-schemas-"));
  copies.push(root);
  cpSync(path.resolve("prisma"), path.join(root, "prisma"), { recursive: true, filter: (src) => !src.includes(`${path.sep}data`) });
  return root;
}

afterAll(() => {
  for (const dir of copies) rmSync(dir, { recursive: true, force: true });
});

describe("scripts/check-schemas.mjs", () => {
  it("passes on the project: both schemas, both migration folders, the same tables on both databases", { timeout: 60_000 }, async () => {
    const result = await check();
    expect(result.output).toMatch(/schemas in step/);
    expect(result.code, result.output).toBe(0);
    if (postgresAvailable) expect(result.output).toMatch(/on SQLite and PostgreSQL/);
    else expect(result.output).toMatch(/PostgreSQL half skipped/);
  });

  it("fails when prisma/postgresql/schema.prisma was edited instead of generated", { timeout: 60_000 }, async () => {
    const root = copyOfPrisma();
    const file = path.join(root, "prisma", "postgresql", "schema.prisma");
    writeFileSync(
      file,
      readFileSync(file, "utf8").replace("  paused              Int     @default(0)\n", "  paused              Int     @default(0)\n  note String?\n"),
    );
    const result = await check("--root", root);
    expect(result.code).toBe(1);
    expect(result.output).toMatch(/not generated from prisma\/schema\.prisma/);
  });

  it("fails when a migration exists for SQLite only, and says what the other database lacks", { timeout: 60_000 }, async () => {
    const root = copyOfPrisma();
    const schema = path.join(root, "prisma", "schema.prisma");
    writeFileSync(
      schema,
      readFileSync(schema, "utf8").replace(
        "  paused              Int     @default(0)\n",
        "  paused              Int     @default(0)\n  note                String?\n",
      ),
    );
    const migration = path.join(root, "prisma", "migrations", "20261201000000_note");
    mkdirSync(migration);
    writeFileSync(path.join(migration, "migration.sql"), 'ALTER TABLE "shop_settings" ADD COLUMN "note" TEXT;\n');
    const result = await check("--root", root);
    expect(result.code).toBe(1);
    expect(result.output).toMatch(/not generated from prisma\/schema\.prisma/);
    expect(result.output).toMatch(/migration 20261201000000_note exists for SQLite only/);
    if (postgresAvailable) expect(result.output).toMatch(/shop_settings\.note/);
  });

  it("fails when the migrations build something else than the schema describes", { timeout: 60_000 }, async () => {
    const root = copyOfPrisma();
    const schema = path.join(root, "prisma", "schema.prisma");
    // A new index in the schema with no migration for it, on either side.
    writeFileSync(
      schema,
      readFileSync(schema, "utf8").replace(
        '  @@index([shop, customerGid])\n  @@map("data_request")',
        '  @@index([shop, customerGid])\n  @@index([receivedAt])\n  @@map("data_request")',
      ),
    );
    expect(readFileSync(schema, "utf8")).toContain('@@index([receivedAt])\n  @@map("data_request")');
    expect((await check("--root", root, "--write")).code).toBe(0);
    const result = await check("--root", root);
    expect(result.code).toBe(1);
    expect(result.output).toMatch(/SQLite: index data_request_received_at_idx on data_request: only in prisma\/schema\.prisma/);
    if (postgresAvailable)
      expect(result.output).toMatch(/PostgreSQL: index data_request_received_at_idx on data_request: only in prisma\/postgresql\/schema\.prisma/);
  });
});
