// The block's calls to its app route (/api/optin/:orderId, decision 020), with the session token Shopify gives the
// extension (shopify.sessionToken.get()) in the Authorization header; the route checks it.
import type { OptinLinkAnswer, OptinStopAnswer } from "../../../app/pushes/optin-contract";
import { APP_URL } from "./app-url";

export type SessionToken = () => Promise<string>;

const ORDER_GID = /^gid:\/\/shopify\/Order(?:Identity)?\/(\d+)$/;

/**
 * The digits of an order's GID, or null when the page gave no order. The Order status page gives
 * gid://shopify/Order/450789469; the Thank-you page, whatever its types say, gives gid://shopify/OrderIdentity/450789469
 * (the same digits: "this becomes the Order object ID"), and some checkouts give that GID base64-encoded.
 */
export function orderIdOf(gid: string | undefined | null): string | null {
  if (!gid) return null;
  const match = ORDER_GID.exec(gid) ?? ORDER_GID.exec(fromBase64(gid));
  return match ? match[1] : null;
}

function fromBase64(value: string): string {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value)) return "";
  try {
    return atob(value);
  } catch {
    return "";
  }
}

function optinUrl(orderId: string): string {
  return `${APP_URL}/api/optin/${encodeURIComponent(orderId)}`;
}

async function call(orderId: string, token: SessionToken, method: "GET" | "POST"): Promise<Response> {
  const headers: Record<string, string> = { Accept: "application/json", Authorization: `Bearer ${await token()}` };
  if (method === "POST") headers["Content-Type"] = "application/json";
  const response = await fetch(optinUrl(orderId), { method, headers, body: method === "POST" ? JSON.stringify({ intent: "stop" }) : undefined });
  if (!response.ok) throw new Error(`the app answered ${response.status}`);
  return response;
}

/** The order's link, or null when the block is to show nothing (204: the shop is not linked, or the opt-in is off). */
export async function loadOptinLink(orderId: string, token: SessionToken): Promise<OptinLinkAnswer | null> {
  const response = await call(orderId, token, "GET");
  if (response.status === 204) return null;
  const answer = (await response.json()) as Partial<OptinLinkAnswer> | null;
  // Only a link to Messenger is ever shown to the buyer.
  if (typeof answer?.url !== "string" || !answer.url.startsWith("https://m.me/")) throw new Error("the app's answer has no Messenger link");
  return { url: answer.url, bound: answer.bound === true, buttonText: { en: answer.buttonText?.en ?? null, "zh-CN": answer.buttonText?.["zh-CN"] ?? null } };
}

export async function stopMessengerUpdates(orderId: string, token: SessionToken): Promise<OptinStopAnswer> {
  return (await (await call(orderId, token, "POST")).json()) as OptinStopAnswer;
}
