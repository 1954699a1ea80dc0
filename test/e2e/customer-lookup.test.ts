// JoinChat's customer-query webhook (issue 15, decision 019) through the production server, on each backend, with
// requests signed as JoinChat signs them (test/helpers/joinchat-caller.ts, node:crypto, not the app's code): the
// shop's own lookup URL, the signature check (401, nothing read), unknown keys (404), failures in JoinChat's shape,
// 413, the `test` handshake, a new key; orders by lookup token, confirmation number and (when allowed) name, with
// private answers, identical bytes for unknown accounts, rate limits, the page limit; and erasure.
import { expect, it } from "vitest";
import { getLookupOverview } from "../../app/lookup/overview.server";
import { buildOrderJson } from "../fixtures/orders";
import { buildFulfillmentJson } from "../fixtures/fulfillments";
import { TEST_JOINCHAT_API_SECRET, uniqueShop, waitFor, waitForRows, waitForSettled, type AppProcess } from "../helpers/app-process";
import { describeOnBackends, useE2eStack } from "../helpers/e2e-stack";
import { callCustomerQuery, EXAMPLE_CUSTOMER_QUERIES, type CallOptions, type CustomerQuery } from "../helpers/joinchat-caller";

let app: AppProcess;
const SIGNED: CallOptions = { secret: TEST_JOINCHAT_API_SECRET };
const PER_IDENTIFIER = 6;
const PER_SHOP = 40;

let orderSeq = 0;
function nextOrderId(): bigint {
  orderSeq += 1;
  return 820000000000000000n + BigInt(Date.now() % 1_000_000) * 1000n + BigInt(orderSeq);
}

describeOnBackends((backend) => {
  useE2eStack(
    (started) => {
      app = started.app;
    },
    { LOOKUP_RATE_PER_IDENTIFIER_PER_HOUR: String(PER_IDENTIFIER), LOOKUP_RATE_PER_SHOP_PER_MINUTE: String(PER_SHOP) },
    backend,
  );

  /** A configured shop and its lookup URL, as `shop show --json` tells it, on this server. */
  async function setUpShop(label: string): Promise<{ shop: string; url: string; publicUrl: string }> {
    const shop = uniqueShop(label);
    await app.configureShop(shop);
    const shown = await app.cli(["shop", "show", "--shop", shop, "--json"]);
    expect(shown.code, shown.output).toBe(0);
    const publicUrl = JSON.parse(shown.output).lookupUrl as string;
    expect(publicUrl).toMatch(/^https:\/\/joinchat-push\.e2e\.example\.com\/joinchat\/lookup\/[A-Za-z0-9_-]{43}$/);
    return { shop, url: `${app.url}${new URL(publicUrl).pathname}`, publicUrl };
  }

  async function placeOrder(shop: string, overrides: Record<string, unknown> = {}): Promise<{ id: bigint; gid: string }> {
    const id = nextOrderId();
    const gid = `gid://shopify/Order/${id}`;
    const res = await app.sendWebhook("orders/create", shop, buildOrderJson({ id, admin_graphql_api_id: gid, ...overrides }));
    expect(res.status, res.text).toBe(200);
    return { id, gid };
  }

  // A lookup's log row is committed just after its answer is sent (decision 025): tests wait for the rows they expect.
  const lookupLogRows = async (shop: string) =>
    app.db.all<{ method: string; outcome: string; identifier_hash: string | null }>(
      "SELECT method, outcome, identifier_hash FROM lookup_log WHERE shop = ? ORDER BY id",
      [shop],
    );

  it("answers the test handshake on the shop's own URL, and refuses what is not JoinChat's before reading it", async () => {
    const { shop, url } = await setUpShop("lookup-endpoint");
    const ok = await callCustomerQuery(url, EXAMPLE_CUSTOMER_QUERIES.test, SIGNED);
    expect(ok.status, ok.text).toBe(200);
    expect(ok.json).toEqual({ success: true, token: "T45RE", data: { token: "T45RE" } });
    // Any case of the header name works.
    expect((await callCustomerQuery(url, EXAMPLE_CUSTOMER_QUERIES.test, { ...SIGNED, headerName: "x-joinchat-signature" })).status).toBe(200);
    const setup = await app.db.get<{ last_test_at: number | null }>("SELECT last_test_at FROM lookup_setup WHERE shop = ?", [shop]);
    expect(Number(setup?.last_test_at)).toBeGreaterThan(Date.now() - 60_000);

    const logged = (await waitForRows(() => lookupLogRows(shop), 2)).length;
    expect(logged).toBe(2);
    for (const signature of ["wrong", "missing", "legacy-hex"] as const) {
      const refused = await callCustomerQuery(url, EXAMPLE_CUSTOMER_QUERIES.ordersByNumber, { ...SIGNED, signature });
      expect(refused.status, signature).toBe(401);
      expect(refused.json).toMatchObject({ success: false, errors: expect.any(String) });
    }
    // A bad signature over bytes that are not even JSON: still 401 (the body is never parsed), and nothing logged.
    expect((await callCustomerQuery(url, "{not json", { ...SIGNED, signature: "wrong" })).status).toBe(401);
    expect(await lookupLogRows(shop)).toHaveLength(logged);

    const unknown = url.replace(/[A-Za-z0-9_-]{43}$/, "A".repeat(43));
    const notFound = await callCustomerQuery(unknown, EXAMPLE_CUSTOMER_QUERIES.test, SIGNED);
    expect(notFound.status).toBe(404);
    expect(notFound.json).toMatchObject({ success: false });
    expect((await callCustomerQuery(`${app.url}/joinchat/lookup/short`, EXAMPLE_CUSTOMER_QUERIES.test, SIGNED)).status).toBe(404);
    expect((await callCustomerQuery(url, EXAMPLE_CUSTOMER_QUERIES.test, { ...SIGNED, method: "GET" })).status).toBe(405);

    const big = JSON.stringify({ method: "test", params: { token: "x".repeat(20_000) } });
    const tooLarge = await callCustomerQuery(url, big, SIGNED);
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.json).toMatchObject({ success: false });
  });

  it("answers malformed JSON, unknown methods and wrong types with a JoinChat failure and a 4xx, changing nothing", async () => {
    const { shop, url } = await setUpShop("lookup-failures");
    const cases: (CustomerQuery | string)[] = [
      "{not json",
      "[]",
      { method: "packages", params: { order_number: "#1001" } },
      { method: 42 as unknown as string },
      { method: "orders", params: { order_number: { $ne: null } } },
      { method: "orders", params: { order_number: "#1001", user_account: "a@b.co" } },
      { method: "orders", params: {} },
      { method: "orders", params: { user_account: "a@b.co", filter: "unpaid" } },
      { method: "orders", params: { user_account: "a@b.co" }, pagination: { page: 1, limit: "3" as unknown as number } },
      { method: "test", params: {} },
    ];
    for (const query of cases) {
      const answer = await callCustomerQuery(url, query, SIGNED);
      expect(answer.status, answer.text).toBe(400);
      expect(answer.json).toEqual({ success: false, errors: expect.any(String) });
    }
    const setup = await app.db.get<{ last_test_at: number | null }>("SELECT last_test_at FROM lookup_setup WHERE shop = ?", [shop]);
    expect(setup?.last_test_at).toBeNull();
    const refusals = await waitForRows(() => lookupLogRows(shop), cases.length);
    expect(refusals).toHaveLength(cases.length);
    expect(refusals.every((r) => r.outcome === "refused")).toBe(true);
  });

  it("reads what a serializer may send for absent or loose fields: null, empty strings, numbers, any case", async () => {
    const { url } = await setUpShop("lookup-loose");
    const nothing = { success: true, total: 0, data: [] };
    const answered: [CustomerQuery | Record<string, unknown>, unknown][] = [
      [{ method: "products", params: { title: "mug" }, pagination: null }, nothing],
      [{ method: "products", params: null, pagination: { page: 1, limit: 3 } }, nothing],
      [{ method: "products", params: { title: null, product_type: "", vendor: null, order_type: "" } }, nothing],
      [{ method: "products", params: { vendor: 361, order_type: " TITLE , ASC " } }, nothing],
      [{ method: "orders", params: { order_number: null, user_account: "loose@example.com", filter: "" } }, nothing],
      [{ method: "orders", params: { order_number: "", user_amount: "loose@example.com", filter: " Open " } }, nothing],
      [{ method: "orders", params: { user_account: 8613800138000, user_amount: null, filter: null } }, nothing],
      [
        { method: "property", params: { search_type: " Vendor", search: null } },
        { success: true, data: [] },
      ],
      [
        { method: "property", params: { search: "TYPE" } },
        { success: true, data: [] },
      ],
    ];
    for (const [query, expected] of answered) {
      const answer = await callCustomerQuery(url, JSON.stringify(query), SIGNED);
      expect(answer.status, `${JSON.stringify(query)}: ${answer.text}`).toBe(200);
      expect(answer.json).toEqual(expected);
    }
  });

  it("issues a new key on request: the old URL answers 404 at once", async () => {
    const { shop, url, publicUrl } = await setUpShop("lookup-rotate");
    expect((await callCustomerQuery(url, EXAMPLE_CUSTOMER_QUERIES.test, SIGNED)).status).toBe(200);
    const rotated = await app.cli(["lookup", "rotate-key", "--shop", shop]);
    expect(rotated.code, rotated.output).toBe(0);
    const shown = JSON.parse((await app.cli(["shop", "show", "--shop", shop, "--json"])).output).lookupUrl as string;
    expect(shown).not.toBe(publicUrl);
    expect(rotated.output).toContain(shown);
    expect((await callCustomerQuery(url, EXAMPLE_CUSTOMER_QUERIES.test, SIGNED)).status).toBe(404);
    expect((await callCustomerQuery(`${app.url}${new URL(shown).pathname}`, EXAMPLE_CUSTOMER_QUERIES.test, SIGNED)).status).toBe(200);
  });

  it("finds an order by lookup token (full receipt), by confirmation number (private), by name only when allowed", async () => {
    const { shop, url } = await setUpShop("lookup-orders");
    const { id, gid } = await placeOrder(shop, {
      name: "#2001",
      confirmation_number: "KQ7ZP3M2X",
      email: "Buyer.One@Example.com",
      contact_email: "Buyer.One@Example.com",
    });
    await waitForSettled(app, shop);
    const byNumber = (order_number: string) => callCustomerQuery(url, { method: "orders", params: { order_number } }, SIGNED);

    // The name is sequential and guessable: not answered by default.
    const byName = await byNumber("#2001");
    expect(byName.json).toEqual({ success: true, total: 0, data: [] });

    const byConfirmation = await byNumber(" kq7zp3m2x ");
    expect(byConfirmation.status).toBe(200);
    const body = byConfirmation.json as { success: boolean; total: number; data: Record<string, unknown>[] };
    expect(body).toMatchObject({ success: true, total: 1 });
    const receipt = body.data[0];
    expect(receipt).toMatchObject({
      template_type: "receipt",
      order_number: "#2001",
      currency: expect.any(String),
      payment_method: expect.any(String),
      // A string of Unix seconds, as JoinChat's customer-query docs show it.
      timestamp: expect.stringMatching(/^\d{10}$/),
    });
    expect(receipt.recipient_name).toMatch(/^\S\*+( \S\*+)*$/);
    expect(receipt).not.toHaveProperty("address");
    expect(receipt).not.toHaveProperty("order_url");
    expect((receipt.elements as unknown[]).length).toBeGreaterThan(0);
    expect(receipt.summary).toMatchObject({ total_cost: expect.any(Number) });

    const issued = await app.cli(["lookup", "order-token", "--shop", shop, "--order", String(id), "--json"]);
    expect(issued.code, issued.output).toBe(0);
    const { token } = JSON.parse(issued.output) as { token: string };
    expect(token).toMatch(/^[a-z2-9]{12}$/);
    // The same order keeps its token while it is valid.
    expect(JSON.parse((await app.cli(["lookup", "order-token", "--shop", shop, "--order", gid, "--json"])).output).token).toBe(token);
    const byToken = await byNumber(token.toUpperCase());
    const full = (byToken.json as { data: Record<string, unknown>[] }).data[0];
    expect(full).toMatchObject({ template_type: "receipt", order_number: "#2001", address: { street_1: expect.any(String), country: expect.any(String) } });
    expect(full.order_url).toEqual(expect.stringMatching(/^https:\/\//));
    expect(full.recipient_name).not.toContain("*");
    // The token of one shop finds nothing in another.
    const other = await setUpShop("lookup-orders-other");
    expect((await callCustomerQuery(other.url, { method: "orders", params: { order_number: token } }, SIGNED)).json).toEqual({
      success: true,
      total: 0,
      data: [],
    });

    const allowed = await app.cli(["lookup", "configure", "--shop", shop, "--order-name", "on"]);
    expect(allowed.code, allowed.output).toBe(0);
    const named = (await byNumber("2001")).json as { total: number; data: Record<string, unknown>[] };
    expect(named.total).toBe(1);
    expect(named.data[0]).not.toHaveProperty("address");

    await app.cli(["lookup", "configure", "--shop", shop, "--full-receipts", "on"]);
    expect((await byNumber("KQ7ZP3M2X")).json).toMatchObject({ data: [{ address: { street_1: expect.any(String) } }] });
  });

  it("lists an account's orders privately, open or closed, with the legacy spelling, the same bytes for no account, and at most 10", async () => {
    const { shop, url } = await setUpShop("lookup-accounts");
    const email = `many-${Date.now()}@example.com`;
    const placed: { id: bigint; gid: string }[] = [];
    for (let i = 0; i < 12; i++) placed.push(await placeOrder(shop, { name: `#3${String(i).padStart(3, "0")}`, email, contact_email: email }));
    // One order delivered: closed.
    const fulfilled = await app.sendWebhook(
      "fulfillments/create",
      shop,
      buildFulfillmentJson({ order_id: placed[0].id, shipment_status: "delivered", updated_at: new Date().toISOString() }),
    );
    expect(fulfilled.status, fulfilled.text).toBe(200);

    const list = (params: Record<string, unknown>, limit = 50) => callCustomerQuery(url, { method: "orders", params, pagination: { page: 1, limit } }, SIGNED);
    const all = (await list({ user_account: email.toUpperCase() })).json as { total: number; data: Record<string, unknown>[] };
    expect(all.total).toBe(12);
    expect(all.data).toHaveLength(10);
    for (const receipt of all.data) {
      expect(receipt).toMatchObject({ template_type: "receipt" });
      expect(receipt).not.toHaveProperty("address");
    }
    const open = (await list({ user_amount: email, filter: "open" }, 3)).json as { total: number; data: unknown[] };
    expect(open).toMatchObject({ total: 11 });
    expect(open.data).toHaveLength(3);
    const closed = (await list({ user_account: email, filter: "closed" })).json as { total: number; data: { order_number: string }[] };
    expect(closed.total).toBe(1);
    expect(closed.data[0].order_number).toBe("#3000");

    // No such account, and an account with nothing in the filter: the same bytes.
    const nobody = await list({ user_account: `nobody-${Date.now()}@example.com`, filter: "closed" });
    const other = await setUpShop("lookup-accounts-empty");
    await placeOrder(other.shop, { name: "#9001", email, contact_email: email });
    const none = await callCustomerQuery(
      other.url,
      { method: "orders", params: { user_account: email, filter: "closed" }, pagination: { page: 1, limit: 50 } },
      SIGNED,
    );
    expect(none.status).toBe(nobody.status);
    expect(none.text).toBe(nobody.text);
    // The log holds hashes, never the contact.
    const rows = await waitForRows(() => lookupLogRows(shop), 4);
    expect(rows).toHaveLength(4);
    expect(JSON.stringify(rows)).not.toContain(email.split("@")[0]);
  });

  it("limits lookups per identifier and per shop with a clear failure", async () => {
    const { shop, url } = await setUpShop("lookup-limits");
    const guess = { method: "orders", params: { user_account: "victim@example.com" } };
    for (let i = 0; i < PER_IDENTIFIER; i++) expect((await callCustomerQuery(url, guess, SIGNED)).status).toBe(200);
    const limited = await callCustomerQuery(url, guess, SIGNED);
    expect(limited.status).toBe(429);
    expect(limited.json).toEqual({ success: false, errors: expect.stringMatching(/too many/) });
    // Another identifier is still answered, until the shop's limit.
    expect((await callCustomerQuery(url, { method: "orders", params: { user_account: "other@example.com" } }, SIGNED)).status).toBe(200);
    let status = 200;
    for (let i = 0; i < PER_SHOP && status === 200; i++) status = (await callCustomerQuery(url, EXAMPLE_CUSTOMER_QUERIES.test, SIGNED)).status;
    expect(status).toBe(429);
    const outcomes = (
      await waitFor(
        async () => {
          const rows = await lookupLogRows(shop);
          return rows.filter((r) => r.outcome === "rate_limited").length >= 2 ? rows : null;
        },
        5_000,
        "two rate-limited lookups in the log",
      )
    ).map((r) => r.outcome);
    expect(outcomes.filter((o) => o === "rate_limited").length).toBeGreaterThanOrEqual(2);
  });

  it("holds both limits when lookups arrive all at once, and the log counts every one of them", async () => {
    const { shop, url } = await setUpShop("lookup-limits-burst");
    // Twice the identifier's limit at once, for one account: exactly the limit answered.
    const guess = { method: "orders", params: { user_account: "burst@example.com" } };
    const guesses = await Promise.all(Array.from({ length: 2 * PER_IDENTIFIER }, () => callCustomerQuery(url, guess, SIGNED)));
    expect(guesses.filter((r) => r.status === 200)).toHaveLength(PER_IDENTIFIER);
    expect(guesses.filter((r) => r.status === 429)).toHaveLength(PER_IDENTIFIER);
    // Then more than the shop has left, at once: the refused guesses did not count, so PER_SHOP - PER_IDENTIFIER pass.
    const tests = await Promise.all(Array.from({ length: PER_SHOP }, () => callCustomerQuery(url, EXAMPLE_CUSTOMER_QUERIES.test, SIGNED)));
    expect(tests.filter((r) => r.status === 200)).toHaveLength(PER_SHOP - PER_IDENTIFIER);
    expect(tests.filter((r) => r.status === 429)).toHaveLength(PER_IDENTIFIER);
    // Every lookup is in the log, with its outcome.
    const outcomes = (await waitForRows(() => lookupLogRows(shop), 2 * PER_IDENTIFIER + PER_SHOP)).map((r) => r.outcome);
    expect(outcomes.filter((o) => o === "rate_limited")).toHaveLength(2 * PER_IDENTIFIER);
    expect(outcomes).toHaveLength(2 * PER_IDENTIFIER + PER_SHOP);
  });

  it("customers/redact erases the customer's lookup orders and log rows; shop/redact everything of the shop", async () => {
    const { shop, url } = await setUpShop("lookup-redact");
    const email = `redact-${Date.now()}@example.com`;
    const kept = await placeOrder(shop, { name: "#5001", email: "kept@example.com", contact_email: "kept@example.com" });
    const gone = await placeOrder(shop, { name: "#5002", email, contact_email: email });
    await callCustomerQuery(url, { method: "orders", params: { user_account: email } }, SIGNED);
    await callCustomerQuery(url, { method: "orders", params: { user_account: "kept@example.com" } }, SIGNED);
    expect(await waitForRows(() => lookupLogRows(shop), 2)).toHaveLength(2);

    const redact = await app.sendWebhook(
      "customers/redact",
      shop,
      `{"shop_id":1,"shop_domain":"${shop}","customer":{"id":777001,"email":"${email}","phone":null},"orders_to_redact":[${gone.id}]}`,
    );
    expect(redact.status, redact.text).toBe(200);
    const orders = await app.db.all<{ order_gid: string }>("SELECT order_gid FROM lookup_order WHERE shop = ?", [shop]);
    expect(orders.map((o) => o.order_gid)).toEqual([kept.gid]);
    expect(await lookupLogRows(shop)).toHaveLength(1);
    expect((await callCustomerQuery(url, { method: "orders", params: { user_account: email } }, SIGNED)).json).toEqual({ success: true, total: 0, data: [] });

    const shopRedact = await app.sendWebhook("shop/redact", shop, JSON.stringify({ shop_id: 1, shop_domain: shop }));
    expect(shopRedact.status, shopRedact.text).toBe(200);
    for (const table of ["lookup_setup", "lookup_order", "lookup_log", "order_token", "catalogue_product"]) {
      expect(await app.db.all(`SELECT 1 FROM ${table} WHERE shop = ?`, [shop]), table).toHaveLength(0);
    }
    expect((await callCustomerQuery(url, EXAMPLE_CUSTOMER_QUERIES.test, SIGNED)).status).toBe(404);
  });

  it("answers products and property from the catalogue the products webhooks keep current: drafts, archived and deleted never shown", async () => {
    const shop = uniqueShop("lookup-products");
    await app.configureShop(shop);
    const url = `${app.url}${new URL(JSON.parse((await app.cli(["shop", "show", "--shop", shop, "--json"])).output).lookupUrl as string).pathname}`;
    const base = 930000000000000000n + BigInt(Date.now() % 1_000_000) * 100n;
    const products: ProductSpec[] = [
      { id: base + 10n, title: "Tidepool Mug", vendor: "Harbour & Kiln", productType: "Mugs", createdAt: "2026-03-01T00:00:00Z", price: "38.00" },
      { id: base + 20n, title: "Black Sneakers", vendor: "Nike", productType: "Shoes", createdAt: "2026-03-02T00:00:00Z", price: "120.50", firstStock: 0 },
      { id: base + 30n, title: "Black T_shirt", vendor: "JACK & JONES", productType: "clothes", createdAt: "2026-03-03T00:00:00Z" },
      { id: base + 40n, title: "Draft Black Hat", vendor: "Nike", productType: "Hats", status: "draft" },
      { id: base + 50n, title: "Archived Black Scarf", vendor: "Scarfs Inc", productType: "Scarves", status: "archived" },
      { id: base + 60n, title: "Unlisted Black Belt", vendor: "Belts Inc", productType: "Belts", publishedAt: null },
    ];
    for (const p of products) expect((await app.sendWebhook("products/create", shop, productJson(p))).status).toBe(200);
    // The same delivery again changes nothing.
    const again = await app.sendWebhook("products/create", shop, productJson(products[0]), { webhookId: "repeat-1" });
    expect((await app.sendWebhook("products/create", shop, productJson(products[0]), { webhookId: "repeat-1" })).json).toMatchObject({ duplicate: true });
    expect(again.status).toBe(200);

    type Products = { success: boolean; total: number; data: Record<string, string>[] };
    const search = async (params: Record<string, unknown>, limit = 10) =>
      (await callCustomerQuery(url, { method: "products", params, pagination: { page: 1, limit } }, SIGNED)).json as Products;

    const black = await search({ title: "black", order_type: "created_at,asc" });
    expect(black.data.map((p) => p.title)).toEqual(["Black Sneakers", "Black T_shirt"]);
    expect(black.total).toBe(2);
    const sneakers = black.data[0];
    for (const value of Object.values(sneakers)) expect(typeof value).toBe("string");
    expect(sneakers).toEqual({
      title: "Black Sneakers",
      image_url: `https://cdn.shopify.com/s/files/${products[1].id}.jpg`,
      product_type: "Shoes",
      vendor: "Nike",
      desc: "About Black Sneakers & more.",
      detail_url: `https://${shop}/products/black-sneakers`,
      // The first variant is out of stock: the cart permalink of the second.
      buy_url: `https://${shop}/cart/${products[1].id + 2n}:1`,
      price: "120.50",
    });
    // OR of title, product_type and vendor, in JoinChat's example spelling; descending by title.
    const either = await search({ title: "mug", product_type: "clothes", vendor: "nike", order_type: "title,desc" });
    expect(either.data.map((p) => p.title)).toEqual(["Tidepool Mug", "Black T_shirt", "Black Sneakers"]);
    expect((await search(EXAMPLE_CUSTOMER_QUERIES.products.params)).data.map((p) => p.title)).toEqual(["Black T_shirt"]);
    expect((await search({ title: "Hat" })).total).toBe(0);
    expect((await search({ title: "Scarf" })).total).toBe(0);
    expect((await search({ title: "Belt" })).total).toBe(0);
    expect((await search({}, 2)).data).toHaveLength(2);

    const vendors = await callCustomerQuery(url, EXAMPLE_CUSTOMER_QUERIES.propertyVendors, SIGNED);
    expect(vendors.json).toEqual({ success: true, data: ["Harbour & Kiln", "JACK & JONES", "Nike"] });
    const types = await callCustomerQuery(url, EXAMPLE_CUSTOMER_QUERIES.propertyTypesLegacy, SIGNED);
    expect(types.json).toEqual({ success: true, data: ["Mugs", "Shoes", "clothes"].sort() });
    expect((await callCustomerQuery(url, { method: "property", params: { search_type: "color" } }, SIGNED)).status).toBe(400);
    expect((await callCustomerQuery(url, { method: "products", params: { order_type: "price,asc" } }, SIGNED)).status).toBe(400);

    // Updated: renamed and archived; an older update arriving late changes nothing.
    const newer = "2026-03-05T00:00:00Z";
    await app.sendWebhook("products/update", shop, productJson({ ...products[0], title: "Tidepool Cup", updatedAt: newer }));
    await app.sendWebhook("products/update", shop, productJson({ ...products[0], title: "Tidepool Old", updatedAt: "2026-03-04T00:00:00Z" }));
    expect((await search({ title: "tidepool" })).data.map((p) => p.title)).toEqual(["Tidepool Cup"]);
    await app.sendWebhook(
      "products/update",
      shop,
      productJson({ ...products[0], title: "Tidepool Cup", status: "archived", updatedAt: "2026-03-06T00:00:00Z" }),
    );
    expect((await search({ title: "tidepool" })).total).toBe(0);
    // A draft published: shown.
    await app.sendWebhook("products/update", shop, productJson({ ...products[3], status: "active", updatedAt: newer }));
    expect((await search({ title: "hat" })).data.map((p) => p.title)).toEqual(["Draft Black Hat"]);

    // Deleted, then a late update of it: still gone.
    expect((await app.sendWebhook("products/delete", shop, `{"id":${products[1].id}}`)).status).toBe(200);
    await app.sendWebhook("products/update", shop, productJson({ ...products[1], updatedAt: "2026-03-09T00:00:00Z" }));
    expect((await search({ title: "sneakers" })).total).toBe(0);
    expect((await callCustomerQuery(url, EXAMPLE_CUSTOMER_QUERIES.propertyVendors, SIGNED)).json).toEqual({ success: true, data: ["JACK & JONES", "Nike"] });
    // The admin card counts what buyers can find: not the deleted, archived, draft or unpublished ones.
    expect((await getLookupOverview(app.db, shop, app.env.SHOPIFY_APP_URL)).catalogueProducts).toBe(2);

    expect((await app.sendWebhook("shop/redact", shop, JSON.stringify({ shop_id: 1, shop_domain: shop }))).status).toBe(200);
    expect(await app.db.all("SELECT 1 FROM catalogue_product WHERE shop = ?", [shop])).toHaveLength(0);
  });

  it("finds products whatever the case in any script, and sorts titles regardless of case", async () => {
    const shop = uniqueShop("lookup-unicode");
    await app.configureShop(shop);
    const url = `${app.url}${new URL(JSON.parse((await app.cli(["shop", "show", "--shop", shop, "--json"])).output).lookupUrl as string).pathname}`;
    const base = 950000000000000000n + BigInt(Date.now() % 1_000_000) * 100n;
    const products: ProductSpec[] = [
      { id: base + 10n, title: "Écharpe Été", vendor: "Ñandú", productType: "Écharpes" },
      { id: base + 20n, title: "ÇA VA Tee", vendor: "Ørsted", productType: "Тенниски" },
      { id: base + 30n, title: "黑色运动鞋 Nike", vendor: "李宁", productType: "鞋" },
      { id: base + 40n, title: "apple cider mug", vendor: "Harbour & Kiln", productType: "Mugs" },
      { id: base + 50n, title: "Zebra Mug", vendor: "Harbour & Kiln", productType: "Mugs" },
    ];
    for (const p of products) expect((await app.sendWebhook("products/create", shop, productJson(p))).status).toBe(200);
    const titles = async (params: Record<string, unknown>) =>
      (
        (await callCustomerQuery(url, { method: "products", params, pagination: { page: 1, limit: 10 } }, SIGNED)).json as { data: { title: string }[] }
      ).data.map((p) => p.title);
    expect(await titles({ title: "écharpe" })).toEqual(["Écharpe Été"]);
    expect(await titles({ title: "ÉTÉ" })).toEqual(["Écharpe Été"]);
    expect(await titles({ title: "ça va" })).toEqual(["ÇA VA Tee"]);
    expect(await titles({ title: "运动鞋" })).toEqual(["黑色运动鞋 Nike"]);
    // Fuzzy: every word of the title asked for, in any order ("black sneakers" finds "Black Leather Sneakers").
    expect(await titles({ title: "  été   écharpe " })).toEqual(["Écharpe Été"]);
    expect(await titles({ title: "nike 黑色" })).toEqual(["黑色运动鞋 Nike"]);
    expect(await titles({ title: "nike écharpe" })).toEqual([]);
    expect(await titles({ vendor: "ñandú" })).toEqual(["Écharpe Été"]);
    expect(await titles({ vendor: "ØRSTED" })).toEqual(["ÇA VA Tee"]);
    expect(await titles({ product_type: "тенниски", vendor: "李宁", order_type: "title,asc" })).toEqual(["ÇA VA Tee", "黑色运动鞋 Nike"]);
    // A page far past the end (even past what a database's OFFSET takes): none of them, and the total.
    for (const page of ["100000000000000000000", "1e300"]) {
      const far = await callCustomerQuery(url, `{"method":"products","params":{},"pagination":{"page":${page},"limit":3}}`, SIGNED);
      expect(far.status, far.text).toBe(200);
      expect(far.json).toEqual({ success: true, total: products.length, data: [] });
    }
    // Alphabetical, not upper case first.
    expect(await titles({ order_type: "title,asc" })).toEqual(["apple cider mug", "Zebra Mug", "ÇA VA Tee", "Écharpe Été", "黑色运动鞋 Nike"]);
  });
});

interface ProductSpec {
  id: bigint;
  title: string;
  vendor?: string;
  productType?: string;
  status?: string;
  publishedAt?: string | null;
  updatedAt?: string;
  createdAt?: string;
  price?: string;
  /** The first variant's stock (tracked, deny): 0 makes the second the first available one. */
  firstStock?: number;
}

/** A products/create|update payload as Shopify sends it (REST shape, ids as bare integers). */
function productJson(p: ProductSpec): string {
  const variant = (n: number, stock: number) =>
    `{"admin_graphql_api_id":"gid://shopify/ProductVariant/${p.id + BigInt(n)}","id":${p.id + BigInt(n)},"position":${n},"price":"${p.price ?? "38.00"}",` +
    `"inventory_policy":"deny","inventory_management":"shopify","inventory_quantity":${stock},"product_id":${p.id},"title":"V${n}"}`;
  const published = p.publishedAt === undefined ? '"2026-03-02T10:20:31-04:00"' : p.publishedAt === null ? "null" : `"${p.publishedAt}"`;
  return `{"admin_graphql_api_id":"gid://shopify/Product/${p.id}","id":${p.id},"title":${JSON.stringify(p.title)},"handle":"${p.title.toLowerCase().replace(/\W+/g, "-")}",
"body_html":"<p>About <b>${p.title}</b> &amp; more.</p>","vendor":${JSON.stringify(p.vendor ?? "Harbour & Kiln")},"product_type":${JSON.stringify(p.productType ?? "Mugs")},
"status":"${p.status ?? "active"}","published_at":${published},"created_at":"${p.createdAt ?? "2026-03-02T10:15:00-04:00"}","updated_at":"${p.updatedAt ?? "2026-03-02T10:20:31-04:00"}",
"variants":[${variant(1, p.firstStock ?? 5)},${variant(2, 7)}],"image":{"src":"https://cdn.shopify.com/s/files/${p.id}.jpg"},"images":[]}`;
}
