import type { ShopSettings } from "../settings/shop-settings";
import { chooseRecipient } from "./recipient";
import { SKIP_REASONS, type SkipReasonCode } from "./reasons";
import type { Recipient, RecipientPreference } from "./types";

// Notices: short messages to the buyer through JoinChat's generic Send API (`send_message`), for what JoinChat's
// merchant push has no topic for: an order cancelled, a refund issued (docs/decisions/017-cancellations-and-notices.md).
// Planning is pure, like the pushes': what is known of the order and the shop's settings in, a draft out.

export const NOTICE_TOPICS = ["Notice/OrderCancelled", "Notice/RefundIssued"] as const;
export type NoticeTopic = (typeof NOTICE_TOPICS)[number];

export function isNoticeTopic(topic: string): topic is NoticeTopic {
  return (NOTICE_TOPICS as readonly string[]).includes(topic);
}

/** The Messenger tag for a post-purchase update, the one Messenger allows for these outside the 24-hour window. */
export const NOTICE_TAG = "POST_PURCHASE_UPDATE";

/** The languages a notice is written in; any other falls back to English. */
export const NOTICE_LANGUAGES = ["en", "zh-CN"] as const;
export type NoticeLanguage = (typeof NOTICE_LANGUAGES)[number];

/**
 * The language of a notice from the order's `customer_locale`: Simplified Chinese for `zh-CN` (and `zh`, `zh-Hans`,
 * `zh-SG`), else English (Traditional Chinese included: it is not the language the text is written in).
 */
export function noticeLanguageOf(locale: string | null | undefined): NoticeLanguage {
  const tag = (locale ?? "").trim().toLowerCase().replace(/_/g, "-");
  if (tag === "zh" || tag === "zh-cn" || tag === "zh-sg" || tag.startsWith("zh-hans")) return "zh-CN";
  return "en";
}

const TEXTS = {
  en: {
    cancelled: (order: string) => `Your order ${order} has been cancelled.`,
    cancelledRefunded: (order: string) => `Your order ${order} has been cancelled and your payment refunded.`,
    refund: (order: string, amount: string | null) =>
      amount ? `A refund of ${amount} for your order ${order} has been issued.` : `A refund for your order ${order} has been issued.`,
    button: "View order",
  },
  "zh-CN": {
    cancelled: (order: string) => `您的订单 ${order} 已取消。`,
    cancelledRefunded: (order: string) => `您的订单 ${order} 已取消，款项已退回。`,
    refund: (order: string, amount: string | null) => (amount ? `您的订单 ${order} 已退款 ${amount}。` : `您的订单 ${order} 已退款。`),
    button: "查看订单",
  },
} as const;

/** Messenger's text template, or its button template with one link (to the order status page). */
export type NoticeMessage =
  { template_type: "text"; text: string } | { template_type: "button"; text: string; buttons: { type: "web_url"; url: string; title: string }[] };

/** What a notice push keeps in push.params: the message and its tag, settled when it is planned. */
export interface NoticeParams {
  language: NoticeLanguage;
  message: NoticeMessage;
  tag: typeof NOTICE_TAG;
}

export interface NoticeFacts {
  orderName: string;
  orderStatusUrl: string | null;
  language: NoticeLanguage;
}

function messageOf(text: string, facts: NoticeFacts): NoticeMessage {
  const url = facts.orderStatusUrl && /^https?:\/\//i.test(facts.orderStatusUrl) ? facts.orderStatusUrl : null;
  if (!url) return { template_type: "text", text };
  return { template_type: "button", text, buttons: [{ type: "web_url", url, title: TEXTS[facts.language].button }] };
}

/** The cancellation notice; `refunded`: the order's payment went back with the cancellation. */
export function cancelNoticeParams(facts: NoticeFacts, refunded: boolean): NoticeParams {
  const words = TEXTS[facts.language];
  const text = refunded ? words.cancelledRefunded(facts.orderName) : words.cancelled(facts.orderName);
  return { language: facts.language, message: messageOf(text, facts), tag: NOTICE_TAG };
}

/** The refund notice; `amount`: what was refunded, as the buyer paid it (`24.97 USD`), when the refund says. */
export function refundNoticeParams(facts: NoticeFacts, amount: string | null): NoticeParams {
  return { language: facts.language, message: messageOf(TEXTS[facts.language].refund(facts.orderName, amount), facts), tag: NOTICE_TAG };
}

/** The amount a refund gave back: its successful refund transactions, when they share one currency. */
export function refundedAmountOf(
  transactions: readonly { kind?: string | null; status?: string | null; amount?: string | number | null; currency?: string | null }[],
) {
  const done = transactions.filter((t) => t.kind === "refund" && (t.status ?? "success") === "success" && t.amount !== null && t.amount !== undefined);
  const currencies = new Set(done.map((t) => t.currency ?? ""));
  if (done.length === 0 || currencies.size !== 1 || currencies.has("")) return null;
  const cents = done.reduce((sum, t) => sum + Math.round(Number(t.amount) * 100), 0);
  if (!Number.isFinite(cents) || cents <= 0) return null;
  return `${(cents / 100).toFixed(2)} ${[...currencies][0]}`;
}

/** The first reason, in the order a merchant would look for it, why a notice is not sent; null to send it. */
export function noticeSkipReason(settings: ShopSettings | null, topic: NoticeTopic, facts: { test: boolean; hasRecipient: boolean }): SkipReasonCode | null {
  const enabled = topic === "Notice/OrderCancelled" ? settings?.cancelNoticeEnabled : settings?.refundNoticeEnabled;
  if (!enabled) return SKIP_REASONS.pushTypeOff;
  if (facts.test && !settings?.testOrdersEnabled) return SKIP_REASONS.testOrder;
  if (!settings?.pageId) return SKIP_REASONS.pageNotLinked;
  if (settings.paused) return SKIP_REASONS.paused;
  if (!facts.hasRecipient) return SKIP_REASONS.noRecipient;
  return null;
}

/** Whom a notice goes to: the order's PSID, else its email or phone in the shop's order. */
export function noticeRecipient(order: { psid: string | null; email: string | null; phone: string | null }, preference: RecipientPreference): Recipient | null {
  return chooseRecipient(order, preference);
}

export const noticeKeys = {
  cancelled: (orderGid: string) => `notice:cancelled:${orderGid}`,
  refund: (refundGid: string) => `notice:refund:${refundGid}`,
};

/** Sample words for the settings' preview, in both languages. */
export function noticePreviews(orderName: string, orderStatusUrl: string | null) {
  return NOTICE_LANGUAGES.map((language) => {
    const facts = { orderName, orderStatusUrl, language };
    return { language, cancelled: cancelNoticeParams(facts, false).message, refund: refundNoticeParams(facts, null).message };
  });
}
