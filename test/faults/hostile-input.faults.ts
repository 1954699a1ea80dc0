// Hostile input: each gets a clear answer and a log line, nothing is stored for what is refused, the app keeps serving.
import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { buildOrderJson } from "../fixtures/orders";
import { TEST_SHOPIFY_API_SECRET, type AppProcess, type SendOptions } from "../helpers/app-process";
import { describeOnBackends, useE2eStack, type E2eStack } from "../helpers/e2e-stack";
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
    { WEBHOOK_MAX_BODY_BYTES: String(2 * 1024 * 1024) },
    backend,
  );

  const SHOP = "faults-hostile.myshopify.com";
  /** The order numbers whose receipts must reach JoinChat (the accepted orders). */
  const expectedOrders: string[] = [];

  async function stored(): Promise<number> {
    const n = async (table: string) => Number((await app.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table} WHERE shop = ?`, [SHOP]))?.n ?? 0);
    return (await n("webhook_delivery")) + (await n("push")) + (await n("shopify_order"));
  }

  const hmacOf = (body: string) => createHmac("sha256", TEST_SHOPIFY_API_SECRET).update(body).digest("base64");

  interface Hostile {
    name: string;
    topic: string;
    body: string;
    options?: SendOptions;
    status: number;
  }

  const order = buildOrderJson({});
  const HOSTILE: Hostile[] = [
    { name: "forged HMAC", topic: "orders/create", body: order, options: { secret: "not-the-app-secret" }, status: 401 },
    { name: "missing HMAC", topic: "orders/create", body: order, options: { headers: { "x-shopify-hmac-sha256": null } }, status: 400 },
    { name: "truncated HMAC", topic: "orders/create", body: order, options: { headers: { "x-shopify-hmac-sha256": hmacOf(order).slice(0, 12) } }, status: 401 },
    { name: "valid HMAC over malformed JSON", topic: "orders/create", body: '{"admin_graphql_api_id": "gid://shopify/Order/1", "name": ', status: 400 },
    { name: "valid HMAC over a JSON array", topic: "orders/create", body: "[1, 2, 3]", status: 400 },
    { name: "unknown topic route", topic: "collections/delete", body: '{"id": 1}', status: 404 },
    {
      name: "topic header that does not match its route",
      topic: "orders/create",
      body: order,
      options: { headers: { "x-shopify-topic": "products/update" } },
      status: 400,
    },
    { name: "missing required fields", topic: "orders/create", body: JSON.stringify({ id: 1, email: "a@example.com" }), status: 400 },
    { name: "wrongly typed fields", topic: "orders/create", body: buildOrderJson({ line_items: "many" as unknown as unknown[] }), status: 400 },
    {
      name: "wrongly typed quantity",
      topic: "orders/create",
      body: buildOrderJson({ admin_graphql_api_id: "gid://shopify/Order/42", line_items: [{ title: "x", quantity: "two", price: "1.00" }] }),
      status: 400,
    },
    {
      name: "wrongly typed fulfillment",
      topic: "fulfillments/update",
      body: JSON.stringify({ admin_graphql_api_id: "gid://shopify/Fulfillment/1", tracking_numbers: "abc" }),
      status: 400,
    },
    {
      name: "a shop domain that is not myshopify.com",
      topic: "orders/create",
      body: order,
      options: { headers: { "x-shopify-shop-domain": "evil.example.com" } },
      status: 400,
    },
  ];

  describe("hostile input", () => {
    it.each(HOSTILE)("$name: answered $status, logged, nothing stored", async ({ topic, body, options, status }) => {
      await app.configureShop(SHOP, [], PAGE_ID);
      const before = await stored();
      const logLines = app.logs().split("\n").length;
      const answer = await app.sendWebhook(topic, SHOP, body, options);
      expect(answer.status).toBe(status);
      expect(answer.json?.error).toEqual(expect.any(String));
      expect(await stored()).toBe(before);
      // The log line is written before the answer; the pipe from the child may bring it a moment later.
      const newLines = () =>
        app
          .logs()
          .split("\n")
          .slice(logLines - 1)
          .join("\n");
      for (let i = 0; i < 40 && !newLines().includes('"msg":"webhook refused"'); i++) await new Promise((r) => setTimeout(r, 25));
      expect(newLines()).toContain('"msg":"webhook refused"');
      expect((await app.request("/healthz")).status).toBe(200);
    });

    it("a body over the size limit is answered 413 before it is read whole", async () => {
      const big = "x".repeat(3 * 1024 * 1024);
      const before = await stored();
      // Answered 413 at once; a client still writing may see the connection end under it (EPIPE) instead.
      const answer = await app.sendWebhook("orders/create", SHOP, big).catch(() => ({ status: 413 }));
      expect(answer.status).toBe(413);
      expect(await stored()).toBe(before);
      // Streamed without a length: cut off at the limit all the same.
      const chunked = await app
        .request("/webhooks/orders/create", {
          method: "POST",
          headers: {
            "x-shopify-hmac-sha256": hmacOf(big),
            "x-shopify-topic": "orders/create",
            "x-shopify-shop-domain": SHOP,
            "x-shopify-api-version": "2026-04",
            "x-shopify-webhook-id": "big-chunked",
          },
          body: big,
          chunked: true,
        })
        .catch(() => ({ status: 413 }));
      expect(chunked.status).toBe(413);
      expect((await app.request("/healthz")).status).toBe(200);
    });

    it("10,000 line items: accepted, and the receipt carries the first 100", async () => {
      await app.configureShop(SHOP, [], PAGE_ID);
      // Lean line items, so that 10,000 of them fit under this stack's body limit.
      const lineItems = Array.from({ length: 10_000 }, (_, i) => ({ title: `Item ${i}`, quantity: 1, price: "1.00", product_id: 1000 + i }));
      const body = buildOrderJson({ admin_graphql_api_id: "gid://shopify/Order/7770001", name: "#BIG", line_items: lineItems });
      const answer = await app.sendWebhook("orders/create", SHOP, body);
      if (Buffer.byteLength(body) > 2 * 1024 * 1024) {
        expect(answer.status).toBe(413);
        return;
      }
      expect(answer.status).toBe(200);
      expectedOrders.push("#BIG");
      for (let i = 0; i < 100 && !stack.sandbox.received.some((p) => p.params?.order_number === "#BIG"); i++) await new Promise((r) => setTimeout(r, 50));
      const receipt = stack.sandbox.received.find((p) => p.params?.order_number === "#BIG");
      expect(receipt?.params.elements).toHaveLength(100);
    });

    it("emoji, right-to-left text, HTML and SQL-looking strings travel unchanged", async () => {
      await app.configureShop(SHOP, [], PAGE_ID);
      const title = "🎁 هدية <script>alert(1)</script> '; DROP TABLE push; --";
      const name = "Zoë 李 \u202Eevil\u202C";
      const body = buildOrderJson({
        admin_graphql_api_id: "gid://shopify/Order/7770002",
        name: "#WEIRD",
        line_items: [{ title, variant_title: "אדום / L", quantity: 1, price: "5.00", product_id: 1 }],
        shipping_address: {
          name,
          first_name: "Zoë",
          last_name: "李",
          address1: "1 <b>Main</b> St",
          city: "Tel Aviv",
          zip: "61000",
          province_code: "TA",
          country_code: "IL",
        },
      });
      expect((await app.sendWebhook("orders/create", SHOP, body)).status).toBe(200);
      expectedOrders.push("#WEIRD");
      for (let i = 0; i < 100 && !stack.sandbox.received.some((p) => p.params?.order_number === "#WEIRD"); i++) await new Promise((r) => setTimeout(r, 50));
      const receipt = stack.sandbox.received.find((p) => p.params?.order_number === "#WEIRD");
      expect(receipt?.params.elements[0].title).toBe(title);
      expect(receipt?.params.recipient_name).toBe(name);
      expect(Number((await app.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM push"))?.n)).toBeGreaterThan(0);
    });

    it("a page id or secret of the wrong shape through the CLI: refused, exit 2, nothing saved", async () => {
      const shop = "faults-cli.myshopify.com";
      for (const args of [
        ["--page-id", "12ab"],
        ["--page-id", "'; DROP TABLE shop_settings; --"],
        ["--secret", "short"],
        ["--secret", "has spaces in it"],
      ]) {
        const result = await app.cli(["shop", "configure", "--shop", shop, ...args]);
        expect(result.code).toBe(2);
        expect(result.output).toMatch(/error: --(page-id|secret)/);
        expect(await app.db.get("SELECT shop FROM shop_settings WHERE shop = ?", [shop])).toBeUndefined();
      }
    });

    it("sent exactly the receipts of the accepted orders, and nothing for the refused ones", () => {
      const received = stack.sandbox.received.filter((p) => p.shop === SHOP && !p.replay);
      const numbers = received.map((p) => p.params?.order_number as string);
      const doubled = numbers.length - new Set(numbers).size;
      const lost = expectedOrders.filter((n) => !numbers.includes(n)).length;
      recordScenario({
        scenario: "hostile input (refused, nothing stored)",
        webhooks: HOSTILE.length + 5,
        expected: String(expectedOrders.length),
        delivered: received.length,
        doubled,
        lost,
      });
      expect(numbers.sort()).toEqual([...expectedOrders].sort());
    });
  });
});
