import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Link as RemixLink, useFetcher, useLoaderData, useNavigate } from "@remix-run/react";
import { Badge, Banner, Box, DataTable, DescriptionList, Layout, Page, Text } from "@shopify/polaris";
import { useState } from "react";
import { z } from "zod";
import { answerRefusals, type RefusalCode } from "../admin/refusals.server";
import { adminContext, ConfirmSchema, readAction } from "../admin/request.server";
import { showToast } from "../components/app-bridge";
import { useFetcherAnswer } from "../components/hooks";
import { reasonText, topicKey, trackingKey } from "../components/labels";
import { RouteError } from "../components/RouteError";
import { StatusBadge } from "../components/StatusBadge";
import { TitledCard } from "../components/TitledCard";
import { getPushDetail, resendPush, retryPush } from "../delivery/push-service.server";
import { formatDateTime, useI18n } from "../i18n/i18n";
import { log } from "../logger.server";
import { maskBodyContacts, maskRecipient } from "../pushes/recipient";
import type { MessageKey } from "../i18n/en";

function pushIdOf(value: string | undefined): number {
  if (!value || !/^\d{1,12}$/.test(value)) throw new Response("Not found", { status: 404 });
  return Number(value);
}

export const loader = async ({ request, params }: LoaderFunctionArgs) => {
  const { shop, runtime } = await adminContext(request);
  const id = pushIdOf(params.id);
  // Another shop's push is "not found", never shown.
  const detail = await getPushDetail(runtime.db, id, shop);
  if (!detail) throw new Response("Not found", { status: 404 });
  // The buyer's contact is masked in the JSON shown; staff reveal it on purpose (?reveal=contact), and it is logged.
  const revealed = new URL(request.url).searchParams.get("reveal") === "contact" && detail.body !== null;
  if (revealed) log.info("push contact revealed", { shop, pushId: id });
  // JoinChat's recipient id is the buyer's PSID (decision 023): masked as the recipient is, in its answers too.
  const push =
    revealed || !detail.push.recipientId ? detail.push : { ...detail.push, recipientId: maskRecipient({ kind: "id", value: detail.push.recipientId }) };
  const attempts = revealed ? detail.attempts : detail.attempts.map((a) => ({ ...a, answer: a.answer === null ? null : maskBodyContacts(a.answer) }));
  return json({
    ...detail,
    push,
    attempts,
    body: detail.body === null || revealed ? detail.body : maskBodyContacts(detail.body),
    revealed,
    canRetry: detail.push.status === "failed" && !detail.redacted,
    canResend: detail.push.status === "delivered" && !detail.redacted,
  });
};

/** A resend sends the buyer the same message again: only when asked for explicitly. */
const INTENTS = { retry: z.object({}), resend: z.object({ confirm: ConfirmSchema }) };

export const action = async ({ request, params }: ActionFunctionArgs) => {
  const { shop, runtime } = await adminContext(request);
  const id = pushIdOf(params.id);
  return answerRefusals(async () => {
    const { intent } = await readAction(request, INTENTS);
    if (intent === "retry") {
      const push = await retryPush(runtime.db, id, Date.now(), shop);
      runtime.scheduler.queued([push]);
      return json({ ok: true as const, intent, pushId: push.id });
    }
    const push = await resendPush(runtime.db, id, Date.now(), shop);
    runtime.scheduler.queued([push]);
    return json({ ok: true as const, intent, pushId: push.id });
  });
};

const OUTCOME_KEYS: Record<string, MessageKey> = {
  delivered: "detail.outcome.delivered",
  failed: "detail.outcome.failed",
  retry: "detail.outcome.retry",
  interrupted: "detail.outcome.interrupted",
};

/** The page's message for a refusal; one the page's own requests cannot get (a malformed body) gets the general one. */
const REFUSAL_KEYS: Partial<Record<RefusalCode, MessageKey>> = {
  not_found: "detail.errors.not_found",
  not_failed: "detail.errors.not_failed",
  not_delivered: "detail.errors.not_delivered",
  redacted: "detail.errors.redacted",
  changed: "detail.errors.changed",
  confirm: "detail.errors.confirm",
  nothing_to_resend: "detail.errors.nothing_to_resend",
};
const refusalKey = (code: RefusalCode): MessageKey => REFUSAL_KEYS[code] ?? "detail.errors.invalid";

export default function PushDetail() {
  const { push, body, attempts, canRetry, canResend, redacted, revealed } = useLoaderData<typeof loader>();
  const { t } = useI18n();
  const navigate = useNavigate();
  const fetcher = useFetcher<typeof action>();
  const [confirmResend, setConfirmResend] = useState(false);
  const busy = fetcher.state !== "idle";

  useFetcherAnswer(fetcher, (data) => {
    setConfirmResend(false);
    if (data.ok && data.intent === "resend") {
      showToast(t("detail.resent", { id: data.pushId }));
      navigate(`/app/pushes/${data.pushId}`);
    } else if (data.ok) {
      showToast(t("detail.retried"));
    } else {
      showToast(t(refusalKey(data.error)), true);
    }
  });

  const reason = reasonText(t, push);
  const failedAnswer = fetcher.state === "idle" && fetcher.data && !fetcher.data.ok ? fetcher.data.error : null;

  const items = [
    { term: t("detail.topic"), description: t(topicKey(push.topic)) + (push.trackingStatus ? ` · ${t(trackingKey(push.trackingStatus))}` : "") },
    { term: t("detail.order"), description: push.orderName ?? "—" },
    { term: t("detail.recipient"), description: push.recipient },
    ...(push.recipientSource
      ? [{ term: t("pushes.recipientSource.label"), description: t(`pushes.recipientSource.${push.recipientSource}` as MessageKey) }]
      : []),
    { term: t("detail.status"), description: <StatusBadge status={push.status} /> },
    ...(reason ? [{ term: t("detail.reason"), description: reason }] : []),
    { term: t("detail.attempts"), description: String(push.attempts) },
    ...(push.lastError ? [{ term: t("detail.lastError"), description: push.lastError }] : []),
    ...(push.lastHttpStatus !== null ? [{ term: t("detail.httpStatus"), description: String(push.lastHttpStatus) }] : []),
    ...(push.recipientId ? [{ term: t("detail.recipientId"), description: push.recipientId }] : []),
    { term: t("detail.created"), description: formatDateTime(push.createdAt) },
    ...(push.status === "queued" || push.status === "retrying" ? [{ term: t("detail.due"), description: formatDateTime(push.dueAt) }] : []),
    ...(push.deliveredAt ? [{ term: t("detail.delivered"), description: formatDateTime(push.deliveredAt) }] : []),
    { term: t("detail.updated"), description: formatDateTime(push.updatedAt) },
    ...(push.resendOf !== null
      ? [
          {
            term: t("detail.resendOf"),
            description: (
              <RemixLink to={`/app/pushes/${push.resendOf}`} style={{ color: "var(--p-color-text-link, #005bd3)" }}>
                #{push.resendOf}
              </RemixLink>
            ),
          },
        ]
      : []),
  ];

  const attemptRows = attempts.map((a) => [
    String(a.number),
    formatDateTime(a.startedAt),
    OUTCOME_KEYS[a.outcome] ? t(OUTCOME_KEYS[a.outcome]) : a.outcome,
    a.httpStatus === null ? "—" : String(a.httpStatus),
    `${a.durationMs} ms`,
    <div key="answer" style={{ maxWidth: 360, whiteSpace: "pre-wrap", overflowWrap: "anywhere", fontFamily: "monospace", fontSize: 12 }}>
      {a.answer ?? "—"}
    </div>,
    <div key="error" style={{ maxWidth: 240, whiteSpace: "normal", overflowWrap: "anywhere" }}>
      {a.error ?? ""}
    </div>,
  ]);

  return (
    <Page
      title={t("detail.title", { id: push.id })}
      titleMetadata={
        <>
          <StatusBadge status={push.status} /> {push.testPush && <Badge tone="magic">{t("pushes.testPush")}</Badge>}
          {push.testOrder && <Badge>{t("pushes.testOrder")}</Badge>}
        </>
      }
      subtitle={`${t(topicKey(push.topic))}${push.orderName ? ` · ${push.orderName}` : ""}`}
      backAction={{ content: t("pushes.title"), url: "/app/pushes" }}
      primaryAction={
        canRetry
          ? { content: t("detail.retry"), loading: busy, onAction: () => fetcher.submit({ intent: "retry" }, { method: "post", encType: "application/json" }) }
          : canResend
            ? { content: t("detail.resend"), disabled: busy || confirmResend, onAction: () => setConfirmResend(true) }
            : undefined
      }
    >
      <Layout>
        {confirmResend && (
          <Layout.Section>
            <Banner
              tone="warning"
              title={t("detail.resendConfirm")}
              action={{
                content: t("detail.resendYes"),
                loading: busy,
                onAction: () => fetcher.submit({ intent: "resend", confirm: true }, { method: "post", encType: "application/json" }),
              }}
              secondaryAction={{ content: t("common.cancel"), onAction: () => setConfirmResend(false) }}
              onDismiss={() => setConfirmResend(false)}
            >
              <Text as="p">{t("detail.resendExplain")}</Text>
            </Banner>
          </Layout.Section>
        )}
        {failedAnswer && (
          <Layout.Section>
            <Banner tone="critical" title={t(refusalKey(failedAnswer))} />
          </Layout.Section>
        )}
        {redacted && (
          <Layout.Section>
            <Banner tone="info" title={t("detail.redacted")} />
          </Layout.Section>
        )}
        {(push.status === "skipped" || push.status === "cancelled") && reason && (
          <Layout.Section>
            <Banner tone="info" title={t("detail.notSent", { reason })} />
          </Layout.Section>
        )}
        <Layout.Section>
          <TitledCard title={t("detail.summary")}>
            <DescriptionList items={items} gap="tight" />
          </TitledCard>
        </Layout.Section>
        <Layout.Section>
          <TitledCard title={t("detail.body")}>
            {body ? (
              <Box paddingBlockEnd="200">
                <RemixLink to={revealed ? "?" : "?reveal=contact"} replace style={{ color: "var(--p-color-text-link, #005bd3)" }}>
                  {revealed ? t("detail.hideContact") : t("detail.revealContact")}
                </RemixLink>
              </Box>
            ) : null}
            {body ? (
              <Box background="bg-surface-secondary" padding="300" borderRadius="200">
                <pre
                  aria-label={t("detail.body")}
                  style={{ margin: 0, whiteSpace: "pre-wrap", overflowWrap: "anywhere", fontFamily: "monospace", fontSize: 12 }}
                >
                  {body}
                </pre>
              </Box>
            ) : (
              <Text as="p" tone="subdued">
                {push.status === "skipped" || push.status === "cancelled" ? t("detail.bodyNotSent") : t("detail.bodyNotYet")}
              </Text>
            )}
          </TitledCard>
        </Layout.Section>
        <Layout.Section>
          <TitledCard title={t("detail.attemptsTitle")}>
            {attemptRows.length > 0 ? (
              <DataTable
                columnContentTypes={["numeric", "text", "text", "numeric", "numeric", "text", "text"]}
                headings={[
                  t("detail.attempt.number"),
                  t("detail.attempt.time"),
                  t("detail.attempt.outcome"),
                  t("detail.attempt.http"),
                  t("detail.attempt.duration"),
                  t("detail.attempt.answer"),
                  t("detail.attempt.error"),
                ]}
                rows={attemptRows}
                increasedTableDensity
              />
            ) : (
              <Text as="p" tone="subdued">
                {t("detail.noAttempts")}
              </Text>
            )}
          </TitledCard>
        </Layout.Section>
      </Layout>
    </Page>
  );
}

export function ErrorBoundary() {
  return <RouteError titleKey="pushes.detail.title" />;
}
