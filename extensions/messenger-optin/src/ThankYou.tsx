// The Thank-you page (purchase.thank-you.block.render): the opt-in right after checkout (decision 020).
import { render } from "preact";
import { OptinBlock } from "./OptinBlock";

const sessionToken = () => shopify.sessionToken.get();
const translate = (key: string) => shopify.i18n.translate(key);

export default async () => {
  render(<ThankYouOptin />, document.body);
};

export function ThankYouOptin() {
  return (
    <OptinBlock
      orderGid={shopify.orderConfirmation.value?.order?.id}
      sessionToken={sessionToken}
      language={shopify.localization.language.value?.isoCode}
      translate={translate}
      canStop={false}
    />
  );
}
