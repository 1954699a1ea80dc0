// Who a push is addressed to. A PSID reaches the buyer directly; an email or phone only works
// when JoinChat already knows a Messenger user by it, so those come after.
import type { Recipient, RecipientKind, RecipientPreference } from "./types";

export interface RecipientContacts {
  psid: string | null;
  email: string | null;
  phone: string | null;
}

/**
 * A phone as `+` and digits, or null when it cannot be a real number: letters mean a
 * placeholder such as "555-555-SHIP", and E.164 numbers have 7 to 15 digits.
 */
export function normalizePhone(phone: string | null | undefined): string | null {
  const trimmed = typeof phone === "string" ? phone.trim() : "";
  if (trimmed === "" || /[^\d\s+().\-/]/.test(trimmed)) return null;
  const digits = trimmed.replace(/\D/g, "");
  if (digits.length < 7 || digits.length > 15) return null;
  return (trimmed.startsWith("+") ? "+" : "") + digits;
}

export function normalizeEmail(email: string | null | undefined): string | null {
  const trimmed = typeof email === "string" ? email.trim() : "";
  return /^[^\s@]+@[^\s@]+$/.test(trimmed) ? trimmed : null;
}

export function normalizePsid(psid: string | null | undefined): string | null {
  const trimmed = typeof psid === "string" ? psid.trim() : "";
  return /^\d+$/.test(trimmed) ? trimmed : null;
}

/**
 * How a push's recipient was found (the push log shows it): a PSID bound through the Messenger opt-in, the order's
 * `joinchat_psid` note attribute, the customer's `joinchat.psid` metafield, or the order's email or phone.
 */
export const RECIPIENT_SOURCES = ["binding", "note_attribute", "metafield", "email", "phone"] as const;
export type RecipientSource = (typeof RECIPIENT_SOURCES)[number];

/** The source of a recipient chosen from an order's own contacts (chooseRecipient): a PSID there is the note attribute's. */
export function contactSourceOf(kind: RecipientKind): RecipientSource {
  return kind === "id" ? "note_attribute" : kind;
}

/** The PSID, else email and phone in the merchant's preferred order; null when none is usable. */
export function chooseRecipient(contacts: RecipientContacts, preference: RecipientPreference): Recipient | null {
  const psid = normalizePsid(contacts.psid);
  if (psid !== null) return { kind: "id", value: psid };

  const email = normalizeEmail(contacts.email);
  const phone = normalizePhone(contacts.phone);
  const byEmail: Recipient | null = email !== null ? { kind: "email", value: email } : null;
  const byPhone: Recipient | null = phone !== null ? { kind: "phone", value: phone } : null;
  return preference === "phone" ? (byPhone ?? byEmail) : (byEmail ?? byPhone);
}

/** A recipient safe to show in logs and pages: enough to recognise, not enough to contact. */
export function maskRecipient(recipient: Recipient | { kind: RecipientKind | string; value: string } | null): string {
  if (!recipient) return "(none)";
  const value = recipient.value.trim();
  switch (recipient.kind) {
    case "email": {
      const at = value.lastIndexOf("@");
      if (at <= 0) return "***";
      return `${value.charAt(0)}***${value.slice(at)}`;
    }
    case "phone": {
      // A fixed number of stars, so the mask does not reveal the number's length.
      const digits = value.replace(/\D/g, "");
      return digits.length > 2 ? `********${digits.slice(-2)}` : "********";
    }
    case "id":
      return value.length > 4 ? `****${value.slice(-4)}` : "****";
    default:
      return "***";
  }
}

const JSON_STRING = String.raw`"((?:[^"\\]|\\.)*)"`;
const RECIPIENT_OBJECT = new RegExp(String.raw`("recipient"\s*:\s*\{)([^{}]*)(\})`, "g");
const RECIPIENT_FIELD = new RegExp(String.raw`"(id|email|phone)"(\s*:\s*)` + JSON_STRING, "g");
const CONTACT_FIELD = new RegExp(String.raw`"(email|phone|customer_email|customer_phone)"(\s*:\s*)` + JSON_STRING, "g");
const RECIPIENT_ID_FIELD = new RegExp(String.raw`"(recipient_id)"(\s*:\s*)` + JSON_STRING, "g");

/**
 * A push's JSON as the admin shows it by default: the buyer's contact (the recipient's PSID, email or phone, and any
 * other email or phone field) masked as maskRecipient masks it, the rest of the text exactly as sent.
 */
export function maskBodyContacts(body: string): string {
  const masked = (kind: string, value: string) =>
    JSON.stringify(maskRecipient({ kind: kind.endsWith("email") ? "email" : kind.endsWith("phone") ? "phone" : kind, value }));
  return body
    .replace(
      RECIPIENT_OBJECT,
      (_m, open: string, inner: string, close: string) =>
        open + inner.replace(RECIPIENT_FIELD, (_f, key: string, colon: string, value: string) => `"${key}"${colon}${masked(key, value)}`) + close,
    )
    .replace(CONTACT_FIELD, (field: string, key: string, colon: string, value: string) =>
      value.includes("***") ? field : `"${key}"${colon}${masked(key, value)}`,
    )
    .replace(RECIPIENT_ID_FIELD, (field: string, key: string, colon: string, value: string) =>
      value.includes("***") ? field : `"${key}"${colon}${masked("id", value)}`,
    );
}
