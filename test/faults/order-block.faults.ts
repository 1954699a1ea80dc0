// The order page block's route under attack, through the production server on each backend: hostile order ids,
// bodies and tokens get a clear 4xx and change nothing, the app serves on; and a storm of the same resend (twenty
// copies at once, as a flaky network and impatient clicks would send them) stores one push that JoinChat gets once.
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { signSessionToken } from "../helpers/sign-session-token";
import { CHROME_UA } from "../browser/admin-server";
import { buildOrderJson } from "../fixtures/orders";
import { installSession, TEST_SHOPIFY_API_SECRET, waitFor, waitForSettled, type AppProcess } from "../helpers/app-process";
import { describeOnBackends, receivedBy, useE2eStack, type E2eStack } from "../helpers/e2e-stack";
import { labelScenarios, recordScenario } from "./summary";
import { PAGE_ID } from "./world";

let stack: E2eStack;
let app: AppProcess;

describeOnBackends((backend) => {
  labelScenarios(backend.label);
  useE2eStack(
    (started) => {
      stack = started;
      app = started.app;
    },
    {},
    backend,
  );

  const SHOP = "faults-order-block.myshopify.com";
  const OTHER = "faults-order-block-other.myshopify.com";
  const ORDER_ID = "820982911946154777";

  const tokenOf = (shop: string, secret = TEST_SHOPIFY_API_SECRET) => signSessionToken({ shop, apiKey: app.env.SHOPIFY_API_KEY, apiSecret: secret });

  function call(path: string, init: { method?: string; body?: string; token?: string | null; headers?: Record<string, string> } = {}) {
    const headers: Record<string, string> = {
      "user-agent": CHROME_UA,
      origin: "https://extensions.shopifycdn.com",
      "content-type": "application/json",
      ...init.headers,
    };
    const token = init.token === undefined ? tokenOf(SHOP) : init.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    return app.request(path, { method: init.method ?? (init.body === undefined ? "GET" : "POST"), headers, body: init.body });
  }

  const snapshot = async () => JSON.stringify(await app.db.all("SELECT id, shop, status, business_key, attempts, updated_at FROM push ORDER BY id"));
  const route = `/api/orders/${ORDER_ID}/pushes`;

  interface Hostile {
    name: string;
    path?: string;
    method?: string;
    body?: string;
    token?: string | null;
    status: number | "refused";
  }

  const HOSTILE: Hostile[] = [
    { name: "an order id that looks like SQL", path: `/api/orders/${encodeURIComponent("1 OR 1=1; DROP TABLE push; --")}/pushes`, status: 400 },
    { name: "an order id of 400 digits", path: `/api/orders/${"9".repeat(400)}/pushes`, status: 400 },
    { name: "another resource's GID", path: `/api/orders/${encodeURIComponent("gid://shopify/Customer/1")}/pushes`, status: 400 },
    { name: "an order id with a path in it", path: `/api/orders/..%2F..%2Fapp/pushes`, status: 400 },
    { name: "a resend without confirmation", body: JSON.stringify({ intent: "resend-receipt" }), status: 400 },
    { name: "an unknown intent", body: JSON.stringify({ intent: "delete-everything", confirm: true }), status: 400 },
    { name: "a body that is not JSON", body: "intent=resend-receipt&confirm=true", status: 400 },
    { name: "a JSON array", body: "[]", status: 400 },
    { name: "a request id made of LIKE wildcards", body: JSON.stringify({ intent: "resend-receipt", confirm: true, requestId: "%%%%%%%%" }), status: 400 },
    {
      name: "a request id of 10,000 characters",
      body: JSON.stringify({ intent: "resend-receipt", confirm: true, requestId: "a".repeat(10_000) }),
      status: 400,
    },
    { name: "a retry of a push id that is text", body: JSON.stringify({ intent: "retry", pushId: "1 OR 1=1" }), status: 400 },
    { name: "a retry of another shop's push", body: JSON.stringify({ intent: "retry", pushId: 1 }), status: 404 },
    { name: "no session token", token: null, status: "refused" },
    { name: "a session token signed with another secret", token: "forged", status: 401 },
    { name: "a token that is not a JWT", token: "not-a-jwt", status: 401 },
    {
      name: "a resend with another shop's token (that shop has no such order)",
      body: JSON.stringify({ intent: "resend-receipt", confirm: true }),
      token: "other",
      status: 409,
    },
  ];

  let refused = 0;

  describe("the order page block's route", () => {
    it("is ready: two installed shops, an order delivered to one", async () => {
      for (const shop of [SHOP, OTHER]) {
        await installSession(app, shop, "read_orders,read_fulfillments,read_products");
        await app.configureShop(shop, [], PAGE_ID);
      }
      // The other shop has a failed push of its own (push id 1 or so), which this shop must never reach.
      stack.sandbox.setKnownRecipients(["nobody"]);
      expect(
        (await app.sendWebhook("orders/create", OTHER, buildOrderJson({ id: 1n, admin_graphql_api_id: "gid://shopify/Order/1", name: "#1" }))).status,
      ).toBe(200);
      await waitForSettled(app, OTHER);
      stack.sandbox.setKnownRecipients(null);
      const order = buildOrderJson({ id: BigInt(ORDER_ID), admin_graphql_api_id: `gid://shopify/Order/${ORDER_ID}`, name: "#7777" });
      expect((await app.sendWebhook("orders/create", SHOP, order)).status).toBe(200);
      await waitForSettled(app, SHOP);
      expect((await call(route)).json.pushes).toMatchObject([{ status: "delivered" }]);
    });

    it.each(HOSTILE)("$name: refused ($status), nothing changed, the app serves on", async ({ path, method, body, token, status }) => {
      const before = await snapshot();
      const theirs = (await app.db.all<{ id: number }>("SELECT id FROM push WHERE shop = ?", [OTHER])).map((r) => r.id);
      const bodyFor = body?.includes('"pushId":1}') ? body.replace('"pushId":1}', `"pushId":${theirs[0]}}`) : body;
      const tokenFor = token === "forged" ? tokenOf(SHOP, "not-the-app-secret") : token === "other" ? tokenOf(OTHER) : token;
      const answer = await call(path ?? route, { method, body: bodyFor, token: tokenFor });
      if (status === "refused") expect(answer.status).toBeGreaterThanOrEqual(300);
      else expect(answer.status, answer.text).toBe(status);
      expect(answer.status).toBeLessThan(500);
      expect(answer.text).not.toContain("6024912345678901");
      expect(await snapshot()).toBe(before);
      expect((await app.request("/healthz", { method: "GET" })).status).toBe(200);
      refused += 1;
    });

    it("a storm of the same resend (20 at once) stores one push, and JoinChat gets the receipt once more", async () => {
      const before = receivedBy(stack.sandbox, SHOP, "Order/Receipt").length;
      const requestId = randomUUID();
      const body = JSON.stringify({ intent: "resend-receipt", confirm: true, requestId });
      const answers = await Promise.all(Array.from({ length: 20 }, () => call(route, { body })));
      expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
      expect(new Set(answers.map((a) => a.json.push.id)).size).toBe(1);
      expect(answers.filter((a) => a.json.created)).toHaveLength(1);
      await waitFor(() => receivedBy(stack.sandbox, SHOP, "Order/Receipt").length > before, 20_000, "the resend to reach JoinChat");
      await waitForSettled(app, SHOP);
      const receipts = receivedBy(stack.sandbox, SHOP, "Order/Receipt");
      const resends = receipts.length - before;
      expect(resends).toBe(1);
      recordScenario({
        scenario: "order page block: hostile requests refused, a resend storm",
        webhooks: 1,
        expected: "2",
        delivered: receipts.length,
        doubled: Math.max(0, resends - 1),
        lost: Math.max(0, 1 - resends) + (HOSTILE.length - refused),
      });
    });
  });
});
