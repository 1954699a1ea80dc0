import { describe, expect, it } from "vitest";
import {
  buildAddress,
  buildDefaultLineItems,
  buildDiscountAllocation,
  buildLineItem,
  buildManyLineItems,
  buildMoneySet,
  buildOrder,
  PRODUCT_GID,
} from "../../test/fixtures/orders";
import { readShopifyFixture } from "../../test/fixtures/shopify-fixtures";
import { parseJsonLossless } from "~/shopify/lossless-json";
import { OrderPayloadSchema } from "~/shopify/payloads";
import { planReceiptParams, readablePaymentMethod, receiptAddressOf, receiptCurrencyOf } from "./receipt-params";
import type { ReceiptParams } from "./types";

function receipt(overrides: Record<string, unknown> = {}, topic: "Order/Receipt" | "Order/Unpaid" = "Order/Receipt") {
  return planReceiptParams(buildOrder(overrides), topic).params;
}

/** Money sets in one currency, for orders paid in the shop currency. */
function usd(amount: string) {
  return buildMoneySet(amount, amount, "USD", "USD");
}

function hasAtMostTwoDecimals(n: number): boolean {
  return Number.isFinite(n) && Math.abs(Math.round(n * 100) - n * 100) < 1e-6;
}

/** Messenger's receipt rules, which must hold whatever the payload. */
function expectMessengerValid(params: ReceiptParams): void {
  expect(params.recipient_name.trim()).not.toBe("");
  expect(params.order_number.trim()).not.toBe("");
  expect(params.currency).toMatch(/^[A-Z]{3}$/);
  expect(params.payment_method.trim()).not.toBe("");
  expect(Number.isInteger(params.timestamp)).toBe(true);
  expect(params.elements.length).toBeLessThanOrEqual(100);
  for (const value of Object.values(params.summary)) expect(hasAtMostTwoDecimals(value)).toBe(true);
  for (const adjustment of params.adjustments) {
    expect(adjustment.amount).toBeGreaterThan(0);
    expect(hasAtMostTwoDecimals(adjustment.amount)).toBe(true);
  }
  for (const element of params.elements) {
    expect(element.title.trim()).not.toBe("");
    expect(hasAtMostTwoDecimals(element.price)).toBe(true);
    expect(Number.isInteger(element.quantity) && element.quantity >= 0).toBe(true);
    expect(element.currency).toBe(params.currency);
    expect(element).not.toHaveProperty("image_url");
  }
  if ("address" in params) {
    const a = params.address!;
    for (const key of ["street_1", "city", "postal_code", "state"] as const) expect(a[key]).not.toBe("");
    expect(a.country).toMatch(/^[A-Z]{2}$/);
  }
  if ("order_url" in params) expect(params.order_url).not.toBe("");
}

describe("planReceiptParams on the default order (shop USD, buyer EUR)", () => {
  it("maps every field in the buyer's currency", () => {
    const planned = planReceiptParams(buildOrder(), "Order/Receipt");
    expect(planned.params).toEqual({
      recipient_name: "Steve Shipper",
      order_number: "#1001",
      currency: "EUR",
      payment_method: "Shopify Payments",
      order_url: "https://example-shop.myshopify.com/548380009/orders/123456abcd/authenticate?key=abcdefg",
      timestamp: Date.parse("2026-04-14T14:15:30Z") / 1000,
      address: {
        street_1: "123 Shipping Street",
        street_2: "",
        city: "Shippington",
        postal_code: "40003",
        state: "KY",
        country: "US",
      },
      summary: { subtotal: 344.78, shipping_cost: 9.22, total_tax: 27.58, total_cost: 381.58 },
      adjustments: [{ name: "WELCOME10", amount: 37.8 }],
      elements: [
        { title: "Aviator sunglasses", subtitle: "Gold / Large", quantity: 1, price: 82.99, currency: "EUR" },
        { title: "Mid-century lounger", quantity: 2, price: 147.49, currency: "EUR" },
        { title: "Gift wrap", quantity: 1, price: 4.61, currency: "EUR" },
      ],
    });
    expect(planned.productGids).toEqual([PRODUCT_GID, "gid://shopify/Product/632910392", null]);
    expectMessengerValid(planned.params);
  });

  it("gives the same params for Order/Unpaid, except a missing payment method", () => {
    expect(receipt({}, "Order/Unpaid")).toEqual(receipt({}, "Order/Receipt"));
    expect(receipt({ payment_gateway_names: [] }, "Order/Unpaid").payment_method).toBe("Awaiting payment");
  });
});

describe("currency", () => {
  const withoutPresentmentCurrency = { presentment_currency: undefined };
  it.each([
    ["presentment_currency", {}, "EUR"],
    ["lower-case presentment_currency", { presentment_currency: " eur " }, "EUR"],
    ["the total's presentment currency", withoutPresentmentCurrency, "EUR"],
    ["an unreadable presentment_currency skipped", { presentment_currency: "euro" }, "EUR"],
    ["the shop currency", { presentment_currency: null, total_price_set: { shop_money: { amount: "1", currency_code: "CAD" } }, currency: "GBP" }, "GBP"],
    [
      "the total's shop currency",
      { presentment_currency: null, currency: null, total_price_set: { shop_money: { amount: "1", currency_code: "CAD" } } },
      "CAD",
    ],
    ["USD as a last resort", { presentment_currency: null, currency: null, total_price_set: null }, "USD"],
  ])("from %s", (_label, overrides, currency) => {
    const params = receipt(overrides);
    expect(params.currency).toBe(currency);
    expect(params.elements.every((element) => element.currency === currency)).toBe(true);
  });

  it("is exported for the planner's logs", () => {
    expect(receiptCurrencyOf(buildOrder({ presentment_currency: "JPY" }))).toBe("JPY");
  });
});

describe("money", () => {
  it("uses the plain fields when the sets are absent", () => {
    const params = receipt({
      subtotal_price_set: undefined,
      total_tax_set: null,
      total_price_set: undefined,
      total_shipping_price_set: undefined,
      presentment_currency: "USD",
      line_items: [buildLineItem({ price_set: undefined, price: "89.99" })],
    });
    expect(params.summary).toEqual({ subtotal: 373.97, shipping_cost: 9.22, total_tax: 29.92, total_cost: 413.89 });
    expect(params.elements[0].price).toBe(89.99);
  });

  it("reads the same currency from shop and presentment money", () => {
    const params = receipt({
      presentment_currency: "USD",
      subtotal_price_set: usd("404.95"),
      total_price_set: usd("404.95"),
    });
    expect(params.currency).toBe("USD");
    expect(params.summary.total_cost).toBe(404.95);
  });

  it("rounds amounts to 2 decimals, half up", () => {
    const params = receipt({
      total_price_set: buildMoneySet("1.005", "1.005"),
      line_items: [buildLineItem({ price_set: buildMoneySet("2.675", "2.675") })],
    });
    expect(params.summary.total_cost).toBe(1.01);
    expect(params.elements[0].price).toBe(2.68);
  });

  it("treats unreadable amounts as 0 rather than refusing the receipt", () => {
    expect(receipt({ total_tax: "n/a", total_tax_set: undefined }).summary.total_tax).toBe(0);
  });

  describe("shipping_cost", () => {
    const lines = [
      { price: "5.00", price_set: buildMoneySet("5.00", "4.61"), discount_allocations: [] },
      { price: "2.10", price_set: buildMoneySet("2.10", "1.94"), discount_allocations: [] },
    ];
    it("comes from total_shipping_price_set", () => {
      expect(receipt({ shipping_lines: lines }).summary.shipping_cost).toBe(9.22);
    });
    it("else sums the shipping lines in the buyer's currency", () => {
      expect(receipt({ total_shipping_price_set: undefined, shipping_lines: lines }).summary.shipping_cost).toBe(6.55);
      const plainLines = [{ price: "0.10" }, { price: "0.20" }];
      expect(receipt({ total_shipping_price_set: null, shipping_lines: plainLines }).summary.shipping_cost).toBe(0.3);
    });
    it("else takes the shop amount of the set, else 0", () => {
      const shopOnly = { shop_money: { amount: "10.00", currency_code: "USD" } };
      expect(receipt({ total_shipping_price_set: shopOnly, shipping_lines: [] }).summary.shipping_cost).toBe(10);
      expect(receipt({ total_shipping_price_set: undefined, shipping_lines: undefined }).summary.shipping_cost).toBe(0);
    });
  });
});

describe("order_number, timestamp and order_url", () => {
  it("takes the order name, trimmed", () => {
    expect(receipt({ name: "  #A-1001 ✨ " }).order_number).toBe("#A-1001 ✨");
  });

  it("is integer Unix seconds", () => {
    expect(receipt({ created_at: "2021-12-31T19:00:00.999-05:00" }).timestamp).toBe(1640995200);
    expect(receipt({ created_at: "1969-12-31T23:59:59.500Z" }).timestamp).toBe(-1);
  });

  it("leaves order_url out when there is no status page", () => {
    expect(receipt({ order_status_url: undefined })).not.toHaveProperty("order_url");
    expect(receipt({ order_status_url: null })).not.toHaveProperty("order_url");
    expect(receipt({ order_status_url: "  " })).not.toHaveProperty("order_url");
  });
});

describe("readablePaymentMethod", () => {
  it.each([
    [["shopify_payments"], "Shopify Payments"],
    [["paypal"], "PayPal"],
    [["manual"], "Manual"],
    [["bogus"], "Bogus"],
    [["cash_on_delivery"], "Cash on Delivery"],
    [["gift_card"], "Gift card"],
    [["shop_cash"], "Shop Cash"],
    [["visa", "bogus"], "Visa, Bogus"],
    [["bank_deposit"], "Bank Deposit"],
    [["money-order"], "Money Order"],
    [["Cash on Delivery (COD)"], "Cash on Delivery (COD)"],
    [["Bank Transfer"], "Bank Transfer"],
    [["iDEAL"], "iDEAL"],
    [["pay later"], "pay later"],
    [["gift_card", "shopify_payments"], "Gift card, Shopify Payments"],
    [["paypal", " paypal ", "PayPal"], "PayPal"],
    [["", "  ", "manual"], "Manual"],
    [["SHOPIFY_PAYMENTS"], "Shopify Payments"],
    [["_"], "Paid"],
  ])("%j -> %s", (names, readable) => {
    expect(readablePaymentMethod(names, "Order/Receipt")).toBe(readable);
  });

  it.each([[[]], [["", " "]], [null], [undefined]])("is never empty (%j)", (names) => {
    expect(readablePaymentMethod(names, "Order/Receipt")).toBe("Paid");
    expect(readablePaymentMethod(names, "Order/Unpaid")).toBe("Awaiting payment");
  });

  it("is used by the receipt", () => {
    expect(receipt({ payment_gateway_names: ["gift_card", "paypal"] }).payment_method).toBe("Gift card, PayPal");
    expect(receipt({ payment_gateway_names: undefined }).payment_method).toBe("Paid");
    expect(receipt({ payment_gateway_names: null }, "Order/Unpaid").payment_method).toBe("Awaiting payment");
  });
});

describe("recipient_name", () => {
  it("falls back to the billing address, the customer, then 'Customer'", () => {
    expect(receipt({ shipping_address: null }).recipient_name).toBe("Jon Smith");
    expect(receipt({ shipping_address: null, billing_address: null }).recipient_name).toBe("Jon Smith");
    expect(receipt({ shipping_address: null, billing_address: null, customer: null }).recipient_name).toBe("Customer");
  });
});

describe("address", () => {
  it("is left out without a shipping address, even with a billing one", () => {
    const params = receipt({ shipping_address: null });
    expect(params).not.toHaveProperty("address");
    expect(receipt({ shipping_address: undefined })).not.toHaveProperty("address");
    expectMessengerValid(params);
  });

  it.each([
    ["address1", { address1: null }],
    ["address1 (blank)", { address1: "   " }],
    ["city", { city: "" }],
    ["zip", { zip: null }],
    ["province and province_code", { province: null, province_code: null }],
    ["country_code", { country_code: null }],
    ["a two-letter country_code (alpha-3 given)", { country_code: "USA" }],
    ["a two-letter country_code (a name given)", { country_code: "United States" }],
  ])("is left out when %s is missing", (_label, overrides) => {
    const params = receipt({ shipping_address: buildAddress(overrides) });
    expect(params).not.toHaveProperty("address");
    expectMessengerValid(params);
  });

  it("falls back to the province name, and upper-cases the country", () => {
    const address = receiptAddressOf(buildAddress({ province_code: " ", province: " Kentucky ", country_code: "us" }));
    expect(address).toMatchObject({ state: "Kentucky", country: "US" });
  });

  it("keeps street_2 when given, trimmed, and sends '' otherwise", () => {
    expect(receipt({ shipping_address: buildAddress({ address2: " Apt 4 " }) }).address?.street_2).toBe("Apt 4");
    expect(receipt({ shipping_address: buildAddress({ address2: undefined }) }).address?.street_2).toBe("");
  });

  it("trims every part and keeps non-Latin text", () => {
    const address = receiptAddressOf(
      buildAddress({
        address1: " שדרות רוטשילד 1 ",
        city: " תל אביב ",
        zip: " 6688101 ",
        province: null,
        province_code: " TA ",
        country_code: " il ",
      }),
    );
    expect(address).toEqual({
      street_1: "שדרות רוטשילד 1",
      street_2: "",
      city: "תל אביב",
      postal_code: "6688101",
      state: "TA",
      country: "IL",
    });
  });
});

describe("adjustments", () => {
  const applications = [
    { type: "discount_code", code: "SPRING", title: null, target_type: "line_item" },
    { type: "automatic", title: "Buy 2 save 5", target_type: "line_item" },
    { type: "manual", description: "Loyalty", target_type: "shipping_line" },
    { type: "script", target_type: "line_item" },
  ];

  it("sums the allocations of each discount, from line items and shipping lines, in the buyer's currency", () => {
    const params = receipt({
      discount_applications: applications,
      line_items: [
        buildLineItem({
          discount_allocations: [buildDiscountAllocation("9.00", "8.30", 0), buildDiscountAllocation("5.00", "4.61", 1)],
        }),
        buildLineItem({
          discount_allocations: [buildDiscountAllocation("1.00", "0.92", 0), buildDiscountAllocation("0.10", "0.09", 3)],
        }),
      ],
      shipping_lines: [{ price: "10.00", price_set: buildMoneySet("10.00", "9.22"), discount_allocations: [buildDiscountAllocation("10.00", "9.22", 2)] }],
    });
    expect(params.adjustments).toEqual([
      { name: "SPRING", amount: 9.22 },
      { name: "Buy 2 save 5", amount: 4.61 },
      { name: "Loyalty", amount: 9.22 },
      { name: "Discount", amount: 0.09 },
    ]);
  });

  it("drops discounts that took nothing, and allocations of unknown discounts", () => {
    const params = receipt({
      discount_applications: applications.slice(0, 2),
      line_items: [
        buildLineItem({
          discount_allocations: [
            buildDiscountAllocation("0.00", "0.00", 0),
            buildDiscountAllocation("5.00", "4.61", 1),
            buildDiscountAllocation("7.00", "6.45", 7),
            { amount: "1.00", amount_set: null, discount_application_index: null },
          ],
        }),
      ],
    });
    expect(params.adjustments).toEqual([{ name: "Buy 2 save 5", amount: 4.61 }]);
  });

  it("uses the plain allocation amount when there is no amount_set", () => {
    const params = receipt({
      line_items: [buildLineItem({ discount_allocations: [{ amount: "3.50", discount_application_index: 0 }] })],
    });
    expect(params.adjustments).toEqual([{ name: "WELCOME10", amount: 3.5 }]);
  });

  it("makes amounts positive", () => {
    const params = receipt({
      line_items: [buildLineItem({ discount_allocations: [buildDiscountAllocation("-3.00", "-2.77", 0)] })],
    });
    expect(params.adjustments).toEqual([{ name: "WELCOME10", amount: 2.77 }]);
  });

  it("falls back to discount_codes when the buyer paid in the shop currency", () => {
    const params = receipt({
      presentment_currency: "USD",
      discount_applications: [],
      discount_codes: [
        { code: "TAKE5", amount: "5.00", type: "fixed_amount" },
        { code: " ", amount: "2.00", type: "fixed_amount" },
        { code: "NOTHING", amount: "0.00", type: "fixed_amount" },
      ],
    });
    expect(params.adjustments).toEqual([
      { name: "TAKE5", amount: 5 },
      { name: "Discount", amount: 2 },
    ]);
  });

  it("does not use discount_codes (shop currency) for a buyer paying in another currency", () => {
    const params = receipt({ discount_applications: [] });
    expect(params.currency).toBe("EUR");
    expect(params.adjustments).toEqual([{ name: "Discount", amount: 37.8 }]);
  });

  it("falls back to total_discounts, else no adjustment", () => {
    const noDetails = { discount_applications: [], discount_codes: [] };
    expect(receipt(noDetails).adjustments).toEqual([{ name: "Discount", amount: 37.8 }]);
    expect(receipt({ ...noDetails, total_discounts_set: undefined, total_discounts: "41.00" }).adjustments).toEqual([{ name: "Discount", amount: 41 }]);
    expect(receipt({ ...noDetails, total_discounts_set: buildMoneySet("0.00", "0.00") }).adjustments).toEqual([]);
    expect(receipt({ ...noDetails, total_discounts_set: undefined, total_discounts: undefined }).adjustments).toEqual([]);
  });
});

describe("elements", () => {
  it("keeps the first 100 of 150 line items, with their product gids", () => {
    const planned = planReceiptParams(buildOrder({ line_items: buildManyLineItems(150) }), "Order/Receipt");
    expect(planned.params.elements).toHaveLength(100);
    expect(planned.productGids).toHaveLength(100);
    expect(planned.params.elements[99]).toEqual({ title: "Item 100", quantity: 1, price: 0.92, currency: "EUR" });
    expect(planned.productGids[99]).toBe("gid://shopify/Product/700000000000000099");
    expectMessengerValid(planned.params);
  });

  it("has no elements for an order without line items", () => {
    const planned = planReceiptParams(buildOrder({ line_items: undefined }), "Order/Receipt");
    expect(planned.params.elements).toEqual([]);
    expect(planned.productGids).toEqual([]);
  });

  it.each([
    [{ title: " Lamp " }, "Lamp"],
    [{ title: null, name: "Lamp - Blue" }, "Lamp - Blue"],
    [{ title: " ", name: " " }, "Item"],
    [{ title: undefined, name: undefined }, "Item"],
  ])("titles %j as %s", (overrides, title) => {
    expect(receipt({ line_items: [buildLineItem(overrides)] }).elements[0].title).toBe(title);
  });

  it.each([null, "", "  ", undefined])("has no subtitle for variant_title %j", (variantTitle) => {
    expect(receipt({ line_items: [buildLineItem({ variant_title: variantTitle })] }).elements[0]).not.toHaveProperty("subtitle");
  });

  it.each([
    [undefined, 1],
    [null, 1],
    [0, 0],
    [3, 3],
    [2.7, 2],
    [-1, 0],
  ])("takes quantity %j as %d", (quantity, expected) => {
    expect(receipt({ line_items: [buildLineItem({ quantity })] }).elements[0].quantity).toBe(expected);
  });

  it("prices each unit in the buyer's currency, else the plain price", () => {
    const params = receipt({
      line_items: [
        buildLineItem({ price: "10.00", price_set: buildMoneySet("10.00", "9.22") }),
        buildLineItem({ price: "10.00", price_set: undefined }),
        buildLineItem({ price: undefined, price_set: undefined }),
      ],
    });
    expect(params.elements.map((element) => element.price)).toEqual([9.22, 10, 0]);
  });

  it("gives a null product gid for a missing or rounded product id", () => {
    const order = OrderPayloadSchema.parse({
      ...buildOrder(),
      line_items: [{ product_id: null }, { product_id: 788032119674292900 }, { product_id: 632910392 }, {}],
    });
    expect(planReceiptParams(order, "Order/Receipt").productGids).toEqual([null, null, "gid://shopify/Product/632910392", null]);
  });
});

describe("strings are data", () => {
  const samples = ["Zoë's 🎁 Geschenk", "נעלי ריצה", "حذاء رياضي", "<img src=x onerror=alert(1)>", "'; DROP TABLE orders; --", 'Line\nbreak "quoted" \\ back'];

  it.each(samples)("keeps %j unchanged through the mapping and JSON", (sample) => {
    const params = receipt({
      name: `#1001 ${sample}`,
      line_items: [buildLineItem({ title: sample, variant_title: sample })],
      shipping_address: buildAddress({ name: sample, city: sample, address1: sample }),
      discount_applications: [{ type: "discount_code", code: sample }],
    });
    expect(params.order_number).toBe(`#1001 ${sample}`);
    expect(params.elements[0]).toMatchObject({ title: sample, subtitle: sample });
    expect(params.recipient_name).toBe(sample);
    expect(params.address).toMatchObject({ city: sample, street_1: sample });
    expect(params.adjustments[0].name).toBe(sample);
    expect(JSON.parse(JSON.stringify(params))).toEqual(params);
  });
});

describe("Messenger's rules hold across payload variations", () => {
  const variations: Record<string, unknown>[] = [
    {},
    { presentment_currency: "USD", total_price_set: usd("413.89") },
    { payment_gateway_names: [] },
    { shipping_address: null, billing_address: null, customer: null },
    { line_items: [] },
    { line_items: buildManyLineItems(101) },
    { line_items: [{}] },
    { discount_applications: [], discount_codes: [], total_discounts_set: null, total_discounts: null },
    {
      subtotal_price: null,
      subtotal_price_set: null,
      total_price: null,
      total_price_set: null,
      total_tax: null,
      total_tax_set: null,
      total_shipping_price_set: null,
      shipping_lines: null,
    },
    { shipping_address: buildAddress({ country_code: "gb", province_code: null, province: "England" }) },
    { currency: "JPY", presentment_currency: "JPY", total_price_set: buildMoneySet("12000", "12000", "JPY", "JPY") },
    { line_items: buildDefaultLineItems().map((item) => ({ ...item, price_set: null, price: "33.333" })) },
  ];

  it.each(variations.map((v, i) => [i, v] as const))("variation %i", (_i, overrides) => {
    for (const topic of ["Order/Receipt", "Order/Unpaid"] as const) {
      expectMessengerValid(planReceiptParams(buildOrder(overrides), topic).params);
    }
  });
});

describe("planReceiptParams on the Shopify fixtures", () => {
  const read = (topic: "orders/create" | "orders/paid" | "orders/cancelled") => OrderPayloadSchema.parse(parseJsonLossless(readShopifyFixture(topic)));

  it.each(["orders/create", "orders/paid"] as const)("%s: the buyer's USD, not the shop's CAD", (topic) => {
    const planned = planReceiptParams(read(topic), "Order/Receipt");
    expect(planned.params).toEqual({
      recipient_name: "Amara Okafor",
      order_number: "#2087",
      currency: "USD",
      payment_method: "Shopify Payments",
      order_url: "https://harbour-and-kiln.myshopify.com/61847302951/orders/b5c2e8d41f7a4c93a0e6d9f28b1c7e54/authenticate?key=3f9a1d7c2b8e4f6051a7",
      timestamp: Date.parse("2026-05-14T12:42:17Z") / 1000,
      // The shipping address (its address2 is null), not the billing one.
      address: { street_1: "2417 NW Market Street", street_2: "", city: "Seattle", postal_code: "98107", state: "WA", country: "US" },
      summary: { subtotal: 140.17, shipping_cost: 17.5, total_tax: 15.86, total_cost: 173.53 },
      // TIDEPOOL10 as the allocations of its discount application add up in USD (5.55 + 7.01 + 2.12).
      adjustments: [{ name: "TIDEPOOL10", amount: 14.68 }],
      elements: [
        { title: "Tidepool Stoneware Mug", subtitle: "Sea Glass / 12 oz", quantity: 2, price: 27.75, currency: "USD" },
        { title: "Kiln-Fired Serving Bowl", quantity: 1, price: 70.1, currency: "USD" },
        { title: "Linen Tea Towel Set", subtitle: "Natural", quantity: 1, price: 21.2, currency: "USD" },
        { title: "Breakage Protection", quantity: 1, price: 4.4, currency: "USD" },
        { title: "Gift Wrapping", quantity: 1, price: 3.65, currency: "USD" },
      ],
    });
    // Long product ids keep their digits; a line item without a product has no image to look up; a short id stays a number.
    expect(planned.productGids).toEqual([
      "gid://shopify/Product/9120377465102938211",
      "gid://shopify/Product/9120377465230041877",
      "gid://shopify/Product/9120377465318850634",
      null,
      "gid://shopify/Product/7513920461",
    ]);
    expectMessengerValid(planned.params);
  });

  it("orders/cancelled (paid in EUR, shipped to France) still maps, without the address Messenger would refuse", () => {
    const planned = planReceiptParams(read("orders/cancelled"), "Order/Receipt");
    expect(planned.params).toMatchObject({ recipient_name: "Léa Marchand", order_number: "#2088", currency: "EUR", payment_method: "Shopify Payments" });
    // A French address has no province: no state, so no address at all.
    expect(planned.params).not.toHaveProperty("address");
    expect(planned.params.summary).toEqual({ subtotal: 93.4, shipping_cost: 25.8, total_tax: 0, total_cost: 119.2 });
    expect(planned.params.adjustments).toEqual([]);
    expect(planned.params.elements).toEqual([
      { title: "Tidepool Stoneware Mug", subtitle: "Fog / 16 oz", quantity: 1, price: 28.5, currency: "EUR" },
      { title: "Kiln-Fired Serving Bowl", quantity: 1, price: 64.9, currency: "EUR" },
    ]);
    expectMessengerValid(planned.params);
  });

  it("maps the paid order with its gateways removed", () => {
    const raw = parseJsonLossless(readShopifyFixture("orders/create")) as Record<string, unknown>;
    const order = OrderPayloadSchema.parse({ ...raw, payment_gateway_names: [] });
    expect(planReceiptParams(order, "Order/Unpaid").params.payment_method).toBe("Awaiting payment");
    expect(planReceiptParams(order, "Order/Receipt").params.payment_method).toBe("Paid");
  });
});
