import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { randomUUID } from "node:crypto";
import { describe, it, expect, beforeAll, afterAll, beforeEach } from "vitest";
import { parseJoinChatAnswer, parseRetryAfter, sendPush, type PushOutcome, type PushRequest } from "./client.server";
import {
  examplePackagePush,
  exampleReceiptPush,
  startJoinChatSandbox,
  verifyJoinChatSignature,
  type JoinChatSandbox,
} from "../../test/sandbox/joinchat-sandbox";

const SHOP = "demo-shop.myshopify.com";
const SECRET = "joinchat-test-secret";

let sandbox: JoinChatSandbox;

beforeAll(async () => {
  sandbox = await startJoinChatSandbox({ port: 0, defaultSecret: SECRET });
});
afterAll(async () => {
  await sandbox.close();
});
beforeEach(() => {
  sandbox.reset();
});

function request(body: unknown, overrides: Partial<PushRequest> = {}): PushRequest {
  return {
    url: sandbox.url,
    shopDomain: SHOP,
    secret: SECRET,
    body: typeof body === "string" ? body : JSON.stringify(body),
    idempotencyKey: randomUUID(),
    timeoutMs: 5_000,
    ...overrides,
  };
}

function expectKind<K extends PushOutcome["kind"]>(outcome: PushOutcome, kind: K): Extract<PushOutcome, { kind: K }> {
  expect(outcome.kind, JSON.stringify(outcome)).toBe(kind);
  return outcome as Extract<PushOutcome, { kind: K }>;
}

describe("sendPush against the sandbox", () => {
  it("delivers a receipt and reads recipient_id", async () => {
    const out = expectKind(await sendPush(request(exampleReceiptPush())), "delivered");
    expect(out.httpStatus).toBe(200);
    expect(out.recipientId).toBe("1602407863220595");
    expect(JSON.parse(out.answer)).toEqual({ success: true, recipient_id: "1602407863220595" });
    expect(out.durationMs).toBeGreaterThanOrEqual(0);
    expect(sandbox.received).toHaveLength(1);
    expect(sandbox.received[0].businessKey).toBe(`receipt:${SHOP}:407898491811542:U5555`);
  });

  it("delivers a package update to an email recipient", async () => {
    const push = examplePackagePush();
    push.recipient = { email: "buyer@example.com" };
    const out = expectKind(await sendPush(request(push)), "delivered");
    expect(out.recipientId).toMatch(/^\d{16}$/);
  });

  it("treats 10010 Recipient not found as final", async () => {
    sandbox.setKnownRecipients(["someone-else"]);
    const out = expectKind(await sendPush(request(exampleReceiptPush())), "failed");
    expect(out.httpStatus).toBe(200);
    expect(out.code).toBe(10010);
    expect(out.message).toBe("10010 Recipient not found");
    expect(sandbox.received).toHaveLength(0);
  });

  it("treats a wrong secret (401) as final", async () => {
    const out = expectKind(await sendPush(request(exampleReceiptPush(), { secret: "wrong" })), "failed");
    expect(out.httpStatus).toBe(401);
    expect(out.message).toContain("Invalid signature");
  });

  it("treats malformed params (400) as final and names the field", async () => {
    const push = exampleReceiptPush();
    delete push.params.summary.total_cost;
    const out = expectKind(await sendPush(request(push)), "failed");
    expect(out.httpStatus).toBe(400);
    expect(out.message).toContain("params.summary.total_cost");
  });

  it("retries a 503", async () => {
    sandbox.fail({ mode: "status", status: 503, count: 1 });
    const out = expectKind(await sendPush(request(exampleReceiptPush())), "retry");
    expect(out.httpStatus).toBe(503);
    expect(out.message).toMatch(/^HTTP 503/);
    expect(out.retryAfterMs).toBeNull();
    // The fault was for one request only.
    expectKind(await sendPush(request(exampleReceiptPush())), "delivered");
  });

  it("retries a 429 and honours Retry-After", async () => {
    sandbox.fail({ mode: "status", status: 429, retryAfterS: 7 });
    const out = expectKind(await sendPush(request(exampleReceiptPush())), "retry");
    expect(out.httpStatus).toBe(429);
    expect(out.retryAfterMs).toBe(7_000);
  });

  it("retries when JoinChat does not answer in time", async () => {
    sandbox.fail({ mode: "timeout", count: 1 });
    const out = expectKind(await sendPush(request(exampleReceiptPush(), { timeoutMs: 200 })), "retry");
    expect(out.httpStatus).toBeNull();
    expect(out.message).toBe("timeout after 200 ms");
    expect(out.durationMs).toBeGreaterThanOrEqual(150);
    expect(out.durationMs).toBeLessThan(3_000);
  });

  it("retries a connection reset", async () => {
    sandbox.fail({ mode: "reset", count: 1 });
    const out = expectKind(await sendPush(request(exampleReceiptPush())), "retry");
    expect(out.httpStatus).toBeNull();
    expect(out.message.length).toBeGreaterThan(0);
  });

  it("retries a refused connection with the error code in the message", async () => {
    const closed = await startJoinChatSandbox({ defaultSecret: SECRET });
    const url = closed.url;
    await closed.close();
    const out = expectKind(await sendPush(request(exampleReceiptPush(), { url })), "retry");
    expect(out.httpStatus).toBeNull();
    expect(out.message).toContain("ECONNREFUSED");
  });

  it("retries a 2xx answer it cannot read", async () => {
    sandbox.fail({ mode: "garbage", count: 1 });
    const out = expectKind(await sendPush(request(exampleReceiptPush())), "retry");
    expect(out.httpStatus).toBe(200);
    expect(out.message).toBe("unreadable answer from JoinChat");
    expect(out.answer).toContain("<html>");
  });

  it("delivers once when the same Idempotency-Key is sent twice", async () => {
    const req = request(exampleReceiptPush());
    const first = expectKind(await sendPush(req), "delivered");
    const second = expectKind(await sendPush(req), "delivered");
    expect(second.recipientId).toBe(first.recipientId);
    expect(sandbox.received.map((r) => r.replay)).toEqual([false, true]);
    const stats = sandbox.stats();
    expect(stats.accepted).toBe(1);
    expect(stats.replays).toBe(1);
    expect(stats.doubledBusinessKeys).toEqual([]);
  });

  it("sends the shop, the idempotency key and JSON content type", async () => {
    const req = request(exampleReceiptPush(), { idempotencyKey: "order-1001-receipt" });
    expectKind(await sendPush(req), "delivered");
    expect(sandbox.received[0]).toMatchObject({ shop: SHOP, idempotencyKey: "order-1001-receipt", topic: "Order/Receipt" });
  });

  it("sends exactly the signed bytes with the documented headers", async () => {
    // A bare listener, to see the raw headers and body the sandbox has already judged.
    let seen: { headers: IncomingHttpHeaders; body: string; method?: string } | null = null;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        seen = { headers: req.headers, body: Buffer.concat(chunks).toString("utf8"), method: req.method };
        res.writeHead(200, { "Content-Type": "application/json" }).end('{"success": true, "recipient_id": "42"}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const body = '{"request": {"page_id": "1", "topic": "Order/Receipt"},  "note": "Zoë"}';
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/push`;
      const out = expectKind(await sendPush(request(body, { url, idempotencyKey: "k-1" })), "delivered");
      expect(out.recipientId).toBe("42");
      expect(seen).not.toBeNull();
      const s = seen!;
      expect(s.method).toBe("POST");
      expect(s.body).toBe(body);
      expect(s.headers["content-type"]).toBe("application/json");
      expect(s.headers["x-shop-domain"]).toBe(SHOP);
      expect(s.headers["idempotency-key"]).toBe("k-1");
      expect(verifyJoinChatSignature(s.body, SECRET, s.headers["x-joinchat-signature"] as string)).toBe(true);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it("truncates a long answer to 2,000 characters", async () => {
    const server = createServer((_req, res) => {
      res.writeHead(502, { "Content-Type": "text/html" }).end("x".repeat(10_000));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/push`;
      const out = expectKind(await sendPush(request("{}", { url })), "retry");
      expect(out.answer).toHaveLength(2_000);
      expect(out.message).toBe("HTTP 502");
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it("fails an invalid URL without throwing", async () => {
    const out = expectKind(await sendPush(request("{}", { url: "not a url" })), "failed");
    expect(out.httpStatus).toBeNull();
  });
});

describe("parseJoinChatAnswer", () => {
  it("reads a success answer", () => {
    expect(parseJoinChatAnswer('{\n    "success": true,\n    "recipient_id": "1602407863220595"\n}')).toEqual({
      success: true,
      recipientId: "1602407863220595",
      code: null,
      message: null,
    });
  });

  it("survives the doc's failure answer with a missing comma and trailing commas", () => {
    const broken = '{\n    "success": false\n    "errors": {\n        "code": 10010,\n        "msg": "Recipient not found",\n    }\n}';
    expect(parseJoinChatAnswer(broken)).toEqual({ success: false, recipientId: null, code: 10010, message: "Recipient not found" });
  });

  it("reads the doc's `error` spelling with a trailing comma", () => {
    const broken = '{\n    "success": false,\n    "error": {\n        "code": 10010,\n        "msg": "Recipient not found",\n   }\n}';
    expect(parseJoinChatAnswer(broken)).toEqual({ success: false, recipientId: null, code: 10010, message: "Recipient not found" });
  });

  it("reads valid JSON with either spelling", () => {
    const a = parseJoinChatAnswer('{"success":false,"errors":{"code":10010,"msg":"Recipient not found"}}');
    const b = parseJoinChatAnswer('{"success":false,"error":{"code":10010,"msg":"Recipient not found"}}');
    expect(a).toEqual(b);
    expect(a.code).toBe(10010);
  });

  it("keeps escapes in a pattern-extracted msg", () => {
    const r = parseJoinChatAnswer('{"success": false "errors": {"code": 1, "msg": "bad \\"x\\""}}');
    expect(r.message).toBe('bad "x"');
  });

  it("returns all nulls for text that says nothing", () => {
    const none = { success: null, recipientId: null, code: null, message: null };
    expect(parseJoinChatAnswer("")).toEqual(none);
    expect(parseJoinChatAnswer("<html>502 Bad Gateway</html>")).toEqual(none);
    expect(parseJoinChatAnswer("null")).toEqual(none);
    expect(parseJoinChatAnswer("[1,2]")).toEqual(none);
    expect(parseJoinChatAnswer('"ok"')).toEqual(none);
    expect(parseJoinChatAnswer("{}")).toEqual(none);
  });
});

describe("parseRetryAfter", () => {
  const now = Date.parse("2025-01-01T00:00:00Z");

  it("reads delay-seconds", () => {
    expect(parseRetryAfter("7")).toBe(7_000);
    expect(parseRetryAfter(" 0 ")).toBe(0);
  });

  it("reads an HTTP-date relative to now, never negative", () => {
    expect(parseRetryAfter("Wed, 01 Jan 2025 00:00:30 GMT", now)).toBe(30_000);
    expect(parseRetryAfter("Tue, 31 Dec 2024 23:59:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("Wednesday, 01-Jan-25 00:01:00 GMT", now)).toBe(60_000);
    expect(parseRetryAfter("Wed Jan  1 00:00:10 2025", now)).toBe(10_000);
  });

  it("returns null when absent or invalid", () => {
    expect(parseRetryAfter(null)).toBeNull();
    expect(parseRetryAfter("")).toBeNull();
    expect(parseRetryAfter("soon")).toBeNull();
    expect(parseRetryAfter("-5")).toBeNull();
    expect(parseRetryAfter("1.5")).toBeNull();
    expect(parseRetryAfter("Someday 2025")).toBeNull();
  });
});
