// Durable delivery through the production server when JoinChat misbehaves: 503s, timeouts, resets, a final
// 10010, and the app itself killed with pushes due. Every push is delivered once, with the same
// Idempotency-Key and body on every attempt, and every attempt is recorded.
import { describe, expect, it } from "vitest";
import { buildOrderJson, ORDER_GID } from "../fixtures/orders";
import {
  attemptsOf,
  pushesOf,
  sleep,
  TEST_JOINCHAT_API_SECRET,
  uniqueShop,
  waitFor,
  waitForSettled,
  type AppProcess,
  type PushRecord,
} from "../helpers/app-process";
import { describeOnBackends, receivedBy, useE2eStack, type E2eStack } from "../helpers/e2e-stack";
import { joinchatSignature } from "../helpers/joinchat-recorder";

let stack: E2eStack;
let app: AppProcess;

describeOnBackends((backend) => {
  useE2eStack(
    (started) => {
      stack = started;
      app = started.app;
    },
    { JOINCHAT_TIMEOUT_MS: "2000", DELIVERY_RETRY_BASE_MS: "200", DELIVERY_RETRY_CAP_MS: "1000" },
    backend,
  );

  /** An order of its own (the business key is per order), paid: one Order/Receipt. */
  function paidOrder(n: number): string {
    const id = 820982911946154508n + BigInt(n);
    return buildOrderJson({ id, admin_graphql_api_id: `gid://shopify/Order/${id}`, name: `#${2000 + n}`, financial_status: "paid" });
  }

  async function send(shop: string, body: string) {
    const res = await app.sendWebhook("orders/create", shop, body);
    expect(res.status, res.text).toBe(200);
    return res;
  }

  /** Every request the app made for a push carried its key, its exact body and a valid signature. */
  function expectSameKeyAndBody(push: PushRecord, minRequests: number, onlyPushOfShop = true) {
    const requests = stack.recorder.byKey(push.idempotency_key);
    expect(requests.length).toBeGreaterThanOrEqual(minRequests);
    for (const r of requests) {
      expect(r.body.toString("utf8")).toBe(push.body);
      expect(r.signature).toBe(joinchatSignature(r.body, TEST_JOINCHAT_API_SECRET));
    }
    if (onlyPushOfShop) expect(stack.recorder.requests.filter((r) => r.shop === push.shop && r.idempotencyKey !== push.idempotency_key)).toHaveLength(0);
    return requests;
  }

  describe("delivery when JoinChat fails for a while", () => {
    it("503 for a while: retried with backoff, delivered exactly once after recovery", { timeout: 30_000 }, async () => {
      const shop = uniqueShop("503");
      await app.configureShop(shop);
      stack.sandbox.fail({ mode: "status", status: 503, forMs: 1_500 });
      await send(shop, buildOrderJson());

      const [push] = await waitForSettled(app, shop, 25_000);
      expect(push).toMatchObject({ status: "delivered", business_key: `receipt:${ORDER_GID}`, last_http_status: 200 });
      const attempts = await attemptsOf(app, push.id);
      expect(attempts.length).toBeGreaterThan(1);
      expect(push.attempts).toBe(attempts.length);
      expect(attempts.slice(0, -1).every((a) => a.http_status === 503 && a.outcome === "retry")).toBe(true);
      expect(attempts.at(-1)).toMatchObject({ http_status: 200, outcome: "delivered" });

      const requests = expectSameKeyAndBody(push, attempts.length);
      expect(requests.map((r) => r.status)).toEqual(attempts.map((a) => a.http_status));
      expect(receivedBy(stack.sandbox, shop)).toHaveLength(1);
      expect(receivedBy(stack.sandbox, shop)[0].idempotencyKey).toBe(push.idempotency_key);
      expect(stack.sandbox.stats().doubledBusinessKeys).toEqual([]);
    });

    it("429 with Retry-After: the next attempt is not planned before it", { timeout: 30_000 }, async () => {
      const shop = uniqueShop("429");
      await app.configureShop(shop);
      stack.sandbox.fail({ mode: "status", status: 429, count: 1, retryAfterS: 2 });
      await send(shop, buildOrderJson());
      const waiting = await waitFor(async () => (await pushesOf(app, shop)).find((p) => p.status === "retrying"), 10_000, "the push to wait for its retry");
      const [first] = await attemptsOf(app, waiting.id);
      expect(first).toMatchObject({ http_status: 429, outcome: "retry" });
      const started = (await app.db.get<{ started_at: number }>("SELECT started_at FROM push_attempt WHERE push_id = ? AND number = 1", [waiting.id]))!
        .started_at;
      expect(waiting.due_at - started).toBeGreaterThanOrEqual(2_000);

      const [push] = await waitForSettled(app, shop, 20_000);
      expect(push.status).toBe("delivered");
      expect((await attemptsOf(app, push.id)).map((a) => a.http_status)).toEqual([429, 200]);
      expectSameKeyAndBody(push, 2);
      expect(receivedBy(stack.sandbox, shop)).toHaveLength(1);
    });

    it.each([
      ["a timeout", { mode: "timeout", count: 1 }],
      ["a connection reset", { mode: "reset", count: 1 }],
      ["an answer that is not JSON", { mode: "garbage", count: 1 }],
    ] as const)("%s is retried with the same Idempotency-Key and body", { timeout: 30_000 }, async (_label, fault) => {
      const shop = uniqueShop(fault.mode);
      await app.configureShop(shop);
      stack.sandbox.fail(fault);
      await send(shop, buildOrderJson());
      const [push] = await waitForSettled(app, shop, 25_000);
      expect(push.status).toBe("delivered");
      const attempts = await attemptsOf(app, push.id);
      expect(attempts.map((a) => a.outcome)).toEqual(["retry", "delivered"]);
      expectSameKeyAndBody(push, 2);
      expect(receivedBy(stack.sandbox, shop)).toHaveLength(1);
      expect(stack.sandbox.stats().doubledBusinessKeys).toEqual([]);
    });
  });

  describe("a final refusal", () => {
    it("10010 (recipient not found): failed after exactly one attempt, never retried", { timeout: 30_000 }, async () => {
      const shop = uniqueShop("10010");
      await app.configureShop(shop);
      stack.sandbox.setKnownRecipients(["someone-else@example.com"]);
      await send(shop, buildOrderJson());
      const [push] = await waitForSettled(app, shop);
      expect(push).toMatchObject({ status: "failed", attempts: 1, recipient_id: null });
      expect(push.last_error).toMatch(/10010|Recipient not found/);

      // Longer than several retry delays of this server: still one attempt.
      await sleep(1_500);
      const attempts = await attemptsOf(app, push.id);
      expect(attempts).toHaveLength(1);
      expect(attempts[0]).toMatchObject({ http_status: 200, outcome: "failed" });
      expect((await pushesOf(app, shop))[0]).toMatchObject({ status: "failed", attempts: 1 });
      expect(stack.recorder.requests.filter((r) => r.shop === shop)).toHaveLength(1);
      expect(receivedBy(stack.sandbox, shop)).toHaveLength(0);
    });
  });

  describe("the app killed with pushes due", () => {
    it("SIGKILL while pushes wait for retries and while one is being sent: all delivered once after restart", { timeout: 120_000 }, async () => {
      const shop = uniqueShop("sigkill");
      await app.configureShop(shop);

      // JoinChat down: the first receipts wait in the outbox between retries.
      stack.sandbox.fail({ mode: "status", status: 503, forMs: 60_000 });
      for (const n of [1, 2, 3]) await send(shop, paidOrder(n));
      // JoinChat's 503s slow the shop down (back-pressure, decision 015): its pushes are tried one after another, with
      // pauses that grow while the failures go on.
      await waitFor(async () => (await pushesOf(app, shop)).every((p) => p.attempts >= 1), 45_000, "a failed attempt of each push");

      // JoinChat hangs: the next one is in flight when the app dies.
      stack.sandbox.fail({ mode: "timeout", forMs: 60_000 });
      await send(shop, paidOrder(4));
      await waitFor(async () => (await pushesOf(app, shop)).some((p) => p.status === "sending"), 15_000, "a push in flight");
      // In flight means JoinChat has the request and has not answered (a claimed push may still wait out the shop's
      // back-pressure pause before it is sent).
      await waitFor(() => stack.recorder.requests.some((r) => r.shop === shop && r.status === null), 45_000, "a request JoinChat holds");
      // Accepted (200) an instant before the kill: stored, so it must go too.
      for (const n of [5, 6]) await send(shop, paidOrder(n));

      await app.kill("SIGKILL");
      expect(app.running).toBe(false);
      const before = await pushesOf(app, shop);
      expect(before).toHaveLength(6);
      expect(before.every((p) => ["queued", "retrying", "sending"].includes(p.status))).toBe(true);
      expect(receivedBy(stack.sandbox, shop)).toHaveLength(0);

      stack.sandbox.clearFaults();
      await app.restart();
      const after = await waitForSettled(app, shop, 30_000);
      expect(after.map((p) => p.status)).toEqual(Array(6).fill("delivered"));

      const received = receivedBy(stack.sandbox, shop);
      expect(received).toHaveLength(6);
      expect(new Set(received.map((r) => r.params.order_number)).size).toBe(6);
      expect(stack.sandbox.stats().doubledBusinessKeys).toEqual([]);
      for (const push of after) {
        const requests = expectSameKeyAndBody(push, 1, false);
        expect(requests.at(-1)!.status).toBe(200);
        expect((await attemptsOf(app, push.id)).at(-1)).toMatchObject({ http_status: 200, outcome: "delivered" });
      }
      // The attempt cut short by the kill is on record.
      expect(
        (await app.db.all("SELECT * FROM push_attempt WHERE outcome = 'interrupted' AND push_id IN (SELECT id FROM push WHERE shop = ?)", [shop])).length,
      ).toBeGreaterThan(0);
    });

    it("SIGKILL after JoinChat took a push but before the app heard: sent again under its key, not doubled", { timeout: 60_000 }, async () => {
      const shop = uniqueShop("sigkill-answer");
      await app.configureShop(shop);
      stack.recorder.holdAnswers(true);
      try {
        await send(shop, buildOrderJson());
        await waitFor(() => stack.recorder.requests.some((r) => r.shop === shop && r.status === 200), 10_000, "JoinChat to accept the push");
        await app.kill("SIGKILL");
      } finally {
        stack.recorder.holdAnswers(false);
      }
      expect((await pushesOf(app, shop))[0].status).toBe("sending");
      expect(receivedBy(stack.sandbox, shop)).toHaveLength(1);

      await app.restart();
      const [push] = await waitForSettled(app, shop, 30_000);
      expect(push).toMatchObject({ status: "delivered", last_http_status: 200 });
      expectSameKeyAndBody(push, 2);
      // JoinChat saw the key again and answered as before: the buyer got one message.
      const all = stack.sandbox.received.filter((r) => r.shop === shop);
      expect(all.filter((r) => !r.replay)).toHaveLength(1);
      expect(all.filter((r) => r.replay).length).toBeGreaterThanOrEqual(1);
      expect(stack.sandbox.stats().doubledBusinessKeys).toEqual([]);
    });
  });
});
