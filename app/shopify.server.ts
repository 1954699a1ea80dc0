import "@shopify/shopify-app-remix/adapters/node";
import { ApiVersion, AppDistribution, LogSeverity, shopifyApp } from "@shopify/shopify-app-remix/server";
import { PrismaSessionStorage } from "@shopify/shopify-app-session-storage-prisma";
import prisma from "./db.server";
import { getEnv } from "./env.server";
import { syncProductsAtInstall } from "./lookup/products-sync.server";
import { getRuntime } from "./runtime.server";
import { createSecretBox } from "./settings/secret-box.server";
import { SealedSessionStorage } from "./shopify/sealed-session-storage.server";

const env = getEnv();

// The library's own log lines ("Authenticating admin request" on every page) follow LOG_LEVEL too.
const SHOPIFY_LOG_LEVEL = {
  debug: LogSeverity.Debug,
  info: LogSeverity.Warning,
  warn: LogSeverity.Warning,
  error: LogSeverity.Error,
  silent: LogSeverity.Error,
}[env.LOG_LEVEL];

const shopify = shopifyApp({
  apiKey: env.SHOPIFY_API_KEY,
  apiSecretKey: env.SHOPIFY_API_SECRET,
  // The same version as shopify.app.toml's [webhooks] api_version (app/shopify/api-version.ts).
  apiVersion: ApiVersion.April26,
  scopes: env.SCOPES.split(","),
  appUrl: env.SHOPIFY_APP_URL,
  authPathPrefix: "/auth",
  // The library's Prisma storage, with the offline (and online) access and refresh tokens sealed under ENCRYPTION_KEY.
  sessionStorage: new SealedSessionStorage(new PrismaSessionStorage(prisma), createSecretBox(env.ENCRYPTION_KEY)),
  distribution: AppDistribution.AppStore,
  logger: { level: SHOPIFY_LOG_LEVEL },
  hooks: {
    // A new offline token (the install, or a token exchange after the old one expired): the product catalogue of
    // customer lookups is filled from the Admin API in the background when it is empty (decision 024).
    afterAuth: async ({ session }) => {
      const runtime = await getRuntime();
      // A shop reconnecting (Shopify had refused its tokens) is not an install; its next call clears the mark, which
      // the home page must see first to tell the merchant what happened.
      if (await runtime.adminApi.readReconnectMark(session.shop)) return;
      syncProductsAtInstall({ graphql: runtime.adminApi.graphql, write: (work) => runtime.commit.run(work) }, runtime.db, session.shop);
    },
  },
  future: {
    unstable_newEmbeddedAuthStrategy: true,
    expiringOfflineAccessTokens: true,
  },
});

export default shopify;
export const apiVersion = ApiVersion.April26;
export const addDocumentResponseHeaders = shopify.addDocumentResponseHeaders;
export const authenticate = shopify.authenticate;
export const unauthenticated = shopify.unauthenticated;
export const login = shopify.login;
export const registerWebhooks = shopify.registerWebhooks;
export const sessionStorage = shopify.sessionStorage;
