// The `shopify` global the Shopify admin gives the block's target (admin.order-details.block.render), and the
// target's web components (s-admin-block, s-badge…) as JSX elements for Preact.
import type { Api } from "@shopify/ui-extensions/admin.order-details.block.render";

declare global {
  const shopify: Api;
}

export {};
