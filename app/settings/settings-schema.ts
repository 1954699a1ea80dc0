import { z } from "zod";
import { TRACKING_STATUSES } from "../pushes/types";

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

export const JoinChatSecretSchema = z
  .string()
  .regex(/^[\x21-\x7e]{8,256}$/, "must be the JoinChat API secret: 8 to 256 visible characters, no spaces");

export const MAX_UNPAID_DELAY_MINUTES = 10_080;

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
  })
  .partial()
  .strict();

export type ShopSettingsPatch = z.infer<typeof ShopSettingsPatchSchema>;
