import type { ZodError } from "zod";
import type { Sql } from "../db/database.server";
import type { RecipientPreference, TrackingStatus } from "../pushes/types";
import type { SecretBox } from "./secret-box.server";
import { ShopDomainSchema, ShopSettingsPatchSchema, type ShopSettingsPatch } from "./settings-schema";

/** A shop's settings as the app uses them. The secret itself is never part of it. */
export interface ShopSettings {
  shop: string;
  pageId: string | null;
  secretSet: boolean;
  secretSetAt: number | null;
  receiptEnabled: boolean;
  unpaidEnabled: boolean;
  packageEnabled: boolean;
  unpaidDelayMinutes: number;
  recipientPreference: RecipientPreference;
  testOrdersEnabled: boolean;
  paused: boolean;
  /** null: every tracking status is pushed. */
  packageStatuses: TrackingStatus[] | null;
  createdAt: number;
  updatedAt: number;
}

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
  created_at: number;
  updated_at: number;
}

export class SettingsError extends Error {
  name = "SettingsError";
  constructor(readonly fieldErrors: Record<string, string>) {
    super(Object.entries(fieldErrors).map(([field, msg]) => `${field} ${msg}`).join("; "));
  }
}

export const SETTINGS_COLUMNS =
  "shop, page_id, secret_ciphertext, secret_set_at, receipt_enabled, unpaid_enabled, package_enabled, unpaid_delay_minutes, recipient_preference, test_orders_enabled, paused, package_statuses, created_at, updated_at";

export function settingsFromRow(row: ShopSettingsRow): ShopSettings {
  return {
    shop: row.shop,
    pageId: row.page_id,
    secretSet: row.secret_ciphertext !== null,
    secretSetAt: row.secret_set_at === null ? null : Number(row.secret_set_at),
    receiptEnabled: row.receipt_enabled === 1,
    unpaidEnabled: row.unpaid_enabled === 1,
    packageEnabled: row.package_enabled === 1,
    unpaidDelayMinutes: row.unpaid_delay_minutes,
    recipientPreference: row.recipient_preference === "phone" ? "phone" : "email",
    testOrdersEnabled: row.test_orders_enabled === 1,
    paused: row.paused === 1,
    packageStatuses: row.package_statuses ? (row.package_statuses.split(",") as TrackingStatus[]) : null,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

function zodFieldErrors(error: ZodError): Record<string, string> {
  const out: Record<string, string> = {};
  for (const issue of error.issues) out[issue.path.join(".") || "settings"] ??= issue.message;
  return out;
}

export function parseShopDomain(shop: string): string {
  const parsed = ShopDomainSchema.safeParse(shop);
  if (!parsed.success) throw new SettingsError({ shop: parsed.error.issues[0].message });
  return parsed.data;
}

export async function readShopSettingsRow(sql: Sql, shop: string): Promise<ShopSettingsRow | undefined> {
  return sql.get<ShopSettingsRow>(`SELECT ${SETTINGS_COLUMNS} FROM shop_settings WHERE shop = ?`, [shop]);
}

export async function getShopSettings(sql: Sql, shop: string): Promise<ShopSettings | null> {
  const row = await readShopSettingsRow(sql, shop);
  return row ? settingsFromRow(row) : null;
}

/** The shop's own JoinChat secret, decrypted, or null when it has none. */
export async function getShopSecret(sql: Sql, shop: string, box: SecretBox): Promise<string | null> {
  const row = await sql.get<{ secret_ciphertext: string | null }>(
    "SELECT secret_ciphertext FROM shop_settings WHERE shop = ?",
    [shop],
  );
  return row?.secret_ciphertext ? box.decrypt(row.secret_ciphertext) : null;
}

/**
 * Validates and saves a change of settings. Invalid input throws SettingsError with a message per field
 * and saves nothing.
 */
export async function updateShopSettings(
  sql: Sql,
  shopInput: string,
  patchInput: unknown,
  box: SecretBox,
  now = Date.now(),
): Promise<ShopSettings> {
  const shop = parseShopDomain(shopInput);
  const parsed = ShopSettingsPatchSchema.safeParse(patchInput);
  if (!parsed.success) throw new SettingsError(zodFieldErrors(parsed.error));
  const patch: ShopSettingsPatch = parsed.data;

  const columns: Record<string, unknown> = {};
  if (patch.pageId !== undefined) columns.page_id = patch.pageId;
  if (patch.secret !== undefined) {
    columns.secret_ciphertext = patch.secret === null ? null : box.encrypt(patch.secret);
    columns.secret_set_at = patch.secret === null ? null : now;
  }
  if (patch.receiptEnabled !== undefined) columns.receipt_enabled = patch.receiptEnabled;
  if (patch.unpaidEnabled !== undefined) columns.unpaid_enabled = patch.unpaidEnabled;
  if (patch.packageEnabled !== undefined) columns.package_enabled = patch.packageEnabled;
  if (patch.unpaidDelayMinutes !== undefined) columns.unpaid_delay_minutes = patch.unpaidDelayMinutes;
  if (patch.recipientPreference !== undefined) columns.recipient_preference = patch.recipientPreference;
  if (patch.testOrdersEnabled !== undefined) columns.test_orders_enabled = patch.testOrdersEnabled;
  if (patch.paused !== undefined) columns.paused = patch.paused;
  if (patch.packageStatuses !== undefined) {
    columns.package_statuses = patch.packageStatuses === null ? null : [...new Set(patch.packageStatuses)].join(",");
  }

  const names = Object.keys(columns);
  const insertNames = ["shop", ...names, "created_at", "updated_at"];
  const updates = [...names.map((n) => `${n} = excluded.${n}`), "updated_at = excluded.updated_at"];
  await sql.run(
    `INSERT INTO shop_settings (${insertNames.join(", ")}) VALUES (${insertNames.map(() => "?").join(", ")})
     ON CONFLICT (shop) DO UPDATE SET ${updates.join(", ")}`,
    [shop, ...names.map((n) => columns[n]), now, now],
  );
  const saved = await getShopSettings(sql, shop);
  if (!saved) throw new Error(`settings of ${shop} were not saved`);
  return saved;
}

export async function deleteShopSettings(sql: Sql, shop: string): Promise<void> {
  await sql.run("DELETE FROM shop_settings WHERE shop = ?", [shop]);
}
