import { reasonCode } from "../pushes/skip-reasons";
import type { MessageKey } from "../i18n/en";

/** The message key naming a JoinChat topic for a merchant. */
export function topicKey(topic: string): MessageKey {
  switch (topic) {
    case "Order/Receipt":
      return "topic.receipt";
    case "Order/Unpaid":
      return "topic.unpaid";
    case "package/update":
      return "topic.package";
    default:
      return "topic.unknown";
  }
}

/** The message key of a tracking status. */
export function trackingKey(status: string): MessageKey {
  return `tracking.${status}` as MessageKey;
}

/** The message key of a skip reason recorded on a push, or null for a reason the catalog does not know. */
export function reasonKey(reason: string): MessageKey | null {
  const code = reasonCode(reason);
  return code ? (`reason.${code}` as MessageKey) : null;
}
