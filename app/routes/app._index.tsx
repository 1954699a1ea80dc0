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
import { adminContext, intentOf, readJsonBody } from "../admin/request.server";
import { showToast } from "../components/app-bridge";
import { DeliveryChart } from "../components/DeliveryChart";
import { topicKey } from "../components/labels";
import { RouteError } from "../components/RouteError";
import { StatusBadge } from "../components/StatusBadge";
import { TitledCard } from "../components/TitledCard";
import { getPushOverview } from "../delivery/push-overview.server";
import type { PushSummary } from "../delivery/push-service.server";
import { PUSH_STATUSES } from "../delivery/push-status";
import { formatDateTime, formatNumber, useI18n } from "../i18n/i18n";
import { JoinChatSecretSchema, PageIdSchema } from "../settings/settings-schema";
import { getShopSettings, SettingsError, updateShopSettings } from "../settings/settings.server";

export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { shop, runtime } = await adminContext(request);
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
      deliveredAt: push.deliveredAt,
      updatedAt: push.updatedAt,
    };
  const overview = full && { ...full, lastDelivered: brief(full.lastDelivered), lastFailure: brief(full.lastFailure) };
  return json({
    shop,
    connection: {
      pageId: settings?.pageId ?? null,
      // Whether a secret is set and since when: the secret itself never leaves the server.
      secretSet: settings?.secretSet ?? false,
      secretSetAt: settings?.secretSetAt ?? null,
      appSecret: Boolean(runtime.env.JOINCHAT_API_SECRET),
      paused: settings?.paused ?? false,
    },
    overview,
  });
};

export const action = async ({ request }: ActionFunctionArgs) => {
  const { shop, runtime } = await adminContext(request);
  const body = await readJsonBody(request);
  intentOf(body, ["link"] as const);
  if (typeof body.pageId !== "string") return json({ ok: false as const, fieldErrors: { pageId: "is required" } }, { status: 400 });
  const patch: Record<string, unknown> = { pageId: body.pageId };
  // An empty secret field keeps the secret already set.
  if (typeof body.secret === "string" && body.secret !== "") patch.secret = body.secret;
  else if (body.secret !== undefined && body.secret !== "") return json({ ok: false as const, fieldErrors: { secret: "must be text" } }, { status: 400 });
  const current = await getShopSettings(runtime.db, shop);
  if (patch.secret === undefined && !current?.secretSet && !runtime.env.JOINCHAT_API_SECRET) {
    return json({ ok: false as const, fieldErrors: { secret: "is required" } }, { status: 400 });
  }
  try {
    await updateShopSettings(runtime.db, shop, patch, runtime.box);
  } catch (error) {
    if (error instanceof SettingsError) return json({ ok: false as const, fieldErrors: error.fieldErrors }, { status: 400 });
    throw error;
  }
  return json({ ok: true as const, fieldErrors: {} as Record<string, string> });
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

  useEffect(() => {
    if (fetcher.state !== "idle" || !fetcher.data) return;
    if (fetcher.data.ok) {
      setSecret("");
      setErrors({});
      showToast(t("home.setup.saved"));
      onDone?.();
    } else {
      setErrors(fetcher.data.fieldErrors ?? {});
    }
  }, [fetcher.state, fetcher.data]);

  useEffect(() => {
    if (!connection.secretSet) setReplacing(true);
  }, [connection.secretSet]);

  const submit = () => {
    const found: Record<string, string> = {};
    if (!PageIdSchema.safeParse(pageId).success) found.pageId = "invalid";
    if (replacing && secret !== "" && !JoinChatSecretSchema.safeParse(secret).success) found.secret = "invalid";
    if (replacing && secret === "" && !connection.secretSet && !connection.appSecret) found.secret = "is required";
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
              connection.secretSet
                ? t("home.setup.secretReplaceHelp")
                : secretRequired
                  ? t("home.setup.secretHelp")
                  : t("home.setup.secretOptionalHelp")
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
  return failing ? (
    <Badge tone="critical">{t("home.connection.statusFailing")}</Badge>
  ) : (
    <Badge tone="success">{t("home.connection.statusOk")}</Badge>
  );
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
                    {t("home.connection.joinchatSaid", { message: lastFailure.lastError ?? "—" })}
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

function Dashboard({ connection, overview }: { connection: LoaderData["connection"]; overview: NonNullable<LoaderData["overview"]> }) {
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

export default function Home() {
  const { connection, overview } = useLoaderData<typeof loader>();
  const { t } = useI18n();
  return (
    <Page title={t("home.title")} subtitle={connection.pageId ? t("home.subtitleLinked") : t("home.subtitle")}>
      {overview ? <Dashboard connection={connection} overview={overview} /> : <Onboarding connection={connection} />}
    </Page>
  );
}

export function ErrorBoundary() {
  return <RouteError />;
}
