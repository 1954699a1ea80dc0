import type { Sql } from "../db/database.server";

// Table shop_settings: one row per shop (the linked page, the encrypted JoinChat secret, the push switches). The
// settings service (app/settings/settings.server.ts) validates and maps; every statement on the table is here.

export interface ShopSettingsRow {
  shop: string;
  page_id: string | null;
  secret_ciphertext: string | null;
  secret_set_at: number | null;
  receipt_enabled: number;
  unpaid_enabled: number;
  package_enabled: number;
  unpaid_delay_minutes: number;
  recipient_preference: string;
  test_orders_enabled: number;
  paused: number;
  package_statuses: string | null;
  cod_orders: string;
  /** One name per line. */
  cod_gateway_names: string | null;
  terms_reminder_enabled: number;
  optin_enabled: number;
  optin_button_en: string | null;
  optin_button_zh_cn: string | null;
  cancel_notice_enabled: number;
  refund_notice_enabled: number;
  created_at: number;
  updated_at: number;
}

/** The columns a settings change may set (shop and times are the store's). */
export type ShopSettingsColumn =
  | "page_id"
  | "secret_ciphertext"
  | "secret_set_at"
  | "receipt_enabled"
  | "unpaid_enabled"
  | "package_enabled"
  | "unpaid_delay_minutes"
  | "recipient_preference"
  | "test_orders_enabled"
  | "paused"
  | "package_statuses"
  | "cod_orders"
  | "cod_gateway_names"
  | "terms_reminder_enabled"
  | "optin_enabled"
  | "optin_button_en"
  | "optin_button_zh_cn"
  | "cancel_notice_enabled"
  | "refund_notice_enabled";

const SETTINGS_COLUMNS =
  "shop, page_id, secret_ciphertext, secret_set_at, receipt_enabled, unpaid_enabled, package_enabled, unpaid_delay_minutes, recipient_preference, test_orders_enabled, paused, package_statuses, cod_orders, cod_gateway_names, terms_reminder_enabled, optin_enabled, optin_button_en, optin_button_zh_cn, cancel_notice_enabled, refund_notice_enabled, created_at, updated_at";

export async function readShopSettingsRow(sql: Sql, shop: string): Promise<ShopSettingsRow | undefined> {
  return sql.get<ShopSettingsRow>(`SELECT ${SETTINGS_COLUMNS} FROM shop_settings WHERE shop = ?`, [shop]);
}

/** The shop's encrypted JoinChat secret, or null when it has none. */
export async function readSecretCiphertext(sql: Sql, shop: string): Promise<string | null> {
  const row = await sql.get<{ secret_ciphertext: string | null }>("SELECT secret_ciphertext FROM shop_settings WHERE shop = ?", [shop]);
  return row?.secret_ciphertext ?? null;
}

/** Shops' encrypted JoinChat secrets, in shop order after `afterShop`, `limit` at a time (`secrets rotate`, the start-up check). */
export async function listSecretCiphertexts(sql: Sql, afterShop: string, limit: number): Promise<{ shop: string; secret_ciphertext: string }[]> {
  return sql.all<{ shop: string; secret_ciphertext: string }>(
    "SELECT shop, secret_ciphertext FROM shop_settings WHERE secret_ciphertext IS NOT NULL AND shop > ? ORDER BY shop LIMIT ?",
    [afterShop, limit],
  );
}

/**
 * The same secret sealed again (`secrets rotate`): only while the row still holds `expected`, so a secret the merchant
 * saved meanwhile stands. Not a change of the settings: updated_at and secret_set_at stay. False when the row moved on.
 */
export async function replaceSecretCiphertext(sql: Sql, shop: string, expected: string, next: string): Promise<boolean> {
  const { changes } = await sql.run("UPDATE shop_settings SET secret_ciphertext = ? WHERE shop = ? AND secret_ciphertext = ?", [next, shop, expected]);
  return changes === 1;
}

/** Sets these columns of the shop's row, creating it (with the schema's defaults for the rest) when it is missing. */
export async function upsertShopSettings(sql: Sql, shop: string, columns: Partial<Record<ShopSettingsColumn, unknown>>, now: number): Promise<void> {
  const names = Object.keys(columns) as ShopSettingsColumn[];
  const insertNames = ["shop", ...names, "created_at", "updated_at"];
  const updates = [...names.map((n) => `${n} = excluded.${n}`), "updated_at = excluded.updated_at"];
  await sql.run(
    `INSERT INTO shop_settings (${insertNames.join(", ")}) VALUES (${insertNames.map(() => "?").join(", ")})
     ON CONFLICT (shop) DO UPDATE SET ${updates.join(", ")}`,
    [shop, ...names.map((n) => columns[n]), now, now],
  );
}

/** Deletes the shop's settings (an uninstall: a reinstall starts clean; shop/redact). */
export async function deleteShopSettings(sql: Sql, shop: string): Promise<void> {
  await sql.run("DELETE FROM shop_settings WHERE shop = ?", [shop]);
}
