// The answers of the Admin API access layer. A lookup never throws for Shopify's sake: it is found, or unknown
// with the reason, and a push goes out without what is unknown.

export type UnknownReason =
  /** The shop has no offline session (never installed, or uninstalled). */
  | "no_session"
  /** Shopify refused the shop's tokens for good: the merchant must open the app once. */
  | "needs_reconnect"
  /** The caller's deadline came first (a slow answer, a refresh that took too long). */
  | "deadline"
  /** The shop's cost bucket would not have the points before the deadline (THROTTLED, or a 429's Retry-After). */
  | "throttled"
  /** Shopify failed (5xx, no connection) within the attempts allowed, or the shop is frozen or locked. */
  | "unavailable"
  /** The app's access scopes do not cover what was asked. */
  | "access_denied"
  /** Shopify's answer did not have the shape the document promises. */
  | "invalid_answer";

export type Lookup<T> = { status: "found"; value: T } | { status: "unknown"; reason: UnknownReason };

/** Whom an order's pushes go to, as the Admin API knows the order. */
export interface OrderContact {
  name: string | null;
  email: string | null;
  phone: string | null;
  psid: string | null;
  customerGid: string | null;
  recipientName: string | null;
  orderStatusUrl: string | null;
}

/** What the admin shows about a shop's Admin API access. */
export type ShopAccess =
  | { status: "connected" }
  /** No offline session: the app is not installed on the shop (or was uninstalled). */
  | { status: "not_installed" }
  /** Shopify refused the shop's tokens: the merchant opens the app once to reconnect it. */
  | { status: "needs_reconnect"; reason: string; since: number };

export interface CallOptions {
  /** Unix ms by which the call answers, found or not (default: now + SHOPIFY_ADMIN_API_TIMEOUT_MS). */
  deadline?: number;
}
