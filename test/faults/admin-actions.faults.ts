// Hostile input through the merchant admin's actions on the production server: a page id or secret of the wrong
// shape (and SQL-looking text) is refused with a clear answer, nothing is saved, no secret comes back, the app serves on.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BROWSER_APP_JOINCHAT_SECRET, CHROME_UA, startAdminServer, type AdminServer } from "../browser/admin-server";
import { startJoinChatSandbox, type JoinChatSandbox } from "../sandbox/joinchat-sandbox";
import { recordScenario } from "./summary";

const SHOP = "faults-admin.myshopify.com";
let sandbox: JoinChatSandbox;
let server: AdminServer;

beforeAll(async () => {
  sandbox = await startJoinChatSandbox({ defaultSecret: BROWSER_APP_JOINCHAT_SECRET });
  server = await startAdminServer({ shop: SHOP, joinchatUrl: sandbox.url });
});

afterAll(async () => {
  await server?.stop();
  await sandbox?.close();
});

const settingsRows = () => JSON.stringify(server.db.prepare("SELECT * FROM shop_settings").all());

async function link(input: Record<string, unknown>) {
  const res = await fetch(`${server.url}/app?index&_data=${encodeURIComponent("routes/app._index")}`, {
    method: "POST",
    headers: { authorization: `Bearer ${await server.sessionToken()}`, "content-type": "application/json", "user-agent": CHROME_UA },
    body: JSON.stringify({ intent: "link", ...input }),
  });
  return { status: res.status, text: await res.text() };
}

const SECRET = "a-good-joinchat-secret-42";
const HOSTILE: [string, Record<string, unknown>][] = [
  ["a page id with letters", { pageId: "12ab34", secret: SECRET }],
  ["a page id that looks like SQL", { pageId: "1; DROP TABLE shop_settings; --", secret: SECRET }],
  ["a secret too short", { pageId: "407898491811542", secret: "short" }],
  ["a secret with spaces", { pageId: "407898491811542", secret: "has spaces in it" }],
  ["a secret that is not text", { pageId: "407898491811542", secret: 12345678 }],
];

let refused = 0;

describe("hostile input through the admin actions", () => {
  it.each(HOSTILE)("%s: refused with a clear answer, nothing saved", async (_name, input) => {
    const before = settingsRows();
    const answer = await link(input);
    expect(answer.status).toBe(400);
    expect(answer.text).toMatch(/pageId|secret/);
    if (typeof input.secret === "string") expect(answer.text).not.toContain(input.secret);
    expect(settingsRows()).toBe(before);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    refused += 1;
  });

  it("a good page id and secret are taken, and the secret never comes back", async () => {
    const answer = await link({ pageId: "407898491811542", secret: SECRET });
    expect(answer.status).toBe(200);
    expect(answer.text).not.toContain(SECRET);
    const row = server.db.prepare("SELECT page_id, secret_ciphertext FROM shop_settings WHERE shop = ?").get(SHOP) as {
      page_id: string;
      secret_ciphertext: string;
    };
    expect(row.page_id).toBe("407898491811542");
    expect(row.secret_ciphertext).not.toContain(SECRET);
    expect(server.logs()).not.toContain(SECRET);
    recordScenario({
      scenario: "hostile admin actions (refused, nothing saved)",
      webhooks: 0,
      expected: "0",
      delivered: sandbox.received.length,
      doubled: 0,
      lost: HOSTILE.length - refused,
    });
  });
});
