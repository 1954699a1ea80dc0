// The order page block, rendered with Shopify's extension test tooling (@shopify/ui-extensions-tester, a DOM from
// jsdom) against the real app: its fetches go to the production server's /api/orders/:orderId/pushes with a session
// token signed by the app's secret, and the server's worker delivers to the JoinChat sandbox. The states a merchant
// meets: no pushes, a list, a failure and a skip, a resend confirmed (or cancelled) and JoinChat's answer to it,
// the app out of reach, and the block in Simplified Chinese.
import { fireEvent, waitFor } from "@testing-library/preact";
import { getExtension } from "@shopify/ui-extensions-tester";
import { render } from "preact";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { PUSH_STATUSES } from "../../../app/pushes/push-status";
import { REASON_CODES } from "../../../app/pushes/reasons";
import { TRACKING_STATUSES } from "../../../app/pushes/types";
import { buildFulfillmentJson } from "../../../test/fixtures/fulfillments";
import { buildOrderJson } from "../../../test/fixtures/orders";
import { localeKeys, OTHER_SHOP, SHOP, startApp, translator, type AppUnderTest } from "./admin-host";

const PSID = "6024912345678901";
const WAIT = { timeout: 15_000, interval: 50 };

const extension = getExtension("admin.order-details.block.render");
let app: AppUnderTest;
let requests: { method: string; path: string }[] = [];

beforeAll(async () => {
  app = await startApp();
}, 120_000);
afterAll(async () => {
  await app?.stop();
});

function useOrder(n: number, locale: "en" | "zh-CN" = "en") {
  extension.shopify.data = { selected: [{ id: `gid://shopify/Order/${8000 + n}` }] };
  extension.shopify.auth.idToken = () => app.sessionToken();
  const translate = translator(locale);
  extension.shopify.i18n.translate = ((key: string, options?: Record<string, unknown>) => translate(key, options)) as typeof extension.shopify.i18n.translate;
  extension.shopify.i18n.formatDate = (date, options) => new Intl.DateTimeFormat(locale, { timeZone: "UTC", ...options }).format(date);
}

beforeEach(() => {
  extension.setUp();
  app.sandbox.reset();
  requests = [];
  extension.fetch = ((input: RequestInfo | URL, init?: RequestInit) => {
    requests.push({ method: init?.method ?? "GET", path: String(input) });
    return app.fetch(input, init);
  }) as typeof fetch;
});
afterEach(() => {
  // Unmount, so that no poll of this test runs into the next one.
  render(null, document.body);
  extension.tearDown();
});

function order(n: number, extra: Record<string, unknown> = {}) {
  return buildOrderJson({ id: 8000 + n, admin_graphql_api_id: `gid://shopify/Order/${8000 + n}`, name: `#${8000 + n}`, ...extra });
}

function fulfillment(n: number, id: number, shipmentStatus: string) {
  return buildFulfillmentJson({ id, admin_graphql_api_id: `gid://shopify/Fulfillment/${id}`, order_id: 8000 + n, shipment_status: shipmentStatus });
}

const q = (selector: string) => document.body.querySelector(selector);
const qa = (selector: string) => [...document.body.querySelectorAll(selector)];
const text = (selector: string) => q(selector)?.textContent ?? "";
const items = () => qa("[data-push-id]");
const pushIdsOf = (n: number) =>
  app.rows<{ id: number }>("SELECT id FROM push WHERE shop = ? AND order_gid = ? ORDER BY id DESC", SHOP, `gid://shopify/Order/${8000 + n}`).map((r) => r.id);

async function rendered(): Promise<void> {
  await extension.render();
  await waitFor(() => expect(q("s-spinner")).toBeNull(), WAIT);
}

describe("the order page block", () => {
  it("says there are no Messenger pushes yet for an order without any", async () => {
    useOrder(1);
    await rendered();
    expect(q("s-admin-block")?.getAttribute("heading")).toBe("Messenger pushes");
    expect(text("s-admin-block")).toContain("No Messenger pushes yet");
    expect(items()).toHaveLength(0);
    expect(q("[data-action]")).toBeNull();
    expect(requests).toEqual([{ method: "GET", path: "/api/orders/8001/pushes" }]);
  });

  it("lists the order's pushes newest first: topic, tracking status, status badge, when, masked recipient, and a link to each", async () => {
    await app.webhook("orders/create", order(2));
    await app.webhook("fulfillments/create", fulfillment(2, 9201, "in_transit"));
    // The same order id in another shop is never shown here.
    await app.webhook("orders/create", order(2), OTHER_SHOP);
    await app.settled();
    useOrder(2);
    await rendered();

    const ids = pushIdsOf(2);
    expect(items().map((el) => Number(el.getAttribute("data-push-id")))).toEqual(ids);
    const [shipping, receipt] = items();
    expect(shipping.textContent).toContain("Shipping update · In transit");
    expect(receipt.textContent).toContain("Order receipt");
    for (const item of items()) {
      expect(item.querySelector("s-badge")?.textContent).toBe("Delivered");
      expect(item.querySelector("s-badge")?.getAttribute("tone")).toBe("success");
      expect(item.textContent).toMatch(/To \*+8901/);
      expect(item.textContent).not.toContain(PSID);
      expect(item.textContent).toMatch(/\d{4}/);
    }
    expect(receipt.querySelector("s-link")?.getAttribute("href")).toBe(`/app/pushes/${ids[1]}`);
    expect(q("s-admin-block")?.getAttribute("collapsedsummary") ?? q("s-admin-block")?.getAttribute("collapsedSummary")).toBe("2 pushes");
    expect(text('[data-action="resend-receipt"]')).toBe("Resend receipt");
    expect(text('[data-action="resend-shipping-update"]')).toBe("Resend latest shipping update");
  });

  it("shows JoinChat's message for a failed push and the reason for a skipped one, and retries the failed push", async () => {
    app.sandbox.setKnownRecipients(["someone-else"]);
    await app.webhook("orders/create", order(3));
    await app.settled();
    useOrder(3);
    await rendered();
    const failed = items()[0];
    expect(failed.querySelector("s-badge")?.textContent).toBe("Failed");
    expect(failed.querySelector("s-badge")?.getAttribute("tone")).toBe("critical");
    expect(failed.textContent).toContain("JoinChat:");
    expect(failed.textContent).toContain("Recipient not found");
    // Nothing delivered: nothing to resend, but the failed push can be retried.
    expect(q('[data-action="resend-receipt"]')).toBeNull();
    app.sandbox.setKnownRecipients(null);
    fireEvent.click(failed.querySelector('[data-action="retry"]')!);
    await waitFor(() => expect(q('[data-banner="outcome"]')?.getAttribute("data-outcome")).toBe("delivered"), WAIT);
    expect(text('[data-banner="outcome"]')).toContain("JoinChat delivered it to the buyer.");
    expect(items()[0].querySelector("s-badge")?.textContent).toBe("Delivered");
    expect(app.sandbox.received.filter((p) => p.topic === "Order/Receipt" && !p.replay)).toHaveLength(1);

    render(null, document.body);
    await app.webhook(
      "orders/create",
      order(4, { note_attributes: [], email: null, phone: null, customer: null, contact_email: null, billing_address: null, shipping_address: null }),
    );
    await app.settled();
    useOrder(4);
    await rendered();
    const skipped = items()[0];
    expect(skipped.querySelector("s-badge")?.textContent).toBe("Skipped");
    expect(skipped.textContent).toContain("The order has no PSID, email or phone to send to");
    expect(skipped.querySelector('[data-action="retry"]')).toBeNull();
  });

  it("asks before resending the receipt: Cancel sends nothing, Send again sends exactly one push and shows JoinChat's answer", async () => {
    await app.webhook("orders/create", order(5));
    await app.settled();
    const before = pushIdsOf(5);
    const receiptsSent = () => app.sandbox.received.filter((p) => p.topic === "Order/Receipt" && !p.replay).length;
    expect(receiptsSent()).toBe(1);
    useOrder(5);
    await rendered();

    fireEvent.click(q('[data-action="resend-receipt"]')!);
    await waitFor(() => expect(q('[data-banner="confirm"]')).not.toBeNull(), WAIT);
    expect(text('[data-banner="confirm"]')).toContain("The buyer gets the order's receipt on Messenger once more.");
    fireEvent.click(q('[data-action="cancel"]')!);
    await waitFor(() => expect(q('[data-banner="confirm"]')).toBeNull(), WAIT);
    expect(requests.filter((r) => r.method === "POST")).toHaveLength(0);

    fireEvent.click(q('[data-action="resend-receipt"]')!);
    await waitFor(() => expect(q('[data-action="confirm"]')).not.toBeNull(), WAIT);
    fireEvent.click(q('[data-action="confirm"]')!);
    await waitFor(() => expect(q('[data-banner="outcome"]')?.getAttribute("data-outcome")).toBe("delivered"), WAIT);
    expect(text('[data-banner="outcome"]')).toContain("JoinChat delivered it to the buyer.");

    const after = pushIdsOf(5);
    expect(after).toHaveLength(before.length + 1);
    expect(requests.filter((r) => r.method === "POST")).toEqual([{ method: "POST", path: "/api/orders/8005/pushes" }]);
    expect(receiptsSent()).toBe(2);
    expect(items()[0].getAttribute("data-push-id")).toBe(String(after[0]));
    expect(items()[0].textContent).toContain(`Resend of push #${before[0]}`);
  });

  it("shows JoinChat's refusal of a resend", async () => {
    await app.webhook("orders/create", order(6));
    await app.webhook("fulfillments/create", fulfillment(6, 9601, "out_for_delivery"));
    await app.settled();
    useOrder(6);
    await rendered();
    app.sandbox.setKnownRecipients(["someone-else"]);

    fireEvent.click(q('[data-action="resend-shipping-update"]')!);
    await waitFor(() => expect(q('[data-banner="confirm"]')).not.toBeNull(), WAIT);
    expect(text('[data-banner="confirm"]')).toContain("the latest shipping update (Out for delivery)");
    fireEvent.click(q('[data-action="confirm"]')!);
    await waitFor(() => expect(q('[data-banner="outcome"]')?.getAttribute("data-outcome")).toBe("failed"), WAIT);
    expect(q('[data-banner="outcome"]')?.getAttribute("tone")).toBe("critical");
    expect(text('[data-banner="outcome"]')).toContain("JoinChat refused it:");
    expect(text('[data-banner="outcome"]')).toContain("Recipient not found");
    expect(items()[0].querySelector("s-badge")?.textContent).toBe("Failed");
  });

  it("says why the app refused an action, and changes nothing", async () => {
    await app.webhook("orders/create", order(7));
    await app.settled();
    useOrder(7);
    await rendered();
    // Meanwhile the buyer's data was erased (customers/redact): the receipt can no longer be sent again.
    app.server.db.prepare("UPDATE push SET redacted_at = 1, params = NULL WHERE shop = ?").run(SHOP);
    const before = pushIdsOf(7);
    fireEvent.click(q('[data-action="resend-receipt"]')!);
    await waitFor(() => expect(q('[data-action="confirm"]')).not.toBeNull(), WAIT);
    fireEvent.click(q('[data-action="confirm"]')!);
    await waitFor(() => expect(q('[data-banner="action-error"]')).not.toBeNull(), WAIT);
    expect(text('[data-banner="action-error"]')).toContain("there is nothing to send again");
    expect(pushIdsOf(7)).toEqual(before);
  });

  it("sends a resend whose answer was lost again with the same request id: the buyer gets it once", async () => {
    await app.webhook("orders/create", order(11));
    await app.settled();
    const before = pushIdsOf(11);
    useOrder(11);
    await rendered();
    // The app stores the resend, but its answer never reaches the block (the connection drops).
    const bodies: string[] = [];
    extension.fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
      const answer = await app.fetch(input, init);
      if (init?.method === "POST") {
        bodies.push(String(init.body));
        if (bodies.length === 1) throw new TypeError("network connection lost");
      }
      return answer;
    }) as typeof fetch;

    fireEvent.click(q('[data-action="resend-receipt"]')!);
    await waitFor(() => expect(q('[data-action="confirm"]')).not.toBeNull(), WAIT);
    fireEvent.click(q('[data-action="confirm"]')!);
    await waitFor(() => expect(text('[data-banner="action-error"]')).toContain("The app could not be reached."), WAIT);
    expect(pushIdsOf(11)).toHaveLength(before.length + 1);
    // The confirmation is still there; sending again finds the push the first request stored.
    fireEvent.click(q('[data-action="confirm"]')!);
    await waitFor(() => expect(q('[data-banner="outcome"]')?.getAttribute("data-outcome")).toBe("delivered"), WAIT);
    expect(JSON.parse(bodies[1]).requestId).toBe(JSON.parse(bodies[0]).requestId);
    expect(pushIdsOf(11)).toHaveLength(before.length + 1);
    expect(app.sandbox.received.filter((p) => p.topic === "Order/Receipt" && !p.replay)).toHaveLength(2);
  });

  it("keeps the list on screen while a poll for JoinChat's answer fails, and shows the answer once the app answers", async () => {
    await app.webhook("orders/create", order(13));
    await app.settled();
    useOrder(13);
    await rendered();
    // After the resend, the next two reads of the list get no answer.
    let posted = false;
    let failedReads = 0;
    extension.fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
      if (init?.method === "POST") posted = true;
      else if (posted && failedReads < 2) {
        failedReads += 1;
        throw new TypeError("network connection lost");
      }
      return app.fetch(input, init);
    }) as typeof fetch;
    fireEvent.click(q('[data-action="resend-receipt"]')!);
    await waitFor(() => expect(q('[data-action="confirm"]')).not.toBeNull(), WAIT);
    fireEvent.click(q('[data-action="confirm"]')!);
    await waitFor(() => expect(failedReads).toBe(2), WAIT);
    expect(items().length).toBeGreaterThan(0);
    expect(q('[data-banner="outcome"]')).not.toBeNull();
    await waitFor(() => expect(q('[data-banner="outcome"]')?.getAttribute("data-outcome")).toBe("delivered"), WAIT);
    expect(items()).toHaveLength(2);
  });

  it("says when the app cannot be reached, and loads again on Try again", async () => {
    await app.webhook("orders/create", order(8));
    await app.settled();
    useOrder(8);
    extension.fetch = (() => Promise.reject(new TypeError("fetch failed"))) as typeof fetch;
    await rendered();
    expect(q("s-banner")?.getAttribute("tone")).toBe("critical");
    expect(text("s-banner")).toContain("The app could not be reached.");
    extension.fetch = app.fetch;
    fireEvent.click(q("s-banner s-button")!);
    await waitFor(() => expect(items()).toHaveLength(1), WAIT);
  });

  it("shows the newest 50 pushes and links to the rest in the app's delivery log", async () => {
    await app.webhook("orders/create", order(12));
    await app.settled();
    for (let i = 0; i < 50; i++) {
      const res = await app.fetch("/api/orders/8012/pushes", {
        method: "POST",
        headers: { authorization: `Bearer ${await app.sessionToken()}`, "content-type": "application/json" },
        body: JSON.stringify({ intent: "resend-receipt", confirm: true }),
      });
      expect(res.status).toBe(200);
    }
    await app.settled();
    useOrder(12);
    await rendered();
    expect(items()).toHaveLength(50);
    expect(text("s-admin-block")).toContain("Older pushes of this order are in the app's delivery log.");
    expect(q('[data-link="delivery-log"]')?.getAttribute("href")).toBe("/app/pushes?q=%238012");
  });

  it("shows a status or tracking status its locale files do not name (a newer app) as the app sent it", async () => {
    await app.webhook("orders/create", order(14));
    await app.webhook("fulfillments/create", fulfillment(14, 9401, "in_transit"));
    await app.settled();
    useOrder(14);
    // The admin's translate, for locale files that lack these keys: it answers the key itself.
    const translate = translator("en");
    extension.shopify.i18n.translate = ((key: string, options?: Record<string, unknown>) =>
      key === "tracking.in_transit" || key === "status.delivered" ? key : translate(key, options)) as typeof extension.shopify.i18n.translate;
    await rendered();
    expect(items()[0].textContent).toContain("Shipping update · in_transit");
    expect(items()[0].querySelector("s-badge")?.textContent).toBe("delivered");
    expect(document.body.textContent).not.toContain("tracking.in_transit");
  });

  it("asks for the order page when the admin gives no order", async () => {
    useOrder(9);
    extension.shopify.data = { selected: [] };
    await extension.render();
    expect(text("s-admin-block")).toContain("Open an order to see its Messenger pushes.");
    expect(requests).toEqual([]);
  });

  it("speaks Simplified Chinese in a Chinese admin", async () => {
    await app.webhook("orders/create", order(10));
    await app.webhook("fulfillments/create", fulfillment(10, 9901, "delivered"));
    await app.settled();
    useOrder(10, "zh-CN");
    await rendered();
    expect(q("s-admin-block")?.getAttribute("heading")).toBe("Messenger 推送");
    expect(items()[0].textContent).toContain("物流更新 · 已签收");
    expect(items()[0].querySelector("s-badge")?.textContent).toBe("已送达");
    expect(text('[data-action="resend-receipt"]')).toBe("重新发送收据");
    expect(text('[data-action="resend-shipping-update"]')).toBe("重新发送最新物流更新");
    fireEvent.click(q('[data-action="resend-receipt"]')!);
    await waitFor(() => expect(q('[data-banner="confirm"]')?.getAttribute("heading")).toBe("再次发送给买家？"), WAIT);
  });
});

describe("the app's route, over HTTP as the admin calls it", () => {
  it("answers the CORS preflight of the block's POST, and every answer can be read from the extension's origin", async () => {
    const preflight = await app.fetch("/api/orders/8001/pushes", {
      method: "OPTIONS",
      headers: { "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("*");
    expect(preflight.headers.get("access-control-allow-headers")).toMatch(/Authorization/);
    const refused = await app.fetch("/api/orders/not-an-order/pushes", { headers: { authorization: `Bearer ${await app.sessionToken()}` } });
    expect(refused.status).toBe(400);
    expect(refused.headers.get("access-control-allow-origin")).toBe("*");
    expect(await refused.json()).toMatchObject({ ok: false, error: "invalid_order_id" });
    const unsigned = await app.fetch("/api/orders/8001/pushes", { headers: { authorization: "Bearer not-a-token" } });
    expect(unsigned.status).toBe(401);
    expect(unsigned.headers.get("access-control-allow-origin")).toBe("*");
  });
});

describe("the block's locale files", () => {
  it("have the same keys in English and Simplified Chinese", () => {
    expect(localeKeys("zh-CN")).toEqual(localeKeys("en"));
  });

  it("name every reason, status and tracking status the app records", () => {
    for (const code of REASON_CODES) expect(localeKeys("en"), code).toContain(`reason.${code}`);
    for (const status of PUSH_STATUSES) expect(localeKeys("en"), status).toContain(`status.${status}`);
    for (const status of TRACKING_STATUSES) expect(localeKeys("en"), status).toContain(`tracking.${status}`);
  });
});
