import en from "@shopify/polaris/locales/en.json";
import zhCN from "@shopify/polaris/locales/zh-CN.json";
import type { Locale } from "./locale";

// Polaris' own translations (its buttons, pagination, filters, badges' hidden labels), sent to the browser with
// the layout's data so that only the admin's language travels.
const POLARIS: Record<Locale, typeof en> = { en, "zh-CN": zhCN as typeof en };

export function polarisTranslations(locale: Locale): typeof en {
  return POLARIS[locale] ?? en;
}
