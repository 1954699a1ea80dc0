import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

// The JoinChat API secret at rest: AES-256-GCM under ENCRYPTION_KEY. Stored as
// `v1.<iv>.<tag>.<ciphertext>` (base64url); a wrong key fails loudly instead of yielding garbage.

export class SecretBoxError extends Error {
  name = "SecretBoxError";
}

export interface SecretBox {
  encrypt(plain: string): string;
  decrypt(sealed: string): string;
}

export function createSecretBox(base64Key: string): SecretBox {
  const key = Buffer.from(base64Key, "base64");
  if (key.length !== 32) throw new SecretBoxError("ENCRYPTION_KEY must be 32 bytes encoded in base64");
  return {
    encrypt(plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", key, iv);
      const ciphertext = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
      return ["v1", iv, cipher.getAuthTag(), ciphertext].map((p) => (typeof p === "string" ? p : p.toString("base64url"))).join(".");
    },
    decrypt(sealed) {
      const [version, iv, tag, ciphertext] = sealed.split(".");
      if (version !== "v1" || !iv || !tag || ciphertext === undefined) throw new SecretBoxError("unknown secret format");
      try {
        const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
        decipher.setAuthTag(Buffer.from(tag, "base64url"));
        return Buffer.concat([decipher.update(Buffer.from(ciphertext, "base64url")), decipher.final()]).toString("utf8");
      } catch {
        throw new SecretBoxError("the JoinChat API secret cannot be decrypted with this ENCRYPTION_KEY");
      }
    },
  };
}
