import { describe, expect, it } from "vitest";
import { readSharedFixture, skipSharedFixtures } from "../../test/helpers/shared-fixtures";
import {
  buildFulfillment,
  buildFulfillmentLineItem,
  FULFILLMENT_GID,
  TRACKING_NUMBER,
  TRACKING_URL,
} from "../../test/fixtures/fulfillments";
import { buildAddress, ORDER_GID, PRODUCT_GID } from "../../test/fixtures/orders";
import { parseJsonLossless } from "~/shopify/lossless-json";
import { FulfillmentPayloadSchema } from "~/shopify/payloads";
import { TRACKING_STATUSES, type TrackingStatus } from "./types";
import {
  compareStatusProgress,
  extractFulfillmentFacts,
  isTerminalStatus,
  mapTrackingStatus,
  TRACKING_STATUS_RANK,
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

  it.each(["pending", "open", "success", null, undefined])(
    "other fulfillment statuses defer to the shipment status (%j)",
    (status) => {
      expect(mapTrackingStatus(status, null)).toBe("shipped");
      expect(mapTrackingStatus(status, "delivered")).toBe("delivered");
    },
  );
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
    });
  });

  it("maps the statuses and keeps what Shopify sent", () => {
    const facts = extractFulfillmentFacts(
      buildFulfillment({ status: "success", shipment_status: "DELAYED" }),
      "fulfillments/update",
    );
    expect(facts).toMatchObject({ trackingStatus: null, shipmentStatus: "DELAYED", fulfillmentStatus: "success" });
    expect(
      extractFulfillmentFacts(buildFulfillment({ status: "cancelled", shipment_status: "in_transit" }), "fulfillments/update"),
    ).toMatchObject({ trackingStatus: "cancelled", shipmentStatus: "in_transit", fulfillmentStatus: "cancelled" });
  });

  it("builds the order gid only from an exact order id", () => {
    expect(extractFulfillmentFacts(buildFulfillment({ order_id: 450789469 }), "fulfillments/create").orderGid).toBe(
      "gid://shopify/Order/450789469",
    );
    expect(extractFulfillmentFacts(buildFulfillment({ order_id: null }), "fulfillments/create").orderGid).toBeNull();
    const rounded = FulfillmentPayloadSchema.parse({ ...buildFulfillment(), order_id: 820982911946154500 });
    expect(extractFulfillmentFacts(rounded, "fulfillments/create").orderGid).toBeNull();
  });

  it("takes updated_at, else created_at, else 0", () => {
    const created = "2026-04-15T08:00:00-04:00";
    const at = (overrides: Record<string, unknown>) =>
      extractFulfillmentFacts(buildFulfillment(overrides), "fulfillments/update").updatedAtMs;
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
    const name = (destination: unknown) =>
      extractFulfillmentFacts(buildFulfillment({ destination }), "fulfillments/create").destinationName;
    expect(name(buildAddress({ name: " Zoë 🎉 " }))).toBe("Zoë 🎉");
    expect(name(buildAddress({ name: null, first_name: "محمد", last_name: "علي" }))).toBe("محمد علي");
    expect(name(buildAddress({ name: "", first_name: null, last_name: null }))).toBeNull();
    expect(name(null)).toBeNull();
  });

  it("finds the first line item with an exact product id", () => {
    const first = (line_items: unknown[]) =>
      extractFulfillmentFacts(buildFulfillment({ line_items }), "fulfillments/create").firstProductGid;
    expect(
      first([buildFulfillmentLineItem({ product_id: null }), buildFulfillmentLineItem({ product_id: 632910392 })]),
    ).toBe("gid://shopify/Product/632910392");
    expect(first([buildFulfillmentLineItem({ product_id: null })])).toBeNull();
    expect(first([])).toBeNull();
  });

  it("never uses the destination phone", () => {
    const facts = extractFulfillmentFacts(
      buildFulfillment({ destination: buildAddress({ phone: "+1 502 555 0142" }) }),
      "fulfillments/create",
    );
    expect(facts.phone).toBeNull();
  });

  it("nulls a blank email", () => {
    expect(extractFulfillmentFacts(buildFulfillment({ email: " " }), "fulfillments/create").email).toBeNull();
  });
});

describe.skipIf(skipSharedFixtures)("extractFulfillmentFacts on Shopify's samples", () => {
  it.each([
    ["fulfillments_create.json", "fulfillments/create"],
    ["fulfillments_update.json", "fulfillments/update"],
  ] as const)("%s (pending, no shipment status) is shipped", (file, topic) => {
    const f = FulfillmentPayloadSchema.parse(parseJsonLossless(readSharedFixture(file)));
    expect(extractFulfillmentFacts(f, topic)).toEqual({
      fulfillmentGid: "gid://shopify/Fulfillment/123456",
      name: "#9999.1",
      // The sample's order_id text is already rounded (its order's gid ends in 508); the parser
      // keeps the digits as written.
      orderGid: "gid://shopify/Order/820982911946154500",
      trackingStatus: "shipped",
      shipmentStatus: null,
      fulfillmentStatus: "pending",
      updatedAtMs: Date.parse("2022-01-01T00:00:00Z"),
      trackingNumber: "1z827wk74630",
      trackingUrl: "https://www.ups.com/WebTracking?loc=en_US&requester=ST&trackNums=1z827wk74630",
      destinationName: "Steve Shipper",
      email: "jon@example.com",
      phone: null,
      firstProductGid: "gid://shopify/Product/788032119674292900",
    });
  });
});
