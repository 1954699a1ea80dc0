// `secrets rotate` while the app writes (decision 022): each row changes only if it still holds what rotation read, so
// a secret the merchant saves, or a token the Shopify library stores, at that moment stands; rotation reads the row
// again and finds it current.
import { randomBytes } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Sql } from "../../app/db/database.server";
import { createSecretBox } from "../../app/settings/secret-box.server";
import { getShopSecret } from "../../app/settings/settings.server";
import { rotateStoredSecrets } from "../../app/settings/stored-secrets.server";
import { createHarness, ENCRYPTION_KEY, PAGE_ID, SHOP, type Harness } from "./support";

let h: Harness;
beforeEach(() => {
  h = createHarness();
});
afterEach(async () => {
  await h.close();
});

/** The database, with `before` run once just before the first statement that matches `pattern`. */
function raceBefore(sql: Sql, pattern: RegExp, before: () => Promise<void>): Sql {
  let raced = false;
  const race = async (text: string) => {
    if (raced || !pattern.test(text)) return;
    raced = true;
    await before();
  };
  return {
    kind: sql.kind,
    all: async (text, params) => (await race(text), sql.all(text, params)),
    get: async (text, params) => (await race(text), sql.get(text, params)),
    run: async (text, params) => (await race(text), sql.run(text, params)),
  };
}

describe("secrets rotate while the app writes", () => {
  it("a secret the merchant saves between rotation's read and its write stands", async () => {
    const ring = createSecretBox(`k2:${randomBytes(32).toString("base64")},${ENCRYPTION_KEY}`);
    await h.configure({ pageId: PAGE_ID, secret: "old-secret-value" });
    // The merchant's save goes through the app, which writes with the ring's first key.
    const racing = raceBefore(h.db, /^UPDATE shop_settings SET secret_ciphertext/, async () => {
      await h.db.run("UPDATE shop_settings SET secret_ciphertext = ? WHERE shop = ?", [ring.encrypt("new-secret-value", SHOP), SHOP]);
    });
    const report = await rotateStoredSecrets(racing, ring);
    expect(report.joinchatSecrets).toEqual({ reencrypted: 0, current: 1, unreadable: 0 });
    expect(await getShopSecret(h.db, SHOP, ring)).toBe("new-secret-value");
  });

  it("a token the library stores meanwhile stands; a token in clear is sealed bound to its shop", async () => {
    const ring = createSecretBox(`k2:${randomBytes(32).toString("base64")},${ENCRYPTION_KEY}`);
    await h.db.run(`INSERT INTO "Session" ("id", "shop", "state", "isOnline", "scope", "accessToken") VALUES (?, ?, '', false, 'read_orders', ?)`, [
      `offline_${SHOP}`,
      SHOP,
      "shpat_clear_before",
    ]);
    const racing = raceBefore(h.db, /^UPDATE "Session" SET "accessToken"/, async () => {
      await h.db.run(`UPDATE "Session" SET "accessToken" = ? WHERE "id" = ?`, [ring.encrypt("shpat_exchanged", SHOP, "access_token"), `offline_${SHOP}`]);
    });
    const report = await rotateStoredSecrets(racing, ring);
    expect(report.shopifyTokens).toEqual({ reencrypted: 0, current: 1, unreadable: 0 });
    const row = await h.db.get<{ accessToken: string }>(`SELECT "accessToken" FROM "Session" WHERE "id" = ?`, [`offline_${SHOP}`]);
    expect(ring.decrypt(row!.accessToken, SHOP, "access_token")).toBe("shpat_exchanged");

    // Without a race: the clear token is sealed, and opens for its shop only.
    await h.db.run(`UPDATE "Session" SET "accessToken" = ? WHERE "id" = ?`, ["shpat_clear_again", `offline_${SHOP}`]);
    expect((await rotateStoredSecrets(h.db, ring)).shopifyTokens).toEqual({ reencrypted: 1, current: 0, unreadable: 0 });
    const sealed = (await h.db.get<{ accessToken: string }>(`SELECT "accessToken" FROM "Session" WHERE "id" = ?`, [`offline_${SHOP}`]))!.accessToken;
    expect(sealed).toMatch(/^v2\.k2\./);
    expect(ring.decrypt(sealed, SHOP, "access_token")).toBe("shpat_clear_again");
    expect(() => ring.decrypt(sealed, "another-shop.myshopify.com", "access_token")).toThrow();
  });
});
