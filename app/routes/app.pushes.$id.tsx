import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Link as RemixLink, useFetcher, useLoaderData, useNavigate } from "@remix-run/react";
import { Badge, Banner, Box, DataTable, DescriptionList, Layout, Page, Text } from "@shopify/polaris";
import { useEffect, useState } from "react";
import { deliverSoon } from "../admin/deliver-soon.server";
import { adminContext, intentOf, readJsonBody } from "../admin/request.server";
import { showToast } from "../components/app-bridge";
import { reasonKey, topicKey, trackingKey } from "../components/labels";
import { RouteError } from "../components/RouteError";
import { StatusBadge } from "../components/StatusBadge";
import { TitledCard } from "../components/TitledCard";
import { getPushDetail, PushActionError, resendPush, retryPush } from "../delivery/push-service.server";
import { formatDateTime, useI18n } from "../i18n/i18n";
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
  return json({
    ...detail,
    canRetry: detail.push.status === "failed" && !detail.redacted,
    canResend: detail.push.status === "delivered" && !detail.redacted,
  });
};

export const action = async ({ request, params }: ActionFunctionArgs) => {
  const { shop, runtime } = await adminContext(request);
  const id = pushIdOf(params.id);
  const body = await readJsonBody(request);
  const intent = intentOf(body, ["retry", "resend"] as const);
  try {
    if (intent === "retry") {
      const push = await retryPush(runtime.db, id, Date.now(), shop);
      await deliverSoon(runtime, [push.id]);
      return json({ ok: true as const, intent, pushId: push.id, code: null });
    }
    // A resend sends the buyer the same message again: only when asked for explicitly.
    if (body.confirm !== true) return json({ ok: false as const, intent, pushId: id, code: "confirm" }, { status: 400 });
    const push = await resendPush(runtime.db, id, Date.now(), shop);
    await deliverSoon(runtime, [push.id]);
    return json({ ok: true as const, intent, pushId: push.id, code: null });
  } catch (error) {
    if (error instanceof PushActionError) {
      return json({ ok: false as const, intent, pushId: id, code: error.code }, { status: error.code === "not_found" ? 404 : 409 });
    }
    throw error;
  }
};

const OUTCOME_KEYS: Record<string, MessageKey> = {
  delivered: "detail.outcome.delivered",
  failed: "detail.outcome.failed",
  retry: "detail.outcome.retry",
  interrupted: "detail.outcome.interrupted",
};

export default function PushDetail() {
  const { push, body, attempts, canRetry, canResend, redacted } = useLoaderData<typeof loader>();
  const { t } = useI18n();
  const navigate = useNavigate();
  const fetcher = useFetcher<typeof action>();
  const [confirmResend, setConfirmResend] = useState(false);
  const busy = fetcher.state !== "idle";

  useEffect(() => {
    if (fetcher.state !== "idle" || !fetcher.data) return;
    const data = fetcher.data;
    setConfirmResend(false);
    if (data.ok && data.intent === "resend") {
      showToast(t("detail.resent", { id: data.pushId }));
      navigate(`/app/pushes/${data.pushId}`);
    } else if (data.ok) {
      showToast(t("detail.retried"));
    } else {
      showToast(t(`detail.errors.${data.code ?? "invalid"}` as MessageKey), true);
    }
  }, [fetcher.state, fetcher.data]);

  const reason = push.reason ? (reasonKey(push.reason) ? t(reasonKey(push.reason)!) : push.reason) : null;
  const failedAnswer = fetcher.state === "idle" && fetcher.data && !fetcher.data.ok ? fetcher.data.code : null;

  const items = [
    { term: t("detail.topic"), description: t(topicKey(push.topic)) + (push.trackingStatus ? ` · ${t(trackingKey(push.trackingStatus))}` : "") },
    { term: t("detail.order"), description: push.orderName ?? "—" },
    { term: t("detail.recipient"), description: push.recipient },
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
            <Banner tone="critical" title={t(`detail.errors.${failedAnswer}` as MessageKey)} />
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
