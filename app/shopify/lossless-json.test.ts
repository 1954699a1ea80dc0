import { describe, expect, it } from "vitest";
import { buildOrderJson, CUSTOMER_ID, ORDER_ID, PRODUCT_ID } from "../../test/fixtures/orders";
import { readShopifyFixture, SHOPIFY_FIXTURE_TOPICS } from "../../test/fixtures/shopify-fixtures";
import { parseJsonLossless, parseJsonWithExactIds } from "./lossless-json";

describe("parseJsonLossless", () => {
  it("parses like JSON.parse when there is no long integer", () => {
    const text = '{"a":1,"b":[true,false,null],"c":"x","d":-2.5e3,"e":{"f":123456789012345}}';
    expect(parseJsonLossless(text)).toEqual(JSON.parse(text));
  });

  it("keeps integers of 16+ digits exact, as strings", () => {
    expect(parseJsonLossless('{"id":820982911946154508}')).toEqual({ id: "820982911946154508" });
    expect(parseJsonLossless("[9007199254740993, 1234567890123456]")).toEqual(["9007199254740993", "1234567890123456"]);
    expect(parseJsonLossless("-12345678901234567890")).toBe("-12345678901234567890");
  });

  it("leaves 15-digit integers as numbers", () => {
    expect(parseJsonLossless('{"id":999999999999999,"l":"1234567890123456"}')).toEqual({
      id: 999999999999999,
      l: "1234567890123456",
    });
  });

  it("handles whitespace around long integers in every value position", () => {
    const text = '{ "a" : 1234567890123456789 ,\n"b":[ 1234567890123456789\t]\r\n, "c": 1234567890123456789 }';
    expect(parseJsonLossless(text)).toEqual({
      a: "1234567890123456789",
      b: ["1234567890123456789"],
      c: "1234567890123456789",
    });
  });

  it("does not touch digits inside strings, including after escaped quotes and backslashes", () => {
    const text = String.raw`{"s":"x\"1234567890123456789\"","t":"\\","n":1234567890123456789,"u":"a\\\"12345678901234567"}`;
    expect(parseJsonLossless(text)).toEqual({
      s: 'x"1234567890123456789"',
      t: "\\",
      n: "1234567890123456789",
      u: 'a\\"12345678901234567',
    });
  });

  it("does not touch decimals or exponents", () => {
    const parsed = parseJsonLossless('{"a":1234567890123456789.5,"b":1234567890123456789e2,"c":0.12345678901234567,"d":1E+20,"e":12345678901234567E-3}');
    // Numbers as JSON.parse reads them (rounded: that is what decimals and exponents mean).
    expect(parsed).toEqual({
      a: Number("1234567890123456789.5"),
      b: Number("1234567890123456789e2"),
      c: Number("0.12345678901234567"),
      d: 1e20,
      e: Number("12345678901234567E-3"),
    });
  });

  it("keeps unicode, emoji and escapes in strings", () => {
    const text = '{"t":"שלום 😀 <b>x</b> \\u00e9 \'; DROP TABLE orders;--","id":12345678901234567890}';
    expect(parseJsonLossless(text)).toEqual({
      t: "שלום 😀 <b>x</b> é '; DROP TABLE orders;--",
      id: "12345678901234567890",
    });
  });

  it.each([
    ["empty text", ""],
    ["truncated object", '{"id":1234567890123456789'],
    ["long integer as a key", "{1234567890123456789: 1}"],
    ["leading zero", '{"id":01234567890123456789}'],
    ["trailing dot", '{"id":1234567890123456789.}'],
    ["dangling exponent", '{"id":1234567890123456789e}'],
    ["missing comma", '{"a":1234567890123456789 "b":1}'],
    ["unterminated string", '{"a":"1234567890123456789}'],
    ["trailing comma", '{"a":1234567890123456789,}'],
    ["single quotes", "{'a':1}"],
  ])("throws SyntaxError on malformed JSON (%s)", (_label, text) => {
    expect(() => parseJsonLossless(text)).toThrow(SyntaxError);
  });

  it("writes the builders' big ids exactly", () => {
    const parsed = parseJsonLossless(buildOrderJson()) as {
      id: string;
      customer: { id: string };
      line_items: { product_id: string | number | null }[];
    };
    expect(parsed.id).toBe(String(ORDER_ID));
    expect(parsed.customer.id).toBe(String(CUSTOMER_ID));
    expect(parsed.line_items.map((item) => item.product_id)).toEqual([String(PRODUCT_ID), 632910392, null]);
    // JSON.parse would have rounded the same text.
    expect(String((JSON.parse(buildOrderJson()) as { id: number }).id)).not.toBe(String(ORDER_ID));
  });

  it("is fast on a 15 KB body", () => {
    const text = buildOrderJson({}, 2).padEnd(15_000, " ");
    expect(text.length).toBeGreaterThanOrEqual(15_000);
    const rounds = 200;
    const started = performance.now();
    for (let i = 0; i < rounds; i++) parseJsonLossless(text);
    const perParseMs = (performance.now() - started) / rounds;
    expect(perParseMs).toBeLessThan(5);
  });

  it("survives an adversarial unterminated string quickly", () => {
    const text = `{"a":1234567890123456789,"b":"${"\\\\x".repeat(20_000)}`;
    const started = performance.now();
    expect(() => parseJsonLossless(text)).toThrow(SyntaxError);
    expect(performance.now() - started).toBeLessThan(500);
  });
});

describe("parseJsonLossless on the Shopify fixtures", () => {
  it.each(SHOPIFY_FIXTURE_TOPICS)("%s parses to what JSON.parse gives, long ids as exact strings", (topic) => {
    const text = readShopifyFixture(topic);
    const lossless = parseJsonLossless(text);
    const plain: unknown = JSON.parse(text);
    // Same structure; where the values differ, lossless holds the digits of the text.
    // A bare integer literal is a member's value or an array element.
    const longIds = [...text.matchAll(/[:[,]\s*(\d{16,})(?=\s*[,}\]])/g)].map((m) => m[1]);
    const normalized = JSON.parse(JSON.stringify(lossless), (_key, value: unknown) =>
      typeof value === "string" && longIds.includes(value) ? Number(value) : value,
    );
    expect(normalized).toEqual(plain);
  });

  it("keeps the order's ids with all their digits, where JSON.parse rounds them", () => {
    const text = readShopifyFixture("orders/create");
    const order = parseJsonLossless(text) as Record<string, unknown>;
    expect(order.id).toBe("5731908254617390113");
    expect(String((JSON.parse(text) as Record<string, unknown>).id)).not.toBe("5731908254617390113");
    expect((order.customer as Record<string, unknown>).id).toBe("7240518839102274561");
    // Money stays a string, short numbers stay numbers.
    expect(order.total_price).toBe("237.63");
    expect(order.total_weight).toBe(2430);
    expect(order.app_id).toBe(580111);
  });

  it("keeps the ids in the arrays of the compliance payloads", () => {
    const request = parseJsonLossless(readShopifyFixture("customers/data_request")) as Record<string, unknown>;
    expect(request.orders_requested).toEqual(["5731908254617390113"]);
    const redact = parseJsonLossless(readShopifyFixture("customers/redact")) as Record<string, unknown>;
    expect(redact.orders_to_redact).toEqual(["5731908254891146527"]);
  });
});

describe("parseJsonWithExactIds", () => {
  it("keeps every long id exact, as parseJsonLossless does", () => {
    const text = '{"id": 820982911946154508, "order_id":9007199254740993,"line_items":[{"product_id": 788032119674292922}],"n": 1.5}';
    expect(parseJsonWithExactIds(text)).toEqual(parseJsonLossless(text));
    expect(parseJsonWithExactIds(text)).toEqual({
      id: "820982911946154508",
      order_id: "9007199254740993",
      line_items: [{ product_id: "788032119674292922" }],
      n: 1.5,
    });
  });

  it("never rewrites digits inside a string, even one that looks like a member", () => {
    const text = '{"note": "a \\"id\\": 820982911946154508 b", "id": 12}';
    expect(parseJsonWithExactIds(text)).toEqual({ note: 'a "id": 820982911946154508 b', id: 12 });
  });

  it("leaves small ids as numbers and malformed JSON a SyntaxError", () => {
    expect(parseJsonWithExactIds('{"id": 123456789012345}')).toEqual({ id: 123456789012345 });
    expect(() => parseJsonWithExactIds('{"id": 820982911946154508')).toThrow(SyntaxError);
  });

  it("reads an order built with long ids exactly like the general parser", () => {
    const text = buildOrderJson({});
    expect(parseJsonWithExactIds(text)).toEqual(parseJsonLossless(text));
  });

  // The intake reads order and fulfillment bodies with it: every long integer of theirs is under an id key.
  it.each(["orders/create", "orders/paid", "orders/cancelled", "fulfillments/create", "fulfillments/update"] as const)(
    "reads the %s fixture exactly like the general parser",
    (topic) => {
      const text = readShopifyFixture(topic);
      expect(parseJsonWithExactIds(text)).toEqual(parseJsonLossless(text));
    },
  );
});
