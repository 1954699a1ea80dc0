// npm run demo: the app's main job on its embedded default, with nothing but this machine.
// Migrates a fresh SQLite database, builds and starts the production server (with its delivery worker),
// starts the JoinChat sandbox, links a demo shop, sends correctly signed Shopify webhooks for an unpaid order,
// its payment, a fulfillment and its delivery, prints every push JoinChat received and the delivery log, then
// shows the order page block's view of the order (its app route, with a session token as the admin gives the
// block one) and resends the receipt through it. Then a cancellation, and the Messenger opt-in: a receipt JoinChat
// refuses with 10010 (nobody known by that email), the buyer's bind through the order's ref, and the receipt arriving by
// PSID. Last, JoinChat's customer lookups: a signed lookup of the demo order by its lookup token and a product search,
// on the shop's own lookup URL.
import { execFileSync, spawn } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { runCli } from "../app/cli/main";
import type { OrderPushActionAnswer, OrderPushesAnswer } from "../app/pushes/order-pushes-contract";
import { signSessionToken } from "../test/helpers/sign-session-token";
import { signShopifyWebhook } from "../app/webhooks/sign-webhook";
import { buildFulfillmentJson } from "../test/fixtures/fulfillments";
import { buildOrderJson, ORDER_ID } from "../test/fixtures/orders";
import { readShopifyFixture } from "../test/fixtures/shopify-fixtures";
import { callCustomerQuery } from "../test/helpers/joinchat-caller";
import { startJoinChatSandbox } from "../test/sandbox/joinchat-sandbox";

const SHOP = "demo-shop.myshopify.com";
const PAGE_ID = "407898491811542";
const say = (line = "") => process.stdout.write(`${line}\n`);

async function main() {
  const dir = mkdtempSync(path.join(os.tmpdir(), "joinchat-demo-"));
  const shopSecret = randomBytes(18).toString("base64url");
  const env: NodeJS.ProcessEnv & Record<string, string> = {
    ...(process.env as Record<string, string>),
    NODE_ENV: "production",
    DATABASE_URL: `file:${path.join(dir, "demo.sqlite")}`,
    SHOPIFY_API_KEY: "demo-api-key",
    SHOPIFY_API_SECRET: randomBytes(24).toString("hex"),
    SHOPIFY_APP_URL: "https://joinchat-push.example.com",
    ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    JOINCHAT_API_SECRET: randomBytes(18).toString("base64url"),
    JOINCHAT_SINGLE_SHOP: SHOP,
    PORT: "0",
    HOST: "127.0.0.1",
    LOG_LEVEL: "warn",
  };

  say("1. Migrating a fresh SQLite database and building the production server...");
  execFileSync(process.execPath, ["scripts/setup.mjs", "--quiet"], { env, stdio: ["ignore", "ignore", "inherit"] });
  execFileSync(process.execPath, [path.join("node_modules", "@remix-run", "dev", "dist", "cli.js"), "vite:build"], {
    stdio: ["ignore", "ignore", "inherit"],
  });

  const sandbox = await startJoinChatSandbox({ port: 0, defaultSecret: env.JOINCHAT_API_SECRET, secrets: { [SHOP]: shopSecret } });
  env.JOINCHAT_API_URL = sandbox.url;
  env.JOINCHAT_SEND_API_URL = sandbox.sendUrl;
  say(`2. JoinChat sandbox listening at ${sandbox.url}`);

  env.LOG_LEVEL = "info";
  const app = spawn(process.execPath, ["server.mjs"], { env, stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<number>((resolve, reject) => {
    let buffer = "";
    const timer = setTimeout(() => reject(new Error("the app did not start within 30 s")), 30_000);
    app.once("exit", (code) => reject(new Error(`the app exited with ${code}`)));
    app.stdout!.on("data", (chunk: Buffer) => {
      buffer += chunk.toString();
      const match = /"msg":"app listening","port":(\d+)/.exec(buffer);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
  });
  app.stdout!.resume();
  say(`3. App listening on http://127.0.0.1:${port} (SQLite, in-process delivery worker)`);

  try {
    const out: string[] = [];
    const code = await runCli(["shop", "configure", "--shop", SHOP, "--page-id", PAGE_ID, "--secret", shopSecret], {
      out: (l) => out.push(l),
      env,
    });
    if (code !== 0) throw new Error(out.join("\n"));
    say(`4. Linked ${SHOP} to Facebook page ${PAGE_ID} with its own JoinChat API secret`);

    const order = { financial_status: "pending", payment_gateway_names: ["bank_deposit"] };
    const deliveries: [string, string][] = [
      ["orders/create", buildOrderJson(order)],
      ["orders/paid", buildOrderJson({ financial_status: "paid", payment_gateway_names: ["bank_deposit"] })],
      ["fulfillments/create", buildFulfillmentJson({})],
      ["fulfillments/update", buildFulfillmentJson({ shipment_status: "delivered", updated_at: "2026-11-03T10:00:00-05:00" })],
    ];
    say("5. Sending signed Shopify webhooks:");
    for (const [topic, body] of deliveries) {
      const res = await fetch(`http://127.0.0.1:${port}/webhooks/${topic}`, {
        method: "POST",
        headers: signShopifyWebhook({ body, secret: env.SHOPIFY_API_SECRET, topic, shop: SHOP, webhookId: randomUUID() }),
        body,
      });
      say(`   ${topic.padEnd(20)} -> ${res.status} ${await res.text()}`);
      // Give each push its moment, as a buyer would see them one after the other.
      const expected = sandbox.received.length + 1;
      await waitFor(() => sandbox.received.length >= expected, 10_000);
    }

    say();
    say(`6. JoinChat received ${sandbox.received.length} pushes:`);
    for (const push of sandbox.received) {
      say();
      say(`   ${push.topic}  page ${push.pageId}  recipient ${JSON.stringify(push.recipient)}  Idempotency-Key ${push.idempotencyKey}`);
      say(
        JSON.stringify(push.params, null, 2)
          .split("\n")
          .map((l) => `     ${l}`)
          .join("\n"),
      );
    }
    say();
    say("7. The delivery log (npm run cli -- pushes list --shop demo-shop.myshopify.com):");
    await runCli(["pushes", "list", "--shop", SHOP], { out: (l) => say(`   ${l}`), env });
    const stats = sandbox.stats();
    if (sandbox.received.length !== 4 || stats.doubledBusinessKeys.length > 0) {
      throw new Error(`expected 4 pushes, none doubled; got ${sandbox.received.length}, doubled ${stats.doubledBusinessKeys.join(", ")}`);
    }
    say();
    await orderPageBlock(`http://127.0.0.1:${port}`, env, () => sandbox.received.length);
    say();
    await cancellation(`http://127.0.0.1:${port}`, env, sandbox);
    say();
    await messengerOptin(`http://127.0.0.1:${port}`, env, sandbox, shopSecret);
    say();
    await customerLookups(`http://127.0.0.1:${port}`, env, shopSecret);
    say();
    say("Done: an unpaid reminder, a receipt, two shipping updates and the receipt resent, each signed and sent once;");
    say("      a cancelled order's reminder stopped and one notice sent instead; a receipt refused with 10010, the buyer's");
    say("      Messenger bound through the order's ref, and the receipt re-sent once to the PSID; last, the order and a product");
    say("      found by a signed customer lookup.");
  } finally {
    app.kill("SIGTERM");
    await new Promise((resolve) => app.once("exit", resolve));
    await sandbox.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** JoinChat's customer-query webhook on the shop's lookup URL: the demo order by its lookup token, and a product search. */
async function customerLookups(appUrl: string, env: Record<string, string>, shopSecret: string): Promise<void> {
  const cli = async (args: string[]) => {
    const out: string[] = [];
    if ((await runCli(args, { out: (l) => out.push(l), env })) !== 0) throw new Error(out.join("\n"));
    return out.join("\n");
  };
  const product = readShopifyFixture("products/create");
  const res = await fetch(`${appUrl}/webhooks/products/create`, {
    method: "POST",
    headers: signShopifyWebhook({ body: product, secret: env.SHOPIFY_API_SECRET, topic: "products/create", shop: SHOP, webhookId: randomUUID() }),
    body: product,
  });
  const lookupUrl = (JSON.parse(await cli(["shop", "show", "--shop", SHOP, "--json"])) as { lookupUrl: string }).lookupUrl;
  const { token } = JSON.parse(await cli(["lookup", "order-token", "--shop", SHOP, "--order", String(ORDER_ID), "--json"])) as { token: string };
  const local = `${appUrl}${new URL(lookupUrl).pathname}`;
  say(`11. Customer lookups (JoinChat calls the app). products/create -> ${res.status}; the shop's lookup URL: ${lookupUrl}`);
  const order = await callCustomerQuery(local, { method: "orders", params: { order_number: token } }, { secret: shopSecret });
  say(`   orders, order_number ${token} (the order's lookup token) -> ${order.status}`);
  say(
    JSON.stringify(order.json, null, 2)
      .split("\n")
      .map((l) => `     ${l}`)
      .join("\n"),
  );
  const products = await callCustomerQuery(local, { method: "products", params: { title: "mug" }, pagination: { page: 1, limit: 3 } }, { secret: shopSecret });
  say(`   products, title "mug" -> ${products.status}`);
  say(
    JSON.stringify(products.json, null, 2)
      .split("\n")
      .map((l) => `     ${l}`)
      .join("\n"),
  );
  const found = (answer: unknown) => (answer as { total?: number }).total === 1;
  if (order.status !== 200 || !found(order.json) || products.status !== 200 || !found(products.json)) {
    throw new Error("the customer lookups did not find the demo order and the demo product");
  }
}

/**
 * A second order, pending, whose reminder waits an hour; the buyer cancels it: the reminder is cancelled, and with the
 * shop's "order cancelled" notice on, one notice goes through JoinChat's Send API instead.
 */
async function cancellation(appUrl: string, env: Record<string, string>, sandbox: Awaited<ReturnType<typeof startJoinChatSandbox>>): Promise<void> {
  const out: string[] = [];
  const code = await runCli(["shop", "configure", "--shop", SHOP, "--unpaid-delay", "60", "--cancel-notice", "on"], { out: (l) => out.push(l), env });
  if (code !== 0) throw new Error(out.join("\n"));
  say('9. A cancellation: unpaid reminders now wait 60 minutes, and the "order cancelled" notice is on');
  const id = ORDER_ID + 1n;
  const order = { id, admin_graphql_api_id: `gid://shopify/Order/${id}`, name: "#1002", created_at: new Date().toISOString() };
  const pushesBefore = sandbox.received.length;
  for (const [topic, body] of [
    ["orders/create", buildOrderJson({ ...order, financial_status: "pending", payment_gateway_names: ["bank_deposit"] })],
    ["orders/cancelled", buildOrderJson({ ...order, financial_status: "voided", cancelled_at: new Date().toISOString(), cancel_reason: "customer" })],
  ] as const) {
    const res = await fetch(`${appUrl}/webhooks/${topic}`, {
      method: "POST",
      headers: signShopifyWebhook({ body, secret: env.SHOPIFY_API_SECRET, topic, shop: SHOP, webhookId: randomUUID() }),
      body,
    });
    say(`   ${topic.padEnd(20)} -> ${res.status} ${await res.text()}`);
  }
  await waitFor(() => sandbox.sent.length >= 1, 10_000);
  for (const message of sandbox.sent) {
    say(`   send_message  page ${message.pageId}  recipient ${JSON.stringify(message.recipient)}  tag ${message.tag}`);
    say(`     ${JSON.stringify(message.message)}`);
  }
  // The notice's answer is recorded a moment after JoinChat gave it: list the pushes once nothing is being sent.
  for (let i = 0; i < 100; i++) {
    const lines: string[] = [];
    await runCli(["pushes", "list", "--shop", SHOP, "--order", "#1002", "--json"], { out: (l) => lines.push(l), env });
    if (!lines.join("\n").includes('"sending"')) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await runCli(["pushes", "list", "--shop", SHOP, "--order", "#1002"], { out: (l) => say(`   ${l}`), env });
  if (sandbox.received.length !== pushesBefore || sandbox.sent.length !== 1) {
    throw new Error(`expected no push and one notice for #1002; got ${sandbox.received.length - pushesBefore} pushes, ${sandbox.sent.length} notices`);
  }
}

/**
 * The Messenger opt-in (decision 023): an order whose buyer JoinChat does not know by email gets 10010; the buyer opens
 * the order's m.me link, JoinChat calls `bind` with the ref and the buyer's PSID, and the receipt goes again, once, by PSID.
 */
async function messengerOptin(
  appUrl: string,
  env: Record<string, string>,
  sandbox: Awaited<ReturnType<typeof startJoinChatSandbox>>,
  shopSecret: string,
): Promise<void> {
  const PSID = "6024912345678901";
  const cli = async (args: string[]) => {
    const out: string[] = [];
    if ((await runCli(args, { out: (l) => out.push(l), env })) !== 0) throw new Error(out.join("\n"));
    return out.join("\n");
  };
  const pushesOf1003 = async () =>
    JSON.parse(await cli(["pushes", "list", "--shop", SHOP, "--order", "#1003", "--json"])) as {
      id: number;
      status: string;
      lastError: string | null;
      recipient: string;
      recipientSource: string | null;
    }[];
  // JoinChat knows only the buyer who will open the link, by their PSID: any email is "Recipient not found".
  sandbox.setKnownRecipients([PSID]);
  say("10. The Messenger opt-in: JoinChat knows nobody by the next buyer's email");
  const id = ORDER_ID + 2n;
  const gid = `gid://shopify/Order/${id}`;
  const body = buildOrderJson({
    id,
    admin_graphql_api_id: gid,
    name: "#1003",
    financial_status: "paid",
    note_attributes: [],
    created_at: new Date().toISOString(),
  });
  const res = await fetch(`${appUrl}/webhooks/orders/create`, {
    method: "POST",
    headers: signShopifyWebhook({ body, secret: env.SHOPIFY_API_SECRET, topic: "orders/create", shop: SHOP, webhookId: randomUUID() }),
    body,
  });
  say(`   orders/create #1003 (paid)  -> ${res.status} ${await res.text()}`);
  let failed = await pushesOf1003();
  for (let i = 0; i < 200 && failed[0]?.status !== "failed"; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    failed = await pushesOf1003();
  }
  if (failed[0]?.status !== "failed") throw new Error(`expected the receipt of #1003 to fail with 10010, got ${JSON.stringify(failed)}`);
  say(`   receipt #${failed[0].id} to ${failed[0].recipient} (${failed[0].recipientSource}): ${failed[0].status}, JoinChat: ${failed[0].lastError}`);

  const link = JSON.parse(await cli(["orders", "optin-link", "--shop", SHOP, "--order", gid, "--json"])) as { url: string; ref: string };
  say(`   The Thank-you page's button (npm run cli -- orders optin-link): ${link.url}`);
  const lookupUrl = (JSON.parse(await cli(["shop", "show", "--shop", SHOP, "--json"])) as { lookupUrl: string }).lookupUrl;
  const local = `${appUrl}${new URL(lookupUrl).pathname}`;
  const before = sandbox.received.length;
  const bound = await callCustomerQuery(local, { method: "bind", params: { ref: link.ref, psid: PSID } }, { secret: shopSecret });
  say(`   The buyer opens it; JoinChat calls bind {"ref": "${link.ref}", "psid": "${PSID}"} -> ${bound.status} ${bound.text}`);
  await waitFor(() => sandbox.received.length > before, 10_000);
  const again = sandbox.received[sandbox.received.length - 1];
  say(`   JoinChat received ${again.topic} ${again.params.order_number} for recipient ${JSON.stringify(again.recipient)}`);
  let settled = await pushesOf1003();
  for (let i = 0; i < 100 && settled[0]?.status !== "delivered"; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    settled = await pushesOf1003();
  }
  say(`   receipt #${settled[0].id} to ${settled[0].recipient} (${settled[0].recipientSource}): ${settled[0].status}`);
  if (sandbox.received.length !== before + 1 || again.recipient.id !== PSID || settled[0].status !== "delivered") {
    throw new Error("expected the receipt of #1003 once more, to the bound PSID");
  }
}

/** What the order page block shows for the demo order, and its "Resend receipt", through the block's app route. */
async function orderPageBlock(appUrl: string, env: Record<string, string>, received: () => number): Promise<void> {
  // The offline session Shopify's install stores; authenticate.admin needs it beside the session token.
  const db = new BetterSqlite3(env.DATABASE_URL.slice("file:".length));
  db.prepare(`INSERT INTO "Session" ("id", "shop", "state", "isOnline", "scope", "accessToken") VALUES (?, ?, 'installed', 0, ?, 'demo-token')`).run(
    `offline_${SHOP}`,
    SHOP,
    env.SCOPES ?? "read_orders,read_fulfillments,read_products",
  );
  db.close();
  const call = async <T>(method: "GET" | "POST", body?: unknown): Promise<T> => {
    const token = signSessionToken({ shop: SHOP, apiKey: env.SHOPIFY_API_KEY, apiSecret: env.SHOPIFY_API_SECRET });
    const res = await fetch(`${appUrl}/api/orders/${ORDER_ID}/pushes`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "user-agent": "Mozilla/5.0 (demo) Chrome/131.0" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${method} /api/orders/${ORDER_ID}/pushes answered ${res.status}: ${await res.text()}`);
    return (await res.json()) as T;
  };
  const show = (answer: OrderPushesAnswer) => {
    for (const p of answer.pushes) {
      const what = `${p.topic}${p.trackingStatus ? ` (${p.trackingStatus})` : ""}`;
      say(`   #${String(p.id).padEnd(4)} ${what.padEnd(28)} ${p.status.padEnd(10)} to ${p.recipient}${p.resendOf ? `  resend of #${p.resendOf}` : ""}`);
    }
  };
  say(`8. The order page block's view of ${ORDER_ID} (GET /api/orders/${ORDER_ID}/pushes with a session token):`);
  show(await call<OrderPushesAnswer>("GET"));
  say("   (With a session stored, the app also asks Shopify's Admin API for what the payload lacks; Shopify cannot be");
  say("   reached from here, so it logs a warning and sends the push without it.)");
  const before = received();
  const answer = await call<OrderPushActionAnswer>("POST", { intent: "resend-receipt", confirm: true, requestId: randomUUID() });
  if (!answer.ok) throw new Error(`the resend was refused: ${answer.message}`);
  await waitFor(() => received() > before, 10_000);
  say(`   "Resend receipt" -> push #${answer.push.id}; JoinChat received it. Now:`);
  show(await call<OrderPushesAnswer>("GET"));
}

async function waitFor(check: () => boolean, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error("timed out waiting for JoinChat to receive the push");
    await new Promise((r) => setTimeout(r, 50));
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`demo failed: ${(error as Error).message}\n`);
    process.exit(1);
  },
);
