/**
 * The one Admin API and webhook version of the app: shopify.server.ts (ApiVersion.April26) and the
 * [webhooks] api_version of shopify.app.toml say the same; test/app-config.test.ts holds them together.
 */
export const SHOPIFY_API_VERSION = "2026-04";
