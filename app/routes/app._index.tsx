import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Link as RemixLink, useFetcher, useLoaderData, useRevalidator } from "@remix-run/react";
import {
  Badge,
  Banner,
  BlockStack,
  Box,
  Button,
  Card,
  DataTable,
  Form,
  FormLayout,
  InlineGrid,
  InlineStack,
  Layout,
  List,
  Page,
  Text,
  TextField,
} from "@shopify/polaris";
import { useEffect, useState } from "react";
import { z } from "zod";
import { answerRefusals } from "../admin/refusals.server";
import { adminContext, ConfirmSchema, readAction } from "../admin/request.server";
import { showToast } from "../components/app-bridge";
import { useFetcherAnswer } from "../components/hooks";
import { DeliveryChart } from "../components/DeliveryChart";
import { LookupCard } from "../components/LookupCard";
import { reasonText, topicKey } from "../components/labels";
import { RouteError } from "../components/RouteError";
import { StatusBadge } from "../components/StatusBadge";
import { TitledCard } from "../components/TitledCard";
import { getPushOverview } from "../delivery/push-overview.server";
import { getLookupOverview } from "../lookup/overview.server";
import { getOptinOverview } from "../lookup/messenger-optin.server";
import { rotateLookupKey, updateLookupSwitches } from "../lookup/setup.server";
import type { PushSummary } from "../delivery/push-service.server";
import { PUSH_STATUSES } from "../pushes/push-status";
import { formatDateTime, formatNumber, useI18n } from "../i18n/i18n";
import { JoinChatSecretSchema, PageIdSchema } from "../settings/settings-schema";
import { singleShopSecretOf } from "../runtime.server";
import { getShopSecret, getShopSettings, requirePageSecret, updateShopSettings } from "../settings/settings.server";

/**
 * Whether pushes get their product images and PSIDs from Shopify. Shopify refused the shop's tokens (the layer marked
 * it): "reconnect, open the app once". Opening the app (authenticate.admin, which exchanged a new token) clears the
 * mark, and the page says once what it was: pushes in between went without them.
 */
async function shopifyAccessOf(runtime: Awaited<ReturnType<typeof adminContext>>["runtime"], shop: string) {
  const access = await runtime.adminApi.getShopAccess(shop);
  if (access.status === "needs_reconnect") return { status: "needs_reconnect" as const, reason: access.reason, since: access.since };
  const cleared = await runtime.adminApi.clearReconnect(shop);
  return cleared ? { status: "reconnected" as const, reason: cleared.reason, since: cleared.since } : null;
}

export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { shop, runtime } = await adminContext(request);
  const shopifyAccess = await shopifyAccessOf(runtime, shop);
  const settings = await getShopSettings(runtime.db, shop);
  const linked = Boolean(settings?.pageId);
  const full = linked ? await getPushOverview(runtime.db, shop) : null;
  // Only what the page shows of the last pushes: no recipient, not even masked.
  const brief = (push: PushSummary | null) =>
    push && {
      id: push.id,
      topic: push.topic,
      status: push.status,
      orderName: push.orderName,
      lastError: push.lastError,
      reason: push.reason,
      reasonDetail: push.reasonDetail,
      deliveredAt: push.deliveredAt,
      updatedAt: push.updatedAt,
    };
  const secretReadable = settings?.secretSet
    ? await getShopSecret(runtime.db, shop, runtime.box).then(
        () => true,
        () => false,
      )
    : false;
  const overview = full && { ...full, lastDelivered: brief(full.lastDelivered), lastFailure: brief(full.lastFailure) };
  // Customer lookups (decision 019): the URL is issued on first view once the page is linked.
  const lookups = linked ? await getLookupOverview(runtime.db, shop, runtime.env.SHOPIFY_APP_URL) : null;
  // The Messenger opt-in's counts (decision 023): no PSID, only how many.
  const optin = linked ? await getOptinOverview(runtime.db, shop) : null;
  return json({
    lookups,
    optin,
    shop,
    connection: {
      pageId: settings?.pageId ?? null,
      // Whether a secret is set and since when: the secret itself never leaves the server.
      // A stored secret this ENCRYPTION_KEY cannot read is not set: the merchant re-enters it.
      secretSet: settings?.secretSet === true && secretReadable,
      secretUnreadable: settings?.secretSet === true && !secretReadable,
      secretSetAt: settings?.secretSetAt ?? null,
      // Only the single shop of a deployment with JOINCHAT_API_SECRET may push without a secret of its own.
      appSecret: singleShopSecretOf(runtime.env)?.shop === shop,
      paused: settings?.paused ?? false,
    },
    overview,
    shopifyAccess,
  });
};

const LinkSchema = z.object({
  pageId: z.string({ required_error: "is required", invalid_type_error: "is required" }).pipe(PageIdSchema),
  // An empty secret field keeps the secret already set.
  secret: z
    .string({ invalid_type_error: "must be text" })
    .optional()
    .transform((secret) => secret || undefined)
    .pipe(JoinChatSecretSchema.optional()),
});

const LookupSwitchesSchema = z.object({
  allowOrderName: z.boolean({ invalid_type_error: "must be true or false" }).optional(),
  fullReceipts: z.boolean({ invalid_type_error: "must be true or false" }).optional(),
});
// A new URL stops the one pasted in JoinChat: only when asked for explicitly.
const LookupRotateSchema = z.object({ confirm: ConfirmSchema });

export const action = async ({ request }: ActionFunctionArgs) => {
  const { shop, runtime } = await adminContext(request);
  return answerRefusals(async () => {
    const read = await readAction(request, { link: LinkSchema, "lookup-switches": LookupSwitchesSchema, "lookup-rotate": LookupRotateSchema });
    if (read.intent === "lookup-switches") {
      await updateLookupSwitches(runtime.db, shop, read.body);
      return json({ ok: true as const });
    }
    if (read.intent === "lookup-rotate") {
      await rotateLookupKey(runtime.db, shop, runtime.env.SHOPIFY_APP_URL);
      return json({ ok: true as const });
    }
    const link = read.body;
    const current = await getShopSettings(runtime.db, shop);
    requirePageSecret(current, link, singleShopSecretOf(runtime.env)?.shop === shop);
    await updateShopSettings(runtime.db, shop, link, runtime.box);
    return json({ ok: true as const });
  });
};

type LoaderData = ReturnType<typeof useLoaderData<typeof loader>>;

function ConnectionForm({ connection, onDone }: { connection: LoaderData["connection"]; onDone?: () => void }) {
  const { t } = useI18n();
  const fetcher = useFetcher<typeof action>();
  const [pageId, setPageId] = useState(connection.pageId ?? "");
  const [secret, setSecret] = useState("");
  const [replacing, setReplacing] = useState(!connection.secretSet);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const saving = fetcher.state !== "idle";

  useFetcherAnswer(fetcher, (data) => {
    if (data.ok) {
      setSecret("");
      setErrors({});
      showToast(t("home.setup.saved"));
      onDone?.();
    } else {
      setErrors(data.fieldErrors ?? {});
    }
  });

  useEffect(() => {
    if (!connection.secretSet) setReplacing(true);
  }, [connection.secretSet]);

  const submit = () => {
    const found: Record<string, string> = {};
    if (!PageIdSchema.safeParse(pageId).success) found.pageId = "invalid";
    if (replacing && secret !== "" && !JoinChatSecretSchema.safeParse(secret).success) found.secret = "invalid";
    if (replacing && secret === "" && !connection.secretSet && !connection.appSecret) found.secret = "is required";
    // Another page needs its own secret.
    if (!connection.appSecret && connection.pageId !== null && pageId.trim() !== connection.pageId && (!replacing || secret === "")) {
      found.secret = "is required";
      setReplacing(true);
    }
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    fetcher.submit({ intent: "link", pageId, secret: replacing ? secret : "" }, { method: "post", encType: "application/json" });
  };

  const secretRequired = !connection.secretSet && !connection.appSecret;
  return (
    <Form onSubmit={submit}>
      <FormLayout>
        <TextField
          label={t("home.setup.pageId")}
          name="pageId"
          value={pageId}
          onChange={(value) => {
            setPageId(value);
            if (errors.pageId) setErrors(({ pageId: _p, ...rest }) => rest);
          }}
          autoComplete="off"
          inputMode="numeric"
          helpText={t("home.setup.pageIdHelp")}
          error={errors.pageId ? t("home.errors.pageId") : undefined}
          requiredIndicator
        />
        {connection.secretSet && !replacing ? (
          <BlockStack gap="100">
            <Text as="span" variant="bodyMd" fontWeight="medium">
              {t("home.setup.secret")}
            </Text>
            <InlineStack gap="300" blockAlign="center">
              <Text as="p" tone="success">
                {t("home.setup.secretSetOn", { when: formatDateTime(connection.secretSetAt) })}
              </Text>
              <Button variant="plain" onClick={() => setReplacing(true)} accessibilityLabel={t("home.setup.replaceSecretLabel")}>
                {t("home.setup.replaceSecret")}
              </Button>
            </InlineStack>
          </BlockStack>
        ) : (
          <TextField
            label={t("home.setup.secret")}
            name="secret"
            type="password"
            value={secret}
            onChange={(value) => {
              setSecret(value);
              if (errors.secret) setErrors(({ secret: _s, ...rest }) => rest);
            }}
            autoComplete="new-password"
            helpText={
              connection.secretSet ? t("home.setup.secretReplaceHelp") : secretRequired ? t("home.setup.secretHelp") : t("home.setup.secretOptionalHelp")
            }
            error={errors.secret ? (errors.secret === "is required" ? t("home.errors.secretRequired") : t("home.errors.secret")) : undefined}
            requiredIndicator={secretRequired}
            connectedRight={
              connection.secretSet ? (
                <Button
                  onClick={() => {
                    setReplacing(false);
                    setSecret("");
                  }}
                >
                  {t("common.cancel")}
                </Button>
              ) : undefined
            }
          />
        )}
        <InlineStack gap="200">
          <Button variant="primary" submit loading={saving}>
            {connection.pageId ? t("home.setup.save") : t("home.setup.link")}
          </Button>
          {onDone && connection.pageId && (
            <Button onClick={onDone} disabled={saving}>
              {t("common.cancel")}
            </Button>
          )}
        </InlineStack>
      </FormLayout>
    </Form>
  );
}

function Onboarding({ connection }: { connection: LoaderData["connection"] }) {
  const { t } = useI18n();
  return (
    <Layout>
      <Layout.Section>
        <TitledCard title={t("home.intro.title")} gap="300">
          <Text as="p">{t("home.intro.body")}</Text>
          <List type="number">
            <List.Item>{t("home.intro.step1")}</List.Item>
            <List.Item>{t("home.intro.step2")}</List.Item>
            <List.Item>{t("home.intro.step3")}</List.Item>
          </List>
        </TitledCard>
      </Layout.Section>
      <Layout.Section>
        <Card>
          <BlockStack gap="400">
            <BlockStack gap="100">
              <Text as="h2" variant="headingMd">
                {t("home.setup.title")}
              </Text>
              <Text as="p" tone="subdued">
                {t("home.setup.body")}
              </Text>
            </BlockStack>
            <ConnectionForm connection={connection} />
          </BlockStack>
        </Card>
      </Layout.Section>
    </Layout>
  );
}

function PushLink({ id, children }: { id: number; children: React.ReactNode }) {
  return (
    <RemixLink to={`/app/pushes/${id}`} style={{ color: "var(--p-color-text-link, #005bd3)" }}>
      {children}
    </RemixLink>
  );
}

/** Whether pushes reach JoinChat: the most recent outcome wins. */
function ConnectionHealth({ overview }: { overview: NonNullable<LoaderData["overview"]> }) {
  const { t } = useI18n();
  const { lastDelivered, lastFailure } = overview;
  if (!lastDelivered && !lastFailure) return <Badge tone="info">{t("home.connection.statusIdle")}</Badge>;
  const failing = lastFailure && (!lastDelivered || lastFailure.updatedAt > (lastDelivered.deliveredAt ?? lastDelivered.updatedAt));
  return failing ? <Badge tone="critical">{t("home.connection.statusFailing")}</Badge> : <Badge tone="success">{t("home.connection.statusOk")}</Badge>;
}

function ConnectionCard({ connection, overview }: { connection: LoaderData["connection"]; overview: NonNullable<LoaderData["overview"]> }) {
  const { t } = useI18n();
  const [editing, setEditing] = useState(false);
  const { lastDelivered, lastFailure } = overview;
  return (
    <Card>
      <BlockStack gap="400">
        <InlineStack align="space-between" blockAlign="center">
          <InlineStack gap="200" blockAlign="center">
            <Text as="h2" variant="headingMd">
              {t("home.connection.title")}
            </Text>
            <ConnectionHealth overview={overview} />
          </InlineStack>
          {!editing && (
            <Button variant="plain" onClick={() => setEditing(true)}>
              {t("home.connection.change")}
            </Button>
          )}
        </InlineStack>
        {editing ? (
          <ConnectionForm connection={connection} onDone={() => setEditing(false)} />
        ) : (
          <InlineGrid columns={{ xs: 1, md: 2 }} gap="400">
            <BlockStack gap="100">
              <Text as="h3" variant="headingSm">
                {t("home.connection.page")}
              </Text>
              <Text as="p">{connection.pageId}</Text>
            </BlockStack>
            <BlockStack gap="100">
              <Text as="h3" variant="headingSm">
                {t("home.setup.secret")}
              </Text>
              <Text as="p">
                {connection.secretSet
                  ? t("home.setup.secretSetOn", { when: formatDateTime(connection.secretSetAt) })
                  : connection.secretUnreadable
                    ? t("home.connection.secretUnreadable")
                    : connection.appSecret
                      ? t("home.connection.appSecret")
                      : t("home.connection.noSecret")}
              </Text>
            </BlockStack>
            <BlockStack gap="100">
              <Text as="h3" variant="headingSm">
                {t("home.connection.lastDelivered")}
              </Text>
              {lastDelivered ? (
                <Text as="p">
                  <PushLink id={lastDelivered.id}>
                    {t(topicKey(lastDelivered.topic))}
                    {lastDelivered.orderName ? ` ${lastDelivered.orderName}` : ""}
                  </PushLink>{" "}
                  · {formatDateTime(lastDelivered.deliveredAt ?? lastDelivered.updatedAt)}
                </Text>
              ) : (
                <Text as="p" tone="subdued">
                  {t("home.connection.noneYet")}
                </Text>
              )}
            </BlockStack>
            <BlockStack gap="100">
              <Text as="h3" variant="headingSm">
                {t("home.connection.lastFailure")}
              </Text>
              {lastFailure ? (
                <BlockStack gap="100">
                  <InlineStack gap="200" blockAlign="center">
                    <PushLink id={lastFailure.id}>
                      {t(topicKey(lastFailure.topic))}
                      {lastFailure.orderName ? ` ${lastFailure.orderName}` : ""}
                    </PushLink>
                    <StatusBadge status={lastFailure.status} />
                    <Text as="span" tone="subdued">
                      {formatDateTime(lastFailure.updatedAt)}
                    </Text>
                  </InlineStack>
                  <Text as="p" tone="critical" breakWord>
                    {t("home.connection.joinchatSaid", { message: lastFailure.lastError ?? reasonText(t, lastFailure) ?? "—" })}
                  </Text>
                </BlockStack>
              ) : (
                <Text as="p" tone="subdued">
                  {t("home.connection.noFailures")}
                </Text>
              )}
            </BlockStack>
          </InlineGrid>
        )}
      </BlockStack>
    </Card>
  );
}

function CountsCard({ overview }: { overview: NonNullable<LoaderData["overview"]> }) {
  const { t } = useI18n();
  const rows = PUSH_STATUSES.map((status) => [
    <StatusBadge key={status} status={status} />,
    formatNumber(overview.last24h[status]),
    formatNumber(overview.last7d[status]),
  ]);
  const sum = (counts: Record<string, number>) => formatNumber(Object.values(counts).reduce((a, b) => a + b, 0));
  return (
    <TitledCard title={t("home.counts.title")}>
      <DataTable
        columnContentTypes={["text", "numeric", "numeric"]}
        headings={[t("home.counts.status"), t("home.counts.last24h"), t("home.counts.last7d")]}
        rows={rows}
        totals={["", sum(overview.last24h), sum(overview.last7d)]}
        totalsName={{ singular: t("home.counts.total"), plural: t("home.counts.total") }}
        showTotalsInFooter
        increasedTableDensity
      />
    </TitledCard>
  );
}

function ChartCard({ overview }: { overview: NonNullable<LoaderData["overview"]> }) {
  const { t } = useI18n();
  const empty = overview.daily.every((d) => d.delivered === 0 && d.failed === 0);
  return (
    <Card>
      <BlockStack gap="300">
        <BlockStack gap="100">
          <Text as="h2" variant="headingMd">
            {t("chart.title", { days: overview.daily.length })}
          </Text>
          <Text as="p" tone="subdued" variant="bodySm">
            {t("chart.utc")}
          </Text>
        </BlockStack>
        {empty ? (
          <Box paddingBlock="800">
            <BlockStack gap="200" inlineAlign="center">
              <Text as="p" variant="headingSm">
                {t("chart.empty")}
              </Text>
              <Text as="p" tone="subdued">
                {t("chart.emptyHelp")}
              </Text>
            </BlockStack>
          </Box>
        ) : (
          <DeliveryChart days={overview.daily} />
        )}
      </BlockStack>
    </Card>
  );
}

function OptinCard({ optin }: { optin: NonNullable<LoaderData["optin"]> }) {
  const { t } = useI18n();
  const rows = (["link", "bind", "stop"] as const).map((kind) => [t(`home.optin.${kind}`), formatNumber(optin.day[kind]), formatNumber(optin.week[kind])]);
  return (
    <TitledCard title={t("home.optin.title")}>
      <BlockStack gap="200">
        <Text as="p" tone="subdued">
          {optin.enabled ? t("home.optin.on") : t("home.optin.off")}
        </Text>
        <DataTable
          columnContentTypes={["text", "numeric", "numeric"]}
          headings={[t("home.optin.what"), t("home.counts.last24h"), t("home.counts.last7d")]}
          rows={rows}
          increasedTableDensity
        />
        <Text as="p" tone="subdued">
          {t("home.optin.validity", { days: optin.linkValidDays })}
        </Text>
      </BlockStack>
    </TitledCard>
  );
}

function Dashboard({
  connection,
  overview,
  lookups,
  optin,
}: {
  connection: LoaderData["connection"];
  overview: NonNullable<LoaderData["overview"]>;
  lookups: LoaderData["lookups"];
  optin: LoaderData["optin"];
}) {
  const { t } = useI18n();
  const revalidator = useRevalidator();
  return (
    <Layout>
      {connection.paused && (
        <Layout.Section>
          <Banner tone="warning" title={t("home.paused.title")} action={{ content: t("home.paused.action"), url: "/app/settings" }}>
            <Text as="p">{t("home.paused.body")}</Text>
          </Banner>
        </Layout.Section>
      )}
      {!connection.secretSet && !connection.appSecret && (
        <Layout.Section>
          <Banner tone="critical" title={t("home.connection.noSecret")} />
        </Layout.Section>
      )}
      <Layout.Section>
        <ConnectionCard connection={connection} overview={overview} />
      </Layout.Section>
      <Layout.Section variant="oneHalf">
        <CountsCard overview={overview} />
      </Layout.Section>
      <Layout.Section variant="oneHalf">
        <ChartCard overview={overview} />
      </Layout.Section>
      {lookups && (
        <Layout.Section>
          <LookupCard lookups={lookups} />
        </Layout.Section>
      )}
      {optin && (
        <Layout.Section>
          <OptinCard optin={optin} />
        </Layout.Section>
      )}
      <Layout.Section>
        <InlineStack gap="300">
          <Button url="/app/pushes">{t("home.actions.log")}</Button>
          <Button url="/app/test-push">{t("home.actions.test")}</Button>
          <Button url="/app/settings">{t("home.actions.settings")}</Button>
          <Button variant="plain" onClick={() => revalidator.revalidate()} loading={revalidator.state === "loading"}>
            {t("common.refresh")}
          </Button>
        </InlineStack>
      </Layout.Section>
    </Layout>
  );
}

function ShopifyAccessBanner({ access }: { access: NonNullable<LoaderData["shopifyAccess"]> }) {
  const { t } = useI18n();
  const vars = { since: formatDateTime(access.since), reason: access.reason };
  return access.status === "needs_reconnect" ? (
    <Banner tone="critical" title={t("home.shopifyAccess.reconnectTitle")}>
      <Text as="p">{t("home.shopifyAccess.reconnectBody", vars)}</Text>
    </Banner>
  ) : (
    <Banner tone="info" title={t("home.shopifyAccess.reconnectedTitle")}>
      <Text as="p">{t("home.shopifyAccess.reconnectedBody", vars)}</Text>
    </Banner>
  );
}

export default function Home() {
  const { connection, overview, shopifyAccess, lookups, optin } = useLoaderData<typeof loader>();
  const { t } = useI18n();
  return (
    <Page title={t("home.title")} subtitle={connection.pageId ? t("home.subtitleLinked") : t("home.subtitle")}>
      {shopifyAccess && (
        <Box paddingBlockEnd="400">
          <ShopifyAccessBanner access={shopifyAccess} />
        </Box>
      )}
      {overview ? <Dashboard connection={connection} overview={overview} lookups={lookups} optin={optin} /> : <Onboarding connection={connection} />}
    </Page>
  );
}

export function ErrorBoundary() {
  return <RouteError />;
}
