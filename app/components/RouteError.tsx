import { isRouteErrorResponse, useRouteError } from "@remix-run/react";
import { Banner, BlockStack, Button, Card, Layout, Page, Text } from "@shopify/polaris";
import { useI18n } from "../i18n/i18n";

/**
 * The error state of a page of the admin. A response thrown by Shopify's authentication (a redirect page, a
 * 401 that App Bridge retries) is left to the app layout's boundary, which renders it as Shopify wants.
 */
export function RouteError({ titleKey = "error.title" }: { titleKey?: "error.title" | "pushes.detail.title" }) {
  const error = useRouteError();
  const { t } = useI18n();
  if (isRouteErrorResponse(error) && error.status !== 404 && error.status < 500) throw error;
  const notFound = isRouteErrorResponse(error) && error.status === 404;
  return (
    <Page title={t(titleKey)} backAction={{ content: t("nav.home"), url: "/app" }}>
      <Layout>
        <Layout.Section>
          <Card>
            <BlockStack gap="300">
              <Banner tone={notFound ? "warning" : "critical"} title={notFound ? t("error.notFound") : t("error.unexpected")}>
                <Text as="p">{notFound ? t("error.notFoundHelp") : t("error.unexpectedHelp")}</Text>
              </Banner>
              <div>
                <Button url="/app">{t("error.backHome")}</Button>
              </div>
            </BlockStack>
          </Card>
        </Layout.Section>
      </Layout>
    </Page>
  );
}
