// npm run cli -- orders optin-link (issue 16, point 5): the order's Messenger opt-in link, the same the Thank-you and
// Order status block shows (the shop's page on m.me, the order's lookup token as ref), through runCli on a migrated
// SQLite file.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../../app/cli/main";
import { updateShopSettings } from "../../app/settings/settings.server";
import { createSecretBox } from "../../app/settings/secret-box.server";
import { createHarness, ENCRYPTION_KEY, PAGE_ID, SHOP, type Harness } from "./support";

let h: Harness;
let env: Record<string, string | undefined>;
beforeEach(() => {
  h = createHarness();
  env = { DATABASE_URL: `file:${h.file}`, ENCRYPTION_KEY };
});
afterEach(async () => {
  await h.close();
});

async function cli(...argv: string[]) {
  const lines: string[] = [];
  const code = await runCli(argv, { out: (line) => lines.push(line), env });
  return { code, lines, out: lines.join("\n") };
}

describe("orders optin-link", () => {
  it("prints the order's m.me link with its lookup token, the same for the id and the GID, and says when the block is off", async () => {
    await updateShopSettings(h.db, SHOP, { pageId: PAGE_ID }, createSecretBox(ENCRYPTION_KEY));
    const byId = await cli("orders", "optin-link", "--shop", SHOP, "--order", "450789469");
    expect(byId.code, byId.out).toBe(0);
    const token = (await h.db.get<{ token: string }>("SELECT token FROM order_token WHERE shop = ? AND order_gid = ?", [
      SHOP,
      "gid://shopify/Order/450789469",
    ]))!.token;
    expect(byId.lines[0]).toBe(`https://m.me/${PAGE_ID}?ref=${token}`);
    expect(byId.lines[1]).toMatch(/^ref valid until \d{4}-\d{2}-\d{2} .* UTC; the opt-in block is off/);
    const byGid = await cli("orders", "optin-link", "--shop", SHOP, "--order", "gid://shopify/Order/450789469", "--json");
    expect(JSON.parse(byGid.out)).toMatchObject({ url: byId.lines[0], ref: token, optinEnabled: false });
  });

  it("refuses a shop without a linked page, and an order that is not one", async () => {
    expect((await cli("orders", "optin-link", "--shop", SHOP, "--order", "1")).code).toBe(1);
    expect((await cli("orders", "optin-link", "--shop", SHOP, "--order", "#1001")).code).toBe(2);
    expect(await h.db.all("SELECT * FROM order_token")).toEqual([]);
  });
});
