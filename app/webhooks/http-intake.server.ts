import { createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { log } from "../logger.server";
import type { WebhookAnswer, WebhookReceiver } from "./receive.server";
import { normalizeTopicHeader, topicOfPath } from "./topics";

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
}

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

/** Signature check as Shopify defines it: base64 HMAC-SHA256 of the raw body with the app secret, compared in constant time. */
export function isValidShopifyHmac(rawBody: Buffer, secret: string, signature: string): boolean {
  const expected = Buffer.from(createHmac("sha256", secret).update(rawBody).digest("base64"));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/**
 * 413 before the body is read whole: the answer goes at once, and what the client still sends is discarded
 * unbuffered, so that it can read the answer (closing a socket with unread data resets it) and keep its
 * connection. A client that goes on sending far past the limit is cut off.
 */
function refuseTooLarge(req: IncomingMessage, res: ServerResponse, limit: number): void {
  refuse(res, req, 413, `body over ${limit} bytes`);
  let discarded = 0;
  req.removeAllListeners("data");
  req.on("data", (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > 16 * limit) req.socket.destroy();
  });
  req.resume();
}

/** Reads the body up to `limit` bytes; null when it is larger (the rest is never buffered). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on("data", (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        done = true;
        req.pause();
        resolve(null);
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      if (!done) resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
    });
    req.on("error", reject);
  });
}

export function createWebhookHttpHandler(options: HttpIntakeOptions) {
  return async function handleWebhookHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const pathname = (req.url ?? "").split("?")[0];
    const routeTopic = topicOfPath(pathname);
    if (!routeTopic) return refuse(res, req, 404, `no webhook route at ${pathname}`);
    if (req.method !== "POST") return refuse(res, req, 405, "webhooks are POST requests", { allow: "POST" });

    const declared = Number(req.headers["content-length"] ?? NaN);
    if (declared > options.maxBodyBytes) return refuseTooLarge(req, res, options.maxBodyBytes);
    let body: Buffer | null;
    try {
      body = await readBody(req, options.maxBodyBytes);
    } catch {
      return; // the client went away; nothing was stored
    }
    if (body === null) return refuseTooLarge(req, res, options.maxBodyBytes);

    const names = header(req, EVENT_HEADERS.hmac) ? EVENT_HEADERS : WEBHOOK_HEADERS;
    if (body.length === 0) return refuse(res, req, 400, "empty body");
    const hmac = header(req, names.hmac);
    if (!hmac) return refuse(res, req, 400, `missing ${names.hmac} header`);
    if (!isValidShopifyHmac(body, options.apiSecret, hmac)) return refuse(res, req, 401, "invalid HMAC signature");

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
    send(res, answer);
  };
}
