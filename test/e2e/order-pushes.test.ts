// Order webhooks through the production server, SQLite and the JoinChat sandbox: which push goes, exactly once,
// whatever the order and number of deliveries; signed with the right secret.
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { buildOrderJson, ORDER_GID, PSID } from "../fixtures/orders";
import {
  type AppProcess,
  attemptsOf,
  pushesOf,
  sendAccepted,
  sleep,
  TEST_JOINCHAT_API_SECRET,
  uniqueShop,
  waitFor,
  waitForSettled,
} from "../helpers/app-process";
import { describeOnBackends, receivedBy, useE2eStack, type E2eStack } from "../helpers/e2e-stack";
import { joinchatSignature } from "../helpers/joinchat-recorder";

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

  const send = (topic: string, shop: string, body: string, webhookId?: string) => sendAccepted(app, topic, shop, body, webhookId);

  describe("order pushes end to end", () => {
    it("unpaid, then paid with no delay: one Order/Unpaid, then one Order/Receipt", { timeout: 30_000 }, async () => {
      const shop = uniqueShop("unpaid-then-paid");
      await app.configureShop(shop);
      await send("orders/create", shop, buildOrderJson({ financial_status: "pending" }));
      await waitFor(() => receivedBy(stack.sandbox, shop, "Order/Unpaid").length === 1, 10_000, "the unpaid reminder");

      await send("orders/paid", shop, buildOrderJson({ financial_status: "paid" }));
      const pushes = await waitForSettled(app, shop);
      await waitFor(() => receivedBy(stack.sandbox, shop, "Order/Receipt").length === 1, 10_000, "the receipt");

      expect(pushes.map((p) => [p.topic, p.status])).toEqual([
        ["Order/Unpaid", "delivered"],
        ["Order/Receipt", "delivered"],
      ]);
      const received = receivedBy(stack.sandbox, shop);
      expect(received.map((r) => r.topic)).toEqual(["Order/Unpaid", "Order/Receipt"]);
      for (const r of received) {
        expect(r.recipient).toEqual({ id: PSID });
        expect(r.params.order_number).toBe("#1001");
      }
      expect(pushes[0].recipient_id).toBe(PSID);
      expect(stack.sandbox.stats().doubledBusinessKeys).toEqual([]);
    });

    it("paid before the unpaid delay passed: the reminder is cancelled and only the receipt is sent", { timeout: 30_000 }, async () => {
      const shop = uniqueShop("unpaid-delayed");
      await app.configureShop(shop, ["--unpaid-delay", "60"]);
      const createdAt = new Date().toISOString();
      await send("orders/create", shop, buildOrderJson({ financial_status: "pending", created_at: createdAt }));
      const [waiting] = await pushesOf(app, shop);
      expect(waiting).toMatchObject({ topic: "Order/Unpaid", status: "queued" });
      expect(waiting.due_at).toBeGreaterThanOrEqual(Date.parse(createdAt) + 59 * 60_000);

      await send("orders/paid", shop, buildOrderJson({ financial_status: "paid", created_at: createdAt }));
      const pushes = await waitForSettled(app, shop);
      expect(pushes.map((p) => [p.topic, p.status])).toEqual([
        ["Order/Unpaid", "cancelled"],
        ["Order/Receipt", "delivered"],
      ]);
      expect(pushes[0].attempts).toBe(0);
      expect(receivedBy(stack.sandbox, shop).map((r) => r.topic)).toEqual(["Order/Receipt"]);
      expect(stack.recorder.requests.filter((r) => r.shop === shop)).toHaveLength(1);
    });

    it("paid while the reminder waits for a retry (JoinChat down): the reminder is cancelled, only the receipt goes", { timeout: 30_000 }, async () => {
      const shop = uniqueShop("unpaid-retrying");
      await app.configureShop(shop);
      stack.sandbox.fail({ mode: "status", status: 503, forMs: 60_000 });
      await send("orders/create", shop, buildOrderJson({ financial_status: "pending" }));
      await waitFor(async () => (await pushesOf(app, shop))[0]?.status === "retrying", 10_000, "the reminder to wait for a retry");
      await send("orders/paid", shop, buildOrderJson({ financial_status: "paid" }));
      stack.sandbox.clearFaults();
      const pushes = await waitForSettled(app, shop);
      expect(pushes.map((p) => [p.topic, p.status])).toEqual([
        ["Order/Unpaid", "cancelled"],
        ["Order/Receipt", "delivered"],
      ]);
      expect(receivedBy(stack.sandbox, shop).map((r) => r.topic)).toEqual(["Order/Receipt"]);
    });

    it("test orders are skipped when the shop turned them off, and pushed by default", { timeout: 30_000 }, async () => {
      const off = uniqueShop("test-off");
      await app.configureShop(off, ["--test-orders", "off"]);
      const on = uniqueShop("test-on");
      await app.configureShop(on);
      await send("orders/create", off, buildOrderJson({ test: true }));
      await send("orders/create", on, buildOrderJson({ test: true }));
      expect((await waitForSettled(app, off))[0]).toMatchObject({ status: "skipped", reason: "test_order" });
      expect((await waitForSettled(app, on))[0]).toMatchObject({ status: "delivered" });
      expect(receivedBy(stack.sandbox, off)).toHaveLength(0);
      expect(receivedBy(stack.sandbox, on)).toHaveLength(1);
    });

    it("a paid order delivered three times plus orders/paid: one receipt, the rest recorded as duplicates", { timeout: 30_000 }, async () => {
      const shop = uniqueShop("paid-thrice");
      await app.configureShop(shop);
      const body = buildOrderJson({ financial_status: "paid" });
      await Promise.all([
        send("orders/create", shop, body, randomUUID()),
        send("orders/create", shop, body, randomUUID()),
        send("orders/create", shop, body, randomUUID()),
        send("orders/paid", shop, body, randomUUID()),
      ]);
      const pushes = await waitForSettled(app, shop);
      const delivered = pushes.filter((p) => p.status === "delivered");
      expect(delivered).toHaveLength(1);
      expect(delivered[0]).toMatchObject({ topic: "Order/Receipt", business_key: `receipt:${ORDER_GID}` });
      const skipped = pushes.filter((p) => p.status === "skipped");
      expect(skipped).toHaveLength(3);
      for (const p of skipped) expect(p).toMatchObject({ topic: "Order/Receipt", reason: "duplicate", attempts: 0 });
      expect(await app.db.all("SELECT * FROM webhook_delivery WHERE shop = ?", [shop])).toHaveLength(4);

      expect(receivedBy(stack.sandbox, shop, "Order/Receipt")).toHaveLength(1);
      expect(stack.recorder.requests.filter((r) => r.shop === shop)).toHaveLength(1);
      expect(stack.sandbox.stats().doubledBusinessKeys).toEqual([]);
    });

    it("orders/paid before orders/create (pending): the receipt goes, the reminder is skipped as already paid", { timeout: 30_000 }, async () => {
      const shop = uniqueShop("paid-first");
      await app.configureShop(shop);
      await send("orders/paid", shop, buildOrderJson({ financial_status: "paid" }));
      await waitFor(() => receivedBy(stack.sandbox, shop, "Order/Receipt").length === 1, 10_000, "the receipt");
      await send("orders/create", shop, buildOrderJson({ financial_status: "pending" }));
      const pushes = await waitForSettled(app, shop);
      expect(pushes.map((p) => [p.topic, p.status, p.reason])).toEqual([
        ["Order/Receipt", "delivered", null],
        ["Order/Unpaid", "skipped", "already_paid"],
      ]);
      expect(receivedBy(stack.sandbox, shop).map((r) => r.topic)).toEqual(["Order/Receipt"]);
    });

    it("signs with the shop's own JoinChat secret; a shop without one pushes nothing (one page, one secret)", { timeout: 30_000 }, async () => {
      const own = uniqueShop("own-secret");
      const ownSecret = `shop-secret-${randomUUID()}`;
      stack.sandbox.setSecret(own, ownSecret);
      await app.configureShop(own, ["--secret", ownSecret]);
      const settings = await app.db.get<{ secret_ciphertext: string }>("SELECT secret_ciphertext FROM shop_settings WHERE shop = ?", [own]);
      expect(settings?.secret_ciphertext).toBeTruthy();
      expect(settings?.secret_ciphertext).not.toContain(ownSecret);

      // Linked by the operator without a secret: the sandbox would take the default secret, the app must not send.
      const plain = uniqueShop("no-secret");
      expect((await app.cli(["shop", "configure", "--shop", plain, "--page-id", "407898491811542"])).code).toBe(0);

      await send("orders/create", own, buildOrderJson());
      await send("orders/create", plain, buildOrderJson());
      const [ownPush] = await waitForSettled(app, own);
      const [plainPush] = await waitForSettled(app, plain);
      // The sandbox checks the signature: a delivered push was signed with the secret it knows for the shop.
      expect(ownPush.status).toBe("delivered");
      expect(plainPush).toMatchObject({ status: "failed", reason: "secret_missing", last_error: null });
      expect(receivedBy(stack.sandbox, own)).toHaveLength(1);
      expect(receivedBy(stack.sandbox, plain)).toHaveLength(0);

      const [ownRequest] = stack.recorder.requests.filter((r) => r.shop === own);
      expect(ownRequest.signature).toBe(joinchatSignature(ownRequest.body, ownSecret));
      expect(ownRequest.signature).not.toBe(joinchatSignature(ownRequest.body, TEST_JOINCHAT_API_SECRET));
      expect(ownRequest.body.toString("utf8")).toBe(ownPush.body);
      expect(stack.recorder.requests.filter((r) => r.shop === plain)).toHaveLength(0);
    });

    it("a shop whose secret JoinChat does not know gets its push refused (401), final, without retry", { timeout: 30_000 }, async () => {
      const shop = uniqueShop("wrong-secret");
      stack.sandbox.setSecret(shop, "the-secret-joinchat-has");
      await app.configureShop(shop, ["--secret", "a-different-secret-0"]);
      await send("orders/create", shop, buildOrderJson());
      const [push] = await waitForSettled(app, shop);
      expect(push).toMatchObject({ status: "failed", last_http_status: 401, attempts: 1 });
      await sleep(1_000);
      expect(await attemptsOf(app, push.id)).toHaveLength(1);
      expect(receivedBy(stack.sandbox, shop)).toHaveLength(0);
    });

    it("skips pushes of an unlinked shop, with the reason", { timeout: 30_000 }, async () => {
      const shop = uniqueShop("unlinked");
      await send("orders/create", shop, buildOrderJson());
      const [push] = await waitForSettled(app, shop);
      expect(push).toMatchObject({ status: "skipped", reason: "page_not_linked" });
      expect(receivedBy(stack.sandbox, shop)).toHaveLength(0);
    });
  });
});
