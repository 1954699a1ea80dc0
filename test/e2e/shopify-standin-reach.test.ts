// The production app's processes (the web process, and the BullMQ workers on PostgreSQL) reach the Shopify stand-in
// with nothing but Node's own proxy settings and the stand-in's CA in their environment: the app has no setting of
// its own for where Shopify is. A receipt's product image comes from the stand-in, asked with the shop's token.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildOrderJson, PRODUCT_GID } from "../fixtures/orders";
import { startAppProcess, TEST_JOINCHAT_API_SECRET, uniqueShop, waitFor, waitForSettled, type AppProcess } from "../helpers/app-process";
import { E2E_BACKENDS } from "../helpers/backends";
import { receivedBy } from "../helpers/e2e-stack";
import { startShopifyStandIn, type ShopifyStandIn } from "../helpers/shopify-standin";
import { startJoinChatSandbox, type JoinChatSandbox } from "../sandbox/joinchat-sandbox";

const IMAGE = "https://cdn.shopify.com/s/files/1/standin-product.png";

for (const { backend, skip } of E2E_BACKENDS) {
  describe.skipIf(skip)(`the app reaches the Shopify stand-in on ${backend.label}`, () => {
    let standIn: ShopifyStandIn;
    let sandbox: JoinChatSandbox;
    let app: AppProcess;

    beforeAll(async () => {
      standIn = await startShopifyStandIn();
      sandbox = await startJoinChatSandbox({ defaultSecret: TEST_JOINCHAT_API_SECRET });
      // The Admin API layer of the app's processes knows the app by the stand-in's credentials; the lookups' time
      // limit leaves room for the first TLS handshake through the proxy on a loaded machine.
      app = await startAppProcess({
        joinchatUrl: sandbox.url,
        backend,
        shopify: standIn,
        env: { SHOPIFY_API_KEY: standIn.apiKey, SHOPIFY_ADMIN_API_TIMEOUT_MS: "2000", ...(backend.kind === "postgres" ? { DELIVERY_LEASE_MS: "12000" } : {}) },
      });
    });
    afterAll(async () => {
      await app?.stop().catch(() => app.kill("SIGKILL"));
      await sandbox?.close();
      await standIn?.close();
    });

    it("asks the stand-in for a receipt's product image with the shop's token, through the proxy", { timeout: 30_000 }, async () => {
      const shop = uniqueShop("standin-reach");
      standIn.shop(shop).addProduct(PRODUCT_GID, { imageUrl: IMAGE });
      const { accessToken, scope } = standIn.issueOfflineToken(shop, { expiring: false });
      await app.db.run(`INSERT INTO "Session" ("id", "shop", "state", "isOnline", "scope", "accessToken") VALUES (?, ?, '', false, ?, ?)`, [
        `offline_${shop}`,
        shop,
        scope,
        accessToken,
      ]);
      await app.configureShop(shop);
      const res = await app.sendWebhook("orders/create", shop, buildOrderJson({ financial_status: "paid" }));
      expect(res.status, res.text).toBe(200);
      await waitForSettled(app, shop);
      await waitFor(() => receivedBy(sandbox, shop, "Order/Receipt").length === 1, 10_000, "the receipt");

      const elements = receivedBy(sandbox, shop, "Order/Receipt")[0].params.elements as { image_url?: string }[];
      expect(elements[0].image_url, app.logs().slice(-3000)).toBe(IMAGE);
      expect(standIn.countCalls({ shop, endpoint: "graphql", operation: "ProductImages", token: accessToken, outcome: "ok" })).toBe(1);
      // The JoinChat sandbox on 127.0.0.1 was reached directly, and nothing else went through the proxy.
      expect(standIn.refusedHosts).toEqual([]);
    });
  });
}
