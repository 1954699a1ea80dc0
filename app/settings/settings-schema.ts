import { z } from "zod";
import { COD_ORDER_CHOICES, TRACKING_STATUSES } from "../pushes/types";

// One schema serves the CLI, the admin forms and the service: a wrong value is refused the same way everywhere.

export const ShopDomainSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9][a-z0-9-]*\.myshopify\.com$/, "must be a shop's myshopify.com domain, e.g. my-shop.myshopify.com");

export const PageIdSchema = z
  .string()
  .trim()
  .regex(/^\d{1,30}$/, "must be the Facebook page id: digits only");

export const JoinChatSecretSchema = z.string().regex(/^[\x21-\x7e]{8,256}$/, "must be the JoinChat API secret: 8 to 256 visible characters, no spaces");

export const MAX_UNPAID_DELAY_MINUTES = 10_080;
export const MAX_COD_GATEWAY_NAMES = 20;
export const MAX_COD_GATEWAY_NAME_LENGTH = 100;

export const CodGatewayNamesSchema = z
  .array(
    z
      .string()
      .trim()
      .min(1, "must not be blank")
      .max(MAX_COD_GATEWAY_NAME_LENGTH, `must be at most ${MAX_COD_GATEWAY_NAME_LENGTH} characters each`)
      .regex(/^[^\n\r]+$/, "must be one name per line"),
  )
  .max(MAX_COD_GATEWAY_NAMES, `must be at most ${MAX_COD_GATEWAY_NAMES} names`);

/** The opt-in button's words (decision 020): one line of text, or null for the block's own words. */
export const MAX_OPTIN_BUTTON_LENGTH = 40;
export const OptinButtonTextSchema = z
  .string()
  .trim()
  .max(MAX_OPTIN_BUTTON_LENGTH, `must be at most ${MAX_OPTIN_BUTTON_LENGTH} characters`)
  .regex(/^[^\p{Cc}]*$/u, "must be one line of text")
  .transform((text) => (text === "" ? null : text))
  .nullable();

export const ShopSettingsPatchSchema = z
  .object({
    pageId: PageIdSchema.nullable(),
    secret: JoinChatSecretSchema.nullable(),
    receiptEnabled: z.boolean(),
    unpaidEnabled: z.boolean(),
    packageEnabled: z.boolean(),
    unpaidDelayMinutes: z
      .number()
      .int("must be a whole number of minutes")
      .min(0, "must be 0 or more minutes")
      .max(MAX_UNPAID_DELAY_MINUTES, `must be at most ${MAX_UNPAID_DELAY_MINUTES} minutes (7 days)`),
    recipientPreference: z.enum(["email", "phone"]),
    testOrdersEnabled: z.boolean(),
    paused: z.boolean(),
    packageStatuses: z.array(z.enum(TRACKING_STATUSES)).nullable(),
    codOrders: z.enum(COD_ORDER_CHOICES),
    codGatewayNames: CodGatewayNamesSchema,
    termsReminderEnabled: z.boolean(),
    optinEnabled: z.boolean(),
    optinButtonEn: OptinButtonTextSchema,
    optinButtonZhCn: OptinButtonTextSchema,
    cancelNoticeEnabled: z.boolean(),
    refundNoticeEnabled: z.boolean(),
  })
  .partial()
  .strict();

export type ShopSettingsPatch = z.infer<typeof ShopSettingsPatchSchema>;
