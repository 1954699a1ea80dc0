import type { Sql } from "../db/database.server";
import { log } from "../logger.server";
import { listSessionTokens, readSessionTokens, replaceSessionTokens, type SessionTokensRow } from "../stores/session-store.server";
import { listSecretCiphertexts, readSecretCiphertext, replaceSecretCiphertext } from "../stores/shop-settings-store.server";
import { openToken, type SealedField, type SecretBox } from "./secret-box.server";

// Every secret stored under ENCRYPTION_KEY (docs/decisions/022-key-ring-and-bound-secrets.md): the shops' JoinChat
// API secrets and Shopify's access and refresh tokens. The start-up check refuses a key ring that cannot read them;
// `npm run cli -- secrets rotate` seals them all again under the writing key.

const PAGE = 200;
/** How often rotation looks again at a row that changed under it (the app wrote it meanwhile). */
const ROW_RETRIES = 5;

interface StoredSecret {
  field: SealedField;
  shop: string;
  stored: string;
}

async function* storedSecrets(sql: Sql): AsyncGenerator<StoredSecret> {
  for (let after = ""; ;) {
    const rows = await listSecretCiphertexts(sql, after, PAGE);
    for (const row of rows) yield { field: "joinchat_secret", shop: row.shop, stored: row.secret_ciphertext };
    if (rows.length < PAGE) break;
    after = rows[rows.length - 1].shop;
  }
  for (let after = ""; ;) {
    const rows = await listSessionTokens(sql, after, PAGE);
    for (const row of rows) {
      if (row.accessToken) yield { field: "access_token", shop: row.shop, stored: row.accessToken };
      if (row.refreshToken) yield { field: "refresh_token", shop: row.shop, stored: row.refreshToken };
    }
    if (rows.length < PAGE) break;
    after = rows[rows.length - 1].id;
  }
}

function opens(box: SecretBox, secret: StoredSecret): boolean {
  try {
    box.decrypt(secret.stored, secret.shop, secret.field);
    return true;
  } catch {
    return false;
  }
}

export class StoredSecretsError extends Error {
  name = "StoredSecretsError";
}

export interface StoredSecretsCheck {
  /** Key ids of stored secrets none of which the configured keys open (`v1`: sealed before key ids). */
  unreadableKeys: string[];
  /** What to tell the operator when unreadableKeys is not empty. */
  message: string | null;
}

/**
 * Whether the configured keys read what is stored: per key id found in storage, at least one of its secrets opens.
 * A key id none of whose secrets opens is a key missing from ENCRYPTION_KEY (or replaced by another under the same
 * id): every push of those shops would fail, so the process must not start. A lone secret that does not open while
 * others of its key do is that row's problem (the admin asks to re-enter it): counted, not refused.
 */
export async function checkStoredSecrets(sql: Sql, box: SecretBox): Promise<StoredSecretsCheck> {
  const groups = new Map<string, { opened: boolean; failed: number }>();
  for await (const secret of storedSecrets(sql)) {
    const info = box.inspect(secret.stored);
    if (!info) continue; // a Shopify token stored in clear, from before encryption: rotate seals it
    const id = info.keyId ?? "v1";
    const group = groups.get(id) ?? { opened: false, failed: 0 };
    groups.set(id, group);
    // One secret that opens is enough to know the key; the rest of its group is not decrypted at start.
    if (group.opened) continue;
    if (opens(box, secret)) group.opened = true;
    else group.failed += 1;
  }
  const unreadable = [...groups].filter(([, g]) => !g.opened && g.failed > 0);
  const damaged = [...groups].filter(([, g]) => g.opened).reduce((n, [, g]) => n + g.failed, 0);
  if (damaged > 0) log.warn("some stored secrets cannot be read with ENCRYPTION_KEY: their shops re-enter them", { atLeast: damaged });
  if (unreadable.length === 0) return { unreadableKeys: [], message: null };
  const describe = ([id, g]: [string, { failed: number }]) =>
    `${id === "v1" ? "v1 (sealed before key ids, by a key no configured key matches)" : box.keyIds.includes(id) ? `${id} (configured, but not the key that wrote them)` : id} — ${g.failed} secret(s)`;
  const message = [
    `ENCRYPTION_KEY cannot read the secrets stored under key id(s): ${unreadable.map(describe).join("; ")}.`,
    `Configured key ids: ${box.keyIds.join(", ")}. Pushes of those shops would fail one by one, so the app does not start.`,
    `Put the key that wrote them back into ENCRYPTION_KEY after the writing key, e.g. ENCRYPTION_KEY="k2:<new key>,k1:<old key>",`,
    `then run npm run cli -- secrets rotate; remove the old key only after that.`,
  ].join("\n");
  return { unreadableKeys: unreadable.map(([id]) => id), message };
}

/** Throws StoredSecretsError (the process must exit 78) when the configured keys cannot read what is stored. */
export async function assertStoredSecretsReadable(sql: Sql, box: SecretBox): Promise<void> {
  const check = await checkStoredSecrets(sql, box);
  if (check.message) throw new StoredSecretsError(check.message);
}

export interface SecretCounts {
  reencrypted: number;
  current: number;
  unreadable: number;
}

export interface RotationReport {
  keyId: string;
  joinchatSecrets: SecretCounts;
  shopifyTokens: SecretCounts;
  /** Shops with a secret or token that could not be read (left as it is). */
  unreadableShops: string[];
}

type Outcome = "reencrypted" | "current" | "unreadable";

/** One stored value under the writing key: what to store instead (null: nothing to change), and what it was. */
function resealed(box: SecretBox, stored: string, shop: string, field: SealedField): { next: string | null; outcome: Outcome } {
  try {
    if (box.isCurrent(stored)) {
      box.decrypt(stored, shop, field);
      return { next: null, outcome: "current" };
    }
    const plain = field === "joinchat_secret" ? box.decrypt(stored, shop, field) : openToken(box, stored, shop, field);
    return { next: box.encrypt(plain, shop, field), outcome: "reencrypted" };
  } catch {
    return { next: null, outcome: "unreadable" };
  }
}

/**
 * `secrets rotate`: every shop's JoinChat secret and every session's Shopify tokens sealed under the writing key (the
 * first of ENCRYPTION_KEY), bound to its shop; v1 secrets and tokens in clear included. Safe while the app runs: each
 * row is changed only if it still holds what was read (else read again), so what the app writes meanwhile stands.
 * Running it again changes nothing.
 */
export async function rotateStoredSecrets(sql: Sql, box: SecretBox): Promise<RotationReport> {
  const report: RotationReport = {
    keyId: box.keyIds[0],
    joinchatSecrets: { reencrypted: 0, current: 0, unreadable: 0 },
    shopifyTokens: { reencrypted: 0, current: 0, unreadable: 0 },
    unreadableShops: [],
  };
  const unreadableShops = new Set<string>();

  for (let after = ""; ;) {
    const rows = await listSecretCiphertexts(sql, after, PAGE);
    for (const row of rows) {
      let stored: string | null = row.secret_ciphertext;
      for (let i = 0; stored !== null && i < ROW_RETRIES; i++) {
        const { next, outcome } = resealed(box, stored, row.shop, "joinchat_secret");
        if (next === null || (await replaceSecretCiphertext(sql, row.shop, stored, next))) {
          report.joinchatSecrets[outcome] += 1;
          if (outcome === "unreadable") unreadableShops.add(row.shop);
          break;
        }
        stored = await readSecretCiphertext(sql, row.shop);
      }
    }
    if (rows.length < PAGE) break;
    after = rows[rows.length - 1].shop;
  }

  for (let after = ""; ;) {
    const rows = await listSessionTokens(sql, after, PAGE);
    for (const first of rows) {
      let row: SessionTokensRow | undefined = first;
      for (let i = 0; row && i < ROW_RETRIES; i++) {
        const access = row.accessToken ? resealed(box, row.accessToken, row.shop, "access_token") : null;
        const refresh = row.refreshToken ? resealed(box, row.refreshToken, row.shop, "refresh_token") : null;
        const next = { accessToken: access?.next ?? row.accessToken, refreshToken: refresh?.next ?? row.refreshToken };
        const changed = access?.next != null || refresh?.next != null;
        if (!changed || (await replaceSessionTokens(sql, row.id, row, next))) {
          for (const r of [access, refresh]) {
            if (!r) continue;
            report.shopifyTokens[r.outcome] += 1;
            if (r.outcome === "unreadable") unreadableShops.add(row.shop);
          }
          break;
        }
        row = await readSessionTokens(sql, row.id);
      }
    }
    if (rows.length < PAGE) break;
    after = rows[rows.length - 1].id;
  }
  report.unreadableShops = [...unreadableShops].sort();
  return report;
}
