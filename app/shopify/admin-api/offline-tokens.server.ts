import { randomBytes } from "node:crypto";
import os from "node:os";
import { log } from "../../logger.server";
import { hashAccessToken, type AdminAccessStore, type OfflineSessionTokens } from "./access-store.server";
import type { RefreshTokens } from "./token-refresh.server";
import { DEADLINE, sleep, until } from "./deadline";
import type { UnknownReason } from "./types";

// A shop's usable access token, from its offline session, refreshed the way @shopify/shopify-app-remix refreshes
// it (five minutes before it expires) but once for all processes:
// - every caller reads the session; a fresh token is used as it is;
// - a token about to expire (or one Shopify just answered 401 to) is refreshed by one process: the one that takes
//   the shop's lease in shopify_access. The others, and the other callers of the same process, wait for the
//   session to hold a new token (or for the lease to end) within their own deadline;
// - the new pair is stored only if the session still holds the token it replaces (a compare-and-set), so a
//   token exchange of the merchant opening the app meanwhile is never overwritten;
// - a refresh Shopify refuses for good marks the shop (reconnect) and ends its token's life in the session, so
//   no push asks again, and the next authenticate.admin exchanges a new token; a session holding another token
//   than the refused one is no longer marked.

export type TokenAnswer = { status: "ok"; accessToken: string } | { status: "unknown"; reason: UnknownReason };

/** Refresh this long before the token expires: what the library does (WITHIN_MILLISECONDS_OF_EXPIRY). */
export const REFRESH_MARGIN_MS = 5 * 60_000;
/** How long a process may hold a shop's refresh lease; another takes over after it. */
export const REFRESH_LEASE_MS = 30_000;
/** How often a caller waiting for another process's refresh looks at the session again. */
export const REFRESH_POLL_MS = 50;
/** After a refresh that failed for a passing reason (5xx, no answer), how long this process waits to try again. */
export const REFRESH_FAILURE_PAUSE_MS = 10_000;
/** After Shopify refused the app's own credentials, how long before trying again (the operator must fix them). */
export const APP_REFUSED_PAUSE_MS = 5 * 60_000;

export interface OfflineTokensOptions {
  store: AdminAccessStore;
  refresh: RefreshTokens;
  now?: () => number;
  refreshMarginMs?: number;
  leaseMs?: number;
  pollMs?: number;
  failurePauseMs?: number;
  /** Names this process in the lease (host, pid and a random part by default). */
  owner?: string;
}

export interface OfflineTokens {
  /** A token to call the Admin API with, refreshed first when it is about to expire; within `deadline` (Unix ms). */
  getAccessToken(shop: string, deadline: number): Promise<TokenAnswer>;
  /** Shopify answered 401 to this token: the session's newer token, else a refresh, else the shop is marked. */
  replaceRejectedToken(shop: string, rejectedToken: string, deadline: number): Promise<TokenAnswer>;
}

const ok = (accessToken: string): TokenAnswer => ({ status: "ok", accessToken });
const unknown = (reason: UnknownReason): TokenAnswer => ({ status: "unknown", reason });

export function createOfflineTokens(options: OfflineTokensOptions): OfflineTokens {
  const { store, refresh } = options;
  const now = options.now ?? Date.now;
  const marginMs = options.refreshMarginMs ?? REFRESH_MARGIN_MS;
  const leaseMs = options.leaseMs ?? REFRESH_LEASE_MS;
  const pollMs = options.pollMs ?? REFRESH_POLL_MS;
  const failurePauseMs = options.failurePauseMs ?? REFRESH_FAILURE_PAUSE_MS;
  const owner = options.owner ?? `${os.hostname()}:${process.pid}:${randomBytes(4).toString("hex")}`;
  /** One refresh per shop at a time in this process: the callers share it. */
  const inflight = new Map<string, { replacing: string; answer: Promise<TokenAnswer> }>();
  /** Shops whose last refresh failed for a passing reason, and until when this process leaves them alone. */
  const pausedUntil = new Map<string, number>();

  const expiresSoon = (tokens: OfflineSessionTokens) => tokens.expiresAt !== null && tokens.expiresAt - marginMs <= now();
  const stillValid = (tokens: OfflineSessionTokens) => tokens.expiresAt === null || tokens.expiresAt > now();

  /** Holding the lease: one refresh through the library, its pair stored if the session did not move on. */
  async function refreshHolding(shop: string, replacing: OfflineSessionTokens): Promise<TokenAnswer> {
    try {
      // Another holder may have stored a pair between our read and our lease.
      const current = await store.readOfflineSession(shop);
      if (!current) return unknown("no_session");
      if (current.tokens.accessToken !== replacing.accessToken) return ok(current.tokens.accessToken);
      const outcome = await refresh(shop, replacing.refreshToken!);
      if (outcome.kind === "refreshed") {
        if (await store.replaceTokens(shop, replacing.accessToken, outcome.tokens)) {
          log.info("shopify offline token refreshed", { shop });
          return ok(outcome.tokens.accessToken);
        }
        // The merchant opened the app meanwhile and its token exchange stored a pair: that one stands.
        const after = await store.readOfflineSession(shop);
        return after ? ok(after.tokens.accessToken) : unknown("no_session");
      }
      if (outcome.kind === "refused") {
        await store.markReconnect(shop, `refresh refused: ${outcome.reason}`, replacing.accessToken, now());
        log.warn("shopify refused the shop's refresh token: the merchant must open the app", { shop, reason: outcome.reason });
        return unknown("needs_reconnect");
      }
      if (outcome.kind === "app_refused") {
        pausedUntil.set(shop, now() + APP_REFUSED_PAUSE_MS);
        log.error("shopify refused the app's client credentials (SHOPIFY_API_KEY, SHOPIFY_API_SECRET)", { shop, reason: outcome.reason });
        return unknown("unavailable");
      }
      pausedUntil.set(shop, now() + Math.max(failurePauseMs, outcome.retryAfterMs ?? 0));
      log.warn("shopify offline token refresh failed; trying again later", { shop, reason: outcome.reason });
      return unknown("unavailable");
    } finally {
      await store.releaseRefreshLease(shop, owner, now()).catch((error: unknown) => log.warn("refresh lease release failed", { shop, error }));
    }
  }

  /** Until the session holds another token than `replacing`: refreshes it when this process gets the lease. */
  async function refreshShared(shop: string, replacing: string): Promise<TokenAnswer> {
    const giveUpAt = now() + leaseMs;
    for (;;) {
      const current = await store.readOfflineSession(shop);
      if (!current) return unknown("no_session");
      const { tokens, mark } = current;
      if (mark && mark.refusedTokenHash === hashAccessToken(tokens.accessToken)) return unknown("needs_reconnect");
      if (tokens.accessToken !== replacing) return ok(tokens.accessToken);
      if (!tokens.refreshToken) return unknown("needs_reconnect");
      if (await store.takeRefreshLease(shop, owner, now(), now() + leaseMs)) return refreshHolding(shop, tokens);
      if (now() >= giveUpAt) return unknown("unavailable");
      await sleep(pollMs);
    }
  }

  /** This process's one refresh of the shop's token, shared by its callers; it never outlives the lease. */
  function refreshOnce(shop: string, replacing: string): Promise<TokenAnswer> {
    const running = inflight.get(shop);
    if (running && running.replacing === replacing) return running.answer;
    const answer = until(
      refreshShared(shop, replacing).catch((error: unknown) => {
        log.warn("shopify offline token refresh failed", { shop, error });
        return unknown("unavailable");
      }),
      now() + leaseMs + 1_000,
      now,
    ).then((a) => (a === DEADLINE ? unknown("unavailable") : a));
    const entry = { replacing, answer };
    inflight.set(shop, entry);
    void answer.finally(() => {
      if (inflight.get(shop) === entry) inflight.delete(shop);
    });
    return answer;
  }

  async function resolve(shop: string, deadline: number, rejected: string | null): Promise<TokenAnswer> {
    const stored = await store.readOfflineSession(shop);
    if (!stored) return unknown("no_session");
    const { tokens, mark } = stored;
    if (mark) {
      if (mark.refusedTokenHash === hashAccessToken(tokens.accessToken)) return unknown("needs_reconnect");
      // The session holds another token than the one Shopify refused: the merchant opened the app since.
      await store.clearReconnect(shop, now(), mark.refusedTokenHash);
    }
    if (rejected !== null && tokens.accessToken !== rejected) return ok(tokens.accessToken);
    if (rejected === null && !expiresSoon(tokens)) return ok(tokens.accessToken);

    const refreshable = tokens.refreshToken !== null && (tokens.refreshTokenExpiresAt === null || tokens.refreshTokenExpiresAt > now());
    if (!refreshable) {
      if (rejected === null && stillValid(tokens)) return ok(tokens.accessToken);
      const reason = rejected !== null ? "access token refused" : "refresh token missing or expired";
      await store.markReconnect(shop, reason, tokens.accessToken, now());
      log.warn("shop's offline token can no longer be refreshed: the merchant must open the app", { shop, reason });
      return unknown("needs_reconnect");
    }
    if ((pausedUntil.get(shop) ?? 0) > now()) return rejected === null && stillValid(tokens) ? ok(tokens.accessToken) : unknown("unavailable");
    if (rejected === null && stillValid(tokens)) {
      // Minutes left: the refresh goes on behind this call, which uses the token that still works.
      void refreshOnce(shop, tokens.accessToken);
      return ok(tokens.accessToken);
    }

    const answer = await until(refreshOnce(shop, tokens.accessToken), deadline, now);
    return answer === DEADLINE ? unknown("deadline") : answer;
  }

  return {
    getAccessToken: (shop, deadline) => resolve(shop, deadline, null),
    replaceRejectedToken: (shop, rejectedToken, deadline) => resolve(shop, deadline, rejectedToken),
  };
}
