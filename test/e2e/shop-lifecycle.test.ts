// The shop lifecycle and data-protection webhooks through the production server: uninstall cancels what
// waits and forgets the shop's sessions and settings; customers/redact and shop/redact leave no trace in any
// table; nothing of an uninstalled or erased shop is sent afterwards.
import { randomBytes, randomInt } from "node:crypto";
import { describe, expect, it } from "vitest";
import { buildFulfillmentJson } from "../fixtures/fulfillments";
import { buildAddress, buildOrderJson, CUSTOMER_ID } from "../fixtures/orders";
import {
  type AppProcess,
  installSession as installAppSession,
  pushesOf,
  sendAccepted,
  sleep,
  uniqueShop,
  waitFor,
  waitForSettled,
} from "../helpers/app-process";
import { describeOnBackends, receivedBy, useE2eStack, type E2eStack } from "../helpers/e2e-stack";

let stack: E2eStack;
let app: AppProcess;

describeOnBackends((backend) => {
  useE2eStack(
    (started) => {
      stack = started;
      app = started.app;
    },
    {},
    backend,
  );

  const send = (topic: string, shop: string, body: string) => sendAccepted(app, topic, shop, body);

  const installSession = (shop: string) => installAppSession(app, shop);

  function orderJson(n: number, overrides: Record<string, unknown> = {}) {
    const id = 820982911946154508n + BigInt(n);
    return buildOrderJson({ id, admin_graphql_api_id: `gid://shopify/Order/${id}`, name: `#${3000 + n}`, ...overrides });
  }

  /** Every place a value appears in the database: `table.column` of each row whose text contains it. */
  async function tracesOf(needles: string[]): Promise<string[]> {
    const found: string[] = [];
    const lowered = needles.map((n) => n.toLowerCase());
    const tables = await app.tables();
    expect(tables.length).toBeGreaterThan(5);
    for (const name of tables) {
      for (const row of await app.db.all<Record<string, unknown>>(`SELECT * FROM "${name}"`)) {
        for (const [column, value] of Object.entries(row)) {
          if (value === null || value === undefined) continue;
          const text = (Buffer.isBuffer(value) ? value.toString("utf8") : String(value)).toLowerCase();
          for (const needle of lowered) if (text.includes(needle)) found.push(`${name}.${column} has ${needle}`);
        }
      }
    }
    return found;
  }

  describe("app/uninstalled and app/scopes_update", () => {
    it("uninstall cancels the queued and retrying pushes, deletes sessions and settings, and nothing is sent afterwards", { timeout: 30_000 }, async () => {
      const shop = uniqueShop("uninstall");
      await installSession(shop);
      await app.configureShop(shop, ["--unpaid-delay", "60"]);

      // Delivered before the uninstall: stays as it was.
      await send("orders/create", shop, orderJson(1, { financial_status: "paid" }));
      await waitFor(() => receivedBy(stack.sandbox, shop).length === 1, 10_000, "the first receipt");
      // Two reminders waiting for the unpaid delay.
      const now = new Date().toISOString();
      await send("orders/create", shop, orderJson(2, { financial_status: "pending", created_at: now }));
      await send("orders/create", shop, orderJson(3, { financial_status: "pending", created_at: now }));
      // A receipt waiting for its retry: JoinChat asked for an hour.
      stack.sandbox.fail({ mode: "status", status: 503, count: 1, retryAfterS: 3600 });
      await send("orders/create", shop, orderJson(4, { financial_status: "paid" }));
      await waitFor(async () => (await pushesOf(app, shop)).some((p) => p.status === "retrying"), 10_000, "the receipt to wait for its retry");
      expect((await pushesOf(app, shop)).map((p) => p.status)).toEqual(["delivered", "queued", "queued", "retrying"]);
      const requestsBefore = stack.recorder.requests.filter((r) => r.shop === shop).length;

      await send("app/uninstalled", shop, JSON.stringify({ id: 548380009, name: "Super Toys", domain: shop, myshopify_domain: shop }));
      const pushes = await pushesOf(app, shop);
      expect(pushes.map((p) => [p.status, p.reason])).toEqual([
        ["delivered", null],
        ["cancelled", "app_uninstalled"],
        ["cancelled", "app_uninstalled"],
        ["cancelled", "app_uninstalled"],
      ]);
      expect(await app.db.all(`SELECT * FROM "Session" WHERE "shop" = ?`, [shop])).toHaveLength(0);
      expect(await app.db.all("SELECT * FROM shop_settings WHERE shop = ?", [shop])).toHaveLength(0);

      // Webhooks still arriving for the shop are recorded and not sent: its page is no longer linked.
      await send("orders/create", shop, orderJson(5, { financial_status: "paid" }));
      const after = await waitForSettled(app, shop);
      expect(after.at(-1)).toMatchObject({ status: "skipped", reason: "page_not_linked" });
      await sleep(500);
      expect(stack.recorder.requests.filter((r) => r.shop === shop)).toHaveLength(requestsBefore);
      expect(receivedBy(stack.sandbox, shop)).toHaveLength(1);
    });

    it("scopes_update stores the new scope on the shop's sessions", { timeout: 30_000 }, async () => {
      const shop = uniqueShop("scopes");
      await installSession(shop);
      await send(
        "app/scopes_update",
        shop,
        JSON.stringify({
          id: 1,
          previous: ["read_orders"],
          current: ["read_orders", "read_fulfillments", "read_products"],
          updated_at: new Date().toISOString(),
        }),
      );
      expect((await app.db.get<{ scope: string }>(`SELECT "scope" FROM "Session" WHERE "shop" = ?`, [shop]))?.scope).toBe(
        "read_orders,read_fulfillments,read_products",
      );
    });
  });

  describe("compliance webhooks", () => {
    it("customers/redact erases the customer's email, phone and name from every table, and cancels what waits", { timeout: 30_000 }, async () => {
      const shop = uniqueShop("customer-redact");
      await app.configureShop(shop, ["--unpaid-delay", "60"]);
      const tag = randomBytes(4).toString("hex");
      const email = `redact-${tag}@buyer.example.com`;
      const phone = `+1555${randomInt(1_000_000, 9_999_999)}`;
      const name = `Redactia ${tag}`;
      const address = buildAddress({ name, first_name: "Redactia", last_name: tag, address1: `${tag} Erasure Lane` });
      const customer = { id: CUSTOMER_ID, admin_graphql_api_id: `gid://shopify/Customer/${CUSTOMER_ID}`, email, phone, first_name: "Redactia", last_name: tag };
      const ofBuyer = { email, contact_email: email, phone, customer, shipping_address: address, billing_address: address, note_attributes: [] };

      // Another buyer of the same shop, who keeps everything.
      const otherEmail = `keep-${tag}@buyer.example.com`;
      await send(
        "orders/create",
        shop,
        orderJson(9, { financial_status: "paid", email: otherEmail, contact_email: otherEmail, customer: null, note_attributes: [] }),
      );

      await send("orders/create", shop, orderJson(1, { ...ofBuyer, financial_status: "paid" }));
      const orderId = 820982911946154508n + 1n;
      await send("fulfillments/create", shop, buildFulfillmentJson({ order_id: orderId, email, destination: address }));
      await waitFor(() => receivedBy(stack.sandbox, shop).length === 3, 10_000, "the receipts and the package push");
      // A reminder still waiting when the buyer asks to be forgotten.
      await send("orders/create", shop, orderJson(2, { ...ofBuyer, financial_status: "pending", created_at: new Date().toISOString() }));
      const received = receivedBy(stack.sandbox, shop);
      expect(
        received
          .filter((r) => r.recipient.email === email)
          .map((r) => r.topic)
          .sort(),
      ).toEqual(["Order/Receipt", "package/update"]);
      const needles = [email, phone, phone.slice(2), name, `${tag} Erasure Lane`];
      for (const needle of needles) expect((await tracesOf([needle])).length, `${needle} stored before the redact`).toBeGreaterThan(0);

      await send(
        "customers/data_request",
        shop,
        JSON.stringify({
          shop_id: 954889,
          shop_domain: shop,
          customer: { id: Number(CUSTOMER_ID), email, phone },
          orders_requested: [],
          data_request: { id: 9999 },
        }),
      );
      const request = await app.db.get<{ summary: string }>("SELECT summary FROM data_request WHERE shop = ?", [shop]);
      expect(JSON.parse(request!.summary)).toMatchObject({ orders: 2, pushes: 3 });

      const redact = `{"shop_id":954889,"shop_domain":"${shop}","customer":{"id":${CUSTOMER_ID},"email":"${email}","phone":"${phone}"},"orders_to_redact":[${orderId},${orderId + 1n}]}`;
      await send("customers/redact", shop, redact);

      expect(await tracesOf(needles)).toEqual([]);
      // Nor did the app write the contact to its log.
      expect(app.logs()).not.toContain(email);
      // The other buyer is untouched, and the counts of what was sent remain.
      expect((await tracesOf([otherEmail])).length).toBeGreaterThan(0);
      const pushes = await pushesOf(app, shop);
      expect(pushes).toHaveLength(4);
      expect(pushes.filter((p) => p.status === "delivered")).toHaveLength(3);
      expect(pushes.find((p) => p.topic === "Order/Unpaid")).toMatchObject({ status: "cancelled", reason: "customer_data_erased" });

      await sleep(500);
      expect(receivedBy(stack.sandbox, shop)).toHaveLength(3);
    });

    it("shop/redact deletes every row of the shop: its domain is nowhere in the database, and nothing is sent", { timeout: 30_000 }, async () => {
      const shop = uniqueShop("shop-redact");
      const other = uniqueShop("shop-keep");
      for (const s of [shop, other]) {
        await installSession(s);
        const secret = `secret-${randomBytes(6).toString("hex")}`;
        stack.sandbox.setSecret(s, secret);
        await app.configureShop(s, ["--unpaid-delay", "60", "--secret", secret]);
        await send("orders/create", s, orderJson(1, { financial_status: "pending", created_at: new Date().toISOString() }));
        await send("fulfillments/update", s, buildFulfillmentJson({ shipment_status: "in_transit" }));
        await send(
          "customers/data_request",
          s,
          JSON.stringify({ shop_id: 1, shop_domain: s, customer: { id: 1, email: "x@example.com" }, orders_requested: [] }),
        );
        await waitFor(() => receivedBy(stack.sandbox, s).length === 1, 10_000, "the package push");
      }
      expect((await tracesOf([shop])).length).toBeGreaterThan(0);

      await send("shop/redact", shop, JSON.stringify({ shop_id: 954889, shop_domain: shop }));
      expect(await tracesOf([shop])).toEqual([]);
      expect((await app.db.all("SELECT * FROM push WHERE shop = ?", [other])).length).toBe(2);
      expect(await app.db.all(`SELECT * FROM "Session" WHERE "shop" = ?`, [other])).toHaveLength(1);
      expect(await app.db.all("SELECT * FROM shop_settings WHERE shop = ?", [other])).toHaveLength(1);

      // A repeat of the same request changes nothing and still answers 200.
      await send("shop/redact", shop, JSON.stringify({ shop_id: 954889, shop_domain: shop }));
      expect(await tracesOf([shop])).toEqual([]);
      await sleep(500);
      expect(await pushesOf(app, shop)).toHaveLength(0);
    });
  });
});
