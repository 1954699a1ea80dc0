// The two ways the app runs, for the tests that run on both: the embedded default (SQLite, the delivery worker
// in the web process) and the scale-out path (PostgreSQL, BullMQ on Redis, `npm run worker` processes).
//
// PostgreSQL and Redis come from TEST_DATABASE_URL (a database the tests may create others from) and
// TEST_REDIS_URL; under CI=true they default to the servers on the machine, and a test that needs them FAILS
// when they cannot be reached. Without CI and without those variables (a laptop), those tests are skipped.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { Redis } from "ioredis";

export const CI = process.env.CI === "true";
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL || (CI ? "postgresql://postgres@127.0.0.1:5432/postgres" : "");
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL || (CI ? "redis://127.0.0.1:6379" : "");

/** Whether the tests on PostgreSQL run (CI, or TEST_DATABASE_URL set). */
export const postgresAvailable = TEST_DATABASE_URL !== "";
/** Whether the tests on PostgreSQL with BullMQ run (CI, or both TEST_DATABASE_URL and TEST_REDIS_URL set). */
export const scaleOutAvailable = TEST_DATABASE_URL !== "" && TEST_REDIS_URL !== "";

export type E2eBackend = { kind: "sqlite"; label: string } | { kind: "postgres"; label: string; queue: "embedded" | "bullmq"; workers: number };

export const SQLITE_BACKEND: E2eBackend = { kind: "sqlite", label: "SQLite, embedded worker" };
export const SCALE_OUT_BACKEND: E2eBackend = { kind: "postgres", label: "PostgreSQL, BullMQ workers", queue: "bullmq", workers: 2 };

/** The backends an end-to-end file runs on, each with whether it runs here. */
export const E2E_BACKENDS: { backend: E2eBackend; skip: boolean }[] = [
  { backend: SQLITE_BACKEND, skip: false },
  { backend: SCALE_OUT_BACKEND, skip: !scaleOutAvailable },
];

const PROJECT_ROOT = fileURLToPath(new URL("../..", import.meta.url));

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

export interface TestPostgresDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/**
 * A database of its own (`joinchat_test_<random>`), created and migrated by `npm run setup`'s code path
 * (scripts/setup.mjs); drop() removes it, whoever is still connected.
 */
export async function createTestPostgresDatabase(): Promise<TestPostgresDatabase> {
  if (!TEST_DATABASE_URL) throw new Error("no PostgreSQL for the tests: set TEST_DATABASE_URL (CI=true uses 127.0.0.1:5432)");
  const name = `joinchat_test_${randomBytes(5).toString("hex")}`;
  const url = withDatabase(TEST_DATABASE_URL, name);
  execFileSync(process.execPath, [path.join(PROJECT_ROOT, "scripts", "setup.mjs"), "--quiet"], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, DATABASE_URL: url, PRISMA_HIDE_UPDATE_MESSAGE: "1" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  return {
    name,
    url,
    async drop() {
      const admin = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 5_000 });
      await admin.connect();
      try {
        await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
      } finally {
        await admin.end();
      }
    },
  };
}

/** A Redis key prefix of its own for BullMQ; removeRedisPrefix() deletes every key under it. */
export function uniqueQueuePrefix(): string {
  return `joinchat-test-${randomBytes(5).toString("hex")}`;
}

export async function removeRedisPrefix(prefix: string, redisUrl = TEST_REDIS_URL): Promise<void> {
  if (!redisUrl) return;
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 2, lazyConnect: true });
  try {
    await redis.connect();
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
}
