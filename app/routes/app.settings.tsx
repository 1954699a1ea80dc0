import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { useFetcher, useLoaderData } from "@remix-run/react";
import { SaveBar } from "@shopify/app-bridge-react";
import { Banner, BlockStack, Box, Card, Checkbox, ChoiceList, Form, FormLayout, Layout, Page, Text, TextField } from "@shopify/polaris";
import { useCallback, useEffect, useMemo, useState } from "react";
import { z } from "zod";
import { answerRefusals } from "../admin/refusals.server";
import { adminContext, readAction } from "../admin/request.server";
import { showToast } from "../components/app-bridge";
import { useFetcherAnswer } from "../components/hooks";
import { trackingKey } from "../components/labels";
import { RouteError } from "../components/RouteError";
import { useI18n } from "../i18n/i18n";
import type { MessageKey } from "../i18n/en";
import { TRACKING_STATUSES, type TrackingStatus } from "../pushes/types";
import { formValuesOf, patchOf, SettingsFormSchema, validateSettingsForm, type SettingsFormValues } from "../settings/settings-form";
import { MAX_OPTIN_BUTTON_LENGTH, MAX_UNPAID_DELAY_MINUTES } from "../settings/settings-schema";
import { getShopSettings, updateShopSettings } from "../settings/settings.server";
import { latestOrderName } from "../stores/order-store.server";
import { noticePreviews, type NoticeMessage } from "../pushes/notices";

export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { shop, runtime } = await adminContext(request);
  const settings = await getShopSettings(runtime.db, shop);
  return json({
    linked: Boolean(settings?.pageId),
    values: formValuesOf(settings),
    updatedAt: settings?.updatedAt ?? null,
    noticesAvailable: Boolean(runtime.env.JOINCHAT_SEND_API_URL),
    previews: noticePreviews((await latestOrderName(runtime.db, shop)) ?? "#1001", `https://${shop}/account/orders`),
  });
};

/** The form's values as the page posts them; this page changes the push choices only (the page id and secret are linked on the home page). */
const SettingsBodySchema = z.record(z.unknown()).transform(patchOf).pipe(SettingsFormSchema);

export const action = async ({ request }: ActionFunctionArgs) => {
  const { shop, runtime } = await adminContext(request);
  return answerRefusals(async () => {
    const patch = await readAction(request, SettingsBodySchema);
    const saved = await updateShopSettings(runtime.db, shop, patch, runtime.box, Date.now(), { noticesAvailable: Boolean(runtime.env.JOINCHAT_SEND_API_URL) });
    return json({ ok: true as const, values: formValuesOf(saved) });
  });
};

const SAVE_BAR_ID = "push-settings-save-bar";

function sameValues(a: SettingsFormValues, b: SettingsFormValues): boolean {
  return JSON.stringify({ ...a, packageStatuses: [...a.packageStatuses].sort() }) === JSON.stringify({ ...b, packageStatuses: [...b.packageStatuses].sort() });
}

export default function Settings() {
  const { linked, values: saved, noticesAvailable, previews } = useLoaderData<typeof loader>();
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

  useFetcherAnswer(fetcher, (data) => {
    if (data.ok) {
      setErrors({});
      showToast(t("settings.saved"));
    } else {
      setErrors(data.fieldErrors ?? {});
      showToast(t("settings.notSaved"), true);
    }
  });

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

  const statusChoices = useMemo(() => TRACKING_STATUSES.map((status) => ({ label: t(trackingKey(status)), value: status })), [t]);
  const errorOf = (field: keyof SettingsFormValues): string | undefined =>
    errors[field] ? t(`settings.errors.${field}` as MessageKey, { max: MAX_UNPAID_DELAY_MINUTES, length: MAX_OPTIN_BUTTON_LENGTH }) : undefined;
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
          <Layout.AnnotatedSection title={t("settings.notices.title")} description={t("settings.notices.description")}>
            <Card>
              <FormLayout>
                {!noticesAvailable && <Banner tone="warning" title={t("settings.notices.unavailable")} />}
                <Checkbox
                  label={t("settings.notices.cancel")}
                  helpText={t("settings.notices.cancelHelp")}
                  checked={values.cancelNoticeEnabled}
                  onChange={(checked) => set("cancelNoticeEnabled", checked)}
                  disabled={!noticesAvailable && !values.cancelNoticeEnabled}
                  error={errorOf("cancelNoticeEnabled")}
                />
                <NoticePreview title={t("settings.notices.preview")} messages={previews.map((p) => ({ language: p.language, message: p.cancelled }))} />
                <Checkbox
                  label={t("settings.notices.refund")}
                  helpText={t("settings.notices.refundHelp")}
                  checked={values.refundNoticeEnabled}
                  onChange={(checked) => set("refundNoticeEnabled", checked)}
                  disabled={!noticesAvailable && !values.refundNoticeEnabled}
                  error={errorOf("refundNoticeEnabled")}
                />
                <NoticePreview title={t("settings.notices.preview")} messages={previews.map((p) => ({ language: p.language, message: p.refund }))} />
              </FormLayout>
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
          <Layout.AnnotatedSection title={t("settings.cod.title")} description={t("settings.cod.description")}>
            <Card>
              <FormLayout>
                <ChoiceList
                  title={t("settings.cod.label")}
                  choices={[
                    { label: t("settings.cod.confirmation"), value: "confirmation" },
                    { label: t("settings.cod.unpaidReminder"), value: "unpaid_reminder" },
                    { label: t("settings.cod.nothing"), value: "nothing" },
                  ]}
                  selected={[values.codOrders]}
                  onChange={(selected) => set("codOrders", selected[0] === "unpaid_reminder" || selected[0] === "nothing" ? selected[0] : "confirmation")}
                  error={errorOf("codOrders")}
                />
                <TextField
                  label={t("settings.cod.names")}
                  value={values.codGatewayNames}
                  onChange={(value) => set("codGatewayNames", value)}
                  multiline={3}
                  helpText={t("settings.cod.namesHelp")}
                  error={errorOf("codGatewayNames")}
                  autoComplete="off"
                />
              </FormLayout>
            </Card>
          </Layout.AnnotatedSection>
          <Layout.AnnotatedSection title={t("settings.terms.title")} description={t("settings.terms.description")}>
            <Card>
              <Checkbox
                label={t("settings.terms.label")}
                helpText={t("settings.terms.help")}
                checked={values.termsReminderEnabled}
                onChange={(checked) => set("termsReminderEnabled", checked)}
                disabled={!values.unpaidEnabled}
                error={errorOf("termsReminderEnabled")}
              />
            </Card>
          </Layout.AnnotatedSection>
          <Layout.AnnotatedSection title={t("settings.optin.title")} description={t("settings.optin.description")}>
            <Card>
              <FormLayout>
                <Checkbox
                  label={t("settings.optin.label")}
                  helpText={t("settings.optin.help")}
                  checked={values.optinEnabled}
                  onChange={(checked) => set("optinEnabled", checked)}
                  error={errorOf("optinEnabled")}
                />
                <TextField
                  label={t("settings.optin.buttonEn")}
                  value={values.optinButtonEn}
                  placeholder={t("settings.optin.buttonEnDefault")}
                  maxLength={MAX_OPTIN_BUTTON_LENGTH}
                  onChange={(value) => set("optinButtonEn", value)}
                  helpText={t("settings.optin.buttonHelp")}
                  error={errorOf("optinButtonEn")}
                  disabled={!values.optinEnabled}
                  autoComplete="off"
                />
                <TextField
                  label={t("settings.optin.buttonZhCn")}
                  value={values.optinButtonZhCn}
                  placeholder={t("settings.optin.buttonZhCnDefault")}
                  maxLength={MAX_OPTIN_BUTTON_LENGTH}
                  onChange={(value) => set("optinButtonZhCn", value)}
                  error={errorOf("optinButtonZhCn")}
                  disabled={!values.optinEnabled}
                  autoComplete="off"
                />
              </FormLayout>
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

/** The words of a notice as the buyer reads them, in each language, with its button when it has one. */
function NoticePreview({ title, messages }: { title: string; messages: { language: string; message: NoticeMessage }[] }) {
  return (
    <Box paddingInlineStart="600">
      <BlockStack gap="100">
        <Text as="p" tone="subdued" variant="bodySm">
          {title}
        </Text>
        {messages.map(({ language, message }) => (
          <Text key={language} as="p" variant="bodySm">
            {`${language}: ${message.text}`}
            {message.template_type === "button" ? ` [${message.buttons[0].title}]` : ""}
          </Text>
        ))}
      </BlockStack>
    </Box>
  );
}

export function ErrorBoundary() {
  return <RouteError />;
}
