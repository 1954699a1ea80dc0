import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { useFetcher, useLoaderData, useNavigation, useSearchParams } from "@remix-run/react";
import {
  Badge,
  Banner,
  BlockStack,
  Button,
  Card,
  ChoiceList,
  Filters,
  IndexTable,
  InlineStack,
  Layout,
  Link,
  Page,
  Text,
  useBreakpoints,
} from "@shopify/polaris";
import { useEffect, useMemo, useRef, useState } from "react";
import { LOG_TOPICS, LogFilterBodySchema, logFilterFromSearch, searchWithFilter, type LogFilter } from "../admin/push-filter";
import { answerRefusals } from "../admin/refusals.server";
import { adminContext, ConfirmSchema, readAction } from "../admin/request.server";
import { showToast } from "../components/app-bridge";
import { useFetcherAnswer, useLatest } from "../components/hooks";
import { reasonText, topicKey, trackingKey } from "../components/labels";
import type { MessageKey } from "../i18n/en";
import { RouteError } from "../components/RouteError";
import { StatusBadge, statusKey } from "../components/StatusBadge";
import { PUSH_STATUSES, type PushStatus } from "../pushes/push-status";
import { countPushes, listPushPage, parseCursor, retryFailedPushes, type PushFilter } from "../delivery/push-service.server";
import { formatDateTime, formatNumber, useI18n } from "../i18n/i18n";

const PAGE_SIZE = 50;

function serviceFilter(shop: string, filter: LogFilter): PushFilter {
  return {
    shop,
    status: filter.status.length ? filter.status : undefined,
    topic: filter.topic.length ? filter.topic : undefined,
    orderName: filter.q || undefined,
  };
}

export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { shop, runtime } = await adminContext(request);
  const search = new URL(request.url).searchParams;
  const filter = logFilterFromSearch(search);
  const base = serviceFilter(shop, filter);
  const cursor = parseCursor(search.get("before"), "older") ?? parseCursor(search.get("after"), "newer");
  const failedFilter = !filter.status.length || filter.status.includes("failed");
  const [page, total, failed] = await Promise.all([
    listPushPage(runtime.db, { ...base, cursor }, PAGE_SIZE),
    countPushes(runtime.db, base),
    failedFilter ? countPushes(runtime.db, { ...base, status: ["failed"] }) : Promise.resolve(0),
  ]);
  // Only what the table shows: recipients stay masked (JoinChat's recipient id is the buyer's PSID).
  const pushes = page.pushes.map((p) => ({
    id: p.id,
    topic: p.topic,
    status: p.status,
    reason: p.reason,
    reasonDetail: p.reasonDetail,
    orderName: p.orderName,
    trackingStatus: p.trackingStatus,
    recipient: p.recipient,
    recipientSource: p.recipientSource,
    attempts: p.attempts,
    lastError: p.lastError,
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
    deliveredAt: p.deliveredAt,
    testPush: p.testPush,
    testOrder: p.testOrder,
  }));
  return json({ filter, page: { ...page, pushes }, total, failed });
};

const INTENTS = { retryAll: LogFilterBodySchema.extend({ confirm: ConfirmSchema }) };

export const action = async ({ request }: ActionFunctionArgs) => {
  const { shop, runtime } = await adminContext(request);
  return answerRefusals(async () => {
    const { body: filter } = await readAction(request, INTENTS);
    const result = await retryFailedPushes(runtime.db, serviceFilter(shop, filter));
    runtime.scheduler.queued(result.retried);
    return json({ ok: true as const, retried: result.retried.length, refused: result.refused, remaining: result.remaining });
  });
};

function useDebounced<T>(value: T, ms: number): T {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setDebounced(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return debounced;
}

export default function PushLog() {
  const { filter, page, total, failed } = useLoaderData<typeof loader>();
  const { t } = useI18n();
  const navigation = useNavigation();
  const [searchParams, setSearchParams] = useSearchParams();
  const retryFetcher = useFetcher<typeof action>();
  const [confirming, setConfirming] = useState(false);
  const [query, setQuery] = useState(filter.q);
  const debouncedQuery = useDebounced(query, 400);
  const { smDown } = useBreakpoints();
  const loading = navigation.state === "loading" && navigation.location?.pathname === "/app/pushes";

  const applyFilter = (next: LogFilter) => setSearchParams(searchWithFilter(searchParams, next), { replace: true, preventScrollReset: true });

  // The search box follows the URL (back, clear all) and the URL follows the box, a moment after typing stops.
  const lastApplied = useRef(filter.q);
  useEffect(() => {
    if (filter.q !== lastApplied.current) {
      lastApplied.current = filter.q;
      setQuery(filter.q);
    }
  }, [filter.q]);
  // Only a settled query applies the filter: the URL's own changes (back, clear all) must not re-apply an old one.
  const applyQuery = useLatest((q: string) => {
    if (q !== filter.q) {
      lastApplied.current = q;
      applyFilter({ ...filter, q });
    }
  });
  useEffect(() => applyQuery.current(debouncedQuery.trim()), [debouncedQuery, applyQuery]);

  useFetcherAnswer(retryFetcher, (data) => {
    setConfirming(false);
    if (data.ok) {
      const count = data.retried;
      showToast(count === 1 ? t("pushes.retryAll.doneOne") : t("pushes.retryAll.done", { count: formatNumber(count) }));
    }
  });

  const statusChoices = useMemo(() => PUSH_STATUSES.map((s) => ({ label: t(statusKey(s)), value: s })), [t]);
  const topicChoices = useMemo(() => LOG_TOPICS.map((tp) => ({ label: t(topicKey(tp)), value: tp })), [t]);

  const filters = [
    {
      key: "status",
      label: t("pushes.filter.status"),
      pinned: true,
      filter: (
        <ChoiceList
          title={t("pushes.filter.status")}
          titleHidden
          allowMultiple
          choices={statusChoices}
          selected={filter.status}
          onChange={(selected) => applyFilter({ ...filter, status: selected as PushStatus[] })}
        />
      ),
      shortcut: true,
    },
    {
      key: "topic",
      label: t("pushes.filter.topic"),
      pinned: true,
      filter: (
        <ChoiceList
          title={t("pushes.filter.topic")}
          titleHidden
          allowMultiple
          choices={topicChoices}
          selected={filter.topic}
          onChange={(selected) => applyFilter({ ...filter, topic: selected as LogFilter["topic"] })}
        />
      ),
      shortcut: true,
    },
  ];
  const appliedFilters = [
    ...(filter.status.length
      ? [
          {
            key: "status",
            label: `${t("pushes.filter.status")}: ${filter.status.map((s) => t(statusKey(s))).join(", ")}`,
            onRemove: () => applyFilter({ ...filter, status: [] }),
          },
        ]
      : []),
    ...(filter.topic.length
      ? [
          {
            key: "topic",
            label: `${t("pushes.filter.topic")}: ${filter.topic.map((tp) => t(topicKey(tp))).join(", ")}`,
            onRemove: () => applyFilter({ ...filter, topic: [] }),
          },
        ]
      : []),
  ];

  const filtered = filter.status.length > 0 || filter.topic.length > 0 || filter.q !== "";
  const goTo = (key: "before" | "after", cursor: string) => {
    const next = new URLSearchParams(searchParams);
    next.delete("before");
    next.delete("after");
    next.set(key, cursor);
    setSearchParams(next, { preventScrollReset: false });
  };

  const rows = page.pushes.map((push, index) => {
    // A failure the app decided (no secret, retries given up) is named before what JoinChat last answered.
    const note = [reasonText(t, push), push.status === "skipped" || push.status === "cancelled" ? null : push.lastError].filter(Boolean).join(": ");
    return (
      <IndexTable.Row id={String(push.id)} key={push.id} position={index}>
        <IndexTable.Cell>
          <InlineStack gap="100" blockAlign="center" wrap={false}>
            {/* The row's link: keyboard and screen reader users open the push from here. */}
            <Link url={`/app/pushes/${push.id}`} dataPrimaryLink removeUnderline monochrome>
              <Text as="span" variant="bodyMd" fontWeight="semibold">
                {push.orderName ?? t("detail.title", { id: push.id })}
              </Text>
            </Link>
            {push.testPush && <Badge tone="magic">{t("pushes.testPush")}</Badge>}
            {push.testOrder && <Badge>{t("pushes.testOrder")}</Badge>}
          </InlineStack>
        </IndexTable.Cell>
        <IndexTable.Cell>
          {t(topicKey(push.topic))}
          {push.trackingStatus ? ` · ${t(trackingKey(push.trackingStatus))}` : ""}
        </IndexTable.Cell>
        <IndexTable.Cell>
          {push.recipient}
          {push.recipientSource ? (
            <Text as="span" tone="subdued">
              {` · ${t(`pushes.recipientSource.${push.recipientSource}` as MessageKey)}`}
            </Text>
          ) : null}
        </IndexTable.Cell>
        <IndexTable.Cell>
          <StatusBadge status={push.status} />
        </IndexTable.Cell>
        <IndexTable.Cell>
          <Text as="span" alignment="end" numeric>
            {push.attempts}
          </Text>
        </IndexTable.Cell>
        <IndexTable.Cell>
          <div style={{ maxWidth: 280, whiteSpace: "normal", overflowWrap: "anywhere" }}>
            <Text as="span" tone={push.status === "failed" || push.status === "retrying" ? "critical" : "subdued"} variant="bodySm">
              {note ?? ""}
            </Text>
          </div>
        </IndexTable.Cell>
        <IndexTable.Cell>
          <Text as="span" variant="bodySm">
            {formatDateTime(push.createdAt)}
          </Text>
        </IndexTable.Cell>
        <IndexTable.Cell>
          <Text as="span" variant="bodySm">
            {formatDateTime(push.deliveredAt ?? push.updatedAt)}
          </Text>
        </IndexTable.Cell>
      </IndexTable.Row>
    );
  });

  const emptyState = (
    <BlockStack gap="200" inlineAlign="center">
      <div style={{ padding: "48px 16px", textAlign: "center" }}>
        <BlockStack gap="200" inlineAlign="center">
          <Text as="p" variant="headingMd">
            {filtered ? t("pushes.empty.filteredTitle") : t("pushes.empty.title")}
          </Text>
          <Text as="p" tone="subdued">
            {filtered ? t("pushes.empty.filteredBody") : t("pushes.empty.body")}
          </Text>
          {filtered ? (
            <Button onClick={() => applyFilter({ status: [], topic: [], q: "" })}>{t("pushes.filter.clear")}</Button>
          ) : (
            <Button url="/app/test-push">{t("home.actions.test")}</Button>
          )}
        </BlockStack>
      </div>
    </BlockStack>
  );

  return (
    <Page
      title={t("pushes.title")}
      subtitle={total === 1 ? t("pushes.subtitleOne") : t("pushes.subtitle", { count: formatNumber(total) })}
      backAction={{ content: t("nav.home"), url: "/app" }}
      primaryAction={{
        content: t("pushes.retryAll.button", { count: formatNumber(failed) }),
        disabled: failed === 0 || retryFetcher.state !== "idle",
        onAction: () => setConfirming(true),
      }}
    >
      <Layout>
        {confirming && (
          <Layout.Section>
            <Banner
              tone="warning"
              title={
                failed === 1
                  ? t(filtered ? "pushes.retryAll.confirmFilteredOne" : "pushes.retryAll.confirmOne")
                  : t(filtered ? "pushes.retryAll.confirmFiltered" : "pushes.retryAll.confirm", { count: formatNumber(failed) })
              }
              action={{
                content: t("pushes.retryAll.yes", { count: formatNumber(failed) }),
                loading: retryFetcher.state !== "idle",
                onAction: () => retryFetcher.submit({ intent: "retryAll", confirm: true, ...filter }, { method: "post", encType: "application/json" }),
              }}
              secondaryAction={{ content: t("common.cancel"), onAction: () => setConfirming(false) }}
              onDismiss={() => setConfirming(false)}
            >
              <Text as="p">{t("pushes.retryAll.explain")}</Text>
            </Banner>
          </Layout.Section>
        )}
        <Layout.Section>
          <Card padding="0">
            <Filters
              queryValue={query}
              queryPlaceholder={t("pushes.filter.search")}
              filters={filters}
              appliedFilters={appliedFilters}
              onQueryChange={setQuery}
              onQueryClear={() => setQuery("")}
              onClearAll={() => {
                setQuery("");
                applyFilter({ status: [], topic: [], q: "" });
              }}
              loading={loading}
            />
            <IndexTable
              resourceName={{ singular: t("pushes.resource.singular"), plural: t("pushes.resource.plural") }}
              itemCount={page.pushes.length}
              selectable={false}
              condensed={smDown}
              loading={loading}
              emptyState={emptyState}
              headings={[
                { title: t("pushes.col.order") },
                { title: t("pushes.col.topic") },
                { title: t("pushes.col.recipient") },
                { title: t("pushes.col.status") },
                { title: t("pushes.col.attempts"), alignment: "end" },
                { title: t("pushes.col.lastError") },
                { title: t("pushes.col.created") },
                { title: t("pushes.col.updated") },
              ]}
              pagination={{
                hasPrevious: page.newer !== null,
                hasNext: page.older !== null,
                onPrevious: () => page.newer && goTo("after", page.newer),
                onNext: () => page.older && goTo("before", page.older),
                accessibilityLabels: { previous: t("pushes.page.newer"), next: t("pushes.page.older") },
              }}
            >
              {rows}
            </IndexTable>
          </Card>
        </Layout.Section>
      </Layout>
    </Page>
  );
}

export function ErrorBoundary() {
  return <RouteError />;
}
