// What a fulfillment webhook says about a parcel, and how its Shopify statuses map to JoinChat's
// tracking_status. The rank table lets the planner refuse a status that goes backwards (webhooks
// arrive out of order) while allowing moves between the "last mile" statuses.
import { toGid, type FulfillmentPayload } from "~/shopify/payloads";
import { SKIP_REASONS, type SkipReasonCode } from "./reasons";
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
export function mapTrackingStatus(fulfillmentStatus: string | null | undefined, shipmentStatus: string | null | undefined): TrackingStatus | null {
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
export function compareStatusProgress(previousFurthest: TrackingStatus | null, next: TrackingStatus): "advance" | "same" | "backwards" {
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
  const shippable = f.line_items.filter((item) => item.requires_shipping !== false);
  const destinationName =
    textOrNull(destination?.name) ?? textOrNull([textOrNull(destination?.first_name), textOrNull(destination?.last_name)].filter(Boolean).join(" "));
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
    // The picture of the parcel is of something in it: a mixed fulfillment's digital goods are not.
    firstProductGid: shippable.map((item) => toGid("Product", item.product_id)).find((gid) => gid !== null) ?? null,
    shipsGoods: f.line_items.length === 0 || shippable.length > 0,
  };
}

/** What the app knows of a fulfillment beyond its payload. */
export interface FulfillmentHistory {
  /** A package/update of this fulfillment was pushed before (the buyer knows of the parcel). */
  buyerTold: boolean;
  /** Its order is collected by the buyer (a local pickup shipping line). */
  localPickup: boolean;
}

/** What a fulfillment webhook may tell the buyer: a tracking status to push, or why nothing. */
export type FulfillmentRule =
  { push: true; status: TrackingStatus } | { push: false; reason: SkipReasonCode; detail: string | null; status: TrackingStatus | null };

const NOT_SHIPPED_STATUSES = new Set(["pending", "open"]);
const FAILED_STATUSES = new Set(["error", "failure"]);

/**
 * The rules of a fulfillment (issue 17, decision 016), first match wins:
 * - `error` / `failure`: nothing shipped, nothing is pushed (fulfillment_failed);
 * - `cancelled`: pushed only when the buyer was told of the parcel before (else buyer_not_told);
 * - a fulfillment without a carrier status that is not `success` (`pending`, `open`, a status Shopify adds later)
 *   has not shipped: not_shipped_yet, and its later `success` pushes `shipped` (a carrier status counts as shipped);
 * - no line item requires shipping and the order is not a local pickup: nothing_to_ship;
 * - a local pickup without a carrier status was handed over (Shopify creates the fulfillment when it is picked up):
 *   `delivered`;
 * - a carrier status JoinChat has no word for: unknown_shipment_status;
 * - else its tracking status.
 */
export function fulfillmentRule(facts: FulfillmentFacts, history: FulfillmentHistory): FulfillmentRule {
  const status = lower(facts.fulfillmentStatus);
  const shipment = lower(facts.shipmentStatus);
  if (FAILED_STATUSES.has(status)) return { push: false, reason: SKIP_REASONS.fulfillmentFailed, detail: status, status: null };
  if (status === "cancelled") {
    return history.buyerTold ? { push: true, status: "cancelled" } : { push: false, reason: SKIP_REASONS.buyerNotTold, detail: null, status: "cancelled" };
  }
  if (shipment === "" && status !== "success") {
    const detail = NOT_SHIPPED_STATUSES.has(status) ? status : (facts.fulfillmentStatus ?? null);
    return { push: false, reason: SKIP_REASONS.notShippedYet, detail, status: null };
  }
  if (!facts.shipsGoods && !history.localPickup) return { push: false, reason: SKIP_REASONS.nothingToShip, detail: null, status: null };
  if (history.localPickup && shipment === "") return { push: true, status: "delivered" };
  if (facts.trackingStatus === null) return { push: false, reason: SKIP_REASONS.unknownShipmentStatus, detail: facts.shipmentStatus, status: null };
  return { push: true, status: facts.trackingStatus };
}
