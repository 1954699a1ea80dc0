import { describe, expect, it } from "vitest";
import { backoffMs, CostBuckets, retryAfterMs, waitForPointsMs } from "./throttle";

describe("the Admin API's pacing", () => {
  it("waits for the points a query is short of, at the bucket's restore rate", () => {
    expect(waitForPointsMs(50, { maximumAvailable: 2000, currentlyAvailable: 60, restoreRate: 100 })).toBe(0);
    expect(waitForPointsMs(50, { maximumAvailable: 2000, currentlyAvailable: 10, restoreRate: 100 })).toBe(400);
    // More than the bucket ever holds: no wait is long enough.
    expect(waitForPointsMs(3000, { maximumAvailable: 2000, currentlyAvailable: 10, restoreRate: 100 })).toBe(Infinity);
  });

  it("backs off exponentially with jitter, capped", () => {
    expect(backoffMs(1, () => 0)).toBe(50);
    expect(backoffMs(1, () => 1)).toBe(100);
    expect(backoffMs(3, () => 1)).toBe(400);
    expect(backoffMs(20, () => 1)).toBe(2000);
  });

  it("reads Retry-After as seconds or a date", () => {
    expect(retryAfterMs("2.0", 0)).toBe(2000);
    expect(retryAfterMs("0.25", 0)).toBe(250);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(retryAfterMs(null, 0)).toBeNull();
    expect(retryAfterMs("soon", 0)).toBeNull();
  });

  it("counts what it sends against the last status it saw, refilled since", () => {
    const buckets = new CostBuckets();
    expect(buckets.reserve("s", "Q", 0)).toBe(0); // nothing known yet: send
    buckets.record("s", "Q", { maximumAvailable: 100, currentlyAvailable: 25, restoreRate: 10 }, 20, 0);
    expect(buckets.reserve("s", "Q", 0)).toBe(0); // 25 → 5
    expect(buckets.reserve("s", "Q", 0)).toBe(1500); // 15 short at 10 a second
    expect(buckets.reserve("s", "Q", 1500)).toBe(0);
    expect(buckets.estimate("s", 100_000)).toEqual({ maximumAvailable: 100, currentlyAvailable: 100, restoreRate: 10 });
    // Another shop's bucket is another bucket.
    expect(buckets.reserve("other", "Q", 0)).toBe(0);
  });
});
