import { createHash } from "node:crypto";
import type { Sql } from "../../db/database.server";
import { log } from "../../logger.server";
import { inspectSealed, openToken, sealToken, SecretBoxError, type SecretBox } from "../../settings/secret-box.server";

// The layer's data access, and nothing else of it: the offline session's tokens (the Session table Shopify's
// session storage writes), the per-shop refresh lease and reconnect mark (shopify_access), and the lookup caches
// (product_image, customer_psid). One interface, so that it can move into the app's stores as it is.
//
// The tokens are sealed at rest under ENCRYPTION_KEY (docs/decisions/022-key-ring-and-bound-secrets.md), as Shopify's
// session storage writes them (app/shopify/sealed-session-storage.server.ts): opened on read, sealed on write; a token
// stored in clear before still reads. A compare-and-set on a token compares what it opens to, then changes the row
// only if it still holds that same ciphertext (`secrets rotate` may have sealed it again meanwhile: then again).
//
// Session's DateTime columns are what Prisma writes: ISO text with an offset on SQLite, a timestamp(3) without time
// zone holding UTC on PostgreSQL. They are read as text (CAST) and written as text in the same form, so that
// Shopify's session storage (Prisma) reads back what this wrote, whatever the machine's time zone.

export interface OfflineSessionTokens {
  accessToken: string;
  /** Unix ms; null: a token that does not expire. */
  expiresAt: number | null;
  refreshToken: string | null;
  refreshTokenExpiresAt: number | null;
  scope: string | null;
}

export interface ReconnectMark {
  reason: string;
  since: number;
  /** sha256 of the access token Shopify refused; the mark holds while the session still has it. */
  refusedTokenHash: string;
}

export interface StoredSession {
  tokens: OfflineSessionTokens;
  mark: ReconnectMark | null;
}

export interface CachedValue {
  value: string | null;
  fetchedAt: number;
}

export interface AdminAccessStore {
  /** The shop's offline session and its reconnect mark, in one read. */
  readOfflineSession(shop: string): Promise<StoredSession | null>;
  /** Stores a refreshed pair if the session still holds `expectedAccessToken`; false when another got there first. */
  replaceTokens(shop: string, expectedAccessToken: string, next: OfflineSessionTokens): Promise<boolean>;
  /** Takes the shop's refresh lease when nobody holds it (or its holder's time ran out). */
  takeRefreshLease(shop: string, owner: string, now: number, until: number): Promise<boolean>;
  releaseRefreshLease(shop: string, owner: string, now: number): Promise<void>;
  /**
   * Marks the shop as needing the merchant to open the app, about this access token; and ends that token's life in
   * the session, so that the next authenticate.admin exchanges a new one instead of trusting it.
   */
  markReconnect(shop: string, reason: string, refusedAccessToken: string, now: number): Promise<void>;
  /** Clears the mark; with `onlyIfHash`, only a mark about that token (a stale one, the session moved on). */
  clearReconnect(shop: string, now: number, onlyIfHash?: string): Promise<void>;
  /** Marks that still hold (their session has the refused token), oldest first. */
  listReconnectMarks(): Promise<({ shop: string } & Omit<ReconnectMark, "refusedTokenHash">)[]>;

  readProductImages(shop: string, productGids: string[]): Promise<Map<string, CachedValue>>;
  writeProductImages(shop: string, images: Map<string, string | null>, now: number): Promise<void>;
  deleteProductImages(shop: string, productGids?: string[]): Promise<number>;
  readCustomerPsid(shop: string, customerGid: string): Promise<CachedValue | null>;
  writeCustomerPsid(shop: string, customerGid: string, psid: string | null, now: number): Promise<void>;
  deleteCustomerPsids(shop: string, customerGid?: string): Promise<number>;
  /** Retention: deletes at most `limit` cached PSIDs (of any shop) fetched before `before`; how many went. */
  deleteCustomerPsidsFetchedBefore(before: number, limit: number): Promise<number>;
  /** The shop's lease and mark (shop/redact). */
  deleteAccess(shop: string): Promise<void>;
}

export function hashAccessToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

const offlineId = (shop: string) => `offline_${shop}`;

/** A Session DateTime read as text: ISO with or without an offset, PostgreSQL's `2026-11-30 12:00:00.123` (UTC), or ms. */
export function parseSessionTime(text: string | null | undefined): number | null {
  if (text === null || text === undefined || text === "") return null;
  if (/^\d+$/.test(text)) return Number(text);
  let iso = text.trim().replace(" ", "T");
  if (!/(Z|[+-]\d{2}:?\d{2})$/.test(iso)) iso += "Z";
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : ms;
}

/** A Session DateTime to write, in the form Prisma writes on that database. */
export function formatSessionTime(ms: number | null, kind: Sql["kind"]): string | null {
  if (ms === null) return null;
  const iso = new Date(ms).toISOString();
  return kind === "postgres" ? iso.replace("Z", "") : iso.replace("Z", "+00:00");
}

interface SessionRow {
  accessToken: string;
  expires: string | null;
  refreshToken: string | null;
  refreshTokenExpires: string | null;
  scope: string | null;
  reconnect_reason: string | null;
  reconnect_since: number | null;
  refused_token_hash: string | null;
}

/** How often a compare-and-set on a token looks again when the row's ciphertext changed under it but not its token. */
const RESEAL_RETRIES = 5;

/**
 * `box`: opens and seals the tokens. null (the CLI without ENCRYPTION_KEY): sealed tokens cannot be opened; a shop
 * with a reconnect mark reads as marked.
 */
export function createAdminAccessStore(sql: Sql, box: SecretBox | null): AdminAccessStore {
  const time = (ms: number | null) => formatSessionTime(ms, sql.kind);
  /** The token in clear; null when it cannot be opened (no key, or a key that does not read it). */
  const open = (stored: string, shop: string, field: "access_token" | "refresh_token"): string | null => {
    try {
      return box ? openToken(box, stored, shop, field) : inspectSealed(stored) ? null : stored;
    } catch (error) {
      if (!(error instanceof SecretBoxError)) throw error;
      log.warn("a Shopify token cannot be read with ENCRYPTION_KEY", { shop, error: error.message });
      return null;
    }
  };
  const seal = (token: string, shop: string, field: "access_token" | "refresh_token"): string => {
    if (!box) throw new SecretBoxError("ENCRYPTION_KEY is required to store a Shopify token");
    return sealToken(box, token, shop, field);
  };
  /** The offline session's stored access token (as stored) when it opens to `token`; null when it holds another. */
  const storedAccessToken = async (shop: string, token: string): Promise<string | null> => {
    const row = await sql.get<{ accessToken: string }>(`SELECT "accessToken" FROM "Session" WHERE "id" = ?`, [offlineId(shop)]);
    return row && open(row.accessToken, shop, "access_token") === token ? row.accessToken : null;
  };

  return {
    async readOfflineSession(shop) {
      const row = await sql.get<SessionRow>(
        `SELECT s."accessToken", CAST(s."expires" AS TEXT) AS "expires", s."refreshToken",
                CAST(s."refreshTokenExpires" AS TEXT) AS "refreshTokenExpires", s."scope",
                a.reconnect_reason, a.reconnect_since, a.refused_token_hash
         FROM "Session" s LEFT JOIN shopify_access a ON a.shop = s."shop"
         WHERE s."id" = ?`,
        [offlineId(shop)],
      );
      if (!row) return null;
      const accessToken = open(row.accessToken, shop, "access_token");
      const refreshToken = row.refreshToken ? open(row.refreshToken, shop, "refresh_token") : null;
      // A token the keys cannot open is no token: the merchant's next visit exchanges a new one.
      if (accessToken === null || (row.refreshToken && refreshToken === null)) {
        if (box) return null;
        // Without ENCRYPTION_KEY (the CLI, reading): the session is there, its tokens unknown; a mark is taken to hold.
        return {
          tokens: { accessToken: "", expiresAt: parseSessionTime(row.expires), refreshToken: null, refreshTokenExpiresAt: null, scope: row.scope },
          mark:
            row.reconnect_reason && row.refused_token_hash
              ? { reason: row.reconnect_reason, since: Number(row.reconnect_since ?? 0), refusedTokenHash: hashAccessToken("") }
              : null,
        };
      }
      return {
        tokens: {
          accessToken,
          expiresAt: parseSessionTime(row.expires),
          refreshToken: refreshToken || null,
          refreshTokenExpiresAt: parseSessionTime(row.refreshTokenExpires),
          scope: row.scope,
        },
        mark:
          row.reconnect_reason && row.refused_token_hash
            ? { reason: row.reconnect_reason, since: Number(row.reconnect_since ?? 0), refusedTokenHash: row.refused_token_hash }
            : null,
      };
    },

    async replaceTokens(shop, expectedAccessToken, next) {
      const sealedAccess = seal(next.accessToken, shop, "access_token");
      const sealedRefresh = next.refreshToken === null ? null : seal(next.refreshToken, shop, "refresh_token");
      for (let i = 0; i < RESEAL_RETRIES; i++) {
        const stored = await storedAccessToken(shop, expectedAccessToken);
        if (stored === null) return false;
        const { changes } = await sql.run(
          `UPDATE "Session" SET "accessToken" = ?, "expires" = ?, "refreshToken" = ?, "refreshTokenExpires" = ?, "scope" = COALESCE(?, "scope")
           WHERE "id" = ? AND "accessToken" = ?`,
          [sealedAccess, time(next.expiresAt), sealedRefresh, time(next.refreshTokenExpiresAt), next.scope, offlineId(shop), stored],
        );
        if (changes === 1) return true;
      }
      return false;
    },

    async takeRefreshLease(shop, owner, now, until) {
      const { changes } = await sql.run(
        `INSERT INTO shopify_access (shop, refresh_owner, refresh_until, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (shop) DO UPDATE SET refresh_owner = excluded.refresh_owner, refresh_until = excluded.refresh_until, updated_at = excluded.updated_at
         WHERE shopify_access.refresh_until IS NULL OR shopify_access.refresh_until <= ?`,
        [shop, owner, until, now, now],
      );
      return changes === 1;
    },

    async releaseRefreshLease(shop, owner, now) {
      await sql.run(`UPDATE shopify_access SET refresh_owner = NULL, refresh_until = NULL, updated_at = ? WHERE shop = ? AND refresh_owner = ?`, [
        now,
        shop,
        owner,
      ]);
    },

    async markReconnect(shop, reason, refusedAccessToken, now) {
      const hash = hashAccessToken(refusedAccessToken);
      await sql.run(
        `INSERT INTO shopify_access (shop, reconnect_reason, reconnect_since, refused_token_hash, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (shop) DO UPDATE SET
           reconnect_since = CASE WHEN shopify_access.reconnect_reason IS NOT NULL AND shopify_access.refused_token_hash = excluded.refused_token_hash
                                  THEN shopify_access.reconnect_since ELSE excluded.reconnect_since END,
           reconnect_reason = excluded.reconnect_reason, refused_token_hash = excluded.refused_token_hash, updated_at = excluded.updated_at`,
        [shop, reason, now, hash, now],
      );
      for (let i = 0; i < RESEAL_RETRIES; i++) {
        const stored = await storedAccessToken(shop, refusedAccessToken);
        if (stored === null) return;
        const { changes } = await sql.run(`UPDATE "Session" SET "expires" = ? WHERE "id" = ? AND "accessToken" = ? AND ("expires" IS NULL OR "expires" > ?)`, [
          time(now),
          offlineId(shop),
          stored,
          time(now),
        ]);
        if (changes === 1 || (await storedAccessToken(shop, refusedAccessToken)) === stored) return;
      }
    },

    async clearReconnect(shop, now, onlyIfHash) {
      await sql.run(
        `UPDATE shopify_access SET reconnect_reason = NULL, reconnect_since = NULL, refused_token_hash = NULL, updated_at = ?
         WHERE shop = ? AND reconnect_reason IS NOT NULL${onlyIfHash ? " AND refused_token_hash = ?" : ""}`,
        onlyIfHash ? [now, shop, onlyIfHash] : [now, shop],
      );
    },

    async listReconnectMarks() {
      const rows = await sql.all<{ shop: string; reconnect_reason: string; reconnect_since: number; accessToken: string; refused_token_hash: string }>(
        `SELECT a.shop, a.reconnect_reason, a.reconnect_since, a.refused_token_hash, s."accessToken"
         FROM shopify_access a JOIN "Session" s ON s."id" = 'offline_' || a.shop
         WHERE a.reconnect_reason IS NOT NULL ORDER BY a.reconnect_since, a.shop`,
      );
      return rows
        .filter((r) => {
          const token = open(r.accessToken, r.shop, "access_token");
          // Without the key the mark is taken as it is.
          return token === null ? !box : hashAccessToken(token) === r.refused_token_hash;
        })
        .map((r) => ({ shop: r.shop, reason: r.reconnect_reason, since: Number(r.reconnect_since) }));
    },

    async readProductImages(shop, productGids) {
      const found = new Map<string, CachedValue>();
      if (productGids.length === 0) return found;
      const rows = await sql.all<{ product_gid: string; url: string | null; fetched_at: number }>(
        `SELECT product_gid, url, fetched_at FROM product_image WHERE shop = ? AND product_gid IN (${productGids.map(() => "?").join(", ")})`,
        [shop, ...productGids],
      );
      for (const row of rows) found.set(row.product_gid, { value: row.url, fetchedAt: Number(row.fetched_at) });
      return found;
    },

    async writeProductImages(shop, images, now) {
      for (const [gid, url] of images) {
        await sql.run(
          `INSERT INTO product_image (shop, product_gid, url, fetched_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (shop, product_gid) DO UPDATE SET url = excluded.url, fetched_at = excluded.fetched_at`,
          [shop, gid, url, now],
        );
      }
    },

    async deleteProductImages(shop, productGids) {
      if (productGids?.length === 0) return 0;
      const { changes } = productGids
        ? await sql.run(`DELETE FROM product_image WHERE shop = ? AND product_gid IN (${productGids.map(() => "?").join(", ")})`, [shop, ...productGids])
        : await sql.run(`DELETE FROM product_image WHERE shop = ?`, [shop]);
      return changes;
    },

    async readCustomerPsid(shop, customerGid) {
      const row = await sql.get<{ psid: string | null; fetched_at: number }>(`SELECT psid, fetched_at FROM customer_psid WHERE shop = ? AND customer_gid = ?`, [
        shop,
        customerGid,
      ]);
      return row ? { value: row.psid, fetchedAt: Number(row.fetched_at) } : null;
    },

    async writeCustomerPsid(shop, customerGid, psid, now) {
      await sql.run(
        `INSERT INTO customer_psid (shop, customer_gid, psid, fetched_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (shop, customer_gid) DO UPDATE SET psid = excluded.psid, fetched_at = excluded.fetched_at`,
        [shop, customerGid, psid, now],
      );
    },

    async deleteCustomerPsids(shop, customerGid) {
      const { changes } = customerGid
        ? await sql.run(`DELETE FROM customer_psid WHERE shop = ? AND customer_gid = ?`, [shop, customerGid])
        : await sql.run(`DELETE FROM customer_psid WHERE shop = ?`, [shop]);
      return changes;
    },

    async deleteCustomerPsidsFetchedBefore(before, limit) {
      const { changes } = await sql.run(
        `DELETE FROM customer_psid WHERE (shop, customer_gid) IN (
           SELECT shop, customer_gid FROM customer_psid WHERE fetched_at < ? ORDER BY fetched_at LIMIT ?)`,
        [before, limit],
      );
      return changes;
    },

    async deleteAccess(shop) {
      await sql.run(`DELETE FROM shopify_access WHERE shop = ?`, [shop]);
    },
  };
}
