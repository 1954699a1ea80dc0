// JoinChat's side of the customer-query ("E-commerce API") webhook, for tests: JoinChat calls the merchant's one
// lookup URL with a JSON body `{"method", "params", "pagination"}` and signs it like everything else:
// X-Joinchat-Signature = base64(HMAC-SHA256(the exact raw body bytes, the bot's secret)). This caller does the same
// with node:crypto (not the app's signing code, so a test of the app's check is not circular), and can also send
// what a broken or older JoinChat sends: a wrong signature, none, bytes that are not JSON, or the legacy variant of
// its early PHP sample (base64 of the hex digest).
import { createHmac } from "node:crypto";

export interface CustomerQuery {
  method: string;
  params?: Record<string, unknown>;
  pagination?: { page: number; limit: number };
}

/**
 * - `valid`: base64 of the raw HMAC-SHA256 digest (the default; JoinChat's docs since 2019-05).
 * - `legacy-hex`: base64 of the 64-character hex digest (JoinChat's first PHP samples forgot the raw-output flag).
 * - `wrong`: well formed, but made with another secret.
 * - `missing`: no signature header at all.
 * - `{ value }`: exactly this header value.
 */
export type SignatureMode = "valid" | "legacy-hex" | "wrong" | "missing" | { value: string };

export interface CallOptions {
  secret: string;
  signature?: SignatureMode;
  /** Default X-Joinchat-Signature; any case works over HTTP. Older docs spelled it x_joinchat_signature. */
  headerName?: string;
  /** Default application/json; null sends none. */
  contentType?: string | null;
  /** Default POST (JoinChat's docs never say; its PHP samples read a raw body). */
  method?: string;
  headers?: Record<string, string>;
  /** Default 5000. */
  timeoutMs?: number;
}

export interface CallResult {
  status: number;
  headers: Headers;
  text: string;
  /** The answer parsed, or null when it is not JSON. */
  json: unknown;
  /** What went over the wire: the exact body bytes and the signature header's value. */
  sent: { body: Buffer; signature: string | null };
}

/** X-Joinchat-Signature of `body` under `secret`, as JoinChat computes it now, or as its legacy sample did. */
export function signJoinChatBody(body: string | Uint8Array, secret: string, variant: "valid" | "legacy-hex" = "valid"): string {
  const hmac = createHmac("sha256", secret).update(body);
  if (variant === "legacy-hex") return Buffer.from(hmac.digest("hex"), "utf8").toString("base64");
  return hmac.digest("base64");
}

/** The requests JoinChat's docs show, one per method, for tests of a lookup endpoint. */
export const EXAMPLE_CUSTOMER_QUERIES = {
  ordersByNumber: { method: "orders", params: { order_number: "#1001" } },
  ordersByAccount: { method: "orders", params: { user_account: "buyer@example.com", filter: "open" }, pagination: { page: 1, limit: 3 } },
  /** The typo the docs' prose keeps; a lookup endpoint accepts both names. */
  ordersByAccountLegacy: { method: "orders", params: { user_amount: "buyer@example.com", filter: "closed" }, pagination: { page: 1, limit: 3 } },
  products: {
    method: "products",
    params: { title: "T_shirt", product_type: "clothes", vendor: "JACK & JONES", order_type: "title,desc" },
    pagination: { page: 1, limit: 3 },
  },
  propertyVendors: { method: "property", params: { search_type: "vendor" } },
  propertyTypesLegacy: { method: "property", params: { search: "type" } },
  /** The handshake of JoinChat's early webhook page: echo params.token. */
  test: { method: "test", params: { token: "T45RE" } },
} as const satisfies Record<string, CustomerQuery>;

/** Signs and sends one customer-query request to `url`; a string or bytes are sent (and signed) exactly as given. */
export async function callCustomerQuery(url: string, query: CustomerQuery | string | Uint8Array, options: CallOptions): Promise<CallResult> {
  const body =
    typeof query === "string" ? Buffer.from(query, "utf8") : query instanceof Uint8Array ? Buffer.from(query) : Buffer.from(JSON.stringify(query), "utf8");
  const mode = options.signature ?? "valid";
  let signature: string | null;
  if (mode === "missing") signature = null;
  else if (mode === "wrong") signature = signJoinChatBody(body, `${options.secret}-not`);
  else if (mode === "valid" || mode === "legacy-hex") signature = signJoinChatBody(body, options.secret, mode);
  else signature = mode.value;

  const headers: Record<string, string> = { ...options.headers };
  const contentType = options.contentType === undefined ? "application/json" : options.contentType;
  if (contentType !== null) headers["Content-Type"] = contentType;
  if (signature !== null) headers[options.headerName ?? "X-Joinchat-Signature"] = signature;

  const method = options.method ?? "POST";
  const res = await fetch(url, {
    method,
    headers,
    body: method === "GET" || method === "HEAD" ? undefined : body,
    signal: AbortSignal.timeout(options.timeoutMs ?? 5_000),
  });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = null;
  }
  return { status: res.status, headers: res.headers, text, json, sent: { body, signature } };
}
