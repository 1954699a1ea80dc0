// Erasure without races (issue 13 point 4), through the production server on both backends: customers/redact that
// arrives while a push of the buyer is with JoinChat leaves nothing of the buyer's written back afterwards (body,
// recipient, JoinChat's answer, error texts); the buyer is found by email whatever its case and by phone in the
// normalised form the app stores.
import { randomBytes, randomInt } from "node:crypto";
import { expect, it } from "vitest";
import { buildOrderJson } from "../fixtures/orders";
import { type AppProcess, attemptsOf, pushesOf, sendAccepted, uniqueShop, waitFor, waitForSettled } from "../helpers/app-process";
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

  function buyer() {
    const tag = randomBytes(4).toString("hex");
    return { email: `Race-${tag}@Buyer.Example.com`, phone: `+1 (555) 01${randomInt(10, 99)}-${randomInt(1000, 9999)}`, tag };
  }

  function orderOf(n: number, contact: { email: string; phone: string }, extra: Record<string, unknown> = {}) {
    const id = 720982911946154508n + BigInt(n);
    return buildOrderJson({
      id,
      admin_graphql_api_id: `gid://shopify/Order/${id}`,
      name: `#${5000 + n}`,
      financial_status: "paid",
      email: contact.email,
      contact_email: contact.email,
      phone: contact.phone,
      customer: null,
      note_attributes: [],
      ...extra,
    });
  }

  /** customers/redact naming the buyer by contact only (no customer id, no order): lower case email, E.164 phone. */
  function redactOf(shop: string, contact: { email: string; phone: string }) {
    const e164 = `+${contact.phone.replace(/\D/g, "")}`;
    return JSON.stringify({ shop_id: 1, shop_domain: shop, customer: { email: contact.email.toLowerCase(), phone: e164 }, orders_to_redact: [] });
  }

  /** Every value of the shop's pushes, their attempts and orders that holds the text (case-insensitive). */
  async function tracesOf(shop: string, needle: string): Promise<string[]> {
    const rows = [
      ...(await app.db.all<Record<string, unknown>>("SELECT * FROM push WHERE shop = ?", [shop])),
      ...(await app.db.all<Record<string, unknown>>("SELECT a.* FROM push_attempt a JOIN push p ON p.id = a.push_id WHERE p.shop = ?", [shop])),
      ...(await app.db.all<Record<string, unknown>>("SELECT * FROM shopify_order WHERE shop = ?", [shop])),
    ];
    return rows.flatMap((row) =>
      Object.entries(row)
        .filter(([, v]) => v !== null && String(v).toLowerCase().includes(needle.toLowerCase()))
        .map(([k]) => k),
    );
  }

  it("redacted while JoinChat holds the push: delivered, but no body, recipient or JoinChat answer written back", { timeout: 40_000 }, async () => {
    const shop = uniqueShop("redact-in-flight");
    await app.configureShop(shop);
    const contact = buyer();
    const release = stack.recorder.gateAnswers();
    try {
      await send("orders/create", shop, orderOf(1, contact));
      await waitFor(() => stack.recorder.requests.some((r) => r.shop === shop && r.status !== null), 15_000, "JoinChat to have the push");
      await send("customers/redact", shop, redactOf(shop, contact));
    } finally {
      release();
    }
    const [push] = await waitForSettled(app, shop);
    expect(push).toMatchObject({ status: "delivered", body: null, recipient_id: null, last_error: null });
    expect(await app.db.get("SELECT recipient_value, params, redacted_at FROM push WHERE id = ?", [push.id])).toMatchObject({
      recipient_value: null,
      params: null,
      redacted_at: expect.anything(),
    });
    const [attempt] = await attemptsOf(app, push.id);
    expect(attempt).toMatchObject({ outcome: "delivered", answer: null, error: null });
    expect(await tracesOf(shop, contact.email)).toEqual([]);
    expect(await tracesOf(shop, contact.tag)).toEqual([]);
    expect(receivedBy(stack.sandbox, shop)).toHaveLength(1);
  });

  it("redacted while an attempt fails: cancelled, never tried again, JoinChat's error text not kept", { timeout: 40_000 }, async () => {
    const shop = uniqueShop("redact-retry");
    await app.configureShop(shop);
    const contact = buyer();
    stack.sandbox.fail({ mode: "status", status: 503 });
    const release = stack.recorder.gateAnswers();
    try {
      await send("orders/create", shop, orderOf(2, contact));
      await waitFor(() => stack.recorder.requests.some((r) => r.shop === shop && r.status === 503), 15_000, "JoinChat to answer 503");
      await send("customers/redact", shop, redactOf(shop, contact));
    } finally {
      release();
    }
    const [push] = await waitForSettled(app, shop);
    expect(push).toMatchObject({ status: "cancelled", reason: "customer_data_erased", body: null, last_error: null, attempts: 1 });
    expect(await attemptsOf(app, push.id)).toEqual([expect.objectContaining({ http_status: 503, answer: null, error: null })]);
    expect(await tracesOf(shop, contact.email)).toEqual([]);
  });

  it("finds the buyer by email in any case and by phone as normalised; erases error texts of finished pushes", { timeout: 40_000 }, async () => {
    const shop = uniqueShop("redact-match");
    await app.configureShop(shop, ["--recipient-preference", "phone"]);
    const contact = buyer();
    // JoinChat does not know the buyer: the push fails with its answer kept as the error text.
    stack.sandbox.setKnownRecipients([]);
    await send("orders/create", shop, orderOf(3, { ...contact, email: contact.email.toUpperCase() }, { email: null, contact_email: null }));
    await send("orders/create", shop, orderOf(4, { ...contact, phone: "" }, { phone: null }));
    const pushes = await waitForSettled(app, shop);
    expect(pushes.map((p) => p.status)).toEqual(["failed", "failed"]);
    expect(pushes.every((p) => p.last_error !== null)).toBe(true);
    expect((await tracesOf(shop, contact.tag)).length).toBeGreaterThan(0);

    await send("customers/redact", shop, redactOf(shop, contact));
    expect(await tracesOf(shop, contact.tag)).toEqual([]);
    for (const push of await pushesOf(app, shop)) {
      expect(push).toMatchObject({ status: "failed", body: null, last_error: null });
      for (const attempt of await attemptsOf(app, push.id)) expect(attempt).toMatchObject({ answer: null, error: null });
    }
    expect(await app.db.all("SELECT order_gid FROM shopify_order WHERE shop = ?", [shop])).toEqual([]);
  });
});
