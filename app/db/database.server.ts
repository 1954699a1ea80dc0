// The app's own data access: plain SQL over the database driver, the same statements on SQLite and PostgreSQL.
// Prisma owns the schema, the migrations and Shopify's session storage; the hot paths (webhook intake,
// the outbox) run here because a Prisma call costs about a millisecond and intake has a budget of a few
// hundred microseconds (docs/decisions/002-data-access.md).

export type SqlValue = string | number | bigint | null;

export interface Sql {
  /** Which SQL dialect runs the statements, for the few that differ (row locks on PostgreSQL). */
  readonly kind?: "sqlite" | "postgres";
  all<T>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  get<T>(sql: string, params?: readonly unknown[]): Promise<T | undefined>;
  run(sql: string, params?: readonly unknown[]): Promise<{ changes: number }>;
}

export interface Database extends Sql {
  readonly kind: "sqlite" | "postgres";
  /** Runs `fn` in one transaction; nothing else touches the connection meanwhile. Do no network I/O inside. */
  transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Values the drivers accept: booleans become 0/1 (the schema's flags), undefined becomes null. */
export function toSqlValue(value: unknown): SqlValue {
  if (value === undefined || value === null) return null;
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "number" || typeof value === "string" || typeof value === "bigint") return value;
  throw new TypeError(`cannot bind a ${typeof value} to SQL`);
}

/** Readiness: the database answers a trivial statement (throws when it does not). */
export async function pingDatabase(sql: Pick<Sql, "get">): Promise<void> {
  await sql.get("SELECT 1 AS ok");
}
