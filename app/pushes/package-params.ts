// The params of package/update. Every field is a string JoinChat expects present, so missing
// values become neutral ones; the product image is added at delivery from firstProductGid.
import type { FulfillmentFacts, PackageParams, TrackingStatus } from "./types";

export interface PackageFallback {
  /** The recipient name of the stored order. */
  recipientName: string | null;
  /** The order's status page, which shows tracking when the carrier gave no URL. */
  orderStatusUrl: string | null;
}

function text(value: string | null | undefined): string {
  return typeof value === "string" ? value.trim() : "";
}

export function planPackageParams(facts: FulfillmentFacts, status: TrackingStatus, fallback: PackageFallback): PackageParams {
  return {
    // JoinChat needs a tracking number; a parcel without one (local delivery) goes by its fulfillment's name.
    tracking_number: text(facts.trackingNumber) || text(facts.name),
    tracking_url: text(facts.trackingUrl) || text(fallback.orderStatusUrl),
    recipient_name: text(facts.destinationName) || text(fallback.recipientName) || "Customer",
    tracking_status: status,
  };
}
