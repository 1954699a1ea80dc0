import { describe, expect, it } from "vitest";
import { buildOrder, ORDER_GID } from "../../test/fixtures/orders";
import type { ShopSettings } from "../settings/shop-settings";
import { extractOrderFacts } from "./order-facts";
import { planOrderPush } from "./plan";
import type { ReceiptParams } from "./types";

const NOW = Date.parse("2026-05-01T12:00:00Z");

function settings(overrides: Partial<ShopSettings> = {}): ShopSettings {
  return {
    shop: "plan-test.myshopify.com",
    pageId: "1234567890",
    secretSet: false,
    secretSetAt: null,
    receiptEnabled: true,
    unpaidEnabled: true,
    packageEnabled: true,
    unpaidDelayMinutes: 0,
    recipientPreference: "email",
    testOrdersEnabled: true,
    paused: false,
    packageStatuses: null,
    codOrders: "confirmation",
    codGatewayNames: [],
    termsReminderEnabled: true,
    optinEnabled: false,
    optinButtonEn: null,
    optinButtonZhCn: null,
    cancelNoticeEnabled: false,
    refundNoticeEnabled: false,
    createdAt: 0,
    updatedAt: 0,
    ...overrides,
  };
}

function plan(topic: "orders/create" | "orders/paid", overrides: Record<string, unknown>, shop: ShopSettings | null = settings()) {
  const order = buildOrder({ created_at: "2026-05-01T11:00:00Z", ...overrides });
  const draft = planOrderPush(topic, order, extractOrderFacts(order), shop, NOW);
  return (
    draft && {
      topic: draft.topic,
      key: draft.businessKey,
      dueAt: draft.dueAt,
      skip: draft.skipReason,
      paymentMethod: (draft.params as ReceiptParams).payment_method,
    }
  );
}

const COD = { financial_status: "pending", payment_gateway_names: ["Cash on Delivery (COD)"] };
const NACHNAHME = { financial_status: "pending", payment_gateway_names: ["Nachnahme"] };
const DUE = "2026-05-31T12:00:00Z";
const terms = (dueAt: string | null, extra: Record<string, unknown> = {}) => ({
  financial_status: "pending",
  payment_terms: {
    id: 306044618,
    payment_terms_name: dueAt ? "Net 30" : "Due on fulfillment",
    payment_terms_type: dueAt ? "net" : "fulfillment",
    due_in_days: dueAt ? 30 : null,
    payment_schedules: [{ amount: "199.00", currency: "USD", issued_at: "2026-05-01T11:00:00Z", due_at: dueAt, completed_at: null, ...extra }],
  },
});

describe("planOrderPush: cash on delivery (issue 17)", () => {
  it("an ordinary pending order still gets its unpaid reminder, a paid one its receipt", () => {
    expect(plan("orders/create", { financial_status: "pending" })).toMatchObject({ topic: "Order/Unpaid", key: `unpaid:${ORDER_GID}`, skip: null });
    expect(plan("orders/create", { financial_status: "paid" })).toMatchObject({ topic: "Order/Receipt", key: `receipt:${ORDER_GID}`, skip: null });
  });

  it("by default a pending COD order gets an order confirmation saying cash on delivery, never a reminder", () => {
    expect(plan("orders/create", COD)).toEqual({
      topic: "Order/Receipt",
      key: `receipt:${ORDER_GID}`,
      dueAt: NOW,
      skip: null,
      paymentMethod: "Cash on Delivery (COD)",
    });
    expect(plan("orders/create", NACHNAHME)).toMatchObject({ topic: "Order/Receipt", skip: null, paymentMethod: "Nachnahme" });
    // The confirmation names the COD method only, not a gift card paid beside it.
    expect(plan("orders/create", { ...COD, payment_gateway_names: ["gift_card", "cash_on_delivery"] })).toMatchObject({ paymentMethod: "Cash on Delivery" });
    expect(plan("orders/create", COD, null)).toMatchObject({ topic: "Order/Receipt", skip: "page_not_linked" });
  });

  it("orders/paid of a COD order plans the receipt under the same key: one receipt in all", () => {
    expect(plan("orders/paid", { ...COD, financial_status: "paid" })).toMatchObject({ topic: "Order/Receipt", key: `receipt:${ORDER_GID}`, skip: null });
  });

  it("the setting 'unpaid_reminder' keeps the reminder; 'nothing' skips both with its reason", () => {
    expect(plan("orders/create", COD, settings({ codOrders: "unpaid_reminder" }))).toMatchObject({ topic: "Order/Unpaid", skip: null });
    expect(plan("orders/paid", { ...COD, financial_status: "paid" }, settings({ codOrders: "unpaid_reminder" }))).toMatchObject({
      topic: "Order/Receipt",
      skip: null,
    });
    expect(plan("orders/create", COD, settings({ codOrders: "nothing" }))).toMatchObject({ skip: "cod_no_push" });
    expect(plan("orders/paid", { ...COD, financial_status: "paid" }, settings({ codOrders: "nothing" }))).toMatchObject({ skip: "cod_no_push" });
    // Reasons that stop any push come first.
    expect(plan("orders/create", { ...COD, cancelled_at: "2026-05-01T11:30:00Z" }, settings({ codOrders: "nothing" }))).toMatchObject({
      skip: "order_cancelled",
    });
    expect(plan("orders/create", COD, settings({ codOrders: "nothing", paused: true }))).toMatchObject({ skip: "pushes_paused" });
  });

  it("the confirmation follows the receipt switch", () => {
    expect(plan("orders/create", COD, settings({ receiptEnabled: false }))).toMatchObject({ topic: "Order/Receipt", skip: "push_type_off" });
  });

  it("recognises the merchant's own COD names", () => {
    const own = { financial_status: "pending", payment_gateway_names: ["Pay the driver"] };
    expect(plan("orders/create", own)).toMatchObject({ topic: "Order/Unpaid" });
    expect(plan("orders/create", own, settings({ codGatewayNames: ["pay the driver"] }))).toMatchObject({
      topic: "Order/Receipt",
      paymentMethod: "Pay the driver",
    });
  });
});

describe("planOrderPush: payment terms (issue 17)", () => {
  it("the reminder is due at the due date, not before, whatever the shop's delay", () => {
    expect(plan("orders/create", terms(DUE))).toMatchObject({ topic: "Order/Unpaid", dueAt: Date.parse(DUE), skip: null });
    expect(plan("orders/create", terms(DUE), settings({ unpaidDelayMinutes: 60 }))).toMatchObject({ dueAt: Date.parse(DUE) });
  });

  it("a due date already past: due now", () => {
    expect(plan("orders/create", terms("2026-04-01T00:00:00Z"))).toMatchObject({ topic: "Order/Unpaid", dueAt: NOW, skip: null });
  });

  it("terms without a due date (on fulfillment, on receipt) get no reminder", () => {
    expect(plan("orders/create", terms(null))).toMatchObject({ topic: "Order/Unpaid", skip: "no_due_date" });
    // A schedule already paid is not due.
    expect(plan("orders/create", terms(DUE, { completed_at: "2026-05-02T00:00:00Z" }))).toMatchObject({ skip: "no_due_date" });
  });

  it("the shop's switch turns the reminder at the due date off; the unpaid switch still comes first", () => {
    expect(plan("orders/create", terms(DUE), settings({ termsReminderEnabled: false }))).toMatchObject({ skip: "terms_reminder_off" });
    expect(plan("orders/create", terms(DUE), settings({ unpaidEnabled: false }))).toMatchObject({ skip: "push_type_off" });
  });

  it("the receipt when it is paid", () => {
    expect(plan("orders/paid", { ...terms(DUE), financial_status: "paid" })).toMatchObject({ topic: "Order/Receipt", skip: null });
  });

  it("payment_terms null (every web order) changes nothing", () => {
    expect(plan("orders/create", { financial_status: "pending", payment_terms: null })).toMatchObject({ topic: "Order/Unpaid", dueAt: NOW, skip: null });
  });
});
