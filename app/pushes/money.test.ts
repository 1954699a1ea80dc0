import { describe, expect, it } from "vitest";
import { parseMoney, presentmentAmount, sumMoney, toCents } from "./money";

describe("parseMoney", () => {
  it.each([
    ["404.95", 404.95],
    ["0.00", 0],
    ["12000", 12000],
    ["12000.5", 12000.5],
    ["1.005", 1.01],
    ["1.004", 1],
    ["2.675", 2.68],
    ["1.115", 1.12],
    ["0.125", 0.13],
    ["-1.005", -1.01],
    ["-0.004", 0],
    ["+3.10", 3.1],
    [" 7.25 ", 7.25],
    [".5", 0.5],
    ["5.", 5],
    ["1e2", 100],
    ["1.2345e2", 123.45],
    ["1e-3", 0],
    ["1234567.891", 1234567.89],
  ])("%j -> %d", (input, expected) => {
    expect(parseMoney(input)).toBe(expected);
  });

  it.each([
    [404.95, 404.95],
    [1.005, 1.01],
    [0.1 + 0.2, 0.3],
    [12000, 12000],
    [-2.5, -2.5],
    [1e12, 1e12],
    [1.5e3, 1500],
  ])("number %d -> %d", (input, expected) => {
    expect(parseMoney(input)).toBe(expected);
  });

  it.each([null, undefined, "", "   ", "abc", "1,234.56", "$5", "1.2.3", "-", ".", "e5", "1e999", Number.NaN, Infinity])("%j -> 0", (input) => {
    expect(parseMoney(input)).toBe(0);
  });

  it("never returns negative zero", () => {
    expect(Object.is(parseMoney("-0.00"), 0)).toBe(true);
  });
});

describe("toCents", () => {
  it("is exact integer cents", () => {
    expect(toCents("404.95")).toBe(40495);
    expect(toCents("0.07")).toBe(7);
    expect(toCents(0.07)).toBe(7);
    expect(toCents("19.999")).toBe(2000);
  });
});

describe("sumMoney", () => {
  it("adds without floating point drift", () => {
    expect(sumMoney("0.1", "0.2")).toBe(0.3);
    expect(sumMoney(0.1, 0.2)).toBe(0.3);
    expect(sumMoney("89.99", "19.99", "24.99", "159.99", "119.99")).toBe(414.95);
    expect(sumMoney(...Array.from({ length: 10 }, () => "0.10"))).toBe(1);
  });

  it("treats missing values as 0", () => {
    expect(sumMoney()).toBe(0);
    expect(sumMoney(null, undefined, "", "5.00")).toBe(5);
  });

  it("handles negatives", () => {
    expect(sumMoney("10.00", "-2.50")).toBe(7.5);
  });
});

describe("presentmentAmount", () => {
  const set = {
    shop_money: { amount: "10.00", currency_code: "USD" },
    presentment_money: { amount: "9.22", currency_code: "EUR" },
  };

  it("prefers the presentment amount of the set", () => {
    expect(presentmentAmount(set, "10.00")).toBe(9.22);
  });

  it("falls back to the plain field without presentment money", () => {
    expect(presentmentAmount({ shop_money: set.shop_money }, "10.00")).toBe(10);
    expect(presentmentAmount({ shop_money: set.shop_money, presentment_money: null }, "10.00")).toBe(10);
    expect(presentmentAmount(null, "3.333")).toBe(3.33);
    expect(presentmentAmount(undefined, undefined)).toBe(0);
  });

  it("uses a zero presentment amount rather than the plain field", () => {
    expect(presentmentAmount({ presentment_money: { amount: "0.00" } }, "10.00")).toBe(0);
  });

  it("accepts numeric amounts", () => {
    expect(presentmentAmount({ presentment_money: { amount: 1.005 } }, null)).toBe(1.01);
  });
});
