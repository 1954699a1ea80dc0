// The order page block's route (/api/orders/:orderId/pushes), called as Remix calls it with the session token an
// admin UI extension sends: the order's pushes of the token's shop only, a confirmed resend that stores exactly one
// new push (once, even when the request comes again), a retry of a failed push, bad order ids and bodies refused
// with nothing changed, and the CORS headers the extension (on Shopify's origin) needs to read the answers.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { buildFulfillmentJson } from "../fixtures/fulfillments";
import { buildOrderJson } from "../fixtures/orders";
import { NOT_A_JSON_OBJECT, OTHER_SHOP, startAdminRoutes, type AdminRoutes, type CallOptions } from "../helpers/admin-routes";

const PAGE_ID = "407898491811542";
const PSID = "6024912345678901";
const EXTENSION_ORIGIN = "https://extensions.shopifycdn.com";

let h: AdminRoutes;
beforeAll(async () => {
  h = await startAdminRoutes();
});
afterAll(async () => {
  await h?.close();
});

const reset = () => h.resetShops(PAGE_ID);

const orderGid = (n: number) => `gid://shopify/Order/${7000 + n}`;

function order(n: number, extra: Record<string, unknown> = {}) {
  return buildOrderJson({ id: 7000 + n, admin_graphql_api_id: orderGid(n), name: `#${7000 + n}`, ...extra });
}

function fulfillment(n: number, id: number, shipmentStatus: string | null, extra: Record<string, unknown> = {}) {
  return buildFulfillmentJson({
    id,
    admin_graphql_api_id: `gid://shopify/Fulfillment/${id}`,
    order_id: 7000 + n,
    shipment_status: shipmentStatus,
    updated_at: new Date(Date.now() + id).toISOString(),
    ...extra,
  });
}

const path = (orderId: string) => `/api/orders/${orderId}/pushes`;
const list = (orderId: string, options: CallOptions = {}) =>
  h.load(h.routes.orderPushes, path(orderId), { params: { orderId }, headers: { origin: EXTENSION_ORIGIN }, ...options });
const act = (orderId: string, body: unknown, options: CallOptions & { rawBody?: string } = {}) =>
  h.act(h.routes.orderPushes, path(orderId), body, { params: { orderId }, headers: { origin: EXTENSION_ORIGIN }, ...options });
const pushCount = async () => Number((await h.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM push"))!.n);
const snapshot = () => h.db.all("SELECT id, status, business_key, attempts, updated_at FROM push ORDER BY id");

describe("GET /api/orders/:orderId/pushes", () => {
  beforeEach(reset);

  it("lists the order's pushes of the token's shop only, newest first, with a masked recipient and the push's page", async () => {
    await h.webhook("orders/create", order(1));
    await h.webhook("fulfillments/create", fulfillment(1, 91, "in_transit"));
    await h.webhook("orders/create", order(2));
    // The same order id in another shop (a forged or mistaken delivery): never shown to this shop.
    await h.webhook("orders/create", order(1), OTHER_SHOP);
    await h.deliverDue();

    const res = await list("7001");
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("cache-control")).toBe("no-store");
    const answer = res.data;
    expect(answer).toMatchObject({ orderGid: orderGid(1), orderName: "#7001", more: false });
    expect(answer.pushes.map((p: { topic: string; trackingStatus: string | null; status: string }) => [p.topic, p.trackingStatus, p.status])).toEqual([
      ["package/update", "in_transit", "delivered"],
      ["Order/Receipt", null, "delivered"],
    ]);
    const ids = (await h.db.all<{ id: number }>("SELECT id FROM push WHERE shop = ? AND order_gid = ? ORDER BY id DESC", [h.shop, orderGid(1)])).map(
      (r) => r.id,
    );
    expect(answer.pushes.map((p: { id: number }) => p.id)).toEqual(ids);
    const receipt = answer.pushes[1];
    expect(receipt.recipient).toMatch(/^\*+8901$/);
    expect(res.text).not.toContain(PSID);
    expect(receipt.path).toBe(`/app/pushes/${receipt.id}`);
    expect(receipt.deliveredAt).toBeGreaterThan(0);
    expect(answer.resend).toEqual({ receipt: { pushId: ids[1], trackingStatus: null }, shippingUpdate: { pushId: ids[0], trackingStatus: "in_transit" } });
    // The GID form of the id is the same order.
    expect((await list(encodeURIComponent(orderGid(1)), { params: { orderId: orderGid(1) } })).data.pushes).toHaveLength(2);
  });

  it("answers an empty list for an order without pushes, and for another shop's order", async () => {
    await h.webhook("orders/create", order(3), OTHER_SHOP);
    for (const id of ["7003", "7999"]) {
      const res = await list(id);
      expect(res.status).toBe(200);
      expect(res.data).toMatchObject({ pushes: [], more: false, orderName: null, resend: { receipt: null, shippingUpdate: null } });
    }
  });

  it("shows JoinChat's message for a failure and the reason for a skip", async () => {
    h.sandbox.setKnownRecipients(["someone-else"]);
    await h.webhook("orders/create", order(4));
    await h.webhook(
      "orders/create",
      order(5, { note_attributes: [], email: null, phone: null, customer: null, contact_email: null, billing_address: null, shipping_address: null }),
    );
    await h.deliverDue();

    const failed = (await list("7004")).data.pushes[0];
    expect(failed).toMatchObject({ status: "failed", topic: "Order/Receipt" });
    expect(failed.joinchatMessage).toContain("Recipient not found");
    const skipped = (await list("7005")).data.pushes[0];
    expect(skipped).toMatchObject({ status: "skipped", reasonCode: "no_recipient", reason: "no_recipient", reasonDetail: null, joinchatMessage: null });
    // Nothing failed or delivered: nothing to resend.
    expect((await list("7004")).data.resend).toEqual({ receipt: null, shippingUpdate: null });
  });

  it("says when the order has more pushes than the list holds", async () => {
    await h.webhook("orders/create", order(6));
    await h.deliverDue();
    const first = (await list("7006")).data.pushes[0];
    for (let i = 0; i < 50; i++) await act("7006", { intent: "resend-receipt", confirm: true });
    const res = await list("7006");
    expect(res.data.pushes).toHaveLength(50);
    expect(res.data.more).toBe(true);
    expect(res.data.pushes.map((p: { id: number }) => p.id)).not.toContain(first.id);
    // The resends wait to go out: the receipt to send again is still the delivered one, past the 50 listed.
    expect(res.data.resend.receipt).toEqual({ pushId: first.id, trackingStatus: null });
  });

  it("refuses a bad order id with 400 and a clear code", async () => {
    for (const bad of ["abc", "0", "-1", "12.5", "1".repeat(21), "gid://shopify/Product/7001", "7001 OR 1=1", ""]) {
      const res = await list(encodeURIComponent(bad), { params: { orderId: bad } });
      expect(res.status, bad).toBe(400);
      expect(res.data, bad).toMatchObject({ ok: false, error: "invalid_order_id" });
      expect(res.headers.get("access-control-allow-origin"), bad).toBe("*");
    }
  });

  it("refuses a request without a session token, or with one not signed by the app", async () => {
    await h.webhook("orders/create", order(7));
    for (const auth of ["forged", "none"] as const) {
      const res = await list("7007", { auth });
      expect(res.status, auth).not.toBe(200);
      expect(res.text, auth).not.toContain("7007");
    }
  });

  it("answers the extension's CORS preflight", async () => {
    const res = await list("7001", { method: "OPTIONS", auth: "none", headers: { origin: EXTENSION_ORIGIN, "access-control-request-method": "POST" } });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("access-control-allow-headers")).toContain("Authorization");
  });
});

describe("POST /api/orders/:orderId/pushes", () => {
  beforeEach(reset);

  async function deliveredOrder(n: number) {
    await h.webhook("orders/create", order(n));
    await h.deliverDue();
    return (await list(String(7000 + n))).data;
  }

  it("resends the receipt when confirmed: exactly one new push, delivered to the buyer once more", async () => {
    const before = await deliveredOrder(10);
    const receiptId = before.resend.receipt.pushId;
    const count = await pushCount();
    const sent = h.sandbox.received.length;

    const res = await act("7010", { intent: "resend-receipt", confirm: true, requestId: "req-0001-abcdef" });
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.data).toMatchObject({
      ok: true,
      intent: "resend-receipt",
      created: true,
      push: { status: "queued", topic: "Order/Receipt", resendOf: receiptId },
    });
    expect(await pushCount()).toBe(count + 1);

    // The same request again (the merchant's network repeated it): the same push, nothing more.
    const again = await act("7010", { intent: "resend-receipt", confirm: true, requestId: "req-0001-abcdef" });
    expect(again.data).toMatchObject({ ok: true, created: false, push: { id: res.data.push.id } });
    expect(await pushCount()).toBe(count + 1);

    await h.deliverDue();
    expect(h.sandbox.received.length).toBe(sent + 1);
    expect(h.sandbox.received.at(-1)).toMatchObject({ topic: "Order/Receipt", recipient: { id: PSID } });
    const after = (await list("7010")).data;
    expect(after.pushes[0]).toMatchObject({ id: res.data.push.id, status: "delivered", resendOf: receiptId });
    // The resend is now the newest delivered receipt: the next resend sends it again.
    expect(after.resend.receipt.pushId).toBe(res.data.push.id);
    // Even then, the first request's id still finds its own push.
    expect((await act("7010", { intent: "resend-receipt", confirm: true, requestId: "req-0001-abcdef" })).data).toMatchObject({
      created: false,
      push: { id: res.data.push.id },
    });
    expect(await pushCount()).toBe(count + 1);
  });

  it("resends the latest delivered shipping update", async () => {
    await h.webhook("orders/create", order(11));
    await h.webhook("fulfillments/create", fulfillment(11, 111, "in_transit"));
    await h.deliverDue();
    await h.webhook("fulfillments/update", fulfillment(11, 111, "out_for_delivery"));
    await h.deliverDue();
    const before = (await list("7011")).data;
    expect(before.resend.shippingUpdate.trackingStatus).toBe("out_for_delivery");

    const res = await act("7011", { intent: "resend-shipping-update", confirm: true });
    expect(res.data).toMatchObject({
      ok: true,
      created: true,
      push: { topic: "package/update", trackingStatus: "out_for_delivery", resendOf: before.resend.shippingUpdate.pushId },
    });
    await h.deliverDue();
    expect(h.sandbox.received.at(-1)).toMatchObject({ topic: "package/update" });
  });

  it("asks for confirmation, and refuses unknown intents and malformed bodies, changing nothing", async () => {
    await deliveredOrder(12);
    const before = await snapshot();
    const refusals: [unknown, number, string, string?][] = [
      [{ intent: "resend-receipt" }, 400, "confirm"],
      [{ intent: "resend-receipt", confirm: "yes" }, 400, "confirm"],
      [{ intent: "resend-everything", confirm: true }, 400, "unknown_intent"],
      [{ confirm: true }, 400, "unknown_intent"],
      [{ intent: "resend-receipt", confirm: true, requestId: "%_%" }, 400, "bad_request"],
      [{ intent: "retry" }, 400, "bad_request"],
      [{ intent: "retry", pushId: "1" }, 400, "bad_request"],
      [[1, 2], 400, "bad_request"],
      [null, 400, "bad_request", "{not json"],
      ...NOT_A_JSON_OBJECT.map(([, raw]): [unknown, number, string, string] => [null, 400, "bad_request", raw]),
      [{ intent: 7, confirm: true }, 400, "unknown_intent"],
      [{ intent: "constructor", confirm: true }, 400, "unknown_intent"],
      [{ intent: "resend-receipt", confirm: 1 }, 400, "confirm"],
      [{ intent: "resend-receipt", confirm: "yes", requestId: "%_%" }, 400, "confirm"],
      [{ intent: "resend-receipt", confirm: true, requestId: 12345678 }, 400, "bad_request"],
      [{ intent: "resend-receipt", confirm: true, requestId: "short" }, 400, "bad_request"],
      [{ intent: "retry", pushId: 0 }, 400, "bad_request"],
      [{ intent: "retry", pushId: -3 }, 400, "bad_request"],
      [{ intent: "retry", pushId: 1.5 }, 400, "bad_request"],
      [{ intent: "retry", pushId: 2 ** 53 }, 400, "bad_request"],
      [{ intent: "retry", pushId: null }, 400, "bad_request"],
    ];
    for (const [body, status, error, raw] of refusals) {
      const what = raw === undefined ? JSON.stringify(body) : raw;
      const res = await act("7012", body, raw === undefined ? {} : { rawBody: raw });
      expect(res.status, what).toBe(status);
      expect(res.data, what).toMatchObject({ ok: false, error, message: expect.any(String) });
      expect(res.headers.get("access-control-allow-origin")).toBe("*");
    }
    // What a wrong field is: named, beside the code the block acts on.
    expect((await act("7012", { intent: "retry", pushId: "1" })).data).toMatchObject({
      error: "bad_request",
      message: "pushId must be a push's id",
      fieldErrors: { pushId: "must be a push's id" },
    });
    expect((await act("7012", { intent: "resend-everything" })).data.message).toBe("intent must be one of resend-receipt, resend-shipping-update, retry");
    const put = await act("7012", { intent: "resend-receipt", confirm: true }, { method: "PUT" });
    expect(put.status).toBe(405);
    expect(put.data).toMatchObject({ ok: false, error: "bad_request" });
    expect(put.headers.get("access-control-allow-origin")).toBe("*");
    expect((await act("bad-id", { intent: "resend-receipt", confirm: true }, { params: { orderId: "bad-id" } })).data).toMatchObject({
      error: "invalid_order_id",
    });
    expect(await snapshot()).toEqual(before);
  });

  it("has nothing to resend for an order without a delivered receipt or shipping update, nor for another shop's order", async () => {
    h.sandbox.setKnownRecipients(["someone-else"]);
    await h.webhook("orders/create", order(13));
    await h.deliverDue();
    h.sandbox.setKnownRecipients(null);
    await h.webhook("orders/create", order(14), OTHER_SHOP);
    await h.deliverDue();
    const before = await snapshot();
    for (const [id, intent] of [
      ["7013", "resend-receipt"],
      ["7013", "resend-shipping-update"],
      ["7014", "resend-receipt"],
    ]) {
      const res = await act(id, { intent, confirm: true });
      expect(res.status, `${id} ${intent}`).toBe(409);
      expect(res.data).toMatchObject({ ok: false, error: "nothing_to_resend" });
    }
    expect(await snapshot()).toEqual(before);
  });

  it("does not resend a receipt whose buyer's data was erased", async () => {
    await deliveredOrder(15);
    await h.db.run("UPDATE push SET redacted_at = 1, params = NULL WHERE order_gid = ?", [orderGid(15)]);
    expect((await list("7015")).data.resend.receipt).toBeNull();
    expect((await act("7015", { intent: "resend-receipt", confirm: true })).data).toMatchObject({ error: "nothing_to_resend" });
  });

  it("retries a failed push of the order, and only of that order and shop", async () => {
    h.sandbox.setKnownRecipients(["someone-else"]);
    await h.webhook("orders/create", order(16));
    await h.webhook("orders/create", order(17));
    await h.deliverDue();
    h.sandbox.setKnownRecipients(null);
    const failed = (await list("7016")).data.pushes[0];
    expect(failed.status).toBe("failed");

    // Through another order's URL, the push is not found.
    const wrongOrder = await act("7017", { intent: "retry", pushId: failed.id });
    expect(wrongOrder.status).toBe(404);
    expect(wrongOrder.data).toMatchObject({ ok: false, error: "not_found" });

    const res = await act("7016", { intent: "retry", pushId: failed.id });
    expect(res.data).toMatchObject({ ok: true, intent: "retry", created: false, push: { id: failed.id, status: "queued" } });
    await h.deliverDue();
    expect((await list("7016")).data.pushes[0]).toMatchObject({ id: failed.id, status: "delivered" });
    // A delivered push is not retried.
    expect((await act("7016", { intent: "retry", pushId: failed.id })).data).toMatchObject({ ok: false, error: "not_failed" });
  });

  it("never acts on another shop's push, whatever id is sent", async () => {
    await h.webhook("orders/create", order(18), OTHER_SHOP);
    await h.deliverDue();
    h.sandbox.setKnownRecipients(["someone-else"]);
    await h.webhook("orders/create", order(19), OTHER_SHOP);
    await h.deliverDue();
    const theirs = await h.db.all<{ id: number; order_gid: string }>("SELECT id, order_gid FROM push WHERE shop = ?", [OTHER_SHOP]);
    const before = await snapshot();
    for (const push of theirs) {
      const orderId = push.order_gid.split("/").pop()!;
      expect((await act(orderId, { intent: "retry", pushId: push.id })).status).toBe(404);
      expect((await act(orderId, { intent: "resend-receipt", confirm: true })).status).toBe(409);
    }
    expect(await snapshot()).toEqual(before);
  });
});
