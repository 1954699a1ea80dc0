import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Link as RemixLink, useFetcher, useLoaderData } from "@remix-run/react";
import { Banner, BlockStack, Box, Button, Card, Form, FormLayout, InlineStack, Layout, Page, Select, Text, TextField } from "@shopify/polaris";
import { useState } from "react";
import { z } from "zod";
import { answerRefusals } from "../admin/refusals.server";
import { adminContext, readAction } from "../admin/request.server";
import { reasonText, topicKey } from "../components/labels";
import { RouteError } from "../components/RouteError";
import { StatusBadge } from "../components/StatusBadge";
import { chooseTestSample, sendTestPush } from "../delivery/test-push.server";
import { useI18n } from "../i18n/i18n";
import type { MessageKey } from "../i18n/en";
import { TEST_RECIPIENT_KINDS, TestPushInputSchema } from "../pushes/test-push";
import { JOINCHAT_TOPICS } from "../pushes/types";
import { getShopSettings } from "../settings/settings.server";

export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { shop, runtime } = await adminContext(request);
  const settings = await getShopSettings(runtime.db, shop);
  const [receipt, pkg] = await Promise.all([chooseTestSample(runtime.db, shop, "Order/Receipt"), chooseTestSample(runtime.db, shop, "package/update")]);
  return json({
    linked: Boolean(settings?.pageId),
    paused: settings?.paused ?? false,
    samples: {
      receipt: { source: receipt.source, orderName: receipt.orderName },
      package: { source: pkg.source, orderName: pkg.orderName },
    },
  });
};

/** Checked with the test push's own schema, and handed on as posted: sendTestPush reads the merchant's input itself. */
const TestPushBodySchema = z.record(z.unknown()).superRefine((body, ctx) => {
  for (const issue of TestPushInputSchema.safeParse(body).error?.issues ?? []) ctx.addIssue(issue);
});

export const action = async ({ request }: ActionFunctionArgs) => {
  const { shop, runtime } = await adminContext(request);
  return answerRefusals(async () => {
    const body = await readAction(request, TestPushBodySchema);
    const result = await sendTestPush(runtime.deliveryDeps, shop, body);
    return json({ ok: true as const, result });
  });
};

type Kind = (typeof TEST_RECIPIENT_KINDS)[number];

export default function TestPush() {
  const { linked, paused, samples } = useLoaderData<typeof loader>();
  const { t } = useI18n();
  const fetcher = useFetcher<typeof action>();
  const [kind, setKind] = useState<Kind>("id");
  const [value, setValue] = useState("");
  const [topic, setTopic] = useState<string>("Order/Receipt");
  const [clientErrors, setClientErrors] = useState<Record<string, string>>({});
  const sending = fetcher.state !== "idle";
  const answer = fetcher.state === "idle" ? fetcher.data : undefined;
  const errors = { ...(answer && !answer.ok ? answer.fieldErrors : {}), ...clientErrors };

  const send = () => {
    const input = { recipientKind: kind, recipientValue: value, topic };
    const parsed = TestPushInputSchema.safeParse(input);
    if (!parsed.success) {
      const found: Record<string, string> = {};
      for (const issue of parsed.error.issues) found[String(issue.path[0] ?? "input")] ??= issue.message;
      setClientErrors(found);
      return;
    }
    setClientErrors({});
    fetcher.submit(input, { method: "post", encType: "application/json" });
  };

  const sample = topic === "package/update" ? samples.package : samples.receipt;
  const blocked = !linked || paused;
  const result = answer?.ok ? answer.result : null;

  return (
    <Page title={t("testPush.title")} backAction={{ content: t("nav.home"), url: "/app" }}>
      <Layout>
        {!linked && (
          <Layout.Section>
            <Banner tone="warning" title={t("testPush.notLinked")} action={{ content: t("settings.notLinkedAction"), url: "/app" }} />
          </Layout.Section>
        )}
        {linked && paused && (
          <Layout.Section>
            <Banner tone="warning" title={t("testPush.paused")} action={{ content: t("home.paused.action"), url: "/app/settings" }} />
          </Layout.Section>
        )}
        <Layout.Section>
          <Card>
            <Form onSubmit={send}>
              <FormLayout>
                <Text as="p">{t("testPush.intro")}</Text>
                <FormLayout.Group>
                  <Select
                    label={t("testPush.kind")}
                    options={TEST_RECIPIENT_KINDS.map((k) => ({ label: t(`testPush.kind.${k}` as MessageKey), value: k }))}
                    value={kind}
                    onChange={(v) => {
                      setKind(v as Kind);
                      setClientErrors({});
                    }}
                  />
                  <TextField
                    label={t(`testPush.value.${kind}` as MessageKey)}
                    value={value}
                    onChange={(v) => {
                      setValue(v);
                      setClientErrors({});
                    }}
                    autoComplete="off"
                    type={kind === "email" ? "email" : kind === "phone" ? "tel" : "text"}
                    inputMode={kind === "id" ? "numeric" : undefined}
                    helpText={t(`testPush.valueHelp.${kind}` as MessageKey)}
                    error={errors.recipientValue ? t(`testPush.errors.${kind}` as MessageKey) : undefined}
                    requiredIndicator
                  />
                </FormLayout.Group>
                <Select
                  label={t("testPush.topic")}
                  options={JOINCHAT_TOPICS.map((tp) => ({ label: t(topicKey(tp)), value: tp }))}
                  value={topic}
                  onChange={setTopic}
                  helpText={sample.source === "order" ? t("testPush.sampleFromOrder", { order: sample.orderName ?? "—" }) : t("testPush.sampleBuiltIn")}
                  error={errors.topic ? t("testPush.errors.topic") : undefined}
                />
                <InlineStack gap="200">
                  <Button variant="primary" submit loading={sending} disabled={blocked}>
                    {t("testPush.send")}
                  </Button>
                </InlineStack>
              </FormLayout>
            </Form>
          </Card>
        </Layout.Section>
        {answer && !answer.ok && (answer.error === "paused" || answer.error === "not_linked") && (
          <Layout.Section>
            <Banner tone="critical" title={t(answer.error === "paused" ? "testPush.paused" : "testPush.notLinked")} />
          </Layout.Section>
        )}
        {result && (
          <Layout.Section>
            <Card>
              <BlockStack gap="300">
                <InlineStack gap="200" blockAlign="center">
                  <Text as="h2" variant="headingMd">
                    {t("testPush.result")}
                  </Text>
                  <StatusBadge status={result.status} />
                </InlineStack>
                <Text as="p">
                  {result.httpStatus !== null ? t("testPush.httpStatus", { status: result.httpStatus }) : t("testPush.noAnswer")}
                  {result.durationMs !== null ? ` · ${result.durationMs} ms` : ""}
                </Text>
                <BlockStack gap="100">
                  <Text as="h3" variant="headingSm">
                    {t("testPush.answer")}
                  </Text>
                  <Box background="bg-surface-secondary" padding="300" borderRadius="200">
                    <pre style={{ margin: 0, whiteSpace: "pre-wrap", wordBreak: "break-all", fontFamily: "monospace" }} aria-label={t("testPush.answer")}>
                      {result.answer ?? result.error ?? reasonText(t, result) ?? "—"}
                    </pre>
                  </Box>
                </BlockStack>
                {result.error && result.answer && (
                  <Text as="p" tone="critical">
                    {result.error}
                  </Text>
                )}
                <Text as="p">
                  <RemixLink to={`/app/pushes/${result.pushId}`} style={{ color: "var(--p-color-text-link, #005bd3)" }}>
                    {t("testPush.openInLog", { id: result.pushId })}
                  </RemixLink>
                </Text>
              </BlockStack>
            </Card>
          </Layout.Section>
        )}
      </Layout>
    </Page>
  );
}

export function ErrorBoundary() {
  return <RouteError />;
}
