import { z } from "zod";
import { databaseKindOf, resolveDatabaseUrl } from "./db/database-url";
import { keyRingProblem } from "./settings/secret-box.server";

// Every environment variable the app reads, validated once at start with a message per bad value.

const flag = z.enum(["1", "0", "true", "false", "on", "off", "yes", "no"]).transform((v) => v === "1" || v === "true" || v === "on" || v === "yes");

const positiveInt = (fallback: number) =>
  z.coerce
    .number({ invalid_type_error: "must be a positive whole number" })
    .int("must be a positive whole number")
    .positive("must be a positive whole number")
    .default(fallback);

export const EnvSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("production"),
  SHOPIFY_API_KEY: z
    .string({ required_error: "is required: the app's client id from the Partner Dashboard" })
    .min(1, "is required: the app's client id from the Partner Dashboard"),
  SHOPIFY_API_SECRET: z
    .string({ required_error: "is required: the app's client secret, which signs Shopify's webhooks" })
    .min(1, "is required: the app's client secret, which signs Shopify's webhooks"),
  SHOPIFY_APP_URL: z
    .string({ required_error: "is required: the app's public https URL, e.g. https://joinchat-push.example.com" })
    .url("must be the app's public https URL, e.g. https://joinchat-push.example.com"),
  SCOPES: z
    .string()
    .default("read_orders,read_fulfillments,read_products,read_customers")
    .refine((s) => /^[a-z_]+(,[a-z_]+)*$/.test(s), "must be a comma-separated list of access scopes"),
  HOST: z.string().default("0.0.0.0"),
  PORT: z.coerce
    .number({ invalid_type_error: "must be a TCP port number from 0 to 65535" })
    .int("must be a TCP port number from 0 to 65535")
    .min(0, "must be a TCP port number from 0 to 65535")
    .max(65535, "must be a TCP port number from 0 to 65535")
    .default(3000),
  DATABASE_URL: z
    .string()
    .optional()
    .transform((v) => resolveDatabaseUrl(v))
    .refine((v) => databaseKindOf(v) !== null, "must be a file: URL (SQLite) or a postgres:// URL"),
  SQLITE_SYNCHRONOUS: z.enum(["FULL", "NORMAL"]).default("FULL"),
  /** PostgreSQL only: connections each process keeps. */
  DATABASE_POOL_SIZE: positiveInt(10),
  JOINCHAT_API_URL: z.string({ required_error: "is required: the URL of JoinChat's push endpoint" }).url("must be the URL of JoinChat's push endpoint"),
  /**
   * The operator's JoinChat API secret: a single-shop deployment only (JOINCHAT_SINGLE_SHOP names the shop that may
   * use it). Every other shop pushes only with its own page's secret.
   */
  JOINCHAT_API_SECRET: z.string().min(1).optional(),
  JOINCHAT_SINGLE_SHOP: z
    .string()
    .trim()
    .toLowerCase()
    .regex(/^[a-z0-9][a-z0-9-]*\.myshopify\.com$/, "must be the shop's myshopify.com domain, e.g. my-shop.myshopify.com")
    .optional(),
  /**
   * JoinChat's generic Send API (`send_message`), for the order notices (cancelled, refunded). Optional: without it
   * the notices cannot be turned on.
   */
  JOINCHAT_SEND_API_URL: z.string().url("must be the URL of JoinChat's Send API, e.g. https://joinchat.ai/api/send_message").optional(),
  JOINCHAT_TIMEOUT_MS: positiveInt(10_000),
  ENCRYPTION_KEY: z.string({ required_error: "is required: 32 random bytes in base64 (openssl rand -base64 32)" }).superRefine((v, ctx) => {
    // One key (openssl rand -base64 32), or a key ring "k2:<base64>,k1:<base64>" whose first key writes.
    const problem = keyRingProblem(v);
    if (problem)
      ctx.addIssue({
        code: "custom",
        message: `${problem} (openssl rand -base64 32${v.includes(":") || v.includes(",") ? "; several keys: k2:<base64>,k1:<base64>" : ""})`,
      });
  }),
  /** Pushes one process sends at once: hundreds, since delivery waits on JoinChat's answers, not on the CPU. */
  DELIVERY_CONCURRENCY: positiveInt(256),
  DELIVERY_POLL_MS: positiveInt(1000),
  DELIVERY_RETRY_BASE_MS: positiveInt(30_000),
  DELIVERY_RETRY_CAP_MS: positiveInt(3_600_000),
  DELIVERY_MAX_RETRY_AGE_MS: positiveInt(86_400_000),
  DELIVERY_WORKER: flag.default("on"),
  /**
   * Pushes of one shop (one Facebook page) in flight at once: per process on the embedded worker, across the whole
   * fleet of `npm run worker` processes on the scale path (counted in Redis). Unset (the default): no fixed limit;
   * shops share the slots fairly and one shop alone may use them all.
   */
  DELIVERY_SHOP_CONCURRENCY: z.coerce
    .number({ invalid_type_error: "must be a positive whole number" })
    .int("must be a positive whole number")
    .positive("must be a positive whole number")
    .optional(),
  /**
   * How long a claim holds a push before another sender may take it over (its sender crashed). Default: the
   * JoinChat timeout, three Admin API lookups and 30 s.
   */
  DELIVERY_LEASE_MS: z.coerce
    .number({ invalid_type_error: "must be a positive whole number" })
    .int("must be a positive whole number")
    .positive("must be a positive whole number")
    .optional(),
  /** `embedded`: the web process delivers; `bullmq`: web processes enqueue, `npm run worker` processes deliver. */
  QUEUE: z.enum(["embedded", "bullmq"], { errorMap: () => ({ message: "must be embedded or bullmq" }) }).default("embedded"),
  REDIS_URL: z
    .string()
    .refine((v) => /^rediss?:\/\/./.test(v), "must be a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379")
    .optional(),
  /** The Redis key prefix of the delivery queue: apps (or test runs) sharing a Redis keep apart by it. */
  QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, "must be 1 to 64 letters, digits, _ . or -")
    .default("joinchat"),
  /** How long a stopping process (SIGTERM) lets its deliveries in flight finish before it puts them back. */
  SHUTDOWN_TIMEOUT_MS: positiveInt(20_000),
  /** `npm run worker`: a port for GET /healthz and /readyz; unset: no HTTP. */
  WORKER_PORT: z.coerce
    .number({ invalid_type_error: "must be a TCP port number from 1 to 65535" })
    .int("must be a TCP port number from 1 to 65535")
    .min(1, "must be a TCP port number from 1 to 65535")
    .max(65535, "must be a TCP port number from 1 to 65535")
    .optional(),
  WEBHOOK_MAX_BODY_BYTES: positiveInt(5 * 1024 * 1024),
  /** Every other request (the admin's JSON and forms, the order page block): its body in bytes at most. */
  REQUEST_MAX_BODY_BYTES: positiveInt(64 * 1024),
  /** Request bodies held in memory at once by the web process, all requests together; past it: 503 + Retry-After. */
  HTTP_MAX_BUFFERED_BYTES: positiveInt(64 * 1024 * 1024),
  /** Open connections the web process keeps at most; more are closed at once. */
  HTTP_MAX_CONNECTIONS: positiveInt(1000),
  /** Seconds a client has to send a request's headers. */
  HTTP_HEADERS_TIMEOUT_SECONDS: positiveInt(10),
  /** Seconds a client has to send a whole request (headers and body). */
  HTTP_REQUEST_TIMEOUT_SECONDS: positiveInt(30),
  /** Webhook deliveries waiting for the group commit at most; past it: 503 + Retry-After (Shopify retries). */
  INTAKE_MAX_QUEUE: positiveInt(5000),
  /** Customer lookups (decision 019): answered per shop per minute, and per looked-up identifier per hour. */
  LOOKUP_RATE_PER_SHOP_PER_MINUTE: positiveInt(120),
  LOOKUP_RATE_PER_IDENTIFIER_PER_HOUR: positiveInt(10),
  /** Days a finished push keeps its body, recipient and answers, and an order record its contacts. */
  RETENTION_DAYS: positiveInt(90),
  /** How often the retention runs by itself (the embedded web process, or the BullMQ workers one at a time). */
  RETENTION_INTERVAL_MS: positiveInt(3_600_000),
  SHOPIFY_ADMIN_API_TIMEOUT_MS: positiveInt(1500),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error", "silent"]).default("info"),
});

export type Env = z.infer<typeof EnvSchema>;

export class EnvError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "EnvError";
  }
}

/** Rules between variables, once each is valid on its own. */
function crossCheck(env: Env): string[] {
  const problems: string[] = [];
  if (env.QUEUE === "bullmq") {
    if (!env.REDIS_URL) problems.push("REDIS_URL is required with QUEUE=bullmq: the Redis of the delivery queue, e.g. redis://127.0.0.1:6379");
    if (databaseKindOf(env.DATABASE_URL) !== "postgres") {
      problems.push("DATABASE_URL must be a postgres:// URL with QUEUE=bullmq: web and worker processes share the database");
    }
  }
  if (env.HTTP_MAX_BUFFERED_BYTES < env.WEBHOOK_MAX_BODY_BYTES) {
    problems.push("HTTP_MAX_BUFFERED_BYTES must be at least WEBHOOK_MAX_BODY_BYTES: the largest delivery must fit");
  }
  if (env.HTTP_HEADERS_TIMEOUT_SECONDS > env.HTTP_REQUEST_TIMEOUT_SECONDS) {
    problems.push("HTTP_HEADERS_TIMEOUT_SECONDS must not be more than HTTP_REQUEST_TIMEOUT_SECONDS");
  }
  if (env.JOINCHAT_API_SECRET !== undefined && env.JOINCHAT_SINGLE_SHOP === undefined) {
    problems.push(
      "JOINCHAT_API_SECRET is for a single-shop deployment only: set JOINCHAT_SINGLE_SHOP to that shop's myshopify.com domain, or unset it and give every shop its own page's secret",
    );
  }
  const longestDelivery = env.JOINCHAT_TIMEOUT_MS + 3 * env.SHOPIFY_ADMIN_API_TIMEOUT_MS;
  if (env.DELIVERY_LEASE_MS !== undefined && env.DELIVERY_LEASE_MS < longestDelivery + 1000) {
    problems.push(`DELIVERY_LEASE_MS must be at least ${longestDelivery + 1000} (JOINCHAT_TIMEOUT_MS + 3 × SHOPIFY_ADMIN_API_TIMEOUT_MS + 1 s)`);
  }
  return problems;
}

export function parseEnv(source: Record<string, string | undefined> = process.env): Env {
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ""));
  const result = EnvSchema.safeParse(cleaned);
  if (!result.success) throw new EnvError(result.error.issues.map((i) => `${i.path.join(".")} ${i.message}`));
  const problems = crossCheck(result.data);
  if (problems.length > 0) throw new EnvError(problems);
  return result.data;
}

/** How long a claim holds a push: DELIVERY_LEASE_MS, else long enough for the slowest delivery and then some. */
export function leaseMsOf(env: Env): number {
  return env.DELIVERY_LEASE_MS ?? env.JOINCHAT_TIMEOUT_MS + 3 * env.SHOPIFY_ADMIN_API_TIMEOUT_MS + 30_000;
}

let cached: Env | undefined;

/** The validated environment of this process (read once). */
export function getEnv(): Env {
  cached ??= parseEnv();
  return cached;
}
