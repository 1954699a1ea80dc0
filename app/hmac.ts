// The one HMAC helper: base64(HMAC-SHA256(secret, the exact raw body bytes)), the scheme of both Shopify's
// X-Shopify-Hmac-Sha256 (webhooks the app checks, and signs for the CLI and tests) and JoinChat's X-Joinchat-Signature
// (pushes the app signs).
import { createHmac, timingSafeEqual } from "node:crypto";

export function signBody(body: string | Uint8Array, secret: string): string {
  return createHmac("sha256", secret).update(body).digest("base64");
}

export function verifySignature(body: string | Uint8Array, secret: string, signature: string | null | undefined): boolean {
  if (typeof signature !== "string" || signature.length === 0) return false;
  const expected = Buffer.from(signBody(body, secret), "utf8");
  const given = Buffer.from(signature, "utf8");
  // timingSafeEqual throws on unequal lengths; the length of a base64 SHA-256 digest is public anyway.
  if (expected.length !== given.length) return false;
  return timingSafeEqual(expected, given);
}
