import { useFetcher } from "@remix-run/react";
import { BlockStack, Button, Checkbox, DataTable, InlineStack, List, Text, TextField } from "@shopify/polaris";
import { useEffect, useState } from "react";
import type { MessageKey } from "../i18n/en";
import { formatDateTime, formatNumber, useI18n } from "../i18n/i18n";
import { showToast } from "./app-bridge";
import { useFetcherAnswer } from "./hooks";
import { TitledCard } from "./TitledCard";

// The home page's "Customer lookups" card (issue 15, decision 019): the lookup URL with copy and set-up steps, the last
// test from JoinChat, counts by method and outcome, the privacy switches and a new URL on request.

export interface LookupCardData {
  url: string;
  lastTestAt: number | null;
  allowOrderName: boolean;
  fullReceipts: boolean;
  catalogueProducts: number;
  day: Record<string, Record<string, number>>;
  week: Record<string, Record<string, number>>;
}

const METHODS = ["orders", "products", "property", "test", "unknown"] as const;
const OUTCOMES = ["found", "not_found", "refused", "rate_limited"] as const;

function CountsTable({ counts }: { counts: LookupCardData["day"] }) {
  const { t } = useI18n();
  const rows = METHODS.filter((m) => OUTCOMES.some((o) => (counts[m]?.[o] ?? 0) > 0) || m === "orders" || m === "products").map((m) => [
    t(`lookups.method.${m}` as MessageKey),
    ...OUTCOMES.map((o) => formatNumber(counts[m]?.[o] ?? 0)),
  ]);
  return (
    <DataTable
      columnContentTypes={["text", "numeric", "numeric", "numeric", "numeric"]}
      headings={[t("lookups.methodColumn"), ...OUTCOMES.map((o) => t(`lookups.outcome.${o}` as MessageKey))]}
      rows={rows}
    />
  );
}

export function LookupCard({ lookups }: { lookups: LookupCardData }) {
  const { t } = useI18n();
  const switches = useFetcher<{ ok?: boolean }>();
  const rotate = useFetcher<{ ok?: boolean }>();
  const [allowOrderName, setAllowOrderName] = useState(lookups.allowOrderName);
  const [fullReceipts, setFullReceipts] = useState(lookups.fullReceipts);
  useEffect(() => setAllowOrderName(lookups.allowOrderName), [lookups.allowOrderName]);
  useEffect(() => setFullReceipts(lookups.fullReceipts), [lookups.fullReceipts]);
  useFetcherAnswer(switches, (data) => data.ok && showToast(t("lookups.saved")));
  useFetcherAnswer(rotate, (data) => data.ok && showToast(t("lookups.rotated")));
  const changed = allowOrderName !== lookups.allowOrderName || fullReceipts !== lookups.fullReceipts;

  const copy = () => {
    void navigator.clipboard?.writeText(lookups.url).then(
      () => showToast(t("lookups.copied")),
      () => undefined,
    );
  };

  return (
    <TitledCard title={t("lookups.title")} gap="400">
      <Text as="p" tone="subdued">
        {t("lookups.body")}
      </Text>
      <TextField
        label={t("lookups.url")}
        value={lookups.url}
        readOnly
        autoComplete="off"
        connectedRight={<Button onClick={copy}>{t("lookups.copy")}</Button>}
        helpText={t("lookups.catalogue", { count: formatNumber(lookups.catalogueProducts) })}
      />
      <List type="number">
        <List.Item>{t("lookups.step1")}</List.Item>
        <List.Item>{t("lookups.step2")}</List.Item>
        <List.Item>{t("lookups.step3")}</List.Item>
      </List>
      <Text as="p" tone={lookups.lastTestAt ? "success" : "subdued"}>
        {lookups.lastTestAt ? t("lookups.lastTest", { when: formatDateTime(lookups.lastTestAt) }) : t("lookups.noTest")}
      </Text>
      <BlockStack gap="200">
        <Text as="h3" variant="headingSm">
          {t("lookups.counts")}
        </Text>
        <Text as="p" variant="bodySm" tone="subdued">
          {t("lookups.period.day")}
        </Text>
        <CountsTable counts={lookups.day} />
        <Text as="p" variant="bodySm" tone="subdued">
          {t("lookups.period.week")}
        </Text>
        <CountsTable counts={lookups.week} />
      </BlockStack>
      <BlockStack gap="200">
        <Checkbox label={t("lookups.allowOrderName")} helpText={t("lookups.allowOrderNameHelp")} checked={allowOrderName} onChange={setAllowOrderName} />
        <Checkbox label={t("lookups.fullReceipts")} helpText={t("lookups.fullReceiptsHelp")} checked={fullReceipts} onChange={setFullReceipts} />
      </BlockStack>
      <InlineStack gap="300" blockAlign="center">
        <Button
          variant="primary"
          disabled={!changed}
          loading={switches.state !== "idle"}
          onClick={() => switches.submit({ intent: "lookup-switches", allowOrderName, fullReceipts }, { method: "post", encType: "application/json" })}
        >
          {t("lookups.save")}
        </Button>
        <Button
          tone="critical"
          loading={rotate.state !== "idle"}
          onClick={() => rotate.submit({ intent: "lookup-rotate", confirm: true }, { method: "post", encType: "application/json" })}
        >
          {t("lookups.rotate")}
        </Button>
        <Text as="span" tone="subdued" variant="bodySm">
          {t("lookups.rotateHelp")}
        </Text>
      </InlineStack>
    </TitledCard>
  );
}
