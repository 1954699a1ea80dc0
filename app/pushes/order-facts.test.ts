import { describe, expect, it } from "vitest";
import { buildAddress, buildOrder, buildOrderPayload, CUSTOMER_GID, CUSTOMER_ID, ORDER_GID, PSID, toRawJson } from "../../test/fixtures/orders";
import { readShopifyFixture } from "../../test/fixtures/shopify-fixtures";
import { parseJsonLossless } from "~/shopify/lossless-json";
import { OrderPayloadSchema } from "~/shopify/payloads";
import { extractOrderFacts, psidOf, recipientNameOf } from "./order-facts";

describe("extractOrderFacts", () => {
  it("reads the default order", () => {
    expect(extractOrderFacts(buildOrder())).toEqual({
      orderGid: ORDER_GID,
      name: "#1001",
      customerGid: CUSTOMER_GID,
      email: "jon@example.com",
      phone: null,
      psid: PSID,
      recipientName: "Steve Shipper",
      orderStatusUrl: "https://example-shop.myshopify.com/548380009/orders/123456abcd/authenticate?key=abcdefg",
      financialStatus: "paid",
      test: false,
      cancelled: false,
      createdAtMs: Date.parse("2026-04-14T14:15:30Z"),
      localPickup: false,
      customerLocale: "en-US",
      paymentTerms: false,
      paymentDueAtMs: null,
    });
  });

  describe("psid", () => {
    it.each([
      [[{ name: "joinchat_psid", value: " 6024912345678901 " }], "6024912345678901"],
      [[{ name: "joinchat_psid", value: 123456 }], "123456"],
      [[{ name: " joinchat_psid ", value: "42" }], "42"],
      [
        [
          { name: "gift_note", value: "hi" },
          { name: "joinchat_psid", value: "77" },
        ],
        "77",
      ],
      [
        [
          { name: "joinchat_psid", value: "" },
          { name: "joinchat_psid", value: "88" },
        ],
        "88",
      ],
    ])("%j -> %s", (attributes, psid) => {
      expect(extractOrderFacts(buildOrder({ note_attributes: attributes })).psid).toBe(psid);
    });

    it.each([
      ["absent", []],
      ["blank", [{ name: "joinchat_psid", value: "  " }]],
      ["null", [{ name: "joinchat_psid", value: null }]],
      ["not digits", [{ name: "joinchat_psid", value: "abc123" }]],
      ["a signed number", [{ name: "joinchat_psid", value: "-123" }]],
      ["another attribute", [{ name: "joinchat_psid_old", value: "123" }]],
      ["a differently cased name", [{ name: "JoinChat_PSID", value: "123" }]],
    ])("null when %s", (_label, attributes) => {
      expect(extractOrderFacts(buildOrder({ note_attributes: attributes })).psid).toBeNull();
    });

    it("keeps a long numeric PSID exact through the lossless parser, and refuses a rounded one", () => {
      const text = toRawJson(buildOrderPayload({ note_attributes: [{ name: "joinchat_psid", value: 6024912345678901234n }] }));
      expect(text).toContain('"value":6024912345678901234}');
      const order = OrderPayloadSchema.parse(parseJsonLossless(text));
      expect(psidOf(order)).toBe("6024912345678901234");
      const rounded = OrderPayloadSchema.parse({
        ...order,
        note_attributes: [{ name: "joinchat_psid", value: Number("6024912345678901234") }],
      });
      expect(psidOf(rounded)).toBeNull();
    });
  });

  describe("email", () => {
    it("prefers order.email, then contact_email, then the customer's", () => {
      const customer = { id: CUSTOMER_ID, email: "c@example.com" };
      expect(extractOrderFacts(buildOrder({ email: " o@example.com ", contact_email: "k@example.com", customer })).email).toBe("o@example.com");
      expect(extractOrderFacts(buildOrder({ email: " ", contact_email: "k@example.com", customer })).email).toBe("k@example.com");
      expect(extractOrderFacts(buildOrder({ email: null, contact_email: undefined, customer })).email).toBe("c@example.com");
      expect(extractOrderFacts(buildOrder({ email: null, contact_email: null, customer: null })).email).toBeNull();
    });
  });

  describe("phone", () => {
    it("uses order.phone, then the customer's, never an address phone", () => {
      expect(extractOrderFacts(buildOrder({ phone: "+1 555 123 4567" })).phone).toBe("+1 555 123 4567");
      expect(extractOrderFacts(buildOrder({ phone: null, customer: { id: 1, phone: "+44 20 7946 0958" } })).phone).toBe("+44 20 7946 0958");
      const onlyAddressPhones = buildOrder({
        phone: null,
        customer: { id: 1, phone: null },
        shipping_address: buildAddress({ phone: "+1 502 555 0100" }),
        billing_address: buildAddress({ phone: "+1 502 555 0101" }),
      });
      expect(extractOrderFacts(onlyAddressPhones).phone).toBeNull();
    });
  });

  describe("customerGid", () => {
    it("prefers admin_graphql_api_id, else builds it from an exact id", () => {
      expect(extractOrderFacts(buildOrder({ customer: { id: 5, admin_graphql_api_id: "gid://shopify/Customer/9" } })).customerGid).toBe(
        "gid://shopify/Customer/9",
      );
      expect(extractOrderFacts(buildOrder({ customer: { id: CUSTOMER_ID } })).customerGid).toBe(CUSTOMER_GID);
      expect(extractOrderFacts(buildOrder({ customer: { id: 5 } })).customerGid).toBe("gid://shopify/Customer/5");
      expect(extractOrderFacts(buildOrder({ customer: null })).customerGid).toBeNull();
    });

    it("does not build a gid from a rounded numeric id", () => {
      const order = OrderPayloadSchema.parse({ ...buildOrder(), customer: { id: 115310627314723950 } });
      expect(extractOrderFacts(order).customerGid).toBeNull();
    });
  });

  describe("flags and dates", () => {
    it("reads cancelled, test and the financial status", () => {
      const facts = extractOrderFacts(buildOrder({ cancelled_at: "2026-04-15T10:00:00Z", test: true, financial_status: "voided" }));
      expect(facts).toMatchObject({ cancelled: true, test: true, financialStatus: "voided" });
      expect(extractOrderFacts(buildOrder({ cancelled_at: "" })).cancelled).toBe(false);
      expect(extractOrderFacts(buildOrder({ cancelled_at: undefined, test: undefined })).test).toBe(false);
      expect(extractOrderFacts(buildOrder({ test: null })).test).toBe(false);
      expect(extractOrderFacts(buildOrder({ financial_status: null })).financialStatus).toBeNull();
    });

    it("parses created_at with its offset", () => {
      expect(extractOrderFacts(buildOrder({ created_at: "2021-12-31T19:00:00-05:00" })).createdAtMs).toBe(Date.UTC(2022, 0, 1));
    });

    it("trims the order status URL and nulls a blank one", () => {
      expect(extractOrderFacts(buildOrder({ order_status_url: "  " })).orderStatusUrl).toBeNull();
      expect(extractOrderFacts(buildOrder({ order_status_url: undefined })).orderStatusUrl).toBeNull();
    });
  });
});

describe("recipientNameOf", () => {
  it("prefers the shipping address name", () => {
    expect(recipientNameOf(buildOrder())).toBe("Steve Shipper");
  });

  it("builds the shipping name from first and last when name is missing", () => {
    expect(recipientNameOf(buildOrder({ shipping_address: buildAddress({ name: null, first_name: " Ana ", last_name: "Ruiz" }) }))).toBe("Ana Ruiz");
    expect(recipientNameOf(buildOrder({ shipping_address: buildAddress({ name: "", first_name: null, last_name: "Ruiz" }) }))).toBe("Ruiz");
  });

  it("falls back to the billing address, then the customer", () => {
    expect(recipientNameOf(buildOrder({ shipping_address: null }))).toBe("Jon Smith");
    const emptyAddress = buildAddress({ name: null, first_name: null, last_name: " " });
    expect(recipientNameOf(buildOrder({ shipping_address: emptyAddress, billing_address: undefined }))).toBe("Jon Smith");
    expect(recipientNameOf(buildOrder({ shipping_address: null, billing_address: null, customer: { first_name: "Jon" } }))).toBe("Jon");
  });

  it("is null when nobody is named", () => {
    expect(recipientNameOf(buildOrder({ shipping_address: null, billing_address: null, customer: null }))).toBeNull();
  });

  it("keeps emoji, RTL text and markup as they are", () => {
    for (const name of ["Zoë 🎉 Müller", "محمد علي", "<script>alert(1)</script>", "Robert'); DROP TABLE x;--"]) {
      expect(recipientNameOf(buildOrder({ shipping_address: buildAddress({ name: ` ${name} ` }) }))).toBe(name);
    }
  });
});

describe("extractOrderFacts on the Shopify fixtures", () => {
  const read = (topic: "orders/create" | "orders/paid" | "orders/cancelled") => OrderPayloadSchema.parse(parseJsonLossless(readShopifyFixture(topic)));
  const statusUrl = (token: string, key: string) => `https://harbour-and-kiln.myshopify.com/61847302951/orders/${token}/authenticate?key=${key}`;

  it.each(["orders/create", "orders/paid"] as const)("%s: a paid order with a PSID note attribute", (topic) => {
    expect(extractOrderFacts(read(topic))).toEqual({
      orderGid: "gid://shopify/Order/5731908254617390113",
      name: "#2087",
      customerGid: "gid://shopify/Customer/7240518839102274561",
      email: "amara.okafor@example.com",
      // The order has no phone; the customer's is taken.
      phone: "+12065550147",
      psid: "7401825563920174",
      recipientName: "Amara Okafor",
      orderStatusUrl: statusUrl("b5c2e8d41f7a4c93a0e6d9f28b1c7e54", "3f9a1d7c2b8e4f6051a7"),
      financialStatus: "paid",
      test: false,
      cancelled: false,
      createdAtMs: Date.parse("2026-05-14T12:42:17Z"),
      localPickup: false,
      customerLocale: "en-US",
      paymentTerms: false,
      paymentDueAtMs: null,
    });
  });

  it("orders/cancelled: voided and cancelled, no PSID, no phone", () => {
    expect(extractOrderFacts(read("orders/cancelled"))).toEqual({
      orderGid: "gid://shopify/Order/5731908254891146527",
      name: "#2088",
      customerGid: "gid://shopify/Customer/7240518840067711943",
      email: "lea.marchand@example.fr",
      phone: null,
      psid: null,
      recipientName: "Léa Marchand",
      orderStatusUrl: statusUrl("0d7e3a9c5b1f48e2a6c4d8b0e2f4a6c8", "91c4e7a2d5b8f0136e9a"),
      financialStatus: "voided",
      test: false,
      cancelled: true,
      createdAtMs: Date.parse("2026-05-14T19:03:55Z"),
      localPickup: false,
      customerLocale: "fr",
      paymentTerms: false,
      paymentDueAtMs: null,
    });
  });
});

describe("local pickup and payment terms", () => {
  const line = (fields: Record<string, unknown>) => ({ shipping_lines: [{ price: "0.00", source: "shopify", ...fields }] });

  it.each([
    [{ code: "Pickup", title: "Pickup at Main Street" }, true],
    [{ code: "Local pickup", title: "Main Street store" }, true],
    [{ code: "pick-up", title: null }, true],
    [{ delivery_category: "pickup", code: "WILLCALL", title: "Will call" }, true],
    [{ delivery_category: "local_pickup", code: "X" }, true],
    [{ code: "Standard Shipping", title: "Standard Shipping" }, false],
    [{ code: "Local Delivery", title: "Local Delivery" }, false],
    [{ code: "Pickup point", title: "DHL Pickup Point" }, false],
    [{ delivery_category: "shipping", code: "Pickup" }, false],
    [{ delivery_category: "pick-up", code: "Main Street" }, true],
    [{ code: "Click & Collect", title: "Click & Collect - Soho" }, true],
    [{ code: "Collect in store", title: "Collect in store" }, true],
    [{ code: "In-store pickup", title: "In-store pickup" }, true],
    [{ code: "Retrait en magasin", title: "Retrait en magasin (Lyon)" }, true],
    [{ code: "Abholung", title: "Abholung im Geschäft" }, true],
    [{ code: "Recogida en tienda", title: "Recogida en tienda" }, true],
    [{ code: "门店自提", title: "门店自提" }, true],
    [{ code: "店頭受取", title: "店頭受け取り" }, true],
    [{ code: "Point Relais", title: "Retrait en Point Relais" }, false],
    [{ code: "Packstation", title: "Abholung an der Packstation" }, false],
    [{ code: "Paczkomat", title: "Odbiór w Paczkomacie" }, false],
    [{ code: "自提点", title: "快递自提点" }, false],
    [{ code: "Afhalen", title: "Afhalen in de winkel" }, true],
    [{ code: "Afhalen bij een PostNL-punt", title: "Afhalen bij een PostNL-punt" }, false],
    [{ code: "Afhentning i pakkeshop", title: "Afhentning i pakkeshop" }, false],
    [{ code: "Nouto lähimmästä Postista", title: "Nouto lähimmästä Postista" }, false],
    [{ code: "Pickup Locker", title: "Amazon Pickup Locker" }, false],
  ] as const)("shipping line %j: local pickup %j", (fields, expected) => {
    expect(extractOrderFacts(buildOrder(line(fields))).localPickup).toBe(expected);
  });

  it("no shipping line is no local pickup", () => {
    expect(extractOrderFacts(buildOrder({ shipping_lines: [] })).localPickup).toBe(false);
  });

  it("takes the earliest due date of the schedules not paid yet", () => {
    const schedules = [
      { due_at: "2026-06-30T00:00:00Z", completed_at: null },
      { due_at: "2026-05-31T00:00:00Z", completed_at: "2026-05-20T00:00:00Z" },
      { due_at: "2026-06-15T00:00:00Z", completed_at: null },
    ];
    const facts = extractOrderFacts(buildOrder({ payment_terms: { payment_terms_name: "Net 30", payment_terms_type: "net", payment_schedules: schedules } }));
    expect(facts).toMatchObject({ paymentTerms: true, paymentDueAtMs: Date.parse("2026-06-15T00:00:00Z") });
  });

  it("terms without schedules or due dates have no due date", () => {
    expect(extractOrderFacts(buildOrder({ payment_terms: { payment_terms_type: "receipt", payment_schedules: [] } }))).toMatchObject({
      paymentTerms: true,
      paymentDueAtMs: null,
    });
    expect(extractOrderFacts(buildOrder({ payment_terms: null }))).toMatchObject({ paymentTerms: false, paymentDueAtMs: null });
  });
});
