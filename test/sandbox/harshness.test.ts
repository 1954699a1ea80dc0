import { describe, expect, it } from "vitest";
import { DEFAULT_LATENCY, NO_LATENCY, PageLimiter, parseLatency, parseThrottle, REALISTIC_LATENCY, sampleLatency, seededRandom } from "./harshness";

describe("latency profiles", () => {
  it("reads a number as a fixed delay and fills an object's missing parts with 0", () => {
    expect(parseLatency(300)).toEqual({ latencyMs: 300, jitterMs: 0, slowRate: 0, slowMs: 0 });
    expect(parseLatency({ latencyMs: 300, jitterMs: 100 })).toEqual({ latencyMs: 300, jitterMs: 100, slowRate: 0, slowMs: 0 });
    expect(parseLatency({ ...REALISTIC_LATENCY })).toEqual(REALISTIC_LATENCY);
  });

  it.each([
    [-1, /latency must be/],
    [{ jitterMs: 5 }, /latencyMs must be/],
    [{ latencyMs: "300" }, /latencyMs must be/],
    [{ latencyMs: 10, jitterMs: -5 }, /jitterMs must be/],
    [{ latencyMs: 10, slowRate: 1.5 }, /slowRate must be a probability/],
    [{ latencyMs: 10, slowMs: Infinity }, /slowMs must be/],
    [{ latencyMs: 700_000 }, /latencyMs must be/],
    [{ latencyMs: 10, jitter: 5 }, /unknown latency field jitter/],
    [null, /latency must be/],
  ])("refuses %j", (input, message) => {
    expect(parseLatency(input)).toMatch(message);
  });

  it("waits latencyMs plus 0..jitterMs, spread over the whole range", () => {
    const random = seededRandom(7);
    const waits = Array.from({ length: 2000 }, () => sampleLatency({ latencyMs: 300, jitterMs: 100, slowRate: 0, slowMs: 0 }, random));
    expect(Math.min(...waits)).toBeGreaterThanOrEqual(300);
    expect(Math.max(...waits)).toBeLessThanOrEqual(400);
    expect(Math.min(...waits)).toBeLessThan(310);
    expect(Math.max(...waits)).toBeGreaterThan(390);
  });

  it("adds the slow tail to about slowRate of the answers", () => {
    const random = seededRandom(11);
    const waits = Array.from({ length: 4000 }, () => sampleLatency({ latencyMs: 100, jitterMs: 0, slowRate: 0.1, slowMs: 1000 }, random));
    const slow = waits.filter((w) => w === 1100).length;
    expect(waits.filter((w) => w !== 100 && w !== 1100)).toEqual([]);
    expect(slow).toBeGreaterThan(300);
    expect(slow).toBeLessThan(500);
    expect(sampleLatency({ latencyMs: 5, jitterMs: 0, slowRate: 1, slowMs: 50 }, random)).toBe(55);
  });

  it("replays the same waits from the same seed", () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const draw = (r: () => number) => Array.from({ length: 10 }, () => sampleLatency(DEFAULT_LATENCY, r));
    expect(draw(a)).toEqual(draw(b));
    expect(new Set(draw(seededRandom(43))).size).toBeGreaterThan(1);
    expect(sampleLatency(NO_LATENCY, Math.random)).toBe(0);
  });
});

describe("throttle settings", () => {
  it("takes an in-flight limit, a rate, both, and null for none", () => {
    expect(parseThrottle({ maxInFlightPerPage: 4 })).toEqual({ maxInFlightPerPage: 4 });
    expect(parseThrottle({ ratePerPage: { requests: 10, perMs: 1000 }, retryAfterS: 2 })).toEqual({
      ratePerPage: { requests: 10, perMs: 1000 },
      retryAfterS: 2,
    });
    expect(parseThrottle(null)).toBeNull();
  });

  it.each([
    [{}, /needs maxInFlightPerPage and\/or ratePerPage/],
    [{ retryAfterS: 1 }, /needs maxInFlightPerPage/],
    [{ maxInFlightPerPage: 0 }, /maxInFlightPerPage must be a positive integer/],
    [{ maxInFlightPerPage: 2.5 }, /maxInFlightPerPage/],
    [{ ratePerPage: { requests: 10 } }, /ratePerPage must be/],
    [{ ratePerPage: "10/s" }, /ratePerPage must be/],
    [{ maxInFlightPerPage: 1, retryAfterS: -1 }, /retryAfterS/],
    [{ maxInflight: 1 }, /unknown throttle field maxInflight/],
    [[1], /throttle must be/],
  ])("refuses %j", (input, message) => {
    expect(parseThrottle(input)).toMatch(message);
  });
});

describe("PageLimiter", () => {
  it("admits up to the in-flight limit per page, and again once one is released", () => {
    const limiter = new PageLimiter({ maxInFlightPerPage: 2 });
    const a = limiter.admit("1", 0);
    const b = limiter.admit("1", 0);
    expect(typeof a).toBe("function");
    expect(typeof b).toBe("function");
    expect(limiter.admit("1", 0)).toEqual({ retryAfterS: 1, msg: expect.stringMatching(/page 1 already has 2 requests in progress \(limit 2\)/) });
    expect(typeof limiter.admit("2", 0)).toBe("function");
    (a as () => void)();
    (a as () => void)();
    expect(typeof limiter.admit("1", 0)).toBe("function");
    expect(typeof limiter.admit("1", 0)).toBe("object");
  });

  it("admits `requests` per sliding window and says when a slot frees", () => {
    const limiter = new PageLimiter({ ratePerPage: { requests: 2, perMs: 10_000 } });
    for (const t of [0, 4_000]) (limiter.admit("9", t) as () => void)();
    expect(limiter.admit("9", 5_000)).toEqual({ retryAfterS: 5, msg: expect.stringMatching(/over its limit of 2 requests per 10000 ms/) });
    // A refused request takes no slot: the first slot frees at 10 s whatever was refused meanwhile.
    expect(limiter.admit("9", 9_999)).toMatchObject({ retryAfterS: 1 });
    expect(typeof limiter.admit("9", 10_000)).toBe("function");
    expect(limiter.admit("9", 10_001)).toMatchObject({ retryAfterS: 4 });
  });

  it("uses a set Retry-After, admits everything without a throttle, and a reset forgets the windows", () => {
    const limiter = new PageLimiter({ ratePerPage: { requests: 1, perMs: 60_000 }, retryAfterS: 7 });
    limiter.admit("1", 0);
    expect(limiter.admit("1", 1)).toMatchObject({ retryAfterS: 7 });
    limiter.reset();
    expect(typeof limiter.admit("1", 2)).toBe("function");
    limiter.configure(null);
    for (let i = 0; i < 100; i++) expect(typeof limiter.admit("1", 3)).toBe("function");
  });

  it("does not let a request admitted before a reset count off one admitted after it", () => {
    const limiter = new PageLimiter({ maxInFlightPerPage: 1 });
    const before = limiter.admit("1", 0) as () => void;
    limiter.reset();
    limiter.admit("1", 0);
    before();
    expect(typeof limiter.admit("1", 0)).toBe("object");
  });
});
