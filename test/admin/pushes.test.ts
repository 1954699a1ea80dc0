// The delivery log (/app/pushes) and a push's page (/app/pushes/:id): newest first, paginated by keyset, filtered
// by status, topic and order name, one shop's pushes only; retry a failed push, resend a delivered one (asked for
// explicitly), retry every failed push matching the filter.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { buildOrderJson } from "../fixtures/orders";
import { NOT_A_JSON_OBJECT, OTHER_SHOP, startAdminRoutes, type AdminRoutes } from "../helpers/admin-routes";
import { dumpAll } from "../integration/support";

const PAGE_ID = "407898491811542";
const KNOWN_PSID = "6024912345678901";

let h: AdminRoutes;
beforeAll(async () => {
  h = await startAdminRoutes();
});
afterAll(async () => {
  await h?.close();
});

const reset = () => h.resetShops(PAGE_ID);

/** An order through the real intake: paid orders get a receipt, pending ones an unpaid reminder. */
function order(n: number, extra: Record<string, unknown> = {}) {
  return buildOrderJson({ id: 5000 + n, admin_graphql_api_id: `gid://shopify/Order/${5000 + n}`, name: `#${5000 + n}`, ...extra });
}

const log = (search: Record<string, string> = {}) => h.load(h.routes.pushes, "/app/pushes", { search });
const detail = (id: number) => h.load(h.routes.pushDetail, `/app/pushes/${id}`, { params: { id: String(id) } });
const act = (id: number, body: unknown) => h.act(h.routes.pushDetail, `/app/pushes/${id}`, body, { params: { id: String(id) } });
const pushRow = (id: number) => h.db.get<Record<string, unknown>>("SELECT * FROM push WHERE id = ?", [id]);

describe("delivery log", () => {
  beforeEach(reset);

  it("has an empty state for a shop with no pushes", async () => {
    const res = await log();
    expect(res.status).toBe(200);
    expect(res.data).toMatchObject({ page: { pushes: [], older: null, newer: null }, total: 0, failed: 0 });
  });

  it("lists one shop's pushes, newest first, 50 a page, with keyset pages both ways", async () => {
    for (let i = 1; i <= 120; i++) await h.webhook("orders/create", order(i));
    await h.webhook("orders/create", order(999), OTHER_SHOP);

    const first = await log();
    expect(first.data.total).toBe(120);
    expect(first.data.page.pushes).toHaveLength(50);
    expect(first.data.page.pushes[0].orderName).toBe("#5120");
    expect(first.data.page.pushes[49].orderName).toBe("#5071");
    expect(first.data.page.newer).toBeNull();
    // The other shop's order #5999 is not in this shop's log.
    expect(first.data.page.pushes.map((p: { orderName: string }) => p.orderName)).not.toContain("#5999");

    const second = await log({ before: first.data.page.older });
    expect(second.data.page.pushes.map((p: { orderName: string }) => p.orderName).slice(0, 2)).toEqual(["#5070", "#5069"]);
    const third = await log({ before: second.data.page.older });
    expect(third.data.page.pushes).toHaveLength(20);
    expect(third.data.page.pushes.at(-1).orderName).toBe("#5001");
    expect(third.data.page.older).toBeNull();

    const back = await log({ after: third.data.page.newer });
    expect(back.data.page.pushes.map((p: { id: number }) => p.id)).toEqual(second.data.page.pushes.map((p: { id: number }) => p.id));
    const backToFirst = await log({ after: back.data.page.newer });
    expect(backToFirst.data.page.pushes.map((p: { id: number }) => p.id)).toEqual(first.data.page.pushes.map((p: { id: number }) => p.id));
    expect(backToFirst.data.page.newer).toBeNull();
  });

  it("filters by status and topic, searches by order name (with or without #), and ignores unknown values", async () => {
    h.sandbox.setKnownRecipients([KNOWN_PSID]);
    await h.webhook("orders/create", order(1));
    await h.webhook("orders/create", order(2, { financial_status: "pending" }));
    await h.webhook("orders/create", order(3, { note_attributes: [], email: "unknown@example.com", customer: null, contact_email: null }));
    await h.deliverDue();

    const statuses = (res: Awaited<ReturnType<typeof log>>) =>
      res.data.page.pushes.map((p: { orderName: string; status: string }) => `${p.orderName} ${p.status}`);
    expect(statuses(await log({ status: "failed" }))).toEqual(["#5003 failed"]);
    expect(statuses(await log({ status: "delivered,failed" }))).toEqual(["#5003 failed", "#5002 delivered", "#5001 delivered"]);
    expect(statuses(await log({ topic: "Order/Unpaid" }))).toEqual(["#5002 delivered"]);
    expect(statuses(await log({ q: "5001" }))).toEqual(["#5001 delivered"]);
    expect(statuses(await log({ q: "#5001" }))).toEqual(["#5001 delivered"]);
    expect(statuses(await log({ q: "#9999" }))).toEqual([]);
    expect((await log({ status: "failed" })).data).toMatchObject({ total: 1, failed: 1 });
    expect((await log({ status: "delivered" })).data.failed).toBe(0);
    const ignored = await log({ status: "lost,failed", topic: "nope", before: "garbage" });
    expect(ignored.status).toBe(200);
    expect(ignored.data.filter).toEqual({ status: ["failed"], topic: [], q: "" });
    // Recipients are masked in the log.
    const all = await log();
    expect(all.text).not.toContain("unknown@example.com");
    expect(all.text).not.toContain(KNOWN_PSID);
  });

  it("retries every failed push matching the filter, when confirmed; the others stay as they are", async () => {
    h.sandbox.setKnownRecipients([]);
    await h.webhook("orders/create", order(1));
    await h.webhook("orders/create", order(2));
    await h.webhook("orders/create", order(3, { financial_status: "pending" }));
    await h.webhook("orders/create", order(4), OTHER_SHOP);
    await h.deliverDue();
    const failed = await h.db.all<{ id: number; topic: string; shop: string }>("SELECT id, topic, shop FROM push WHERE status = 'failed' ORDER BY id");
    expect(failed).toHaveLength(4);

    const before = await dumpAll(h.db);
    expect((await h.act(h.routes.pushes, "/app/pushes", { intent: "retryAll", topic: ["Order/Receipt"] })).status).toBe(400);
    expect((await h.act(h.routes.pushes, "/app/pushes", { intent: "retryAll", confirm: true }, { auth: "forged" })).status).toBe(401);
    expect(await dumpAll(h.db)).toEqual(before);

    const res = await h.act(h.routes.pushes, "/app/pushes", { intent: "retryAll", confirm: true, topic: ["Order/Receipt"], status: [], q: "" });
    expect(res.status, res.text).toBe(200);
    expect(res.data).toMatchObject({ ok: true, retried: 2, refused: 0, remaining: 0 });
    const after = await h.db.all<{ topic: string; shop: string; status: string }>("SELECT topic, shop, status FROM push ORDER BY id");
    expect(after).toEqual([
      { topic: "Order/Receipt", shop: h.shop, status: "queued" },
      { topic: "Order/Receipt", shop: h.shop, status: "queued" },
      { topic: "Order/Unpaid", shop: h.shop, status: "failed" },
      { topic: "Order/Receipt", shop: OTHER_SHOP, status: "failed" },
    ]);
    // A status filter that leaves failed pushes out retries none.
    const none = await h.act(h.routes.pushes, "/app/pushes", { intent: "retryAll", confirm: true, status: ["delivered"] });
    expect(none.data.retried).toBe(0);

    h.sandbox.setKnownRecipients(null);
    await h.deliverDue();
    expect((await h.db.all<{ status: string }>("SELECT status FROM push WHERE shop = ? AND topic = 'Order/Receipt'", [h.shop])).map((r) => r.status)).toEqual([
      "delivered",
      "delivered",
    ]);
  });
});

describe("retry all failed: refused bodies", () => {
  beforeEach(reset);

  const retryAll = (body: unknown, rawBody?: string) => h.act(h.routes.pushes, "/app/pushes", body, rawBody === undefined ? {} : { rawBody });

  async function withFailedPushes() {
    h.sandbox.setKnownRecipients([]);
    await h.webhook("orders/create", order(1));
    await h.webhook("orders/create", order(2, { financial_status: "pending" }));
    await h.deliverDue();
    h.sandbox.setKnownRecipients(null);
    return dumpAll(h.db);
  }

  it.each([
    ...NOT_A_JSON_OBJECT.map(([name, raw]): [string, unknown, string | undefined, string] => [name, null, raw, "bad_request"]),
    ["no intent", { confirm: true }, undefined, "unknown_intent"],
    ["an unknown intent", { intent: "deleteAll", confirm: true }, undefined, "unknown_intent"],
    ["no confirm", { intent: "retryAll" }, undefined, "confirm"],
    ["confirm as text", { intent: "retryAll", confirm: "true" }, undefined, "confirm"],
    ["confirm false", { intent: "retryAll", confirm: false }, undefined, "confirm"],
  ])("refuses %s with 400 and its code; nothing retried", async (_name, body, rawBody, error) => {
    const before = await withFailedPushes();
    const res = await retryAll(body, rawBody);
    expect(res.status).toBe(400);
    expect(res.data).toMatchObject({ ok: false, error });
    expect(await dumpAll(h.db)).toEqual(before);
  });

  it("drops filter values it does not know, as the log's URL does: a confirmed retry goes ahead with what is left", async () => {
    await withFailedPushes();
    const res = await retryAll({ intent: "retryAll", confirm: true, status: "failed", topic: 7, q: ["#5001"] });
    expect(res.status, res.text).toBe(200);
    expect(res.data).toMatchObject({ ok: true, retried: 2 });
    const statuses = await h.db.all<{ status: string }>("SELECT status FROM push WHERE shop = ? ORDER BY id", [h.shop]);
    expect(statuses.map((r) => r.status)).toEqual(["queued", "queued"]);
  });
});

describe("a push's page", () => {
  beforeEach(reset);

  it("shows the exact JSON sent and every attempt: time, HTTP status, JoinChat's answer, duration", async () => {
    h.sandbox.fail({ mode: "status", status: 503, count: 1 });
    await h.webhook("orders/create", order(1));
    await h.deliverDue();
    const [{ id }] = await h.db.all<{ id: number }>("SELECT id FROM push");
    await h.db.run("UPDATE push SET due_at = 0 WHERE id = ?", [id]);
    await h.deliverDue();

    const res = await detail(id);
    expect(res.status).toBe(200);
    const row = await pushRow(id);
    // The buyer's contact is masked in the JSON shown; the rest is the exact text sent.
    const recipient = JSON.parse(row!.body as string).recipient as Record<string, string>;
    const [kind, contact] = Object.entries(recipient)[0];
    expect(res.data.revealed).toBe(false);
    expect(res.data.body).not.toContain(contact);
    expect(JSON.parse(res.data.body).recipient[kind]).toMatch(/\*\*\*/);
    expect({ ...JSON.parse(res.data.body), recipient: null }).toEqual({ ...JSON.parse(row!.body as string), recipient: null });
    // Staff reveal it on purpose: then the exact JSON sent.
    const revealed = await h.load(h.routes.pushDetail, `/app/pushes/${id}?reveal=contact`, { params: { id: String(id) } });
    expect(revealed.data).toMatchObject({ revealed: true, body: row!.body });
    expect(res.data.push).toMatchObject({ id, status: "delivered", attempts: 2, topic: "Order/Receipt", orderName: "#5001" });
    expect(res.data.attempts).toMatchObject([
      { number: 1, outcome: "retry", httpStatus: 503 },
      { number: 2, outcome: "delivered", httpStatus: 200 },
    ]);
    // JoinChat's answer names the buyer's PSID (recipient_id): masked like the recipient, exact once revealed.
    const exact = JSON.stringify(h.sandbox.received[0].answer);
    const psid = (h.sandbox.received[0].answer as { recipient_id: string }).recipient_id;
    expect(revealed.data.attempts[1].answer).toBe(exact);
    expect(res.data.attempts[1].answer).toBe(exact.replace(psid, `****${psid.slice(-4)}`));
    expect(res.data.push.recipientId).toBe(`****${psid.slice(-4)}`);
    expect(revealed.data.push.recipientId).toBe(psid);
    expect(res.data.attempts[0]).toEqual(expect.objectContaining({ startedAt: expect.any(Number), durationMs: expect.any(Number) }));
    expect(res.data).toMatchObject({ canRetry: false, canResend: true, redacted: false });
  });

  it("says how each push's recipient was found: note attribute, email, phone, the buyer's Messenger binding", async () => {
    // Guests each: a binding of one customer's order reaches that customer's other orders (decision 023).
    await h.webhook("orders/create", order(1, { customer: null }));
    await h.webhook("orders/create", order(2, { note_attributes: [], customer: null }));
    await h.webhook(
      "orders/create",
      order(3, { note_attributes: [], email: null, contact_email: null, phone: "+16135550134", customer: null, shipping_address: null, billing_address: null }),
    );
    // The buyer of #5004 bound their Messenger from the Thank-you page: the receipt planned to the email goes to the PSID.
    await h.db.run("INSERT INTO messenger_binding (shop, order_gid, customer_gid, psid, bound_at) VALUES (?, ?, NULL, ?, ?)", [
      h.shop,
      "gid://shopify/Order/5004",
      KNOWN_PSID,
      Date.now(),
    ]);
    await h.webhook("orders/create", order(4, { note_attributes: [], customer: null }));
    await h.deliverDue();

    const { pushes } = (await log()).data.page as { pushes: { id: number; orderName: string; recipientSource: string | null }[] };
    expect(Object.fromEntries(pushes.map((p) => [p.orderName, p.recipientSource]))).toEqual({
      "#5001": "note_attribute",
      "#5002": "email",
      "#5003": "phone",
      "#5004": "binding",
    });
    const bound = await detail(pushes.find((p) => p.orderName === "#5004")!.id);
    expect(bound.data.push).toMatchObject({ recipientSource: "binding", recipientId: `****${KNOWN_PSID.slice(-4)}` });
    expect(bound.text).not.toContain(KNOWN_PSID);
  });

  it("says why a skipped push was not sent", async () => {
    await h.configure({ paused: true });
    await h.webhook("orders/create", order(1));
    const [{ id }] = await h.db.all<{ id: number }>("SELECT id FROM push");
    const res = await detail(id);
    expect(res.data.push).toMatchObject({ status: "skipped", reason: "pushes_paused" });
    expect(res.data.body).toBeNull();
    expect(res.data).toMatchObject({ canRetry: false, canResend: false });
  });

  it("answers 404 for another shop's push, an unknown id and a malformed one", async () => {
    await h.webhook("orders/create", order(1), OTHER_SHOP);
    const [{ id }] = await h.db.all<{ id: number }>("SELECT id FROM push");
    for (const res of [await detail(id), await detail(id + 1000), await h.load(h.routes.pushDetail, "/app/pushes/abc", { params: { id: "abc" } })]) {
      expect(res.status).toBe(404);
      expect(res.thrown).toBe(true);
    }
    const before = await dumpAll(h.db);
    expect((await act(id, { intent: "retry" })).status).toBe(404);
    expect(await dumpAll(h.db)).toEqual(before);
  });

  it("retries a failed push (queued again, then delivered); a push that did not fail is refused", async () => {
    h.sandbox.setKnownRecipients([]);
    await h.webhook("orders/create", order(1));
    await h.deliverDue();
    const [{ id }] = await h.db.all<{ id: number }>("SELECT id FROM push");
    expect((await detail(id)).data).toMatchObject({ canRetry: true, canResend: false });

    const res = await act(id, { intent: "retry" });
    expect(res.status, res.text).toBe(200);
    expect(res.data).toMatchObject({ ok: true, pushId: id });
    expect(await pushRow(id)).toMatchObject({ status: "queued" });
    h.sandbox.setKnownRecipients(null);
    await h.deliverDue();
    expect(await pushRow(id)).toMatchObject({ status: "delivered", attempts: 2 });

    const again = await act(id, { intent: "retry" });
    expect(again.status).toBe(409);
    expect(again.data.error).toBe("not_failed");
  });

  it("resends a delivered push as a new push only when confirmed; never a failed one", async () => {
    await h.webhook("orders/create", order(1));
    await h.deliverDue();
    const [{ id }] = await h.db.all<{ id: number }>("SELECT id FROM push");

    const before = await dumpAll(h.db);
    const unconfirmed = await act(id, { intent: "resend" });
    expect(unconfirmed.status).toBe(400);
    expect(unconfirmed.data.error).toBe("confirm");
    expect(await dumpAll(h.db)).toEqual(before);

    const res = await act(id, { intent: "resend", confirm: true });
    expect(res.status).toBe(200);
    const newId = res.data.pushId;
    expect(newId).not.toBe(id);
    const copy = await pushRow(newId);
    expect(copy).toMatchObject({ resend_of: id, status: "queued", topic: "Order/Receipt" });
    expect(copy!.idempotency_key).not.toBe((await pushRow(id))!.idempotency_key);
    await h.deliverDue();
    expect(h.sandbox.received.filter((r) => !r.replay)).toHaveLength(2);

    h.sandbox.setKnownRecipients([]);
    await h.webhook("orders/create", order(2));
    await h.deliverDue();
    const failed = await h.db.get<{ id: number }>("SELECT id FROM push WHERE status = 'failed'");
    const refused = await act(failed!.id, { intent: "resend", confirm: true });
    expect(refused.status).toBe(409);
    expect(refused.data.error).toBe("not_delivered");
  });

  it("refuses an unknown intent and a request without a valid session; nothing changes", async () => {
    h.sandbox.setKnownRecipients([]);
    await h.webhook("orders/create", order(1));
    await h.deliverDue();
    const [{ id }] = await h.db.all<{ id: number }>("SELECT id FROM push");
    const before = await dumpAll(h.db);
    expect((await act(id, { intent: "delete" })).status).toBe(400);
    expect((await h.act(h.routes.pushDetail, `/app/pushes/${id}`, { intent: "retry" }, { params: { id: String(id) }, auth: "forged" })).status).toBe(401);
    expect((await h.load(h.routes.pushDetail, `/app/pushes/${id}`, { params: { id: String(id) }, auth: "forged" })).status).toBe(401);
    expect(await dumpAll(h.db)).toEqual(before);
  });

  it.each([
    ...NOT_A_JSON_OBJECT.map(([name, raw]): [string, unknown, string | undefined, string] => [name, null, raw, "bad_request"]),
    ["no intent", { confirm: true }, undefined, "unknown_intent"],
    ["an unknown intent", { intent: "delete" }, undefined, "unknown_intent"],
    ["an intent that is not text", { intent: 1 }, undefined, "unknown_intent"],
    ["a resend without confirm", { intent: "resend" }, undefined, "confirm"],
    ["a resend with confirm as text", { intent: "resend", confirm: "yes" }, undefined, "confirm"],
  ])("refuses %s with 400 and its code; nothing changes", async (_name, body, rawBody, error) => {
    await h.webhook("orders/create", order(1));
    await h.deliverDue();
    const [{ id }] = await h.db.all<{ id: number }>("SELECT id FROM push");
    const before = await dumpAll(h.db);
    const res = await h.act(h.routes.pushDetail, `/app/pushes/${id}`, body, { params: { id: String(id) }, ...(rawBody === undefined ? {} : { rawBody }) });
    expect(res.status).toBe(400);
    expect(res.data).toMatchObject({ ok: false, error });
    expect(await dumpAll(h.db)).toEqual(before);
  });

  it("refuses to retry or resend a push whose buyer's data was erased (409 redacted); nothing changes", async () => {
    await h.webhook("orders/create", order(1));
    await h.deliverDue();
    h.sandbox.setKnownRecipients([]);
    await h.webhook("orders/create", order(2));
    await h.deliverDue();
    await h.db.run("UPDATE push SET redacted_at = 1, params = NULL");
    const [delivered, failed] = await h.db.all<{ id: number; status: string }>("SELECT id, status FROM push ORDER BY id");
    expect([delivered.status, failed.status]).toEqual(["delivered", "failed"]);
    const before = await dumpAll(h.db);
    const resend = await act(delivered.id, { intent: "resend", confirm: true });
    expect(resend.status).toBe(409);
    expect(resend.data).toMatchObject({ ok: false, error: "redacted" });
    const retry = await act(failed.id, { intent: "retry" });
    expect(retry.status).toBe(409);
    expect(retry.data).toMatchObject({ ok: false, error: "redacted" });
    expect(await dumpAll(h.db)).toEqual(before);
  });
});
