import type { HeadersFunction, LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Link, Outlet, useLoaderData, useLocation, useNavigation, useRouteError, type ShouldRevalidateFunction } from "@remix-run/react";
import { boundary } from "@shopify/shopify-app-remix/server";
import { AppProvider } from "@shopify/shopify-app-remix/react";
import { NavMenu } from "@shopify/app-bridge-react";
import polarisStyles from "@shopify/polaris/build/esm/styles.css?url";
import { BlockStack, Card, Layout, SkeletonBodyText, SkeletonDisplayText, SkeletonPage } from "@shopify/polaris";
import { useEffect, useState } from "react";
import { appBridge } from "../components/app-bridge";
import { I18nProvider, createI18n, useI18n } from "../i18n/i18n";
import { resolveLocale } from "../i18n/locale";
import { polarisTranslations } from "../i18n/polaris.server";
import { authenticate } from "../shopify.server";

export const links = () => [{ rel: "stylesheet", href: polarisStyles }];

export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { session } = await authenticate.admin(request);
  // The admin passes its user's language as ?locale= when it loads the app; an online session knows it too.
  const locale = resolveLocale(new URL(request.url).searchParams.get("locale"), session.onlineAccessInfo?.associated_user?.locale);
  return json({ apiKey: process.env.SHOPIFY_API_KEY || "", locale, polarisTranslations: polarisTranslations(locale) });
};

/**
 * The layout's data (API key, language) belongs to the document the admin loaded: navigations and saves inside
 * the app keep it (their URLs no longer carry ?locale=), unless the admin asks for another language.
 */
export const shouldRevalidate: ShouldRevalidateFunction = ({ currentUrl, nextUrl }) => {
  const next = nextUrl.searchParams.get("locale");
  return next !== null && next !== currentUrl.searchParams.get("locale");
};

/** The admin's loading bar while a page of the app loads its data. */
function NavigationLoading() {
  const navigation = useNavigation();
  const loading = navigation.state === "loading";
  useEffect(() => {
    try {
      appBridge()?.loading?.(loading);
    } catch {
      // App Bridge not ready yet.
    }
  }, [loading]);
  return null;
}

/** True while a click leads to another page of the app and its data takes longer than a blink. */
function useSlowPageChange(delayMs = 250): boolean {
  const navigation = useNavigation();
  const location = useLocation();
  const changing = navigation.state === "loading" && navigation.location !== undefined && navigation.location.pathname !== location.pathname;
  const [slow, setSlow] = useState(false);
  useEffect(() => {
    if (!changing) {
      setSlow(false);
      return;
    }
    const timer = setTimeout(() => setSlow(true), delayMs);
    return () => clearTimeout(timer);
  }, [changing, delayMs]);
  return changing && slow;
}

/** The loading state of every page: its outline until its data arrives. */
function PageLoading() {
  const { t } = useI18n();
  return (
    <SkeletonPage primaryAction backAction>
      <div role="status" aria-live="polite" style={{ position: "absolute", width: 1, height: 1, overflow: "hidden", clip: "rect(0 0 0 0)" }}>
        {t("common.loading")}
      </div>
      <Layout>
        <Layout.Section>
          <Card>
            <BlockStack gap="400">
              <SkeletonDisplayText size="small" />
              <SkeletonBodyText lines={4} />
            </BlockStack>
          </Card>
        </Layout.Section>
        <Layout.Section>
          <Card>
            <SkeletonBodyText lines={6} />
          </Card>
        </Layout.Section>
      </Layout>
    </SkeletonPage>
  );
}

function AppPages() {
  const slow = useSlowPageChange();
  return slow ? <PageLoading /> : <Outlet />;
}

export default function App() {
  const { apiKey, locale, polarisTranslations: i18n } = useLoaderData<typeof loader>();
  const { t } = createI18n(locale);
  return (
    <AppProvider isEmbeddedApp apiKey={apiKey} i18n={i18n}>
      <I18nProvider locale={locale}>
        <NavMenu>
          <Link to="/app" rel="home">
            {t("nav.home")}
          </Link>
          <Link to="/app/settings">{t("nav.settings")}</Link>
          <Link to="/app/test-push">{t("nav.testPush")}</Link>
          <Link to="/app/pushes">{t("nav.pushes")}</Link>
        </NavMenu>
        <NavigationLoading />
        <AppPages />
      </I18nProvider>
    </AppProvider>
  );
}

// Shopify needs Remix to catch some thrown responses so that their headers are included.
export function ErrorBoundary() {
  return boundary.error(useRouteError());
}

export const headers: HeadersFunction = (headersArgs) => boundary.headers(headersArgs);
