import { describe, expect, it } from "vitest";
import { buildFulfillment, buildFulfillmentLineItem, FULFILLMENT_GID, TRACKING_NUMBER, TRACKING_URL } from "../../test/fixtures/fulfillments";
import { buildAddress, ORDER_GID, PRODUCT_GID } from "../../test/fixtures/orders";
import { readShopifyFixture } from "../../test/fixtures/shopify-fixtures";
import { parseJsonLossless } from "~/shopify/lossless-json";
import { FulfillmentPayloadSchema } from "~/shopify/payloads";
import { TRACKING_STATUSES, type TrackingStatus } from "./types";
import {
  compareStatusProgress,
  extractFulfillmentFacts,
  fulfillmentRule,
  isTerminalStatus,
  mapTrackingStatus,
  TRACKING_STATUS_RANK,
  type FulfillmentHistory,
} from "./fulfillment-facts";

describe("mapTrackingStatus", () => {
  it.each([
    [null, "shipped"],
    [undefined, "shipped"],
    ["", "shipped"],
    ["  ", "shipped"],
    ["confirmed", "shipped"],
    ["label_printed", "shipped"],
    ["label_purchased", "shipped"],
    ["carrier_picked_up", "in_transit"],
    ["in_transit", "in_transit"],
    ["out_for_delivery", "out_for_delivery"],
    ["attempted_delivery", "attempt_fail"],
    ["ready_for_pickup", "available_for_pickup"],
    ["delivered", "delivered"],
    ["picked_up", "delivered"],
    ["failure", "exception"],
    ["delayed", null],
    ["fulfilled", null],
    ["submitted", null],
    ["something_new_in_2027", null],
    ["constructor", null],
    ["__proto__", null],
  ] as const)("shipment_status %j -> %j", (shipmentStatus, expected) => {
    expect(mapTrackingStatus("success", shipmentStatus)).toBe(expected);
  });

  it.each([
    ["IN_TRANSIT", "in_transit"],
    ["CARRIER_PICKED_UP", "in_transit"],
    ["OUT_FOR_DELIVERY", "out_for_delivery"],
    ["ATTEMPTED_DELIVERY", "attempt_fail"],
    ["READY_FOR_PICKUP", "available_for_pickup"],
    ["PICKED_UP", "delivered"],
    ["Delivered", "delivered"],
    [" label_printed ", "shipped"],
    ["DELAYED", null],
  ] as const)("compares case-insensitively: %j -> %j", (shipmentStatus, expected) => {
    expect(mapTrackingStatus("SUCCESS", shipmentStatus)).toBe(expected);
  });

  it.each([null, "delivered", "in_transit", "delayed", "failure"])(
    "a cancelled fulfillment is cancelled whatever the shipment status (%j)",
    (shipmentStatus) => {
      expect(mapTrackingStatus("cancelled", shipmentStatus)).toBe("cancelled");
      expect(mapTrackingStatus("CANCELLED", shipmentStatus)).toBe("cancelled");
    },
  );

  it.each(["pending", "open", "success", null, undefined])("other fulfillment statuses defer to the shipment status (%j)", (status) => {
    expect(mapTrackingStatus(status, null)).toBe("shipped");
    expect(mapTrackingStatus(status, "delivered")).toBe("delivered");
  });
});

describe("status progress", () => {
  it("ranks the statuses", () => {
    expect(TRACKING_STATUS_RANK).toEqual({
      shipped: 1,
      in_transit: 2,
      out_for_delivery: 3,
      attempt_fail: 3,
      available_for_pickup: 3,
      exception: 3,
      delivered: 4,
      cancelled: 4,
    });
    expect(Object.keys(TRACKING_STATUS_RANK).sort()).toEqual([...TRACKING_STATUSES].sort());
  });

  it("calls delivered and cancelled terminal", () => {
    expect(TRACKING_STATUSES.filter(isTerminalStatus)).toEqual(["delivered", "cancelled"]);
  });

  it("advances from nothing to anything", () => {
    for (const status of TRACKING_STATUSES) expect(compareStatusProgress(null, status)).toBe("advance");
  });

  it("is 'same' for a repeated status, terminal or not", () => {
    for (const status of TRACKING_STATUSES) expect(compareStatusProgress(status, status)).toBe("same");
  });

  it.each([
    ["shipped", "in_transit", "advance"],
    ["shipped", "delivered", "advance"],
    ["shipped", "cancelled", "advance"],
    ["in_transit", "out_for_delivery", "advance"],
    ["in_transit", "exception", "advance"],
    ["out_for_delivery", "attempt_fail", "advance"],
    ["attempt_fail", "out_for_delivery", "advance"],
    ["available_for_pickup", "exception", "advance"],
    ["exception", "available_for_pickup", "advance"],
    ["exception", "delivered", "advance"],
    ["exception", "cancelled", "advance"],
    ["in_transit", "shipped", "backwards"],
    ["out_for_delivery", "in_transit", "backwards"],
    ["attempt_fail", "shipped", "backwards"],
    ["delivered", "in_transit", "backwards"],
    ["delivered", "cancelled", "backwards"],
    ["delivered", "exception", "backwards"],
    ["cancelled", "delivered", "backwards"],
    ["cancelled", "shipped", "backwards"],
  ] as const)("%s -> %s is %s", (previous, next, verdict) => {
    expect(compareStatusProgress(previous as TrackingStatus, next as TrackingStatus)).toBe(verdict);
  });

  it("after a terminal status every different status is backwards", () => {
    for (const terminal of ["delivered", "cancelled"] as const) {
      for (const next of TRACKING_STATUSES.filter((s) => s !== terminal)) {
        expect(compareStatusProgress(terminal, next)).toBe("backwards");
      }
    }
  });
});

describe("extractFulfillmentFacts", () => {
  it("reads the default fulfillment", () => {
    expect(extractFulfillmentFacts(buildFulfillment(), "fulfillments/create")).toEqual({
      fulfillmentGid: FULFILLMENT_GID,
      name: "#1001.1",
      orderGid: ORDER_GID,
      trackingStatus: "shipped",
      shipmentStatus: null,
      fulfillmentStatus: "success",
      updatedAtMs: Date.parse("2026-04-15T12:00:00Z"),
      trackingNumber: TRACKING_NUMBER,
      trackingUrl: TRACKING_URL,
      destinationName: "Steve Shipper",
      email: "jon@example.com",
      phone: null,
      firstProductGid: PRODUCT_GID,
      shipsGoods: true,
    });
  });

  it("maps the statuses and keeps what Shopify sent", () => {
    const facts = extractFulfillmentFacts(buildFulfillment({ status: "success", shipment_status: "DELAYED" }), "fulfillments/update");
    expect(facts).toMatchObject({ trackingStatus: null, shipmentStatus: "DELAYED", fulfillmentStatus: "success" });
    expect(extractFulfillmentFacts(buildFulfillment({ status: "cancelled", shipment_status: "in_transit" }), "fulfillments/update")).toMatchObject({
      trackingStatus: "cancelled",
      shipmentStatus: "in_transit",
      fulfillmentStatus: "cancelled",
    });
  });

  it("builds the order gid only from an exact order id", () => {
    expect(extractFulfillmentFacts(buildFulfillment({ order_id: 450789469 }), "fulfillments/create").orderGid).toBe("gid://shopify/Order/450789469");
    expect(extractFulfillmentFacts(buildFulfillment({ order_id: null }), "fulfillments/create").orderGid).toBeNull();
    const rounded = FulfillmentPayloadSchema.parse({ ...buildFulfillment(), order_id: 820982911946154500 });
    expect(extractFulfillmentFacts(rounded, "fulfillments/create").orderGid).toBeNull();
  });

  it("takes updated_at, else created_at, else 0", () => {
    const created = "2026-04-15T08:00:00-04:00";
    const at = (overrides: Record<string, unknown>) => extractFulfillmentFacts(buildFulfillment(overrides), "fulfillments/update").updatedAtMs;
    expect(at({ updated_at: "2026-04-16T08:00:00Z" })).toBe(Date.parse("2026-04-16T08:00:00Z"));
    expect(at({ updated_at: null, created_at: created })).toBe(Date.parse(created));
    expect(at({ updated_at: "garbage", created_at: created })).toBe(Date.parse(created));
    expect(at({ updated_at: undefined, created_at: undefined })).toBe(0);
    expect(at({ updated_at: "garbage", created_at: "also garbage" })).toBe(0);
  });

  it("falls back to the first tracking number and URL of the lists", () => {
    const facts = extractFulfillmentFacts(
      buildFulfillment({
        tracking_number: " ",
        tracking_numbers: ["", "LX123456789DE", "second"],
        tracking_url: null,
        tracking_urls: ["https://track.example/LX123456789DE"],
      }),
      "fulfillments/update",
    );
    expect(facts.trackingNumber).toBe("LX123456789DE");
    expect(facts.trackingUrl).toBe("https://track.example/LX123456789DE");
  });

  it("has no tracking when Shopify sent none", () => {
    const facts = extractFulfillmentFacts(
      buildFulfillment({ tracking_number: null, tracking_numbers: [], tracking_url: undefined, tracking_urls: null }),
      "fulfillments/create",
    );
    expect(facts.trackingNumber).toBeNull();
    expect(facts.trackingUrl).toBeNull();
  });

  it("names the destination from name, else first and last name", () => {
    const name = (destination: unknown) => extractFulfillmentFacts(buildFulfillment({ destination }), "fulfillments/create").destinationName;
    expect(name(buildAddress({ name: " Zoë 🎉 " }))).toBe("Zoë 🎉");
    expect(name(buildAddress({ name: null, first_name: "محمد", last_name: "علي" }))).toBe("محمد علي");
    expect(name(buildAddress({ name: "", first_name: null, last_name: null }))).toBeNull();
    expect(name(null)).toBeNull();
  });

  it("finds the first line item with an exact product id", () => {
    const first = (line_items: unknown[]) => extractFulfillmentFacts(buildFulfillment({ line_items }), "fulfillments/create").firstProductGid;
    expect(first([buildFulfillmentLineItem({ product_id: null }), buildFulfillmentLineItem({ product_id: 632910392 })])).toBe(
      "gid://shopify/Product/632910392",
    );
    expect(first([buildFulfillmentLineItem({ product_id: null })])).toBeNull();
    expect(first([])).toBeNull();
  });

  it("never uses the destination phone", () => {
    const facts = extractFulfillmentFacts(buildFulfillment({ destination: buildAddress({ phone: "+1 502 555 0142" }) }), "fulfillments/create");
    expect(facts.phone).toBeNull();
  });

  it("nulls a blank email", () => {
    expect(extractFulfillmentFacts(buildFulfillment({ email: " " }), "fulfillments/create").email).toBeNull();
  });
});

describe("extractFulfillmentFacts on the Shopify fixtures", () => {
  const read = (topic: "fulfillments/create" | "fulfillments/update") => FulfillmentPayloadSchema.parse(parseJsonLossless(readShopifyFixture(topic)));
  const common = {
    fulfillmentGid: "gid://shopify/Fulfillment/5274411990327751563",
    name: "#2087.1",
    // order_id is written with all its digits (over 2^53): the gid is the order's own.
    orderGid: "gid://shopify/Order/5731908254617390113",
    trackingNumber: "7023210039414604",
    destinationName: "Amara Okafor",
    email: "amara.okafor@example.com",
    phone: null,
    firstProductGid: "gid://shopify/Product/9120377465102938211",
    shipsGoods: true,
  };

  it("fulfillments/create (pending, a carrier but no tracking URL, no shipment status) is shipped", () => {
    expect(extractFulfillmentFacts(read("fulfillments/create"), "fulfillments/create")).toEqual({
      ...common,
      trackingStatus: "shipped",
      shipmentStatus: null,
      fulfillmentStatus: "pending",
      updatedAtMs: Date.parse("2026-05-15T17:05:48Z"),
      trackingUrl: null,
    });
  });

  it("fulfillments/update (in transit, with its tracking URL) is in_transit", () => {
    expect(extractFulfillmentFacts(read("fulfillments/update"), "fulfillments/update")).toEqual({
      ...common,
      trackingStatus: "in_transit",
      shipmentStatus: "in_transit",
      fulfillmentStatus: "success",
      updatedAtMs: Date.parse("2026-05-16T11:31:02Z"),
      trackingUrl: "https://www.canadapost-postescanada.ca/track-reperage/en#/search?searchFor=7023210039414604",
    });
  });
});

describe("fulfillmentRule: only a parcel that shipped is pushed (issue 17)", () => {
  const digital = { requires_shipping: false, product_id: 555, title: "Gift card" };
  const fresh: FulfillmentHistory = { buyerTold: false, localPickup: false };
  const told: FulfillmentHistory = { buyerTold: true, localPickup: false };
  const pickup: FulfillmentHistory = { buyerTold: false, localPickup: true };
  const rule = (overrides: Record<string, unknown>, history: FulfillmentHistory = fresh) =>
    fulfillmentRule(extractFulfillmentFacts(buildFulfillment(overrides), "fulfillments/update"), history);

  it.each([
    // status, shipment_status, history, the rule
    ["success", null, fresh, { push: true, status: "shipped" }],
    ["success", "in_transit", fresh, { push: true, status: "in_transit" }],
    ["SUCCESS", "DELIVERED", fresh, { push: true, status: "delivered" }],
    ["pending", null, fresh, { push: false, reason: "not_shipped_yet", detail: "pending", status: null }],
    ["open", null, fresh, { push: false, reason: "not_shipped_yet", detail: "open", status: null }],
    ["OPEN", null, told, { push: false, reason: "not_shipped_yet", detail: "open", status: null }],
    // A carrier event means the parcel is on its way, whatever the fulfillment's own status says.
    ["pending", "label_purchased", fresh, { push: true, status: "shipped" }],
    ["open", "in_transit", fresh, { push: true, status: "in_transit" }],
    [null, null, fresh, { push: false, reason: "not_shipped_yet", detail: null, status: null }],
    ["something_new", null, fresh, { push: false, reason: "not_shipped_yet", detail: "something_new", status: null }],
    ["error", null, fresh, { push: false, reason: "fulfillment_failed", detail: "error", status: null }],
    ["failure", null, told, { push: false, reason: "fulfillment_failed", detail: "failure", status: null }],
    ["failure", "in_transit", fresh, { push: false, reason: "fulfillment_failed", detail: "failure", status: null }],
    ["cancelled", null, fresh, { push: false, reason: "buyer_not_told", detail: null, status: "cancelled" }],
    ["cancelled", "in_transit", fresh, { push: false, reason: "buyer_not_told", detail: null, status: "cancelled" }],
    ["cancelled", null, told, { push: true, status: "cancelled" }],
    ["success", "delayed", fresh, { push: false, reason: "unknown_shipment_status", detail: "delayed", status: null }],
    ["success", null, pickup, { push: true, status: "delivered" }],
    ["success", "ready_for_pickup", pickup, { push: true, status: "available_for_pickup" }],
    ["pending", null, pickup, { push: false, reason: "not_shipped_yet", detail: "pending", status: null }],
  ] as const)("status %j, shipment_status %j, %j -> %j", (status, shipmentStatus, history, expected) => {
    expect(rule({ status, shipment_status: shipmentStatus }, history)).toEqual(expected);
  });

  it("a fulfillment of goods that do not ship (digital products, gift cards) pushes nothing", () => {
    const only = { line_items: [buildFulfillmentLineItem(digital), buildFulfillmentLineItem({ ...digital, product_id: 556 })] };
    expect(extractFulfillmentFacts(buildFulfillment(only), "fulfillments/create")).toMatchObject({ shipsGoods: false, firstProductGid: null });
    expect(rule(only)).toEqual({ push: false, reason: "nothing_to_ship", detail: null, status: null });
    expect(rule({ ...only, shipment_status: "in_transit" })).toEqual({ push: false, reason: "nothing_to_ship", detail: null, status: null });
    // Failures and waiting fulfillments keep their own, more telling reason.
    expect(rule({ ...only, status: "failure" })).toMatchObject({ reason: "fulfillment_failed" });
    expect(rule({ ...only, status: "open" })).toMatchObject({ reason: "not_shipped_yet" });
  });

  it("a local pickup of goods that do not ship is still pushed: the buyer collected it", () => {
    const only = { line_items: [buildFulfillmentLineItem(digital)] };
    expect(rule(only, pickup)).toEqual({ push: true, status: "delivered" });
  });

  it("a mixed fulfillment is a parcel, pictured by an item that ships", () => {
    const mixed = { line_items: [buildFulfillmentLineItem(digital), buildFulfillmentLineItem()] };
    const facts = extractFulfillmentFacts(buildFulfillment(mixed), "fulfillments/create");
    expect(facts).toMatchObject({ shipsGoods: true, firstProductGid: PRODUCT_GID });
    expect(fulfillmentRule(facts, fresh)).toEqual({ push: true, status: "shipped" });
  });

  it("requires_shipping absent or null counts as shipping; an empty line item list too", () => {
    expect(rule({ line_items: [buildFulfillmentLineItem({ requires_shipping: undefined })] })).toEqual({ push: true, status: "shipped" });
    expect(rule({ line_items: [buildFulfillmentLineItem({ requires_shipping: null })] })).toEqual({ push: true, status: "shipped" });
    expect(rule({ line_items: [] })).toEqual({ push: true, status: "shipped" });
  });

  it("the Shopify fixtures: the pending create waits, the successful update in transit is pushed", () => {
    const read = (topic: "fulfillments/create" | "fulfillments/update") =>
      extractFulfillmentFacts(FulfillmentPayloadSchema.parse(parseJsonLossless(readShopifyFixture(topic))), topic);
    expect(fulfillmentRule(read("fulfillments/create"), fresh)).toEqual({ push: false, reason: "not_shipped_yet", detail: "pending", status: null });
    expect(fulfillmentRule(read("fulfillments/update"), fresh)).toEqual({ push: true, status: "in_transit" });
  });
});
