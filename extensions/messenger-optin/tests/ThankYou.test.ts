// The Messenger opt-in on the Thank-you page, rendered with Shopify's extension test tooling (@shopify/ui-extensions-
// tester, a DOM from jsdom) against the real app: its fetch goes to the production server's /api/optin/:orderId with
// a checkout session token signed by the app's secret. What a buyer meets: the button to Messenger when the shop is
// linked and the opt-in on, nothing when it is off or the shop is not linked, nothing when the app fails or refuses,
// the block in Simplified Chinese (and English for other languages), the merchant's own button words.
import { waitFor } from "@testing-library/preact";
import { getExtension } from "@shopify/ui-extensions-tester";
import { render } from "preact";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { localeKeys, PAGE_ID, startApp, translator, type AppUnderTest } from "./buyer-host";

const WAIT = { timeout: 15_000, interval: 50 };
const extension = getExtension("purchase.thank-you.block.render");
let app: AppUnderTest;
let requests: { method: string; url: string; authorization: string | null }[] = [];
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
    requests.push({ method: init?.method ?? "GET", url: String(input), authorization: new Headers(init?.headers).get("authorization") });
    return app.fetch(input, init).finally(() => (answered += 1));
  }) as typeof fetch;
  await app.settings({ optinEnabled: true, optinButtonEn: "", optinButtonZhCn: "" });
});
afterEach(() => {
  render(null, document.body);
  extension.tearDown();
});

function onOrder(n: number, options: { language?: string; token?: () => Promise<string>; orderGid?: string } = {}) {
  const language = options.language ?? "en";
  const id = options.orderGid ?? `gid://shopify/Order/${5000 + n}`;
  extension.shopify.orderConfirmation.value = { order: { id }, number: `CONF${n}`, isFirstOrder: true };
  extension.shopify.sessionToken.get = options.token ?? (() => app.buyerToken());
  extension.shopify.localization.language.value = { isoCode: language } as typeof extension.shopify.localization.language.value;
  const translate = translator(language === "zh-CN" ? "zh-CN" : "en");
  extension.shopify.i18n.translate = ((key: string) => translate(key)) as typeof extension.shopify.i18n.translate;
}

const q = (selector: string) => document.body.querySelector(selector);

/** Renders, waits for the app's answer and for what the block makes of it. */
async function rendered(): Promise<void> {
  await extension.render();
  await waitFor(() => expect(answered).toBeGreaterThan(0), WAIT);
  // The answer's state change renders on the next turns of the event loop.
  for (let i = 0; i < 5; i += 1) await new Promise((resolve) => setTimeout(resolve, 0));
}

describe("the Thank-you page's Messenger opt-in", () => {
  it("shows the button to the shop's page on m.me with the order's ref, asked with the checkout session token", async () => {
    onOrder(1);
    await rendered();
    await waitFor(() => expect(q('[data-optin="shown"]')).not.toBeNull(), WAIT);
    expect(q("s-section")?.getAttribute("heading")).toBe("Get order and shipping updates on Messenger");
    const button = q('[data-action="open"]')!;
    expect(button.textContent).toBe("Get updates on Messenger");
    expect(button.getAttribute("target")).toBe("_blank");
    const href = new URL(button.getAttribute("href")!);
    expect(`${href.origin}${href.pathname}`).toBe(`https://m.me/${PAGE_ID}`);
    expect(href.searchParams.get("ref")).toMatch(/^[a-z0-9]{8,64}$/);
    // The same link the app gives that order, asked the way the block asks.
    expect(requests).toEqual([{ method: "GET", url: "https://example.com/api/optin/5001", authorization: expect.stringMatching(/^Bearer ey/) }]);
    const again = await app.fetch(requests[0].url, { headers: { authorization: requests[0].authorization! } });
    expect(((await again.json()) as { url: string }).url).toBe(href.toString());
    // Not on the Thank-you page: stopping.
    expect(q('[data-action="stop"]')).toBeNull();
  });

  it.each([
    ["gid://shopify/OrderIdentity/5011", "as a GID"],
    [Buffer.from("gid://shopify/OrderIdentity/5012").toString("base64"), "as a base64 GID"],
  ])("finds the order when the page names it by its OrderIdentity (%s, %s), as real Thank-you pages do", async (orderGid) => {
    // The types say gid://shopify/Order/…; live Thank-you pages give gid://shopify/OrderIdentity/<the order's id>.
    onOrder(11, { orderGid });
    await rendered();
    await waitFor(() => expect(q('[data-optin="shown"]')).not.toBeNull(), WAIT);
    const digits = /(\d+)$/.exec(Buffer.from(orderGid, orderGid.startsWith("gid:") ? "utf8" : "base64").toString("utf8"))![1];
    expect(requests.map((r) => r.url)).toEqual([`https://example.com/api/optin/${digits}`]);
  });

  it("shows the merchant's own button words", async () => {
    await app.settings({ optinButtonEn: "Track it on Messenger", optinButtonZhCn: "在 Messenger 上追踪" });
    onOrder(2);
    await rendered();
    await waitFor(() => expect(q('[data-action="open"]')?.textContent).toBe("Track it on Messenger"), WAIT);
  });

  it("speaks Simplified Chinese to a buyer in zh-CN, with the merchant's Chinese words, and English to other languages", async () => {
    onOrder(3, { language: "zh-CN" });
    await rendered();
    await waitFor(() => expect(q('[data-optin="shown"]')).not.toBeNull(), WAIT);
    expect(q("s-section")?.getAttribute("heading")).toBe("在 Messenger 上接收订单和物流更新");
    expect(q('[data-action="open"]')?.textContent).toBe("在 Messenger 上接收更新");
    expect(document.body.textContent).toContain("打开 Messenger");

    render(null, document.body);
    await app.settings({ optinButtonEn: "Track it on Messenger", optinButtonZhCn: "在 Messenger 上追踪" });
    onOrder(3, { language: "zh-CN" });
    await rendered();
    await waitFor(() => expect(q('[data-action="open"]')?.textContent).toBe("在 Messenger 上追踪"), WAIT);

    render(null, document.body);
    onOrder(3, { language: "fr" });
    await rendered();
    await waitFor(() => expect(q('[data-action="open"]')?.textContent).toBe("Track it on Messenger"), WAIT);
  });

  it("shows nothing while the merchant left the opt-in off", async () => {
    await app.settings({ optinEnabled: false });
    onOrder(4);
    await rendered();
    expect(requests).toHaveLength(1);
    expect(document.body.innerHTML).toBe("");
  });

  it("shows nothing for a shop that has not linked its page", async () => {
    onOrder(5, { token: () => app.buyerToken({ shop: "not-linked-yet.myshopify.com" }) });
    await rendered();
    expect(requests).toHaveLength(1);
    expect(document.body.innerHTML).toBe("");
  });

  it.each([
    ["the app refuses the session token", () => app.buyerToken({ secret: "not-the-app-secret" })],
    ["the session token cannot be had", () => Promise.reject(new Error("no token"))],
  ])("shows nothing, and no error, when %s", async (_name, token) => {
    onOrder(6, { token });
    await extension.render();
    for (let i = 0; i < 50 && answered === 0 && requests.length > 0; i += 1) await new Promise((resolve) => setTimeout(resolve, 20));
    for (let i = 0; i < 5; i += 1) await new Promise((resolve) => setTimeout(resolve, 0));
    expect(document.body.innerHTML).toBe("");
  });

  it("shows nothing, and no error, when the app is out of reach", async () => {
    extension.fetch = (() => {
      answered += 1;
      return Promise.reject(new TypeError("fetch failed"));
    }) as typeof fetch;
    onOrder(7);
    await rendered();
    expect(document.body.innerHTML).toBe("");
  });

  it("has the same keys in English and Simplified Chinese", () => {
    expect(localeKeys("zh-CN")).toEqual(localeKeys("en"));
  });
});
