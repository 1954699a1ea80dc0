// The Order status page (customer-account.order-status.block.render): the opt-in, and "Stop Messenger updates" once
// the order is bound (decision 020).
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
