// The Order status page (customer-account.order-status.block.render): the opt-in, and "Stop Messenger updates" once
// the order is bound (decision 020).
// Hands Shopify's runtime the Preact Signal class: the page's values (the order, the buyer's language) are then
// signals whose reads re-render the block when they change (the order is undefined until Shopify has processed it).
import "@shopify/ui-extensions/preact";
import { render } from "preact";
import { OptinBlock } from "./OptinBlock";

const sessionToken = () => shopify.sessionToken.get();
const translate = (key: string) => shopify.i18n.translate(key);

export default async () => {
  render(<OrderStatusOptin />, document.body);
};

export function OrderStatusOptin() {
  return (
    <OptinBlock
      orderGid={shopify.order.value?.id}
      sessionToken={sessionToken}
      language={shopify.localization.language.value?.isoCode}
      translate={translate}
      canStop
    />
  );
}
