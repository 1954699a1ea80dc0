// Durable delivery (issue 2, point 7) against the real JoinChat sandbox: deliverPush and the
// DeliveryWorker over a migrated SQLite database. A recording pass-through in front of the sandbox keeps
// every request as it went over the wire; a stand-in serves the Admin API lookups over real HTTP.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { deliverPush, type DeliveryDeps } from "../../app/delivery/deliver.server";
import { claimDuePushes, getPush, nextDueAt, releasePush, releaseStalledPushes, type PushRow } from "../../app/stores/push-store.server";
import type { RetryPolicy } from "../../app/delivery/retry-policy";
import type { Database } from "../../app/db/database.server";
import type { GroupCommit } from "../../app/db/group-commit.server";
import { DeliveryWorker } from "../../app/delivery/worker.server";
import { routeShopifyFetch, startShopifyStandIn, type ShopifyStandIn } from "../helpers/shopify-standin";
import { buildFulfillmentJson } from "../fixtures/fulfillments";
import { buildOrderJson, CUSTOMER_GID, ORDER_GID, ORDER_ID, PRODUCT_GID, PSID, SMALL_PRODUCT_ID } from "../fixtures/orders";
import { recipientIdOf, startJoinChatSandbox, verifyJoinChatSignature, type JoinChatSandbox } from "../sandbox/joinchat-sandbox";
import {
  bigId,
  createHarness,
  createTestShopifyAdmin,
  insertSession,
  OTHER_SHOP,
  PAGE_ID,
  SHOP,
  startRecordingProxy,
  waitFor,
  type Harness,
  type RecordingProxy,
} from "./support";

const DEFAULT_SECRET = "joinchat-default-secret";
const SHOP_SECRET = "shop-own-joinchat-secret";
const LEASE_MS = 60_000;
const POLICY: RetryPolicy = { baseMs: 1_000, capMs: 60_000, maxAgeMs: 3_600_000 };

let sandbox: JoinChatSandbox;
let proxy: RecordingProxy;
let h: Harness;

beforeAll(async () => {
  sandbox = await startJoinChatSandbox({ port: 0, defaultSecret: DEFAULT_SECRET });
  sandbox.setSecret(SHOP, SHOP_SECRET);
  proxy = await startRecordingProxy(sandbox.url);
});
afterAll(async () => {
  await proxy.close();
  await sandbox.close();
});
beforeEach(() => {
  sandbox.reset();
  proxy.requests.length = 0;
  proxy.maxInFlight = 0;
  h = createHarness();
});
afterEach(async () => {
  await h.close();
});

function depsOf(overrides: Partial<DeliveryDeps> = {}, admin?: { timeoutMs?: number }): DeliveryDeps {
  return {
    db: h.db,
    box: h.box,
    // The app's Admin API layer. No session row: Shopify is never called unless a test inserts one.
    adminApi: createTestShopifyAdmin(h.db, admin?.timeoutMs ?? 2_000),
    joinchatUrl: proxy.url,
    singleShopSecret: { shop: OTHER_SHOP, secret: DEFAULT_SECRET },
    timeoutMs: 5_000,
    policy: POLICY,
    now: () => h.clock.now,
    ...overrides,
  };
}

async function claim(limit = 100): Promise<PushRow[]> {
  return claimDuePushes(h.db, h.clock.now, limit, LEASE_MS);
}

async function claimOne(): Promise<PushRow> {
  const rows = await claim();
  expect(rows).toHaveLength(1);
  return rows[0];
}

async function row(id: number): Promise<PushRow> {
  return (await getPush(h.db, id))!;
}

interface AttemptRow {
  push_id: number;
  number: number;
  started_at: number;
  duration_ms: number;
  http_status: number | null;
  outcome: string;
  answer: string | null;
  error: string | null;
}

async function attempts(id: number): Promise<AttemptRow[]> {
  return h.db.all<AttemptRow>("SELECT * FROM push_attempt WHERE push_id = ? ORDER BY number", [id]);
}

const linkedWithSecret = () => h.configure({ pageId: PAGE_ID, secret: SHOP_SECRET });

describe("deliverPush: what goes over the wire", () => {
  it("sends the JoinChat envelope, signed with the shop's own secret, under the push's Idempotency-Key", async () => {
    await linkedWithSecret();
    await h.send("orders/create", buildOrderJson());
    const push = await claimOne();
    expect(await deliverPush(depsOf(), push)).toBe("delivered");

    const stored = await row(push.id);
    const envelope = JSON.parse(stored.body!);
    expect(Object.keys(envelope)).toEqual(["request", "recipient", "params"]);
    expect(envelope.request).toEqual({ page_id: PAGE_ID, topic: "Order/Receipt" });
    expect(envelope.recipient).toEqual({ id: PSID });
    expect(envelope.params).toEqual(JSON.parse(stored.params!));
    expect(envelope.params).toMatchObject({ order_number: "#1001", currency: "EUR", summary: { total_cost: 381.58 } });

    expect(proxy.requests).toHaveLength(1);
    const wire = proxy.requests[0];
    expect(wire.method).toBe("POST");
    expect(wire.body).toBe(stored.body);
    expect(wire.headers["content-type"]).toBe("application/json");
    expect(wire.headers["x-shop-domain"]).toBe(SHOP);
    expect(wire.headers["idempotency-key"]).toBe(stored.idempotency_key);
    expect(verifyJoinChatSignature(wire.body, SHOP_SECRET, wire.headers["x-joinchat-signature"] as string)).toBe(true);
    expect(verifyJoinChatSignature(wire.body, DEFAULT_SECRET, wire.headers["x-joinchat-signature"] as string)).toBe(false);
    // The sandbox checked the same signature and recorded the push as JoinChat would.
    expect(sandbox.received).toHaveLength(1);
    const got = sandbox.received[0];
    expect({ topic: got.topic, pageId: got.pageId, recipient: got.recipient, params: got.params, key: got.idempotencyKey }).toEqual({
      topic: "Order/Receipt",
      pageId: PAGE_ID,
      recipient: { id: PSID },
      params: envelope.params,
      key: stored.idempotency_key,
    });
  });

  it("signs with JOINCHAT_API_SECRET the single shop (JOINCHAT_SINGLE_SHOP) that has no secret of its own", async () => {
    await h.configure({ pageId: PAGE_ID }, OTHER_SHOP);
    await h.send("orders/create", buildOrderJson(), { shop: OTHER_SHOP });
    expect(await deliverPush(depsOf(), await claimOne())).toBe("delivered");
    const wire = proxy.requests[0];
    expect(verifyJoinChatSignature(wire.body, DEFAULT_SECRET, wire.headers["x-joinchat-signature"] as string)).toBe(true);
  });

  it("fails for good without a secret of the shop's own when JOINCHAT_API_SECRET serves another single shop", async () => {
    await h.configure({ pageId: PAGE_ID }, OTHER_SHOP);
    await h.send("orders/create", buildOrderJson(), { shop: OTHER_SHOP });
    const push = await claimOne();
    expect(await deliverPush(depsOf({ singleShopSecret: { shop: SHOP, secret: DEFAULT_SECRET } }), push)).toBe("failed");
    // Failed by the app, not by JoinChat: a code (its label asks for the page's own secret), no answer of JoinChat's.
    expect(await row(push.id)).toMatchObject({ status: "failed", reason: "secret_missing", last_error: null });
    expect(proxy.requests).toHaveLength(0);
  });

  it("customers/redact between the claim and the body: nothing of the buyer's written back, nothing sent, cancelled", async () => {
    await linkedWithSecret();
    await h.send("orders/create", buildOrderJson());
    const push = await claimOne();
    const redact = `{"shop_id":1,"shop_domain":"${SHOP}","customer":{"id":1},"orders_to_redact":[${ORDER_ID}]}`;
    await h.send("customers/redact", redact);
    expect(await deliverPush(depsOf(), push)).toBe("cancelled");
    expect(await row(push.id)).toMatchObject({ status: "cancelled", reason: "customer_data_erased", body: null, recipient_value: null });
    expect(await attempts(push.id)).toEqual([]);
    expect(proxy.requests).toHaveLength(0);
  });

  it("keeps recipient_id of a delivered push (an email recipient gets JoinChat's PSID)", async () => {
    await linkedWithSecret();
    await h.send("orders/create", buildOrderJson({ note_attributes: [] }));
    const push = await claimOne();
    expect(push.recipient_kind).toBe("email");
    expect(await deliverPush(depsOf(), push)).toBe("delivered");
    const stored = await row(push.id);
    expect(stored).toMatchObject({ status: "delivered", recipient_id: recipientIdOf("email", "jon@example.com"), last_http_status: 200, attempts: 1 });
    expect(Number(stored.delivered_at)).toBe(h.clock.now);
    expect(JSON.parse(stored.body!).recipient).toEqual({ email: "jon@example.com" });
  });
});

describe("deliverPush: writes through the group commit", () => {
  it("on SQLite with a group commit, writes nothing on its own: the body, the attempt and the outcome all go through it", async () => {
    // A write of its own is a commit of its own (an fsync on SQLite, blocking the event loop): with hundreds of pushes
    // in flight those held intake up for seconds (issue 14's bench). Reads may go straight to the database.
    await linkedWithSecret();
    await h.send("orders/create", buildOrderJson());
    const push = await claimOne();
    expect(push.body).toBeNull();
    const direct: string[] = [];
    const db: Database = { ...h.db, run: (sql, params) => (direct.push(sql), h.db.run(sql, params)) };
    let committed = 0;
    const commit: GroupCommit = { ...h.commit, run: (work) => (committed++, h.commit.run(work)) };
    expect(await deliverPush(depsOf({ db, commit }), push)).toBe("delivered");
    expect(direct).toEqual([]);
    // The body before the send, the attempt and its outcome after.
    expect(committed).toBe(2);
    const stored = await row(push.id);
    expect(stored).toMatchObject({ status: "delivered" });
    expect(proxy.requests.map((r) => r.body)).toEqual([stored.body]);
  });
});

describe("deliverPush: a database that does not answer", () => {
  it("reading the secret times out: the delivery throws, nothing is sent and the push is not failed (its lease brings it back)", async () => {
    await linkedWithSecret();
    await h.send("orders/create", buildOrderJson());
    const push = await claimOne();
    const db: Database = {
      ...h.db,
      get: (sql, params) => (sql.includes("secret_ciphertext") ? Promise.reject(new Error("timeout exceeded when trying to connect")) : h.db.get(sql, params)),
    };
    await expect(deliverPush(depsOf({ db }), push)).rejects.toThrow("timeout exceeded");
    expect(await row(push.id)).toMatchObject({ status: "sending", reason: null });
    expect(await attempts(push.id)).toEqual([]);
    expect(proxy.requests).toHaveLength(0);
  });
});

describe("deliverPush: JoinChat's answers", () => {
  it("10010 Recipient not found fails for good after one attempt", async () => {
    await linkedWithSecret();
    sandbox.setKnownRecipients(["someone-else"]);
    await h.send("orders/create", buildOrderJson());
    const push = await claimOne();
    expect(await deliverPush(depsOf(), push)).toBe("failed");
    const stored = await row(push.id);
    expect(stored).toMatchObject({ status: "failed", attempts: 1, last_http_status: 200 });
    expect(stored.last_error).toBe("10010 Recipient not found");
    h.clock.now += 7 * 86_400_000;
    expect(await claim()).toEqual([]);
    expect(await nextDueAt(h.db)).toBeNull();
    const log = await attempts(push.id);
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ number: 1, http_status: 200, outcome: "failed", error: "10010 Recipient not found" });
    expect(JSON.parse(log[0].answer!)).toEqual({ success: false, errors: { code: 10010, msg: "Recipient not found" } });
  });

  it.each([400, 401, 403, 404])("HTTP %i fails for good with JoinChat's message", async (status) => {
    await linkedWithSecret();
    await h.send("orders/create", buildOrderJson());
    sandbox.fail({ mode: "status", status });
    const push = await claimOne();
    expect(await deliverPush(depsOf(), push)).toBe("failed");
    const stored = await row(push.id);
    expect(stored).toMatchObject({ status: "failed", attempts: 1, last_http_status: status });
    expect(stored.last_error).toBe(`${status} Injected fault: HTTP ${status}`);
    h.clock.now += 86_400_000;
    expect(await claim()).toEqual([]);
  });

  it("a wrong shop secret is JoinChat's 401 Invalid signature: failed, no retry", async () => {
    await h.configure({ pageId: PAGE_ID, secret: "not-the-secret-joinchat-has" });
    await h.send("orders/create", buildOrderJson());
    const push = await claimOne();
    expect(await deliverPush(depsOf(), push)).toBe("failed");
    expect(await row(push.id)).toMatchObject({ status: "failed", last_http_status: 401, last_error: "401 Invalid signature" });
  });

  it("429 with Retry-After retries no sooner than JoinChat asked", async () => {
    await linkedWithSecret();
    await h.send("orders/create", buildOrderJson());
    sandbox.fail({ mode: "status", status: 429, retryAfterS: 120 });
    const push = await claimOne();
    const sentAt = h.clock.now;
    expect(await deliverPush(depsOf(), push)).toBe("retrying");
    const stored = await row(push.id);
    expect(stored).toMatchObject({ status: "retrying", last_http_status: 429, locked_until: null });
    expect(Number(stored.due_at)).toBeGreaterThanOrEqual(sentAt + 120_000);
    expect(Number(stored.due_at)).toBeLessThanOrEqual(sentAt + 132_000);
    // Not claimable before then.
    h.clock.now = sentAt + 119_000;
    expect(await claim()).toEqual([]);
  });

  it.each([
    ["HTTP 503", { mode: "status", status: 503 } as const, /^HTTP 503/],
    ["a timeout", { mode: "timeout" } as const, /timeout after 300 ms/],
    ["a connection reset", { mode: "reset" } as const, /./],
  ])("%s retries with exponential backoff, then delivers once JoinChat recovers, under one Idempotency-Key", async (_label, fault, message) => {
    await linkedWithSecret();
    await h.send("orders/create", buildOrderJson());
    sandbox.fail({ ...fault, count: 2 });
    const deps = depsOf({ timeoutMs: 300 });
    const id = (await h.pushes())[0].id;

    const waits: number[] = [];
    for (let attempt = 1; attempt <= 2; attempt++) {
      const push = await claimOne();
      const sentAt = h.clock.now;
      expect(await deliverPush(deps, push)).toBe("retrying");
      const stored = await row(id);
      expect(stored.last_error).toMatch(message);
      const wait = Number(stored.due_at) - sentAt;
      // base * 2^(n-1), with jitter between 50 % and 100 %.
      const ceiling = POLICY.baseMs * 2 ** (attempt - 1);
      expect(wait).toBeGreaterThanOrEqual(ceiling / 2);
      expect(wait).toBeLessThanOrEqual(ceiling);
      waits.push(wait);
      h.clock.now = sentAt + wait - 1;
      expect(await claim(), "not due before its time").toEqual([]);
      h.clock.now = sentAt + wait;
    }
    expect(await deliverPush(deps, await claimOne())).toBe("delivered");

    const stored = await row(id);
    expect(stored).toMatchObject({ status: "delivered", attempts: 3, last_error: null });
    const log = await attempts(id);
    expect(log.map((a) => [a.number, a.outcome])).toEqual([
      [1, "retry"],
      [2, "retry"],
      [3, "delivered"],
    ]);
    // The same bytes under the same key on every attempt that reached the wire.
    expect(proxy.requests.length).toBe(3);
    expect(new Set(proxy.requests.map((r) => r.headers["idempotency-key"]))).toEqual(new Set([stored.idempotency_key]));
    expect(new Set(proxy.requests.map((r) => r.body))).toEqual(new Set([stored.body]));
    expect(sandbox.stats().accepted).toBe(1);
  });

  it("gives up once retries would pass the maximum age: failed, 'gave up'", async () => {
    await linkedWithSecret();
    await h.send("orders/create", buildOrderJson());
    sandbox.fail({ mode: "status", status: 503, count: 10 });
    const deps = depsOf({ policy: { baseMs: 60_000, capMs: 300_000, maxAgeMs: 10 * 60_000 } });
    const first = await claimOne();
    const startedAt = h.clock.now;
    expect(await deliverPush(deps, first)).toBe("retrying");
    h.clock.now = startedAt + 9 * 60_000;
    expect(await deliverPush(deps, await claimOne())).toBe("failed");
    const stored = await row(first.id);
    expect(stored.status).toBe("failed");
    // JoinChat's last answer stays as it came; giving up is the app's decision, recorded as a code.
    expect(stored.last_error).toMatch(/^HTTP 503/);
    expect(stored.last_error).not.toMatch(/gave up/);
    expect(stored.reason).toBe("retries_exhausted");
    expect(stored.last_http_status).toBe(503);
    expect(await attempts(first.id)).toHaveLength(2);
    expect(await nextDueAt(h.db)).toBeNull();
  });

  it("records every attempt: number, time, HTTP status, answer, duration", async () => {
    const slow = await startJoinChatSandbox({ port: 0, defaultSecret: DEFAULT_SECRET, delayMs: 60 });
    try {
      await h.configure({ pageId: PAGE_ID, secret: DEFAULT_SECRET });
      await h.send("orders/create", buildOrderJson());
      slow.fail({ mode: "status", status: 502 });
      const deps = depsOf({ joinchatUrl: slow.url });
      const first = await claimOne();
      const t1 = h.clock.now;
      await deliverPush(deps, first);
      h.clock.now = Number((await row(first.id)).due_at);
      const t2 = h.clock.now;
      await deliverPush(deps, await claimOne());
      const log = await attempts(first.id);
      expect(log).toHaveLength(2);
      expect(log[0]).toMatchObject({ number: 1, http_status: 502, outcome: "retry", error: "HTTP 502: 502 Injected fault: HTTP 502" });
      expect(Number(log[0].started_at)).toBe(t1);
      expect(JSON.parse(log[0].answer!)).toEqual({ success: false, errors: { code: 502, msg: "Injected fault: HTTP 502" } });
      expect(log[1]).toMatchObject({ number: 2, http_status: 200, outcome: "delivered", error: null });
      expect(Number(log[1].started_at)).toBe(t2);
      expect(JSON.parse(log[1].answer!)).toEqual({ success: true, recipient_id: PSID });
      for (const a of log) {
        expect(a.duration_ms).toBeGreaterThanOrEqual(50);
        expect(a.duration_ms).toBeLessThan(5_000);
      }
    } finally {
      await slow.close();
    }
  });
});

describe("deliverPush: decided again at send time", () => {
  it("an unpaid reminder whose order was paid meanwhile is cancelled, not sent", async () => {
    await linkedWithSecret();
    await h.send("orders/create", buildOrderJson({ financial_status: "pending" }));
    const unpaid = await claimOne();
    expect(unpaid.topic).toBe("Order/Unpaid");
    // orders/paid arrives while the reminder is being sent: the intake cannot cancel a claimed push.
    await h.send("orders/paid", buildOrderJson({ financial_status: "paid" }));
    // And a late repeat of the pending orders/create (its own webhook id) must not make it unpaid again.
    await h.send("orders/create", buildOrderJson({ financial_status: "pending" }));
    expect(await deliverPush(depsOf(), unpaid)).toBe("cancelled");
    expect(await row(unpaid.id)).toMatchObject({ status: "cancelled", attempts: 0, locked_until: null, reason: "order_paid_before_reminder" });
    expect(proxy.requests).toHaveLength(0);
    // The receipt goes.
    const receipt = await claimOne();
    expect(receipt.topic).toBe("Order/Receipt");
    expect(await deliverPush(depsOf(), receipt)).toBe("delivered");
    expect(sandbox.received.map((r) => r.topic)).toEqual(["Order/Receipt"]);
  });

  it("a parcel cancelled while its shipped update was on an attempt that failed: the cancellation is not sent first", async () => {
    await linkedWithSecret();
    await h.send("orders/create", buildOrderJson());
    expect(await deliverPush(depsOf(), await claimOne())).toBe("delivered");
    await h.send("fulfillments/create", buildFulfillmentJson({ status: "success", updated_at: "2026-04-16T08:00:00-04:00" }));
    const shipped = await claimOne();
    // JoinChat does not answer the shipped update; the cancellation comes while it is on its way, and the intake
    // leaves a push being sent alone. The attempt times out: the shipped update waits for a retry.
    sandbox.fail({ mode: "timeout", forMs: 60_000 });
    const attempt = deliverPush(depsOf({ timeoutMs: 1_000 }), shipped);
    await waitFor(async () => proxy.inFlight > 0, 5_000, "the shipped update to be on its way");
    await h.send("fulfillments/update", buildFulfillmentJson({ status: "cancelled", updated_at: "2026-04-16T09:00:00-04:00" }));
    expect(await attempt).toBe("retrying");
    sandbox.clearFaults();
    const cancelled = await claimOne();
    expect(cancelled.tracking_status).toBe("cancelled");
    expect(await deliverPush(depsOf(), cancelled)).toBe("skipped");
    expect(await row(cancelled.id)).toMatchObject({ status: "skipped", reason: "buyer_not_told", attempts: 0 });
    expect(sandbox.received.map((r) => r.topic)).toEqual(["Order/Receipt"]);
  });

  it("a paused shop's push is skipped at send time", async () => {
    await linkedWithSecret();
    await h.send("orders/create", buildOrderJson());
    await h.configure({ paused: true });
    const push = await claimOne();
    expect(await deliverPush(depsOf(), push)).toBe("skipped");
    expect(await row(push.id)).toMatchObject({ status: "skipped", reason: "pushes_paused", attempts: 0, body: null });
    expect(proxy.requests).toHaveLength(0);
  });

  it("a push of a shop whose page was unlinked is skipped at send time", async () => {
    await linkedWithSecret();
    await h.send("orders/create", buildOrderJson());
    await h.configure({ pageId: null });
    const push = await claimOne();
    expect(await deliverPush(depsOf(), push)).toBe("skipped");
    expect(await row(push.id)).toMatchObject({ status: "skipped", reason: "page_not_linked", attempts: 0 });
    expect(proxy.requests).toHaveLength(0);
  });

  it("releaseStalledPushes puts back 'sending' rows whose lease ran out and records an interrupted attempt", async () => {
    await linkedWithSecret();
    await h.send("orders/create", buildOrderJson());
    const claimedAt = h.clock.now;
    const push = await claimOne();
    expect(push.status).toBe("sending");

    expect(await releaseStalledPushes(h.db, claimedAt + LEASE_MS - 1)).toBe(0);
    expect((await row(push.id)).status).toBe("sending");
    h.clock.now = claimedAt + LEASE_MS + 1;
    expect(await releaseStalledPushes(h.db, h.clock.now)).toBe(1);
    expect(await row(push.id)).toMatchObject({ status: "retrying", locked_until: null, attempts: 1 });
    expect(Number((await row(push.id)).due_at)).toBe(h.clock.now);
    expect(await attempts(push.id)).toEqual([
      expect.objectContaining({ number: 1, outcome: "interrupted", http_status: null, error: expect.stringMatching(/stopped/) }),
    ]);

    const again = await claimOne();
    expect(again.attempts).toBe(2);
    expect(again.idempotency_key).toBe(push.idempotency_key);
    expect(await deliverPush(depsOf(), again)).toBe("delivered");
    expect((await attempts(push.id)).map((a) => a.outcome)).toEqual(["interrupted", "delivered"]);
  });

  it("releaseStalledPushes with all=true (the only sender restarting) releases every 'sending' row", async () => {
    await linkedWithSecret();
    await h.send("orders/create", buildOrderJson());
    const push = await claimOne();
    expect(await releaseStalledPushes(h.db, h.clock.now, true)).toBe(1);
    expect((await row(push.id)).status).toBe("retrying");
  });
});

describe("DeliveryWorker", () => {
  function startWorker(
    deps: DeliveryDeps,
    options: { concurrency?: number; pollMs?: number; shopConcurrency?: number; deliver?: (push: PushRow) => Promise<unknown> } = {},
  ) {
    const worker = new DeliveryWorker({
      concurrency: options.concurrency ?? 4,
      shopConcurrency: options.shopConcurrency,
      pollMs: options.pollMs ?? 60_000,
      deliver: options.deliver ?? ((push) => deliverPush(deps, push)),
      source: {
        claim: (limit, capacity) => h.db.transaction((tx) => claimDuePushes(tx, Date.now(), limit, LEASE_MS, capacity)),
        nextDueAt: () => nextDueAt(h.db),
        releaseStalled: () => releaseStalledPushes(h.db, Date.now()),
      },
    });
    worker.start();
    return worker;
  }

  const statusOf = async (id: number) => (await row(id)).status;

  it("wakes on new work: a due push leaves at once, not at the next poll (pollMs 60 s)", async () => {
    let worker: DeliveryWorker | null = null;
    await h.close();
    h = createHarness({ onPushesStored: (dueAt) => worker?.wake(dueAt) });
    h.clock.now = Date.now();
    await linkedWithSecret();
    worker = startWorker(depsOf({ now: undefined }), { pollMs: 60_000 });
    try {
      // Let the first pump find nothing and set its 60 s timer.
      await new Promise((r) => setTimeout(r, 100));
      const started = Date.now();
      const answer = await h.send("orders/create", buildOrderJson());
      const id = answer.json.pushes![0];
      await waitFor(async () => (await statusOf(id)) === "delivered", 2_000, "the push to be delivered");
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(sandbox.received).toHaveLength(1);
    } finally {
      await worker.stop();
    }
  });

  it("retries on its own timer when JoinChat recovers, without waiting for the poll", async () => {
    await linkedWithSecret();
    sandbox.fail({ mode: "status", status: 503, count: 2 });
    const answer = await h.send("orders/create", buildOrderJson());
    const id = answer.json.pushes![0];
    const worker = startWorker(depsOf({ now: undefined, policy: { baseMs: 100, capMs: 1_000, maxAgeMs: 60_000 } }), { pollMs: 60_000 });
    try {
      await waitFor(async () => (await statusOf(id)) === "delivered", 3_000, "the push to be delivered");
      expect((await attempts(id)).map((a) => [a.number, a.http_status])).toEqual([
        [1, 503],
        [2, 503],
        [3, 200],
      ]);
      expect(sandbox.stats().accepted).toBe(1);
    } finally {
      await worker.stop();
    }
  });

  it("never has more than `concurrency` deliveries in flight", async () => {
    const slow = await startJoinChatSandbox({ port: 0, defaultSecret: DEFAULT_SECRET, delayMs: 150 });
    const counting = await startRecordingProxy(slow.url);
    try {
      await h.configure({ pageId: PAGE_ID, secret: DEFAULT_SECRET });
      const ids: number[] = [];
      for (let n = 0; n < 12; n++) {
        const id = bigId(n);
        const answer = await h.send("orders/create", buildOrderJson({ id, admin_graphql_api_id: `gid://shopify/Order/${id}`, name: `#${3000 + n}` }));
        ids.push(answer.json.pushes![0]);
      }
      const worker = startWorker(depsOf({ now: undefined, joinchatUrl: counting.url }), { concurrency: 3 });
      let maxActive = 0;
      const sampler = setInterval(() => (maxActive = Math.max(maxActive, worker.activeDeliveries)), 5);
      try {
        await waitFor(
          async () => {
            const rows = await h.db.all<{ n: number }>("SELECT COUNT(*) AS n FROM push WHERE status = 'delivered'");
            return Number(rows[0].n) === ids.length;
          },
          10_000,
          "every push to be delivered",
        );
      } finally {
        clearInterval(sampler);
        await worker.stop();
      }
      expect(counting.requests).toHaveLength(12);
      expect(counting.maxInFlight).toBe(3);
      expect(maxActive).toBeLessThanOrEqual(3);
      expect(slow.stats().accepted).toBe(12);
    } finally {
      await counting.close();
      await slow.close();
    }
  });

  it("gives one shop at most `shopConcurrency` deliveries at once: a flash sale leaves room for the other shops", async () => {
    const slow = await startJoinChatSandbox({ port: 0, defaultSecret: DEFAULT_SECRET, delayMs: 150 });
    slow.setSecret(SHOP, SHOP_SECRET);
    try {
      await linkedWithSecret();
      await h.configure({ pageId: PAGE_ID }, OTHER_SHOP);
      // The flash sale: 16 receipts of one shop, all due before the other shop's one.
      for (let n = 0; n < 16; n++) {
        const id = bigId(n);
        await h.send("orders/create", buildOrderJson({ id, admin_graphql_api_id: `gid://shopify/Order/${id}`, name: `#${4000 + n}` }));
      }
      h.clock.now += 1_000;
      const other = (await h.send("orders/create", buildOrderJson(), { shop: OTHER_SHOP })).json.pushes![0];
      const busy = new Map<string, number>();
      const most = new Map<string, number>();
      const finished: string[] = [];
      const deps = depsOf({ now: undefined, joinchatUrl: slow.url });
      const worker = startWorker(deps, {
        concurrency: 6,
        shopConcurrency: 2,
        deliver: async (push) => {
          busy.set(push.shop, (busy.get(push.shop) ?? 0) + 1);
          most.set(push.shop, Math.max(most.get(push.shop) ?? 0, busy.get(push.shop)!));
          try {
            return await deliverPush(deps, push);
          } finally {
            busy.set(push.shop, busy.get(push.shop)! - 1);
            finished.push(push.shop);
          }
        },
      });
      try {
        await waitFor(async () => (await statusOf(other)) === "delivered", 3_000, "the other shop's push");
        // It did not wait behind the 16: at most the first two of them went before it.
        expect(finished.indexOf(OTHER_SHOP)).toBeLessThanOrEqual(2);
        await waitFor(async () => (await h.pushes()).every((p) => p.status === "delivered"), 10_000, "the flash sale to be delivered");
      } finally {
        await worker.stop();
      }
      expect(most.get(SHOP)).toBe(2);
      expect(slow.stats().accepted).toBe(17);
    } finally {
      await slow.close();
    }
  });

  it("without a limit per shop, shares the slots fairly: one shop alone takes them all, another shop's push is next", async () => {
    const slow = await startJoinChatSandbox({ port: 0, defaultSecret: DEFAULT_SECRET, delayMs: 100 });
    slow.setSecret(SHOP, SHOP_SECRET);
    try {
      await linkedWithSecret();
      await h.configure({ pageId: PAGE_ID }, OTHER_SHOP);
      // The flash sale: 30 receipts of one shop, all due before the other shop's one.
      for (let n = 0; n < 30; n++) {
        const id = bigId(n);
        await h.send("orders/create", buildOrderJson({ id, admin_graphql_api_id: `gid://shopify/Order/${id}`, name: `#${6000 + n}` }));
      }
      h.clock.now += 1_000;
      const other = (await h.send("orders/create", buildOrderJson(), { shop: OTHER_SHOP })).json.pushes![0];
      const started: string[] = [];
      const deps = depsOf({ now: undefined, joinchatUrl: slow.url });
      const worker = startWorker(deps, {
        concurrency: 4,
        deliver: (push) => {
          started.push(push.shop);
          return deliverPush(deps, push);
        },
      });
      try {
        await waitFor(async () => (await h.pushes()).every((p) => p.status === "delivered"), 10_000, "every push to be delivered");
      } finally {
        await worker.stop();
      }
      expect(await statusOf(other)).toBe("delivered");
      // The first claim gave the other shop a slot beside three of the flash sale's, though its push was due last.
      expect(started.indexOf(OTHER_SHOP)).toBeLessThan(4);
      // Alone afterwards, the flash sale took all four slots.
      expect(slow.maxInFlight(SHOP)).toBe(4);
      expect(slow.stats().accepted).toBe(31);
    } finally {
      await slow.close();
    }
  });

  it("at shutdown, puts back the deliveries that outlast the deadline: retrying, the attempt recorded as interrupted", async () => {
    await linkedWithSecret();
    sandbox.fail({ mode: "timeout", forMs: 10_000 });
    const id = (await h.send("orders/create", buildOrderJson())).json.pushes![0];
    const worker = startWorker(depsOf({ now: undefined, timeoutMs: 5_000 }));
    await waitFor(async () => (await statusOf(id)) === "sending" && worker.activeDeliveries === 1, 3_000, "the push to be in flight");
    const started = Date.now();
    await worker.stop({ deadlineMs: 200, release: async (pushes) => void (await Promise.all(pushes.map((p) => releasePush(h.db, p, Date.now())))) });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await row(id)).toMatchObject({ status: "retrying", attempts: 1, locked_until: null });
    expect((await attempts(id)).map((a) => [a.number, a.outcome])).toEqual([[1, "interrupted"]]);
    sandbox.clearFaults();
  });
});

describe("Admin API lookups at delivery (the app's layer, against the Shopify stand-in)", () => {
  let standIn: ShopifyStandIn;
  let unroute: () => Promise<void>;
  const IMAGE_1 = "https://cdn.shopify.com/s/files/aviator.png";
  const IMAGE_2 = "https://cdn.shopify.com/s/files/lounger.png";
  const SMALL_PRODUCT_GID = `gid://shopify/Product/${SMALL_PRODUCT_ID}`;

  beforeAll(async () => {
    standIn = await startShopifyStandIn();
    unroute = routeShopifyFetch(standIn);
  });
  afterAll(async () => {
    await unroute?.();
    await standIn?.close();
  });

  /** The shop installed at the stand-in (a token that does not expire), its products, and its offline session here. */
  async function install(): Promise<string> {
    const shop = standIn.shop(SHOP);
    shop.latencyMs = 0;
    shop.failures.length = 0;
    shop.addProduct(PRODUCT_GID, { imageUrl: IMAGE_1 });
    shop.addProduct(SMALL_PRODUCT_GID, { imageUrl: IMAGE_2 });
    const { accessToken, scope } = standIn.issueOfflineToken(SHOP, { expiring: false });
    await insertSession(h.db, SHOP, { accessToken, scope });
    return accessToken;
  }
  const graphqlCalls = (operation?: string) =>
    standIn.calls.filter((c) => c.shop === SHOP && c.endpoint === "graphql" && (!operation || c.operation === operation));
  let callsBefore = 0;
  beforeEach(() => {
    callsBefore = standIn.calls.length;
  });
  const callsOfTest = (operation?: string) => graphqlCalls(operation).filter((c) => standIn.calls.indexOf(c) >= callsBefore);

  it("puts product images into elements[].image_url and caches them: a second push makes no second call", async () => {
    await linkedWithSecret();
    const token = await install();
    const deps = depsOf();
    await h.send("orders/create", buildOrderJson());
    expect(await deliverPush(deps, await claimOne())).toBe("delivered");

    const elements = sandbox.received[0].params.elements as { title: string; image_url?: string }[];
    expect(elements.map((e) => [e.title, e.image_url])).toEqual([
      ["Aviator sunglasses", IMAGE_1],
      ["Mid-century lounger", IMAGE_2],
      ["Gift wrap", undefined],
    ]);
    expect(callsOfTest("ProductImages")).toHaveLength(1);
    expect(callsOfTest("ProductImages")[0]).toMatchObject({ token, status: 200, outcome: "ok" });
    const cached = await h.db.all<{ product_gid: string; url: string }>("SELECT product_gid, url FROM product_image WHERE shop = ? ORDER BY url", [SHOP]);
    expect(cached).toEqual([
      { product_gid: PRODUCT_GID, url: IMAGE_1 },
      { product_gid: SMALL_PRODUCT_GID, url: IMAGE_2 },
    ]);

    // Another process (a new layer over the same database) takes the images from the cache too.
    const id = bigId(1);
    await h.send("orders/create", buildOrderJson({ id, admin_graphql_api_id: `gid://shopify/Order/${id}`, name: "#1002" }));
    expect(await deliverPush(depsOf(), await claimOne())).toBe("delivered");
    expect(callsOfTest("ProductImages")).toHaveLength(1);
    expect(sandbox.received[1].params.elements[0].image_url).toBe(IMAGE_1);
  });

  it("gives a package/update the thumbnail of its first item", async () => {
    await linkedWithSecret();
    await install();
    await h.send("orders/create", buildOrderJson());
    await h.send("fulfillments/create", buildFulfillmentJson());
    const deps = depsOf();
    for (const push of await claim()) expect(await deliverPush(deps, push)).toBe("delivered");
    const pkg = sandbox.received.find((r) => r.topic === "package/update")!;
    expect(pkg.params.image_url).toBe(IMAGE_1);
  });

  it("a customer metafield PSID upgrades an email recipient", async () => {
    await linkedWithSecret();
    await install();
    standIn.shop(SHOP).addCustomer(CUSTOMER_GID, { email: "jon@example.com", metafields: { "joinchat.psid": "7000000000000001" } });
    await h.send("orders/create", buildOrderJson({ note_attributes: [] }));
    const push = await claimOne();
    expect(push.recipient_kind).toBe("email");
    expect(await deliverPush(depsOf(), push)).toBe("delivered");
    expect(sandbox.received[0].recipient).toEqual({ id: "7000000000000001" });
    expect(await row(push.id)).toMatchObject({ recipient_kind: "id", recipient_value: "7000000000000001" });
    expect(callsOfTest("CustomerPsid")).toHaveLength(1);
    const cached = await h.db.all<{ customer_gid: string; psid: string }>("SELECT customer_gid, psid FROM customer_psid WHERE shop = ?", [SHOP]);
    expect(cached).toEqual([{ customer_gid: CUSTOMER_GID, psid: "7000000000000001" }]);
  });

  it("a provisional fulfillment push takes the order's recipient from the Admin API", async () => {
    await linkedWithSecret();
    await install();
    standIn
      .shop(SHOP)
      .addCustomer(CUSTOMER_GID, { firstName: "Jon", lastName: "Smith", email: "jon@example.com", metafields: { "joinchat.psid": "7000000000000002" } });
    standIn
      .shop(SHOP)
      .addOrder(ORDER_GID, { name: "#1001", email: "jon@example.com", statusPageUrl: `https://${SHOP}/orders/1001`, customerGid: CUSTOMER_GID });
    await h.send("fulfillments/create", buildFulfillmentJson({ email: "warehouse@example.com" }));
    const push = await claimOne();
    expect(push).toMatchObject({ recipient_provisional: 1, recipient_value: "warehouse@example.com" });
    expect(await deliverPush(depsOf(), push)).toBe("delivered");
    expect(sandbox.received[0].recipient).toEqual({ id: "7000000000000002" });
    expect(await row(push.id)).toMatchObject({ recipient_kind: "id", recipient_provisional: 0 });
    expect(callsOfTest("OrderContact")).toHaveLength(1);
  });

  it("a provisional fulfillment push takes the order's recipient once the order has arrived", async () => {
    await linkedWithSecret();
    await h.send("fulfillments/create", buildFulfillmentJson({ email: "warehouse@example.com" }));
    await h.send("orders/create", buildOrderJson());
    const pkg = (await claim()).find((p) => p.topic === "package/update")!;
    expect(await deliverPush(depsOf(), pkg)).toBe("delivered");
    expect(sandbox.received.find((r) => r.topic === "package/update")!.recipient).toEqual({ id: PSID });
  });

  it("a provisional push that finds no contact at all is skipped 'no recipient' at send time", async () => {
    await linkedWithSecret();
    await h.send("fulfillments/create", buildFulfillmentJson({ email: null }));
    const push = await claimOne();
    expect(await deliverPush(depsOf(), push)).toBe("skipped");
    expect(await row(push.id)).toMatchObject({ status: "skipped", reason: "no_recipient", attempts: 0 });
    expect(proxy.requests).toHaveLength(0);
  });

  it.each(["hang", "error"] as const)("an Admin API that %ss never blocks the push: delivered without image within the push's time limit", async (mode) => {
    await linkedWithSecret();
    await install();
    if (mode === "hang") standIn.shop(SHOP).latencyMs = Infinity;
    else standIn.shop(SHOP).failNext(100, { status: 503 });
    await h.send("orders/create", buildOrderJson({ note_attributes: [] }));
    const started = Date.now();
    expect(await deliverPush(depsOf({}, { timeoutMs: 300 }), await claimOne())).toBe("delivered");
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(callsOfTest().length).toBeGreaterThan(0);
    const elements = sandbox.received[0].params.elements as { image_url?: string }[];
    expect(elements.every((e) => e.image_url === undefined)).toBe(true);
    expect(sandbox.received[0].recipient).toEqual({ email: "jon@example.com" });
    standIn.shop(SHOP).latencyMs = 0;
    standIn.shop(SHOP).failures.length = 0;
  });
});
