import type { Sql } from "../db/database.server";

// Table "Session": Shopify's sessions, written by @shopify/shopify-app-session-storage-prisma (app/shopify.server.ts).
// What the app itself reads or changes of them (the webhooks' scope update, uninstall, shop/redact; the Admin
// API layer's token reads and refreshes are in app/shopify/admin-api/access-store.server.ts) is here, in plain SQL like every other table.

/** app/scopes_update: the scope now granted, on every session of the shop. */
export async function updateSessionScopes(sql: Sql, shop: string, scope: string): Promise<void> {
  await sql.run(`UPDATE "Session" SET "scope" = ? WHERE "shop" = ?`, [scope, shop]);
}

export async function deleteSessionsOfShop(sql: Sql, shop: string): Promise<void> {
  await sql.run(`DELETE FROM "Session" WHERE "shop" = ?`, [shop]);
}

export interface SessionTokensRow {
  id: string;
  shop: string;
  accessToken: string;
  refreshToken: string | null;
}

/** Sessions' tokens as stored, in id order after `afterId`, `limit` at a time (`secrets rotate`, the start-up check). */
export async function listSessionTokens(sql: Sql, afterId: string, limit: number): Promise<SessionTokensRow[]> {
  return sql.all<SessionTokensRow>(`SELECT "id", "shop", "accessToken", "refreshToken" FROM "Session" WHERE "id" > ? ORDER BY "id" LIMIT ?`, [afterId, limit]);
}

/**
 * The same tokens sealed again (`secrets rotate`): only while the session still holds `expected` as stored, so a
 * token exchange or refresh written meanwhile stands. False when the row moved on.
 */
export async function replaceSessionTokens(
  sql: Sql,
  id: string,
  expected: Pick<SessionTokensRow, "accessToken" | "refreshToken">,
  next: Pick<SessionTokensRow, "accessToken" | "refreshToken">,
): Promise<boolean> {
  const { changes } = await sql.run(
    `UPDATE "Session" SET "accessToken" = ?, "refreshToken" = ?
     WHERE "id" = ? AND "accessToken" = ? AND "refreshToken" IS NOT DISTINCT FROM ?`,
    [next.accessToken, next.refreshToken, id, expected.accessToken, expected.refreshToken],
  );
  return changes === 1;
}

/** One session's tokens as stored, or undefined when it is gone. */
export async function readSessionTokens(sql: Sql, id: string): Promise<SessionTokensRow | undefined> {
  return sql.get<SessionTokensRow>(`SELECT "id", "shop", "accessToken", "refreshToken" FROM "Session" WHERE "id" = ?`, [id]);
}
