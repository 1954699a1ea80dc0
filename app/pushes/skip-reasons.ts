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
  /** Why an unpaid reminder was cancelled (not skipped): the order was paid first. */
  paidBeforeReminder: "order paid before the reminder went out",
} as const;

export type SkipReason = (typeof SKIP_REASONS)[keyof typeof SKIP_REASONS];

export type SkipReasonCode = keyof typeof SKIP_REASONS;

/**
 * The stable code of a reason recorded on a push (`pageNotLinked`…), for the admin and the order page block to
 * name it in the merchant's language; null for a reason none of them knows. "unknown shipment status" is
 * recorded with the status after it.
 */
export function reasonCode(reason: string | null): SkipReasonCode | null {
  if (!reason) return null;
  for (const [code, text] of Object.entries(SKIP_REASONS) as [SkipReasonCode, string][]) {
    if (reason === text || (code === "unknownShipmentStatus" && reason.startsWith(`${text} `))) return code;
  }
  return null;
}
