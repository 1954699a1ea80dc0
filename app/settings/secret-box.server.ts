import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

// Secrets at rest (docs/decisions/022-key-ring-and-bound-secrets.md): AES-256-GCM under the keys of ENCRYPTION_KEY.
//
// ENCRYPTION_KEY is a key ring: `k2:<base64 32 bytes>,k1:<base64 32 bytes>`, the first key writing, every key reading.
// A key without an id (the single-key form of before) has the id `k0`.
//
// Stored as `v2.<key id>.<iv>.<tag>.<ciphertext>` (base64url), the shop's domain and what the value is bound to it as
// associated data: a ciphertext copied to another shop's row (or another column) does not open. `v1.<iv>.<tag>.<ciphertext>`
// (before key ids and associated data) still opens with whichever configured key wrote it; `secrets rotate` rewrites it.
// A wrong key fails loudly instead of yielding garbage.

export class SecretBoxError extends Error {
  name = "SecretBoxError";
}

/** The id of a key given without one (ENCRYPTION_KEY of a single key, as before key ids). */
export const IMPLICIT_KEY_ID = "k0";
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const SEALED_V2 = /^v2\.([A-Za-z0-9_-]{1,32})\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** What a sealed value is: each is bound to its own kind and shop. */
export type SealedField = "joinchat_secret" | "access_token" | "refresh_token";

export interface KeyRing {
  /** Configured key ids, the writing one first. */
  ids: string[];
  keys: Map<string, Buffer>;
}

/** What is wrong with an ENCRYPTION_KEY value, said after its name; null when it is a valid key ring. */
export function keyRingProblem(value: string): string | null {
  try {
    parseKeyRing(value);
    return null;
  } catch (error) {
    return (error as Error).message.replace(/^ENCRYPTION_KEY:? /, "");
  }
}

/** ENCRYPTION_KEY as a key ring, or SecretBoxError saying what is wrong with it. */
export function parseKeyRing(value: string): KeyRing {
  const entries = value
    .split(",")
    .map((e) => e.trim())
    .filter((e) => e !== "");
  if (entries.length === 0) throw new SecretBoxError("ENCRYPTION_KEY must be 32 bytes encoded in base64, or a list id:<base64>,id:<base64>");
  const ids: string[] = [];
  const keys = new Map<string, Buffer>();
  for (const entry of entries) {
    const colon = entry.indexOf(":");
    const id = colon === -1 ? IMPLICIT_KEY_ID : entry.slice(0, colon).trim();
    const material = colon === -1 ? entry : entry.slice(colon + 1).trim();
    if (!KEY_ID.test(id)) throw new SecretBoxError(`ENCRYPTION_KEY: key id "${id}" must be 1 to 32 letters, digits, _ or -`);
    if (keys.has(id)) throw new SecretBoxError(`ENCRYPTION_KEY: key id ${id} is given twice (a key without an id is ${IMPLICIT_KEY_ID})`);
    const key = Buffer.from(material, "base64");
    if (key.length !== 32 || !/^[A-Za-z0-9+/]+={0,2}$/.test(material)) {
      throw new SecretBoxError(
        entries.length === 1 && colon === -1
          ? "ENCRYPTION_KEY must be 32 bytes encoded in base64"
          : `ENCRYPTION_KEY: key ${id} must be 32 bytes encoded in base64`,
      );
    }
    ids.push(id);
    keys.set(id, key);
  }
  return { ids, keys };
}

export interface SealedInfo {
  version: 1 | 2;
  /** The key that wrote it; null for v1 (written before key ids). */
  keyId: string | null;
}

export interface SecretBox {
  /** Configured key ids, the writing one first. */
  readonly keyIds: readonly string[];
  /** Seals `plain` under the first key, bound to the shop and the field. */
  encrypt(plain: string, shop: string, field?: SealedField): string;
  /** Opens what `encrypt` sealed for the same shop and field (or a v1 value); SecretBoxError when it cannot. */
  decrypt(sealed: string, shop: string, field?: SealedField): string;
  /** Which format and key a stored value has; null when it is not a sealed value (a token stored in clear). */
  inspect(stored: string): SealedInfo | null;
  /** Sealed under the writing key in the current format: nothing for `secrets rotate` to do. */
  isCurrent(stored: string): boolean;
}

const b64 = (b: Buffer) => b.toString("base64url");

function aadOf(shop: string, field: SealedField): Buffer {
  return Buffer.from(`joinchat-push/${field}/${shop}`, "utf8");
}

function open(key: Buffer, iv: string, tag: string, ciphertext: string, aad: Buffer | null): string | null {
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
    if (aad) decipher.setAAD(aad);
    decipher.setAuthTag(Buffer.from(tag, "base64url"));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, "base64url")), decipher.final()]).toString("utf8");
  } catch {
    return null;
  }
}

export function inspectSealed(stored: string): SealedInfo | null {
  const v2 = SEALED_V2.exec(stored);
  if (v2) return { version: 2, keyId: v2[1] };
  const parts = stored.split(".");
  if (parts.length === 4 && parts[0] === "v1") return { version: 1, keyId: null };
  return null;
}

export function createKeyRingBox(ring: KeyRing): SecretBox {
  const [currentId] = ring.ids;
  const currentKey = ring.keys.get(currentId)!;
  return {
    keyIds: ring.ids,
    encrypt(plain, shop, field = "joinchat_secret") {
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", currentKey, iv);
      cipher.setAAD(aadOf(shop, field));
      const ciphertext = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
      return ["v2", currentId, b64(iv), b64(cipher.getAuthTag()), b64(ciphertext)].join(".");
    },
    decrypt(sealed, shop, field = "joinchat_secret") {
      const parts = sealed.split(".");
      const info = inspectSealed(sealed);
      if (!info) throw new SecretBoxError("unknown secret format");
      if (info.version === 2) {
        const key = ring.keys.get(info.keyId!);
        if (!key) throw new SecretBoxError(`the secret was encrypted with key ${info.keyId}, which ENCRYPTION_KEY does not have`);
        const plain = open(key, parts[2], parts[3], parts[4], aadOf(shop, field));
        if (plain === null) throw new SecretBoxError(`the secret cannot be decrypted with key ${info.keyId} of ENCRYPTION_KEY for ${shop}`);
        return plain;
      }
      // v1: no key id and no associated data; any configured key may have written it.
      for (const id of ring.ids) {
        const plain = open(ring.keys.get(id)!, parts[1], parts[2], parts[3], null);
        if (plain !== null) return plain;
      }
      throw new SecretBoxError("the secret cannot be decrypted with any key of ENCRYPTION_KEY");
    },
    inspect: inspectSealed,
    isCurrent(stored) {
      const info = inspectSealed(stored);
      return info?.version === 2 && info.keyId === currentId;
    },
  };
}

/** The box of an ENCRYPTION_KEY value (one key, or a key ring). */
export function createSecretBox(encryptionKey: string): SecretBox {
  return createKeyRingBox(parseKeyRing(encryptionKey));
}

/**
 * A Shopify token to store: sealed like a secret. Tokens stored before they were encrypted are in clear; `openToken`
 * reads them as they are, and `secrets rotate` seals them.
 */
export function sealToken(box: SecretBox, token: string, shop: string, field: "access_token" | "refresh_token"): string {
  return token === "" ? token : box.encrypt(token, shop, field);
}

/** A stored Shopify token in clear: opened when sealed, as it is when stored before encryption. */
export function openToken(box: SecretBox, stored: string, shop: string, field: "access_token" | "refresh_token"): string {
  return inspectSealed(stored) ? box.decrypt(stored, shop, field) : stored;
}
