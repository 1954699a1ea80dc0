import type { IncomingMessage, ServerResponse } from "node:http";
import { log } from "../logger.server";
import { answerBeforeBody, type BodyBudget } from "../webhooks/http-intake.server";

// What stands in front of every route of the web process: the path as a router reads it (so that no spelling of
// /webhooks/ slips past the lean intake to Remix) and the byte limit of every other request's body.

/** Percent-decodes a path; a malformed escape (a lone %E0) is read byte by byte instead of refused. */
function decodePath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path.replace(/%([0-9a-f]{2})/gi, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  }
}

/**
 * The path of a request target as routing compares it: query and fragment dropped, percent-escapes decoded (again
 * while that changes it: `%2577` is a doubly encoded `w`), backslashes as slashes and repeated slashes as one (as a
 * URL parser reads them), dot segments resolved, lower case (Remix matches routes regardless of case); an absolute-form
 * target loses its scheme and host.
 * `/%57ebhooks/./orders/../orders/create` and `/Webhooks/orders/create` are both `/webhooks/orders/create`.
 */
export function normalizePath(target: string): string {
  // An absolute-form target (`POST http://host/Webhooks/... HTTP/1.1`, which a server must accept) routes by its path.
  let path = (target.split(/[?#]/, 1)[0] ?? "").replace(/^[a-z][a-z0-9+.-]*:\/\/[^/\\]*/i, "");
  for (let i = 0; i < 4; i++) {
    const decoded = decodePath(path);
    if (decoded === path) break;
    path = decoded;
  }
  path = path.replace(/[\t\n\r]/g, "").replace(/\\/g, "/");
  const out: string[] = [];
  const segments = path.split("/").filter((segment, i, all) => segment !== "" || i === all.length - 1);
  for (const segment of segments) {
    if (segment === ".") continue;
    if (segment === "..") out.pop();
    else out.push(segment);
  }
  // A trailing slash (or a trailing dot segment) keeps the path a directory.
  const last = segments[segments.length - 1];
  const trailing = last === "" || last === "." || last === "..";
  if (trailing && out[out.length - 1] !== "") out.push("");
  return `/${out.join("/")}`.replace(/\/+/g, "/").toLowerCase();
}

/** Whether a normalised path belongs to the lean webhook intake. */
export function isWebhookPath(normalized: string): boolean {
  return normalized === "/webhooks" || normalized.startsWith("/webhooks/");
}

// The methods whose body Remix never reads (its adapter hands the request stream to every other method, DELETE and
// OPTIONS included, and the login route reads a DELETE's form whole).
const BODILESS = new Set(["GET", "HEAD"]);

function answer(res: ServerResponse, status: number, error: string, headers: Record<string, string> = {}): void {
  const text = JSON.stringify({ error });
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

/**
 * The body limit of every request that is not a webhook (the admin's JSON and forms, the order page block's calls):
 * a declared length over `maxBytes` is answered 413 before a byte of the body is read; a body of unknown length
 * (chunked) 411, since its size is known only by reading it; a body that would take the process over its budget of
 * bytes held at once 503 with Retry-After. Returns whether the request may go on to its route; the bytes it declared
 * count against the budget until its answer is sent.
 */
export function admitRequestBody(req: IncomingMessage, res: ServerResponse, maxBytes: number, budget: BodyBudget): boolean {
  const declared = req.headers["content-length"];
  const chunked = req.headers["transfer-encoding"] !== undefined;
  if (declared === undefined && !chunked) return true;
  if (chunked) {
    if (BODILESS.has(req.method ?? "")) return true;
    log.warn("request refused", { status: 411, path: req.url, error: "a body of unknown length" });
    answerBeforeBody(req, res, 411, "send the body with a Content-Length", maxBytes);
    return false;
  }
  const bytes = Number(declared);
  if (!Number.isSafeInteger(bytes) || bytes < 0) {
    answer(res, 400, "malformed Content-Length", { connection: "close" });
    return false;
  }
  if (bytes > maxBytes) {
    log.warn("request refused", { status: 413, path: req.url, bytes, limit: maxBytes });
    answerBeforeBody(req, res, 413, `body over ${maxBytes} bytes`, maxBytes);
    return false;
  }
  if (bytes === 0) return true;
  if (!budget.reserve(bytes)) {
    log.warn("request refused", { status: 503, path: req.url, error: "request bodies in memory at their limit" });
    answerBeforeBody(req, res, 503, "too many requests at once; retry later", maxBytes, { "retry-after": String(BUSY_RETRY_AFTER_SECONDS) });
    return false;
  }
  res.once("close", () => budget.release(bytes));
  return true;
}

/** Seconds a request refused for the memory budget is asked to wait. */
export const BUSY_RETRY_AFTER_SECONDS = 5;
