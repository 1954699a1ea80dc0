import { randomUUID } from "node:crypto";
import { describe, it, expect, beforeAll, afterAll, beforeEach } from "vitest";
import { signBody } from "../../app/hmac";
import {
  DEFAULT_LATENCY,
  examplePackagePush,
  exampleReceiptPush,
  recipientIdOf,
  startJoinChatSandbox,
  verifyJoinChatSignature,
  type JoinChatSandbox,
} from "./joinchat-sandbox";

const SHOP = "demo-shop.myshopify.com";
const SECRET = "default-secret";

let sandbox: JoinChatSandbox;
let base: string;

beforeAll(async () => {
  sandbox = await startJoinChatSandbox({ defaultSecret: SECRET, secrets: { "own-secret.myshopify.com": "own" } });
  base = sandbox.url.replace(/\/v1\/push$/, "");
});
afterAll(async () => {
  await sandbox.close();
});
beforeEach(() => {
  sandbox.reset();
  sandbox.setLatency(DEFAULT_LATENCY);
  sandbox.setThrottle(null);
});

interface PostOptions {
  shop?: string | null;
  secret?: string;
  signature?: string | null;
  contentType?: string | null;
  idempotencyKey?: string | null;
  method?: string;
  url?: string;
}

/** A push as raw HTTP, so each header and byte can be broken on purpose. */
async function post(body: unknown, o: PostOptions = {}) {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  const headers: Record<string, string> = {};
  const contentType = o.contentType === undefined ? "application/json" : o.contentType;
  if (contentType !== null) headers["Content-Type"] = contentType;
  const shop = o.shop === undefined ? SHOP : o.shop;
  if (shop !== null) headers["X-Shop-Domain"] = shop;
  const signature = o.signature === undefined ? signBody(text, o.secret ?? SECRET) : o.signature;
  if (signature !== null) headers["X-Joinchat-Signature"] = signature;
  const key = o.idempotencyKey === undefined ? randomUUID() : o.idempotencyKey;
  if (key !== null) headers["Idempotency-Key"] = key;
  const method = o.method ?? "POST";
  const res = await fetch(o.url ?? sandbox.url, { method, headers, body: method === "GET" ? undefined : text });
  const answerText = await res.text();
  return { status: res.status, headers: res.headers, text: answerText, json: JSON.parse(answerText) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

async function expectRejected(body: unknown, status: number, msgPart: string | RegExp, o: PostOptions = {}) {
  const res = await post(body, o);
  expect(res.status, res.text).toBe(status);
  expect(res.json.success).toBe(false);
  expect(res.json.errors.msg).toMatch(msgPart);
  return res;
}

async function control(method: string, path: string, body?: unknown) {
  const res = await fetch(`${base}/_sandbox/${path}`, {
    method,
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

describe("a valid push", () => {
  it("is accepted with the PSID as recipient_id", async () => {
    const res = await post(exampleReceiptPush());
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ success: true, recipient_id: "1602407863220595" });
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(sandbox.received).toHaveLength(1);
    expect(sandbox.received[0]).toMatchObject({ shop: SHOP, topic: "Order/Receipt", pageId: "407898491811542", replay: false });
  });

  it("accepts all three topics, with their business keys", async () => {
    await post(exampleReceiptPush("Order/Receipt"));
    await post(exampleReceiptPush("Order/Unpaid"));
    await post(examplePackagePush());
    expect(sandbox.received.map((r) => r.businessKey)).toEqual([
      `receipt:${SHOP}:407898491811542:U5555`,
      `unpaid:${SHOP}:407898491811542:U5555`,
      `package:${SHOP}:407898491811542:zvfVUREPVPUQ1oMl:shipped`,
    ]);
  });

  it("answers a stable 16-digit recipient_id for email and phone", async () => {
    const push = exampleReceiptPush();
    push.recipient = { email: "buyer@example.com" };
    const a = await post(push);
    const b = await post(push);
    expect(a.json.recipient_id).toMatch(/^\d{16}$/);
    expect(b.json.recipient_id).toBe(a.json.recipient_id);
    expect(a.json.recipient_id).toBe(recipientIdOf("email", "buyer@example.com"));
    push.recipient = { phone: "+1 555 0100" };
    const c = await post(push);
    expect(c.json.recipient_id).toMatch(/^\d{16}$/);
    expect(c.json.recipient_id).not.toBe(a.json.recipient_id);
  });

  it("allows charset in Content-Type and any path outside /_sandbox", async () => {
    const res = await post(examplePackagePush(), { contentType: "application/json; charset=utf-8", url: `${base}/api/v2/push` });
    expect(res.status).toBe(200);
  });

  it("accepts a receipt without the optional parts", async () => {
    const push = exampleReceiptPush();
    for (const key of ["address", "timestamp", "adjustments", "elements", "order_url"]) delete push.params[key];
    push.params.summary = { total_cost: 10 };
    expect((await post(push)).status).toBe(200);
  });
});

describe("HTTP-level rules", () => {
  it("405 for another method", async () => {
    await expectRejected(exampleReceiptPush(), 405, /POST/, { method: "PUT" });
    await expectRejected("", 405, /POST/, { method: "GET" });
  });

  it("415 without a JSON content type", async () => {
    await expectRejected(exampleReceiptPush(), 415, /Content-Type/, { contentType: "text/plain" });
    await expectRejected(exampleReceiptPush(), 415, /Content-Type/, { contentType: null });
  });

  it("400 without a *.myshopify.com X-Shop-Domain", async () => {
    await expectRejected(exampleReceiptPush(), 400, /X-Shop-Domain/, { shop: null });
    await expectRejected(exampleReceiptPush(), 400, /X-Shop-Domain/, { shop: "shop.example.com" });
    await expectRejected(exampleReceiptPush(), 400, /X-Shop-Domain/, { shop: "evil.myshopify.com.example.com" });
  });

  it("401 Invalid signature for a wrong secret or a missing signature", async () => {
    await expectRejected(exampleReceiptPush(), 401, "Invalid signature", { secret: "nope" });
    await expectRejected(exampleReceiptPush(), 401, "Invalid signature", { signature: null });
    expect(sandbox.rejected.map((r) => r.status)).toEqual([401, 401]);
    expect(sandbox.stats().rejected).toBe(2);
  });

  it("checks the signature over the exact bytes: a re-serialized body fails", async () => {
    const compact = JSON.stringify(exampleReceiptPush());
    const pretty = JSON.stringify(exampleReceiptPush(), null, 2);
    expect(JSON.parse(pretty)).toEqual(JSON.parse(compact));
    await expectRejected(pretty, 401, "Invalid signature", { signature: signBody(compact, SECRET) });
    expect((await post(pretty)).status).toBe(200);
  });

  it("uses a shop's own secret before the default one", async () => {
    const shop = "own-secret.myshopify.com";
    await expectRejected(exampleReceiptPush(), 401, "Invalid signature", { shop, secret: SECRET });
    expect((await post(exampleReceiptPush(), { shop, secret: "own" })).status).toBe(200);
    sandbox.setSecret("new-shop.myshopify.com", "fresh");
    expect((await post(exampleReceiptPush(), { shop: "new-shop.myshopify.com", secret: "fresh" })).status).toBe(200);
  });

  it("400 for a body that is not JSON", async () => {
    await expectRejected('{"request": ', 400, /JSON/);
    await expectRejected("[1]", 400, /object/);
  });
});

describe("envelope rules", () => {
  const cases: [string, (p: ReturnType<typeof exampleReceiptPush>) => void, RegExp][] = [
    ["page_id missing", (p) => delete (p.request as Record<string, unknown>).page_id, /request\.page_id/],
    ["page_id a number", (p) => ((p.request as Record<string, unknown>).page_id = 407898491811542), /request\.page_id/],
    ["page_id not digits", (p) => (p.request.page_id = "page-1"), /request\.page_id/],
    ["unknown topic", (p) => ((p.request as Record<string, unknown>).topic = "Order/Refund"), /request\.topic/],
    ["no request", (p) => delete (p as Record<string, unknown>).request, /^request must be an object/],
    ["no recipient", (p) => delete (p as Record<string, unknown>).recipient, /recipient must be an object/],
    ["two recipient fields", (p) => (p.recipient = { id: "1", email: "a@b.c" }), /exactly one of id, email, phone/],
    ["empty recipient", (p) => (p.recipient = {}), /exactly one of id, email, phone/],
    ["recipient id empty", (p) => (p.recipient = { id: "" }), /recipient\.id/],
    ["recipient phone a number", (p) => ((p.recipient as Record<string, unknown>) = { phone: 5550100 }), /recipient\.phone/],
    ["params missing", (p) => delete (p as Record<string, unknown>).params, /params must be an object/],
    ["params an array", (p) => ((p as Record<string, unknown>).params = []), /params must be an object/],
  ];
  for (const [name, breakIt, msg] of cases) {
    it(`rejects ${name}`, async () => {
      const push = exampleReceiptPush();
      breakIt(push);
      await expectRejected(push, 400, msg);
    });
  }
});

describe("receipt params rules", () => {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the cases break the params in every way
  const cases: [string, (params: Record<string, any>) => void, RegExp][] = [
    ["recipient_name missing", (p) => delete p.recipient_name, /params\.recipient_name is required/],
    ["order_number empty", (p) => (p.order_number = ""), /params\.order_number/],
    ["order_number a number", (p) => (p.order_number = 1001), /params\.order_number must be a string/],
    ["currency not 3 letters", (p) => (p.currency = "US"), /params\.currency/],
    ["currency missing", (p) => delete p.currency, /params\.currency is required/],
    ["payment_method empty on a receipt", (p) => (p.payment_method = ""), /params\.payment_method/],
    ["payment_method missing", (p) => delete p.payment_method, /params\.payment_method is required/],
    ["summary missing", (p) => delete p.summary, /params\.summary is required/],
    ["total_cost missing", (p) => delete p.summary.total_cost, /params\.summary\.total_cost is required/],
    ["total_cost a string", (p) => (p.summary.total_cost = "51.76"), /params\.summary\.total_cost/],
    ["total_cost 3 decimals", (p) => (p.summary.total_cost = 51.765), /params\.summary\.total_cost.*2 decimals/],
    ["subtotal 3 decimals", (p) => (p.summary.subtotal = 0.001), /params\.summary\.subtotal/],
    ["timestamp a float", (p) => (p.timestamp = 1523619550.5), /params\.timestamp/],
    ["timestamp a string", (p) => (p.timestamp = "1523619550"), /params\.timestamp/],
    ["adjustments not an array", (p) => (p.adjustments = {}), /params\.adjustments must be an array/],
    ["adjustment without name", (p) => (p.adjustments = [{ amount: 5 }]), /params\.adjustments\[0\]\.name/],
    ["adjustment amount a string", (p) => (p.adjustments = [{ name: "Discount", amount: "5" }]), /params\.adjustments\[0\]\.amount/],
    ["101 elements", (p) => (p.elements = Array.from({ length: 101 }, () => ({ title: "x", price: 1 }))), /at most 100/],
    ["element without title", (p) => delete p.elements[1].title, /params\.elements\[1\]\.title/],
    ["element without price", (p) => delete p.elements[0].price, /params\.elements\[0\]\.price is required/],
    ["element price 3 decimals", (p) => (p.elements[0].price = 11.999), /params\.elements\[0\]\.price/],
    ["element quantity a float", (p) => (p.elements[0].quantity = 1.5), /params\.elements\[0\]\.quantity/],
    ["element image_url a number", (p) => (p.elements[0].image_url = 7), /params\.elements\[0\]\.image_url/],
    ["address not an object", (p) => (p.address = "New York"), /params\.address must be an object/],
    ["address without street_1", (p) => delete p.address.street_1, /params\.address\.street_1/],
    ["address with empty city", (p) => (p.address.city = ""), /params\.address\.city/],
    ["address without postal_code", (p) => delete p.address.postal_code, /params\.address\.postal_code/],
    ["address without state", (p) => delete p.address.state, /params\.address\.state/],
    ["address with a 3-letter country", (p) => (p.address.country = "USA"), /params\.address\.country/],
  ];
  for (const [name, breakIt, msg] of cases) {
    it(`rejects ${name}`, async () => {
      const push = exampleReceiptPush();
      breakIt(push.params);
      await expectRejected(push, 400, msg);
    });
  }

  it("lets Order/Unpaid have an empty payment_method, as JoinChat's example does", async () => {
    const push = exampleReceiptPush("Order/Unpaid");
    expect(push.params.payment_method).toBe("");
    expect((await post(push)).status).toBe(200);
  });

  it("accepts exactly 100 elements, money with 2 decimals and no street_2", async () => {
    const push = exampleReceiptPush();
    push.params.elements = Array.from({ length: 100 }, (_, i) => ({ title: `Item ${i}`, price: 0.1 + i }));
    push.params.summary = { subtotal: 138.4, shipping_cost: 0, total_tax: 0.07, total_cost: 138.47 };
    push.params.adjustments = [{ name: "Discount", amount: 19.99 }];
    delete push.params.address.street_2;
    const res = await post(push);
    expect(res.status, res.text).toBe(200);
  });
});

describe("package/update params rules", () => {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the cases break the params in every way
  const cases: [string, (params: Record<string, any>) => void, RegExp][] = [
    ["unknown tracking_status", (p) => (p.tracking_status = "lost"), /params\.tracking_status must be one of/],
    ["tracking_status missing", (p) => delete p.tracking_status, /params\.tracking_status is required/],
    ["tracking_number missing", (p) => delete p.tracking_number, /params\.tracking_number is required/],
    ["tracking_number a number", (p) => (p.tracking_number = 123), /params\.tracking_number must be a string/],
    ["tracking_url missing", (p) => delete p.tracking_url, /params\.tracking_url is required/],
    ["recipient_name a number", (p) => (p.recipient_name = 1), /params\.recipient_name must be a string/],
    ["image_url not a string", (p) => (p.image_url = null), /params\.image_url must be a string/],
  ];
  for (const [name, breakIt, msg] of cases) {
    it(`rejects ${name}`, async () => {
      const push = examplePackagePush();
      breakIt(push.params);
      await expectRejected(push, 400, msg);
    });
  }

  it("accepts every tracking status", async () => {
    for (const status of ["shipped", "in_transit", "out_for_delivery", "attempt_fail", "available_for_pickup", "delivered", "exception", "cancelled"]) {
      const push = examplePackagePush();
      push.params.tracking_status = status;
      expect((await post(push)).status, status).toBe(200);
    }
    expect(sandbox.stats().accepted).toBe(8);
  });
});

describe("recipients, idempotency and stats", () => {
  it("answers 10010 for an unknown recipient with HTTP 200", async () => {
    sandbox.setKnownRecipients(["1602407863220595", "buyer@example.com"]);
    const push = exampleReceiptPush();
    push.recipient = { phone: "+15550100" };
    const res = await post(push);
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ success: false, errors: { code: 10010, msg: "Recipient not found" } });
    push.recipient = { email: "buyer@example.com" };
    expect((await post(push)).json.success).toBe(true);
    sandbox.setKnownRecipients(null);
    push.recipient = { phone: "+15550100" };
    expect((await post(push)).json.success).toBe(true);
  });

  it("replays an Idempotency-Key per shop without a second delivery", async () => {
    const push = exampleReceiptPush();
    const a = await post(push, { idempotencyKey: "k1" });
    const b = await post(push, { idempotencyKey: "k1" });
    expect(b.text).toBe(a.text);
    sandbox.setSecret("other.myshopify.com", SECRET);
    await post(push, { idempotencyKey: "k1", shop: "other.myshopify.com" });
    expect(sandbox.received.map((r) => [r.shop, r.replay])).toEqual([
      [SHOP, false],
      [SHOP, true],
      ["other.myshopify.com", false],
    ]);
    expect(sandbox.stats()).toMatchObject({ accepted: 2, replays: 1 });
  });

  it("replays a 10010 answer too, even once the recipient becomes known", async () => {
    sandbox.setKnownRecipients([]);
    const first = await post(exampleReceiptPush(), { idempotencyKey: "k2" });
    sandbox.setKnownRecipients(null);
    const second = await post(exampleReceiptPush(), { idempotencyKey: "k2" });
    expect(second.json).toEqual(first.json);
    expect(second.json.errors.code).toBe(10010);
    expect(sandbox.stats()).toMatchObject({ accepted: 0, replays: 1 });
  });

  it("counts distinct keys per business key and reports doubled ones", async () => {
    await post(exampleReceiptPush(), { idempotencyKey: "a" });
    await post(exampleReceiptPush(), { idempotencyKey: "a" });
    await post(examplePackagePush(), { idempotencyKey: "p" });
    let stats = sandbox.stats();
    expect(stats.doubledBusinessKeys).toEqual([]);
    await post(exampleReceiptPush(), { idempotencyKey: "b" });
    stats = sandbox.stats();
    const receiptKey = `receipt:${SHOP}:407898491811542:U5555`;
    expect(stats.byBusinessKey[receiptKey]).toBe(2);
    expect(stats.doubledBusinessKeys).toEqual([receiptKey]);
    expect(stats.accepted).toBe(3);
  });

  it("keeps counters but no records with record: false", async () => {
    const quiet = await startJoinChatSandbox({ defaultSecret: SECRET, record: false });
    try {
      await post(exampleReceiptPush(), { url: quiet.url });
      await post(exampleReceiptPush(), { url: quiet.url, secret: "bad" });
      expect(quiet.received).toHaveLength(0);
      expect(quiet.rejected).toHaveLength(0);
      expect(quiet.stats()).toMatchObject({ accepted: 1, rejected: 1 });
    } finally {
      await quiet.close();
    }
  });

  it("reset clears records, stats, faults and known recipients", async () => {
    await post(exampleReceiptPush(), { idempotencyKey: "r" });
    sandbox.setKnownRecipients([]);
    sandbox.fail({ mode: "status", status: 500, count: 5 });
    sandbox.reset();
    expect(sandbox.received).toHaveLength(0);
    expect(sandbox.stats()).toMatchObject({ accepted: 0, replays: 0, rejected: 0, byBusinessKey: {} });
    const res = await post(exampleReceiptPush(), { idempotencyKey: "r" });
    expect(res.json.success).toBe(true);
    expect(sandbox.received[0].replay).toBe(false);
  });
});

describe("faults", () => {
  it("answers a status for `count` requests, then the rules again", async () => {
    sandbox.fail({ mode: "status", status: 503, count: 2 });
    expect((await post(exampleReceiptPush())).status).toBe(503);
    expect((await post(exampleReceiptPush())).status).toBe(503);
    expect((await post(exampleReceiptPush())).status).toBe(200);
    expect(sandbox.stats()).toMatchObject({ faulted: 2, accepted: 1 });
  });

  it("sends Retry-After with a 429 when asked", async () => {
    sandbox.fail({ mode: "status", status: 429, retryAfterS: 7 });
    const res = await post(exampleReceiptPush());
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("7");
  });

  it("fails for `forMs` milliseconds", async () => {
    sandbox.fail({ mode: "status", status: 500, forMs: 150 });
    expect((await post(exampleReceiptPush())).status).toBe(500);
    expect((await post(exampleReceiptPush())).status).toBe(500);
    await new Promise((r) => setTimeout(r, 200));
    expect((await post(exampleReceiptPush())).status).toBe(200);
  });

  it("holds a request on timeout until the client gives up", async () => {
    sandbox.fail({ mode: "timeout" });
    const started = Date.now();
    await expect(
      fetch(sandbox.url, { method: "POST", body: "{}", headers: { "Content-Type": "application/json" }, signal: AbortSignal.timeout(200) }),
    ).rejects.toThrow();
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect((await post(exampleReceiptPush())).status).toBe(200);
  });

  it("resets the connection", async () => {
    sandbox.fail({ mode: "reset", count: 1 });
    await expect(post(exampleReceiptPush())).rejects.toThrow();
    expect((await post(exampleReceiptPush())).status).toBe(200);
  });

  it("answers garbage with a 200", async () => {
    sandbox.fail({ mode: "garbage" });
    const res = await fetch(sandbox.url, { method: "POST", body: "{}", headers: { "Content-Type": "application/json" } });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(() => JSON.parse(text)).toThrow();
    expect(text).toContain("<html>");
  });

  it("clearFaults ends a fault early", async () => {
    sandbox.fail({ mode: "status", status: 500, count: 100 });
    sandbox.clearFaults();
    expect((await post(exampleReceiptPush())).status).toBe(200);
  });
});

describe("control endpoints", () => {
  it("health, received, rejected and stats", async () => {
    expect(await control("GET", "health")).toMatchObject({ status: 200, json: { ok: true, url: sandbox.url } });
    await post(exampleReceiptPush());
    await post(exampleReceiptPush(), { secret: "wrong" });
    const received = await control("GET", "received");
    expect(received.json).toHaveLength(1);
    expect(received.json[0]).toMatchObject({ topic: "Order/Receipt", shop: SHOP, replay: false });
    const rejected = await control("GET", "rejected");
    expect(rejected.json).toEqual([expect.objectContaining({ status: 401, shop: SHOP })]);
    expect((await control("GET", "stats")).json).toMatchObject({ accepted: 1, rejected: 1, doubledBusinessKeys: [] });
  });

  it("secrets and recipients", async () => {
    expect((await control("POST", "secrets", { shop: "remote.myshopify.com", secret: "rs" })).status).toBe(200);
    expect((await post(exampleReceiptPush(), { shop: "remote.myshopify.com", secret: "rs" })).status).toBe(200);
    expect((await control("POST", "recipients", { known: ["someone"] })).status).toBe(200);
    expect((await post(exampleReceiptPush())).json.errors.code).toBe(10010);
    expect((await control("POST", "recipients", { known: null })).status).toBe(200);
    expect((await post(exampleReceiptPush())).json.success).toBe(true);
    expect((await control("POST", "secrets", { shop: 1 })).status).toBe(400);
    expect((await control("POST", "recipients", { known: "all" })).status).toBe(400);
  });

  it("faults, clearing faults and reset", async () => {
    expect((await control("POST", "faults", { mode: "status", status: 502, count: 3 })).status).toBe(200);
    expect((await post(exampleReceiptPush())).status).toBe(502);
    expect((await control("DELETE", "faults")).status).toBe(200);
    expect((await post(exampleReceiptPush())).status).toBe(200);
    expect((await control("POST", "faults", { mode: "explode" })).status).toBe(400);
    expect((await control("POST", "faults", { mode: "status", status: 42 })).status).toBe(400);
    expect((await control("POST", "reset")).status).toBe(200);
    expect((await control("GET", "stats")).json).toMatchObject({ accepted: 0, faulted: 0 });
    expect((await control("GET", "nothing")).status).toBe(404);
  });
});

describe("verifyJoinChatSignature (JoinChat's check of the app's signature)", () => {
  const body = '{"success":true}';
  const good = signBody(body, "k");

  it("accepts the right signature", () => {
    expect(verifyJoinChatSignature(body, "k", good)).toBe(true);
    expect(verifyJoinChatSignature(Buffer.from(body), "k", good)).toBe(true);
  });

  it("rejects a wrong secret, a wrong body and a tampered signature", () => {
    expect(verifyJoinChatSignature(body, "other", good)).toBe(false);
    expect(verifyJoinChatSignature(body + " ", "k", good)).toBe(false);
    const flipped = (good[0] === "A" ? "B" : "A") + good.slice(1);
    expect(verifyJoinChatSignature(body, "k", flipped)).toBe(false);
  });

  it("returns false instead of throwing on odd input", () => {
    expect(verifyJoinChatSignature(body, "k", "")).toBe(false);
    expect(verifyJoinChatSignature(body, "k", "short")).toBe(false);
    expect(verifyJoinChatSignature(body, "k", good + "==")).toBe(false);
    expect(verifyJoinChatSignature(body, "k", "é".repeat(good.length))).toBe(false);
    expect(verifyJoinChatSignature(body, "k", null)).toBe(false);
    expect(verifyJoinChatSignature(body, "k", undefined)).toBe(false);
  });
});
