// Which of the admin's languages the app speaks: English and Simplified Chinese. The Shopify admin tells an
// embedded app its user's language with the `locale` query parameter (e.g. `zh-CN`, `en`); an online session
// carries it too. Anything else falls back to English.

export const LOCALES = ["en", "zh-CN"] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = "en";

/** The first candidate that names a supported language: `zh`, `zh-CN`, `zh-Hans`, `zh_CN` are Simplified Chinese. */
export function resolveLocale(...candidates: (string | null | undefined)[]): Locale {
  for (const candidate of candidates) {
    const tag = typeof candidate === "string" ? candidate.trim().replace(/_/g, "-").toLowerCase() : "";
    if (!tag) continue;
    if (tag === "zh" || tag === "zh-cn" || tag === "zh-sg" || tag.startsWith("zh-hans")) return "zh-CN";
    // Traditional Chinese is not offered: English rather than the wrong script.
    if (tag.startsWith("zh")) return "en";
    if (tag === "en" || tag.startsWith("en-")) return "en";
  }
  return DEFAULT_LOCALE;
}
