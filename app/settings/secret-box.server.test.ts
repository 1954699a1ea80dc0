import { createCipheriv, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createSecretBox, IMPLICIT_KEY_ID, keyRingProblem, openToken, parseKeyRing, sealToken, SecretBoxError } from "./secret-box.server";

const key = () => randomBytes(32).toString("base64");
const SHOP = "a-shop.myshopify.com";

/** A secret as the app stored it before key ids and associated data (`v1.<iv>.<tag>.<ciphertext>`). */
function sealV1(base64Key: string, plain: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", Buffer.from(base64Key, "base64"), iv);
  const ciphertext = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
  return ["v1", iv, cipher.getAuthTag(), ciphertext].map((p) => (typeof p === "string" ? p : p.toString("base64url"))).join(".");
}

describe("ENCRYPTION_KEY as a key ring", () => {
  it("a single key is the key ring of one key with the implicit id", () => {
    expect(parseKeyRing(key()).ids).toEqual([IMPLICIT_KEY_ID]);
  });

  it("several keys with ids: the first writes", () => {
    const ring = parseKeyRing(` k2:${key()} , k1:${key()}`);
    expect(ring.ids).toEqual(["k2", "k1"]);
    expect(createSecretBox(`k2:${key()},k1:${key()}`).encrypt("s", SHOP)).toMatch(/^v2\.k2\./);
  });

  it.each([
    ["a key id given twice", `k1:${key()},k1:${key()}`, /key id k1 is given twice/],
    ["an unnamed key and k0", `${key()},k0:${key()}`, /key id k0 is given twice/],
    ["a bad id", `k.1:${key()}`, /key id "k\.1" must be/],
    ["a short key in a ring", `k2:${key()},k1:${randomBytes(16).toString("base64")}`, /key k1 must be 32 bytes/],
    ["nothing", " , ", /must be 32 bytes/],
  ])("refuses %s", (_label, value, message) => {
    expect(keyRingProblem(value)).toMatch(message);
    expect(() => createSecretBox(value)).toThrow(SecretBoxError);
  });
});

describe("sealed secrets", () => {
  it("old keys still read; the key id is recorded; a key id not configured is named", () => {
    const k1 = key();
    const k2 = key();
    const old = createSecretBox(`k1:${k1}`).encrypt("secret", SHOP);
    const ring = createSecretBox(`k2:${k2},k1:${k1}`);
    expect(ring.decrypt(old, SHOP)).toBe("secret");
    expect(ring.isCurrent(old)).toBe(false);
    expect(ring.inspect(old)).toEqual({ version: 2, keyId: "k1" });
    const fresh = ring.encrypt("secret", SHOP);
    expect(ring.isCurrent(fresh)).toBe(true);
    expect(() => createSecretBox(`k2:${k2}`).decrypt(old, SHOP)).toThrow(/key k1, which ENCRYPTION_KEY does not have/);
  });

  it("is bound to its shop and its field", () => {
    const box = createSecretBox(key());
    const sealed = box.encrypt("secret", SHOP);
    expect(() => box.decrypt(sealed, "other-shop.myshopify.com")).toThrow(SecretBoxError);
    expect(() => box.decrypt(sealed, SHOP, "access_token")).toThrow(SecretBoxError);
    expect(box.decrypt(sealed, SHOP)).toBe("secret");
  });

  it("v1 secrets (before key ids) read with whichever configured key wrote them", () => {
    const old = key();
    const v1 = sealV1(old, "legacy-secret");
    expect(createSecretBox(`k1:${key()},${old}`).decrypt(v1, SHOP)).toBe("legacy-secret");
    expect(createSecretBox(`k2:${key()},k1:${old}`).decrypt(v1, SHOP)).toBe("legacy-secret");
    expect(createSecretBox(old).inspect(v1)).toEqual({ version: 1, keyId: null });
    expect(() => createSecretBox(key()).decrypt(v1, SHOP)).toThrow(SecretBoxError);
  });

  it("Shopify tokens: sealed on write, stored-in-clear tokens read as they are", () => {
    const box = createSecretBox(key());
    const sealed = sealToken(box, "shpat_abc", SHOP, "access_token");
    expect(sealed).not.toContain("shpat_abc");
    expect(openToken(box, sealed, SHOP, "access_token")).toBe("shpat_abc");
    expect(openToken(box, "shpat_plain", SHOP, "access_token")).toBe("shpat_plain");
    expect(() => openToken(box, sealed, SHOP, "refresh_token")).toThrow(SecretBoxError);
  });
});
