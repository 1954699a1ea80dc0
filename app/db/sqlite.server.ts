import BetterSqlite3 from "better-sqlite3";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { toSqlValue, type Database, type Sql } from "./database.server";

export interface SqliteOptions {
  /** `FULL` makes every commit survive a power cut; `NORMAL` only a crash of the process. */
  synchronous?: "FULL" | "NORMAL";
}

/** The connection's page cache, in KiB (64 MB). */
const SQLITE_CACHE_KIB = 65_536;

/**
 * One better-sqlite3 connection for the whole process. Its calls are synchronous, so a single statement
 * can never interleave with another; a transaction spans awaits, so it holds a lock that every other
 * statement waits for.
 */
export function openSqliteDatabase(file: string, options: SqliteOptions = {}): Database {
  if (file !== ":memory:") mkdirSync(path.dirname(file), { recursive: true });
  const db = new BetterSqlite3(file, { timeout: 5000 });
  db.pragma("journal_mode = WAL");
  db.pragma(`synchronous = ${options.synchronous ?? "FULL"}`);
  db.pragma("foreign_keys = ON");
  // The page cache (SQLite's default is 2 MB): the outbox's indexes of a store with months of history stay in memory,
  // so that an insert does not read its index pages back from the file as history grows. Filled only as pages are read.
  db.pragma(`cache_size = -${SQLITE_CACHE_KIB}`);
  // SQLite's LOWER folds ASCII letters only: case-insensitive matches in every script (the catalogue's search) use this.
  db.function("unicode_lower", { deterministic: true }, (value: unknown) => (typeof value === "string" ? value.toLowerCase() : value) as string | null);

  const statements = new Map<string, BetterSqlite3.Statement>();
  const prepare = (sql: string) => {
    let stmt = statements.get(sql);
    if (!stmt) {
      stmt = db.prepare(sql);
      statements.set(sql, stmt);
    }
    return stmt;
  };
  const bind = (params: readonly unknown[] | undefined) => (params ?? []).map(toSqlValue);

  const direct: Sql = {
    kind: "sqlite",
    async all<T>(sql: string, params?: readonly unknown[]) {
      return prepare(sql).all(...bind(params)) as T[];
    },
    async get<T>(sql: string, params?: readonly unknown[]) {
      return prepare(sql).get(...bind(params)) as T | undefined;
    },
    async run(sql: string, params?: readonly unknown[]) {
      const stmt = prepare(sql);
      // A statement with RETURNING is a reader: count what it returned.
      if (stmt.reader) return { changes: stmt.all(...bind(params)).length };
      return { changes: stmt.run(...bind(params)).changes };
    },
  };

  let lock: Promise<void> | null = null;
  const waitForLock = async () => {
    while (lock) await lock;
  };
  const outside =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      if (lock) await waitForLock();
      return fn(...args);
    };

  return {
    kind: "sqlite",
    all: outside(direct.all) as Sql["all"],
    get: outside(direct.get) as Sql["get"],
    run: outside(direct.run),
    async transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
      // The check and the taking of the lock in one turn: behind `await waitForLock()` every transaction waiting for the
      // same lock (or starting while it is free) would go on at once, and the second BEGIN would fail on the one connection.
      while (lock) await lock;
      let release!: () => void;
      lock = new Promise<void>((resolve) => (release = resolve));
      try {
        prepare("BEGIN IMMEDIATE").run();
        try {
          const result = await fn(direct);
          prepare("COMMIT").run();
          return result;
        } catch (error) {
          if (db.inTransaction) prepare("ROLLBACK").run();
          throw error;
        }
      } finally {
        lock = null;
        release();
      }
    },
    async close() {
      await waitForLock();
      db.close();
    },
  };
}
