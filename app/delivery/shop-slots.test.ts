import { describe, expect, it } from "vitest";
import { ShopSlots } from "./shop-slots";

describe("ShopSlots", () => {
  it("counts each shop's slots and says when one is full", () => {
    const slots = new ShopSlots(2);
    slots.take("a.myshopify.com");
    expect(slots.isFull("a.myshopify.com")).toBe(false);
    slots.take("a.myshopify.com");
    slots.take("b.myshopify.com");
    expect(slots.isFull("a.myshopify.com")).toBe(true);
    expect(slots.isFull("b.myshopify.com")).toBe(false);
    expect(slots.anyFull()).toBe(true);
    expect([...slots.counts]).toEqual([
      ["a.myshopify.com", 2],
      ["b.myshopify.com", 1],
    ]);
    slots.release("a.myshopify.com");
    slots.release("b.myshopify.com");
    expect(slots.anyFull()).toBe(false);
    expect([...slots.counts]).toEqual([["a.myshopify.com", 1]]);
  });

  it("has no limit without perShop", () => {
    const slots = new ShopSlots();
    for (let i = 0; i < 100; i++) slots.take("a.myshopify.com");
    expect(slots.isFull("a.myshopify.com")).toBe(false);
    expect(slots.anyFull()).toBe(false);
  });
});
