import type { Sql } from "../../db/database.server";
import type { SecretBox } from "../../settings/secret-box.server";
import { SHOPIFY_API_VERSION } from "../api-version";
import { createAdminAccessStore, hashAccessToken, type AdminAccessStore } from "./access-store.server";
import { createAdminGraphql, type AdminGraphql } from "./graphql-client.server";
import { createAdminLookups, type AdminLookups } from "./lookups.server";
import { createOfflineTokens, type OfflineTokens, type OfflineTokensOptions } from "./offline-tokens.server";
import { createLibraryRefresher, type AppCredentials, type RefreshTokens } from "./token-refresh.server";
import type { CallOptions, Lookup, OrderContact, ShopAccess } from "./types";

// The one way the app reaches Shopify's Admin API, the same in the web process, `npm run worker` and the CLI:
// one per process (its refresh and cost bookkeeping are the process's), over the process's database.
// docs/decisions/012-shopify-admin-api-access.md says why it is built this way.

export interface ShopifyAdmin {
  /** Image URLs (null: none) of the products that are known by the deadline; the others are left out. */
  fetchProductImages(shop: string, productGids: string[], options?: CallOptions): Promise<Map<string, string | null>>;
  /** The order's contact as Shopify knows it; null when not known (no such order, or no answer in time). */
  fetchOrderContact(shop: string, orderGid: string, options?: CallOptions): Promise<OrderContact | null>;
  /** The customer's Messenger PSID from `joinchat.psid`; null when there is none or it is not known in time. */
  fetchCustomerPsid(shop: string, customerGid: string, options?: CallOptions): Promise<string | null>;
  /** A deadline SHOPIFY_ADMIN_API_TIMEOUT_MS from now on the layer's clock: one push's lookups share one. */
  lookupDeadline(): number;
  /** The same lookups with why a value is unknown. */
  lookups: AdminLookups;
  /** Typed GraphQL with the layer's tokens and pacing, for a new document of documents.ts. */
  graphql: AdminGraphql;
  /** What the admin shows: connected, not installed, or needs the merchant to open the app (and why, since when). */
  getShopAccess(shop: string): Promise<ShopAccess>;
  listShopsNeedingReconnect(): Promise<{ shop: string; reason: string; since: number }[]>;
  /**
   * After a successful authenticate.admin (token exchange): the shop's mark goes (it also goes by itself once the
   * session holds another token). Answers the mark it cleared (why and since when Shopify had refused), or null.
   */
  clearReconnect(shop: string): Promise<{ reason: string; since: number } | null>;
  /** The shop's reconnect mark as it stands (still there after a token exchange until a call or clearReconnect). */
  readReconnectMark(shop: string): Promise<{ reason: string; since: number } | null>;
  /** products/update, products/delete: the next push asks again. */
  forgetProductImages(shop: string, productGids?: string[]): Promise<number>;
  /** customers/update, customers/redact: the next push asks again (and nothing of the customer stays here). */
  forgetCustomerPsid(shop: string, customerGid?: string): Promise<number>;
  /** shop/redact: every cached value of the shop and its access record. */
  forgetShop(shop: string): Promise<void>;
}

export interface ShopifyAdminOptions {
  db: Sql;
  /** Opens and seals the session's tokens (ENCRYPTION_KEY). */
  box: SecretBox;
  credentials: AppCredentials;
  /** The deadline of a call that names none: now + this (SHOPIFY_ADMIN_API_TIMEOUT_MS). */
  timeoutMs: number;
  now?: () => number;
  tokens?: Partial<Omit<OfflineTokensOptions, "store" | "refresh" | "now">>;
}

export function createShopifyAdmin(options: ShopifyAdminOptions): ShopifyAdmin {
  const now = options.now ?? Date.now;
  const store: AdminAccessStore = createAdminAccessStore(options.db, options.box);
  const refresh = createLibraryRefresher(options.credentials, now);
  const tokens: OfflineTokens = createOfflineTokens({ ...options.tokens, store, refresh, now });
  const graphql = createAdminGraphql({ tokens, apiVersion: options.credentials.apiVersion, now });
  const lookups = createAdminLookups({ graphql, store, now });
  const deadlineOf = (call?: CallOptions) => call?.deadline ?? now() + options.timeoutMs;
  const valueOf = <T>(lookup: Lookup<T | null>): T | null => (lookup.status === "found" ? lookup.value : null);

  return {
    fetchProductImages: (shop, gids, call) => lookups.fetchProductImages(shop, gids, deadlineOf(call)),
    fetchOrderContact: async (shop, orderGid, call) => valueOf(await lookups.fetchOrderContact(shop, orderGid, deadlineOf(call))),
    fetchCustomerPsid: async (shop, customerGid, call) => valueOf(await lookups.fetchCustomerPsid(shop, customerGid, deadlineOf(call))),
    lookupDeadline: () => deadlineOf(),
    lookups,
    graphql,
    getShopAccess: (shop) => shopAccessOf(store, shop),
    listShopsNeedingReconnect: () => store.listReconnectMarks(),
    async clearReconnect(shop) {
      const mark = (await store.readOfflineSession(shop))?.mark ?? null;
      if (!mark) return null;
      await store.clearReconnect(shop, now());
      return { reason: mark.reason, since: mark.since };
    },
    async readReconnectMark(shop) {
      const mark = (await store.readOfflineSession(shop))?.mark ?? null;
      return mark && { reason: mark.reason, since: mark.since };
    },
    forgetProductImages: (shop, gids) => lookups.forgetProductImages(shop, gids),
    forgetCustomerPsid: (shop, gid) => lookups.forgetCustomerPsid(shop, gid),
    async forgetShop(shop) {
      await lookups.forgetProductImages(shop);
      await lookups.forgetCustomerPsid(shop);
      await store.deleteAccess(shop);
    },
  };
}

async function shopAccessOf(store: AdminAccessStore, shop: string): Promise<ShopAccess> {
  const stored = await store.readOfflineSession(shop);
  if (!stored) return { status: "not_installed" };
  const { mark, tokens: session } = stored;
  if (mark && mark.refusedTokenHash === hashAccessToken(session.accessToken)) return { status: "needs_reconnect", reason: mark.reason, since: mark.since };
  return { status: "connected" };
}

/**
 * What getShopAccess answers, for a process without the layer (the CLI): it only reads the database. Without the box
 * (no ENCRYPTION_KEY) a sealed token cannot be compared with the refused one: a reconnect mark is taken to hold.
 */
export function readShopAccess(db: Sql, shop: string, box: SecretBox | null): Promise<ShopAccess> {
  return shopAccessOf(createAdminAccessStore(db, box), shop);
}

/** The settings of the validated environment (app/env.server.ts) the layer needs; the layer itself never reads it. */
export interface ShopifyAdminEnv {
  SHOPIFY_API_KEY: string;
  SHOPIFY_API_SECRET: string;
  SHOPIFY_APP_URL: string;
  SCOPES: string;
  SHOPIFY_ADMIN_API_TIMEOUT_MS: number;
}

export function createShopifyAdminFromEnv(env: ShopifyAdminEnv, db: Sql, box: SecretBox): ShopifyAdmin {
  return createShopifyAdmin({
    db,
    box,
    credentials: {
      apiKey: env.SHOPIFY_API_KEY,
      apiSecret: env.SHOPIFY_API_SECRET,
      appUrl: env.SHOPIFY_APP_URL,
      scopes: env.SCOPES.split(","),
      apiVersion: SHOPIFY_API_VERSION,
    },
    timeoutMs: env.SHOPIFY_ADMIN_API_TIMEOUT_MS,
  });
}

export type { AdminAccessStore, AdminGraphql, AdminLookups, AppCredentials, OfflineTokens, RefreshTokens };
export type { CallOptions, Lookup, OrderContact, ShopAccess, UnknownReason } from "./types";
export {
  ADMIN_DOCUMENTS,
  CATALOGUE_PRODUCTS,
  CUSTOMER_PSID,
  CUSTOMERS_BY_CONTACT,
  ORDER_CONTACT,
  ORDER_LOOKUP,
  PRODUCT_IMAGES,
  type AdminDocument,
  type CatalogueProductPayload,
  type LookedUpOrder,
} from "./documents";
