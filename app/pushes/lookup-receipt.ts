// Customer lookups (JoinChat's customer-query webhook, decision 019), the pure part: the keys an order is found
// by, and the receipt an order lookup answers with, full or private (masked name; no address, no status link).
import type { ReceiptParams } from "./types";

/** `#1001`, ` 1001 `, `#1001 ` -> `1001` (lower case): how a typed order name is compared. */
export function orderNameKey(value: string): string {
  return value.trim().replace(/^#+/, "").trim().toLowerCase();
}

/** An email as compared (trimmed, lower case), or null when it is not one. */
export function emailKeyOf(value: string | null | undefined): string | null {
  const email = (value ?? "").trim().toLowerCase();
  return /^[^\s@]+@[^\s@]+$/.test(email) ? email : null;
}

/** A phone as compared (its digits, at least 6), or null when it is not one. */
export function phoneKeyOf(value: string | null | undefined): string | null {
  const raw = (value ?? "").trim();
  if (raw === "" || !/^[+()\d\s.-]+$/.test(raw)) return null;
  const digits = raw.replace(/\D/g, "");
  return digits.length >= 6 && digits.length <= 17 ? digits : null;
}

/** A contact typed into the bot as the key it is compared by, with its kind; null when it is neither. */
export function accountKeyOf(value: string): { column: "email_key" | "phone_key"; key: string } | null {
  const email = emailKeyOf(value);
  if (email) return { column: "email_key", key: email };
  const phone = phoneKeyOf(value);
  return phone ? { column: "phone_key", key: phone } : null;
}

/** "Jane Doe" -> "J*** D**": the first letter of each word, so that a buyer recognises it and a stranger learns little. */
export function maskName(name: string): string {
  return name
    .trim()
    .split(/\s+/)
    .filter((word) => word !== "")
    .map((word) => {
      const letters = [...word];
      return letters[0] + "*".repeat(Math.max(2, letters.length - 1));
    })
    .join(" ");
}

/**
 * A receipt as JoinChat hands it to Messenger: the push's params and `template_type`, with `timestamp` a string of
 * Unix seconds as JoinChat's customer-query docs show it (and Messenger's receipt template types it).
 */
export type LookupReceipt = { template_type: "receipt"; timestamp: string } & Omit<ReceiptParams, "timestamp">;

/**
 * The receipt an order lookup answers with. `full`: as the receipt push has it. Otherwise private: the name masked,
 * no address (Messenger wants a street in an address, so the whole address goes) and no order status link (it
 * opens the order's page).
 */
export function lookupReceiptOf(params: ReceiptParams, full: boolean): LookupReceipt {
  const timestamp = String(params.timestamp);
  if (full) return { template_type: "receipt", ...params, timestamp };
  const { address: _address, order_url: _orderUrl, ...rest } = params;
  return { template_type: "receipt", ...rest, timestamp, recipient_name: maskName(params.recipient_name) || "Customer" };
}
