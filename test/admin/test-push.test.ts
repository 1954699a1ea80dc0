// "Send a test push": built from the shop's most recent order (without the buyer's personal data) or the
// built-in sample, signed with the shop's secret and sent now through deliverPush and the JoinChat client;
// JoinChat's answer comes back verbatim and the push is kept, flagged as a test, in the log.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { buildOrderJson } from "../fixtures/orders";
import { NOT_A_JSON_OBJECT, startAdminRoutes, type AdminRoutes } from "../helpers/admin-routes";
import { dumpAll } from "../integration/support";

const SECRET = "shop-joinchat-secret-77";
const PAGE_ID = "407898491811542";
const MY_PSID = "1234567890123456";

let h: AdminRoutes;
beforeAll(async () => {
  h = await startAdminRoutes();
});
afterAll(async () => {
  await h?.close();
});
beforeEach(async () => {
  for (const table of ["push_attempt", "push", "shopify_order", "webhook_delivery", "shop_settings"]) await h.db.run(`DELETE FROM ${table}`);
  h.sandbox.reset();
  h.sandbox.setSecret(h.shop, SECRET);
  await h.configure({ pageId: PAGE_ID, secret: SECRET });
});

const send = (body: Record<string, unknown>) => h.act(h.routes.testPush, "/app/test-push", body);
const pushes = () => h.db.all<Record<string, unknown>>("SELECT * FROM push WHERE shop = ? ORDER BY id", [h.shop]);

describe("test push", () => {
  it("without any order, is built from the built-in sample, sent now and answered verbatim", async () => {
    const page = await h.load(h.routes.testPush, "/app/test-push");
    expect(page.data).toMatchObject({ linked: true, paused: false, samples: { receipt: { source: "builtin" }, package: { source: "builtin" } } });

    const res = await send({ recipientKind: "id", recipientValue: ` ${MY_PSID} `, topic: "Order/Receipt" });
    expect(res.status, res.text).toBe(200);
    const { result } = res.data;
    expect(result).toMatchObject({ status: "delivered", httpStatus: 200, error: null, sample: { source: "builtin", orderName: "TEST-1001" } });
    // JoinChat's answer, byte for byte.
    const received = h.sandbox.received.filter((r) => r.shop === h.shop);
    expect(received).toHaveLength(1);
    expect(result.answer).toBe(JSON.stringify(received[0].answer));
    expect(received[0]).toMatchObject({ topic: "Order/Receipt", pageId: PAGE_ID, recipient: { id: MY_PSID } });
    expect(received[0].params.recipient_name).toBe("Test Buyer");

    const [push] = await pushes();
    expect(push).toMatchObject({ id: result.pushId, status: "delivered", test: 1, attempts: 1, recipient_kind: "id", recipient_value: MY_PSID });
    expect(push.kind).toBe("test");
    const attempts = await h.db.all<Record<string, unknown>>("SELECT * FROM push_attempt WHERE push_id = ?", [push.id]);
    expect(attempts).toMatchObject([{ number: 1, outcome: "delivered", http_status: 200, answer: result.answer }]);
    expect(res.text).not.toContain(SECRET);
  });

  it("is signed with the shop's own secret", async () => {
    const res = await send({ recipientKind: "email", recipientValue: "me@example.com", topic: "package/update" });
    expect(res.data.result.status).toBe("delivered");
    const [push] = await pushes();
    // The sandbox checks X-Joinchat-Signature with the shop's secret (not the app's): a wrong one is refused.
    expect(JSON.parse(String(push.body))).toMatchObject({ request: { page_id: PAGE_ID, topic: "package/update" }, recipient: { email: "me@example.com" } });
    expect(h.sandbox.rejected).toEqual([]);
  });

  it("is built from the shop's most recent order: its items and amounts, never the buyer's name, address or status page", async () => {
    await h.webhook("orders/create", buildOrderJson({ id: 4242, admin_graphql_api_id: "gid://shopify/Order/4242", name: "#4242" }));
    const [real] = await pushes();
    const realParams = JSON.parse(String(real.params));

    const page = await h.load(h.routes.testPush, "/app/test-push");
    expect(page.data.samples.receipt).toEqual({ source: "order", orderName: "#4242" });

    const res = await send({ recipientKind: "phone", recipientValue: "+1 (555) 010-2030", topic: "Order/Unpaid" });
    expect(res.data.result).toMatchObject({ status: "delivered", sample: { source: "order", orderName: "#4242" } });
    const received = h.sandbox.received.find((r) => r.recipient.phone);
    expect(received).toMatchObject({ topic: "Order/Unpaid", recipient: { phone: "+15550102030" } });
    expect(received!.params.elements.map((e: { title: string }) => e.title)).toEqual(realParams.elements.map((e: { title: string }) => e.title));
    expect(received!.params.summary).toEqual(realParams.summary);
    expect(received!.params.order_number).toBe("#4242");
    expect(received!.params.recipient_name).toBe("Test Buyer");
    expect(received!.params.address).toBeUndefined();
    expect(received!.params.order_url).toBeUndefined();
    expect(received!.params.payment_method).toBe("Awaiting payment");
    const testPush = (await pushes()).find((p) => p.kind === "test")!;
    expect(testPush).toMatchObject({ order_gid: null, customer_gid: null, order_name: "#4242", test: 1 });
  });

  it("shows JoinChat's refusal verbatim (10010), and the push is failed in the log", async () => {
    h.sandbox.setKnownRecipients(["someone-else@example.com"]);
    const res = await send({ recipientKind: "email", recipientValue: "me@example.com", topic: "Order/Receipt" });
    expect(res.status).toBe(200);
    expect(res.data.result).toMatchObject({ status: "failed", httpStatus: 200, error: "10010 Recipient not found" });
    expect(JSON.parse(res.data.result.answer)).toMatchObject({ success: false });
    expect(res.data.result.answer).toContain("10010");
    expect((await pushes())[0]).toMatchObject({ status: "failed", last_error: "10010 Recipient not found" });
  });

  it("is not retried on its own when JoinChat is down: failed at once, with the answer", async () => {
    h.sandbox.fail({ mode: "status", status: 503, count: 5 });
    const res = await send({ recipientKind: "id", recipientValue: MY_PSID, topic: "Order/Receipt" });
    expect(res.data.result).toMatchObject({ status: "failed", httpStatus: 503 });
    const [push] = await pushes();
    expect(push).toMatchObject({ status: "failed", attempts: 1, locked_until: null });
  });

  it.each([
    ["a PSID with letters", { recipientKind: "id", recipientValue: "12ab", topic: "Order/Receipt" }, "recipientValue"],
    ["an email without @", { recipientKind: "email", recipientValue: "me.example.com", topic: "Order/Receipt" }, "recipientValue"],
    ["a phone with too few digits", { recipientKind: "phone", recipientValue: "12 34", topic: "Order/Receipt" }, "recipientValue"],
    ["an empty recipient", { recipientKind: "id", recipientValue: "", topic: "Order/Receipt" }, "recipientValue"],
    ["an unknown kind of recipient", { recipientKind: "fax", recipientValue: "123", topic: "Order/Receipt" }, "recipientKind"],
    ["an unknown topic", { recipientKind: "id", recipientValue: MY_PSID, topic: "Order/Refund" }, "topic"],
    ["an unknown field", { recipientKind: "id", recipientValue: MY_PSID, topic: "Order/Receipt", pageId: "1" }, "pageId"],
    ["a recipient that is a number", { recipientKind: "id", recipientValue: Number(MY_PSID), topic: "Order/Receipt" }, "recipientValue"],
    ["a kind that is a list", { recipientKind: ["id"], recipientValue: MY_PSID, topic: "Order/Receipt" }, "recipientKind"],
    ["no topic", { recipientKind: "id", recipientValue: MY_PSID }, "topic"],
  ])("refuses %s inline; nothing stored, nothing sent", async (_name, body, field) => {
    const before = await dumpAll(h.db);
    const res = await send(body);
    expect(res.status).toBe(400);
    expect(res.data).toMatchObject({ ok: false, error: "invalid" });
    expect(Object.keys(res.data.fieldErrors)).toContain(field);
    expect(await dumpAll(h.db)).toEqual(before);
    expect(h.sandbox.received).toEqual([]);
  });

  it("is refused while the page is not linked, or while pushes are paused; nothing stored, nothing sent", async () => {
    await h.configure({ paused: true });
    const before = await dumpAll(h.db);
    const paused = await send({ recipientKind: "id", recipientValue: MY_PSID, topic: "Order/Receipt" });
    expect(paused.status).toBe(400);
    expect(paused.data.error).toBe("paused");
    await h.configure({ paused: false, pageId: null });
    const unlinked = await send({ recipientKind: "id", recipientValue: MY_PSID, topic: "Order/Receipt" });
    expect(unlinked.status).toBe(400);
    expect(unlinked.data.error).toBe("not_linked");
    expect(await pushes()).toEqual([]);
    expect(h.sandbox.received).toEqual([]);
    expect((await dumpAll(h.db)).push).toEqual(before.push);
  });

  it("refuses a request without a valid session; nothing sent", async () => {
    expect((await h.load(h.routes.testPush, "/app/test-push", { auth: "forged" })).status).toBe(401);
    const res = await h.act(h.routes.testPush, "/app/test-push", { recipientKind: "id", recipientValue: MY_PSID, topic: "Order/Receipt" }, { auth: "forged" });
    expect(res.status).toBe(401);
    expect(await pushes()).toEqual([]);
    expect(h.sandbox.received).toEqual([]);
  });

  it.each(NOT_A_JSON_OBJECT)("refuses %s with 400 bad_request; nothing stored, nothing sent", async (_name, rawBody) => {
    const before = await dumpAll(h.db);
    const res = await h.act(h.routes.testPush, "/app/test-push", null, { rawBody });
    expect(res.status).toBe(400);
    expect(res.data).toMatchObject({ ok: false, error: "bad_request" });
    expect(await dumpAll(h.db)).toEqual(before);
    expect(h.sandbox.received).toEqual([]);
  });
});
