// The webhook routes under Remix (what `shopify app dev` serves, where the lean path does not run), called as Remix
// calls them: authenticate.webhook with the app's real configuration, then the process's intake service. A signed
// delivery is taken once; a forged, misrouted, malformed or mistyped one is refused and leaves nothing behind.
import { randomUUID } from "node:crypto";
import { API_SECRET_KEY, APP_URL } from "@shopify/shopify-api/test-helpers";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { signShopifyWebhook } from "../../app/webhooks/sign-webhook";
import { buildOrderJson } from "../fixtures/orders";
import { startAdminRoutes, type AdminRoutes } from "../helpers/admin-routes";
import { dumpAll } from "../integration/support";

const PAGE_ID = "407898491811542";

/* eslint-disable @typescript-eslint/no-explicit-any -- route modules are loaded after the environment is set */
type WebhookRoute = { action: (args: any) => Promise<Response>; loader: (args: any) => Promise<Response> };
/* eslint-enable @typescript-eslint/no-explicit-any */

let h: AdminRoutes;
let ordersCreate: WebhookRoute;
beforeAll(async () => {
  h = await startAdminRoutes();
  ordersCreate = (await import("../../app/routes/webhooks.orders.create")) as WebhookRoute;
});
afterAll(async () => {
  await h?.close();
});
beforeEach(() => h.resetShops(PAGE_ID));

function delivery(body: string, overrides: { topic?: string; secret?: string; webhookId?: string; method?: string } = {}): Request {
  const headers = signShopifyWebhook({
    body,
    secret: overrides.secret ?? API_SECRET_KEY,
    topic: overrides.topic ?? "orders/create",
    shop: h.shop,
    webhookId: overrides.webhookId ?? randomUUID(),
  });
  const method = overrides.method ?? "POST";
  return new Request(`${APP_URL}/webhooks/orders/create`, { method, headers, body: method === "GET" ? undefined : body });
}

async function post(request: Request): Promise<{ status: number; text: string }> {
  const res = await ordersCreate.action({ request, params: {}, context: {} }).catch((thrown: unknown) => {
    if (thrown instanceof Response) return thrown;
    throw thrown;
  });
  return { status: res.status, text: await res.text() };
}

describe("POST /webhooks/orders/create through Remix", () => {
  it("takes a signed delivery: 200 once it is stored, with its push; the same delivery again changes nothing", async () => {
    const body = buildOrderJson({ id: 6101, admin_graphql_api_id: "gid://shopify/Order/6101", name: "#6101" });
    const webhookId = randomUUID();
    const first = await post(delivery(body, { webhookId }));
    expect(first.status, first.text).toBe(200);
    await h.runtime.commit.drain();
    const stored = await dumpAll(h.db);
    expect(stored.webhook_delivery).toMatchObject([{ shop: h.shop, webhook_id: webhookId, topic: "orders/create" }]);
    expect(stored.push).toMatchObject([{ shop: h.shop, topic: "Order/Receipt", order_name: "#6101", status: "queued" }]);

    const again = await post(delivery(body, { webhookId }));
    expect(again.status).toBe(200);
    await h.runtime.commit.drain();
    expect(await dumpAll(h.db)).toEqual(stored);
  });

  it.each([
    ["a forged signature", (body: string) => delivery(body, { secret: "not-the-app-secret" }), 401],
    ["a topic that belongs on another route", (body: string) => delivery(body, { topic: "orders/paid" }), 400],
    ["malformed JSON", () => delivery('{"id": 6102,'), 400],
    ["a payload with wrongly typed fields", () => delivery(JSON.stringify({ id: "six", admin_graphql_api_id: 6102 })), 400],
  ])("refuses %s and stores nothing", async (_name, build, status) => {
    const before = await dumpAll(h.db);
    const res = await post(build(buildOrderJson({ id: 6102, admin_graphql_api_id: "gid://shopify/Order/6102", name: "#6102" })));
    expect(res.status, res.text).toBe(status);
    await h.runtime.commit.drain();
    expect(await dumpAll(h.db)).toEqual(before);
  });

  it("answers a GET with 405", async () => {
    const res = await ordersCreate.loader({ request: delivery("", { method: "GET" }), params: {}, context: {} }).catch((thrown: Response) => thrown);
    expect(res.status).toBe(405);
  });
});
