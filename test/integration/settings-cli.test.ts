// The operator CLI (issue 2, point 9) through runCli, on a migrated SQLite file, with the same services
// the webhooks use: settings are refused whole or saved whole, the secret is encrypted at rest and never
// shown, pushes can be listed and retried, and webhook send signs like Shopify.
import { spawn } from "node:child_process";
import { createHmac, randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../../app/cli/main";
import { deliverPush } from "../../app/delivery/deliver.server";
import { claimDuePushes, getPush } from "../../app/stores/push-store.server";
import { createSecretBox, SecretBoxError } from "../../app/settings/secret-box.server";
import { SHOPIFY_API_VERSION } from "../../app/shopify/api-version";
import { buildOrderJson } from "../fixtures/orders";
import { startJoinChatSandbox, type JoinChatSandbox } from "../sandbox/joinchat-sandbox";
import { bigId, createHarness, createTestShopifyAdmin, ENCRYPTION_KEY, PAGE_ID, SHOP, type Harness } from "./support";

const APP_SECRET = "shopify-app-secret-for-tests";
const JOINCHAT_SECRET = "joinchat-shop-secret-1234";

let h: Harness;
let env: Record<string, string | undefined>;

beforeEach(() => {
  h = createHarness();
  env = { DATABASE_URL: `file:${h.file}`, ENCRYPTION_KEY, SHOPIFY_API_SECRET: APP_SECRET };
});
afterEach(async () => {
  await h.close();
});

async function cli(...argv: string[]): Promise<{ code: number; out: string; lines: string[] }> {
  return cliWith(env, ...argv);
}

async function cliWith(environment: Record<string, string | undefined>, ...argv: string[]) {
  const lines: string[] = [];
  const code = await runCli(argv, { out: (line) => lines.push(line), env: environment });
  return { code, out: lines.join("\n"), lines };
}

const settingsRow = () => h.db.get<Record<string, unknown>>("SELECT * FROM shop_settings WHERE shop = ?", [SHOP]);

describe("shop configure", () => {
  it("saves every setting and prints them", async () => {
    const r = await cli(
      "shop",
      "configure",
      "--shop",
      SHOP,
      "--page-id",
      PAGE_ID,
      "--secret",
      JOINCHAT_SECRET,
      "--receipt",
      "on",
      "--unpaid",
      "off",
      "--package",
      "on",
      "--unpaid-delay",
      "45",
      "--recipient-preference",
      "phone",
      "--test-orders",
      "off",
      "--paused",
      "off",
      "--package-statuses",
      "shipped,delivered",
    );
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain(`Saved settings of ${SHOP}`);
    expect(r.out).toMatch(/Facebook page id\s+407898491811542/);
    expect(await settingsRow()).toMatchObject({
      page_id: PAGE_ID,
      receipt_enabled: 1,
      unpaid_enabled: 0,
      package_enabled: 1,
      unpaid_delay_minutes: 45,
      recipient_preference: "phone",
      test_orders_enabled: 0,
      paused: 0,
      package_statuses: "shipped,delivered",
    });
    expect(r.out).not.toContain(JOINCHAT_SECRET);
  });

  it("changes only the settings it is given, and normalises the shop domain", async () => {
    expect((await cli("shop", "configure", "--shop", SHOP, "--page-id", PAGE_ID, "--unpaid-delay", "30")).code).toBe(0);
    expect((await cli("shop", "configure", "--shop", SHOP.toUpperCase(), "--receipt", "off")).code).toBe(0);
    expect(await settingsRow()).toMatchObject({ page_id: PAGE_ID, unpaid_delay_minutes: 30, receipt_enabled: 0 });
    expect((await cli("shop", "configure", "--shop", SHOP, "--package-statuses", "all")).code).toBe(0);
    expect((await settingsRow())!.package_statuses).toBeNull();
  });

  describe("refuses, with exit code 2, a clear message and nothing saved:", () => {
    beforeEach(async () => {
      expect((await cli("shop", "configure", "--shop", SHOP, "--page-id", PAGE_ID, "--unpaid-delay", "15")).code).toBe(0);
    });

    it.each([
      ["a page id that is not digits", ["--page-id", "12ab"], /page id: digits only/],
      ["a page id with a space", ["--page-id", "123 456"], /digits only/],
      ["a secret too short", ["--secret", "short"], /secret must be the JoinChat API secret: 8 to 256 visible characters/],
      ["a secret with spaces", ["--secret", "has spaces in it"], /no spaces/],
      ["a negative unpaid delay", ["--unpaid-delay=-1"], /must be 0 or more minutes/],
      ["a negative unpaid delay as a separate argument", ["--unpaid-delay", "-1"], /--unpaid-delay/],
      ["an unpaid delay past 7 days", ["--unpaid-delay", "10081"], /at most 10080 minutes/],
      ["an unpaid delay that is not whole", ["--unpaid-delay", "1.5"], /--unpaid-delay must be a whole number/],
      ["an on/off flag that is neither", ["--receipt", "maybe"], /--receipt must be on or off, not "maybe"/],
      ["another on/off flag that is neither", ["--test-orders", "1"], /--test-orders must be on or off/],
      ["an unknown flag", ["--recipient", "email"], /Unknown option '--recipient'/],
      ["an unknown recipient preference", ["--recipient-preference", "sms"], /--recipient-preference.*'email' \| 'phone'/],
      ["an unknown tracking status", ["--package-statuses", "shipped,teleported"], /--package-statuses/],
      ["no setting at all", [], /nothing to configure/],
      // A bad value next to good ones: none of them is saved.
      ["a good page id with a bad delay", ["--page-id", "999", "--unpaid-delay", "20000"], /at most 10080/],
    ])("%s", async (_label, args, message) => {
      const before = await settingsRow();
      const r = await cli("shop", "configure", "--shop", SHOP, ...args);
      expect(r.code, r.out).toBe(2);
      expect(r.out).toMatch(/^error: /);
      expect(r.out).toMatch(message);
      expect(await settingsRow()).toEqual(before);
    });

    it.each(["not a shop", "shop.example.com", "my.shop.myshopify.com", "my_shop.myshopify.com"])("a bad shop domain: %s", async (shop) => {
      const r = await cli("shop", "configure", "--shop", shop, "--page-id", "1");
      expect(r.code, r.out).toBe(2);
      expect(r.out).toMatch(/shop must be a shop's myshopify.com domain/);
      expect(await h.db.all("SELECT shop FROM shop_settings")).toEqual([{ shop: SHOP }]);
    });

    it("a missing --shop", async () => {
      const r = await cli("shop", "configure", "--page-id", "1");
      expect([r.code, r.out]).toEqual([2, "error: --shop is required"]);
    });

    it("a secret without ENCRYPTION_KEY (and the page id given with it is not saved either)", async () => {
      const before = await settingsRow();
      const r = await cliWith({ ...env, ENCRYPTION_KEY: undefined }, "shop", "configure", "--shop", SHOP, "--page-id", "999", "--secret", JOINCHAT_SECRET);
      expect(r.code, r.out).toBe(2);
      expect(r.out).toMatch(/ENCRYPTION_KEY is required/);
      expect(r.out).not.toContain(JOINCHAT_SECRET);
      expect(await settingsRow()).toEqual(before);
    });

    it("a secret with an ENCRYPTION_KEY that is not 32 bytes", async () => {
      const before = await settingsRow();
      const r = await cliWith({ ...env, ENCRYPTION_KEY: randomBytes(16).toString("base64") }, "shop", "configure", "--shop", SHOP, "--secret", JOINCHAT_SECRET);
      expect(r.code, r.out).toBe(2);
      expect(r.out).toMatch(/ENCRYPTION_KEY must be 32 bytes/);
      expect(await settingsRow()).toEqual(before);
    });
  });

  it("turns the notices on only where JOINCHAT_SEND_API_URL is set, and they are off by default", async () => {
    const first = await cli("shop", "configure", "--shop", SHOP, "--page-id", PAGE_ID);
    expect(first.out).toMatch(/cancellation notice\s+off/);
    expect(first.out).toMatch(/refund notice\s+off/);
    const refused = await cli("shop", "configure", "--shop", SHOP, "--cancel-notice", "on", "--refund-notice", "on");
    expect(refused.code).toBe(2);
    expect(refused.out).toMatch(/--cancel-notice cannot be turned on: JOINCHAT_SEND_API_URL/);
    expect(refused.out).toMatch(/--refund-notice cannot be turned on: JOINCHAT_SEND_API_URL/);
    const off = await cli("shop", "configure", "--shop", SHOP, "--cancel-notice", "off");
    expect(off.code, off.out).toBe(0);
    const on = await cliWith(
      { ...env, JOINCHAT_SEND_API_URL: "https://joinchat.example/api/send_message" },
      "shop",
      "configure",
      "--shop",
      SHOP,
      "--cancel-notice",
      "on",
      "--refund-notice",
      "on",
    );
    expect(on.code, on.out).toBe(0);
    expect(on.out).toMatch(/cancellation notice\s+on/);
    expect(on.out).toMatch(/refund notice\s+on/);
  });

  it("works without ENCRYPTION_KEY when no secret is given", async () => {
    const r = await cliWith({ DATABASE_URL: env.DATABASE_URL }, "shop", "configure", "--shop", SHOP, "--page-id", PAGE_ID);
    expect(r.code, r.out).toBe(0);
  });
});

describe("the JoinChat API secret", () => {
  it("--secret - reads it from standard input (npm run cli's entry): kept out of argv and the shell's history", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "app/cli/main.ts", "shop", "configure", "--shop", SHOP, "--page-id", PAGE_ID, "--secret", "-"], {
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env } as unknown as NodeJS.ProcessEnv,
      stdio: ["pipe", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (c: Buffer) => (output += c.toString()));
    child.stderr.on("data", (c: Buffer) => (output += c.toString()));
    child.stdin.end(`${JOINCHAT_SECRET}\n`);
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    expect(code, output).toBe(0);
    expect(output).not.toContain(JOINCHAT_SECRET);
    expect(createSecretBox(ENCRYPTION_KEY).decrypt((await settingsRow())!.secret_ciphertext as string, SHOP)).toBe(JOINCHAT_SECRET);

    const empty = await runCli(["shop", "configure", "--shop", SHOP, "--secret", "-"], { out: () => {}, env, stdin: async () => "" });
    expect(empty).toBe(2);
  });

  it("is encrypted at rest: not in the row, readable with the key, not with another", async () => {
    expect((await cli("shop", "configure", "--shop", SHOP, "--page-id", PAGE_ID, "--secret", JOINCHAT_SECRET)).code).toBe(0);
    const row = (await settingsRow())!;
    const sealed = row.secret_ciphertext as string;
    expect(sealed).toMatch(/^v2\.k0\./);
    expect(sealed).not.toContain(JOINCHAT_SECRET);
    expect(sealed).not.toContain(Buffer.from(JOINCHAT_SECRET).toString("base64").slice(0, 12));
    expect(Number(row.secret_set_at)).toBeGreaterThan(0);
    expect(createSecretBox(ENCRYPTION_KEY).decrypt(sealed, SHOP)).toBe(JOINCHAT_SECRET);
    expect(() => createSecretBox(randomBytes(32).toString("base64")).decrypt(sealed, SHOP)).toThrow(SecretBoxError);
    // Bound to its shop: the same ciphertext does not open for another.
    expect(() => createSecretBox(ENCRYPTION_KEY).decrypt(sealed, "another-shop.myshopify.com")).toThrow(SecretBoxError);
    // Nowhere else in the database either.
    const dump = JSON.stringify(await h.db.all("SELECT * FROM shop_settings"));
    expect(dump).not.toContain(JOINCHAT_SECRET);
    // Setting it twice seals it afresh.
    await cli("shop", "configure", "--shop", SHOP, "--secret", JOINCHAT_SECRET);
    expect((await settingsRow())!.secret_ciphertext).not.toBe(sealed);
  });

  it("is never printed by shop show, as text or JSON", async () => {
    await cli("shop", "configure", "--shop", SHOP, "--page-id", PAGE_ID, "--secret", JOINCHAT_SECRET);
    const sealed = (await settingsRow())!.secret_ciphertext as string;
    const text = await cli("shop", "show", "--shop", SHOP);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/JoinChat API secret\s+set /);
    const json = await cli("shop", "show", "--shop", SHOP, "--json");
    expect(json.code).toBe(0);
    expect(JSON.parse(json.out)).toMatchObject({ shop: SHOP, pageId: PAGE_ID, secretSet: true });
    for (const out of [text.out, json.out]) {
      expect(out).not.toContain(JOINCHAT_SECRET);
      expect(out).not.toContain(sealed);
    }
  });

  it("shop show of an unknown shop says what to do", async () => {
    const r = await cli("shop", "show", "--shop", SHOP);
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/no settings yet: run shop configure/);
  });
});

describe("pushes", () => {
  let sandbox: JoinChatSandbox;
  beforeAll(async () => {
    sandbox = await startJoinChatSandbox({ port: 0, defaultSecret: JOINCHAT_SECRET });
  });
  afterAll(async () => {
    await sandbox.close();
  });
  beforeEach(() => sandbox.reset());

  function order(n: number, overrides: Record<string, unknown> = {}) {
    const id = bigId(n);
    return buildOrderJson({ id, admin_graphql_api_id: `gid://shopify/Order/${id}`, name: `#${4000 + n}`, ...overrides });
  }

  /** What deliverPush needs, pointed at the sandbox, with the given retry policy. */
  function deliveryDeps(policy = { baseMs: 1_000, capMs: 10_000, maxAgeMs: 60_000 }) {
    return {
      db: h.db,
      box: h.box,
      adminApi: createTestShopifyAdmin(h.db, 200),
      joinchatUrl: sandbox.url,
      singleShopSecret: { shop: SHOP, secret: JOINCHAT_SECRET },
      timeoutMs: 5_000,
      policy,
    };
  }

  /** Sends what is due to the sandbox, as the worker would. */
  async function deliverDue() {
    const deps = deliveryDeps();
    for (const push of await claimDuePushes(h.db, Date.now(), 100, 60_000)) await deliverPush(deps, push);
  }

  /** One delivered receipt (#4001), one failed with 10010 (#4002), one skipped (#4003). */
  async function someHistory() {
    await h.configure({ pageId: PAGE_ID });
    await h.send("orders/create", order(1, { note_attributes: [], email: "first@example.com", contact_email: null, customer: null }));
    await deliverDue();
    sandbox.setKnownRecipients(["first@example.com"]);
    await h.send("orders/create", order(2, { note_attributes: [], email: "unknown@example.com", contact_email: null, customer: null }));
    await deliverDue();
    sandbox.setKnownRecipients(null);
    await h.send("orders/create", order(3, { cancelled_at: "2026-04-14T11:00:00-04:00" }));
    const rows = await h.pushes();
    expect(rows.map((r) => [r.order_name, r.status])).toEqual([
      ["#4001", "delivered"],
      ["#4002", "failed"],
      ["#4003", "skipped"],
    ]);
    return rows;
  }

  it("pushes list --json gives every push of the shop, newest first, contacts masked", async () => {
    const rows = await someHistory();
    const r = await cli("pushes", "list", "--shop", SHOP, "--json");
    expect(r.code, r.out).toBe(0);
    const listed = JSON.parse(r.out) as { id: number; status: string; orderName: string; recipient: string; reason: string | null; lastError: string | null }[];
    expect(listed.map((p) => [p.id, p.orderName, p.status])).toEqual([
      [rows[2].id, "#4003", "skipped"],
      [rows[1].id, "#4002", "failed"],
      [rows[0].id, "#4001", "delivered"],
    ]);
    expect(listed[0].reason).toBe("order_cancelled");
    expect(listed[1].lastError).toBe("10010 Recipient not found");
    expect(listed[2].recipient).toBe("f***@example.com");
    expect(r.out).not.toContain("first@example.com");
    expect(r.out).not.toContain("unknown@example.com");
  });

  it("pushes list prints a table with a header and one line per push", async () => {
    await someHistory();
    const r = await cli("pushes", "list", "--shop", SHOP);
    expect(r.code).toBe(0);
    expect(r.lines[0]).toMatch(/^id\s+created\s+topic\s+order\s+status\s+attempts\s+recipient\s+note$/);
    expect(r.lines).toHaveLength(4);
    expect(r.lines[1]).toMatch(/Order\/Receipt\s+#4003\s+skipped\s+0\s+.*cancelled$/);
    expect(r.lines[2]).toMatch(/#4002\s+failed\s+1\s+u\*\*\*@example.com\s+10010 Recipient not found$/);
    expect(r.lines[3]).toMatch(/#4001\s+delivered\s+1\s+f\*\*\*@example.com/);
    expect(r.out).not.toContain("first@example.com");
  });

  it("pushes list --status filters, and refuses an unknown status", async () => {
    await someHistory();
    const failed = JSON.parse((await cli("pushes", "list", "--shop", SHOP, "--status", "failed", "--json")).out) as { orderName: string }[];
    expect(failed.map((p) => p.orderName)).toEqual(["#4002"]);
    const two = JSON.parse((await cli("pushes", "list", "--shop", SHOP, "--status", "failed,delivered", "--json")).out) as { orderName: string }[];
    expect(two.map((p) => p.orderName)).toEqual(["#4002", "#4001"]);
    const none = await cli("pushes", "list", "--shop", SHOP, "--status", "queued");
    expect([none.code, none.out]).toEqual([0, `No pushes of ${SHOP} with status queued.`]);
    const bad = await cli("pushes", "list", "--shop", SHOP, "--status", "lost");
    expect(bad.code).toBe(2);
    expect(bad.out).toMatch(/unknown status "lost"/);
  });

  it("pushes retry <id> queues a failed push again, with a fresh key; the worker then delivers it", async () => {
    const rows = await someHistory();
    const failed = rows[1];
    const r = await cli("pushes", "retry", String(failed.id));
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(new RegExp(`Push ${failed.id} \\(Order/Receipt #4002\\) is queued again`));
    const requeued = (await getPush(h.db, failed.id))!;
    expect(requeued).toMatchObject({ status: "queued", body: null, first_attempt_at: null, locked_until: null });
    // JoinChat refused it for good: nothing was delivered under the old key, a new one goes.
    expect(requeued.idempotency_key).not.toBe(failed.idempotency_key);
    await deliverDue();
    expect((await getPush(h.db, failed.id))!.status).toBe("delivered");
  });

  it("pushes retry of a push given up on timeouts keeps its key and body: JoinChat may have it already", async () => {
    await h.configure({ pageId: PAGE_ID });
    await h.send("orders/create", order(5));
    sandbox.fail({ mode: "status", status: 503, count: 1 });
    // No time left for a second attempt.
    const deps = deliveryDeps({ baseMs: 1_000, capMs: 1_000, maxAgeMs: 1 });
    const [claimed] = await claimDuePushes(h.db, Date.now(), 10, 60_000);
    expect(await deliverPush(deps, claimed)).toBe("failed");
    const failed = (await getPush(h.db, claimed.id))!;
    expect(failed.reason).toBe("retries_exhausted");
    const r = await cli("pushes", "retry", String(failed.id));
    expect(r.code, r.out).toBe(0);
    expect((await getPush(h.db, failed.id))!).toMatchObject({ status: "queued", idempotency_key: failed.idempotency_key, body: failed.body });
  });

  it("pushes retry refuses a delivered, a skipped and an unknown push with exit code 2, changing nothing", async () => {
    const rows = await someHistory();
    for (const [id, message] of [
      [rows[0].id, /is delivered: only a failed push can be retried/],
      [rows[2].id, /is skipped: only a failed push can be retried/],
      [999_999, /push 999999 not found/],
    ] as const) {
      const before = await getPush(h.db, id);
      const r = await cli("pushes", "retry", String(id));
      expect(r.code, r.out).toBe(2);
      expect(r.out).toMatch(message);
      expect(await getPush(h.db, id)).toEqual(before);
    }
    expect((await cli("pushes", "retry", "abc")).code).toBe(2);
  });
});

describe("webhook send", () => {
  let server: ReturnType<typeof createServer>;
  let url: string;
  let received: { method: string; path: string; headers: IncomingHttpHeaders; body: Buffer }[];
  let answerStatus: number;
  const payloadFile = () => {
    const file = path.join(path.dirname(h.file), "order.json");
    writeFileSync(file, buildOrderJson({}, 2));
    return file;
  };

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        received.push({ method: req.method ?? "", path: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks) });
        res.writeHead(answerStatus, { "content-type": "application/json" });
        res.end(JSON.stringify(answerStatus === 200 ? { ok: true } : { error: "nope" }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  beforeEach(() => {
    received = [];
    answerStatus = 200;
  });

  it("posts the file's exact bytes to /webhooks/<topic>, signed with SHOPIFY_API_SECRET as Shopify signs", async () => {
    const file = payloadFile();
    const r = await cli("webhook", "send", "--topic", "orders/create", "--shop", SHOP, "--file", file, "--url", url, "--webhook-id", "wh-cli-1");
    expect(r.code, r.out).toBe(0);
    expect(r.out).toBe('200 {"ok":true}');
    expect(received).toHaveLength(1);
    const req = received[0];
    expect([req.method, req.path]).toEqual(["POST", "/webhooks/orders/create"]);
    const bytes = Buffer.from(buildOrderJson({}, 2));
    expect(req.body.equals(bytes)).toBe(true);
    expect(req.headers["x-shopify-hmac-sha256"]).toBe(createHmac("sha256", APP_SECRET).update(bytes).digest("base64"));
    expect(req.headers).toMatchObject({
      "content-type": "application/json",
      "x-shopify-topic": "orders/create",
      "x-shopify-shop-domain": SHOP,
      "x-shopify-webhook-id": "wh-cli-1",
      "x-shopify-api-version": SHOPIFY_API_VERSION,
    });
    expect(Number.isNaN(Date.parse(req.headers["x-shopify-triggered-at"] as string))).toBe(false);
  });

  it("gives every send its own webhook id unless told", async () => {
    const file = payloadFile();
    await cli("webhook", "send", "--topic", "orders/paid", "--shop", SHOP, "--file", file, "--url", url);
    await cli("webhook", "send", "--topic", "orders/paid", "--shop", SHOP, "--file", file, "--url", url);
    expect(received.map((r) => r.path)).toEqual(["/webhooks/orders/paid", "/webhooks/orders/paid"]);
    expect(received[0].headers["x-shopify-webhook-id"]).not.toBe(received[1].headers["x-shopify-webhook-id"]);
  });

  it.each([401, 404, 500, 503])("exits 1 when the app answers %i, and prints the answer", async (status) => {
    answerStatus = status;
    const r = await cli("webhook", "send", "--topic", "orders/create", "--shop", SHOP, "--file", payloadFile(), "--url", url);
    expect(r.code, r.out).toBe(1);
    expect(r.lines[0]).toBe(`${status} {"error":"nope"}`);
    expect(r.out).toContain(`the app answered ${status}`);
  });

  it("exits 1 when the app cannot be reached", async () => {
    const r = await cli("webhook", "send", "--topic", "orders/create", "--shop", SHOP, "--file", payloadFile(), "--url", "http://127.0.0.1:9");
    expect(r.code, r.out).toBe(1);
    expect(r.out).toMatch(/cannot reach/);
  });

  it("refuses with exit 2 an unknown topic, a missing file, a missing SHOPIFY_API_SECRET; nothing is sent", async () => {
    const file = payloadFile();
    const cases = [
      [env, ["--topic", "orders/updated", "--shop", SHOP, "--file", file], /--topic must be one of/],
      [env, ["--topic", "orders/create", "--shop", SHOP, "--file", `${file}.missing`], /cannot read/],
      [env, ["--topic", "orders/create", "--shop", "nope", "--file", file], /myshopify.com domain/],
      [{ ...env, SHOPIFY_API_SECRET: undefined }, ["--topic", "orders/create", "--shop", SHOP, "--file", file], /SHOPIFY_API_SECRET is required/],
    ] as const;
    for (const [environment, args, message] of cases) {
      const r = await cliWith(environment, "webhook", "send", ...args, "--url", url);
      expect(r.code, r.out).toBe(2);
      expect(r.out).toMatch(message);
    }
    expect(received).toEqual([]);
  });
});
