import type { Database } from "./database.server";
import { databaseKindOf, sqliteFilePath } from "./database-url";
import { openPostgresDatabase } from "./postgres.server";
import { openSqliteDatabase } from "./sqlite.server";

export interface OpenOptions {
  /** SQLite: FULL (a commit survives a power cut) or NORMAL. */
  synchronous?: "FULL" | "NORMAL";
  /** PostgreSQL: connections in the pool. */
  poolSize?: number;
  /** PostgreSQL: the name in pg_stat_activity (web, worker, cli). */
  applicationName?: string;
}

/** The app's database for a DATABASE_URL: a `file:` URL is SQLite, `postgres://` or `postgresql://` PostgreSQL. */
export function openDatabaseByUrl(url: string, options: OpenOptions = {}): Database {
  const kind = databaseKindOf(url);
  if (kind === "sqlite") return openSqliteDatabase(sqliteFilePath(url), { synchronous: options.synchronous });
  if (kind === "postgres") return openPostgresDatabase(url, { max: options.poolSize, applicationName: options.applicationName });
  throw new Error("DATABASE_URL must be a file: URL (SQLite) or a postgres:// URL (PostgreSQL)");
}
