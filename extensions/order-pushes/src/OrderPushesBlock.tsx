// The block on the Shopify admin's order page (admin.order-details.block.render): the order's Messenger pushes,
// newest first, a resend of the receipt or of the latest shipping update (confirmed first), and what JoinChat
// answered. Preact with Shopify's web components (decision 007); everything it shows comes from the app's route.
import { render } from "preact";
import { useCallback, useEffect, useState } from "preact/hooks";
import type { OrderPushesAnswer, OrderPushView } from "../../../app/pushes/order-pushes-contract";
import { actOnOrderPushes, AppRequestError, loadOrderPushes, newRequestId, orderIdOf } from "./app-api";

export default async () => {
  render(<OrderPushesBlock />, document.body);
};

/** How often the block asks again while a push it sent waits for JoinChat's answer, and for how long. */
export const POLL_MS = 1000;
export const MAX_POLLS = 45;

type ResendKind = "receipt" | "shippingUpdate";
type BadgeTone = "neutral" | "info" | "success" | "warning" | "critical";

const STATUS_TONE: Record<OrderPushView["status"], BadgeTone> = {
  queued: "info",
  sending: "info",
  delivered: "success",
  retrying: "warning",
  failed: "critical",
  skipped: "neutral",
  cancelled: "neutral",
};

const TOPIC_KEY: Record<string, string> = {
  "Order/Receipt": "topic.receipt",
  "Order/Unpaid": "topic.unpaid",
  "package/update": "topic.package",
  "Notice/OrderCancelled": "topic.cancelNotice",
  "Notice/RefundIssued": "topic.refundNotice",
};

const PENDING = new Set<OrderPushView["status"]>(["queued", "sending"]);

type ListState = { state: "loading" } | { state: "error"; code: string } | { state: "ready"; data: OrderPushesAnswer };

/** The push the merchant sent (a resend or a retry), followed until JoinChat answers. */
interface Followed {
  pushId: number;
  polls: number;
}

const t = (key: string, options?: Record<string, string | number>) => shopify.i18n.translate(key, options);
const idToken = () => shopify.auth.idToken();

/** A message built from a value the app sent (a status, a code): `fallback` when the locale files lack it. */
function tOr(key: string, fallback: string, options?: Record<string, string | number>): string {
  try {
    const text = t(key, options);
    return text && text !== key ? text : fallback;
  } catch {
    return fallback;
  }
}

function errorText(code: string): string {
  return tOr(`errors.${code}`, t("errors.invalid"));
}

function trackingText(status: string): string {
  return tOr(`tracking.${status}`, status);
}

function when(ms: number): string {
  return shopify.i18n.formatDate(new Date(ms), { dateStyle: "medium", timeStyle: "short" });
}

function topicLabel(push: Pick<OrderPushView, "topic" | "trackingStatus">): string {
  const topic = t(TOPIC_KEY[push.topic] ?? "topic.other");
  return push.trackingStatus ? `${topic} · ${trackingText(push.trackingStatus)}` : topic;
}

function reasonText(push: OrderPushView): string | null {
  if (push.reasonCode) return tOr(`reason.${push.reasonCode}`, push.reason ?? push.reasonCode, { detail: push.reasonDetail ?? "" });
  return push.reason;
}

export function OrderPushesBlock() {
  const orderId = orderIdOf(shopify.data.selected[0]?.id);
  const [list, setList] = useState<ListState>({ state: "loading" });
  const [confirming, setConfirming] = useState<{ kind: ResendKind; requestId: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const [followed, setFollowed] = useState<Followed | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);

  const reload = useCallback(async () => {
    if (!orderId) return;
    try {
      const data = await loadOrderPushes(orderId, idToken);
      setList({ state: "ready", data });
    } catch (error) {
      const code = error instanceof AppRequestError ? error.code : "network";
      // A failed poll keeps the list the merchant is looking at; only a first load without an answer is an error.
      setList((shown) => (shown.state === "ready" ? shown : { state: "error", code }));
    }
  }, [orderId]);

  useEffect(() => {
    void reload();
  }, [reload]);

  const followedPush = followed && list.state === "ready" ? list.data.pushes.find((p) => p.id === followed.pushId) : undefined;
  const waiting = followed !== null && followed.polls < MAX_POLLS && (!followedPush || PENDING.has(followedPush.status));

  // While the push just sent waits for JoinChat, ask the app again.
  useEffect(() => {
    if (!waiting) return;
    const timer = setTimeout(() => {
      setFollowed((f) => (f ? { ...f, polls: f.polls + 1 } : f));
      void reload();
    }, POLL_MS);
    return () => clearTimeout(timer);
  }, [waiting, followed?.polls, reload]);

  async function act(request: Parameters<typeof actOnOrderPushes>[2]) {
    if (!orderId || busy) return;
    setBusy(true);
    setActionError(null);
    try {
      const answer = await actOnOrderPushes(orderId, idToken, request);
      setFollowed({ pushId: answer.push.id, polls: 0 });
      setConfirming(null);
      await reload();
    } catch (error) {
      const code = error instanceof AppRequestError ? error.code : "network";
      // Without an answer the app may have stored the resend: the confirmation stays, with the same request id, so
      // that "Send again" finds that push instead of sending the buyer a second one.
      if (code !== "network") setConfirming(null);
      setActionError(errorText(code));
    } finally {
      setBusy(false);
    }
  }

  if (!orderId) {
    return (
      <s-admin-block heading={t("heading")}>
        <s-paragraph>{t("noOrder")}</s-paragraph>
      </s-admin-block>
    );
  }

  if (list.state === "loading") {
    return (
      <s-admin-block heading={t("heading")}>
        <s-stack direction="inline" alignItems="center" gap="small">
          <s-spinner accessibilityLabel={t("loading")} />
          <s-text color="subdued">{t("loading")}</s-text>
        </s-stack>
      </s-admin-block>
    );
  }

  if (list.state === "error") {
    return (
      <s-admin-block heading={t("heading")}>
        <s-banner tone="critical" heading={t("loadError.heading")}>
          <s-paragraph>{errorText(list.code)}</s-paragraph>
          <s-button slot="secondary-actions" onClick={() => void reload()}>
            {t("loadError.tryAgain")}
          </s-button>
        </s-banner>
      </s-admin-block>
    );
  }

  const { pushes, resend, more, orderName } = list.data;
  const summary = pushes.length === 0 ? t("empty") : t("summary", { count: pushes.length });

  return (
    <s-admin-block heading={t("heading")} collapsedSummary={summary}>
      <s-stack direction="block" gap="base">
        {actionError && (
          <s-banner tone="critical" data-banner="action-error" dismissible onDismiss={() => setActionError(null)}>
            <s-paragraph>{actionError}</s-paragraph>
          </s-banner>
        )}
        {followed && (
          <Outcome push={followedPush} timedOut={!waiting && (!followedPush || PENDING.has(followedPush.status))} onDismiss={() => setFollowed(null)} />
        )}
        {confirming && (
          <s-banner tone="warning" heading={t("confirm.heading")} data-banner="confirm">
            <s-paragraph>
              {confirming.kind === "receipt"
                ? t("confirm.receipt")
                : t("confirm.shippingUpdate", {
                    status: resend.shippingUpdate?.trackingStatus ? trackingText(resend.shippingUpdate.trackingStatus) : t("topic.package"),
                  })}
            </s-paragraph>
            <s-button
              slot="secondary-actions"
              variant="primary"
              data-action="confirm"
              loading={busy}
              disabled={busy}
              onClick={() =>
                void act({
                  intent: confirming.kind === "receipt" ? "resend-receipt" : "resend-shipping-update",
                  confirm: true,
                  requestId: confirming.requestId,
                })
              }
            >
              {t("confirm.send")}
            </s-button>
            <s-button slot="secondary-actions" data-action="cancel" disabled={busy} onClick={() => setConfirming(null)}>
              {t("confirm.cancel")}
            </s-button>
          </s-banner>
        )}

        {pushes.length === 0 ? (
          <s-stack direction="block" gap="small-200">
            <s-text type="strong">{t("empty")}</s-text>
            <s-text color="subdued">{t("emptyHint")}</s-text>
          </s-stack>
        ) : (
          <s-stack direction="block" gap="small">
            {pushes.map((push) => (
              <PushItem key={push.id} push={push} busy={busy} onRetry={() => void act({ intent: "retry", pushId: push.id })} />
            ))}
            {more && (
              <s-stack direction="inline" gap="small" alignItems="center">
                <s-text color="subdued">{t("more")}</s-text>
                {orderName && (
                  <s-link href={`/app/pushes?q=${encodeURIComponent(orderName)}`} data-link="delivery-log">
                    {t("allInLog")}
                  </s-link>
                )}
              </s-stack>
            )}
          </s-stack>
        )}

        {(resend.receipt || resend.shippingUpdate) && (
          <s-button-group>
            {resend.receipt && (
              <s-button
                slot="secondary-actions"
                data-action="resend-receipt"
                disabled={busy || confirming !== null}
                onClick={() => setConfirming({ kind: "receipt", requestId: newRequestId() })}
              >
                {t("actions.resendReceipt")}
              </s-button>
            )}
            {resend.shippingUpdate && (
              <s-button
                slot="secondary-actions"
                data-action="resend-shipping-update"
                disabled={busy || confirming !== null}
                onClick={() => setConfirming({ kind: "shippingUpdate", requestId: newRequestId() })}
              >
                {t("actions.resendShippingUpdate")}
              </s-button>
            )}
          </s-button-group>
        )}
      </s-stack>
    </s-admin-block>
  );
}

function PushItem({ push, busy, onRetry }: { push: OrderPushView; busy: boolean; onRetry: () => void }) {
  const reason = push.status === "skipped" || push.status === "cancelled" ? reasonText(push) : null;
  return (
    <s-box data-push-id={String(push.id)} padding="small-100" borderWidth="base" borderRadius="base">
      <s-stack direction="block" gap="small-300">
        <s-stack direction="inline" gap="small" alignItems="center" justifyContent="space-between">
          <s-text type="strong">{topicLabel(push)}</s-text>
          <s-badge tone={STATUS_TONE[push.status] ?? "neutral"}>{tOr(`status.${push.status}`, push.status)}</s-badge>
        </s-stack>
        <s-text color="subdued">
          {when(push.deliveredAt ?? push.createdAt)} · {t("push.to", { recipient: push.recipient })}
        </s-text>
        {push.joinchatMessage && <s-text tone="critical">{t("push.joinchat", { message: push.joinchatMessage })}</s-text>}
        {push.status === "retrying" && push.dueAt !== null && <s-text color="subdued">{t("push.nextTry", { time: when(push.dueAt) })}</s-text>}
        {reason && <s-text color="subdued">{reason}</s-text>}
        {push.resendOf !== null && <s-text color="subdued">{t("push.resendOf", { id: push.resendOf })}</s-text>}
        <s-stack direction="inline" gap="small" alignItems="center">
          <s-link href={push.path}>{t("push.details")}</s-link>
          {push.status === "failed" && (
            <s-button variant="tertiary" data-action="retry" disabled={busy} onClick={onRetry}>
              {t("push.retry")}
            </s-button>
          )}
        </s-stack>
      </s-stack>
    </s-box>
  );
}

/** What became of the push the merchant sent: waiting, delivered, refused, to be tried again, or not sent. */
function Outcome({ push, timedOut, onDismiss }: { push: OrderPushView | undefined; timedOut: boolean; onDismiss: () => void }) {
  let tone: "info" | "success" | "warning" | "critical" = "info";
  let text = t(timedOut ? "outcome.stillPending" : "outcome.pending");
  if (push?.status === "delivered") {
    tone = "success";
    text = t("outcome.delivered");
  } else if (push?.status === "failed") {
    tone = "critical";
    text = t("outcome.failed", { message: push.joinchatMessage ?? "" });
  } else if (push?.status === "retrying") {
    tone = "warning";
    text = t("outcome.retrying", { message: push.joinchatMessage ?? "", time: push.dueAt === null ? "" : when(push.dueAt) });
  } else if (push?.status === "skipped" || push?.status === "cancelled") {
    tone = "warning";
    text = t("outcome.notSent", { reason: reasonText(push) ?? "" });
  }
  return (
    <s-banner
      tone={tone}
      heading={push ? topicLabel(push) : undefined}
      data-banner="outcome"
      data-outcome={push?.status ?? "pending"}
      dismissible
      onDismiss={onDismiss}
    >
      <s-paragraph>{text}</s-paragraph>
    </s-banner>
  );
}
