// The Web API adapter, the one @shopify/shopify-app-remix installs: the adapter is global to the library, and the
// Node adapter imported here after the Remix app's would make authenticate.* read a Fetch Request as a Node request
// (no headers: every webhook "missing_hmac", 400). Node 22 has fetch, Request and Response built in.
import "@shopify/shopify-api/adapters/web-api";
import { ApiVersion, HttpResponseError, HttpRetriableError, HttpThrottlingError, LogSeverity, shopifyApi } from "@shopify/shopify-api";
import { log } from "../../logger.server";
import type { OfflineSessionTokens } from "./access-store.server";

// Refreshing an expiring offline token is @shopify/shopify-api's `auth.refreshToken`, the same call
// @shopify/shopify-app-remix makes in its ensureValidOfflineSession: the protocol stays the library's. It runs in
// any process (web, `npm run worker`, the CLI) from the app's own configuration, without shopifyApp() and its
// session storage: this layer stores the new pair itself, once, with a compare-and-set (offline-tokens.server.ts).
// What this file adds is the verdict on a failure: whether the shop must be reconnected by its merchant, whether
// the app's own credentials are wrong, or whether trying again later may work.

export type RefreshOutcome =
  | { kind: "refreshed"; tokens: OfflineSessionTokens }
  /** Shopify refused the shop's refresh token for good (revoked, expired, uninstalled): the merchant must open the app. */
  | { kind: "refused"; reason: string }
  /** Shopify refused the app's client id or secret: no shop can refresh until the configuration is fixed. */
  | { kind: "app_refused"; reason: string }
  /** A 429, 5xx, lost connection or unreadable answer: trying again later may work. */
  | { kind: "failed"; reason: string; retryAfterMs?: number };

export type RefreshTokens = (shop: string, refreshToken: string) => Promise<RefreshOutcome>;

export interface AppCredentials {
  apiKey: string;
  apiSecret: string;
  /** The app's public URL (SHOPIFY_APP_URL). */
  appUrl: string;
  scopes: string[];
  apiVersion: string;
}

function apiVersionOf(version: string): ApiVersion {
  const known = Object.values(ApiVersion).find((v) => v === version);
  if (!known) throw new Error(`@shopify/shopify-api does not know the API version ${version}`);
  return known;
}

/** What a failed refresh means, from the error the library threw. */
export function judgeRefreshFailure(error: unknown): Exclude<RefreshOutcome, { kind: "refreshed" }> {
  if (error instanceof HttpThrottlingError) {
    const seconds = error.response.retryAfter;
    return { kind: "failed", reason: "HTTP 429", ...(typeof seconds === "number" ? { retryAfterMs: seconds * 1000 } : {}) };
  }
  if (error instanceof HttpRetriableError) return { kind: "failed", reason: `HTTP ${error.response.code}` };
  if (error instanceof HttpResponseError) {
    const { code, body } = error.response;
    const oauthError = body && typeof body === "object" && "error" in body && typeof body.error === "string" ? body.error : null;
    if (oauthError === "invalid_client") return { kind: "app_refused", reason: "invalid_client" };
    // invalid_grant: the refresh token is spent, expired or revoked (the app was uninstalled); 401/403: the shop's
    // access is gone; 404: there is no such shop any more.
    if (oauthError === "invalid_grant" || code === 401 || code === 403 || code === 404) {
      return { kind: "refused", reason: oauthError ?? `HTTP ${code}` };
    }
    // 402 (a frozen shop), 423 (a locked one), invalid_request: not the shop's tokens' fault, and not for good.
    return { kind: "failed", reason: oauthError ?? `HTTP ${code}` };
  }
  // A lost connection, a timeout, a body that was not JSON.
  return { kind: "failed", reason: error instanceof Error ? `${error.name}: ${error.message}`.slice(0, 200) : "unknown error" };
}

export function createLibraryRefresher(credentials: AppCredentials, now: () => number = Date.now): RefreshTokens {
  const api = shopifyApi({
    apiKey: credentials.apiKey,
    apiSecretKey: credentials.apiSecret,
    apiVersion: apiVersionOf(credentials.apiVersion),
    hostName: new URL(credentials.appUrl).host,
    isEmbeddedApp: true,
    scopes: credentials.scopes,
    // The library's own lines (it says "Creating new session" on every refresh) stay out of the app's log.
    logger: { level: LogSeverity.Error, log: async (_severity, message) => log.warn("shopify-api", { message }) },
  });

  return async (shop, refreshToken) => {
    try {
      const { session } = await api.auth.refreshToken({ shop, refreshToken });
      // The library dates the pair by the machine's clock; this layer's clock may be another (tests move theirs).
      const lifetime = (d: Date | undefined) => (d ? now() + (d.getTime() - Date.now()) : null);
      if (!session.accessToken) return { kind: "failed", reason: "no access token in the answer" };
      return {
        kind: "refreshed",
        tokens: {
          accessToken: session.accessToken,
          expiresAt: lifetime(session.expires),
          refreshToken: session.refreshToken ?? null,
          refreshTokenExpiresAt: lifetime(session.refreshTokenExpires),
          scope: session.scope ?? null,
        },
      };
    } catch (error) {
      return judgeRefreshFailure(error);
    }
  };
}
