import { describe, expect, it } from "vitest";
import { LookupCounts } from "./lookup-limits.server";

// The rate limits' counts: the log is read at most once a second per key, and counted on in memory in between.

function countingReader(value: () => number) {
  const reader = {
    reads: 0,
    read: async () => {
      reader.reads += 1;
      await new Promise((r) => setTimeout(r, 5));
      return value();
    },
  };
  return reader;
}

describe("LookupCounts", () => {
  it("reads the log once per interval and counts on in memory up to the limit", async () => {
    const counts = new LookupCounts(1_000);
    const log = countingReader(() => 2);
    const admitted = [];
    for (let i = 0; i < 5; i++) admitted.push(await counts.admit("shop:a", 4, 10_000 + i, log.read));
    // 2 in the log, 2 more places.
    expect(admitted.map((a) => a !== null)).toEqual([true, true, false, false, false]);
    expect(log.reads).toBe(1);
    // A second on, the log is read again: it now holds the two (committed), and nothing more is let through.
    admitted.forEach((a) => a?.logged());
    const later = countingReader(() => 4);
    expect(await counts.admit("shop:a", 4, 11_000, later.read)).toBeNull();
    expect(later.reads).toBe(1);
  });

  it("never lets two concurrent lookups take the last place, also while the log is being read", async () => {
    const counts = new LookupCounts(1_000);
    const log = countingReader(() => 0);
    const results = await Promise.all(Array.from({ length: 50 }, () => counts.admit("identifier:a:h", 10, 5_000, log.read)));
    expect(results.filter((r) => r !== null)).toHaveLength(10);
    // One read served all fifty.
    expect(log.reads).toBe(1);
  });

  it("a withdrawn lookup frees its place; one whose row is not committed yet still counts after a read", async () => {
    const counts = new LookupCounts(1_000);
    const first = await counts.admit("k", 2, 0, async () => 0);
    const second = await counts.admit("k", 2, 1, async () => 0);
    expect(await counts.admit("k", 2, 2, async () => 0)).toBeNull();
    second?.withdraw();
    const third = await counts.admit("k", 2, 3, async () => 0);
    expect(third).not.toBeNull();
    // A read that cannot see the two unlogged rows yet: they count on top of what it found.
    expect(await counts.admit("k", 2, 2_000, async () => 0)).toBeNull();
    first?.logged();
    third?.logged();
    // Settling twice changes nothing.
    third?.withdraw();
    expect(await counts.admit("k", 2, 4_000, async () => 2)).toBeNull();
    expect(await counts.admit("k", 2, 6_000, async () => 1)).not.toBeNull();
  });

  it("keys are separate, and a key forgotten for room is read from the log again", async () => {
    const counts = new LookupCounts(1_000, 10);
    expect(await counts.admit("a", 1, 0, async () => 0)).not.toBeNull();
    expect(await counts.admit("b", 1, 0, async () => 0)).not.toBeNull();
    expect(await counts.admit("a", 1, 1, async () => 0)).toBeNull();
    for (let i = 0; i < 20; i++) await counts.admit(`other-${i}`, 1, 2, async () => 0);
    const log = countingReader(() => 1);
    expect(await counts.admit("a", 1, 3, log.read)).toBeNull();
    expect(log.reads).toBe(1);
  });

  it("a failed read fails the lookup and is tried again by the next", async () => {
    const counts = new LookupCounts(1_000);
    await expect(
      counts.admit("k", 5, 0, async () => {
        throw new Error("database is locked");
      }),
    ).rejects.toThrow("database is locked");
    expect(await counts.admit("k", 5, 1, async () => 0)).not.toBeNull();
  });
});
