// A stand-in for JoinChat on 127.0.0.1: its merchant push endpoint and its generic Send API (send_message). It
// checks what JoinChat's docs (and the Messenger templates underneath) require, answers the way JoinChat answers,
// and is as harsh as the real service: every answer waits a latency (Facebook's Send API is behind JoinChat), a
// Facebook page can be throttled with 429 and Retry-After, and it can be told to misbehave (503, 429 for a while,
// timeouts, resets, garbage). Tests, the demo and the benchmark push to it, so the hot path stays cheap: one HMAC,
// one JSON.parse, a walk over the body, and no per-request allocation beyond the records.
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { performance } from "node:perf_hooks";
import {
  DEFAULT_LATENCY,
  PageLimiter,
  parseLatency,
  parseThrottle,
  sampleLatency,
  seededRandom,
  type LatencyProfile,
  type SandboxLatency,
  type SandboxThrottle,
} from "./harshness";
import { isObject, Rejection, sendPageIdOf, validatePush, validateSendMessage, type Json, type ValidPush, type ValidSend } from "./joinchat-rules";

export { DEFAULT_LATENCY, NO_LATENCY, REALISTIC_LATENCY, type LatencyProfile, type SandboxLatency, type SandboxThrottle } from "./harshness";
export {
  exampleReceiptPush,
  examplePackagePush,
  exampleSendMessage,
  MESSENGER_TAGS,
  RETIRED_MESSENGER_TAGS,
  TEMPLATE_TYPES,
  type ExampleSendMessage,
} from "./joinchat-rules";

export interface SandboxOptions {
  /** 0 = a random free port (the default). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  defaultSecret?: string;
  /** Shop domain -> API secret; wins over defaultSecret. */
  secrets?: Record<string, string>;
  /**
   * Facebook page id -> its bot's secret and (optionally) the shop it belongs to. send_message names only the page:
   * its secret is the page's, else that of the shop in X-Shop-Domain (when sent), else defaultSecret.
   */
  pages?: Record<string, { secret?: string; shop?: string }>;
  /**
   * How long each answer waits (pushes and send_message, refusals and injected status faults alike): a number is
   * a fixed delay in ms, an object adds jitter and a slow tail. Default DEFAULT_LATENCY (5–20 ms); NO_LATENCY
   * answers at once.
   */
  latency?: SandboxLatency | number;
  /** Older name for a fixed `latency` (no jitter). */
  delayMs?: number;
  /** Seeds the latency's randomness, so a run can be replayed. */
  seed?: number;
  /** Per-page throttling (429 with Retry-After); none by default. */
  throttle?: SandboxThrottle | null;
  /** Paths of the Send API (default ["/api/send_message"]); every other path outside /_sandbox takes pushes. */
  sendApiPaths?: string[];
  /** Keep records (`received`, `rejected`, `sent`, `sendRejected`, the timeline); default true. Counters are kept either way. */
  record?: boolean;
  /** Called once per push or send_message request, after its answer is decided (for the CLI's log). */
  onPush?: (event: SandboxPushEvent) => void;
}

export type SandboxEndpoint = "push" | "send_message";
export type SandboxOutcome = "delivered" | "replay" | "rejected" | "throttled" | "fault";

export interface SandboxPushEvent {
  at: number;
  endpoint: SandboxEndpoint;
  /** HTTP status sent, or null when the connection was reset or held. */
  status: number | null;
  outcome: SandboxOutcome;
  shop: string | null;
  /** The push's topic; for send_message, `send_message/<template_type>`. */
  topic: string | null;
  recipient: { id?: string; email?: string; phone?: string; uuid?: string } | null;
  reason: string | null;
}

export interface ReceivedPush {
  receivedAt: number;
  shop: string;
  idempotencyKey: string | null;
  topic: string;
  pageId: string;
  recipient: { id?: string; email?: string; phone?: string };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the params as sent, for assertions
  params: any;
  businessKey: string;
  replay: boolean;
  answer: unknown;
}

export interface RejectedPush {
  receivedAt: number;
  status: number;
  reason: string;
  shop: string | null;
}

/** A send_message the sandbox accepted (a replay is flagged). */
export interface SentMessage {
  receivedAt: number;
  /** The page's shop (pages option), else X-Shop-Domain, else null. */
  shop: string | null;
  pageId: string;
  idempotencyKey: string | null;
  recipient: { id?: string; phone?: string; email?: string; uuid?: string };
  templateType: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the message as sent, for assertions
  message: any;
  tag: string | null;
  /** The `delay` asked for: JoinChat holds the message that long before Facebook gets it; the answer does not wait. */
  delaySeconds: number;
  /** Page, recipient and message: the same key twice means the buyer read the same message twice. */
  messageKey: string;
  replay: boolean;
  answer: unknown;
}

export interface RejectedMessage {
  receivedAt: number;
  status: number;
  reason: string;
  shop: string | null;
  pageId: string | null;
}

/** One request to the push endpoint or the Send API, from its arrival to its answer. */
export interface SandboxRequestSpan {
  id: number;
  endpoint: SandboxEndpoint;
  shop: string | null;
  pageId: string | null;
  idempotencyKey: string | null;
  /** When its body had arrived: ms since the epoch, sub-millisecond. */
  start: number;
  /** When its answer was written or its connection closed; null while it is in flight. */
  end: number | null;
  /** The HTTP status written, or null (reset, held, or the client left before the answer). */
  status: number | null;
  outcome: SandboxOutcome | null;
  /** The client closed the connection before the answer was written. */
  aborted: boolean;
}

export interface SandboxStats {
  /** Distinct idempotency keys of pushes accepted (a push without a key counts once per request). */
  accepted: number;
  replays: number;
  rejected: number;
  /** Requests (pushes and send_message) answered by an injected fault instead of the rules. */
  faulted: number;
  /** Requests (pushes and send_message) answered 429 by the per-page throttle. */
  throttled: number;
  /** Every HTTP status written, pushes and send_message, faults and throttling included. */
  byStatus: Record<string, number>;
  /** Distinct idempotency keys of pushes accepted per business key. */
  byBusinessKey: Record<string, number>;
  /** Business keys delivered more than once: the buyer got the same message twice. */
  doubledBusinessKeys: string[];
  /** The Send API's counters. */
  send: {
    accepted: number;
    replays: number;
    rejected: number;
    byMessageKey: Record<string, number>;
    doubledMessageKeys: string[];
  };
}

/** A fault, for the next `count` requests and/or `forMs` ms; `endpoint` limits it to pushes or send_message. */
export type SandboxFault = ({ mode: "status"; status: number; retryAfterS?: number } | { mode: "timeout" } | { mode: "reset" } | { mode: "garbage" }) & {
  count?: number;
  forMs?: number;
  endpoint?: SandboxEndpoint;
};

/** Whose requests in flight: a shop (a string is a shop), a Facebook page, or (none) all of them. */
export type InFlightScope = string | { shop: string } | { pageId: string } | undefined;

export interface JoinChatSandbox {
  /** The push endpoint, e.g. http://127.0.0.1:PORT/v1/push */
  url: string;
  /** The Send API, e.g. http://127.0.0.1:PORT/api/send_message */
  sendUrl: string;
  /** http://127.0.0.1:PORT (the control API is under /_sandbox). */
  origin: string;
  port: number;
  /** Accepted pushes, replays included (flagged). */
  received: ReceivedPush[];
  rejected: RejectedPush[];
  /** Accepted send_message requests, replays included (flagged). */
  sent: SentMessage[];
  sendRejected: RejectedMessage[];
  stats(): SandboxStats;
  setSecret(shop: string, secret: string): void;
  /** The secret (and shop) of a Facebook page's bot, for send_message. */
  setPage(pageId: string, page: { secret?: string; shop?: string }): void;
  /** null = every recipient is known (the default); else any other psid/email/phone/uuid gets 10010. */
  setKnownRecipients(values: string[] | null): void;
  /**
   * Recipients who wrote to the page in the last 24 hours, so a send_message without a tag may reach them
   * ("all" = everyone). Default none: a notice without a tag is refused as Messenger refuses it.
   */
  setMessagingWindow(open: string[] | "all"): void;
  /** For the next `count` requests and/or for `forMs` ms (whichever ends first; neither = 1 request). */
  fail(fault: SandboxFault): void;
  clearFaults(): void;
  /** The latency from now on (throws on a wrong value). */
  setLatency(latency: SandboxLatency | number): void;
  latency(): LatencyProfile;
  /** The per-page throttle from now on; null = none (throws on a wrong value). */
  setThrottle(throttle: SandboxThrottle | null): void;
  throttle(): SandboxThrottle | null;
  /** Requests in flight now. */
  inFlight(scope?: InFlightScope): number;
  /** The most requests that were in flight at once since the start (or the last reset). */
  maxInFlight(scope?: InFlightScope): number;
  /** Every request's span, oldest first (kept when `record` is on), optionally of one shop, page or endpoint. */
  timeline(filter?: { shop?: string; pageId?: string; endpoint?: SandboxEndpoint }): SandboxRequestSpan[];
  /**
   * Clears records, stats, the timeline and the in-flight maxima, idempotency memory, faults, known recipients,
   * the messaging window and the throttle's windows. Configuration stays: secrets, pages, latency, throttle.
   */
  reset(): void;
  close(): Promise<void>;
}

export const RECIPIENT_NOT_FOUND = { code: 10010, msg: "Recipient not found" } as const;
/** Messenger's refusal of a message without a tag to someone who has not written in 24 hours. */
export const OUTSIDE_MESSAGING_WINDOW = { code: 10, msg: "(#10) This message is sent outside of allowed window. Add a message tag to send it." } as const;

const MAX_BODY_BYTES = 1024 * 1024;
const SHOP_DOMAIN = /^[a-z0-9][a-z0-9-]*\.myshopify\.com$/;
const DEFAULT_SEND_API_PATHS = ["/api/send_message"];

interface ActiveFault {
  fault: SandboxFault;
  remaining: number | null;
  until: number | null;
}

interface StoredAnswer {
  status: number;
  body: string;
  answer: unknown;
  delivered: boolean;
}

/** One request on its way through the sandbox. */
interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  raw: Buffer;
  endpoint: SandboxEndpoint;
  /** X-Shop-Domain as sent (trimmed), or null. */
  shopHeader: string | null;
  /** The shop the request is counted for (send_message: the page's shop first). */
  shop: string | null;
  pageId: string | null;
  parsed: { ok: true; value: unknown } | { ok: false };
  idempotencyKey: string | null;
  span: SandboxRequestSpan;
  /** Frees the page's throttle slot, once admitted. */
  release: (() => void) | null;
}

function failureBody(code: number, msg: string): string {
  return JSON.stringify({ success: false, errors: { code, msg } });
}

function now(): number {
  return performance.timeOrigin + performance.now();
}

function checkSendPath(path: string): string {
  if (!path.startsWith("/") || path.startsWith("/_sandbox")) throw new Error(`a Send API path must start with / and not with /_sandbox: ${path}`);
  return path;
}

export async function startJoinChatSandbox(opts: SandboxOptions = {}): Promise<JoinChatSandbox> {
  const host = opts.host ?? "127.0.0.1";
  const record = opts.record ?? true;
  const defaultSecret = opts.defaultSecret;
  const secrets = new Map<string, string>(Object.entries(opts.secrets ?? {}));
  const pages = new Map<string, { secret?: string; shop?: string }>(Object.entries(opts.pages ?? {}));
  const onPush = opts.onPush;
  const sendPaths = new Set((opts.sendApiPaths ?? DEFAULT_SEND_API_PATHS).map(checkSendPath));
  if (sendPaths.size === 0) throw new Error("sendApiPaths must name at least one path");
  const random = opts.seed === undefined ? Math.random : seededRandom(opts.seed);

  if (opts.latency !== undefined && opts.delayMs !== undefined) throw new Error("give latency or delayMs, not both");
  let latency: LatencyProfile = DEFAULT_LATENCY;
  const initialLatency = opts.latency ?? opts.delayMs;
  if (initialLatency !== undefined) {
    const parsed = parseLatency(initialLatency);
    if (typeof parsed === "string") throw new Error(parsed);
    latency = parsed;
  }
  const initialThrottle = parseThrottle(opts.throttle ?? null);
  if (typeof initialThrottle === "string") throw new Error(initialThrottle);
  const limiter = new PageLimiter(initialThrottle);

  let known: Set<string> | null = null;
  let windowOpen: Set<string> | "all" = new Set();
  let activeFault: ActiveFault | null = null;
  // Keyed by shop + "\n" + Idempotency-Key: keys are the client's, unique per shop only.
  let idempotency = new Map<string, StoredAnswer>();
  // The Send API knows a bot by its page: keyed by page + "\n" + Idempotency-Key.
  let sendIdempotency = new Map<string, StoredAnswer>();
  let byBusinessKey = new Map<string, number>();
  let byMessageKey = new Map<string, number>();
  let counters = { accepted: 0, replays: 0, rejected: 0, faulted: 0, throttled: 0 };
  let sendCounters = { accepted: 0, replays: 0, rejected: 0 };
  let byStatus = new Map<number, number>();
  const received: ReceivedPush[] = [];
  const rejected: RejectedPush[] = [];
  const sent: SentMessage[] = [];
  const sendRejected: RejectedMessage[] = [];
  const spans: SandboxRequestSpan[] = [];
  let nextSpanId = 1;
  // Requests in flight now and the most at once, in total, per shop and per page.
  const live = { total: 0, byShop: new Map<string, number>(), byPage: new Map<string, number>() };
  let peak = { total: 0, byShop: new Map<string, number>(), byPage: new Map<string, number>() };
  // Requests held by a "timeout" fault, and answers waiting out their latency, so close() can let go of them.
  const held = new Set<ServerResponse>();
  const waiting = new Set<NodeJS.Timeout>();

  function emit(ctx: Ctx, event: Omit<SandboxPushEvent, "at" | "endpoint" | "shop">): void {
    ctx.span.outcome = event.outcome;
    if (!onPush) return;
    try {
      onPush({ at: Date.now(), endpoint: ctx.endpoint, shop: ctx.shop, ...event });
    } catch {
      // A logging hook must not break the answer.
    }
  }

  function takeFault(endpoint: SandboxEndpoint): SandboxFault | null {
    const active = activeFault;
    if (!active) return null;
    if (active.until !== null && Date.now() >= active.until) {
      activeFault = null;
      return null;
    }
    if (active.fault.endpoint !== undefined && active.fault.endpoint !== endpoint) return null;
    if (active.remaining !== null) {
      active.remaining -= 1;
      if (active.remaining <= 0) activeFault = null;
    }
    return active.fault;
  }

  function bump(map: Map<string, number>, key: string, by: number): number {
    const value = (map.get(key) ?? 0) + by;
    if (value === 0) map.delete(key);
    else map.set(key, value);
    return value;
  }

  function openSpan(ctx: Omit<Ctx, "span" | "release">): SandboxRequestSpan {
    const span: SandboxRequestSpan = {
      id: nextSpanId++,
      endpoint: ctx.endpoint,
      shop: ctx.shop,
      pageId: ctx.pageId,
      idempotencyKey: ctx.idempotencyKey,
      start: now(),
      end: null,
      status: null,
      outcome: null,
      aborted: false,
    };
    if (record) spans.push(span);
    live.total += 1;
    if (live.total > peak.total) peak.total = live.total;
    if (ctx.shop !== null) {
      const n = bump(live.byShop, ctx.shop, 1);
      if (n > (peak.byShop.get(ctx.shop) ?? 0)) peak.byShop.set(ctx.shop, n);
    }
    if (ctx.pageId !== null) {
      const n = bump(live.byPage, ctx.pageId, 1);
      if (n > (peak.byPage.get(ctx.pageId) ?? 0)) peak.byPage.set(ctx.pageId, n);
    }
    return span;
  }

  function closeSpan(ctx: Ctx): void {
    const span = ctx.span;
    if (span.end !== null) return;
    span.end = now();
    span.aborted = !ctx.res.writableFinished;
    live.total -= 1;
    if (span.shop !== null) bump(live.byShop, span.shop, -1);
    if (span.pageId !== null) bump(live.byPage, span.pageId, -1);
    ctx.release?.();
  }

  /** Writes an answer once the latency has passed (never if the client left meanwhile). */
  function send(ctx: Ctx, status: number, body: string, headers?: Record<string, string>, contentType = "application/json; charset=utf-8"): void {
    const { res } = ctx;
    const write = () => {
      if (res.destroyed || res.writableEnded) return;
      res.writeHead(status, { "Content-Type": contentType, "Content-Length": Buffer.byteLength(body), ...headers });
      res.end(body);
      ctx.span.status = status;
      byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
    };
    const delay = sampleLatency(latency, random);
    if (delay <= 0) return write();
    const timer = setTimeout(() => {
      waiting.delete(timer);
      write();
    }, delay);
    waiting.add(timer);
  }

  function reject(ctx: Ctx, status: number, msg: string, reason = msg): void {
    if (ctx.endpoint === "push") {
      counters.rejected += 1;
      if (record) rejected.push({ receivedAt: Date.now(), status, reason, shop: ctx.shop });
    } else {
      sendCounters.rejected += 1;
      if (record) sendRejected.push({ receivedAt: Date.now(), status, reason, shop: ctx.shop, pageId: ctx.pageId });
    }
    send(ctx, status, failureBody(status, msg));
    emit(ctx, { status, outcome: "rejected", topic: null, recipient: null, reason });
  }

  function applyFault(ctx: Ctx, fault: SandboxFault): void {
    counters.faulted += 1;
    const { res } = ctx;
    switch (fault.mode) {
      case "status": {
        const headers: Record<string, string> = {};
        if (fault.retryAfterS !== undefined) headers["Retry-After"] = String(fault.retryAfterS);
        send(ctx, fault.status, failureBody(fault.status, `Injected fault: HTTP ${fault.status}`), headers);
        emit(ctx, { status: fault.status, outcome: "fault", topic: null, recipient: null, reason: `injected HTTP ${fault.status}` });
        return;
      }
      case "timeout": {
        // Say nothing until the client gives up and closes the connection.
        held.add(res);
        res.on("close", () => held.delete(res));
        emit(ctx, { status: null, outcome: "fault", topic: null, recipient: null, reason: "injected timeout (held)" });
        return;
      }
      case "reset": {
        ctx.req.socket.destroy();
        emit(ctx, { status: null, outcome: "fault", topic: null, recipient: null, reason: "injected connection reset" });
        return;
      }
      case "garbage": {
        const body = "<html><body><h1>Gateway hiccup</h1><p>Please try later</p></body></html>";
        send(ctx, 200, body, undefined, "text/html");
        emit(ctx, { status: 200, outcome: "fault", topic: null, recipient: null, reason: "injected garbage answer" });
        return;
      }
    }
  }

  /** Takes a slot of the page's throttle, or answers 429 and says so. */
  function throttled(ctx: Ctx, pageId: string, topic: string, recipient: SandboxPushEvent["recipient"]): boolean {
    const admitted = limiter.admit(pageId, Date.now());
    if (typeof admitted === "function") {
      // The connection may already be gone (a client that gave up): the slot is freed at once then.
      if (ctx.span.end !== null) admitted();
      else ctx.release = admitted;
      return false;
    }
    counters.throttled += 1;
    send(ctx, 429, failureBody(429, `${admitted.msg}; retry after ${admitted.retryAfterS} s`), { "Retry-After": String(admitted.retryAfterS) });
    emit(ctx, { status: 429, outcome: "throttled", topic, recipient, reason: admitted.msg });
    return true;
  }

  function checkHttp(ctx: Ctx): boolean {
    const { req } = ctx;
    if (req.method !== "POST") {
      reject(ctx, 405, `Method ${req.method} not allowed, use POST`);
      return false;
    }
    const contentType = (req.headers["content-type"] ?? "").split(";", 1)[0].trim().toLowerCase();
    if (contentType !== "application/json") {
      reject(ctx, 415, "Content-Type must be application/json", `unsupported Content-Type ${JSON.stringify(req.headers["content-type"] ?? null)}`);
      return false;
    }
    return true;
  }

  function isKnown(key: string, value: string): boolean {
    return known === null || known.has(value) || (key === "email" && known.has(value.toLowerCase()));
  }

  function handlePush(ctx: Ctx): void {
    // Faults stand for the network or JoinChat's own infrastructure: they come before any rule.
    const fault = takeFault("push");
    if (fault) return applyFault(ctx, fault);
    if (!checkHttp(ctx)) return;

    const shop = ctx.shopHeader;
    if (!shop) return reject(ctx, 400, "X-Shop-Domain header is required");
    if (!SHOP_DOMAIN.test(shop)) return reject(ctx, 400, "X-Shop-Domain must be a *.myshopify.com domain");

    const secret = secrets.get(shop) ?? defaultSecret;
    const signature = ctx.req.headers["x-joinchat-signature"];
    if (secret === undefined) return reject(ctx, 401, "Invalid signature", "no secret known for this shop");
    if (typeof signature !== "string" || signature === "") return reject(ctx, 401, "Invalid signature", "X-Joinchat-Signature header missing");
    if (!verifyJoinChatSignature(ctx.raw, secret, signature)) return reject(ctx, 401, "Invalid signature");

    if (!ctx.parsed.ok) return reject(ctx, 400, "Body is not valid JSON");
    let push: ValidPush;
    try {
      push = validatePush(ctx.parsed.value);
    } catch (err) {
      if (err instanceof Rejection) return reject(ctx, err.status, err.msg);
      throw err;
    }

    const recipient = { [push.recipientKey]: push.recipientValue } as ReceivedPush["recipient"];
    if (throttled(ctx, push.pageId, push.topic, recipient)) return;

    const idempotencyKey = ctx.idempotencyKey;
    const businessKey = businessKeyOf(shop, push);
    const memoKey = idempotencyKey === null ? null : `${shop}\n${idempotencyKey}`;
    const remember = (answer: unknown, replay: boolean) =>
      received.push({
        receivedAt: Date.now(),
        shop,
        idempotencyKey,
        topic: push.topic,
        pageId: push.pageId,
        recipient,
        params: push.params,
        businessKey,
        replay,
        answer,
      });

    const previous = memoKey === null ? undefined : idempotency.get(memoKey);
    if (previous) {
      counters.replays += 1;
      if (record) {
        if (previous.delivered) remember(previous.answer, true);
        else rejected.push({ receivedAt: Date.now(), status: previous.status, reason: `replay of ${previous.body}`, shop });
      }
      send(ctx, previous.status, previous.body);
      emit(ctx, { status: previous.status, outcome: "replay", topic: push.topic, recipient, reason: null });
      return;
    }

    if (!isKnown(push.recipientKey, push.recipientValue)) {
      const answer = { success: false, errors: { ...RECIPIENT_NOT_FOUND } };
      const text = JSON.stringify(answer);
      if (memoKey !== null) idempotency.set(memoKey, { status: 200, body: text, answer, delivered: false });
      counters.rejected += 1;
      const reason = `${RECIPIENT_NOT_FOUND.code} ${RECIPIENT_NOT_FOUND.msg}`;
      if (record) rejected.push({ receivedAt: Date.now(), status: 200, reason, shop });
      send(ctx, 200, text);
      emit(ctx, { status: 200, outcome: "rejected", topic: push.topic, recipient, reason });
      return;
    }

    const answer = { success: true, recipient_id: recipientIdOf(push.recipientKey, push.recipientValue) };
    const text = JSON.stringify(answer);
    if (memoKey !== null) idempotency.set(memoKey, { status: 200, body: text, answer, delivered: true });
    counters.accepted += 1;
    byBusinessKey.set(businessKey, (byBusinessKey.get(businessKey) ?? 0) + 1);
    if (record) remember(answer, false);
    send(ctx, 200, text);
    emit(ctx, { status: 200, outcome: "delivered", topic: push.topic, recipient, reason: null });
  }

  function handleSendMessage(ctx: Ctx): void {
    const fault = takeFault("send_message");
    if (fault) return applyFault(ctx, fault);
    if (!checkHttp(ctx)) return;

    const signature = ctx.req.headers["x-joinchat-signature"];
    if (typeof signature !== "string" || signature === "") return reject(ctx, 401, "Invalid signature", "X-Joinchat-Signature header missing");
    if (!ctx.parsed.ok) return reject(ctx, 400, "Body is not valid JSON");

    // The bot, and so the secret, is known by the page: the body must name it before the signature can be checked.
    let pageId: string;
    try {
      pageId = sendPageIdOf(ctx.parsed.value);
    } catch (err) {
      if (err instanceof Rejection) return reject(ctx, err.status, err.msg);
      throw err;
    }
    const headerShop = ctx.shopHeader !== null && SHOP_DOMAIN.test(ctx.shopHeader) ? ctx.shopHeader : null;
    const secret = pages.get(pageId)?.secret ?? (headerShop === null ? undefined : secrets.get(headerShop)) ?? defaultSecret;
    if (secret === undefined) return reject(ctx, 401, "Invalid signature", `no secret known for page ${pageId}`);
    if (!verifyJoinChatSignature(ctx.raw, secret, signature)) return reject(ctx, 401, "Invalid signature");

    let message: ValidSend;
    try {
      message = validateSendMessage(ctx.parsed.value);
    } catch (err) {
      if (err instanceof Rejection) return reject(ctx, err.status, err.msg);
      throw err;
    }

    const recipient = { [message.recipientKey]: message.recipientValue } as SentMessage["recipient"];
    const topic = `send_message/${message.templateType}`;
    if (throttled(ctx, pageId, topic, recipient)) return;

    const idempotencyKey = ctx.idempotencyKey;
    const memoKey = idempotencyKey === null ? null : `${pageId}\n${idempotencyKey}`;
    const messageKey = messageKeyOf(pageId, message);
    const remember = (answer: unknown, replay: boolean) =>
      sent.push({
        receivedAt: Date.now(),
        shop: ctx.shop,
        pageId,
        idempotencyKey,
        recipient,
        templateType: message.templateType,
        message: message.message,
        tag: message.tag,
        delaySeconds: message.delaySeconds,
        messageKey,
        replay,
        answer,
      });
    const refuse = (failure: { code: number; msg: string }) => {
      const answer = { success: false, errors: { ...failure } };
      const text = JSON.stringify(answer);
      if (memoKey !== null) sendIdempotency.set(memoKey, { status: 200, body: text, answer, delivered: false });
      sendCounters.rejected += 1;
      const reason = `${failure.code} ${failure.msg}`;
      if (record) sendRejected.push({ receivedAt: Date.now(), status: 200, reason, shop: ctx.shop, pageId });
      send(ctx, 200, text);
      emit(ctx, { status: 200, outcome: "rejected", topic, recipient, reason });
    };

    const previous = memoKey === null ? undefined : sendIdempotency.get(memoKey);
    if (previous) {
      sendCounters.replays += 1;
      if (record) {
        if (previous.delivered) remember(previous.answer, true);
        else sendRejected.push({ receivedAt: Date.now(), status: previous.status, reason: `replay of ${previous.body}`, shop: ctx.shop, pageId });
      }
      send(ctx, previous.status, previous.body);
      emit(ctx, { status: previous.status, outcome: "replay", topic, recipient, reason: null });
      return;
    }

    if (!isKnown(message.recipientKey, message.recipientValue)) return refuse(RECIPIENT_NOT_FOUND);
    const inWindow = windowOpen === "all" || windowOpen.has(message.recipientValue);
    if (message.tag === null && !inWindow) return refuse(OUTSIDE_MESSAGING_WINDOW);

    const answer = { success: true, recipient_id: recipientIdOf(message.recipientKey, message.recipientValue) };
    const text = JSON.stringify(answer);
    if (memoKey !== null) sendIdempotency.set(memoKey, { status: 200, body: text, answer, delivered: true });
    sendCounters.accepted += 1;
    byMessageKey.set(messageKey, (byMessageKey.get(messageKey) ?? 0) + 1);
    if (record) remember(answer, false);
    send(ctx, 200, text);
    emit(ctx, { status: 200, outcome: "delivered", topic, recipient, reason: null });
  }

  function scopeCount(scope: InFlightScope, source: { total: number; byShop: Map<string, number>; byPage: Map<string, number> }): number {
    if (scope === undefined) return source.total;
    if (typeof scope === "string") return source.byShop.get(scope) ?? 0;
    if ("shop" in scope) return source.byShop.get(scope.shop) ?? 0;
    return source.byPage.get(scope.pageId) ?? 0;
  }

  const api: JoinChatSandbox = {
    url: "",
    sendUrl: "",
    origin: "",
    port: 0,
    received,
    rejected,
    sent,
    sendRejected,
    stats() {
      const keys: Record<string, number> = {};
      const doubled: string[] = [];
      for (const [key, count] of byBusinessKey) {
        keys[key] = count;
        if (count > 1) doubled.push(key);
      }
      const messageKeys: Record<string, number> = {};
      const doubledMessages: string[] = [];
      for (const [key, count] of byMessageKey) {
        messageKeys[key] = count;
        if (count > 1) doubledMessages.push(key);
      }
      const statuses: Record<string, number> = {};
      for (const [status, count] of byStatus) statuses[String(status)] = count;
      return {
        ...counters,
        byStatus: statuses,
        byBusinessKey: keys,
        doubledBusinessKeys: doubled,
        send: { ...sendCounters, byMessageKey: messageKeys, doubledMessageKeys: doubledMessages },
      };
    },
    setSecret(shop, secret) {
      secrets.set(shop, secret);
    },
    setPage(pageId, page) {
      if (!/^\d+$/.test(pageId)) throw new Error(`a page id is digits, got ${JSON.stringify(pageId)}`);
      pages.set(pageId, { ...page });
    },
    setKnownRecipients(values) {
      known = values === null ? null : new Set(values);
    },
    setMessagingWindow(open) {
      windowOpen = open === "all" ? "all" : new Set(open);
    },
    fail(fault) {
      const noLimit = fault.count === undefined && fault.forMs === undefined;
      activeFault = {
        fault,
        remaining: noLimit ? 1 : (fault.count ?? null),
        until: fault.forMs === undefined ? null : Date.now() + fault.forMs,
      };
    },
    clearFaults() {
      activeFault = null;
    },
    setLatency(value) {
      const parsed = parseLatency(value);
      if (typeof parsed === "string") throw new Error(parsed);
      latency = parsed;
    },
    latency: () => latency,
    setThrottle(value) {
      const parsed = parseThrottle(value);
      if (typeof parsed === "string") throw new Error(parsed);
      limiter.configure(parsed);
    },
    throttle: () => limiter.settings,
    inFlight: (scope) => scopeCount(scope, live),
    maxInFlight: (scope) => scopeCount(scope, peak),
    timeline(filter = {}) {
      return spans.filter(
        (s) =>
          (filter.shop === undefined || s.shop === filter.shop) &&
          (filter.pageId === undefined || s.pageId === filter.pageId) &&
          (filter.endpoint === undefined || s.endpoint === filter.endpoint),
      );
    },
    reset() {
      received.length = 0;
      rejected.length = 0;
      sent.length = 0;
      sendRejected.length = 0;
      spans.length = 0;
      idempotency = new Map();
      sendIdempotency = new Map();
      byBusinessKey = new Map();
      byMessageKey = new Map();
      byStatus = new Map();
      counters = { accepted: 0, replays: 0, rejected: 0, faulted: 0, throttled: 0 };
      sendCounters = { accepted: 0, replays: 0, rejected: 0 };
      // The maxima start again from what is in flight now.
      peak = { total: live.total, byShop: new Map(live.byShop), byPage: new Map(live.byPage) };
      limiter.reset();
      activeFault = null;
      known = null;
      windowOpen = new Set();
    },
    close: () => Promise.resolve(),
  };

  function handleControl(req: IncomingMessage, res: ServerResponse, path: string, raw: Buffer): void {
    const json = (status: number, value: unknown) => {
      const body = JSON.stringify(value);
      res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Content-Length": Buffer.byteLength(body) });
      res.end(body);
    };
    const readBody = (): Json | null => {
      try {
        const value: unknown = JSON.parse(raw.toString("utf8") || "{}");
        return isObject(value) ? value : null;
      } catch {
        return null;
      }
    };
    const url = new URL(req.url ?? "/", "http://sandbox");
    const scopeOf = (): { scope: InFlightScope } | { error: string } => {
      const shop = url.searchParams.get("shop");
      const pageId = url.searchParams.get("pageId");
      if (shop !== null && pageId !== null) return { error: "give shop or pageId, not both" };
      return { scope: shop !== null ? { shop } : pageId !== null ? { pageId } : undefined };
    };
    const route = `${req.method} ${path}`;
    switch (route) {
      case "GET /_sandbox/health":
        return json(200, { ok: true, url: api.url, sendUrl: api.sendUrl });
      case "GET /_sandbox/received":
        return json(200, received);
      case "GET /_sandbox/rejected":
        return json(200, rejected);
      case "GET /_sandbox/sent":
        return json(200, sent);
      case "GET /_sandbox/send-rejected":
        return json(200, sendRejected);
      case "GET /_sandbox/stats":
        return json(200, api.stats());
      case "GET /_sandbox/timeline": {
        const endpoint = url.searchParams.get("endpoint");
        if (endpoint !== null && endpoint !== "push" && endpoint !== "send_message")
          return json(400, { ok: false, error: 'endpoint must be "push" or "send_message"' });
        return json(
          200,
          api.timeline({
            shop: url.searchParams.get("shop") ?? undefined,
            pageId: url.searchParams.get("pageId") ?? undefined,
            endpoint: endpoint ?? undefined,
          }),
        );
      }
      case "GET /_sandbox/in-flight": {
        const asked = scopeOf();
        if ("error" in asked) return json(400, { ok: false, error: asked.error });
        return json(200, {
          now: api.inFlight(asked.scope),
          max: api.maxInFlight(asked.scope),
          maxByShop: Object.fromEntries(peak.byShop),
          maxByPage: Object.fromEntries(peak.byPage),
        });
      }
      case "GET /_sandbox/latency":
        return json(200, api.latency());
      case "POST /_sandbox/latency": {
        const parsed = parseLatency(readBody());
        if (typeof parsed === "string") return json(400, { ok: false, error: parsed });
        api.setLatency(parsed);
        return json(200, { ok: true, latency: parsed });
      }
      case "GET /_sandbox/throttle":
        return json(200, { throttle: api.throttle() });
      case "POST /_sandbox/throttle": {
        const parsed = parseThrottle(readBody());
        if (typeof parsed === "string") return json(400, { ok: false, error: parsed });
        api.setThrottle(parsed);
        return json(200, { ok: true, throttle: parsed });
      }
      case "DELETE /_sandbox/throttle":
        api.setThrottle(null);
        return json(200, { ok: true });
      case "POST /_sandbox/secrets": {
        const body = readBody();
        if (!body || typeof body.shop !== "string" || typeof body.secret !== "string" || !body.shop || !body.secret) {
          return json(400, { ok: false, error: "expected {shop: string, secret: string}" });
        }
        api.setSecret(body.shop, body.secret);
        return json(200, { ok: true });
      }
      case "POST /_sandbox/pages": {
        const body = readBody();
        const ok =
          body !== null &&
          typeof body.pageId === "string" &&
          /^\d+$/.test(body.pageId) &&
          (body.secret === undefined || (typeof body.secret === "string" && body.secret !== "")) &&
          (body.shop === undefined || (typeof body.shop === "string" && body.shop !== ""));
        if (!ok) return json(400, { ok: false, error: "expected {pageId: digits, secret?: string, shop?: string}" });
        api.setPage(body.pageId as string, { secret: body.secret as string | undefined, shop: body.shop as string | undefined });
        return json(200, { ok: true });
      }
      case "POST /_sandbox/recipients": {
        const body = readBody();
        const list = body?.known;
        if (!body || !(list === null || (Array.isArray(list) && list.every((v) => typeof v === "string")))) {
          return json(400, { ok: false, error: "expected {known: string[] | null}" });
        }
        api.setKnownRecipients(list as string[] | null);
        return json(200, { ok: true });
      }
      case "POST /_sandbox/messaging-window": {
        const open = readBody()?.open;
        if (!(open === "all" || (Array.isArray(open) && open.every((v) => typeof v === "string")))) {
          return json(400, { ok: false, error: 'expected {open: string[] | "all"}' });
        }
        api.setMessagingWindow(open as string[] | "all");
        return json(200, { ok: true });
      }
      case "POST /_sandbox/faults": {
        const fault = parseFault(readBody());
        if (typeof fault === "string") return json(400, { ok: false, error: fault });
        api.fail(fault);
        return json(200, { ok: true });
      }
      case "DELETE /_sandbox/faults":
        api.clearFaults();
        return json(200, { ok: true });
      case "POST /_sandbox/reset":
        api.reset();
        return json(200, { ok: true });
      default:
        return json(404, { ok: false, error: `no control endpoint ${route}` });
    }
  }

  /** Who a request is counted for, read before any rule so that refused and faulted requests are counted too. */
  function attribute(endpoint: SandboxEndpoint, shopHeader: string | null, parsed: Ctx["parsed"]): { shop: string | null; pageId: string | null } {
    let pageId: string | null = null;
    if (parsed.ok && isObject(parsed.value)) {
      if (endpoint === "push") {
        const request = parsed.value.request;
        if (isObject(request) && typeof request.page_id === "string" && request.page_id !== "") pageId = request.page_id;
      } else {
        const p = parsed.value.page_id;
        if (typeof p === "string" && p !== "") pageId = p;
        else if (typeof p === "number" && Number.isSafeInteger(p)) pageId = String(p);
      }
    }
    const shop = endpoint === "send_message" && pageId !== null ? (pages.get(pageId)?.shop ?? shopHeader) : shopHeader;
    return { shop, pageId };
  }

  function handleJoinChat(req: IncomingMessage, res: ServerResponse, path: string, raw: Buffer, tooLarge: boolean): void {
    const endpoint: SandboxEndpoint = sendPaths.has(path) ? "send_message" : "push";
    const shopValue = req.headers["x-shop-domain"];
    const shopHeader = typeof shopValue === "string" && shopValue.trim() !== "" ? shopValue.trim() : null;
    let parsed: Ctx["parsed"] = { ok: false };
    if (!tooLarge) {
      try {
        parsed = { ok: true, value: JSON.parse(raw.toString("utf8")) as unknown };
      } catch {
        parsed = { ok: false };
      }
    }
    const keyValue = req.headers["idempotency-key"];
    const idempotencyKey = typeof keyValue === "string" && keyValue !== "" ? keyValue : null;
    const { shop, pageId } = attribute(endpoint, shopHeader, parsed);
    const base = { req, res, raw, endpoint, shopHeader, shop, pageId, parsed, idempotencyKey };
    const ctx: Ctx = { ...base, span: openSpan(base), release: null };
    res.once("close", () => closeSpan(ctx));
    if (tooLarge) return reject(ctx, 413, `Body larger than ${MAX_BODY_BYTES} bytes`);
    if (endpoint === "send_message") handleSendMessage(ctx);
    else handlePush(ctx);
  }

  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?", 1)[0];
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on("error", () => res.destroy());
    req.on("end", () => {
      const raw = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
      try {
        if (path.startsWith("/_sandbox")) return handleControl(req, res, path, raw);
        handleJoinChat(req, res, path, raw, tooLarge);
      } catch (err) {
        // A sandbox bug must show up as a 500 in the test, not hang the client.
        if (!res.headersSent) {
          const body = failureBody(500, `Sandbox error: ${err instanceof Error ? err.message : String(err)}`);
          res.writeHead(500, { "Content-Type": "application/json; charset=utf-8", "Content-Length": Buffer.byteLength(body) });
          res.end(body);
        } else {
          res.destroy();
        }
      }
    });
  });
  // Benchmarks reuse connections for a long run; keep idle sockets longer than clients do.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;

  const sockets = new Set<Socket>();
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });

  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(":") ? `[${host}]` : host;
  api.port = port;
  api.origin = `http://${urlHost}:${port}`;
  api.url = `${api.origin}/v1/push`;
  api.sendUrl = `${api.origin}${[...sendPaths][0]}`;
  api.close = () =>
    new Promise<void>((resolve) => {
      for (const timer of waiting) clearTimeout(timer);
      waiting.clear();
      for (const res of held) res.destroy();
      held.clear();
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });
  return api;
}

/**
 * JoinChat's check of X-Joinchat-Signature: base64 HMAC-SHA256 of the exact body bytes with the shop's secret,
 * compared in constant time. Written apart from the app's signing code, so that a test of one checks the other.
 */
export function verifyJoinChatSignature(body: string | Uint8Array, secret: string, signature: string | null | undefined): boolean {
  if (typeof signature !== "string" || signature.length === 0) return false;
  const expected = Buffer.from(createHmac("sha256", secret).update(body).digest("base64"), "utf8");
  const given = Buffer.from(signature, "utf8");
  // timingSafeEqual throws on unequal lengths; the length of a base64 SHA-256 digest is public anyway.
  return expected.length === given.length && timingSafeEqual(expected, given);
}

function parseFault(body: Json | null): SandboxFault | string {
  if (!body) return "expected a JSON object";
  const limits: { count?: number; forMs?: number; endpoint?: SandboxEndpoint } = {};
  for (const key of ["count", "forMs"] as const) {
    const value = body[key];
    if (value === undefined || value === null) continue;
    if (typeof value !== "number" || !Number.isInteger(value) || value < 1) return `${key} must be a positive integer`;
    limits[key] = value;
  }
  if (body.endpoint !== undefined && body.endpoint !== null) {
    if (body.endpoint !== "push" && body.endpoint !== "send_message") return 'endpoint must be "push" or "send_message"';
    limits.endpoint = body.endpoint;
  }
  switch (body.mode) {
    case "status": {
      const status = body.status;
      if (typeof status !== "number" || !Number.isInteger(status) || status < 200 || status > 599) return "status must be an HTTP status 200-599";
      const retryAfterS = body.retryAfterS;
      if (retryAfterS !== undefined && (typeof retryAfterS !== "number" || !Number.isInteger(retryAfterS) || retryAfterS < 0)) {
        return "retryAfterS must be a non-negative integer";
      }
      return { mode: "status", status, ...limits, ...(retryAfterS === undefined ? {} : { retryAfterS }) };
    }
    case "timeout":
    case "reset":
    case "garbage":
      return { mode: body.mode, ...limits };
    default:
      return 'mode must be one of "status", "timeout", "reset", "garbage"';
  }
}

function businessKeyOf(shop: string, push: ValidPush): string {
  const p = push.params;
  switch (push.topic) {
    case "Order/Receipt":
      return `receipt:${shop}:${push.pageId}:${String(p.order_number)}`;
    case "Order/Unpaid":
      return `unpaid:${shop}:${push.pageId}:${String(p.order_number)}`;
    case "package/update":
      return `package:${shop}:${push.pageId}:${String(p.tracking_number)}:${String(p.tracking_status)}`;
  }
}

/** What the buyer reads: the page, who, and the message as sent (a hash keeps the key short). */
function messageKeyOf(pageId: string, message: ValidSend): string {
  const digest = createHash("sha256").update(JSON.stringify(message.message)).digest("hex").slice(0, 16);
  return `message:${pageId}:${message.recipientKey}:${message.recipientValue}:${message.templateType}:${digest}`;
}

/**
 * JoinChat answers with the buyer's PSID. For an email, phone or uuid the sandbox makes one up, stable per
 * value so a test can predict it: 16 digits, like a real PSID.
 */
export function recipientIdOf(kind: "id" | "email" | "phone" | "uuid", value: string): string {
  if (kind === "id") return value;
  const normalized = kind === "email" ? value.trim().toLowerCase() : kind === "phone" ? value.replace(/[^\d+]/g, "") : value.trim();
  const digest = createHash("sha256").update(`${kind}:${normalized}`).digest();
  const n = digest.readBigUInt64BE(0) % 9_000_000_000_000_000n;
  return (n + 1_000_000_000_000_000n).toString();
}
