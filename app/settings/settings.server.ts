import type { ZodError } from "zod";
import type { Sql } from "../db/database.server";
import { COD_ORDER_CHOICES, type CodOrderChoice, type TrackingStatus } from "../pushes/types";
import {
  readSecretCiphertext,
  readShopSettingsRow,
  upsertShopSettings,
  type ShopSettingsColumn,
  type ShopSettingsRow,
} from "../stores/shop-settings-store.server";
import type { SecretBox } from "./secret-box.server";
import type { ShopSettings } from "./shop-settings";
import { ShopDomainSchema, ShopSettingsPatchSchema, type ShopSettingsPatch } from "./settings-schema";

export class SettingsError extends Error {
  name = "SettingsError";
  constructor(readonly fieldErrors: Record<string, string>) {
    super(
      Object.entries(fieldErrors)
        .map(([field, msg]) => `${field} ${msg}`)
        .join("; "),
    );
  }
}

function settingsFromRow(row: ShopSettingsRow): ShopSettings {
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
    codOrders: (COD_ORDER_CHOICES as readonly string[]).includes(row.cod_orders) ? (row.cod_orders as CodOrderChoice) : "confirmation",
    codGatewayNames: (row.cod_gateway_names ?? "").split("\n").filter((name) => name.trim() !== ""),
    termsReminderEnabled: row.terms_reminder_enabled === 1,
    optinEnabled: row.optin_enabled === 1,
    optinButtonEn: row.optin_button_en,
    optinButtonZhCn: row.optin_button_zh_cn,
    cancelNoticeEnabled: row.cancel_notice_enabled === 1,
    refundNoticeEnabled: row.refund_notice_enabled === 1,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

function zodFieldErrors(error: ZodError): Record<string, string> {
  const out: Record<string, string> = {};
  for (const issue of error.issues) out[issue.path.join(".") || "settings"] ??= issue.message;
  return out;
}

/** Why a notice cannot be turned on in this installation. */
export const NOTICES_UNAVAILABLE = "cannot be turned on: JOINCHAT_SEND_API_URL (JoinChat's Send API) is not set";

export interface SettingsOptions {
  /** JOINCHAT_SEND_API_URL is set: the notices may be turned on. */
  noticesAvailable?: boolean;
}

export function parseShopDomain(shop: string): string {
  const parsed = ShopDomainSchema.safeParse(shop);
  if (!parsed.success) throw new SettingsError({ shop: parsed.error.issues[0].message });
  return parsed.data;
}

export async function getShopSettings(sql: Sql, shop: string): Promise<ShopSettings | null> {
  const row = await readShopSettingsRow(sql, shop);
  return row ? settingsFromRow(row) : null;
}

/** The shop's own JoinChat secret, decrypted, or null when it has none. */
export async function getShopSecret(sql: Sql, shop: string, box: SecretBox): Promise<string | null> {
  const ciphertext = await readSecretCiphertext(sql, shop);
  return ciphertext ? box.decrypt(ciphertext, shop) : null;
}

/**
 * One page, one secret: a shop links a page (its first, or another than the linked one) only with that page's own
 * JoinChat API secret in the same change. `operatorSecret`: this shop is the single shop of a deployment whose
 * JOINCHAT_API_SECRET it may push under. Throws SettingsError (secret: is required).
 */
export function requirePageSecret(current: ShopSettings | null, link: { pageId?: string | null; secret?: string | null }, operatorSecret: boolean): void {
  if (operatorSecret || link.pageId === undefined || link.pageId === null || link.secret) return;
  const samePage = current?.secretSet === true && current.pageId === link.pageId.trim();
  if (!samePage) throw new SettingsError({ secret: "is required" });
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
  options: SettingsOptions = {},
): Promise<ShopSettings> {
  const shop = parseShopDomain(shopInput);
  const parsed = ShopSettingsPatchSchema.safeParse(patchInput);
  if (!parsed.success) throw new SettingsError(zodFieldErrors(parsed.error));
  const patch: ShopSettingsPatch = parsed.data;
  if (!options.noticesAvailable) {
    // Notices go through JoinChat's Send API: without its URL, turning one on would only make skipped pushes.
    const refused: Record<string, string> = {};
    if (patch.cancelNoticeEnabled) refused.cancelNoticeEnabled = NOTICES_UNAVAILABLE;
    if (patch.refundNoticeEnabled) refused.refundNoticeEnabled = NOTICES_UNAVAILABLE;
    if (Object.keys(refused).length > 0) throw new SettingsError(refused);
  }

  const columns: Partial<Record<ShopSettingsColumn, unknown>> = {};
  if (patch.pageId !== undefined) columns.page_id = patch.pageId;
  if (patch.secret !== undefined) {
    columns.secret_ciphertext = patch.secret === null ? null : box.encrypt(patch.secret, shop);
    columns.secret_set_at = patch.secret === null ? null : now;
  }
  if (patch.receiptEnabled !== undefined) columns.receipt_enabled = patch.receiptEnabled;
  if (patch.unpaidEnabled !== undefined) columns.unpaid_enabled = patch.unpaidEnabled;
  if (patch.packageEnabled !== undefined) columns.package_enabled = patch.packageEnabled;
  if (patch.unpaidDelayMinutes !== undefined) columns.unpaid_delay_minutes = patch.unpaidDelayMinutes;
  if (patch.recipientPreference !== undefined) columns.recipient_preference = patch.recipientPreference;
  if (patch.testOrdersEnabled !== undefined) columns.test_orders_enabled = patch.testOrdersEnabled;
  if (patch.paused !== undefined) columns.paused = patch.paused;
  if (patch.cancelNoticeEnabled !== undefined) columns.cancel_notice_enabled = patch.cancelNoticeEnabled;
  if (patch.refundNoticeEnabled !== undefined) columns.refund_notice_enabled = patch.refundNoticeEnabled;
  if (patch.packageStatuses !== undefined) {
    columns.package_statuses = patch.packageStatuses === null ? null : [...new Set(patch.packageStatuses)].join(",");
  }

  if (patch.codOrders !== undefined) columns.cod_orders = patch.codOrders;
  if (patch.codGatewayNames !== undefined) {
    columns.cod_gateway_names = patch.codGatewayNames.length === 0 ? null : [...new Set(patch.codGatewayNames)].join("\n");
  }
  if (patch.termsReminderEnabled !== undefined) columns.terms_reminder_enabled = patch.termsReminderEnabled;
  if (patch.optinEnabled !== undefined) columns.optin_enabled = patch.optinEnabled;
  if (patch.optinButtonEn !== undefined) columns.optin_button_en = patch.optinButtonEn;
  if (patch.optinButtonZhCn !== undefined) columns.optin_button_zh_cn = patch.optinButtonZhCn;

  await upsertShopSettings(sql, shop, columns, now);
  const saved = await getShopSettings(sql, shop);
  if (!saved) throw new Error(`settings of ${shop} were not saved`);
  return saved;
}
