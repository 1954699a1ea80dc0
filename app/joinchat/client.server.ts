// One push to JoinChat, classified into what the caller should do next: nothing (delivered),
// give up (failed), or try again later (retry). Never throws: the delivery loop decides from values.
import { signBody } from "../hmac";

export interface PushRequest {
  url: string;
  shopDomain: string;
  secret: string;
  /** The exact JSON text to send; it is signed as is and never re-serialized. */
  body: string;
  idempotencyKey: string;
  timeoutMs: number;
}

export type PushOutcome =
  | { kind: "delivered"; httpStatus: number; recipientId: string | null; answer: string; durationMs: number }
  /** Final: no retry can help. */
  | { kind: "failed"; httpStatus: number | null; code: number | null; message: string; answer: string; durationMs: number }
  | { kind: "retry"; httpStatus: number | null; message: string; answer: string; retryAfterMs: number | null; durationMs: number };

export interface JoinChatAnswer {
  success: boolean | null;
  recipientId: string | null;
  code: number | null;
  message: string | null;
}

/** Kept on the outcome for the delivery log; JoinChat's answers are short, an HTML error page is not. */
export const MAX_ANSWER_CHARS = 2_000;

const UNREADABLE = "unreadable answer from JoinChat";

/** Statuses where the same request may succeed later (RFC 9110 / 6585 / 8470 semantics). */
function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

export async function sendPush(req: PushRequest): Promise<PushOutcome> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);

  let url: URL;
  try {
    url = new URL(req.url);
  } catch {
    return { kind: "failed", httpStatus: null, code: null, message: `invalid push URL ${JSON.stringify(req.url)}`, answer: "", durationMs: elapsed() };
  }

  if (!Number.isFinite(req.timeoutMs) || req.timeoutMs <= 0) {
    return { kind: "failed", httpStatus: null, code: null, message: `invalid timeoutMs ${req.timeoutMs}`, answer: "", durationMs: elapsed() };
  }

  let status: number | null = null;
  let answer = "";
  let retryAfterMs: number | null = null;
  try {
    // Sign once and send that very string: the signature is over the bytes on the wire.
    const signature = signBody(req.body, req.secret);
    // One deadline for the whole exchange, answer body included, so a server that trickles
    // its answer cannot hold a delivery worker forever.
    const signal = AbortSignal.timeout(req.timeoutMs);
    const res = await fetch(url, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        "X-Shop-Domain": req.shopDomain,
        "X-Joinchat-Signature": signature,
        "Idempotency-Key": req.idempotencyKey,
      },
      body: req.body,
      signal,
      // A redirect would re-send the signed body (and its signature) somewhere unconfigured,
      // or turn the POST into a GET; treat it as a configuration error instead.
      redirect: "manual",
    });
    status = res.status;
    retryAfterMs = parseRetryAfter(res.headers.get("retry-after"));
    const text = await res.text();
    answer = text.length > MAX_ANSWER_CHARS ? text.slice(0, MAX_ANSWER_CHARS) : text;
    return classifyResponse(status, text, answer, retryAfterMs, elapsed());
  } catch (err) {
    return classifyError(err, req.timeoutMs, status, answer, retryAfterMs, elapsed());
  }
}

function classifyResponse(status: number, text: string, answer: string, retryAfterMs: number | null, durationMs: number): PushOutcome {
  const parsed = parseJoinChatAnswer(text);
  const detail = formatError(parsed.code, parsed.message);

  if (status >= 200 && status < 300) {
    if (parsed.success === true) {
      return { kind: "delivered", httpStatus: status, recipientId: parsed.recipientId, answer, durationMs };
    }
    if (parsed.success === false) {
      return { kind: "failed", httpStatus: status, code: parsed.code, message: detail ?? "JoinChat answered success: false", answer, durationMs };
    }
    // The push may or may not have gone out; the Idempotency-Key makes asking again safe.
    return { kind: "retry", httpStatus: status, message: UNREADABLE, answer, retryAfterMs, durationMs };
  }

  if (isRetryableStatus(status)) {
    const message = detail ? `HTTP ${status}: ${detail}` : `HTTP ${status}`;
    return { kind: "retry", httpStatus: status, message, answer, retryAfterMs, durationMs };
  }

  if (status >= 300 && status < 400) {
    return { kind: "failed", httpStatus: status, code: parsed.code, message: `HTTP ${status} redirect, check the push URL`, answer, durationMs };
  }

  return { kind: "failed", httpStatus: status, code: parsed.code, message: detail ?? `HTTP ${status}`, answer, durationMs };
}

function classifyError(err: unknown, timeoutMs: number, status: number | null, answer: string, retryAfterMs: number | null, durationMs: number): PushOutcome {
  const name = err instanceof Error || isDomException(err) ? (err as Error).name : "";
  if (name === "TimeoutError" || name === "AbortError") {
    return { kind: "retry", httpStatus: status, message: `timeout after ${timeoutMs} ms`, answer, retryAfterMs, durationMs };
  }

  const cause = err instanceof Error ? (err as Error & { cause?: unknown }).cause : undefined;
  const code = errorCode(cause) ?? errorCode(err);
  // fetch refused to send at all (a header value it cannot send, a port the Fetch spec blocks):
  // the same request would be refused again, so this is configuration, not weather.
  if (code === null && err instanceof TypeError && (cause === undefined || describeError(cause) === "bad port")) {
    const why = cause === undefined ? err.message : "bad port";
    return { kind: "failed", httpStatus: status, code: null, message: `request not sent: ${why}`, answer, durationMs };
  }

  const detail = describeError(cause) ?? describeError(err) ?? "unknown error";
  const message = code && !detail.includes(code) ? `${code}: ${detail}` : detail;
  return { kind: "retry", httpStatus: status, message, answer, retryAfterMs, durationMs };
}

function isDomException(value: unknown): boolean {
  return typeof DOMException !== "undefined" && value instanceof DOMException;
}

function errorCode(value: unknown): string | null {
  if (value && typeof value === "object" && "code" in value) {
    const code = (value as { code: unknown }).code;
    if (typeof code === "string" && code.length > 0) return code;
  }
  return null;
}

function describeError(value: unknown): string | null {
  if (value instanceof Error && value.message) return value.message;
  if (typeof value === "string" && value) return value;
  return null;
}

function formatError(code: number | null, message: string | null): string | null {
  if (code !== null && message) return `${code} ${message}`;
  if (message) return message;
  if (code !== null) return String(code);
  return null;
}

/**
 * Reads what JoinChat answered. Its own docs show bodies that are not valid JSON (a missing comma,
 * trailing commas) and spell the error object both `errors` and `error`, so this degrades from
 * JSON.parse, to JSON.parse without trailing commas, to pulling the known fields out by pattern.
 */
export function parseJoinChatAnswer(text: string): JoinChatAnswer {
  const empty: JoinChatAnswer = { success: null, recipientId: null, code: null, message: null };
  if (typeof text !== "string" || text.trim() === "") return empty;

  const value = tryParse(text) ?? tryParse(text.replace(/,(\s*[}\]])/g, "$1"));
  if (value !== undefined) {
    return isRecord(value) ? readAnswerObject(value) : empty;
  }
  return extractAnswerFields(text);
}

function tryParse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function readAnswerObject(obj: Record<string, unknown>): JoinChatAnswer {
  const success = typeof obj.success === "boolean" ? obj.success : null;
  const recipientId = typeof obj.recipient_id === "string" ? obj.recipient_id : typeof obj.recipient_id === "number" ? String(obj.recipient_id) : null;

  let code: number | null = null;
  let message: string | null = null;
  const error = isRecord(obj.errors) ? obj.errors : isRecord(obj.error) ? obj.error : null;
  if (error) {
    code = toCode(error.code);
    message = typeof error.msg === "string" ? error.msg : typeof error.message === "string" ? error.message : null;
  } else if (typeof obj.errors === "string" || typeof obj.error === "string") {
    message = (typeof obj.errors === "string" ? obj.errors : obj.error) as string;
  }
  return { success, recipientId, code, message };
}

function toCode(value: unknown): number | null {
  if (typeof value === "number" && Number.isInteger(value)) return value;
  if (typeof value === "string" && /^-?\d+$/.test(value.trim())) return Number(value.trim());
  return null;
}

function extractAnswerFields(text: string): JoinChatAnswer {
  const success = /"success"\s*:\s*(true|false)\b/.exec(text);
  const recipient = /"recipient_id"\s*:\s*(?:"((?:[^"\\]|\\.)*)"|(\d+))/.exec(text);
  const code = /"code"\s*:\s*"?(-?\d+)"?/.exec(text);
  const msg = /"msg"\s*:\s*"((?:[^"\\]|\\.)*)"/.exec(text);
  return {
    success: success ? success[1] === "true" : null,
    recipientId: recipient ? (recipient[1] !== undefined ? unescapeJsonString(recipient[1]) : recipient[2]) : null,
    code: code ? Number(code[1]) : null,
    message: msg ? unescapeJsonString(msg[1]) : null,
  };
}

function unescapeJsonString(raw: string): string {
  const value = tryParse(`"${raw}"`);
  return typeof value === "string" ? value : raw;
}

const HTTP_DATE_MONTH = /\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b/;
const HTTP_DATE_TIME = /\b\d{2}:\d{2}:\d{2}\b/;

/**
 * Retry-After is either delay-seconds or an HTTP-date (RFC 9110 §10.2.3).
 * Returns milliseconds from `now`, 0 for a date already past, null when absent or unreadable.
 */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | null {
  if (value === null) return null;
  const trimmed = value.trim();
  if (trimmed === "") return null;
  if (/^\d+$/.test(trimmed)) {
    const seconds = Number(trimmed);
    return Number.isSafeInteger(seconds * 1000) ? seconds * 1000 : null;
  }
  // Date.parse is lenient ("Someday 2025" is a date to V8): ask for the parts every HTTP-date format
  // has (IMF-fixdate, RFC 850, asctime): a month name and an hh:mm:ss time.
  if (!HTTP_DATE_MONTH.test(trimmed) || !HTTP_DATE_TIME.test(trimmed)) return null;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - now);
}
