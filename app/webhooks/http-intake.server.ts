import type { IncomingMessage, ServerResponse } from "node:http";
import { verifySignature } from "../hmac";
import { log } from "../logger.server";
import type { WebhookAnswer, WebhookReceiver } from "./receive.server";
import { normalizeTopicHeader, topicOfPath, type WebhookTopic } from "./topics";

// The lean path for POST /webhooks/<topic>, in front of Remix: the rules of authenticate.webhook
// (@shopify/shopify-app-remix 4.2) without the cost of a Remix request. test/webhooks/intake-conformance.test.ts
// holds its answers to the library's on the same requests.

type HeaderSet = { hmac: string; topic: string; domain: string; apiVersion: string; webhookId: string; eventId: string; triggeredAt: string };

const WEBHOOK_HEADERS: HeaderSet = {
  hmac: "x-shopify-hmac-sha256",
  topic: "x-shopify-topic",
  domain: "x-shopify-shop-domain",
  apiVersion: "x-shopify-api-version",
  webhookId: "x-shopify-webhook-id",
  eventId: "x-shopify-event-id",
  triggeredAt: "x-shopify-triggered-at",
};
// Shopify "Events" deliveries carry lower-case shopify-* headers, and an event id is required there.
const EVENT_HEADERS: HeaderSet = {
  hmac: "shopify-hmac-sha256",
  topic: "shopify-topic",
  domain: "shopify-shop-domain",
  apiVersion: "shopify-api-version",
  webhookId: "shopify-webhook-id",
  eventId: "shopify-event-id",
  triggeredAt: "shopify-triggered-at",
};

const SHOP_DOMAIN = /^[a-z0-9][a-z0-9-]*\.myshopify\.com$/i;

export interface HttpIntakeOptions {
  apiSecret: string;
  maxBodyBytes: number;
  receive: WebhookReceiver;
  /** The bytes of request bodies the process holds at once (shared with its other routes); none: unbounded. */
  budget?: BodyBudget;
}

/** Request bodies held in memory at once, all requests of the process together. */
export interface BodyBudget {
  /** Takes `bytes` from the budget; false (and nothing taken) when they do not fit. */
  reserve(bytes: number): boolean;
  release(bytes: number): void;
  /** Bytes held now, and the most held at once. */
  readonly used: number;
  readonly peak: number;
}

export function createBodyBudget(limit: number): BodyBudget {
  let used = 0;
  let peak = 0;
  return {
    reserve(bytes) {
      if (used + bytes > limit) return false;
      used += bytes;
      peak = Math.max(peak, used);
      return true;
    },
    release(bytes) {
      used = Math.max(0, used - bytes);
    },
    get used() {
      return used;
    },
    get peak() {
      return peak;
    },
  };
}

const UNBOUNDED: BodyBudget = createBodyBudget(Number.POSITIVE_INFINITY);

/** Seconds a delivery refused because the process holds too many bodies at once is asked to wait. */
const BUSY_RETRY_AFTER_SECONDS = 5;

function header(req: IncomingMessage, name: string): string {
  const value = req.headers[name];
  return (Array.isArray(value) ? value[0] : value) ?? "";
}

function send(res: ServerResponse, answer: WebhookAnswer, extra: Record<string, string> = {}): void {
  res.writeHead(answer.status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(answer.body),
    ...extra,
  });
  res.end(answer.body);
}

function refuse(res: ServerResponse, req: IncomingMessage, status: number, error: string, extra: Record<string, string> = {}): void {
  log.warn("webhook refused", { status, error, path: req.url, shop: header(req, WEBHOOK_HEADERS.domain) || header(req, EVENT_HEADERS.domain) || null });
  send(res, { status, body: JSON.stringify({ error }) }, extra);
}

/** How long a refused request's body is read and discarded at least, so that its client can read the answer. */
const DISCARD_GRACE_MS = 250;

/**
 * An answer before the body is read (413, 411, 503): it goes at once, and what the client still sends is discarded
 * unbuffered, so that it can read the answer (closing a socket with unread data resets it). A client that goes on
 * sending far past `limit` is cut off, and the connection is not kept for another request.
 */
export function answerBeforeBody(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  error: string,
  limit: number,
  extra: Record<string, string> = {},
): void {
  // No "Connection: close": Node would close the socket as soon as the answer is written, while the client is still
  // sending, and a socket closed with data unread is reset, taking the answer with it. The body is read and discarded
  // (never buffered) instead, and the connection cut off a moment later.
  send(res, { status, body: JSON.stringify({ error }) }, extra);
  const answeredAt = Date.now();
  // A body still coming then is cut off with its connection (a finished one leaves the connection to keep-alive).
  const cutOff = setTimeout(() => {
    if (!req.complete) req.socket.destroy();
  }, DISCARD_GRACE_MS * 5);
  cutOff.unref();
  req.socket.once("close", () => clearTimeout(cutOff));
  let discarded = 0;
  req.removeAllListeners("data");
  req.on("data", (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > 16 * limit && Date.now() - answeredAt > DISCARD_GRACE_MS) req.socket.destroy();
  });
  req.resume();
}

function refuseTooLarge(req: IncomingMessage, res: ServerResponse, limit: number): void {
  log.warn("webhook refused", { status: 413, error: `body over ${limit} bytes`, path: req.url, shop: header(req, WEBHOOK_HEADERS.domain) || null });
  answerBeforeBody(req, res, 413, `body over ${limit} bytes`, limit);
}

function refuseBusy(req: IncomingMessage, res: ServerResponse, limit: number): void {
  log.warn("webhook refused", { status: 503, error: "request bodies in memory at their limit", path: req.url });
  answerBeforeBody(req, res, 503, "too many deliveries at once; retry later", limit, { "retry-after": String(BUSY_RETRY_AFTER_SECONDS) });
}

type BodyRead = { body: Buffer; held: number } | { refused: "large" | "busy"; held: number };

/**
 * Reads the body up to `limit` bytes, each chunk taken from the process's budget first; stops at the first byte
 * over the limit or the budget (the rest is never buffered). `held` is what it took from the budget, for the caller
 * to give back. Rejects when the client goes away first.
 */
function readBody(req: IncomingMessage, limit: number, budget: BodyBudget): Promise<BodyRead> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const stop = (refused: "large" | "busy") => {
      done = true;
      req.pause();
      resolve({ refused, held: size });
    };
    req.on("data", (chunk: Buffer) => {
      if (done) return;
      if (size + chunk.length > limit) return stop("large");
      if (!budget.reserve(chunk.length)) return stop("busy");
      size += chunk.length;
      chunks.push(chunk);
    });
    req.on("end", () => {
      if (done) return;
      done = true;
      resolve({ body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size), held: size });
    });
    const gone = () => {
      if (done) return;
      done = true;
      budget.release(size);
      reject(new Error("the client went away"));
    };
    req.on("error", gone);
    req.on("close", gone);
  });
}

export function createWebhookHttpHandler(options: HttpIntakeOptions) {
  const budget = options.budget ?? UNBOUNDED;
  /** `pathname`: the request's path as routing read it (normalised by the server); default the path as sent. */
  return async function handleWebhookHttp(req: IncomingMessage, res: ServerResponse, pathname = (req.url ?? "").split("?")[0]): Promise<void> {
    const routeTopic = topicOfPath(pathname);
    if (!routeTopic) {
      // Nothing here reads a body: whatever the client sends is discarded, never buffered.
      refuse(res, req, 404, `no webhook route at ${pathname}`);
      return void req.resume();
    }
    if (req.method !== "POST") {
      refuse(res, req, 405, "webhooks are POST requests", { allow: "POST" });
      return void req.resume();
    }

    const declared = Number(req.headers["content-length"] ?? NaN);
    if (declared > options.maxBodyBytes) return refuseTooLarge(req, res, options.maxBodyBytes);
    let read: BodyRead;
    try {
      read = await readBody(req, options.maxBodyBytes, budget);
    } catch {
      return; // the client went away; nothing was stored
    }
    try {
      if ("refused" in read) {
        return read.refused === "large" ? refuseTooLarge(req, res, options.maxBodyBytes) : refuseBusy(req, res, options.maxBodyBytes);
      }
      await handleBody(req, res, routeTopic, read.body);
    } finally {
      budget.release(read.held);
    }
  };

  async function handleBody(req: IncomingMessage, res: ServerResponse, routeTopic: WebhookTopic, body: Buffer): Promise<void> {
    const names = header(req, EVENT_HEADERS.hmac) ? EVENT_HEADERS : WEBHOOK_HEADERS;
    if (body.length === 0) return refuse(res, req, 400, "empty body");
    const hmac = header(req, names.hmac);
    if (!hmac) return refuse(res, req, 400, `missing ${names.hmac} header`);
    // Shopify's signature: base64 HMAC-SHA256 of the raw body with the app secret, compared in constant time.
    if (!verifySignature(body, options.apiSecret, hmac)) return refuse(res, req, 401, "invalid HMAC signature");

    const required = [names.topic, names.domain, names.apiVersion, names.webhookId, ...(names === EVENT_HEADERS ? [names.eventId] : [])];
    const missing = required.filter((name) => !header(req, name));
    if (missing.length > 0) return refuse(res, req, 400, `missing headers: ${missing.join(", ")}`);

    const topicHeader = header(req, names.topic);
    if (normalizeTopicHeader(topicHeader) !== normalizeTopicHeader(routeTopic)) {
      return refuse(res, req, 400, `topic ${topicHeader} does not belong on /webhooks/${routeTopic}`);
    }
    const shop = header(req, names.domain).toLowerCase();
    if (!SHOP_DOMAIN.test(shop)) return refuse(res, req, 400, `${names.domain} is not a myshopify.com domain`);

    const answer = await options.receive({
      topic: routeTopic,
      shop,
      webhookId: header(req, names.webhookId),
      apiVersion: header(req, names.apiVersion) || null,
      eventId: header(req, names.eventId) || null,
      triggeredAt: header(req, names.triggeredAt) || null,
      rawBody: body.toString("utf8"),
    });
    send(res, answer, answer.headers);
  }
}
