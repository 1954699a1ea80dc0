import { describe, expect, it } from "vitest";
import { EnvError, leaseMsOf, parseEnv } from "./env.server";

/** README's configuration table: where the app keeps its SQLite file when DATABASE_URL is not set. */
const DEFAULT_DATABASE_URL = "file:./prisma/data/joinchat.sqlite";

const VALID = {
  SHOPIFY_API_KEY: "client-id",
  SHOPIFY_API_SECRET: "client-secret",
  SHOPIFY_APP_URL: "https://joinchat-push.example.com",
  JOINCHAT_API_URL: "http://127.0.0.1:4010/v1/push",
  ENCRYPTION_KEY: Buffer.alloc(32, 7).toString("base64"),
};

/** The problems parseEnv reports for an environment, one line each. */
function problemsOf(env: Record<string, string | undefined>): string[] {
  try {
    parseEnv(env);
  } catch (error) {
    expect(error).toBeInstanceOf(EnvError);
    expect((error as EnvError).message).toMatch(/^Invalid configuration:\n {2}- /);
    return (error as EnvError).problems;
  }
  throw new Error("parseEnv accepted the environment");
}

function problemOf(env: Record<string, string | undefined>): string {
  const problems = problemsOf(env);
  expect(problems).toHaveLength(1);
  return problems[0];
}

describe("parseEnv", () => {
  it("accepts a complete environment and fills in the defaults", () => {
    const env = parseEnv(VALID);
    expect(env).toMatchObject({
      ...VALID,
      DATABASE_URL: DEFAULT_DATABASE_URL,
      SCOPES: "read_orders,read_fulfillments,read_products,read_customers",
      PORT: 3000,
      HOST: "0.0.0.0",
      DELIVERY_WORKER: true,
      JOINCHAT_TIMEOUT_MS: 10_000,
      // About 24 hours of retries starting at 30 s, one wait never above an hour.
      DELIVERY_RETRY_BASE_MS: 30_000,
      DELIVERY_RETRY_CAP_MS: 3_600_000,
      DELIVERY_MAX_RETRY_AGE_MS: 86_400_000,
      LOG_LEVEL: "info",
    });
    expect(env.JOINCHAT_API_SECRET).toBeUndefined();
  });

  it("takes JOINCHAT_SEND_API_URL as optional, and refuses one that is not a URL", () => {
    expect(parseEnv(VALID).JOINCHAT_SEND_API_URL).toBeUndefined();
    expect(parseEnv({ ...VALID, JOINCHAT_SEND_API_URL: "https://joinchat.ai/api/send_message" }).JOINCHAT_SEND_API_URL).toBe(
      "https://joinchat.ai/api/send_message",
    );
    expect(problemOf({ ...VALID, JOINCHAT_SEND_API_URL: "joinchat.ai/api" })).toMatch(/^JOINCHAT_SEND_API_URL must be the URL of JoinChat's Send API/);
  });

  it("reads the values it is given", () => {
    const env = parseEnv({
      ...VALID,
      PORT: "8080",
      DATABASE_URL: "postgres://app:pw@db.example.com:5432/joinchat",
      SCOPES: "read_orders,read_products",
      DELIVERY_WORKER: "off",
      JOINCHAT_API_SECRET: "default-secret",
      JOINCHAT_SINGLE_SHOP: "Only-Shop.myshopify.com",
    });
    expect(env.JOINCHAT_SINGLE_SHOP).toBe("only-shop.myshopify.com");
    expect(env).toMatchObject({
      PORT: 8080,
      DATABASE_URL: "postgres://app:pw@db.example.com:5432/joinchat",
      SCOPES: "read_orders,read_products",
      DELIVERY_WORKER: false,
    });
    expect(parseEnv({ ...VALID, DATABASE_URL: "file:/var/lib/joinchat.sqlite" }).DATABASE_URL).toBe("file:/var/lib/joinchat.sqlite");
    expect(parseEnv({ ...VALID, DATABASE_URL: "postgresql://localhost/joinchat" }).DATABASE_URL).toBe("postgresql://localhost/joinchat");
  });

  it("takes an empty value as not set", () => {
    expect(parseEnv({ ...VALID, DATABASE_URL: "", PORT: "" })).toMatchObject({ DATABASE_URL: DEFAULT_DATABASE_URL, PORT: 3000 });
  });

  it.each([
    ["SHOPIFY_API_KEY", /^SHOPIFY_API_KEY is required: the app's client id/],
    ["SHOPIFY_API_SECRET", /^SHOPIFY_API_SECRET is required: the app's client secret/],
    ["SHOPIFY_APP_URL", /^SHOPIFY_APP_URL is required: the app's public https URL/],
    ["JOINCHAT_API_URL", /^JOINCHAT_API_URL is required: the URL of JoinChat's push endpoint/],
    ["ENCRYPTION_KEY", /^ENCRYPTION_KEY is required: 32 random bytes in base64/],
  ])("names %s and says what it is when it is missing", (name, message) => {
    const env: Record<string, string | undefined> = { ...VALID };
    delete env[name];
    expect(problemOf(env)).toMatch(message);
    expect(problemOf({ ...VALID, [name]: "" })).toMatch(message);
    expect(problemOf(env)).not.toMatch(/Required$/);
  });

  it("lists every missing variable at once", () => {
    const problems = problemsOf({});
    expect(problems.map((p) => p.split(" ")[0])).toEqual(["SHOPIFY_API_KEY", "SHOPIFY_API_SECRET", "SHOPIFY_APP_URL", "JOINCHAT_API_URL", "ENCRYPTION_KEY"]);
    for (const p of problems) expect(p).toMatch(/ is required: .{10,}/);
  });

  it.each([
    ["a key of 16 bytes", Buffer.alloc(16, 1).toString("base64")],
    ["a key of 33 bytes", Buffer.alloc(33, 1).toString("base64")],
    ["a hex key", "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"],
    ["text", "correct horse battery staple"],
  ])("refuses an ENCRYPTION_KEY that is not 32 bytes of base64: %s", (_label, value) => {
    expect(problemOf({ ...VALID, ENCRYPTION_KEY: value })).toBe("ENCRYPTION_KEY must be 32 bytes encoded in base64 (openssl rand -base64 32)");
  });

  it.each(["not a url", "joinchat.example.com/v1/push"])("refuses a JOINCHAT_API_URL that is not a URL: %s", (value) => {
    expect(problemOf({ ...VALID, JOINCHAT_API_URL: value })).toBe("JOINCHAT_API_URL must be the URL of JoinChat's push endpoint");
  });

  it("refuses a SHOPIFY_APP_URL that is not a URL", () => {
    expect(problemOf({ ...VALID, SHOPIFY_APP_URL: "joinchat-push" })).toMatch(/^SHOPIFY_APP_URL must be the app's public https URL/);
  });

  it.each(["65536", "70000", "-1", "http", "80.5"])("refuses PORT %s", (value) => {
    expect(problemOf({ ...VALID, PORT: value })).toBe("PORT must be a TCP port number from 0 to 65535");
  });

  it.each(["mysql://localhost/joinchat", "./joinchat.sqlite", "sqlite:joinchat.db", "http://db"])(
    "refuses DATABASE_URL %s (neither file: nor postgres://)",
    (value) => {
      expect(problemOf({ ...VALID, DATABASE_URL: value })).toBe("DATABASE_URL must be a file: URL (SQLite) or a postgres:// URL");
    },
  );

  it("refuses SCOPES that are not a comma-separated list", () => {
    expect(problemOf({ ...VALID, SCOPES: "read_orders, read_products" })).toBe("SCOPES must be a comma-separated list of access scopes");
  });

  it("names the variable of a bad number", () => {
    expect(problemOf({ ...VALID, DELIVERY_CONCURRENCY: "0" })).toBe("DELIVERY_CONCURRENCY must be a positive whole number");
    expect(problemOf({ ...VALID, JOINCHAT_TIMEOUT_MS: "soon" })).toBe("JOINCHAT_TIMEOUT_MS must be a positive whole number");
  });

  it("reports several problems together, each naming its variable", () => {
    const problems = problemsOf({ ...VALID, PORT: "99999", DATABASE_URL: "mysql://x", SHOPIFY_API_KEY: undefined });
    expect(problems.map((p) => p.split(" ")[0]).sort()).toEqual(["DATABASE_URL", "PORT", "SHOPIFY_API_KEY"]);
  });
});

describe("parseEnv: scaling out (QUEUE=bullmq)", () => {
  const SCALED = { ...VALID, DATABASE_URL: "postgresql://app@db.internal:5432/joinchat", QUEUE: "bullmq", REDIS_URL: "redis://redis.internal:6379" };

  it("defaults to the embedded worker, 256 pushes in flight with no fixed limit per shop, and a lease from the timeouts", () => {
    const env = parseEnv(VALID);
    expect(env).toMatchObject({
      QUEUE: "embedded",
      QUEUE_PREFIX: "joinchat",
      DELIVERY_CONCURRENCY: 256,
      SHUTDOWN_TIMEOUT_MS: 20_000,
      DATABASE_POOL_SIZE: 10,
    });
    expect(env.DELIVERY_SHOP_CONCURRENCY).toBeUndefined();
    expect(env.DELIVERY_LEASE_MS).toBeUndefined();
    expect(leaseMsOf(env)).toBe(10_000 + 3 * 1500 + 30_000);
  });

  it("takes BullMQ with PostgreSQL and Redis", () => {
    expect(parseEnv({ ...SCALED, QUEUE_PREFIX: "shop-app.prod", WORKER_PORT: "9091", DELIVERY_LEASE_MS: "20000" })).toMatchObject({
      QUEUE: "bullmq",
      REDIS_URL: "redis://redis.internal:6379",
      QUEUE_PREFIX: "shop-app.prod",
      WORKER_PORT: 9091,
      DELIVERY_LEASE_MS: 20_000,
    });
    expect(parseEnv({ ...SCALED, REDIS_URL: "rediss://:pw@redis.example.com:6380/0" }).REDIS_URL).toBe("rediss://:pw@redis.example.com:6380/0");
  });

  it("refuses BullMQ without Redis, or on SQLite, saying why", () => {
    expect(problemOf({ ...SCALED, REDIS_URL: undefined })).toMatch(/^REDIS_URL is required with QUEUE=bullmq/);
    expect(problemOf({ ...SCALED, DATABASE_URL: "file:./prisma/data/joinchat.sqlite" })).toMatch(/^DATABASE_URL must be a postgres:\/\/ URL with QUEUE=bullmq/);
  });

  it("refuses an unknown QUEUE, a REDIS_URL that is not Redis's, and a prefix with a colon", () => {
    expect(problemOf({ ...VALID, QUEUE: "sqs" })).toBe("QUEUE must be embedded or bullmq");
    expect(problemOf({ ...SCALED, REDIS_URL: "http://redis:6379" })).toMatch(/^REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL/);
    expect(problemOf({ ...VALID, QUEUE_PREFIX: "bull:joinchat" })).toMatch(/^QUEUE_PREFIX must be 1 to 64 letters/);
  });

  it("has no setting for where Shopify is: SHOPIFY_ADMIN_API_ORIGIN (which sent access tokens to any host) is gone", () => {
    const env = parseEnv({ ...VALID, NODE_ENV: "test", SHOPIFY_ADMIN_API_ORIGIN: "https://attacker.example" }) as Record<string, unknown>;
    expect(Object.keys(env).filter((key) => key.includes("ORIGIN"))).toEqual([]);
  });

  it("refuses a lease shorter than the longest delivery", () => {
    expect(problemOf({ ...VALID, DELIVERY_LEASE_MS: "5000" })).toBe(
      "DELIVERY_LEASE_MS must be at least 15500 (JOINCHAT_TIMEOUT_MS + 3 × SHOPIFY_ADMIN_API_TIMEOUT_MS + 1 s)",
    );
    expect(parseEnv({ ...VALID, DELIVERY_LEASE_MS: "15500" }).DELIVERY_LEASE_MS).toBe(15_500);
  });
});
