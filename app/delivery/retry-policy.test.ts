import { describe, expect, it } from "vitest";
import { computeBackoffMs, planRetry, type RetryPolicy } from "./retry-policy";

/** The policy of the environment's defaults (DELIVERY_RETRY_BASE_MS, _CAP_MS, DELIVERY_MAX_RETRY_AGE_MS; env.server.test.ts). */
const DEFAULT_RETRY_POLICY: RetryPolicy = { baseMs: 30_000, capMs: 3_600_000, maxAgeMs: 86_400_000 };

const POLICY: RetryPolicy = { baseMs: 1_000, capMs: 60_000, maxAgeMs: 3_600_000 };
const top = () => 1 - Number.EPSILON;
const bottom = () => 0;
const middle = () => 0.5;

describe("computeBackoffMs", () => {
  it("doubles with each failed attempt, from the base", () => {
    expect([1, 2, 3, 4, 5].map((n) => computeBackoffMs(n, POLICY, top))).toEqual([1_000, 2_000, 4_000, 8_000, 16_000]);
  });

  it("is capped", () => {
    expect(computeBackoffMs(7, POLICY, top)).toBe(60_000);
    expect(computeBackoffMs(30, POLICY, top)).toBe(60_000);
    // A huge attempt count neither overflows nor exceeds the cap.
    expect(computeBackoffMs(10_000, POLICY, top)).toBe(60_000);
  });

  it("jitters between 50 % and 100 % of the ceiling", () => {
    expect(computeBackoffMs(3, POLICY, bottom)).toBe(2_000);
    expect(computeBackoffMs(3, POLICY, middle)).toBe(3_000);
    expect(computeBackoffMs(3, POLICY, top)).toBe(4_000);
    expect(computeBackoffMs(20, POLICY, bottom)).toBe(30_000);
    for (let i = 0; i < 1_000; i++) {
      const wait = computeBackoffMs(4, POLICY);
      expect(wait).toBeGreaterThanOrEqual(4_000);
      expect(wait).toBeLessThanOrEqual(8_000);
    }
  });

  it("treats 0 failed attempts like the first", () => {
    expect(computeBackoffMs(0, POLICY, top)).toBe(1_000);
  });
});

describe("planRetry", () => {
  const now = 1_800_000_000_000;

  it("schedules the next attempt after the backoff", () => {
    const decision = planRetry({ failedAttempts: 2, firstAttemptAt: now - 5_000, now, retryAfterMs: null, policy: POLICY, random: top });
    expect(decision).toEqual({ retry: true, dueAt: now + 2_000, delayMs: 2_000 });
  });

  it("never comes back sooner than Retry-After, even when the backoff is shorter", () => {
    for (const random of [bottom, middle, top]) {
      const decision = planRetry({ failedAttempts: 1, firstAttemptAt: now, now, retryAfterMs: 120_000, policy: POLICY, random });
      expect(decision.retry).toBe(true);
      if (!decision.retry) continue;
      expect(decision.delayMs).toBeGreaterThanOrEqual(120_000);
      // A little jitter on top, never more than 10 %.
      expect(decision.delayMs).toBeLessThanOrEqual(132_000);
      expect(decision.dueAt).toBe(now + decision.delayMs);
    }
  });

  it("takes Retry-After: 0 as 'now, with a little jitter'", () => {
    const decision = planRetry({ failedAttempts: 3, firstAttemptAt: now, now, retryAfterMs: 0, policy: POLICY, random: top });
    expect(decision).toEqual({ retry: true, dueAt: now, delayMs: 0 });
  });

  it("gives up when the next attempt would fall past the maximum age", () => {
    const firstAttemptAt = now - POLICY.maxAgeMs;
    const decision = planRetry({ failedAttempts: 12, firstAttemptAt, now, retryAfterMs: null, policy: POLICY, random: top });
    expect(decision.retry).toBe(false);
    if (decision.retry) return;
    expect(decision.reason).toBe("gave up after 12 attempts over 1.0 h");
  });

  it("gives up when Retry-After asks for longer than the age left", () => {
    const decision = planRetry({ failedAttempts: 1, firstAttemptAt: now, now, retryAfterMs: POLICY.maxAgeMs + 1, policy: POLICY, random: bottom });
    expect(decision.retry).toBe(false);
  });

  it("still retries right up to the maximum age", () => {
    const firstAttemptAt = now - POLICY.maxAgeMs + 60_000;
    const decision = planRetry({ failedAttempts: 12, firstAttemptAt, now, retryAfterMs: null, policy: POLICY, random: top });
    expect(decision).toEqual({ retry: true, dueAt: now + 60_000, delayMs: 60_000 });
  });

  it("over the default policy, tries about thirty times over some 23 hours and then gives up", () => {
    let t = now;
    let failed = 0;
    for (;;) {
      failed += 1;
      const decision = planRetry({ failedAttempts: failed, firstAttemptAt: now, now: t, retryAfterMs: null, policy: DEFAULT_RETRY_POLICY, random: top });
      if (!decision.retry) {
        expect(decision.reason).toMatch(/^gave up after \d+ attempts over 2\d\.\d h$/);
        break;
      }
      expect(decision.dueAt - now).toBeLessThanOrEqual(DEFAULT_RETRY_POLICY.maxAgeMs);
      t = decision.dueAt;
    }
    expect(failed).toBeGreaterThan(20);
    expect(failed).toBeLessThan(40);
  });
});
