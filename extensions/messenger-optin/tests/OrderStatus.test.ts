// The Messenger opt-in on the Order status page, rendered with Shopify's extension test tooling against the real app
// (the production server, customer account session tokens signed by the app's secret): the button while the order is
// not bound, and once it is, "Stop Messenger updates", which unbinds the order and cancels its waiting pushes, then
// offers the button again. Nothing is shown when the opt-in is off, and a failed stop changes nothing.
import { fireEvent, waitFor } from "@testing-library/preact";
import { getExtension } from "@shopify/ui-extensions-tester";
import { signal } from "@preact/signals-core";
import { render } from "preact";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { buildOrderJson } from "../../../test/fixtures/orders";
import { PAGE_ID, SHOP, startApp, translator, type AppUnderTest } from "./buyer-host";

const PSID = "6024912345678901";
const WAIT = { timeout: 15_000, interval: 50 };
const extension = getExtension("customer-account.order-status.block.render");
let app: AppUnderTest;
let requests: { method: string; url: string }[] = [];
let answered = 0;

beforeAll(async () => {
  app = await startApp();
}, 120_000);
afterAll(async () => {
  await app?.stop();
});

beforeEach(async () => {
  extension.setUp();
  requests = [];
  answered = 0;
  extension.fetch = ((input: RequestInfo | URL, init?: RequestInit) => {
    requests.push({ method: init?.method ?? "GET", url: String(input) });
    return app.fetch(input, init).finally(() => (answered += 1));
  }) as typeof fetch;
  await app.settings({ optinEnabled: true, optinButtonEn: "", optinButtonZhCn: "", unpaidEnabled: true, unpaidDelayMinutes: 60 });
});
afterEach(() => {
  render(null, document.body);
  extension.tearDown();
});

const gid = (n: number) => `gid://shopify/Order/${4000 + n}`;

function onOrder(n: number, language: "en" | "zh-CN" = "en") {
  extension.shopify.order.value = { id: gid(n), name: `#${4000 + n}` };
  extension.shopify.sessionToken.get = () => app.buyerToken();
  extension.shopify.localization.language.value = { isoCode: language } as typeof extension.shopify.localization.language.value;
  const translate = translator(language);
  extension.shopify.i18n.translate = ((key: string) => translate(key)) as typeof extension.shopify.i18n.translate;
}

/** The buyer's PSID bound to the order, as a bind through the lookup URL leaves it. */
const bound = (n: number) =>
  app.run("INSERT INTO messenger_binding (shop, order_gid, customer_gid, psid, bound_at) VALUES (?, ?, NULL, ?, ?)", SHOP, gid(n), PSID, Date.now());
const bindings = (n: number) => app.rows("SELECT psid FROM messenger_binding WHERE shop = ? AND order_gid = ?", SHOP, gid(n));
const pushes = (n: number) =>
  app.rows<{ status: string; reason: string | null }>("SELECT status, reason FROM push WHERE shop = ? AND order_gid = ?", SHOP, gid(n));

const q = (selector: string) => document.body.querySelector(selector);

async function rendered(): Promise<void> {
  await extension.render();
  await waitFor(() => expect(answered).toBeGreaterThan(0), WAIT);
  for (let i = 0; i < 5; i += 1) await new Promise((resolve) => setTimeout(resolve, 0));
}

describe("the Order status page's Messenger opt-in", () => {
  it("shows the button, and no stop, while the order is not bound", async () => {
    onOrder(1);
    await rendered();
    await waitFor(() => expect(q('[data-optin="shown"]')).not.toBeNull(), WAIT);
    expect(new URL(q('[data-action="open"]')!.getAttribute("href")!).pathname).toBe(`/${PAGE_ID}`);
    expect(q('[data-action="stop"]')).toBeNull();
    expect(requests).toEqual([{ method: "GET", url: "https://example.com/api/optin/4001" }]);
  });

  it("shows the button once Shopify has processed the order, when the page first gave none", async () => {
    // On the Order status page `order` is undefined until the order is fully processed. Shopify's runtime gives the
    // block Preact signals (the Signal class @shopify/ui-extensions/preact hands it): reading .value re-renders.
    onOrder(7);
    const order = signal<typeof extension.shopify.order.value>(undefined);
    Object.assign(extension.shopify, { order });
    await extension.render();
    for (let i = 0; i < 5; i += 1) await new Promise((resolve) => setTimeout(resolve, 0));
    expect(requests).toEqual([]);
    expect(document.body.innerHTML).toBe("");
    order.value = { id: gid(7), name: "#4007" };
    await waitFor(() => expect(q('[data-optin="shown"]')).not.toBeNull(), WAIT);
    expect(requests).toEqual([{ method: "GET", url: "https://example.com/api/optin/4007" }]);
  });

  it("offers Stop Messenger updates once bound: it unbinds the order, cancels its waiting pushes, and offers the button again", async () => {
    await app.webhook(
      "orders/create",
      buildOrderJson({ id: 4002, admin_graphql_api_id: gid(2), name: "#4002", financial_status: "pending", created_at: new Date().toISOString() }),
    );
    expect(pushes(2)).toEqual([{ status: "queued", reason: null }]);
    bound(2);
    onOrder(2);
    await rendered();
    await waitFor(() => expect(q('[data-optin="bound"]')).not.toBeNull(), WAIT);
    expect(document.body.textContent).toContain("You get this order's updates on Messenger.");
    expect(document.body.textContent).not.toContain(PSID);
    expect(q('[data-action="open"]')).toBeNull();
    const stop = q('[data-action="stop"]')!;
    expect(stop.textContent).toBe("Stop Messenger updates");

    fireEvent.click(stop);
    await waitFor(() => expect(q('[data-optin="stopped"]')).not.toBeNull(), WAIT);
    expect(q('[data-optin="stopped"]')?.textContent).toBe("Messenger updates for this order are stopped.");
    expect(q('[data-action="open"]')).not.toBeNull();
    expect(q('[data-action="stop"]')).toBeNull();
    expect(requests.map((r) => r.method)).toEqual(["GET", "POST"]);
    expect(bindings(2)).toEqual([]);
    expect(pushes(2)).toEqual([{ status: "cancelled", reason: "buyer_stopped_messenger" }]);
  });

  it("keeps the stop button when the stop fails, and changes nothing", async () => {
    bound(3);
    onOrder(3);
    await rendered();
    await waitFor(() => expect(q('[data-action="stop"]')).not.toBeNull(), WAIT);
    extension.fetch = (() => Promise.reject(new TypeError("fetch failed"))) as typeof fetch;
    fireEvent.click(q('[data-action="stop"]')!);
    await waitFor(() => expect(q('[data-action="stop"]')?.getAttribute("loading")).toBeFalsy(), WAIT);
    expect(q('[data-action="stop"]')).not.toBeNull();
    expect(bindings(3)).toEqual([{ psid: PSID }]);
  });

  it("speaks Simplified Chinese, stop included", async () => {
    bound(4);
    onOrder(4, "zh-CN");
    await rendered();
    await waitFor(() => expect(q('[data-action="stop"]')?.textContent).toBe("停止 Messenger 更新"), WAIT);
    expect(document.body.textContent).toContain("您会在 Messenger 上收到此订单的更新。");
  });

  it("shows nothing, not even the stop, while the opt-in is off", async () => {
    await app.settings({ optinEnabled: false });
    bound(5);
    onOrder(5);
    await rendered();
    expect(document.body.innerHTML).toBe("");
  });
});
