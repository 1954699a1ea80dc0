// What a fulfillment webhook says about a parcel, and how its Shopify statuses map to JoinChat's
// tracking_status. The rank table lets the planner refuse a status that goes backwards (webhooks
// arrive out of order) while allowing moves between the "last mile" statuses.
import { toGid, type FulfillmentPayload } from "~/shopify/payloads";
import type { FulfillmentFacts, TrackingStatus } from "./types";

export type FulfillmentTopic = "fulfillments/create" | "fulfillments/update";

const SHIPMENT_STATUS_MAP: Record<string, TrackingStatus> = {
  confirmed: "shipped",
  label_printed: "shipped",
  label_purchased: "shipped",
  carrier_picked_up: "in_transit",
  in_transit: "in_transit",
  out_for_delivery: "out_for_delivery",
  attempted_delivery: "attempt_fail",
  ready_for_pickup: "available_for_pickup",
  delivered: "delivered",
  picked_up: "delivered",
  failure: "exception",
};

function lower(value: string | null | undefined): string {
  return typeof value === "string" ? value.trim().toLowerCase() : "";
}

/**
 * JoinChat's tracking status for a fulfillment, or null for a shipment status it has no word for
 * (e.g. "delayed", or a value Shopify adds later): the planner skips those with a reason.
 * Case-insensitive, so the GraphQL enum spelling (IN_TRANSIT) maps too.
 */
export function mapTrackingStatus(
  fulfillmentStatus: string | null | undefined,
  shipmentStatus: string | null | undefined,
): TrackingStatus | null {
  if (lower(fulfillmentStatus) === "cancelled") return "cancelled";
  const shipment = lower(shipmentStatus);
  // A fulfillment without any carrier event yet has still left the shop.
  if (shipment === "") return "shipped";
  return Object.hasOwn(SHIPMENT_STATUS_MAP, shipment) ? SHIPMENT_STATUS_MAP[shipment] : null;
}

export const TRACKING_STATUS_RANK: Record<TrackingStatus, number> = {
  shipped: 1,
  in_transit: 2,
  out_for_delivery: 3,
  attempt_fail: 3,
  available_for_pickup: 3,
  exception: 3,
  delivered: 4,
  cancelled: 4,
};

export function isTerminalStatus(status: TrackingStatus): boolean {
  return status === "delivered" || status === "cancelled";
}

/**
 * Whether `next` moves a parcel on from the furthest status already pushed. Statuses of the same
 * rank may follow each other (out for delivery, a failed attempt, out for delivery again);
 * nothing follows delivered or cancelled.
 */
export function compareStatusProgress(
  previousFurthest: TrackingStatus | null,
  next: TrackingStatus,
): "advance" | "same" | "backwards" {
  if (previousFurthest === null) return "advance";
  if (next === previousFurthest) return "same";
  if (isTerminalStatus(previousFurthest)) return "backwards";
  return TRACKING_STATUS_RANK[next] >= TRACKING_STATUS_RANK[previousFurthest] ? "advance" : "backwards";
}

function textOrNull(value: string | null | undefined): string | null {
  const trimmed = typeof value === "string" ? value.trim() : "";
  return trimmed === "" ? null : trimmed;
}

function firstText(single: string | null | undefined, list: readonly string[] | null | undefined): string | null {
  return textOrNull(single) ?? (list ?? []).map((v) => textOrNull(v)).find((v) => v !== null) ?? null;
}

function timeOf(...candidates: (string | null | undefined)[]): number {
  for (const candidate of candidates) {
    const ms = typeof candidate === "string" ? Date.parse(candidate) : Number.NaN;
    if (!Number.isNaN(ms)) return ms;
  }
  return 0;
}

export function extractFulfillmentFacts(f: FulfillmentPayload, topic: FulfillmentTopic): FulfillmentFacts {
  // Both topics carry the whole fulfillment, so they map alike; the topic stays in the signature
  // so callers state which one they hold and a topic-specific rule has a place to go.
  void topic;
  const destination = f.destination ?? null;
  const destinationName =
    textOrNull(destination?.name) ??
    textOrNull([textOrNull(destination?.first_name), textOrNull(destination?.last_name)].filter(Boolean).join(" "));
  return {
    fulfillmentGid: f.admin_graphql_api_id,
    name: textOrNull(f.name),
    orderGid: toGid("Order", f.order_id),
    trackingStatus: mapTrackingStatus(f.status, f.shipment_status),
    shipmentStatus: textOrNull(f.shipment_status),
    fulfillmentStatus: textOrNull(f.status),
    updatedAtMs: timeOf(f.updated_at, f.created_at),
    trackingNumber: firstText(f.tracking_number, f.tracking_numbers),
    trackingUrl: firstText(f.tracking_url, f.tracking_urls),
    destinationName,
    email: textOrNull(f.email),
    // The destination phone is left out, as for orders: it is often a placeholder, or belongs to
    // whoever receives the parcel rather than the buyer. The stored order supplies the phone.
    phone: null,
    firstProductGid:
      f.line_items.map((item) => toGid("Product", item.product_id)).find((gid) => gid !== null) ?? null,
  };
}
