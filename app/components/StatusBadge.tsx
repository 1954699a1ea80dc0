import { Badge } from "@shopify/polaris";
import type { PushStatus } from "../pushes/push-status";
import { useI18n } from "../i18n/i18n";
import type { MessageKey } from "../i18n/en";

type BadgeTone = "info" | "success" | "critical" | "attention" | "warning" | undefined;
type BadgeProgress = "incomplete" | "partiallyComplete" | "complete" | undefined;

const LOOK: Record<PushStatus, { tone: BadgeTone; progress: BadgeProgress }> = {
  queued: { tone: "info", progress: "incomplete" },
  sending: { tone: "info", progress: "partiallyComplete" },
  delivered: { tone: "success", progress: "complete" },
  retrying: { tone: "attention", progress: "partiallyComplete" },
  failed: { tone: "critical", progress: "incomplete" },
  skipped: { tone: undefined, progress: undefined },
  cancelled: { tone: undefined, progress: undefined },
};

export function statusKey(status: PushStatus): MessageKey {
  return `status.${status}` as MessageKey;
}

/** A push's status as a Polaris badge; the label is read out as it is shown (no extra tone words). */
export function StatusBadge({ status }: { status: PushStatus }) {
  const { t } = useI18n();
  const look = LOOK[status] ?? { tone: undefined, progress: undefined };
  const label = t(statusKey(status));
  return (
    <Badge tone={look.tone} progress={look.progress} toneAndProgressLabelOverride={label}>
      {label}
    </Badge>
  );
}
