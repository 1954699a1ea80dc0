import { z } from "zod";
import { log } from "../../logger.server";
import { sleep } from "./deadline";
import type { AdminDocument } from "./documents";
import type { OfflineTokens } from "./offline-tokens.server";
import { backoffMs, CostBuckets, retryAfterMs, waitForPointsMs, type ThrottleStatus } from "./throttle";
import type { UnknownReason } from "./types";

// The GraphQL Admin API as Shopify runs it, for one typed document at a time, within the caller's deadline:
// - the token comes from the offline session, refreshed when it is about to expire; a 401 replaces it once;
// - the shop's cost bucket paces the calls: a query that would not fit waits for the points (or gives up at once
//   when they would come after the deadline); THROTTLED waits for what throttleStatus says is missing;
// - 429 waits Retry-After, 5xx and lost connections back off with jitter, at most MAX_ATTEMPTS attempts;
// - whatever happens, the answer comes by the deadline: found, or unknown with the reason.

/** Attempts per call, THROTTLED and 429 included; the deadline usually ends it first. */
export const MAX_ATTEMPTS = 4;
/** A request is not started with less time than this left: its answer could not come back in time. */
export const MIN_REQUEST_MS = 50;
/** A frozen (402) or locked (423) shop is left alone this long by this process. */
export const SHOP_UNAVAILABLE_PAUSE_MS = 5 * 60_000;

/** `denied`: Shopify left out part of the answer that the app's access scopes do not cover (ACCESS_DENIED). */
export type AdminAnswer<T> = { status: "ok"; data: T; denied: boolean } | { status: "unknown"; reason: UnknownReason; detail?: string };

export interface AdminGraphqlOptions {
  tokens: OfflineTokens;
  apiVersion: string;
  now?: () => number;
  random?: () => number;
  maxAttempts?: number;
}

export interface AdminGraphql {
  query<TVariables extends Record<string, unknown>, TData>(
    shop: string,
    document: AdminDocument<TVariables, TData>,
    variables: TVariables,
    deadline: number,
  ): Promise<AdminAnswer<TData>>;
}

const CostSchema = z.object({
  requestedQueryCost: z.number().nullable().optional(),
  throttleStatus: z.object({ maximumAvailable: z.number(), currentlyAvailable: z.number(), restoreRate: z.number() }),
});

// Shopify's answer: `errors` is a list of GraphQL errors, or a string for an HTTP-level refusal.
const AnswerSchema = z.object({
  data: z.unknown().optional(),
  errors: z
    .union([
      z.string(),
      z.array(z.object({ message: z.string().optional(), extensions: z.object({ code: z.string().optional() }).passthrough().optional() }).passthrough()),
    ])
    .optional(),
  extensions: z.object({ cost: CostSchema.optional() }).passthrough().optional(),
});

/** A query's shape for cost estimates: its name and how many ids it asks for. */
function shapeOf(name: string, variables: Record<string, unknown>): string {
  return Array.isArray(variables.ids) ? `${name}:${variables.ids.length}` : name;
}

export function createAdminGraphql(options: AdminGraphqlOptions): AdminGraphql {
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const maxAttempts = options.maxAttempts ?? MAX_ATTEMPTS;
  const buckets = new CostBuckets();
  const pausedUntil = new Map<string, number>();
  const deniedLogged = new Set<string>();

  return {
    async query(shop, document, variables, deadline) {
      const unknown = (reason: UnknownReason, detail?: string): AdminAnswer<never> => {
        if (reason !== "no_session" && reason !== "needs_reconnect") log.debug("admin api lookup unknown", { shop, operation: document.name, reason, detail });
        return { status: "unknown", reason, ...(detail ? { detail } : {}) };
      };
      if ((pausedUntil.get(shop) ?? 0) > now()) return unknown("unavailable", "shop frozen or locked");
      let token = await options.tokens.getAccessToken(shop, deadline);
      if (token.status !== "ok") return unknown(token.reason);
      const shape = shapeOf(document.name, variables);
      let replacedRejected = false;
      let lastFailure: UnknownReason = "unavailable";

      /** Waits `ms` if the deadline allows a request after it; false when it does not. */
      const waitWithin = async (ms: number): Promise<boolean> => {
        if (now() + ms + MIN_REQUEST_MS > deadline) return false;
        if (ms > 0) await sleep(ms);
        return true;
      };

      for (let attempt = 1; attempt <= maxAttempts; attempt++) {
        if (!(await waitWithin(buckets.reserve(shop, shape, now())))) return unknown("throttled", "the bucket refills after the deadline");
        let res: Response;
        try {
          res = await fetch(`https://${shop}/admin/api/${options.apiVersion}/graphql.json`, {
            method: "POST",
            headers: { "content-type": "application/json", accept: "application/json", "x-shopify-access-token": token.accessToken },
            body: JSON.stringify({ query: document.query, variables, operationName: document.name }),
            signal: AbortSignal.timeout(Math.max(1, deadline - now())),
          });
        } catch (error) {
          if (now() >= deadline || (error instanceof Error && error.name === "TimeoutError")) return unknown("deadline");
          lastFailure = "unavailable";
          if (!(await waitWithin(backoffMs(attempt, random)))) return unknown("unavailable", `no answer: ${String(error)}`.slice(0, 200));
          continue;
        }

        if (res.status === 401) {
          await res.body?.cancel();
          // Another process may have refreshed it, or it was revoked: once per call, the session decides.
          if (replacedRejected) return unknown("needs_reconnect", "a refreshed token was refused too");
          replacedRejected = true;
          token = await options.tokens.replaceRejectedToken(shop, token.accessToken, deadline);
          if (token.status !== "ok") return unknown(token.reason);
          attempt -= 1;
          continue;
        }
        if (res.status === 429) {
          await res.body?.cancel();
          lastFailure = "throttled";
          const wait = retryAfterMs(res.headers.get("retry-after"), now()) ?? backoffMs(attempt, random);
          if (!(await waitWithin(wait))) return unknown("throttled", "429 past the deadline");
          continue;
        }
        if (res.status >= 500) {
          await res.body?.cancel();
          lastFailure = "unavailable";
          if (!(await waitWithin(backoffMs(attempt, random)))) return unknown("unavailable", `HTTP ${res.status}`);
          continue;
        }
        if (res.status === 402 || res.status === 423) {
          await res.body?.cancel();
          pausedUntil.set(shop, now() + SHOP_UNAVAILABLE_PAUSE_MS);
          return unknown("unavailable", `HTTP ${res.status}`);
        }
        if (res.status !== 200) {
          await res.body?.cancel();
          return unknown("unavailable", `HTTP ${res.status}`);
        }

        let body: z.infer<typeof AnswerSchema>;
        try {
          const parsed = AnswerSchema.safeParse(await res.json());
          if (!parsed.success) return unknown("invalid_answer", parsed.error.message.slice(0, 200));
          body = parsed.data;
        } catch (error) {
          if (now() >= deadline) return unknown("deadline");
          return unknown("invalid_answer", String(error).slice(0, 200));
        }
        const cost = body.extensions?.cost;
        const status: ThrottleStatus | undefined = cost?.throttleStatus;
        if (cost && status) buckets.record(shop, shape, status, cost.requestedQueryCost ?? null, now());
        const errors = Array.isArray(body.errors) ? body.errors : [];
        const codes = new Set(errors.map((e) => e.extensions?.code));

        if (codes.has("THROTTLED")) {
          lastFailure = "throttled";
          const wait = status && cost?.requestedQueryCost ? waitForPointsMs(cost.requestedQueryCost, status) : backoffMs(attempt, random);
          if (!(await waitWithin(wait))) return unknown("throttled", "the bucket refills after the deadline");
          continue;
        }
        if (body.data === undefined || body.data === null) {
          const detail = typeof body.errors === "string" ? body.errors : errors.map((e) => e.message).join("; ");
          return unknown(codes.has("ACCESS_DENIED") ? "access_denied" : "invalid_answer", detail.slice(0, 200));
        }
        if (codes.has("ACCESS_DENIED") && !deniedLogged.has(`${shop} ${document.name}`)) {
          // Partial data: what the scopes cover is still used. Said once per shop and query by this process.
          deniedLogged.add(`${shop} ${document.name}`);
          log.warn("the app's access scopes do not cover part of an Admin API query", {
            shop,
            operation: document.name,
            detail: errors.map((e) => e.message).join("; "),
          });
        }
        const data = document.data.safeParse(body.data);
        if (!data.success) {
          log.warn("an Admin API answer did not have the expected shape", { shop, operation: document.name, detail: data.error.message.slice(0, 300) });
          return unknown("invalid_answer", data.error.message.slice(0, 200));
        }
        return { status: "ok", data: data.data, denied: codes.has("ACCESS_DENIED") };
      }
      return unknown(lastFailure, "out of attempts");
    },
  };
}
