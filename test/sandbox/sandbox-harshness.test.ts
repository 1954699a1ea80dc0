// The sandbox as harsh as JoinChat: latency (served without blocking), per-page throttling with 429 and
// Retry-After, scripted faults, and what tests need to see it: requests in flight per shop and page, each request's
// span, the 429s served.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DEFAULT_LATENCY, exampleReceiptPush, exampleSendMessage, NO_LATENCY, startJoinChatSandbox, type JoinChatSandbox } from "./joinchat-sandbox";
import { control, postRaw, type PostOptions } from "./test-client";

const SHOP = "demo-shop.myshopify.com";
const OTHER_SHOP = "other-shop.myshopify.com";
const SECRET = "default-secret";
const PAGE = "407898491811542";
const OTHER_PAGE = "100000000000001";

let sandbox: JoinChatSandbox;

beforeAll(async () => {
  sandbox = await startJoinChatSandbox({ defaultSecret: SECRET });
});
afterAll(async () => {
  await sandbox.close();
});
beforeEach(() => {
  sandbox.reset();
  sandbox.setLatency(DEFAULT_LATENCY);
  sandbox.setThrottle(null);
});

const push = (o: PostOptions & { page?: string } = {}) => {
  const body = exampleReceiptPush();
  if (o.page) body.request.page_id = o.page;
  return postRaw(sandbox.url, body, { shop: SHOP, secret: SECRET }, o);
};
const sendMessage = (o: PostOptions = {}) => {
  const body = exampleSendMessage("text");
  body.page_id = PAGE;
  return postRaw(sandbox.sendUrl, body, { shop: null, secret: SECRET }, o);
};
const elapsed = async <T>(work: () => Promise<T>): Promise<[T, number]> => {
  const started = performance.now();
  const value = await work();
  return [value, performance.now() - started];
};

describe("latency", () => {
  it("is small and jittered by default (decision 013), and every answer waits at least its base", async () => {
    expect(sandbox.latency()).toEqual(DEFAULT_LATENCY);
    expect(DEFAULT_LATENCY).toEqual({ latencyMs: 5, jitterMs: 15, slowRate: 0, slowMs: 0 });
    for (let i = 0; i < 5; i++) expect((await push()).status).toBe(200);
    const spans = sandbox.timeline();
    expect(spans).toHaveLength(5);
    for (const span of spans) expect(span.end! - span.start).toBeGreaterThanOrEqual(DEFAULT_LATENCY.latencyMs - 1);
  });

  it("is set at start, as a fixed delay (latency or the older delayMs) or a profile", async () => {
    const fixed = await startJoinChatSandbox({ defaultSecret: SECRET, latency: 150 });
    const older = await startJoinChatSandbox({ defaultSecret: SECRET, delayMs: 60 });
    const profile = await startJoinChatSandbox({ defaultSecret: SECRET, latency: { latencyMs: 100, jitterMs: 50 }, seed: 3 });
    try {
      expect(fixed.latency()).toEqual({ latencyMs: 150, jitterMs: 0, slowRate: 0, slowMs: 0 });
      expect(older.latency()).toEqual({ latencyMs: 60, jitterMs: 0, slowRate: 0, slowMs: 0 });
      expect(profile.latency()).toEqual({ latencyMs: 100, jitterMs: 50, slowRate: 0, slowMs: 0 });
      const [answer, ms] = await elapsed(() => postRaw(fixed.url, exampleReceiptPush(), { shop: SHOP, secret: SECRET }));
      expect(answer.status).toBe(200);
      expect(ms).toBeGreaterThanOrEqual(149);
      const [, ms2] = await elapsed(() => postRaw(profile.url, exampleReceiptPush(), { shop: SHOP, secret: SECRET }));
      expect(ms2).toBeGreaterThanOrEqual(99);
    } finally {
      await Promise.all([fixed.close(), older.close(), profile.close()]);
    }
    await expect(startJoinChatSandbox({ defaultSecret: SECRET, latency: 10, delayMs: 10 })).rejects.toThrow(/latency or delayMs, not both/);
    await expect(startJoinChatSandbox({ defaultSecret: SECRET, latency: { latencyMs: -5 } })).rejects.toThrow(/latencyMs must be/);
  });

  it("changes at run time, in process and through the control API, for pushes and send_message alike", async () => {
    sandbox.setLatency(200);
    const [a, msPush] = await elapsed(() => push());
    const [b, msSend] = await elapsed(() => sendMessage());
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(msPush).toBeGreaterThanOrEqual(199);
    expect(msSend).toBeGreaterThanOrEqual(199);
    expect(sandbox.timeline().map((s) => [s.endpoint, s.end! - s.start >= 199])).toEqual([
      ["push", true],
      ["send_message", true],
    ]);

    expect(await control(sandbox.origin, "POST", "latency", { latencyMs: 0 })).toEqual({ status: 200, json: { ok: true, latency: NO_LATENCY } });
    expect((await control(sandbox.origin, "GET", "latency")).json).toEqual(NO_LATENCY);
    expect(await control(sandbox.origin, "POST", "latency", { latencyMs: 300, slowRate: 2 })).toEqual({
      status: 400,
      json: { ok: false, error: "slowRate must be a probability from 0 to 1" },
    });
    expect(sandbox.latency()).toEqual(NO_LATENCY);
    expect(() => sandbox.setLatency({ latencyMs: Number.NaN })).toThrow(/latencyMs must be/);
  });

  it("applies to refusals and injected status faults too", async () => {
    sandbox.setLatency(120);
    sandbox.fail({ mode: "status", status: 503 });
    const [fault, msFault] = await elapsed(() => push());
    const [refused, msRefused] = await elapsed(() => push({ secret: "wrong" }));
    expect([fault.status, refused.status]).toEqual([503, 401]);
    expect(msFault).toBeGreaterThanOrEqual(119);
    expect(msRefused).toBeGreaterThanOrEqual(119);
  });

  it("holds hundreds of requests at once without serving them one after another", async () => {
    // Long enough that all 200 are sent before the first answer, even on a busy machine.
    sandbox.setLatency(1500);
    const answers = await Promise.all(Array.from({ length: 200 }, () => push()));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(sandbox.maxInFlight()).toBe(200);
    const spans = sandbox.timeline();
    // Every request started before the first one was answered.
    expect(Math.max(...spans.map((s) => s.start))).toBeLessThan(Math.min(...spans.map((s) => s.end!)));
    expect(sandbox.inFlight()).toBe(0);
  });

  it("lets answers overtake each other: with jitter, the order of answers is not the order of arrival", async () => {
    sandbox.setLatency({ latencyMs: 10, jitterMs: 200 });
    await Promise.all(Array.from({ length: 30 }, () => push()));
    const spans = sandbox.timeline();
    const byStart = [...spans].sort((x, y) => x.start - y.start).map((s) => s.id);
    const byEnd = [...spans].sort((x, y) => x.end! - y.end!).map((s) => s.id);
    expect(byEnd).not.toEqual(byStart);
  });
});

describe("throttling per Facebook page", () => {
  it("answers 429 with Retry-After past the in-flight limit of a page, and leaves other pages alone", async () => {
    sandbox.setLatency(250);
    sandbox.setThrottle({ maxInFlightPerPage: 2 });
    const answers = await Promise.all([push(), push(), push(), push(), push({ page: OTHER_PAGE }), push({ page: OTHER_PAGE })]);
    const onPage = answers.slice(0, 4);
    expect(onPage.filter((a) => a.status === 200)).toHaveLength(2);
    const refused = onPage.filter((a) => a.status === 429);
    expect(refused).toHaveLength(2);
    for (const a of refused) {
      expect(a.headers["retry-after"]).toBe("1");
      expect(a.json).toEqual({
        success: false,
        errors: { code: 429, msg: `Too Many Requests: page ${PAGE} already has 2 requests in progress (limit 2); retry after 1 s` },
      });
    }
    expect(answers.slice(4).map((a) => a.status)).toEqual([200, 200]);
    const stats = sandbox.stats();
    expect(stats).toMatchObject({ accepted: 4, throttled: 2, rejected: 0, byStatus: { "200": 4, "429": 2 } });
    expect(sandbox.received).toHaveLength(4);
    expect(sandbox.timeline().filter((s) => s.outcome === "throttled")).toHaveLength(2);
    // Once the page's requests are answered, it takes more.
    expect((await push()).status).toBe(200);
  });

  it("answers 429 past a rate per page, with Retry-After until a slot frees, then takes requests again", async () => {
    sandbox.setLatency(NO_LATENCY);
    sandbox.setThrottle({ ratePerPage: { requests: 3, perMs: 400 } });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await push()).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    const refused = await push({ idempotencyKey: "later" });
    expect(refused.status).toBe(429);
    expect(refused.headers["retry-after"]).toBe("1");
    expect((await push({ page: OTHER_PAGE })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 450));
    // A throttled request was not acted on: the same Idempotency-Key is a first delivery, not a replay.
    const later = await push({ idempotencyKey: "later" });
    expect(later.status).toBe(200);
    expect(sandbox.received.filter((r) => r.idempotencyKey === "later").map((r) => r.replay)).toEqual([false]);
    expect(sandbox.stats().throttled).toBe(3);
  });

  it("counts pushes and send_message of one page together, and sends a set Retry-After", async () => {
    sandbox.setLatency(NO_LATENCY);
    sandbox.setThrottle({ ratePerPage: { requests: 2, perMs: 60_000 }, retryAfterS: 9 });
    expect((await push()).status).toBe(200);
    expect((await sendMessage()).status).toBe(200);
    const third = await sendMessage();
    expect(third.status).toBe(429);
    expect(third.headers["retry-after"]).toBe("9");
    expect(third.json.errors.msg).toMatch(/over its limit of 2 requests per 60000 ms; retry after 9 s/);
    expect((await push()).status).toBe(429);
    expect(sandbox.stats()).toMatchObject({ throttled: 2, send: { accepted: 1 } });
  });

  it("is set at start and through the control API, and refuses a wrong setting", async () => {
    const throttled = await startJoinChatSandbox({ defaultSecret: SECRET, latency: 0, throttle: { ratePerPage: { requests: 1, perMs: 60_000 } } });
    try {
      const post = () => postRaw(throttled.url, exampleReceiptPush(), { shop: SHOP, secret: SECRET });
      expect([(await post()).status, (await post()).status]).toEqual([200, 429]);
    } finally {
      await throttled.close();
    }
    await expect(startJoinChatSandbox({ defaultSecret: SECRET, throttle: { retryAfterS: 1 } })).rejects.toThrow(/needs maxInFlightPerPage/);

    expect(await control(sandbox.origin, "POST", "throttle", { maxInFlightPerPage: 3, retryAfterS: 2 })).toEqual({
      status: 200,
      json: { ok: true, throttle: { maxInFlightPerPage: 3, retryAfterS: 2 } },
    });
    expect(sandbox.throttle()).toEqual({ maxInFlightPerPage: 3, retryAfterS: 2 });
    expect((await control(sandbox.origin, "GET", "throttle")).json).toEqual({ throttle: { maxInFlightPerPage: 3, retryAfterS: 2 } });
    expect(await control(sandbox.origin, "POST", "throttle", { maxInFlightPerPage: -1 })).toEqual({
      status: 400,
      json: { ok: false, error: "maxInFlightPerPage must be a positive integer" },
    });
    expect(sandbox.throttle()).toEqual({ maxInFlightPerPage: 3, retryAfterS: 2 });
    expect((await control(sandbox.origin, "DELETE", "throttle")).status).toBe(200);
    expect(sandbox.throttle()).toBeNull();
    expect(() => sandbox.setThrottle({})).toThrow(/needs maxInFlightPerPage/);
  });

  it("comes after the signature and the rules: a forged or malformed push gets its own answer", async () => {
    sandbox.setThrottle({ ratePerPage: { requests: 1, perMs: 60_000 } });
    expect((await push()).status).toBe(200);
    expect((await push({ secret: "wrong" })).status).toBe(401);
    const broken = exampleReceiptPush();
    delete broken.params.summary;
    expect((await postRaw(sandbox.url, broken, { shop: SHOP, secret: SECRET })).status).toBe(400);
    expect((await push()).status).toBe(429);
  });
});

describe("scripted faults", () => {
  it("answers 429 with Retry-After for a period, counted by status, then the rules again", async () => {
    sandbox.setLatency(NO_LATENCY);
    sandbox.fail({ mode: "status", status: 429, retryAfterS: 1, forMs: 300 });
    const during = [await push(), await push(), await sendMessage()];
    expect(during.map((a) => [a.status, a.headers["retry-after"]])).toEqual([
      [429, "1"],
      [429, "1"],
      [429, "1"],
    ]);
    await new Promise((r) => setTimeout(r, 350));
    expect((await push()).status).toBe(200);
    expect(sandbox.stats()).toMatchObject({ faulted: 3, throttled: 0, byStatus: { "429": 3, "200": 1 } });
  });

  it("can be aimed at one endpoint: a send_message fault leaves pushes alone and is not used up by them", async () => {
    sandbox.fail({ mode: "status", status: 503, count: 1, endpoint: "send_message" });
    expect((await push()).status).toBe(200);
    expect((await sendMessage()).status).toBe(503);
    expect((await sendMessage()).status).toBe(200);
    expect((await control(sandbox.origin, "POST", "faults", { mode: "reset", endpoint: "push" })).status).toBe(200);
    expect((await sendMessage()).status).toBe(200);
    await expect(push()).rejects.toThrow();
    expect((await control(sandbox.origin, "POST", "faults", { mode: "reset", endpoint: "both" })).json.error).toMatch(/endpoint must be/);
  });
});

describe("what tests can see", () => {
  it("the most requests in flight at once, per shop, per page and in all, and each request's span", async () => {
    sandbox.setLatency(200);
    await Promise.all([push(), push(), push(), push({ shop: OTHER_SHOP }), push({ page: OTHER_PAGE, shop: OTHER_SHOP })]);
    expect(sandbox.maxInFlight(SHOP)).toBe(3);
    expect(sandbox.maxInFlight({ shop: OTHER_SHOP })).toBe(2);
    expect(sandbox.maxInFlight({ pageId: PAGE })).toBe(4);
    expect(sandbox.maxInFlight({ pageId: OTHER_PAGE })).toBe(1);
    expect(sandbox.maxInFlight()).toBe(5);
    expect(sandbox.maxInFlight("nobody.myshopify.com")).toBe(0);
    expect(sandbox.inFlight(SHOP)).toBe(0);

    const spans = sandbox.timeline({ shop: SHOP });
    expect(spans).toHaveLength(3);
    for (const span of spans) {
      expect(span).toMatchObject({ endpoint: "push", shop: SHOP, pageId: PAGE, status: 200, outcome: "delivered", aborted: false });
      expect(span.end! - span.start).toBeGreaterThanOrEqual(199);
    }
    expect(sandbox.timeline({ pageId: OTHER_PAGE })).toHaveLength(1);
    expect(sandbox.timeline({ endpoint: "send_message" })).toEqual([]);

    const inFlight = await control(sandbox.origin, "GET", `in-flight?shop=${SHOP}`);
    expect(inFlight.json).toMatchObject({ now: 0, max: 3, maxByShop: { [SHOP]: 3, [OTHER_SHOP]: 2 }, maxByPage: { [PAGE]: 4, [OTHER_PAGE]: 1 } });
    expect((await control(sandbox.origin, "GET", `in-flight?pageId=${PAGE}`)).json.max).toBe(4);
    expect((await control(sandbox.origin, "GET", `in-flight?shop=${SHOP}&pageId=${PAGE}`)).status).toBe(400);
    const timeline = await control(sandbox.origin, "GET", `timeline?shop=${OTHER_SHOP}`);
    expect(timeline.json).toHaveLength(2);
    expect((await control(sandbox.origin, "GET", "timeline?endpoint=nope")).status).toBe(400);
  });

  it("counts a request in flight while it is held by a timeout fault, and ends its span when the client leaves", async () => {
    sandbox.fail({ mode: "timeout" });
    const gone = push({ signal: AbortSignal.timeout(150) });
    await expect(gone).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 20));
    const [span] = sandbox.timeline();
    expect(span).toMatchObject({ outcome: "fault", status: null, aborted: true });
    expect(span.end).not.toBeNull();
    expect(sandbox.inFlight()).toBe(0);
  });

  it("delivers a push whose client gave up before the answer, as JoinChat does: the retry is a replay", async () => {
    sandbox.setLatency(300);
    await expect(push({ idempotencyKey: "gave-up", signal: AbortSignal.timeout(80) })).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 20));
    expect(sandbox.timeline()[0]).toMatchObject({ outcome: "delivered", status: null, aborted: true });
    const retry = await push({ idempotencyKey: "gave-up" });
    expect(retry.json.success).toBe(true);
    expect(sandbox.received.map((r) => r.replay)).toEqual([false, true]);
    expect(sandbox.stats()).toMatchObject({ accepted: 1, replays: 1 });
  });

  it("reset clears the timeline, the maxima and the counts, and keeps latency and throttle", async () => {
    sandbox.setLatency(30);
    sandbox.setThrottle({ maxInFlightPerPage: 1 });
    await Promise.all([push(), push()]);
    expect(sandbox.stats()).toMatchObject({ throttled: 1 });
    sandbox.reset();
    expect(sandbox.timeline()).toEqual([]);
    expect(sandbox.maxInFlight()).toBe(0);
    expect(sandbox.stats()).toMatchObject({ accepted: 0, throttled: 0, byStatus: {} });
    expect(sandbox.latency().latencyMs).toBe(30);
    expect(sandbox.throttle()).toEqual({ maxInFlightPerPage: 1 });
  });

  it("keeps counters but no timeline with record: false", async () => {
    const quiet = await startJoinChatSandbox({ defaultSecret: SECRET, record: false, latency: 50 });
    try {
      await Promise.all([0, 1, 2].map(() => postRaw(quiet.url, exampleReceiptPush(), { shop: SHOP, secret: SECRET })));
      expect(quiet.timeline()).toEqual([]);
      expect(quiet.maxInFlight(SHOP)).toBe(3);
      expect(quiet.stats().byStatus).toEqual({ "200": 3 });
    } finally {
      await quiet.close();
    }
  });
});
