import { copyFileSync, mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { openSqliteDatabase } from "../../app/db/sqlite.server";
import type { Database } from "../../app/db/database.server";

const TEMPLATE_DB = path.resolve("test/.tmp/template.sqlite");

/** A fresh SQLite file with every migration applied (a copy of the one global-setup migrated). */
export function createTestDatabaseFile(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "joinchat-test-"));
  const file = path.join(dir, "app.sqlite");
  copyFileSync(TEMPLATE_DB, file);
  return file;
}

export function openTestDatabase(): { db: Database; file: string } {
  const file = createTestDatabaseFile();
  return { db: openSqliteDatabase(file, { synchronous: "NORMAL" }), file };
}
