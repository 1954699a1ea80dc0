// Issue 17 through the production server, signed webhooks and the JoinChat sandbox, on every backend: a buyer is told
// only what is true. One test per row of the issue: fulfillment failure and error, pending then success, open,
// cancelled before and after a shipped push, digital-only and mixed fulfillments, local pickup, cash on delivery in
// English and in Chinese, each COD setting, COD then orders/paid, payment terms before and at the due date.
import { describe, expect, it } from "vitest";
import { FIXTURE_ORDER_GID, FIXTURE_PSID, fulfillmentBody, orderBody, type FulfillmentEdits } from "../fixtures/truthful-pushes";
import { type AppProcess, pushesOf, sendAccepted, uniqueShop, waitFor, waitForSettled } from "../helpers/app-process";
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

  async function send(topic: string, shop: string, body: string) {
    const res = await sendAccepted(app, topic, shop, body);
    await waitForSettled(app, shop);
    return res;
  }

  /** A linked shop that knows order #2087 (paid): its receipt goes first. */
  async function shopWithOrder(name: string, extra: string[] = [], localPickup = false) {
    const shop = uniqueShop(name);
    await app.configureShop(shop, extra);
    await send("orders/create", shop, orderBody("orders/create", { localPickup }));
    return shop;
  }

  async function fulfillment(shop: string, edits: FulfillmentEdits, topic = "fulfillments/update") {
    return send(topic, shop, fulfillmentBody(edits));
  }

  async function packageRows(shop: string) {
    return (await pushesOf(app, shop)).filter((p) => p.topic === "package/update").map((p) => [p.tracking_status, p.status, p.reason]);
  }

  function sentStatuses(shop: string) {
    return receivedBy(stack.sandbox, shop, "package/update").map((r) => r.params.tracking_status);
  }

  const hour = (h: number) => `2026-05-15T${String(h).padStart(2, "0")}:00:00-03:00`;

  describe("fulfillments: only a parcel that shipped is pushed", () => {
    it.each(["failure", "error"] as const)("a fulfillment with status %s pushes nothing: fulfillment_failed", { timeout: 30_000 }, async (status) => {
      const shop = await shopWithOrder(`ful-${status}`);
      await fulfillment(shop, { status }, "fulfillments/create");
      expect(await packageRows(shop)).toEqual([[null, "skipped", "fulfillment_failed"]]);
      const row = await app.db.get<{ reason_detail: string }>("SELECT reason_detail FROM push WHERE shop = ? AND topic = 'package/update'", [shop]);
      expect(row?.reason_detail).toBe(status);
      expect(sentStatuses(shop)).toEqual([]);
    });

    it("pending, then success (twice): one shipped push", { timeout: 30_000 }, async () => {
      const shop = await shopWithOrder("ful-pending");
      await fulfillment(shop, { status: "pending", updatedAt: hour(8) }, "fulfillments/create");
      expect(sentStatuses(shop)).toEqual([]);
      await fulfillment(shop, { status: "success", updatedAt: hour(9) });
      await fulfillment(shop, { status: "success", updatedAt: hour(10) });
      expect(await packageRows(shop)).toEqual([
        [null, "skipped", "not_shipped_yet"],
        ["shipped", "delivered", null],
        ["shipped", "skipped", "duplicate"],
      ]);
      expect(sentStatuses(shop)).toEqual(["shipped"]);
      expect(receivedBy(stack.sandbox, shop, "package/update")[0].recipient).toEqual({ id: FIXTURE_PSID });
      expect(stack.sandbox.stats().doubledBusinessKeys).toEqual([]);
    });

    it("open (accepted, still being prepared) waits: not_shipped_yet", { timeout: 30_000 }, async () => {
      const shop = await shopWithOrder("ful-open");
      await fulfillment(shop, { status: "open" });
      expect(await packageRows(shop)).toEqual([[null, "skipped", "not_shipped_yet"]]);
      expect(sentStatuses(shop)).toEqual([]);
    });

    it("cancelled before any shipped push: the buyer is not told of a parcel they never heard of", { timeout: 30_000 }, async () => {
      const shop = await shopWithOrder("ful-cancel-early");
      await fulfillment(shop, { status: "pending", updatedAt: hour(8) }, "fulfillments/create");
      await fulfillment(shop, { status: "cancelled", updatedAt: hour(9) });
      // The cancelled parcel stays cancelled: a late success of it is not pushed either.
      await fulfillment(shop, { status: "success", updatedAt: hour(10) });
      expect(await packageRows(shop)).toEqual([
        [null, "skipped", "not_shipped_yet"],
        ["cancelled", "skipped", "buyer_not_told"],
        ["shipped", "skipped", "status_backwards"],
      ]);
      expect(sentStatuses(shop)).toEqual([]);
    });

    it("cancelled after a shipped push: the cancellation is pushed", { timeout: 30_000 }, async () => {
      const shop = await shopWithOrder("ful-cancel-late");
      await fulfillment(shop, { status: "success", updatedAt: hour(8) }, "fulfillments/create");
      await fulfillment(shop, { status: "cancelled", updatedAt: hour(9) });
      expect(await packageRows(shop)).toEqual([
        ["shipped", "delivered", null],
        ["cancelled", "delivered", null],
      ]);
      expect(sentStatuses(shop)).toEqual(["shipped", "cancelled"]);
      const state = await app.db.get<{ buyer_told: number }>("SELECT buyer_told FROM fulfillment_state WHERE shop = ?", [shop]);
      expect(Number(state?.buyer_told)).toBe(1);
    });

    it("cancelled while its shipped push waits for a retry (JoinChat down): neither reaches the buyer", { timeout: 30_000 }, async () => {
      const shop = await shopWithOrder("ful-cancel-retrying");
      // JoinChat asks to come back in 30 s: the shipped push waits for its retry when the cancellation comes.
      stack.sandbox.fail({ mode: "status", status: 503, retryAfterS: 30, forMs: 60_000 });
      await app.sendWebhook("fulfillments/create", shop, fulfillmentBody({ status: "success", updatedAt: hour(8) }));
      const shipped = async () => (await pushesOf(app, shop)).find((p) => p.topic === "package/update");
      await waitFor(async () => (await shipped())?.status === "retrying", 10_000, "the shipped push to wait for a retry");
      await fulfillment(shop, { status: "cancelled", updatedAt: hour(9) });
      stack.sandbox.clearFaults();
      await waitForSettled(app, shop);
      expect(await packageRows(shop)).toEqual([
        ["shipped", "cancelled", "buyer_not_told"],
        ["cancelled", "skipped", "buyer_not_told"],
      ]);
      expect(sentStatuses(shop)).toEqual([]);
    });

    it("a fulfillment of goods that do not ship (digital, gift cards) pushes nothing: nothing_to_ship", { timeout: 30_000 }, async () => {
      const shop = await shopWithOrder("ful-digital");
      await fulfillment(shop, { status: "success", digital: "all" }, "fulfillments/create");
      expect(await packageRows(shop)).toEqual([[null, "skipped", "nothing_to_ship"]]);
      expect(sentStatuses(shop)).toEqual([]);
    });

    it("a mixed fulfillment (some goods ship) is a parcel: shipped", { timeout: 30_000 }, async () => {
      const shop = await shopWithOrder("ful-mixed");
      await fulfillment(shop, { status: "success", digital: "first" }, "fulfillments/create");
      expect(await packageRows(shop)).toEqual([["shipped", "delivered", null]]);
      expect(sentStatuses(shop)).toEqual(["shipped"]);
    });

    it("a local pickup is pushed even when nothing ships: the buyer collected it (delivered)", { timeout: 30_000 }, async () => {
      const shop = await shopWithOrder("ful-pickup", [], true);
      await fulfillment(shop, { status: "success", digital: "all" }, "fulfillments/create");
      expect(await packageRows(shop)).toEqual([["delivered", "delivered", null]]);
      expect(sentStatuses(shop)).toEqual(["delivered"]);
    });
  });

  describe("cash on delivery: a confirmation, never an unpaid reminder", () => {
    const cod = (gateway: string) => orderBody("orders/create", { financialStatus: "pending", gatewayNames: [gateway] });

    it.each([
      ["English", "Cash on Delivery (COD)"],
      ["Chinese", "货到付款"],
      ["German", "Nachnahme"],
    ])("COD in %s: an Order/Receipt whose payment method says cash on delivery", { timeout: 30_000 }, async (language, gateway) => {
      const shop = uniqueShop(`cod-${language.toLowerCase()}`);
      await app.configureShop(shop);
      await send("orders/create", shop, cod(gateway));
      const pushes = await pushesOf(app, shop);
      expect(pushes.map((p) => [p.topic, p.status, p.business_key])).toEqual([["Order/Receipt", "delivered", `receipt:${FIXTURE_ORDER_GID}`]]);
      const received = receivedBy(stack.sandbox, shop);
      expect(received.map((r) => r.topic)).toEqual(["Order/Receipt"]);
      expect(received[0].params.payment_method).toBe(gateway);
    });

    it("the setting 'unpaid reminder': the COD order gets the unpaid reminder", { timeout: 30_000 }, async () => {
      const shop = uniqueShop("cod-reminder");
      await app.configureShop(shop, ["--cod-orders", "unpaid_reminder"]);
      await send("orders/create", shop, cod("Cash on Delivery (COD)"));
      expect(receivedBy(stack.sandbox, shop).map((r) => r.topic)).toEqual(["Order/Unpaid"]);
    });

    it("the setting 'nothing': no push, with its reason, and none when it is paid", { timeout: 30_000 }, async () => {
      const shop = uniqueShop("cod-nothing");
      await app.configureShop(shop, ["--cod-orders", "nothing"]);
      await send("orders/create", shop, cod("Cash on Delivery (COD)"));
      await send("orders/paid", shop, orderBody("orders/paid", { gatewayNames: ["Cash on Delivery (COD)"] }));
      expect((await pushesOf(app, shop)).map((p) => [p.topic, p.status, p.reason])).toEqual([
        ["Order/Receipt", "skipped", "cod_no_push"],
        ["Order/Receipt", "skipped", "cod_no_push"],
      ]);
      expect(receivedBy(stack.sandbox, shop)).toEqual([]);
    });

    it("the merchant's own COD name is recognised once added to the settings", { timeout: 30_000 }, async () => {
      const shop = uniqueShop("cod-own-name");
      await app.configureShop(shop, ["--cod-names", "Pay the driver"]);
      await send("orders/create", shop, cod("Pay the driver"));
      const received = receivedBy(stack.sandbox, shop);
      expect(received.map((r) => [r.topic, r.params.payment_method])).toEqual([["Order/Receipt", "Pay the driver"]]);
    });

    it("COD, then orders/paid when the courier's payment is recorded: one receipt in all", { timeout: 30_000 }, async () => {
      const shop = uniqueShop("cod-then-paid");
      await app.configureShop(shop);
      await send("orders/create", shop, cod("Cash on Delivery (COD)"));
      await send("orders/paid", shop, orderBody("orders/paid", { gatewayNames: ["Cash on Delivery (COD)"] }));
      expect((await pushesOf(app, shop)).map((p) => [p.topic, p.status, p.reason])).toEqual([
        ["Order/Receipt", "delivered", null],
        ["Order/Receipt", "skipped", "cod_confirmation_sent"],
      ]);
      expect(receivedBy(stack.sandbox, shop).map((r) => r.topic)).toEqual(["Order/Receipt"]);
      expect(stack.sandbox.stats().doubledBusinessKeys).toEqual([]);
    });
  });

  describe("payment terms: no reminder before the due date", () => {
    it("before the due date: the reminder waits for it; paid meanwhile, only the receipt goes", { timeout: 30_000 }, async () => {
      const shop = uniqueShop("terms-before");
      await app.configureShop(shop);
      const due = new Date(Date.now() + 30 * 86_400_000);
      due.setUTCMilliseconds(0);
      const res = await app.sendWebhook(
        "orders/create",
        shop,
        orderBody("orders/create", { financialStatus: "pending", paymentTermsDueAt: due.toISOString() }),
      );
      expect(res.status, res.text).toBe(200);
      const [waiting] = await pushesOf(app, shop);
      expect(waiting).toMatchObject({ topic: "Order/Unpaid", status: "queued", attempts: 0 });
      expect(Number(waiting.due_at)).toBe(due.getTime());

      await send("orders/paid", shop, orderBody("orders/paid"));
      expect((await pushesOf(app, shop)).map((p) => [p.topic, p.status, p.reason, p.attempts])).toEqual([
        ["Order/Unpaid", "cancelled", "order_paid_before_reminder", 0],
        ["Order/Receipt", "delivered", null, 1],
      ]);
      expect(receivedBy(stack.sandbox, shop).map((r) => r.topic)).toEqual(["Order/Receipt"]);
    });

    it("at the due date: the reminder goes", { timeout: 30_000 }, async () => {
      const shop = uniqueShop("terms-due");
      await app.configureShop(shop);
      const due = new Date(Date.now() - 60_000).toISOString();
      await send("orders/create", shop, orderBody("orders/create", { financialStatus: "pending", paymentTermsDueAt: due }));
      await waitFor(() => receivedBy(stack.sandbox, shop, "Order/Unpaid").length === 1, 10_000, "the reminder at the due date");
      expect((await pushesOf(app, shop)).map((p) => [p.topic, p.status])).toEqual([["Order/Unpaid", "delivered"]]);
    });

    it("terms without a due date, or a shop that turned those reminders off: no reminder, with the reason", { timeout: 30_000 }, async () => {
      const none = uniqueShop("terms-no-date");
      await app.configureShop(none);
      await send("orders/create", none, orderBody("orders/create", { financialStatus: "pending", paymentTermsDueAt: null }));
      const off = uniqueShop("terms-off");
      await app.configureShop(off, ["--terms-reminder", "off"]);
      await send(
        "orders/create",
        off,
        orderBody("orders/create", { financialStatus: "pending", paymentTermsDueAt: new Date(Date.now() - 60_000).toISOString() }),
      );
      expect((await pushesOf(app, none)).map((p) => [p.topic, p.status, p.reason])).toEqual([["Order/Unpaid", "skipped", "no_due_date"]]);
      expect((await pushesOf(app, off)).map((p) => [p.topic, p.status, p.reason])).toEqual([["Order/Unpaid", "skipped", "terms_reminder_off"]]);
      expect(receivedBy(stack.sandbox, none)).toEqual([]);
      expect(receivedBy(stack.sandbox, off)).toEqual([]);
    });
  });
});
