import { describe, expect, it } from "vitest";
import { cancelNoticeParams, noticeLanguageOf, noticePreviews, refundedAmountOf, refundNoticeParams } from "./notices";

describe("notices", () => {
  it.each([
    ["zh-CN", "zh-CN"],
    ["zh_cn", "zh-CN"],
    ["zh", "zh-CN"],
    ["zh-Hans-CN", "zh-CN"],
    ["zh-TW", "en"],
    ["en-US", "en"],
    ["fr", "en"],
    [null, "en"],
    ["", "en"],
  ])("the language of customer_locale %s is %s", (locale, language) => {
    expect(noticeLanguageOf(locale)).toBe(language);
  });

  it("link the order status page with a button, and fall back to text without one", () => {
    const facts = { orderName: "#7", orderStatusUrl: "https://shop.example/orders/7", language: "en" as const };
    expect(cancelNoticeParams(facts, false)).toEqual({
      language: "en",
      tag: "POST_PURCHASE_UPDATE",
      message: {
        template_type: "button",
        text: "Your order #7 has been cancelled.",
        buttons: [{ type: "web_url", url: "https://shop.example/orders/7", title: "View order" }],
      },
    });
    expect(refundNoticeParams({ ...facts, orderStatusUrl: null, language: "zh-CN" }, null).message).toEqual({
      template_type: "text",
      text: "您的订单 #7 已退款。",
    });
    expect(refundNoticeParams({ ...facts, orderStatusUrl: "javascript:alert(1)" }, "5.00 USD").message).toEqual({
      template_type: "text",
      text: "A refund of 5.00 USD for your order #7 has been issued.",
    });
  });

  it("sum a refund's successful refund transactions in one currency, else say no amount", () => {
    expect(
      refundedAmountOf([
        { kind: "refund", status: "success", amount: "10.10", currency: "EUR" },
        { kind: "refund", status: "success", amount: 0.2, currency: "EUR" },
      ]),
    ).toBe("10.30 EUR");
    expect(refundedAmountOf([{ kind: "refund", status: "failure", amount: "10.10", currency: "EUR" }])).toBeNull();
    expect(
      refundedAmountOf([
        { kind: "refund", status: "success", amount: "1", currency: "EUR" },
        { kind: "refund", status: "success", amount: "1", currency: "USD" },
      ]),
    ).toBeNull();
    expect(refundedAmountOf([])).toBeNull();
  });

  it("preview both texts in both languages, each within Messenger's button text limit", () => {
    const previews = noticePreviews("#1001", "https://shop.example/o");
    expect(previews.map((p) => p.language)).toEqual(["en", "zh-CN"]);
    for (const p of previews) for (const m of [p.cancelled, p.refund]) expect([...m.text].length).toBeLessThanOrEqual(640);
  });
});
