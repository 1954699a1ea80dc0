import pg from "pg";
import { log } from "../logger.server";
import { toSqlValue, type Database, type Sql } from "./database.server";

// The same `Database` as sqlite.server.ts, over a pg.Pool. Statements are written once with `?` placeholders
// (docs/decisions/002-data-access.md); they become `$1, $2, ...` here. BIGINT (times in Unix ms) and COUNT(*)
// come back as numbers, as better-sqlite3 gives them: every such value of the app is far below 2^53.

export interface PostgresOptions {
  /** Connections in the pool (pg's default is 10). */
  max?: number;
  /** Name shown in pg_stat_activity. */
  applicationName?: string;
}

const INT8_OID = 20;

/** int8 as a JS number; every other type as pg parses it by default. */
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === INT8_OID && format !== "binary" ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig["getTypeParser"],
};

const converted = new Map<string, string>();

/**
 * `?` placeholders to `$n`, leaving string literals, quoted identifiers and comments alone. Cached: the app
 * sends a few dozen distinct statements.
 */
export function toPositionalSql(sql: string): string {
  const cached = converted.get(sql);
  if (cached !== undefined) return cached;
  let out = "";
  let n = 0;
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i];
    if (c === "'" || c === '"') {
      const end = sql.indexOf(c, i + 1);
      const stop = end === -1 ? sql.length - 1 : end;
      out += sql.slice(i, stop + 1);
      i = stop;
    } else if (c === "-" && sql[i + 1] === "-") {
      const end = sql.indexOf("\n", i);
      const stop = end === -1 ? sql.length - 1 : end;
      out += sql.slice(i, stop + 1);
      i = stop;
    } else if (c === "?") {
      n += 1;
      out += `$${n}`;
    } else {
      out += c;
    }
  }
  if (converted.size < 10_000) converted.set(sql, out);
  return out;
}

type Queryable = Pick<pg.Pool, "query"> | Pick<pg.PoolClient, "query">;

function sqlOver(target: Queryable): Sql {
  const query = (sql: string, params?: readonly unknown[]) => target.query(toPositionalSql(sql), (params ?? []).map(toSqlValue));
  return {
    kind: "postgres",
    async all<T>(sql: string, params?: readonly unknown[]) {
      return (await query(sql, params)).rows as T[];
    },
    async get<T>(sql: string, params?: readonly unknown[]) {
      return (await query(sql, params)).rows[0] as T | undefined;
    },
    async run(sql: string, params?: readonly unknown[]) {
      // rowCount counts the rows a statement changed, or returned with RETURNING: what SQLite's `changes` says.
      return { changes: (await query(sql, params)).rowCount ?? 0 };
    },
  };
}

export function openPostgresDatabase(url: string, options: PostgresOptions = {}): Database {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    application_name: options.applicationName ?? "joinchat-push",
    types,
    // A server that does not answer is an error, not a hang (readiness checks and requests fail fast).
    connectionTimeoutMillis: 5_000,
  });
  // An idle connection the server closed (a restart, a failover): the pool drops it and opens another later.
  pool.on("error", (error) => log.warn("idle PostgreSQL connection lost", { error }));
  const direct = sqlOver(pool);
  let closed: Promise<void> | null = null;

  return {
    ...direct,
    kind: "postgres",
    async transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        await client.query("BEGIN");
        try {
          const result = await fn(sqlOver(client));
          await client.query("COMMIT");
          return result;
        } catch (error) {
          await client.query("ROLLBACK").catch((rollbackError: Error) => (broken = rollbackError));
          throw error;
        }
      } finally {
        // A connection that could not roll back is not handed to the next caller.
        client.release(broken);
      }
    },
    close() {
      closed ??= pool.end();
      return closed;
    },
  };
}
