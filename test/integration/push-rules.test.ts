// The push rules of issue 2 (points 3, 5, 8), held against the real intake service: validated webhook
// bodies go through createWebhookReceiver and a real group commit into a migrated SQLite database, and
// the tests read what landed in the push table (and every other table).
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { toRawJson } from "../fixtures/orders";
import { buildOrderJson, CUSTOMER_GID, CUSTOMER_ID, ORDER_GID, ORDER_ID, PSID } from "../fixtures/orders";
import { buildFulfillmentJson, FULFILLMENT_GID, FULFILLMENT_ID } from "../fixtures/fulfillments";
import type { PushRow } from "../../app/stores/push-store.server";
import type { WebhookTopic } from "../../app/webhooks/topics";
import { bigId, createHarness, dumpAll, insertSession, ORDER_CREATED_MS, OTHER_SHOP, PAGE_ID, rowCounts, rowsMentioning, SHOP, type Harness } from "./support";

let h: Harness;

beforeEach(() => {
  h = createHarness();
});
afterEach(async () => {
  await h.close();
});

const linked = () => h.configure({ pageId: PAGE_ID });

/** An order of its own: id past 2^53, distinct from every other order of the test. */
function orderIds(n: number) {
  const id = bigId(n);
  return { id, admin_graphql_api_id: `gid://shopify/Order/${id}`, name: `#${2000 + n}` };
}

function fulfillmentIds(n: number) {
  const id = FULFILLMENT_ID + BigInt(n) * 7n;
  return { id, admin_graphql_api_id: `gid://shopify/Fulfillment/${id}` };
}

const NO_CONTACT = { email: null, contact_email: null, phone: null, note_attributes: [], customer: null };

function only<T>(rows: T[]): T {
  expect(rows).toHaveLength(1);
  return rows[0];
}

async function expectAccepted(answer: Promise<{ status: number; body: string }>) {
  const a = await answer;
  expect(a.status, a.body).toBe(200);
  return a;
}

describe("orders/create", () => {
  it.each(["paid", "authorized", "partially_paid"])("with financial_status %s stores exactly one Order/Receipt", async (financial_status) => {
    await linked();
    await expectAccepted(h.send("orders/create", buildOrderJson({ financial_status })));
    const push = only(await h.pushes());
    expect(push).toMatchObject({
      topic: "Order/Receipt",
      status: "queued",
      reason: null,
      business_key: `receipt:${ORDER_GID}`,
      order_gid: ORDER_GID,
      order_name: "#1001",
      customer_gid: CUSTOMER_GID,
      recipient_kind: "id",
      recipient_value: PSID,
    });
    expect(Number(push.due_at)).toBe(h.clock.now);
    expect(JSON.parse(push.params!)).toMatchObject({ order_number: "#1001", currency: "EUR" });
    // The worker is told at once.
    expect(h.woken).toEqual([h.clock.now]);
  });

  it.each(["partially_refunded", "refunded", "voided", "expired"])("with financial_status %s stores no push", async (financial_status) => {
    await linked();
    await expectAccepted(h.send("orders/create", buildOrderJson({ financial_status })));
    expect(await h.pushes()).toHaveLength(0);
    expect(h.woken).toEqual([]);
  });

  it("with pending stores one Order/Unpaid due at created_at + the shop's delay", async () => {
    await h.configure({ pageId: PAGE_ID, unpaidDelayMinutes: 30 });
    h.clock.now = ORDER_CREATED_MS + 5 * 60_000;
    await expectAccepted(h.send("orders/create", buildOrderJson({ financial_status: "pending" })));
    const push = only(await h.pushes());
    expect(push).toMatchObject({ topic: "Order/Unpaid", status: "queued", business_key: `unpaid:${ORDER_GID}` });
    expect(Number(push.due_at)).toBe(ORDER_CREATED_MS + 30 * 60_000);
    expect(h.woken).toEqual([ORDER_CREATED_MS + 30 * 60_000]);
  });

  it("with pending is never due before now (a late webhook, the default delay of 0)", async () => {
    await h.configure({ pageId: PAGE_ID, unpaidDelayMinutes: 30 });
    h.clock.now = ORDER_CREATED_MS + 2 * 3_600_000;
    await h.send("orders/create", buildOrderJson({ financial_status: "pending" }));
    expect(Number(only(await h.pushes()).due_at)).toBe(h.clock.now);

    await h.configure({ pageId: PAGE_ID, unpaidDelayMinutes: 0 }, OTHER_SHOP);
    await h.send("orders/create", buildOrderJson({ financial_status: "pending" }), { shop: OTHER_SHOP });
    expect(Number(only(await h.pushes(OTHER_SHOP)).due_at)).toBe(h.clock.now);
  });
});

describe("orders/paid", () => {
  it("cancels a queued unpaid reminder and stores the receipt", async () => {
    await h.configure({ pageId: PAGE_ID, unpaidDelayMinutes: 60 });
    await h.send("orders/create", buildOrderJson({ financial_status: "pending" }));
    await expectAccepted(h.send("orders/paid", buildOrderJson({ financial_status: "paid" })));
    const [unpaid, receipt] = await h.pushes();
    expect(unpaid).toMatchObject({ topic: "Order/Unpaid", status: "cancelled" });
    expect(unpaid.reason).toMatch(/paid/);
    expect(receipt).toMatchObject({ topic: "Order/Receipt", status: "queued", business_key: `receipt:${ORDER_GID}` });
  });

  it("after a receipt from orders/create records a duplicate, never a second receipt", async () => {
    await linked();
    await h.send("orders/create", buildOrderJson({ financial_status: "paid" }));
    await h.send("orders/paid", buildOrderJson({ financial_status: "paid" }));
    const rows = await h.pushes();
    expect(rows.map((r) => [r.topic, r.status, r.reason])).toEqual([
      ["Order/Receipt", "queued", null],
      ["Order/Receipt", "skipped", "duplicate"],
    ]);
  });
});

describe("never two receipts, whatever the order and number of deliveries", () => {
  type Event = "createPaid" | "createPending" | "paid";
  const EVENTS: Event[] = ["createPaid", "createPending", "paid"];

  function sequences(maxLength: number): Event[][] {
    let level: Event[][] = [[]];
    const all: Event[][] = [];
    for (let n = 1; n <= maxLength; n++) {
      level = level.flatMap((seq) => EVENTS.map((e) => [...seq, e]));
      all.push(...level);
    }
    return all;
  }

  function bodyOf(event: Event, n: number): [WebhookTopic, string] {
    const ids = orderIds(n);
    if (event === "createPaid") return ["orders/create", buildOrderJson({ ...ids, financial_status: "paid" })];
    if (event === "createPending") return ["orders/create", buildOrderJson({ ...ids, financial_status: "pending" })];
    return ["orders/paid", buildOrderJson({ ...ids, financial_status: "paid" })];
  }

  async function checkScenario(seq: Event[], n: number, rows: PushRow[]) {
    const gid = orderIds(n).admin_graphql_api_id;
    const mine = rows.filter((r) => r.order_gid === gid);
    const label = `${seq.join(" → ")}: ${JSON.stringify(mine.map((r) => [r.topic, r.status, r.reason]))}`;
    const paidSeen = seq.some((e) => e !== "createPending");
    const receipts = mine.filter((r) => r.topic === "Order/Receipt" && r.status !== "skipped");
    expect(receipts.length, label).toBe(paidSeen ? 1 : 0);
    const liveUnpaid = mine.filter((r) => r.topic === "Order/Unpaid" && r.status !== "skipped" && r.status !== "cancelled");
    expect(liveUnpaid.length, label).toBe(!paidSeen && seq.includes("createPending") ? 1 : 0);
    // Everything not sent says why.
    for (const r of mine.filter((r) => r.status === "skipped" || r.status === "cancelled")) expect(r.reason, label).toBeTruthy();
  }

  it("every sequence of up to 4 deliveries of create(paid), create(pending) and orders/paid, in order", async () => {
    await linked();
    const all = sequences(4);
    for (const [n, seq] of all.entries()) {
      for (const event of seq) await expectAccepted(h.send(...bodyOf(event, n)));
    }
    const rows = await h.pushes();
    for (const [n, seq] of all.entries()) await checkScenario(seq, n, rows);
  });

  it("the same sequences delivered at once (one group commit batch) and then all delivered again", async () => {
    await linked();
    const all = sequences(3);
    const deliveries = all.flatMap((seq, n) => seq.map((event) => ({ body: bodyOf(event, n), webhookId: `wh-${n}-${Math.random()}` })));
    const first = await Promise.all(deliveries.map((d) => h.send(...d.body, { webhookId: d.webhookId })));
    expect(first.every((a) => a.status === 200 && a.json.duplicate === false)).toBe(true);
    const before = await dumpAll(h.db);
    // Shopify repeats deliveries: same webhook ids, nothing may change.
    const again = await Promise.all(deliveries.map((d) => h.send(...d.body, { webhookId: d.webhookId })));
    expect(again.every((a) => a.status === 200 && a.json.duplicate === true)).toBe(true);
    expect(await dumpAll(h.db)).toEqual(before);
    const rows = await h.pushes();
    for (const [n, seq] of all.entries()) await checkScenario(seq, n, rows);
  });
});

describe("a repeated webhook id", () => {
  it("changes nothing in any table and still answers 200", async () => {
    await linked();
    await h.send("orders/create", buildOrderJson({ financial_status: "pending" }), { webhookId: "wh-1" });
    await h.send("fulfillments/create", buildFulfillmentJson(), { webhookId: "wh-2" });
    const counts = await rowCounts(h.db);
    const before = await dumpAll(h.db);
    h.clock.now += 60_000;
    // Even with another body (Shopify never does that, but a forged repeat might).
    const a = await h.send("orders/paid", buildOrderJson({ financial_status: "paid" }), { webhookId: "wh-1" });
    const b = await h.send("fulfillments/update", buildFulfillmentJson({ shipment_status: "delivered", updated_at: "2026-04-16T08:00:00-04:00" }), {
      webhookId: "wh-2",
    });
    expect([a.status, a.json.duplicate, b.status, b.json.duplicate]).toEqual([200, true, 200, true]);
    expect(await rowCounts(h.db)).toEqual(counts);
    expect(await dumpAll(h.db)).toEqual(before);
  });

  it("is per shop: the same id from another shop is a delivery of its own", async () => {
    await linked();
    await h.configure({ pageId: PAGE_ID }, OTHER_SHOP);
    await h.send("orders/create", buildOrderJson(), { webhookId: "same" });
    const other = await h.send("orders/create", buildOrderJson(), { webhookId: "same", shop: OTHER_SHOP });
    expect(other.json.duplicate).toBe(false);
    expect(await h.pushes(OTHER_SHOP)).toHaveLength(1);
  });
});

describe("fulfillments", () => {
  const TABLE: [string, { status?: string | null; shipment_status?: string | null }, string][] = [
    ["fulfillment created", { status: "success", shipment_status: null }, "shipped"],
    ["confirmed", { shipment_status: "confirmed" }, "shipped"],
    ["label_printed", { shipment_status: "label_printed" }, "shipped"],
    ["label_purchased", { shipment_status: "label_purchased" }, "shipped"],
    ["carrier_picked_up", { shipment_status: "carrier_picked_up" }, "in_transit"],
    ["in_transit", { shipment_status: "in_transit" }, "in_transit"],
    ["out_for_delivery", { shipment_status: "out_for_delivery" }, "out_for_delivery"],
    ["attempted_delivery", { shipment_status: "attempted_delivery" }, "attempt_fail"],
    ["ready_for_pickup", { shipment_status: "ready_for_pickup" }, "available_for_pickup"],
    ["delivered", { shipment_status: "delivered" }, "delivered"],
    ["picked_up", { shipment_status: "picked_up" }, "delivered"],
    ["failure", { shipment_status: "failure" }, "exception"],
  ];

  it("map every Shopify status to JoinChat's tracking_status, one package/update each", async () => {
    await linked();
    await h.send("orders/create", buildOrderJson());
    for (const [i, [, fields]] of TABLE.entries()) {
      const topic = i === 0 ? "fulfillments/create" : "fulfillments/update";
      await expectAccepted(h.send(topic, buildFulfillmentJson({ ...fulfillmentIds(i), ...fields })));
    }
    const packages = (await h.pushes()).filter((p) => p.topic === "package/update");
    expect(packages).toHaveLength(TABLE.length);
    for (const [i, [label, , expected]] of TABLE.entries()) {
      const gid = fulfillmentIds(i).admin_graphql_api_id;
      const push = packages.find((p) => p.fulfillment_gid === gid)!;
      expect(push, label).toBeDefined();
      expect([push.status, push.tracking_status, push.business_key], label).toEqual(["queued", expected, `package:${gid}:${expected}`]);
      expect(JSON.parse(push.params!).tracking_status, label).toBe(expected);
    }
  });

  it("push each (fulfillment, status) at most once", async () => {
    await linked();
    await h.send("orders/create", buildOrderJson());
    await h.send("fulfillments/create", buildFulfillmentJson());
    // confirmed maps to shipped again, then in_transit twice.
    await h.send("fulfillments/update", buildFulfillmentJson({ shipment_status: "confirmed", updated_at: "2026-04-15T09:00:00-04:00" }));
    await h.send("fulfillments/update", buildFulfillmentJson({ shipment_status: "in_transit", updated_at: "2026-04-15T10:00:00-04:00" }));
    await h.send("fulfillments/update", buildFulfillmentJson({ shipment_status: "in_transit", updated_at: "2026-04-15T11:00:00-04:00" }));
    await h.send("fulfillments/update", buildFulfillmentJson({ shipment_status: "carrier_picked_up", updated_at: "2026-04-15T12:00:00-04:00" }));
    const packages = (await h.pushes()).filter((p) => p.topic === "package/update");
    expect(packages.map((p) => [p.tracking_status, p.status, p.reason])).toEqual([
      ["shipped", "queued", null],
      ["shipped", "skipped", "duplicate"],
      ["in_transit", "queued", null],
      ["in_transit", "skipped", "duplicate"],
      ["in_transit", "skipped", "duplicate"],
    ]);
  });

  it("never go backwards after delivered (nor after cancelled)", async () => {
    await linked();
    await h.send("orders/create", buildOrderJson());
    await h.send("fulfillments/update", buildFulfillmentJson({ shipment_status: "delivered", updated_at: "2026-04-16T08:00:00-04:00" }));
    // Later timestamps, earlier statuses: Shopify's retries and carriers' late events.
    await h.send("fulfillments/update", buildFulfillmentJson({ shipment_status: "in_transit", updated_at: "2026-04-16T09:00:00-04:00" }));
    await h.send("fulfillments/update", buildFulfillmentJson({ shipment_status: "out_for_delivery", updated_at: "2026-04-16T10:00:00-04:00" }));
    await h.send("fulfillments/create", buildFulfillmentJson({ updated_at: "2026-04-16T11:00:00-04:00" }));
    const other = fulfillmentIds(99);
    await h.send("fulfillments/update", buildFulfillmentJson({ ...other, status: "cancelled", updated_at: "2026-04-16T08:00:00-04:00" }));
    await h.send("fulfillments/update", buildFulfillmentJson({ ...other, shipment_status: "delivered", updated_at: "2026-04-16T09:00:00-04:00" }));

    const packages = (await h.pushes()).filter((p) => p.topic === "package/update");
    expect(packages.map((p) => [p.fulfillment_gid, p.tracking_status, p.status, p.reason])).toEqual([
      [FULFILLMENT_GID, "delivered", "queued", null],
      [FULFILLMENT_GID, "in_transit", "skipped", "status_backwards"],
      [FULFILLMENT_GID, "out_for_delivery", "skipped", "status_backwards"],
      [FULFILLMENT_GID, "shipped", "skipped", "status_backwards"],
      // Never told of, its cancellation is not news to the buyer; still the end of that parcel.
      [other.admin_graphql_api_id, "cancelled", "skipped", "buyer_not_told"],
      [other.admin_graphql_api_id, "delivered", "skipped", "status_backwards"],
    ]);
  });

  it("push a cancelled fulfillment only when its buyer was told of the parcel", async () => {
    await linked();
    await h.send("orders/create", buildOrderJson());
    await h.send("fulfillments/create", buildFulfillmentJson({ updated_at: "2026-04-16T08:00:00-04:00" }));
    await h.send("fulfillments/update", buildFulfillmentJson({ status: "cancelled", updated_at: "2026-04-16T09:00:00-04:00" }));
    const packages = (await h.pushes()).filter((p) => p.topic === "package/update");
    expect(packages.map((p) => [p.tracking_status, p.status, p.reason])).toEqual([
      ["shipped", "queued", null],
      ["cancelled", "queued", null],
    ]);
  });

  it("a parcel whose shipped update still waits for a retry when it is cancelled was never announced: neither is sent", async () => {
    await linked();
    await h.send("orders/create", buildOrderJson());
    await h.send("fulfillments/create", buildFulfillmentJson({ updated_at: "2026-04-16T08:00:00-04:00" }));
    // JoinChat refused the shipped update: it waits for its retry, minutes away.
    await h.db.run("UPDATE push SET status = 'retrying', attempts = 1, due_at = ? WHERE shop = ? AND topic = 'package/update'", [Date.now() + 600_000, SHOP]);
    await h.send("fulfillments/update", buildFulfillmentJson({ status: "cancelled", updated_at: "2026-04-16T09:00:00-04:00" }));
    // Shopify delivers the cancellation again, under another webhook id: still nothing to send.
    await h.send("fulfillments/update", buildFulfillmentJson({ status: "cancelled", updated_at: "2026-04-16T09:00:00-04:00" }));
    const packages = (await h.pushes()).filter((p) => p.topic === "package/update");
    expect(packages.map((p) => [p.tracking_status, p.status, p.reason])).toEqual([
      ["shipped", "cancelled", "buyer_not_told"],
      ["cancelled", "skipped", "buyer_not_told"],
      ["cancelled", "skipped", "duplicate"],
    ]);
  });

  it("allow moves between the last-mile statuses, then delivered", async () => {
    await linked();
    await h.send("orders/create", buildOrderJson());
    await h.send("fulfillments/update", buildFulfillmentJson({ shipment_status: "out_for_delivery", updated_at: "2026-04-16T08:00:00-04:00" }));
    await h.send("fulfillments/update", buildFulfillmentJson({ shipment_status: "attempted_delivery", updated_at: "2026-04-16T09:00:00-04:00" }));
    await h.send("fulfillments/update", buildFulfillmentJson({ shipment_status: "delivered", updated_at: "2026-04-17T09:00:00-04:00" }));
    const packages = (await h.pushes()).filter((p) => p.topic === "package/update");
    expect(packages.map((p) => [p.tracking_status, p.status])).toEqual([
      ["out_for_delivery", "queued"],
      ["attempt_fail", "queued"],
      ["delivered", "queued"],
    ]);
  });

  it("drop an update older than the newest one seen for the fulfillment (stale update)", async () => {
    await linked();
    await h.send("orders/create", buildOrderJson());
    await h.send("fulfillments/update", buildFulfillmentJson({ shipment_status: "in_transit", updated_at: "2026-04-16T12:00:00-04:00" }));
    // A status further on, but from before the newest update: the carrier's state at that time is not now.
    await h.send("fulfillments/update", buildFulfillmentJson({ shipment_status: "out_for_delivery", updated_at: "2026-04-16T11:59:59-04:00" }));
    const packages = (await h.pushes()).filter((p) => p.topic === "package/update");
    expect(packages.map((p) => [p.tracking_status, p.status, p.reason])).toEqual([
      ["in_transit", "queued", null],
      ["out_for_delivery", "skipped", "stale_update"],
    ]);
    // The stale update did not move the fulfillment's state: the real out_for_delivery still goes.
    await h.send("fulfillments/update", buildFulfillmentJson({ shipment_status: "out_for_delivery", updated_at: "2026-04-16T13:00:00-04:00" }));
    const last = (await h.pushes()).at(-1)!;
    expect([last.tracking_status, last.status, last.reason]).toEqual(["out_for_delivery", "queued", null]);
  });

  it("record an unknown shipment status as skipped, with the status in the reason", async () => {
    await linked();
    await h.send("orders/create", buildOrderJson());
    const a = await expectAccepted(h.send("fulfillments/update", buildFulfillmentJson({ shipment_status: "delayed" })));
    const push = only((await h.pushes()).filter((p) => p.topic === "package/update"));
    expect(push.status).toBe("skipped");
    // A code, and the status as Shopify sent it beside it.
    expect([push.reason, push.reason_detail]).toEqual(["unknown_shipment_status", "delayed"]);
    expect(push.tracking_status).toBeNull();
    expect(JSON.parse(a.body).pushes).toEqual([push.id]);
    // The same unknown status again is recorded again (each delivery says what happened to it).
    await expectAccepted(h.send("fulfillments/update", buildFulfillmentJson({ shipment_status: "delayed" })));
    // And it does not stop the known statuses that follow.
    await h.send("fulfillments/update", buildFulfillmentJson({ shipment_status: "in_transit", updated_at: "2026-04-16T13:00:00-04:00" }));
    const packages = (await h.pushes()).filter((p) => p.topic === "package/update");
    expect(packages.map((p) => p.status)).toEqual(["skipped", "skipped", "queued"]);
  });
});

describe("skip reasons", () => {
  it("cancelled orders are recorded as skipped 'cancelled', and so are their fulfillments", async () => {
    await linked();
    await h.send("orders/create", buildOrderJson({ cancelled_at: "2026-04-14T11:00:00-04:00", cancel_reason: "customer" }));
    await h.send("fulfillments/create", buildFulfillmentJson());
    const rows = await h.pushes();
    expect(rows.map((r) => [r.topic, r.status, r.reason])).toEqual([
      ["Order/Receipt", "skipped", "order_cancelled"],
      ["package/update", "skipped", "order_cancelled"],
    ]);
  });

  it("test orders are pushed by default and skipped 'test order' only when the shop turned them off", async () => {
    await linked();
    await h.send("orders/create", buildOrderJson({ ...orderIds(1), test: true }));
    await h.configure({ testOrdersEnabled: false });
    await h.send("orders/create", buildOrderJson({ ...orderIds(2), test: true }));
    await h.send("orders/create", buildOrderJson({ ...orderIds(3), test: false }));
    const rows = await h.pushes();
    expect(rows.map((r) => [r.order_name, r.status, r.reason, r.test])).toEqual([
      ["#2001", "queued", null, 1],
      ["#2002", "skipped", "test_order", 1],
      ["#2003", "queued", null, 0],
    ]);
  });

  it("'page not linked' without settings, and with settings but no page id", async () => {
    await h.send("orders/create", buildOrderJson({ ...orderIds(1) }));
    await h.configure({ receiptEnabled: true });
    await h.send("orders/create", buildOrderJson({ ...orderIds(2) }));
    await h.send("fulfillments/create", buildFulfillmentJson());
    const rows = await h.pushes();
    expect(rows.map((r) => [r.topic, r.status, r.reason])).toEqual([
      ["Order/Receipt", "skipped", "page_not_linked"],
      ["Order/Receipt", "skipped", "page_not_linked"],
      ["package/update", "skipped", "page_not_linked"],
    ]);
    expect(h.woken).toEqual([]);
  });

  it("'push type off' for each toggle, and only for its own type", async () => {
    await h.configure({ pageId: PAGE_ID, receiptEnabled: false });
    await h.send("orders/create", buildOrderJson({ ...orderIds(1), financial_status: "paid" }));
    await h.send("orders/create", buildOrderJson({ ...orderIds(2), financial_status: "pending" }));
    await h.send("fulfillments/create", buildFulfillmentJson({ ...fulfillmentIds(1) }));
    await h.configure({ receiptEnabled: true, unpaidEnabled: false });
    await h.send("orders/create", buildOrderJson({ ...orderIds(3), financial_status: "paid" }));
    await h.send("orders/create", buildOrderJson({ ...orderIds(4), financial_status: "pending" }));
    await h.configure({ unpaidEnabled: true, packageEnabled: false });
    await h.send("fulfillments/create", buildFulfillmentJson({ ...fulfillmentIds(2) }));
    await h.send("orders/create", buildOrderJson({ ...orderIds(5), financial_status: "pending" }));
    const rows = await h.pushes();
    expect(rows.map((r) => [r.topic, r.status, r.reason])).toEqual([
      ["Order/Receipt", "skipped", "push_type_off"],
      ["Order/Unpaid", "queued", null],
      ["package/update", "queued", null],
      ["Order/Receipt", "queued", null],
      ["Order/Unpaid", "skipped", "push_type_off"],
      ["package/update", "skipped", "push_type_off"],
      ["Order/Unpaid", "queued", null],
    ]);
  });

  it("'no recipient' when the order has no PSID, email or phone", async () => {
    await linked();
    await h.send("orders/create", buildOrderJson({ ...orderIds(1), ...NO_CONTACT }));
    // Placeholders are no contact either.
    await h.send("orders/create", buildOrderJson({ ...orderIds(2), ...NO_CONTACT, phone: "555-555-SHIP", email: "not an email" }));
    const rows = await h.pushes();
    expect(rows.map((r) => [r.status, r.reason, r.recipient_kind, r.recipient_value])).toEqual([
      ["skipped", "no_recipient", null, null],
      ["skipped", "no_recipient", null, null],
    ]);
  });
});

describe("recipient", () => {
  const EMAIL = "buyer@example.com";
  const PHONE = "+16135550123";
  const contacts = (psid: string | null, email: string | null, phone: string | null) => ({
    note_attributes: psid
      ? [
          { name: "gift_note", value: "hi" },
          { name: "joinchat_psid", value: psid },
        ]
      : [],
    email,
    contact_email: email,
    phone,
    customer: { id: CUSTOMER_ID, admin_graphql_api_id: CUSTOMER_GID, email, phone, first_name: "Jon", last_name: "Smith" },
  });

  it.each([
    ["email", PSID, EMAIL, PHONE, "id", PSID],
    ["phone", PSID, EMAIL, PHONE, "id", PSID],
    ["email", null, EMAIL, PHONE, "email", EMAIL],
    ["phone", null, EMAIL, PHONE, "phone", PHONE],
    ["email", null, null, PHONE, "phone", PHONE],
    ["phone", null, EMAIL, null, "email", EMAIL],
  ] as const)("preference %s, psid %s, email %s, phone %s -> %s", async (preference, psid, email, phone, kind, value) => {
    await h.configure({ pageId: PAGE_ID, recipientPreference: preference });
    await h.send("orders/create", buildOrderJson(contacts(psid, email, phone)));
    expect(only(await h.pushes())).toMatchObject({ recipient_kind: kind, recipient_value: value, recipient_provisional: 0 });
  });

  it("a fulfillment uses the recipient of the order seen earlier", async () => {
    await h.configure({ pageId: PAGE_ID, recipientPreference: "phone" });
    await h.send("orders/create", buildOrderJson({ ...contacts(null, EMAIL, PHONE) }));
    // The fulfillment names another email: the order's contact wins.
    await h.send("fulfillments/create", buildFulfillmentJson({ email: "someone-else@example.com" }));
    const pkg = (await h.pushes()).find((p) => p.topic === "package/update")!;
    expect(pkg).toMatchObject({ recipient_kind: "phone", recipient_value: PHONE, recipient_provisional: 0, order_name: "#1001", customer_gid: CUSTOMER_GID });

    await h.send("orders/create", buildOrderJson({ ...orderIds(1), ...contacts(PSID, EMAIL, PHONE) }));
    await h.send("fulfillments/create", buildFulfillmentJson({ ...fulfillmentIds(1), order_id: orderIds(1).id }));
    const second = (await h.pushes()).at(-1)!;
    expect(second).toMatchObject({ topic: "package/update", recipient_kind: "id", recipient_value: PSID, recipient_provisional: 0 });
  });

  it("before its order is known, a fulfillment uses its own email and is marked provisional", async () => {
    await linked();
    await h.send("fulfillments/create", buildFulfillmentJson({ email: "parcel@example.com" }));
    const pkg = only(await h.pushes());
    expect(pkg).toMatchObject({
      topic: "package/update",
      status: "queued",
      order_gid: ORDER_GID,
      order_name: null,
      recipient_kind: "email",
      recipient_value: "parcel@example.com",
      recipient_provisional: 1,
    });
  });

  it("a provisional fulfillment without any contact is still queued (the order may be found at delivery)", async () => {
    await linked();
    await h.send("fulfillments/create", buildFulfillmentJson({ email: null }));
    expect(only(await h.pushes())).toMatchObject({ status: "queued", recipient_kind: null, recipient_provisional: 1 });
  });
});

describe("ids past 2^53", () => {
  it("keys are the admin_graphql_api_id strings, exact to the last digit", async () => {
    await linked();
    await h.send("orders/create", buildOrderJson());
    await h.send("fulfillments/create", buildFulfillmentJson());
    const [receipt, pkg] = await h.pushes();
    expect(ORDER_ID > BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
    expect(receipt.order_gid).toBe(`gid://shopify/Order/${ORDER_ID}`);
    expect(receipt.customer_gid).toBe(`gid://shopify/Customer/${CUSTOMER_ID}`);
    expect(pkg.fulfillment_gid).toBe(`gid://shopify/Fulfillment/${FULFILLMENT_ID}`);
    // The fulfillment found its order through order_id, a bare JSON number past 2^53.
    expect(pkg.order_gid).toBe(ORDER_GID);
    expect(pkg.order_name).toBe("#1001");
    const order = await h.db.get<{ order_gid: string }>("SELECT order_gid FROM shopify_order WHERE shop = ?", [SHOP]);
    expect(order?.order_gid).toBe(ORDER_GID);
  });

  it("two orders whose ids differ only past 2^53 get a receipt each", async () => {
    await linked();
    const a = 9007199254740993n; // 2^53 + 1: JSON.parse would read 2^53
    const b = 9007199254740992n;
    await h.send("orders/create", buildOrderJson({ id: a, admin_graphql_api_id: `gid://shopify/Order/${a}`, name: "#A" }));
    await h.send("orders/create", buildOrderJson({ id: b, admin_graphql_api_id: `gid://shopify/Order/${b}`, name: "#B" }));
    const rows = await h.pushes();
    expect(rows.map((r) => [r.order_gid, r.status])).toEqual([
      [`gid://shopify/Order/${a}`, "queued"],
      [`gid://shopify/Order/${b}`, "queued"],
    ]);
  });
});

describe("app/uninstalled and app/scopes_update", () => {
  it("app/uninstalled deletes the shop's sessions and settings and cancels its queued pushes", async () => {
    await h.configure({ pageId: PAGE_ID, unpaidDelayMinutes: 60 });
    await h.configure({ pageId: PAGE_ID }, OTHER_SHOP);
    await insertSession(h.db, SHOP);
    await insertSession(h.db, SHOP, { online: true, email: "owner@example.com" });
    await insertSession(h.db, OTHER_SHOP);
    await h.send("orders/create", buildOrderJson({ ...orderIds(1), financial_status: "pending" }));
    await h.send("orders/create", buildOrderJson({ ...orderIds(2), financial_status: "paid" }));
    await h.send("orders/create", buildOrderJson({ ...orderIds(3), ...NO_CONTACT }));
    await h.db.run("UPDATE push SET status = 'retrying' WHERE order_name = '#2002'");
    await h.send("orders/create", buildOrderJson(), { shop: OTHER_SHOP });

    await expectAccepted(h.send("app/uninstalled", JSON.stringify({ id: 548380009, name: "Rules shop", domain: SHOP, myshopify_domain: SHOP })));

    expect(await h.db.all(`SELECT id FROM "Session" WHERE shop = ?`, [SHOP])).toEqual([]);
    expect(await h.db.get("SELECT shop FROM shop_settings WHERE shop = ?", [SHOP])).toBeUndefined();
    const rows = await h.pushes();
    expect(rows.map((r) => [r.order_name, r.status, r.reason])).toEqual([
      ["#2001", "cancelled", "app_uninstalled"],
      ["#2002", "cancelled", "app_uninstalled"],
      ["#2003", "skipped", "no_recipient"],
    ]);
    // The other shop is untouched.
    expect(await h.db.all(`SELECT id FROM "Session" WHERE shop = ?`, [OTHER_SHOP])).toHaveLength(1);
    expect((await h.pushes(OTHER_SHOP)).map((r) => r.status)).toEqual(["queued"]);
    expect(await h.db.get("SELECT shop FROM shop_settings WHERE shop = ?", [OTHER_SHOP])).toBeDefined();
    // Webhooks after the uninstall are recorded, never queued.
    await h.send("orders/create", buildOrderJson({ ...orderIds(4) }));
    expect((await h.pushes()).at(-1)).toMatchObject({ status: "skipped", reason: "page_not_linked" });
  });

  it("app/scopes_update stores the new scope on the shop's sessions", async () => {
    await insertSession(h.db, SHOP, { scope: "read_orders" });
    await insertSession(h.db, OTHER_SHOP, { scope: "read_orders" });
    await expectAccepted(
      h.send(
        "app/scopes_update",
        JSON.stringify({
          id: 1,
          shop_id: 548380009,
          current: ["read_orders", "read_fulfillments", "read_products"],
          previous: ["read_orders"],
          updated_at: "2026-04-14T10:15:30-04:00",
        }),
      ),
    );
    expect(await h.db.get(`SELECT scope FROM "Session" WHERE shop = ?`, [SHOP])).toEqual({ scope: "read_orders,read_fulfillments,read_products" });
    expect(await h.db.get(`SELECT scope FROM "Session" WHERE shop = ?`, [OTHER_SHOP])).toEqual({ scope: "read_orders" });
  });
});

describe("compliance topics", () => {
  const EMAIL = "privacy.buyer@example.com";
  const PHONE = "+16135550177";
  const CUSTOMER = 7233918277000123456n;
  const customer = {
    id: CUSTOMER,
    admin_graphql_api_id: `gid://shopify/Customer/${CUSTOMER}`,
    email: EMAIL,
    phone: PHONE,
    first_name: "Pri",
    last_name: "Vacy",
  };

  /** An order, its fulfillment (delivered to JoinChat) and a provisional fulfillment push by email only. */
  async function customerActivity(shop = SHOP) {
    await h.configure({ pageId: PAGE_ID }, shop);
    const ids = orderIds(1);
    await h.send(
      "orders/create",
      buildOrderJson({ ...ids, email: EMAIL, contact_email: EMAIL, phone: PHONE, customer, note_attributes: [{ name: "joinchat_psid", value: PSID }] }),
      { shop },
    );
    await h.send("fulfillments/create", buildFulfillmentJson({ order_id: ids.id, email: EMAIL }), { shop });
    // A fulfillment of an order the app never saw, addressed by the fulfillment's email.
    await h.send("fulfillments/create", buildFulfillmentJson({ ...fulfillmentIds(5), order_id: bigId(77), email: EMAIL }), { shop });
    // What a delivery leaves behind: the body, JoinChat's answer and the recipient id.
    for (const push of await h.pushes(shop)) {
      const body = JSON.stringify({ request: { page_id: PAGE_ID, topic: push.topic }, recipient: { id: PSID }, params: JSON.parse(push.params!) });
      await h.db.run("UPDATE push SET status = 'delivered', body = ?, recipient_id = ?, attempts = 1 WHERE id = ?", [body, PSID, push.id]);
      await h.db.run(
        "INSERT INTO push_attempt (push_id, number, started_at, duration_ms, http_status, outcome, answer) VALUES (?, 1, ?, 12, 200, 'delivered', ?)",
        [push.id, h.clock.now, JSON.stringify({ success: true, recipient_id: PSID, email: EMAIL })],
      );
    }
    return ids;
  }

  it("customers/data_request records what is held, with counts", async () => {
    const ids = await customerActivity();
    const a = await expectAccepted(
      h.send(
        "customers/data_request",
        toRawJson({
          shop_id: 548380009,
          shop_domain: SHOP,
          customer: { id: CUSTOMER, email: EMAIL, phone: PHONE },
          orders_requested: [ids.id],
          data_request: { id: 9999 },
        }),
      ),
    );
    expect(JSON.parse(a.body).ok).toBe(true);
    const row = await h.db.get<{ shop: string; customer_gid: string; data_request_id: string; summary: string }>("SELECT * FROM data_request");
    expect(row).toMatchObject({ shop: SHOP, customer_gid: `gid://shopify/Customer/${CUSTOMER}`, data_request_id: "9999" });
    const summary = JSON.parse(row!.summary);
    expect(summary.orders).toBe(1);
    expect(summary.pushes).toBe(3);
    expect(summary.orderGids).toEqual([ids.admin_graphql_api_id]);
    const outcome = await h.db.get<{ outcome: string }>("SELECT outcome FROM webhook_delivery WHERE topic = 'customers/data_request'");
    expect(outcome?.outcome).toBe("data request recorded: 3 pushes, 1 orders held");
  });

  it("customers/redact leaves no trace of the customer's email, phone, PSID or id in any table", async () => {
    const ids = await customerActivity();
    await h.send(
      "customers/data_request",
      toRawJson({
        shop_id: 548380009,
        shop_domain: SHOP,
        customer: { id: CUSTOMER, email: EMAIL, phone: PHONE },
        orders_requested: [ids.id],
        data_request: { id: 1 },
      }),
    );
    // Another customer of the same shop keeps everything.
    const OTHER_PSID = "6024900000000002";
    await h.send("orders/create", buildOrderJson({ ...orderIds(2), note_attributes: [{ name: "joinchat_psid", value: OTHER_PSID }] }));
    // The Admin API layer's cached PSIDs: the customer's goes, another customer's stays.
    for (const [customerGid, psid] of [
      [`gid://shopify/Customer/${CUSTOMER}`, PSID],
      ["gid://shopify/Customer/4242", OTHER_PSID],
    ]) {
      await h.db.run("INSERT INTO customer_psid (shop, customer_gid, psid, fetched_at) VALUES (?, ?, ?, ?)", [SHOP, customerGid, psid, h.clock.now]);
    }

    await expectAccepted(
      h.send(
        "customers/redact",
        toRawJson({ shop_id: 548380009, shop_domain: SHOP, customer: { id: CUSTOMER, email: EMAIL, phone: PHONE }, orders_to_redact: [ids.id] }),
      ),
    );

    for (const needle of [EMAIL, PHONE, PHONE.slice(2), String(CUSTOMER), PSID]) {
      expect(await rowsMentioning(h.db, needle), `${needle} still held`).toEqual([]);
    }
    // The merchant's counts stay: the pushes are there, without their contents.
    const mine = (await h.pushes()).filter((p) => p.order_name !== "#2002");
    expect(mine).toHaveLength(3);
    for (const p of mine) expect([p.params, p.body, p.recipient_value, p.recipient_id, p.redacted_at === null]).toEqual([null, null, null, null, false]);
    const other = (await h.pushes()).find((p) => p.order_name === "#2002")!;
    expect(other).toMatchObject({ status: "queued", recipient_value: OTHER_PSID });
    expect(await h.db.all("SELECT customer_gid, psid FROM customer_psid")).toEqual([{ customer_gid: "gid://shopify/Customer/4242", psid: OTHER_PSID }]);
  });

  it("customers/redact cancels the customer's pushes that have not gone out", async () => {
    await h.configure({ pageId: PAGE_ID, unpaidDelayMinutes: 60 });
    await h.send("orders/create", buildOrderJson({ financial_status: "pending", email: EMAIL, contact_email: EMAIL, customer, note_attributes: [] }));
    await h.send(
      "customers/redact",
      toRawJson({ shop_id: 548380009, shop_domain: SHOP, customer: { id: CUSTOMER, email: EMAIL, phone: PHONE }, orders_to_redact: [] }),
    );
    expect(only(await h.pushes())).toMatchObject({ status: "cancelled", reason: "customer_data_erased", recipient_value: null });
    expect(await rowsMentioning(h.db, EMAIL)).toEqual([]);
  });

  it("shop/redact deletes every row that mentions the shop, in every table, and nothing of other shops", async () => {
    await customerActivity();
    await customerActivity(OTHER_SHOP);
    for (const shop of [SHOP, OTHER_SHOP]) {
      await insertSession(h.db, shop);
      await h.db.run("INSERT INTO product_image (shop, product_gid, url, fetched_at) VALUES (?, ?, ?, ?)", [
        shop,
        "gid://shopify/Product/1",
        "https://cdn.example.com/1.png",
        h.clock.now,
      ]);
      // The Admin API layer's cached PSID and the shop's refresh lease and reconnect mark.
      await h.db.run("INSERT INTO customer_psid (shop, customer_gid, psid, fetched_at) VALUES (?, ?, ?, ?)", [
        shop,
        "gid://shopify/Customer/77",
        PSID,
        h.clock.now,
      ]);
      await h.db.run("INSERT INTO shopify_access (shop, reconnect_reason, reconnect_since, refused_token_hash, updated_at) VALUES (?, ?, ?, ?, ?)", [
        shop,
        "refresh refused: invalid_grant",
        h.clock.now,
        "0".repeat(64),
        h.clock.now,
      ]);
      await h.send("customers/data_request", toRawJson({ shop_id: 1, shop_domain: shop, customer: { id: CUSTOMER, email: EMAIL }, orders_requested: [] }), {
        shop,
      });
    }
    const otherBefore = await rowsMentioning(h.db, OTHER_SHOP);
    const otherAttempts = await h.db.all("SELECT * FROM push_attempt WHERE push_id IN (SELECT id FROM push WHERE shop = ?)", [OTHER_SHOP]);
    expect(otherAttempts.length).toBeGreaterThan(0);
    const counts = await rowCounts(h.db);
    for (const table of [
      "push",
      "push_attempt",
      "shopify_order",
      "fulfillment_state",
      "webhook_delivery",
      "product_image",
      "customer_psid",
      "shopify_access",
      "data_request",
      "shop_settings",
      "Session",
    ]) {
      expect(counts[table], table).toBeGreaterThan(0);
    }

    await expectAccepted(h.send("shop/redact", JSON.stringify({ shop_id: 548380009, shop_domain: SHOP })));

    expect(await rowsMentioning(h.db, SHOP)).toEqual([]);
    // Attempts carry no shop column: none may be left without its push.
    expect(await h.db.all("SELECT * FROM push_attempt WHERE push_id NOT IN (SELECT id FROM push)")).toEqual([]);
    expect(await rowsMentioning(h.db, OTHER_SHOP)).toEqual(otherBefore);
    expect(await h.db.all("SELECT * FROM push_attempt")).toEqual(otherAttempts);
  });
});
