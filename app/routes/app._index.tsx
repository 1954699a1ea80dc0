import type { LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { BlockStack, Card, Layout, Page, Text } from "@shopify/polaris";
import { authenticate } from "../shopify.server";
import { getRuntime } from "../runtime.server";
import { getShopSettings } from "../settings/settings.server";

export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { session } = await authenticate.admin(request);
  const runtime = await getRuntime();
  const settings = await getShopSettings(runtime.db, session.shop);
  return json({ shop: session.shop, pageId: settings?.pageId ?? null, secretSet: settings?.secretSet ?? false });
};

export default function Home() {
  const { shop, pageId, secretSet } = useLoaderData<typeof loader>();
  return (
    <Page title="JoinChat Push">
      <Layout>
        <Layout.Section>
          <Card>
            <BlockStack gap="200">
              <Text as="h2" variant="headingMd">
                {pageId ? `Facebook page ${pageId} is linked` : "Link your Facebook page"}
              </Text>
              <Text as="p">
                {pageId
                  ? `Orders and parcel updates of ${shop} are pushed to your buyers on Messenger through JoinChat.`
                  : "Until a page is linked, no push is sent. An operator can link it with npm run cli -- shop configure."}
              </Text>
              <Text as="p" tone="subdued">
                JoinChat API secret: {secretSet ? "set" : "not set"}
              </Text>
            </BlockStack>
          </Card>
        </Layout.Section>
      </Layout>
    </Page>
  );
}
