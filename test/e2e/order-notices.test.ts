// Order notices through the production server, on both backends: "order cancelled" and "refund issued" go through
// JoinChat's Send API (the sandbox's /api/send_message, which enforces its documented shape) from the same outbox
// as every push: off by default, exactly once, in the buyer's language, tagged POST_PURCHASE_UPDATE, and one
// notice for a cancelled and fully refunded order.
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { buildOrderJson, ORDER_ID, PSID, toRawJson } from "../fixtures/orders";
import { type AppProcess, pushesOf, sendAccepted, sleep, uniqueShop, waitFor, waitForSettled } from "../helpers/app-process";
import { describeOnBackends, receivedBy, useE2eStack, type E2eStack } from "../helpers/e2e-stack";
import type { SentMessage } from "../sandbox/joinchat-sandbox";

let stack: E2eStack;
let app: AppProcess;

const STATUS_URL = "https://example-shop.myshopify.com/548380009/orders/123456abcd/authenticate?key=abcdefg";

function cancelledJson(overrides: Record<string, unknown> = {}): string {
  return buildOrderJson({ financial_status: "refunded", cancelled_at: new Date().toISOString(), cancel_reason: "customer", ...overrides });
}

/** A refunds/create body for the test order: one successful refund transaction. */
function refundJson(refundId: bigint, amount: string, currency = "EUR"): string {
  return toRawJson({
    id: refundId,
    order_id: ORDER_ID,
    created_at: new Date().toISOString(),
    note: null,
    restock: false,
    admin_graphql_api_id: `gid://shopify/Refund/${refundId}`,
    refund_line_items: [],
    order_adjustments: [],
    transactions: [{ id: refundId + 1n, order_id: ORDER_ID, kind: "refund", status: "success", amount, currency, gateway: "shopify_payments" }],
  });
}

function sentTo(shop: string): SentMessage[] {
  return stack.sandbox.sent.filter((m) => m.shop === shop && !m.replay);
}

describeOnBackends((backend) => {
  useE2eStack(
    (started) => {
      stack = started;
      app = started.app;
    },
    {},
    backend,
  );

  const send = async (topic: string, shop: string, body: string, webhookId?: string) => (await sendAccepted(app, topic, shop, body, webhookId)).intake;

  describe("notices through JoinChat's Send API", () => {
    it("are off by default: a cancellation and a refund tell the buyer nothing", { timeout: 30_000 }, async () => {
      const shop = uniqueShop("notices-off");
      await app.configureShop(shop);
      await send("orders/create", shop, buildOrderJson({ financial_status: "paid" }));
      await waitForSettled(app, shop);
      await send("orders/cancelled", shop, cancelledJson());
      await send("refunds/create", shop, refundJson(910000000000000001n, "173.53"));
      const pushes = await waitForSettled(app, shop);
      expect(pushes.map((p) => [p.topic, p.status])).toEqual([["Order/Receipt", "delivered"]]);
      await sleep(200);
      expect(sentTo(shop)).toHaveLength(0);
      expect(stack.recorder.requests.filter((r) => r.shop === shop)).toHaveLength(1);
    });

    it("a cancellation after everything was sent: nothing re-sent, one notice, and the full refund adds none", { timeout: 30_000 }, async () => {
      const shop = uniqueShop("cancel-notice");
      const saved = await app.configureShop(shop, ["--cancel-notice", "on", "--refund-notice", "on"]);
      expect(saved).toMatch(/cancellation notice\s+on/);
      await send("orders/create", shop, buildOrderJson({ financial_status: "paid" }));
      await waitFor(() => receivedBy(stack.sandbox, shop, "Order/Receipt").length === 1, 10_000, "the receipt");
      await waitForSettled(app, shop);

      await send("orders/cancelled", shop, cancelledJson());
      await waitFor(() => sentTo(shop).length === 1, 10_000, "the cancellation notice");
      await send("refunds/create", shop, refundJson(910000000000000002n, "173.53"));
      const pushes = await waitForSettled(app, shop);
      expect(pushes.map((p) => [p.topic, p.status, p.reason])).toEqual([
        ["Order/Receipt", "delivered", null],
        ["Notice/OrderCancelled", "delivered", null],
        ["Notice/RefundIssued", "skipped", "notice_covered"],
      ]);
      const [notice] = sentTo(shop);
      expect(notice).toMatchObject({ pageId: "407898491811542", recipient: { id: PSID }, tag: "POST_PURCHASE_UPDATE", templateType: "button" });
      expect(notice.message).toEqual({
        template_type: "button",
        text: "Your order #1001 has been cancelled and your payment refunded.",
        buttons: [{ type: "web_url", url: STATUS_URL, title: "View order" }],
      });
      // The body is the Send API's, signed like every push; the receipt went once.
      const requests = stack.recorder.requests.filter((r) => r.shop === shop);
      expect(requests).toHaveLength(2);
      expect(JSON.parse(requests[1].body.toString("utf8"))).toEqual({
        page_id: "407898491811542",
        recipient: { id: PSID },
        message: notice.message,
        tag: "POST_PURCHASE_UPDATE",
      });
      expect(receivedBy(stack.sandbox, shop)).toHaveLength(1);
    });

    it("a refund notice, in Simplified Chinese for a zh-CN buyer, with what was refunded", { timeout: 30_000 }, async () => {
      const shop = uniqueShop("refund-notice");
      await app.configureShop(shop, ["--refund-notice", "on"]);
      await send("orders/create", shop, buildOrderJson({ financial_status: "paid", customer_locale: "zh-CN" }));
      await waitForSettled(app, shop);
      await send("refunds/create", shop, refundJson(910000000000000003n, "24.97"));
      await waitFor(() => sentTo(shop).length === 1, 10_000, "the refund notice");
      const pushes = await waitForSettled(app, shop);
      expect(pushes.map((p) => [p.topic, p.status])).toEqual([
        ["Order/Receipt", "delivered"],
        ["Notice/RefundIssued", "delivered"],
      ]);
      const [notice] = sentTo(shop);
      expect(notice.tag).toBe("POST_PURCHASE_UPDATE");
      expect(notice.message).toEqual({
        template_type: "button",
        text: "您的订单 #1001 已退款 24.97 EUR。",
        buttons: [{ type: "web_url", url: STATUS_URL, title: "查看订单" }],
      });
    });

    it("a buyer in another language gets English; an order without a status page gets a text", { timeout: 30_000 }, async () => {
      const shop = uniqueShop("notice-fallback");
      await app.configureShop(shop, ["--cancel-notice", "on"]);
      await send("orders/create", shop, buildOrderJson({ financial_status: "pending", customer_locale: "fr", order_status_url: null }));
      await send("orders/cancelled", shop, cancelledJson({ financial_status: "voided", customer_locale: "fr", order_status_url: null }));
      await waitFor(() => sentTo(shop).length === 1, 10_000, "the cancellation notice");
      expect(sentTo(shop)[0].message).toEqual({ template_type: "text", text: "Your order #1001 has been cancelled." });
    });

    it("the same cancellation delivered three times makes one notice", { timeout: 30_000 }, async () => {
      const shop = uniqueShop("notice-thrice");
      await app.configureShop(shop, ["--cancel-notice", "on"]);
      await send("orders/create", shop, buildOrderJson({ financial_status: "paid" }));
      await waitForSettled(app, shop);
      const body = cancelledJson();
      // Shopify's retries of one delivery (one webhook id) and the same event sent again (another id).
      const sameId = randomUUID();
      await Promise.all([
        send("orders/cancelled", shop, body, sameId),
        send("orders/cancelled", shop, body, sameId),
        send("orders/cancelled", shop, body, randomUUID()),
      ]);
      const pushes = await waitForSettled(app, shop);
      const notices = pushes.filter((p) => p.topic === "Notice/OrderCancelled");
      expect(notices.filter((p) => p.status === "delivered")).toHaveLength(1);
      for (const p of notices.filter((n) => n.status !== "delivered")) expect(p).toMatchObject({ status: "skipped", reason: "duplicate", attempts: 0 });
      await sleep(200);
      expect(sentTo(shop)).toHaveLength(1);
    });

    it("a refund notice waiting for a retry (JoinChat down) when the cancellation comes: one notice in all", { timeout: 30_000 }, async () => {
      const shop = uniqueShop("refund-then-cancel");
      await app.configureShop(shop, ["--cancel-notice", "on", "--refund-notice", "on"]);
      await send("orders/create", shop, buildOrderJson({ financial_status: "paid" }));
      await waitForSettled(app, shop);
      stack.sandbox.fail({ mode: "status", status: 503, forMs: 60_000, endpoint: "send_message" });
      await send("refunds/create", shop, refundJson(910000000000000004n, "173.53"));
      await waitFor(
        async () => (await pushesOf(app, shop)).some((p) => p.topic === "Notice/RefundIssued" && p.status === "retrying"),
        10_000,
        "the refund notice to wait",
      );
      await send("orders/cancelled", shop, cancelledJson());
      stack.sandbox.clearFaults();
      const pushes = await waitForSettled(app, shop);
      // Waiting, the refund notice gives way to the cancellation's; caught in an attempt (its retries come every few
      // hundred ms here), it is the buyer's notice and the cancellation's is not sent. One notice either way.
      const notices = pushes.filter((p) => p.topic.startsWith("Notice/"));
      expect(notices).toHaveLength(2);
      expect(notices.filter((p) => p.status === "delivered")).toHaveLength(1);
      const other = notices.find((p) => p.status !== "delivered");
      expect(other?.reason).toBe("notice_covered");
      expect(["cancelled", "skipped"]).toContain(other?.status);
      await sleep(200);
      expect(sentTo(shop)).toHaveLength(1);
    });
  });
});
