import { BlockStack, Card, Text } from "@shopify/polaris";
import type { ReactNode } from "react";

type Gap = "200" | "300" | "400";

/** A card of the admin with its section heading (h2) above its content. */
export function TitledCard({ title, gap = "200", children }: { title: string; gap?: Gap; children: ReactNode }) {
  return (
    <Card>
      <BlockStack gap={gap}>
        <Text as="h2" variant="headingMd">
          {title}
        </Text>
        {children}
      </BlockStack>
    </Card>
  );
}
