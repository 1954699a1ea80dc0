// Structured JSON logs, one line per event. Fields name the shop, topic and push; never a secret or a
// buyer's contact: emails and phones are masked before they reach a line.

type Level = "debug" | "info" | "warn" | "error";
const RANK: Record<Level | "silent", number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

const EMAIL = /([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})/g;
const SECRET_KEYS = /secret|token|password|signature|authorization|encryption/i;
/**
 * Phone numbers in free text: international (`+` and 7 to 15 digits, spaces, dots, dashes, brackets between) or
 * national written with separators (`(613) 555-0123`, `613.555.0123`). A bare run of digits is left alone: order and
 * Messenger ids look the same.
 */
const PHONE = /(?<![\w+])(?:\+\d(?:[\s().-]*\d){6,14}|\(?\d{3}\)?[\s.-]\d{3}[\s.-]\d{4})(?!\w)/g;
// Fields that hold a buyer's contact; free text is scanned for emails and written phone numbers (see PHONE).
const CONTACT_KEYS = /^(email|phone|recipient|recipientValue|recipient_value|contact)$/i;

/** Masks email addresses and phone numbers anywhere in a string. */
export function maskPersonalData(text: string): string {
  return text
    .replace(EMAIL, (_m, first: string, domain: string) => `${first}***@${domain}`)
    .replace(PHONE, (phone) => `***${phone.replace(/\D/g, "").slice(-2)}`);
}

/** Masks a contact value: keeps the first character of an email and the last two digits of anything else. */
export function maskContact(value: string): string {
  if (value.includes("@")) return maskPersonalData(value);
  return `***${value.replace(/\D/g, "").slice(-2)}`;
}

function clean(value: unknown, key = ""): unknown {
  if (SECRET_KEYS.test(key)) return "[redacted]";
  if (CONTACT_KEYS.test(key) && typeof value === "string") return maskContact(value);
  if (typeof value === "string") return maskPersonalData(value);
  if (value instanceof Error) return { name: value.name, message: maskPersonalData(value.message) };
  if (Array.isArray(value)) return value.map((v) => clean(v));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clean(v, k)]));
  }
  return value;
}

let threshold = RANK[(process.env.LOG_LEVEL as Level) ?? "info"] ?? RANK.info;

export function setLogLevel(level: Level | "silent"): void {
  threshold = RANK[level];
}

function write(level: Level, msg: string, fields?: Record<string, unknown>) {
  if (RANK[level] < threshold) return;
  const line = JSON.stringify({ time: new Date().toISOString(), level, msg: maskPersonalData(msg), ...(clean(fields ?? {}) as object) });
  (level === "error" || level === "warn" ? process.stderr : process.stdout).write(line + "\n");
}

export const log = {
  debug: (msg: string, fields?: Record<string, unknown>) => write("debug", msg, fields),
  info: (msg: string, fields?: Record<string, unknown>) => write("info", msg, fields),
  warn: (msg: string, fields?: Record<string, unknown>) => write("warn", msg, fields),
  error: (msg: string, fields?: Record<string, unknown>) => write("error", msg, fields),
};
