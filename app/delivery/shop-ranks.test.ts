import { describe, expect, it } from "vitest";
import { MAX_PRIORITY, ShopRanks } from "./shop-ranks";

describe("ShopRanks", () => {
  it("ranks a shop's jobs by its recent volume: a small shop's next job comes before a busy shop's", () => {
    const now = 0;
    const ranks = new ShopRanks(30_000, () => now);
    const busy = Array.from({ length: 500 }, () => ranks.next("big.myshopify.com"));
    expect(busy[0]).toBe(1);
    expect(busy[499]).toBe(500);
    expect(ranks.next("small.myshopify.com")).toBe(1);
    expect(ranks.next("small.myshopify.com")).toBe(2);
  });

  it("forgets with a half-life, and never goes past BullMQ's largest priority", () => {
    let now = 0;
    const ranks = new ShopRanks(1_000, () => now);
    for (let i = 0; i < 99; i++) ranks.next("a.myshopify.com");
    now += 1_000;
    expect(ranks.next("a.myshopify.com")).toBe(51);
    now += 60_000;
    expect(ranks.next("a.myshopify.com")).toBe(1);
    const flood = new ShopRanks(1e12, () => 0);
    let last = 0;
    for (let i = 0; i < MAX_PRIORITY + 10; i += 1) last = flood.next("b.myshopify.com");
    expect(last).toBe(MAX_PRIORITY);
  });
});
