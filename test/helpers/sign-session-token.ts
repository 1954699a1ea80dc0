import { createHmac, randomUUID } from "node:crypto";

/**
 * A session token as the Shopify admin issues one to the app's pages and admin UI extensions (App Bridge's
 * idToken(), an extension's shopify.auth.idToken()): a JWT signed HS256 with the app's API secret, with Shopify's
 * claims. For the demo and the tests, which have no admin to ask; `authenticate.admin` checks it as it checks
 * Shopify's. Signed with node:crypto alone, so it also works where jose does not (a test in jsdom).
 */
export function signSessionToken(args: { shop: string; apiKey: string; apiSecret: string; userId?: string; ttlSeconds?: number }): string {
  const now = Math.floor(Date.now() / 1000);
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const claims = {
    iss: `https://${args.shop}/admin`,
    dest: `https://${args.shop}`,
    aud: args.apiKey,
    sub: args.userId ?? "1",
    exp: now + (args.ttlSeconds ?? 60),
    nbf: now - 5,
    iat: now - 5,
    jti: randomUUID(),
    sid: randomUUID(),
  };
  const unsigned = `${part({ alg: "HS256", typ: "JWT" })}.${part(claims)}`;
  return `${unsigned}.${createHmac("sha256", args.apiSecret).update(unsigned).digest("base64url")}`;
}

/**
 * A session token as a checkout or customer account UI extension gets it from `shopify.sessionToken.get()`: HS256
 * with the app's secret, `dest` the shop's domain, `aud` the API key, `sub` the logged-in buyer's customer GID
 * (absent for a guest). No admin user, no session id.
 */
export function signCheckoutSessionToken(args: {
  shop: string;
  apiKey: string;
  apiSecret: string;
  customerGid?: string;
  ttlSeconds?: number;
  claims?: Record<string, unknown>;
}): string {
  const now = Math.floor(Date.now() / 1000);
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const claims: Record<string, unknown> = {
    iss: `https://${args.shop}/admin`,
    dest: args.shop,
    aud: args.apiKey,
    exp: now + (args.ttlSeconds ?? 300),
    nbf: now - 5,
    iat: now - 5,
    jti: randomUUID(),
    ...(args.customerGid ? { sub: args.customerGid } : {}),
    ...args.claims,
  };
  const unsigned = `${part({ alg: "HS256", typ: "JWT" })}.${part(claims)}`;
  return `${unsigned}.${createHmac("sha256", args.apiSecret).update(unsigned).digest("base64url")}`;
}
