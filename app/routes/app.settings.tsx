import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { useFetcher, useLoaderData } from "@remix-run/react";
import { SaveBar } from "@shopify/app-bridge-react";
import { Banner, BlockStack, Box, Card, Checkbox, ChoiceList, Form, FormLayout, Layout, Page, Text, TextField } from "@shopify/polaris";
import { useCallback, useEffect, useMemo, useState } from "react";
import { adminContext, readJsonBody } from "../admin/request.server";
import { showToast } from "../components/app-bridge";
import { trackingKey } from "../components/labels";
import { RouteError } from "../components/RouteError";
import { useI18n } from "../i18n/i18n";
import type { MessageKey } from "../i18n/en";
import { TRACKING_STATUSES, type TrackingStatus } from "../pushes/types";
import { fieldErrorsOf, formValuesOf, patchOf, SettingsFormSchema, validateSettingsForm, type SettingsFormValues } from "../settings/settings-form";
import { MAX_UNPAID_DELAY_MINUTES } from "../settings/settings-schema";
import { getShopSettings, SettingsError, updateShopSettings } from "../settings/settings.server";

export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { shop, runtime } = await adminContext(request);
  const settings = await getShopSettings(runtime.db, shop);
  return json({ linked: Boolean(settings?.pageId), values: formValuesOf(settings), updatedAt: settings?.updatedAt ?? null });
};

export const action = async ({ request }: ActionFunctionArgs) => {
  const { shop, runtime } = await adminContext(request);
  const body = await readJsonBody(request);
  // This page changes the push choices only; the page and the secret are linked on the home page.
  const parsed = SettingsFormSchema.safeParse(patchOf(body));
  if (!parsed.success) return json({ ok: false as const, fieldErrors: fieldErrorsOf(parsed.error) }, { status: 400 });
  try {
    const saved = await updateShopSettings(runtime.db, shop, parsed.data, runtime.box);
    return json({ ok: true as const, fieldErrors: {} as Record<string, string>, values: formValuesOf(saved) });
  } catch (error) {
    if (error instanceof SettingsError) return json({ ok: false as const, fieldErrors: error.fieldErrors }, { status: 400 });
    throw error;
  }
};

const SAVE_BAR_ID = "push-settings-save-bar";

function sameValues(a: SettingsFormValues, b: SettingsFormValues): boolean {
  return JSON.stringify({ ...a, packageStatuses: [...a.packageStatuses].sort() }) === JSON.stringify({ ...b, packageStatuses: [...b.packageStatuses].sort() });
}

export default function Settings() {
  const { linked, values: saved } = useLoaderData<typeof loader>();
  const { t } = useI18n();
  const fetcher = useFetcher<typeof action>();
  const [values, setValues] = useState<SettingsFormValues>(saved);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const dirty = !sameValues(values, saved);
  const saving = fetcher.state !== "idle";

  // What was saved comes back with the loader's revalidation: the form starts from it again.
  useEffect(() => {
    setValues(saved);
  }, [saved]);

  useEffect(() => {
    if (fetcher.state !== "idle" || !fetcher.data) return;
    if (fetcher.data.ok) {
      setErrors({});
      showToast(t("settings.saved"));
    } else {
      setErrors(fetcher.data.fieldErrors ?? {});
      showToast(t("settings.notSaved"), true);
    }
  }, [fetcher.state, fetcher.data]);

  const set = useCallback(<K extends keyof SettingsFormValues>(key: K, value: SettingsFormValues[K]) => {
    setValues((current) => ({ ...current, [key]: value }));
    setErrors(({ [key]: _removed, ...rest }) => rest);
  }, []);

  const save = () => {
    const found = validateSettingsForm(values);
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    fetcher.submit({ ...values }, { method: "post", encType: "application/json" });
  };
  const discard = () => {
    setValues(saved);
    setErrors({});
  };

  const statusChoices = useMemo(
    () => TRACKING_STATUSES.map((status) => ({ label: t(trackingKey(status)), value: status })),
    [t],
  );
  const errorOf = (field: keyof SettingsFormValues): string | undefined =>
    errors[field] ? t(`settings.errors.${field}` as MessageKey, { max: MAX_UNPAID_DELAY_MINUTES }) : undefined;
  const formError = Object.keys(errors).some((k) => !(k in values));

  return (
    <Page title={t("settings.title")} backAction={{ content: t("nav.home"), url: "/app" }}>
      <SaveBar id={SAVE_BAR_ID} open={dirty || saving}>
        <button variant="primary" onClick={save} disabled={saving} {...(saving ? { loading: "" } : {})}>
          {t("common.save")}
        </button>
        <button onClick={discard} disabled={saving}>
          {t("common.discard")}
        </button>
      </SaveBar>
      <Form onSubmit={save}>
        <Layout>
          {!linked && (
            <Layout.Section>
              <Banner tone="info" title={t("settings.notLinked")} action={{ content: t("settings.notLinkedAction"), url: "/app" }} />
            </Layout.Section>
          )}
          {formError && (
            <Layout.Section>
              <Banner tone="critical" title={t("settings.notSaved")} />
            </Layout.Section>
          )}
          <Layout.AnnotatedSection title={t("settings.pause.title")} description={t("settings.pause.description")}>
            <Card>
              <Checkbox
                label={t("settings.pause.label")}
                helpText={t("settings.pause.help")}
                checked={values.paused}
                onChange={(checked) => set("paused", checked)}
                error={errorOf("paused")}
              />
            </Card>
          </Layout.AnnotatedSection>
          <Layout.AnnotatedSection title={t("settings.types.title")} description={t("settings.types.description")}>
            <Card>
              <FormLayout>
                <Checkbox
                  label={t("settings.types.receipt")}
                  helpText={t("settings.types.receiptHelp")}
                  checked={values.receiptEnabled}
                  onChange={(checked) => set("receiptEnabled", checked)}
                  error={errorOf("receiptEnabled")}
                />
                <Checkbox
                  label={t("settings.types.unpaid")}
                  helpText={t("settings.types.unpaidHelp")}
                  checked={values.unpaidEnabled}
                  onChange={(checked) => set("unpaidEnabled", checked)}
                  error={errorOf("unpaidEnabled")}
                />
                <TextField
                  label={t("settings.unpaidDelay.label")}
                  type="number"
                  min={0}
                  max={MAX_UNPAID_DELAY_MINUTES}
                  step={1}
                  suffix={t("settings.unpaidDelay.suffix")}
                  value={values.unpaidDelayMinutes}
                  onChange={(value) => set("unpaidDelayMinutes", value)}
                  helpText={t("settings.unpaidDelay.help", { max: MAX_UNPAID_DELAY_MINUTES })}
                  error={errorOf("unpaidDelayMinutes")}
                  disabled={!values.unpaidEnabled}
                  autoComplete="off"
                />
                <Checkbox
                  label={t("settings.types.package")}
                  helpText={t("settings.types.packageHelp")}
                  checked={values.packageEnabled}
                  onChange={(checked) => set("packageEnabled", checked)}
                  error={errorOf("packageEnabled")}
                />
              </FormLayout>
            </Card>
          </Layout.AnnotatedSection>
          <Layout.AnnotatedSection title={t("settings.statuses.title")} description={t("settings.statuses.description")}>
            <Card>
              <ChoiceList
                allowMultiple
                title={t("settings.statuses.label")}
                choices={statusChoices}
                selected={values.packageStatuses}
                onChange={(selected) => set("packageStatuses", selected as TrackingStatus[])}
                disabled={!values.packageEnabled}
                error={errorOf("packageStatuses")}
              />
            </Card>
          </Layout.AnnotatedSection>
          <Layout.AnnotatedSection title={t("settings.recipient.title")} description={t("settings.recipient.description")}>
            <Card>
              <ChoiceList
                title={t("settings.recipient.label")}
                choices={[
                  { label: t("settings.recipient.email"), value: "email" },
                  { label: t("settings.recipient.phone"), value: "phone" },
                ]}
                selected={[values.recipientPreference]}
                onChange={(selected) => set("recipientPreference", selected[0] === "phone" ? "phone" : "email")}
                error={errorOf("recipientPreference")}
              />
            </Card>
          </Layout.AnnotatedSection>
          <Layout.AnnotatedSection title={t("settings.testOrders.title")} description={t("settings.testOrders.description")}>
            <Card>
              <Checkbox
                label={t("settings.testOrders.label")}
                checked={values.testOrdersEnabled}
                onChange={(checked) => set("testOrdersEnabled", checked)}
                error={errorOf("testOrdersEnabled")}
              />
            </Card>
          </Layout.AnnotatedSection>
          <Layout.Section>
            <Box paddingBlockEnd="400">
              <BlockStack gap="100">
                <Text as="p" tone="subdued" variant="bodySm">
                  {dirty ? t("settings.unsavedHint") : t("settings.savedHint")}
                </Text>
              </BlockStack>
            </Box>
          </Layout.Section>
        </Layout>
      </Form>
    </Page>
  );
}

export function ErrorBoundary() {
  return <RouteError />;
}
