// Why a push was not sent. Each is recorded on the push row so a merchant can see it.
export const SKIP_REASONS = {
  pageNotLinked: "page not linked",
  pushTypeOff: "push type off",
  noRecipient: "no recipient",
  duplicate: "duplicate",
  cancelled: "cancelled",
  testOrder: "test order",
  paused: "pushes paused",
  alreadyPaid: "already paid",
  staleUpdate: "stale update",
  statusBackwards: "status went backwards",
  unknownShipmentStatus: "unknown shipment status",
  statusNotPushed: "tracking status not pushed",
} as const;

export type SkipReason = (typeof SKIP_REASONS)[keyof typeof SKIP_REASONS];
