import type { MessageKey } from "../i18n/en";
import { isReasonCode } from "../pushes/reasons";

/** The message key naming a JoinChat topic for a merchant. */
export function topicKey(topic: string): MessageKey {
  switch (topic) {
    case "Order/Receipt":
      return "topic.receipt";
    case "Order/Unpaid":
      return "topic.unpaid";
    case "package/update":
      return "topic.package";
    case "Notice/OrderCancelled":
      return "topic.cancelNotice";
    case "Notice/RefundIssued":
      return "topic.refundNotice";
    default:
      return "topic.unknown";
  }
}

/** The message key of a tracking status. */
export function trackingKey(status: string): MessageKey {
  return `tracking.${status}` as MessageKey;
}

/** The message key of a reason code recorded on a push, or null for a code the catalog does not know. */
export function reasonKey(reason: string): MessageKey | null {
  return isReasonCode(reason) ? (`reason.${reason}` as MessageKey) : null;
}

/** A push's reason in the merchant's language, its detail in place of {detail}; an unknown code as it is; null for none. */
export function reasonText(
  t: (key: MessageKey, vars?: Record<string, string | number>) => string,
  push: { reason: string | null; reasonDetail?: string | null },
): string | null {
  if (!push.reason) return null;
  const key = reasonKey(push.reason);
  return key ? t(key, { detail: push.reasonDetail ?? "" }) : push.reason;
}
