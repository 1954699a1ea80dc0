import { describe, expect, it } from "vitest";
import { buildFulfillment, TRACKING_NUMBER, TRACKING_URL } from "../../test/fixtures/fulfillments";
import { readShopifyFixture } from "../../test/fixtures/shopify-fixtures";
import { parseJsonLossless } from "~/shopify/lossless-json";
import { FulfillmentPayloadSchema } from "~/shopify/payloads";
import { extractFulfillmentFacts } from "./fulfillment-facts";
import { planPackageParams } from "./package-params";
import { TRACKING_STATUSES, type FulfillmentFacts } from "./types";

const noFallback = { recipientName: null, orderStatusUrl: null };
const fallback = { recipientName: "Jon Smith", orderStatusUrl: "https://shop.example/orders/abc" };

function facts(overrides: Record<string, unknown> = {}): FulfillmentFacts {
  return extractFulfillmentFacts(buildFulfillment(overrides), "fulfillments/create");
}

describe("planPackageParams", () => {
  it("maps the fulfillment's tracking", () => {
    expect(planPackageParams(facts(), "in_transit", fallback)).toEqual({
      tracking_number: TRACKING_NUMBER,
      tracking_url: TRACKING_URL,
      recipient_name: "Steve Shipper",
      tracking_status: "in_transit",
    });
  });

  it("passes every tracking status through", () => {
    for (const status of TRACKING_STATUSES) {
      expect(planPackageParams(facts(), status, noFallback).tracking_status).toBe(status);
    }
  });

  it("has no image_url (added at delivery)", () => {
    expect(planPackageParams(facts(), "shipped", fallback)).not.toHaveProperty("image_url");
  });

  it("names a parcel without tracking number by its fulfillment (JoinChat needs one)", () => {
    const params = planPackageParams(facts({ tracking_number: null, tracking_numbers: [] }), "shipped", fallback);
    expect(params.tracking_number).toBe("#1001.1");
  });

  it("sends an empty tracking number only when the fulfillment has neither number nor name", () => {
    const params = planPackageParams(facts({ tracking_number: null, tracking_numbers: [], name: null }), "shipped", fallback);
    expect(params.tracking_number).toBe("");
  });

  it("falls back to the order status page, else ''", () => {
    const untracked = facts({ tracking_url: null, tracking_urls: [] });
    expect(planPackageParams(untracked, "shipped", fallback).tracking_url).toBe(fallback.orderStatusUrl);
    expect(planPackageParams(untracked, "shipped", noFallback).tracking_url).toBe("");
    expect(planPackageParams(untracked, "shipped", { recipientName: null, orderStatusUrl: "  " }).tracking_url).toBe("");
  });

  it("names the destination, else the order's recipient, else 'Customer'", () => {
    const unnamed = facts({ destination: null });
    expect(planPackageParams(unnamed, "shipped", fallback).recipient_name).toBe("Jon Smith");
    expect(planPackageParams(unnamed, "shipped", noFallback).recipient_name).toBe("Customer");
  });

  it("keeps emoji, RTL and markup", () => {
    const params = planPackageParams({ ...facts(), destinationName: "שרה 🌸 <b>", trackingNumber: " '; DROP TABLE x;-- " }, "delivered", noFallback);
    expect(params.recipient_name).toBe("שרה 🌸 <b>");
    expect(params.tracking_number).toBe("'; DROP TABLE x;--");
  });
});

describe("planPackageParams on the Shopify fixtures", () => {
  const read = (topic: "fulfillments/create" | "fulfillments/update") => {
    const f = FulfillmentPayloadSchema.parse(parseJsonLossless(readShopifyFixture(topic)));
    return extractFulfillmentFacts(f, topic);
  };
  // What the app stored of orders/create for the fulfillment's order.
  const orderFallback = {
    recipientName: "Amara Okafor",
    orderStatusUrl: "https://harbour-and-kiln.myshopify.com/61847302951/orders/b5c2e8d41f7a4c93a0e6d9f28b1c7e54/authenticate?key=3f9a1d7c2b8e4f6051a7",
  };

  it("maps fulfillments/create, whose carrier gave no tracking URL yet, to the order status page", () => {
    const created = read("fulfillments/create");
    expect(planPackageParams(created, created.trackingStatus!, orderFallback)).toEqual({
      tracking_number: "7023210039414604",
      tracking_url: orderFallback.orderStatusUrl,
      recipient_name: "Amara Okafor",
      tracking_status: "shipped",
    });
  });

  it("maps fulfillments/update with the carrier's tracking URL", () => {
    const updated = read("fulfillments/update");
    expect(planPackageParams(updated, updated.trackingStatus!, orderFallback)).toEqual({
      tracking_number: "7023210039414604",
      tracking_url: "https://www.canadapost-postescanada.ca/track-reperage/en#/search?searchFor=7023210039414604",
      recipient_name: "Amara Okafor",
      tracking_status: "in_transit",
    });
  });
});
