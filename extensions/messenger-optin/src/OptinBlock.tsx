// The Messenger opt-in (decision 020), shared by the Thank-you and Order status targets: a button to the shop's page
// on m.me with the order's ref, in the buyer's language, only when the app answers a link; nothing at all while it
// loads, when the app says no (not linked, opt-in off) or when the call fails: the buyer never sees an error. On the
// Order status page, once the order is bound, "Stop Messenger updates".
import { useEffect, useState } from "preact/hooks";
import type { OptinLinkAnswer } from "../../../app/pushes/optin-contract";
import { loadOptinLink, orderIdOf, stopMessengerUpdates, type SessionToken } from "./app-api";

export interface OptinBlockProps {
  orderGid: string | undefined | null;
  sessionToken: SessionToken;
  /** The buyer's language (localization.language's isoCode): zh-CN gets the merchant's Chinese words. */
  language: string | undefined;
  translate: (key: string) => string;
  /** The Order status page offers "Stop Messenger updates" once the order is bound; the Thank-you page does not. */
  canStop: boolean;
}

type State = { state: "hidden" } | { state: "shown"; link: OptinLinkAnswer; stopped: boolean; stopping: boolean };

/** The merchant's words for the buyer's language, else the block's own (Simplified Chinese, else English). */
export function buttonTextOf(link: OptinLinkAnswer, language: string | undefined, translate: (key: string) => string): string {
  const own = language === "zh-CN" ? link.buttonText["zh-CN"] : link.buttonText.en;
  return own ?? translate("button");
}

export function OptinBlock({ orderGid, sessionToken, language, translate: t, canStop }: OptinBlockProps) {
  const orderId = orderIdOf(orderGid);
  const [shown, setShown] = useState<State>({ state: "hidden" });

  useEffect(() => {
    if (!orderId) return;
    let current = true;
    loadOptinLink(orderId, sessionToken)
      .then((link) => current && setShown(link ? { state: "shown", link, stopped: false, stopping: false } : { state: "hidden" }))
      .catch(() => current && setShown({ state: "hidden" }));
    return () => {
      current = false;
    };
  }, [orderId, sessionToken]);

  if (shown.state === "hidden" || !orderId) return null;
  const { link, stopped, stopping } = shown;

  async function stop() {
    if (!orderId || shown.state !== "shown") return;
    setShown({ ...shown, stopping: true });
    try {
      await stopMessengerUpdates(orderId, sessionToken);
      setShown({ state: "shown", link: { ...link, bound: false }, stopped: true, stopping: false });
    } catch {
      // Nothing changed: the button stays for another try.
      setShown({ ...shown, stopping: false });
    }
  }

  if (link.bound) {
    return (
      <s-section heading={t("heading")} data-optin="bound">
        <s-stack gap="base">
          <s-paragraph>{t("bound")}</s-paragraph>
          {canStop && (
            <s-button variant="secondary" data-action="stop" loading={stopping} onClick={() => void stop()}>
              {t("stop")}
            </s-button>
          )}
        </s-stack>
      </s-section>
    );
  }
  return (
    <s-section heading={t("heading")} data-optin="shown">
      <s-stack gap="base">
        {stopped && <s-paragraph data-optin="stopped">{t("stopped")}</s-paragraph>}
        <s-paragraph>{t("body")}</s-paragraph>
        <s-button variant="primary" href={link.url} target="_blank" data-action="open">
          {buttonTextOf(link, language, t)}
        </s-button>
      </s-stack>
    </s-section>
  );
}
