// A stand-in for JoinChat's push endpoint on 127.0.0.1: it checks what JoinChat's docs (and the
// Messenger receipt template underneath) require, answers the way JoinChat answers, and can be told
// to misbehave. Tests, the demo and the benchmark push to it, so the hot path stays cheap: one HMAC,
// one JSON.parse, a walk over the params, and no per-request allocation beyond the record.
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { JOINCHAT_TOPICS, TRACKING_STATUSES, type JoinChatTopic } from "../../app/pushes/types";

export interface SandboxOptions {
  /** 0 = a random free port (the default). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  defaultSecret?: string;
  /** Shop domain -> API secret; wins over defaultSecret. */
  secrets?: Record<string, string>;
  /** Added before every push answer, to look like a remote service. */
  delayMs?: number;
  /** Keep each push in `received` / `rejected` (default true); counters are kept either way. */
  record?: boolean;
  /** Called once per push request, after its answer is decided (for the CLI's log). */
  onPush?: (event: SandboxPushEvent) => void;
}

export interface SandboxPushEvent {
  at: number;
  /** HTTP status sent, or null when the connection was reset or held. */
  status: number | null;
  outcome: "delivered" | "replay" | "rejected" | "fault";
  shop: string | null;
  topic: string | null;
  recipient: { id?: string; email?: string; phone?: string } | null;
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

export interface SandboxStats {
  /** Distinct idempotency keys accepted (a push without a key counts once per request). */
  accepted: number;
  replays: number;
  rejected: number;
  /** Requests answered by an injected fault instead of the rules. */
  faulted: number;
  /** Distinct idempotency keys accepted per business key. */
  byBusinessKey: Record<string, number>;
  /** Business keys delivered more than once: the buyer got the same message twice. */
  doubledBusinessKeys: string[];
}

export type SandboxFault =
  | { mode: "status"; status: number; count?: number; forMs?: number; retryAfterS?: number }
  | { mode: "timeout"; count?: number; forMs?: number }
  | { mode: "reset"; count?: number; forMs?: number }
  | { mode: "garbage"; count?: number; forMs?: number };

export interface JoinChatSandbox {
  /** The push endpoint, e.g. http://127.0.0.1:PORT/v1/push */
  url: string;
  port: number;
  /** Accepted pushes, replays included (flagged). */
  received: ReceivedPush[];
  rejected: RejectedPush[];
  stats(): SandboxStats;
  setSecret(shop: string, secret: string): void;
  /** null = every recipient is known (the default); else any other psid/email/phone gets 10010. */
  setKnownRecipients(values: string[] | null): void;
  /** For the next `count` push requests and/or for `forMs` ms (whichever ends first; neither = 1 request). */
  fail(fault: SandboxFault): void;
  clearFaults(): void;
  /** Clears records, stats, idempotency memory, faults and known recipients (secrets stay). */
  reset(): void;
  close(): Promise<void>;
}

export const RECIPIENT_NOT_FOUND = { code: 10010, msg: "Recipient not found" } as const;

const MAX_BODY_BYTES = 1024 * 1024;
const MAX_ELEMENTS = 100;
const SHOP_DOMAIN = /^[a-z0-9][a-z0-9-]*\.myshopify\.com$/;
const DIGITS = /^\d+$/;
const CURRENCY = /^[A-Z]{3}$/;
const COUNTRY = /^[A-Z]{2}$/;
const TOPICS: ReadonlySet<string> = new Set(JOINCHAT_TOPICS);
const TRACKING: ReadonlySet<string> = new Set(TRACKING_STATUSES);
const RECIPIENT_KEYS = ["id", "email", "phone"] as const;
type RecipientKey = (typeof RECIPIENT_KEYS)[number];

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

/** A push that passed every rule (or would be answered 10010). */
interface ValidPush {
  topic: JoinChatTopic;
  pageId: string;
  recipientKey: RecipientKey;
  recipientValue: string;
  params: Record<string, unknown>;
}

class Rejection {
  constructor(
    readonly status: number,
    readonly msg: string,
  ) {}
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function failureBody(code: number, msg: string): string {
  return JSON.stringify({ success: false, errors: { code, msg } });
}

export async function startJoinChatSandbox(opts: SandboxOptions = {}): Promise<JoinChatSandbox> {
  const host = opts.host ?? "127.0.0.1";
  const record = opts.record ?? true;
  const delayMs = Math.max(0, opts.delayMs ?? 0);
  const defaultSecret = opts.defaultSecret;
  const secrets = new Map<string, string>(Object.entries(opts.secrets ?? {}));
  const onPush = opts.onPush;

  let known: Set<string> | null = null;
  let activeFault: ActiveFault | null = null;
  // Keyed by shop + "\n" + Idempotency-Key: keys are the client's, unique per shop only.
  let idempotency = new Map<string, StoredAnswer>();
  let byBusinessKey = new Map<string, number>();
  let counters = { accepted: 0, replays: 0, rejected: 0, faulted: 0 };
  const received: ReceivedPush[] = [];
  const rejected: RejectedPush[] = [];
  // Requests held by a "timeout" fault, so close() can let go of them.
  const held = new Set<ServerResponse>();

  function emit(event: Omit<SandboxPushEvent, "at">): void {
    if (!onPush) return;
    try {
      onPush({ at: Date.now(), ...event });
    } catch {
      // A logging hook must not break the answer.
    }
  }

  function takeFault(): SandboxFault | null {
    const active = activeFault;
    if (!active) return null;
    if (active.until !== null && Date.now() >= active.until) {
      activeFault = null;
      return null;
    }
    if (active.remaining !== null) {
      active.remaining -= 1;
      if (active.remaining <= 0) activeFault = null;
    }
    return active.fault;
  }

  function send(res: ServerResponse, status: number, body: string, headers?: Record<string, string>): void {
    const write = () => {
      if (res.destroyed || res.writableEnded) return;
      res.writeHead(status, {
        "Content-Type": "application/json; charset=utf-8",
        "Content-Length": Buffer.byteLength(body),
        ...headers,
      });
      res.end(body);
    };
    if (delayMs > 0) setTimeout(write, delayMs);
    else write();
  }

  function reject(res: ServerResponse, shop: string | null, status: number, msg: string, reason = msg): void {
    counters.rejected += 1;
    if (record) rejected.push({ receivedAt: Date.now(), status, reason, shop });
    send(res, status, failureBody(status, msg));
    emit({ status, outcome: "rejected", shop, topic: null, recipient: null, reason });
  }

  function applyFault(req: IncomingMessage, res: ServerResponse, fault: SandboxFault, shop: string | null): void {
    counters.faulted += 1;
    switch (fault.mode) {
      case "status": {
        const headers: Record<string, string> = {};
        if (fault.retryAfterS !== undefined) headers["Retry-After"] = String(fault.retryAfterS);
        send(res, fault.status, failureBody(fault.status, `Injected fault: HTTP ${fault.status}`), headers);
        emit({ status: fault.status, outcome: "fault", shop, topic: null, recipient: null, reason: `injected HTTP ${fault.status}` });
        return;
      }
      case "timeout": {
        // Say nothing until the client gives up and closes the connection.
        held.add(res);
        res.on("close", () => held.delete(res));
        emit({ status: null, outcome: "fault", shop, topic: null, recipient: null, reason: "injected timeout (held)" });
        return;
      }
      case "reset": {
        req.socket.destroy();
        emit({ status: null, outcome: "fault", shop, topic: null, recipient: null, reason: "injected connection reset" });
        return;
      }
      case "garbage": {
        const body = "<html><body><h1>Gateway hiccup</h1><p>Please try later</p></body></html>";
        if (res.destroyed) return;
        res.writeHead(200, { "Content-Type": "text/html", "Content-Length": Buffer.byteLength(body) });
        res.end(body);
        emit({ status: 200, outcome: "fault", shop, topic: null, recipient: null, reason: "injected garbage answer" });
        return;
      }
    }
  }

  function handlePush(req: IncomingMessage, res: ServerResponse, raw: Buffer): void {
    const shopHeader = req.headers["x-shop-domain"];
    const shop = typeof shopHeader === "string" ? shopHeader.trim() : null;

    // Faults stand for the network or JoinChat's own infrastructure: they come before any rule.
    const fault = takeFault();
    if (fault) return applyFault(req, res, fault, shop);

    if (req.method !== "POST") return reject(res, shop, 405, `Method ${req.method} not allowed, use POST`);

    const contentType = (req.headers["content-type"] ?? "").split(";", 1)[0].trim().toLowerCase();
    if (contentType !== "application/json") {
      return reject(res, shop, 415, "Content-Type must be application/json", `unsupported Content-Type ${JSON.stringify(req.headers["content-type"] ?? null)}`);
    }

    if (!shop) return reject(res, null, 400, "X-Shop-Domain header is required");
    if (!SHOP_DOMAIN.test(shop)) return reject(res, shop, 400, "X-Shop-Domain must be a *.myshopify.com domain");

    const secret = secrets.get(shop) ?? defaultSecret;
    const signature = req.headers["x-joinchat-signature"];
    if (secret === undefined) return reject(res, shop, 401, "Invalid signature", "no secret known for this shop");
    if (typeof signature !== "string" || signature === "") {
      return reject(res, shop, 401, "Invalid signature", "X-Joinchat-Signature header missing");
    }
    if (!signatureMatches(raw, secret, signature)) return reject(res, shop, 401, "Invalid signature");

    let body: unknown;
    try {
      body = JSON.parse(raw.toString("utf8"));
    } catch {
      return reject(res, shop, 400, "Body is not valid JSON");
    }

    let push: ValidPush;
    try {
      push = validatePush(body);
    } catch (err) {
      if (err instanceof Rejection) return reject(res, shop, err.status, err.msg);
      throw err;
    }

    const keyHeader = req.headers["idempotency-key"];
    const idempotencyKey = typeof keyHeader === "string" && keyHeader !== "" ? keyHeader : null;
    const businessKey = businessKeyOf(shop, push);
    const recipient = { [push.recipientKey]: push.recipientValue } as ReceivedPush["recipient"];
    const memoKey = idempotencyKey === null ? null : `${shop}\n${idempotencyKey}`;

    const previous = memoKey === null ? undefined : idempotency.get(memoKey);
    if (previous) {
      counters.replays += 1;
      if (record) {
        if (previous.delivered) {
          received.push({ receivedAt: Date.now(), shop, idempotencyKey, topic: push.topic, pageId: push.pageId, recipient, params: push.params, businessKey, replay: true, answer: previous.answer });
        } else {
          rejected.push({ receivedAt: Date.now(), status: previous.status, reason: `replay of ${previous.body}`, shop });
        }
      }
      send(res, previous.status, previous.body);
      emit({ status: previous.status, outcome: "replay", shop, topic: push.topic, recipient, reason: null });
      return;
    }

    if (known !== null && !known.has(push.recipientValue) && !(push.recipientKey === "email" && known.has(push.recipientValue.toLowerCase()))) {
      const answer = { success: false, errors: { ...RECIPIENT_NOT_FOUND } };
      const text = JSON.stringify(answer);
      if (memoKey !== null) idempotency.set(memoKey, { status: 200, body: text, answer, delivered: false });
      counters.rejected += 1;
      if (record) rejected.push({ receivedAt: Date.now(), status: 200, reason: `${RECIPIENT_NOT_FOUND.code} ${RECIPIENT_NOT_FOUND.msg}`, shop });
      send(res, 200, text);
      emit({ status: 200, outcome: "rejected", shop, topic: push.topic, recipient, reason: `${RECIPIENT_NOT_FOUND.code} ${RECIPIENT_NOT_FOUND.msg}` });
      return;
    }

    const answer = { success: true, recipient_id: recipientIdOf(push.recipientKey, push.recipientValue) };
    const text = JSON.stringify(answer);
    if (memoKey !== null) idempotency.set(memoKey, { status: 200, body: text, answer, delivered: true });
    counters.accepted += 1;
    byBusinessKey.set(businessKey, (byBusinessKey.get(businessKey) ?? 0) + 1);
    if (record) {
      received.push({ receivedAt: Date.now(), shop, idempotencyKey, topic: push.topic, pageId: push.pageId, recipient, params: push.params, businessKey, replay: false, answer });
    }
    send(res, 200, text);
    emit({ status: 200, outcome: "delivered", shop, topic: push.topic, recipient, reason: null });
  }

  const api: JoinChatSandbox = {
    url: "",
    port: 0,
    received,
    rejected,
    stats() {
      const keys: Record<string, number> = {};
      const doubled: string[] = [];
      for (const [key, count] of byBusinessKey) {
        keys[key] = count;
        if (count > 1) doubled.push(key);
      }
      return { ...counters, byBusinessKey: keys, doubledBusinessKeys: doubled };
    },
    setSecret(shop, secret) {
      secrets.set(shop, secret);
    },
    setKnownRecipients(values) {
      known = values === null ? null : new Set(values);
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
    reset() {
      received.length = 0;
      rejected.length = 0;
      idempotency = new Map();
      byBusinessKey = new Map();
      counters = { accepted: 0, replays: 0, rejected: 0, faulted: 0 };
      activeFault = null;
      known = null;
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
    const route = `${req.method} ${path}`;
    switch (route) {
      case "GET /_sandbox/health":
        return json(200, { ok: true, url: api.url });
      case "GET /_sandbox/received":
        return json(200, received);
      case "GET /_sandbox/rejected":
        return json(200, rejected);
      case "GET /_sandbox/stats":
        return json(200, api.stats());
      case "POST /_sandbox/secrets": {
        const body = readBody();
        if (!body || typeof body.shop !== "string" || typeof body.secret !== "string" || !body.shop || !body.secret) {
          return json(400, { ok: false, error: "expected {shop: string, secret: string}" });
        }
        api.setSecret(body.shop, body.secret);
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
        if (tooLarge) {
          const shop = typeof req.headers["x-shop-domain"] === "string" ? req.headers["x-shop-domain"] : null;
          return reject(res, shop, 413, `Body larger than ${MAX_BODY_BYTES} bytes`);
        }
        handlePush(req, res, raw);
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
  api.url = `http://${urlHost}:${port}/v1/push`;
  api.close = () =>
    new Promise<void>((resolve) => {
      for (const res of held) res.destroy();
      held.clear();
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });
  return api;
}

function signatureMatches(raw: Buffer, secret: string, signature: string): boolean {
  const expected = Buffer.from(createHmac("sha256", secret).update(raw).digest("base64"), "utf8");
  const given = Buffer.from(signature, "utf8");
  return expected.length === given.length && timingSafeEqual(expected, given);
}

function parseFault(body: Json | null): SandboxFault | string {
  if (!body) return "expected a JSON object";
  const limits: { count?: number; forMs?: number } = {};
  for (const key of ["count", "forMs"] as const) {
    const value = body[key];
    if (value === undefined || value === null) continue;
    if (typeof value !== "number" || !Number.isInteger(value) || value < 1) return `${key} must be a positive integer`;
    limits[key] = value;
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

/**
 * JoinChat answers with the buyer's PSID. For an email or phone the sandbox makes one up, stable per
 * value so a test can predict it: 16 digits, like a real PSID.
 */
export function recipientIdOf(kind: "id" | "email" | "phone", value: string): string {
  if (kind === "id") return value;
  const normalized = kind === "email" ? value.trim().toLowerCase() : value.replace(/[^\d+]/g, "");
  const digest = createHash("sha256").update(`${kind}:${normalized}`).digest();
  const n = digest.readBigUInt64BE(0) % 9_000_000_000_000_000n;
  return (n + 1_000_000_000_000_000n).toString();
}

// ---- Validation: each rule throws a Rejection whose msg names the field. ----

function fail400(msg: string): never {
  throw new Rejection(400, msg);
}

function validatePush(body: unknown): ValidPush {
  if (!isObject(body)) fail400("Body must be a JSON object");

  const request = body.request;
  if (!isObject(request)) fail400("request must be an object");
  const pageId = request.page_id;
  if (typeof pageId !== "string" || !DIGITS.test(pageId)) fail400("request.page_id must be a string of digits");
  const topic = request.topic;
  if (typeof topic !== "string" || !TOPICS.has(topic)) fail400(`request.topic must be one of ${JOINCHAT_TOPICS.join(", ")}`);

  const recipient = body.recipient;
  if (!isObject(recipient)) fail400("recipient must be an object");
  const present = RECIPIENT_KEYS.filter((k) => recipient[k] !== undefined);
  if (present.length !== 1) fail400("recipient must have exactly one of id, email, phone");
  const recipientKey = present[0];
  const recipientValue = recipient[recipientKey];
  if (typeof recipientValue !== "string" || recipientValue.trim() === "") fail400(`recipient.${recipientKey} must be a non-empty string`);

  const params = body.params;
  if (!isObject(params)) fail400("params must be an object");

  if (topic === "package/update") validatePackageParams(params);
  else validateReceiptParams(params, topic as JoinChatTopic);

  return { topic: topic as JoinChatTopic, pageId, recipientKey, recipientValue, params };
}

function requireString(obj: Json, key: string, path: string, nonEmpty: boolean): string {
  const value = obj[key];
  if (value === undefined || value === null) fail400(`${path} is required`);
  if (typeof value !== "string") fail400(`${path} must be a string`);
  if (nonEmpty && value.trim() === "") fail400(`${path} must not be empty`);
  return value;
}

function optionalString(obj: Json, key: string, path: string): void {
  const value = obj[key];
  if (value !== undefined && typeof value !== "string") fail400(`${path} must be a string`);
}

/** Messenger wants money as numbers with at most two decimals. */
function isMoney(value: unknown): value is number {
  if (typeof value !== "number" || !Number.isFinite(value)) return false;
  const cents = value * 100;
  return Math.abs(cents - Math.round(cents)) <= 1e-7 * Math.max(1, Math.abs(cents));
}

function requireMoney(obj: Json, key: string, path: string): void {
  const value = obj[key];
  if (value === undefined || value === null) fail400(`${path} is required`);
  if (!isMoney(value)) fail400(`${path} must be a number with at most 2 decimals`);
}

function optionalMoney(obj: Json, key: string, path: string): void {
  const value = obj[key];
  if (value !== undefined && !isMoney(value)) fail400(`${path} must be a number with at most 2 decimals`);
}

function validateReceiptParams(p: Json, topic: JoinChatTopic): void {
  requireString(p, "recipient_name", "params.recipient_name", true);
  requireString(p, "order_number", "params.order_number", true);
  const currency = requireString(p, "currency", "params.currency", true);
  if (!CURRENCY.test(currency)) fail400("params.currency must be a 3-letter currency code");
  // JoinChat's own Order/Unpaid example sends "": there is no payment method for an unpaid order yet.
  requireString(p, "payment_method", "params.payment_method", topic === "Order/Receipt");
  optionalString(p, "order_url", "params.order_url");

  if (p.timestamp !== undefined && !(typeof p.timestamp === "number" && Number.isInteger(p.timestamp))) {
    fail400("params.timestamp must be an integer (Unix seconds)");
  }

  const summary = p.summary;
  if (summary === undefined || summary === null) fail400("params.summary is required");
  if (!isObject(summary)) fail400("params.summary must be an object");
  requireMoney(summary, "total_cost", "params.summary.total_cost");
  for (const key of ["subtotal", "shipping_cost", "total_tax"]) optionalMoney(summary, key, `params.summary.${key}`);

  if (p.adjustments !== undefined) {
    if (!Array.isArray(p.adjustments)) fail400("params.adjustments must be an array");
    p.adjustments.forEach((adj: unknown, i: number) => {
      const path = `params.adjustments[${i}]`;
      if (!isObject(adj)) fail400(`${path} must be an object`);
      requireString(adj, "name", `${path}.name`, true);
      requireMoney(adj, "amount", `${path}.amount`);
    });
  }

  if (p.elements !== undefined) {
    if (!Array.isArray(p.elements)) fail400("params.elements must be an array");
    if (p.elements.length > MAX_ELEMENTS) fail400(`params.elements must have at most ${MAX_ELEMENTS} items`);
    p.elements.forEach((el: unknown, i: number) => {
      const path = `params.elements[${i}]`;
      if (!isObject(el)) fail400(`${path} must be an object`);
      requireString(el, "title", `${path}.title`, true);
      requireMoney(el, "price", `${path}.price`);
      if (el.quantity !== undefined && !(typeof el.quantity === "number" && Number.isInteger(el.quantity))) {
        fail400(`${path}.quantity must be an integer`);
      }
      optionalString(el, "subtitle", `${path}.subtitle`);
      optionalString(el, "image_url", `${path}.image_url`);
      if (el.currency !== undefined && !(typeof el.currency === "string" && CURRENCY.test(el.currency))) {
        fail400(`${path}.currency must be a 3-letter currency code`);
      }
    });
  }

  if (p.address !== undefined) {
    const address = p.address;
    if (!isObject(address)) fail400("params.address must be an object");
    for (const key of ["street_1", "city", "postal_code", "state"]) requireString(address, key, `params.address.${key}`, true);
    optionalString(address, "street_2", "params.address.street_2");
    const country = requireString(address, "country", "params.address.country", true);
    if (!COUNTRY.test(country)) fail400("params.address.country must be a two-letter country code");
  }
}

function validatePackageParams(p: Json): void {
  const status = requireString(p, "tracking_status", "params.tracking_status", true);
  if (!TRACKING.has(status)) fail400(`params.tracking_status must be one of ${TRACKING_STATUSES.join(", ")}`);
  requireString(p, "tracking_number", "params.tracking_number", true);
  requireString(p, "tracking_url", "params.tracking_url", false);
  requireString(p, "recipient_name", "params.recipient_name", false);
  optionalString(p, "image_url", "params.image_url");
}

// ---- JoinChat's own examples (merchant-push-api.zh.md), valid under the rules above. ----

/** The doc's Order/Receipt example (two of its five elements), for tests and the demo. */
export function exampleReceiptPush(topic: "Order/Receipt" | "Order/Unpaid" = "Order/Receipt") {
  return {
    request: { page_id: "407898491811542", topic },
    recipient: { id: "1602407863220595" } as { id?: string; email?: string; phone?: string },
    params: {
      recipient_name: "John Doe",
      order_number: "U5555",
      currency: "USD",
      payment_method: topic === "Order/Unpaid" ? "" : "Visa 2345",
      order_url: "https://storage.googleapis.com/assets.bothub.ai/bothub/templates/classic_white_shirt.jpg",
      timestamp: 1523619550,
      address: { street_1: "UNICEF 125 Maiden Lane", street_2: "11th Floor", city: "New York", postal_code: "10038", state: "NY", country: "US" },
      summary: { subtotal: 51.76, shipping_cost: 0, total_tax: 0, total_cost: 51.76 },
      adjustments: [] as { name: string; amount: number }[],
      elements: [
        {
          title: "Classic White Shirts",
          subtitle: "100% Soft and Luxurious Cotton",
          quantity: 2,
          price: 11.99,
          currency: "USD",
          image_url: "https://storage.googleapis.com/assets.bothub.ai/bothub/templates/classic_white_shirt.jpg",
        },
        {
          title: "Floral Belted Romper",
          subtitle: "Casual romper featuring striped pattern",
          quantity: 2,
          price: 13.89,
          currency: "USD",
          image_url: "https://storage.googleapis.com/assets.bothub.ai/bothub/templates/floral_belted_romper.jpg",
        },
      ],
    } as Record<string, any>, // eslint-disable-line @typescript-eslint/no-explicit-any -- tests break fields on purpose
  };
}

/** The doc's package/update example. */
export function examplePackagePush() {
  return {
    request: { page_id: "407898491811542", topic: "package/update" },
    recipient: { id: "1602407863220595" } as { id?: string; email?: string; phone?: string },
    params: {
      tracking_number: "zvfVUREPVPUQ1oMl",
      image_url: "https://unsplash.it/120/120/?random",
      tracking_url: "http://shop.bothub.ai",
      recipient_name: "Peter",
      tracking_status: "shipped",
    } as Record<string, any>, // eslint-disable-line @typescript-eslint/no-explicit-any -- tests break fields on purpose
  };
}
