// The block's calls to its app route (/api/orders/:orderId/pushes). A relative URL: the admin resolves it against
// the app's URL. The session token from shopify.auth.idToken() goes in the Authorization header, as the admin adds
// it itself to the app's own URLs; the route checks it with authenticate.admin.
import type { OrderPushActionAnswer, OrderPushActionRequest, OrderPushesAnswer } from "../../../app/pushes/order-pushes-contract";

/** Why a call failed: the route's error code, or `network` (no answer), or `unauthorized` (the session ended). */
export class AppRequestError extends Error {
  name = "AppRequestError";
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export type IdToken = () => Promise<string | null>;

/** The digits of an order's GID (gid://shopify/Order/450789469), or null when the admin gave no order. */
export function orderIdOf(gid: string | undefined): string | null {
  const match = gid ? /^gid:\/\/shopify\/Order\/(\d+)$/.exec(gid) : null;
  return match ? match[1] : null;
}

export function orderPushesPath(orderId: string): string {
  return `/api/orders/${encodeURIComponent(orderId)}/pushes`;
}

async function callApp<T>(path: string, idToken: IdToken, init: { method: "GET" | "POST"; body?: unknown }): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (init.body !== undefined) headers["Content-Type"] = "application/json";
  const token = await idToken().catch(() => null);
  if (token) headers.Authorization = `Bearer ${token}`;
  let response: Response;
  try {
    response = await fetch(path, { method: init.method, headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
  } catch (error) {
    throw new AppRequestError("network", error instanceof Error ? error.message : String(error), 0);
  }
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (response.status === 401 || response.status === 403) throw new AppRequestError("unauthorized", `HTTP ${response.status}`, response.status);
  const refusal = body as { error?: unknown; message?: unknown } | null;
  if (!response.ok) {
    const code = typeof refusal?.error === "string" ? refusal.error : "invalid";
    throw new AppRequestError(code, typeof refusal?.message === "string" ? refusal.message : `HTTP ${response.status}`, response.status);
  }
  if (body === null) throw new AppRequestError("invalid", "the app's answer was not JSON", response.status);
  return body as T;
}

export function loadOrderPushes(orderId: string, idToken: IdToken): Promise<OrderPushesAnswer> {
  return callApp<OrderPushesAnswer>(orderPushesPath(orderId), idToken, { method: "GET" });
}

export async function actOnOrderPushes(orderId: string, idToken: IdToken, request: OrderPushActionRequest) {
  const answer = await callApp<OrderPushActionAnswer>(orderPushesPath(orderId), idToken, { method: "POST", body: request });
  if (!answer.ok) throw new AppRequestError(answer.error, answer.message, 200);
  return answer;
}

/** An id for one resend the merchant confirmed: sent again (a repeated request), it sends nothing more. */
export function newRequestId(): string {
  if (typeof crypto !== "undefined" && typeof crypto.randomUUID === "function") return crypto.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`;
}
