// The push settings form of the admin: its values as the browser edits them, and the patch they make. The
// patch is checked by the one settings schema (settings-schema.ts), in the browser for inline errors and by
// updateShopSettings on the server, which saves nothing when any field is wrong.
import type { ZodError } from "zod";
import { TRACKING_STATUSES, type CodOrderChoice, type RecipientPreference, type TrackingStatus } from "../pushes/types";
import { ShopSettingsPatchSchema } from "./settings-schema";
// Type only: erased from the browser bundle, so the server module never reaches the client.
import type { ShopSettings } from "./shop-settings";

export const SettingsFormSchema = ShopSettingsPatchSchema.pick({
  receiptEnabled: true,
  unpaidEnabled: true,
  packageEnabled: true,
  unpaidDelayMinutes: true,
  recipientPreference: true,
  testOrdersEnabled: true,
  paused: true,
  packageStatuses: true,
  codOrders: true,
  codGatewayNames: true,
  termsReminderEnabled: true,
  optinEnabled: true,
  optinButtonEn: true,
  optinButtonZhCn: true,
  cancelNoticeEnabled: true,
  refundNoticeEnabled: true,
}).strict();

export interface SettingsFormValues {
  receiptEnabled: boolean;
  unpaidEnabled: boolean;
  packageEnabled: boolean;
  /** As typed: the field is text until it is saved. */
  unpaidDelayMinutes: string;
  recipientPreference: RecipientPreference;
  testOrdersEnabled: boolean;
  paused: boolean;
  packageStatuses: TrackingStatus[];
  codOrders: CodOrderChoice;
  /** As typed: one name per line. */
  codGatewayNames: string;
  termsReminderEnabled: boolean;
  optinEnabled: boolean;
  /** As typed; empty: the block's own words. */
  optinButtonEn: string;
  optinButtonZhCn: string;
  cancelNoticeEnabled: boolean;
  refundNoticeEnabled: boolean;
}

/** The settings a shop's pushes follow, as the form shows them (the database's defaults for a new shop). */
export function formValuesOf(
  settings: Pick<
    ShopSettings,
    | "receiptEnabled"
    | "unpaidEnabled"
    | "packageEnabled"
    | "unpaidDelayMinutes"
    | "recipientPreference"
    | "testOrdersEnabled"
    | "paused"
    | "packageStatuses"
    | "codOrders"
    | "codGatewayNames"
    | "termsReminderEnabled"
    | "optinEnabled"
    | "optinButtonEn"
    | "optinButtonZhCn"
    | "cancelNoticeEnabled"
    | "refundNoticeEnabled"
  > | null,
): SettingsFormValues {
  return {
    receiptEnabled: settings?.receiptEnabled ?? true,
    unpaidEnabled: settings?.unpaidEnabled ?? true,
    packageEnabled: settings?.packageEnabled ?? true,
    unpaidDelayMinutes: String(settings?.unpaidDelayMinutes ?? 0),
    recipientPreference: settings?.recipientPreference ?? "email",
    testOrdersEnabled: settings?.testOrdersEnabled ?? true,
    paused: settings?.paused ?? false,
    packageStatuses: settings?.packageStatuses ?? [...TRACKING_STATUSES],
    codOrders: settings?.codOrders ?? "confirmation",
    codGatewayNames: (settings?.codGatewayNames ?? []).join("\n"),
    termsReminderEnabled: settings?.termsReminderEnabled ?? true,
    optinEnabled: settings?.optinEnabled ?? false,
    optinButtonEn: settings?.optinButtonEn ?? "",
    optinButtonZhCn: settings?.optinButtonZhCn ?? "",
    cancelNoticeEnabled: settings?.cancelNoticeEnabled ?? false,
    refundNoticeEnabled: settings?.refundNoticeEnabled ?? false,
  };
}

/** A whole number typed as text becomes a number; anything else stays as it is, for the schema to refuse. */
export function minutesOf(value: unknown): unknown {
  if (typeof value === "string" && /^\s*-?\d{1,9}\s*$/.test(value)) return Number(value.trim());
  return value;
}

/** The patch the form's values make: every tracking status ticked means all of them (null), new ones included. */
export function patchOf(values: Record<string, unknown>): Record<string, unknown> {
  const patch: Record<string, unknown> = { ...values };
  if ("unpaidDelayMinutes" in patch) patch.unpaidDelayMinutes = minutesOf(patch.unpaidDelayMinutes);
  // The merchant's COD names are typed one per line; blank lines are no names.
  if (typeof patch.codGatewayNames === "string") {
    patch.codGatewayNames = patch.codGatewayNames
      .split(/\r?\n/)
      .map((name) => name.trim())
      .filter((name) => name !== "");
  }
  const statuses = patch.packageStatuses;
  if (Array.isArray(statuses) && TRACKING_STATUSES.every((s) => statuses.includes(s))) patch.packageStatuses = null;
  return patch;
}

export function fieldErrorsOf(error: ZodError): Record<string, string> {
  const out: Record<string, string> = {};
  for (const issue of error.issues) {
    const field = issue.code === "unrecognized_keys" ? issue.keys.join(",") : String(issue.path[0] ?? "settings");
    out[field] ??= issue.message;
  }
  return out;
}

/** The field errors of the form's values, empty when they can be saved. */
export function validateSettingsForm(values: SettingsFormValues | Record<string, unknown>): Record<string, string> {
  const parsed = SettingsFormSchema.safeParse(patchOf(values as Record<string, unknown>));
  return parsed.success ? {} : fieldErrorsOf(parsed.error);
}
