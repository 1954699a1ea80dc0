// The merchant admin in a real browser: Debian's Chromium driven by playwright-core against the production server
// (`node server.mjs`, the build of `npx remix vite:build`), with the shop's offline session in the database and a
// session token made with the app's secret, as the Shopify admin would load the app. App Bridge's script comes
// from a stand-in (./app-bridge-stand-in.ts); JoinChat is the sandbox. Each step is checked against the database
// and the sandbox, each page is screenshotted to test-results/screenshots/, and each page's Largest Contentful
// Paint and Cumulative Layout Shift are read in the browser and held to Built for Shopify's limits.
//
// Without Chromium at /usr/bin/chromium the test is skipped on a laptop and fails under CI=true.
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { maskBodyContacts } from "../../app/pushes/recipient";
import { createSecretBox } from "../../app/settings/secret-box.server";
import { signShopifyWebhook } from "../../app/webhooks/sign-webhook";
import { buildOrderJson } from "../fixtures/orders";
import { httpRequest, waitFor } from "../helpers/app-process";
import { startJoinChatSandbox, type JoinChatSandbox } from "../sandbox/joinchat-sandbox";
import { BROWSER_API_SECRET, BROWSER_APP_JOINCHAT_SECRET, CHROME_UA, startAdminServer, type AdminServer } from "./admin-server";
import { APP_BRIDGE_STAND_IN, APP_BRIDGE_URL } from "./app-bridge-stand-in";

// Debian's Chromium; CHROMIUM_PATH points elsewhere (or nowhere, to try the skip).
const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
// An ordinary Chrome: Shopify's authentication answers 410 Gone to agents that look like bots (HeadlessChrome).
const SCREENSHOTS = path.resolve("test-results/screenshots");

// Built for Shopify: LCP at most 2.5 s, CLS at most 0.1.
const MAX_LCP_MS = 2_500;
const MAX_CLS = 0.1;

const SHOP = "browser-shop.myshopify.com";
const PAGE_ID = "407898491811542";
const SECRET = "merchant-secret-from-joinchat";
const MY_PSID = "1234567890123456";
const BUYER_PSID = "6024912345678901";

const chromiumPresent = existsSync(CHROMIUM);
const mustRun = process.env.CI === "true";

let sandbox: JoinChatSandbox;
let server: AdminServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const vitals: Record<string, { lcp: number; cls: number }> = {};

/** Reads LCP and CLS the way web-vitals does, from the document's start; installed before any page script. */
const VITALS_OBSERVER = `
  window.__vitals = { lcp: null, cls: 0, shifts: [] };
  try {
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) window.__vitals.lcp = entry.startTime;
    }).observe({ type: "largest-contentful-paint", buffered: true });
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        if (entry.hadRecentInput) continue;
        window.__vitals.cls += entry.value;
        window.__vitals.shifts.push({ value: entry.value, at: entry.startTime, nodes: (entry.sources || []).map((s) => s.node && (s.node.id || s.node.className || s.node.nodeName)) });
      }
    }).observe({ type: "layout-shift", buffered: true });
  } catch (error) {
    window.__vitals.error = String(error);
  }
`;

interface Vitals {
  lcp: number | null;
  cls: number;
  shifts: unknown[];
  error?: string;
}

function row<T = Record<string, unknown>>(sql: string, ...params: unknown[]): T | undefined {
  return server.db.prepare(sql).get(...params) as T | undefined;
}
function rows<T = Record<string, unknown>>(sql: string, ...params: unknown[]): T[] {
  return server.db.prepare(sql).all(...params) as T[];
}

/** A full load of an app page as the admin makes it (embedded, with a fresh id_token), with its vitals checked. */
async function open(pathname: string, name: string, locale = "en", extra = ""): Promise<void> {
  await page.goto(`${server.url}${pathname}?${await server.embeddedQuery(locale)}${extra}`);
  await page.waitForLoadState("networkidle");
  // LCP is final at the first input; CLS is read after the page settled, before the test touches it.
  await page.waitForTimeout(400);
  const measured = await page.evaluate(() => (window as unknown as { __vitals: Vitals }).__vitals);
  expect(measured.error, "PerformanceObserver").toBeUndefined();
  expect(measured.lcp, `${name}: an LCP entry`).not.toBeNull();
  vitals[name] = { lcp: Math.round(measured.lcp!), cls: Number(measured.cls.toFixed(4)) };
  expect(measured.lcp!, `${name}: LCP (ms)`).toBeLessThanOrEqual(MAX_LCP_MS);
  expect(measured.cls, `${name}: CLS ${JSON.stringify(measured.shifts)}`).toBeLessThanOrEqual(MAX_CLS);
}

/** CLS over the page's life so far (shifts right after an input do not count, as in the metric). */
async function expectNoLayoutShift(name: string): Promise<void> {
  const measured = await page.evaluate(() => (window as unknown as { __vitals: Vitals }).__vitals);
  expect(measured.cls, `${name}: CLS ${JSON.stringify(measured.shifts)}`).toBeLessThanOrEqual(MAX_CLS);
}

/** Marks the document, so that a later check can tell a save made in place from a page reload. */
async function markDocument(): Promise<void> {
  await page.evaluate(() => ((window as unknown as { __sameDocument: boolean }).__sameDocument = true));
}
async function expectSameDocument(what: string): Promise<void> {
  expect(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument), `${what} without a page reload`).toBe(true);
}

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

async function sendWebhook(topic: string, body: string): Promise<void> {
  const headers = signShopifyWebhook({ body, secret: BROWSER_API_SECRET, topic, shop: SHOP, webhookId: randomUUID() });
  const res = await httpRequest(`${server.url}/webhooks/${topic}`, { method: "POST", headers, body });
  expect(res.status, res.text).toBe(200);
}

function settled(): boolean {
  return rows<{ status: string }>("SELECT status FROM push WHERE shop = ?", SHOP).every((p) => !["queued", "sending", "retrying"].includes(p.status));
}

describe.skipIf(!chromiumPresent && !mustRun)("the merchant admin in Chromium", () => {
  beforeAll(async () => {
    if (!chromiumPresent) throw new Error(`Chromium is missing at ${CHROMIUM}: apt-get install -y chromium (CI=true requires it)`);
    mkdirSync(SCREENSHOTS, { recursive: true });
    sandbox = await startJoinChatSandbox({ defaultSecret: BROWSER_APP_JOINCHAT_SECRET });
    sandbox.setSecret(SHOP, SECRET);
    server = await startAdminServer({ shop: SHOP, joinchatUrl: sandbox.url });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    context = await browser.newContext({ userAgent: CHROME_UA, viewport: { width: 1280, height: 900 }, locale: "en-US", timezoneId: "UTC" });
    await context.exposeBinding("__standInMintToken", () => server.sessionToken());
    await context.addInitScript(VITALS_OBSERVER);
    // Nothing leaves the machine: Shopify's CDN (the Inter font stylesheet) answers an empty stylesheet, App Bridge
    // its stand-in (registered last: Playwright asks the newest route first), and any other outside host is refused.
    await context.route(
      (url) => !url.href.startsWith(server.url),
      (route) => route.abort("blockedbyclient"),
    );
    await context.route("https://cdn.shopify.com/**", (route) => route.fulfill({ status: 200, contentType: "text/css", body: "" }));
    await context.route(APP_BRIDGE_URL, (route) => route.fulfill({ status: 200, contentType: "text/javascript", body: APP_BRIDGE_STAND_IN }));
    page = await context.newPage();
    page.on("pageerror", (error) => {
      throw new Error(`error in the page: ${error.message}`);
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    const logs = server?.logs() ?? "";
    await server?.stop();
    await sandbox?.close();
    if (Object.keys(vitals).length > 0) console.log(`vitals per page (LCP ms, CLS): ${JSON.stringify(vitals)}`);
    const errors = logs.split("\n").filter((line) => line.includes('"level":"error"'));
    expect(errors, "the server logged errors").toEqual([]);
  });

  it("opens /app, refuses a wrong page id inline, then links the page and the secret", async () => {
    await open("/app", "home-onboarding");
    await expect.poll(() => page.getByRole("heading", { name: "Link your Facebook page" }).isVisible()).toBe(true);
    expect(await page.evaluate(() => document.documentElement.lang)).toBe("en");
    await shot("01-home-onboarding");

    await markDocument();
    await page.getByLabel("Facebook page ID").fill("my-page");
    await page.getByLabel("JoinChat API secret").fill(SECRET);
    await page.getByRole("button", { name: "Link page" }).click();
    await expect.poll(() => page.getByText("Enter the Facebook page ID: digits only.").isVisible()).toBe(true);
    expect(row("SELECT * FROM shop_settings WHERE shop = ?", SHOP)).toBeUndefined();
    await shot("02-home-invalid-page-id");

    await page.getByLabel("Facebook page ID").fill(PAGE_ID);
    await page.getByRole("button", { name: "Link page" }).click();
    await page.getByRole("heading", { name: "Connection to JoinChat" }).waitFor();
    const saved = row<{ page_id: string; secret_ciphertext: string }>("SELECT page_id, secret_ciphertext FROM shop_settings WHERE shop = ?", SHOP);
    expect(saved?.page_id).toBe(PAGE_ID);
    expect(createSecretBox(server.encryptionKey).decrypt(saved!.secret_ciphertext, SHOP)).toBe(SECRET);
    // Write-only: the page shows that a secret is set, never the secret.
    await expect.poll(() => page.getByText(/A secret is set \(saved \d{4}-\d\d-\d\d \d\d:\d\d UTC\)/).isVisible()).toBe(true);
    expect(await page.content()).not.toContain(SECRET);
    expect(await page.getByText("None yet").isVisible()).toBe(true);
    await expectSameDocument("linked");
    await expectNoLayoutShift("home after linking");

    await open("/app", "home-linked");
    expect(await page.content()).not.toContain(SECRET);
    await shot("03-home-linked");
  });

  it("shows the Customer lookups card: the shop's lookup URL, set-up steps, counts, and saves the privacy switches", async () => {
    await open("/app", "home-lookups");
    await page.getByRole("heading", { name: "Customer lookups" }).waitFor();
    const setup = row<{ lookup_key: string; allow_order_name: number }>("SELECT lookup_key, allow_order_name FROM lookup_setup WHERE shop = ?", SHOP);
    expect(setup?.allow_order_name).toBe(0);
    expect(await page.getByLabel("Lookup URL").inputValue()).toMatch(new RegExp(`/joinchat/lookup/${setup!.lookup_key}$`));
    expect(await page.getByText("No test from JoinChat yet").isVisible()).toBe(true);
    expect(await page.getByRole("heading", { name: "Lookups by method and outcome" }).isVisible()).toBe(true);
    await markDocument();
    await page.getByLabel("Answer plain order names (#1001)").check({ force: true });
    await page.getByRole("button", { name: "Save lookup settings" }).click();
    await expect.poll(() => row<{ allow_order_name: number }>("SELECT allow_order_name FROM lookup_setup WHERE shop = ?", SHOP)?.allow_order_name).toBe(1);
    await expectSameDocument("lookup switches saved");
    await shot("03b-home-lookups");
  });

  it("changes the push settings and saves them with the save bar; a wrong value is refused inline and nothing is saved", async () => {
    await open("/app/settings", "settings");
    await shot("04-settings");
    const saveBar = page.locator("ui-save-bar");
    expect(await saveBar.getAttribute("data-open")).toBeNull();
    const before = row("SELECT * FROM shop_settings WHERE shop = ?", SHOP);
    await markDocument();

    await page.getByLabel("Send the unpaid reminder after").fill("20000");
    await expect.poll(() => saveBar.getAttribute("data-open")).toBe("");
    await saveBar.getByRole("button", { name: "Save" }).click();
    await expect.poll(() => page.getByText("Enter a whole number of minutes from 0 to 10080.").isVisible()).toBe(true);
    expect(row("SELECT * FROM shop_settings WHERE shop = ?", SHOP)).toEqual(before);
    await shot("05-settings-invalid");

    await page.getByLabel("Send the unpaid reminder after").fill("30");
    await page.getByLabel("Delivery problem").uncheck();
    // Polaris draws its own radio over the input: click the label, as a merchant does.
    await page.getByText("The buyer's phone").click();
    await page.getByLabel("Send pushes for test orders").uncheck();
    await saveBar.getByRole("button", { name: "Save" }).click();
    await expect.poll(() => row("SELECT unpaid_delay_minutes FROM shop_settings WHERE shop = ?", SHOP)).toEqual({ unpaid_delay_minutes: 30 });
    expect(row("SELECT * FROM shop_settings WHERE shop = ?", SHOP)).toMatchObject({
      page_id: PAGE_ID,
      unpaid_delay_minutes: 30,
      recipient_preference: "phone",
      test_orders_enabled: 0,
      paused: 0,
      package_statuses: "shipped,in_transit,out_for_delivery,attempt_fail,available_for_pickup,delivered,cancelled",
    });
    await expect.poll(() => saveBar.getAttribute("data-open")).toBeNull();
    await expect
      .poll(() =>
        page.evaluate(() => (window as unknown as { __appBridgeStandIn: { toasts: { message: string }[] } }).__appBridgeStandIn.toasts.map((t) => t.message)),
      )
      .toContain("Settings saved");
    expect(await page.getByLabel("Send the unpaid reminder after").inputValue()).toBe("30");
    await expectSameDocument("saved");
    await shot("06-settings-saved");
    await expectNoLayoutShift("settings after saving");
  });

  it("sends a test push to the JoinChat sandbox and shows its answer verbatim", async () => {
    await open("/app/test-push", "test-push");
    await markDocument();
    await page.getByLabel("PSID").fill(MY_PSID);
    await page.getByLabel("Push type").selectOption("Order/Receipt");
    await page.getByRole("button", { name: "Send test push" }).click();
    const answer = page.getByLabel("Answer, as JoinChat sent it");
    await answer.waitFor();

    const received = sandbox.received.filter((r) => r.shop === SHOP);
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ topic: "Order/Receipt", pageId: PAGE_ID, recipient: { id: MY_PSID } });
    expect(await answer.textContent()).toBe(JSON.stringify(received[0].answer));
    const push = row<{ status: string; kind: string; test: number }>("SELECT status, kind, test FROM push WHERE shop = ?", SHOP);
    expect(push).toMatchObject({ status: "delivered", test: 1 });
    expect(push!.kind).toBe("test");
    await expectSameDocument("sent");
    await shot("07-test-push-sent");
    await expectNoLayoutShift("test push after sending");
  });

  it("opens the delivery log, filters it by status and searches it by order name", async () => {
    // Three orders from Shopify; JoinChat knows the first two buyers only.
    sandbox.setKnownRecipients([BUYER_PSID, MY_PSID]);
    await sendWebhook("orders/create", buildOrderJson({ id: 2001, admin_graphql_api_id: "gid://shopify/Order/2001", name: "#2001" }));
    await sendWebhook(
      "orders/create",
      buildOrderJson({ id: 2002, admin_graphql_api_id: "gid://shopify/Order/2002", name: "#2002", financial_status: "pending" }),
    );
    await sendWebhook(
      "orders/create",
      buildOrderJson({
        id: 2003,
        admin_graphql_api_id: "gid://shopify/Order/2003",
        name: "#2003",
        note_attributes: [],
        customer: null,
        email: "stranger@example.com",
        contact_email: null,
      }),
    );
    await waitFor(() => rows("SELECT id FROM push WHERE shop = ?", SHOP).length === 4 && settled(), 20_000, "the pushes to settle");
    expect(rows<{ order_name: string; status: string }>("SELECT order_name, status FROM push WHERE shop = ? ORDER BY id", SHOP)).toEqual([
      { order_name: "TEST-1001", status: "delivered" },
      { order_name: "#2001", status: "delivered" },
      { order_name: "#2002", status: "delivered" },
      { order_name: "#2003", status: "failed" },
    ]);

    await open("/app/pushes", "delivery-log");
    const table = page.locator(".Polaris-IndexTable__Table");
    await expect.poll(() => table.locator("tbody tr").count()).toBe(4);
    expect(await table.locator("tbody tr").first().textContent()).toContain("#2003");
    expect(await page.content()).not.toContain("stranger@example.com");
    expect(await table.locator("tbody tr").first().textContent()).toContain("s***@example.com");
    await shot("08-delivery-log");

    await page.getByRole("button", { name: "Status" }).click();
    await page.getByRole("checkbox", { name: "Failed" }).click({ force: true });
    await expect.poll(() => new URL(page.url()).searchParams.get("status")).toBe("failed");
    await expect.poll(() => table.locator("tbody tr").count()).toBe(1);
    expect(await table.locator("tbody tr").first().textContent()).toContain("10010 Recipient not found");
    await page.keyboard.press("Escape");
    await expect.poll(() => page.getByText("Loading pushes…").locator("visible=true").count()).toBe(0);
    await shot("09-delivery-log-failed");

    await page.getByRole("button", { name: /Clear all/ }).click();
    await expect.poll(() => new URL(page.url()).searchParams.get("status")).toBeNull();
    await page.getByPlaceholder("Search by order name, e.g. #1001").fill("2002");
    await expect.poll(() => new URL(page.url()).searchParams.get("q")).toBe("2002");
    await expect.poll(() => table.locator("tbody tr").count()).toBe(1);
    expect(await table.locator("tbody tr").first().textContent()).toContain("Unpaid order reminder");
    await expect.poll(() => page.getByText("Loading pushes…").locator("visible=true").count()).toBe(0);
    await shot("10-delivery-log-search");
  });

  it("opens the failed push and retries it: delivered, and JoinChat got it", async () => {
    await open("/app/pushes", "delivery-log-again", "en", "&status=failed");
    await page.locator(".Polaris-IndexTable__Table tbody tr").first().click();
    const failed = row<{ id: number; body: string }>("SELECT id, body FROM push WHERE shop = ? AND status = 'failed'", SHOP)!;
    await page.getByRole("heading", { name: `Push #${failed.id}` }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/app/pushes/${failed.id}`);

    await open(`/app/pushes/${failed.id}`, "push-detail");
    // The JSON that was sent, the buyer's contact masked; staff reveal the exact JSON on purpose.
    expect(await page.getByLabel("JSON sent to JoinChat").textContent()).toBe(maskBodyContacts(failed.body));
    expect(failed.body).toContain("stranger@example.com");
    expect(await page.getByLabel("JSON sent to JoinChat").textContent()).not.toContain("stranger@example.com");
    await open(`/app/pushes/${failed.id}`, "push-detail-revealed", "en", "&reveal=contact");
    // The exact JSON that was sent, and the attempt with JoinChat's answer.
    expect(await page.getByLabel("JSON sent to JoinChat").textContent()).toBe(failed.body);
    expect(await page.getByText("10010 Recipient not found").first().isVisible()).toBe(true);
    await shot("11-push-failed");

    sandbox.setKnownRecipients(null);
    await markDocument();
    await page.getByRole("button", { name: "Retry" }).click();
    await waitFor(
      () => row<{ status: string }>("SELECT status FROM push WHERE id = ?", failed.id)?.status === "delivered",
      15_000,
      "the retried push to be delivered",
    );
    expect(sandbox.received.filter((r) => r.shop === SHOP && r.recipient.email === "stranger@example.com" && !r.replay)).toHaveLength(1);
    expect(rows("SELECT number, outcome FROM push_attempt WHERE push_id = ? ORDER BY number", failed.id)).toEqual([
      { number: 1, outcome: "failed" },
      { number: 2, outcome: "delivered" },
    ]);
    await expectSameDocument("retried");
    await open(`/app/pushes/${failed.id}`, "push-detail-retried");
    // Delivered now: no "Failed" badge, and the action offered is a resend.
    expect(await page.getByText("Failed", { exact: true }).count()).toBe(0);
    expect(await page.getByText("Delivered", { exact: true }).first().isVisible()).toBe(true);
    expect(await page.getByRole("button", { name: "Resend" }).isVisible()).toBe(true);
    expect(await page.getByRole("button", { name: "Retry" }).count()).toBe(0);
    await shot("12-push-retried");
  });

  it("follows the admin's language: Simplified Chinese with Polaris' Chinese", async () => {
    await open("/app", "home-zh-CN", "zh-CN");
    await page.getByRole("heading", { name: "与 JoinChat 的连接" }).waitFor();
    expect(await page.evaluate(() => document.documentElement.lang)).toBe("zh-CN");
    await shot("13-home-zh-CN");
    await open("/app/pushes", "delivery-log-zh-CN", "zh-CN");
    expect(await page.getByPlaceholder("按订单名称搜索，例如 #1001").isVisible()).toBe(true);
    await shot("14-delivery-log-zh-CN");
  });

  it("shows the connection, the counts and the chart once pushes went out", async () => {
    await open("/app", "home-dashboard");
    await page.getByRole("img", { name: /Delivered and failed, last 14 days/ }).waitFor();
    const text = (await page.locator("main, body").first().textContent()) ?? "";
    expect(text).toContain("Order receipt #2003");
    expect(text).toContain("No failures");
    await shot("15-home-dashboard");
  });
});
