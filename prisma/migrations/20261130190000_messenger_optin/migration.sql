-- The Messenger opt-in (docs/decisions/020-messenger-optin.md): the merchant's switch and button words, and the
-- PSIDs buyers bound to their orders.
ALTER TABLE "shop_settings" ADD COLUMN "optin_enabled" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "shop_settings" ADD COLUMN "optin_button_en" TEXT;
ALTER TABLE "shop_settings" ADD COLUMN "optin_button_zh_cn" TEXT;

CREATE TABLE "messenger_binding" (
    "shop" TEXT NOT NULL,
    "order_gid" TEXT NOT NULL,
    "customer_gid" TEXT,
    "psid" TEXT NOT NULL,
    "bound_at" BIGINT NOT NULL,

    PRIMARY KEY ("shop", "order_gid")
);

CREATE INDEX "messenger_binding_shop_customer_gid_idx" ON "messenger_binding"("shop", "customer_gid");
