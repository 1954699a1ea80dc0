import { createContext, useContext, useMemo, type ReactNode } from "react";
import { en, type MessageKey, type Messages } from "./en";
import { DEFAULT_LOCALE, type Locale } from "./locale";
import { zhCN } from "./zh-CN";

// The app's own messages (Polaris brings its own translations for its components). Times are shown in UTC
// and formatted by hand: the server and the browser must render the same text, whatever their ICU data.

export const CATALOGS: Record<Locale, Messages> = { en, "zh-CN": zhCN };

export type Vars = Record<string, string | number>;

export function translate(messages: Messages, key: MessageKey, vars?: Vars): string {
  const template = messages[key] ?? en[key] ?? key;
  if (!vars) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in vars ? String(vars[name]) : whole));
}

const pad = (n: number) => String(n).padStart(2, "0");

/** `2026-11-28 19:10 UTC`: the same in every language, on the server and in the browser. */
export function formatDateTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "—";
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} UTC`;
}

/** `11-28` for a day's start (UTC). */
export function formatDay(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

/** 12,345 */
export function formatNumber(n: number): string {
  return String(Math.trunc(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

export interface I18n {
  locale: Locale;
  t: (key: MessageKey, vars?: Vars) => string;
}

export function createI18n(locale: Locale): I18n {
  const messages = CATALOGS[locale] ?? en;
  return { locale, t: (key, vars) => translate(messages, key, vars) };
}

const I18nContext = createContext<I18n>(createI18n(DEFAULT_LOCALE));

export function I18nProvider({ locale, children }: { locale: Locale; children: ReactNode }) {
  const value = useMemo(() => createI18n(locale), [locale]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  return useContext(I18nContext);
}
