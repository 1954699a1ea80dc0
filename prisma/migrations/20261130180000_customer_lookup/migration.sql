-- Customer lookups (decision 019): per shop the lookup URL's key and privacy switches, per order its lookup token and
-- what an order lookup answers from, the lookup log, and the product catalogue.
-- CreateTable
CREATE TABLE "lookup_setup" (
    "shop" TEXT NOT NULL PRIMARY KEY,
    "lookup_key" TEXT NOT NULL,
    "hash_salt" TEXT NOT NULL,
    "allow_order_name" INTEGER NOT NULL DEFAULT 0,
    "full_receipts" INTEGER NOT NULL DEFAULT 0,
    "last_test_at" BIGINT,
    "created_at" BIGINT NOT NULL,
    "updated_at" BIGINT NOT NULL
);

-- CreateTable
CREATE TABLE "order_token" (
    "token" TEXT NOT NULL PRIMARY KEY,
    "shop" TEXT NOT NULL,
    "order_gid" TEXT NOT NULL,
    "expires_at" BIGINT NOT NULL,
    "created_at" BIGINT NOT NULL
);

-- CreateTable
CREATE TABLE "lookup_order" (
    "shop" TEXT NOT NULL,
    "order_gid" TEXT NOT NULL,
    "name_key" TEXT NOT NULL,
    "confirmation_number" TEXT,
    "email_key" TEXT,
    "phone_key" TEXT,
    "receipt" TEXT NOT NULL,
    "paid" INTEGER NOT NULL DEFAULT 0,
    "closed" INTEGER NOT NULL DEFAULT 0,
    "tracking_status" TEXT,
    "tracking_url" TEXT,
    "created_at_ms" BIGINT NOT NULL,
    "updated_at" BIGINT NOT NULL,

    PRIMARY KEY ("shop", "order_gid")
);

-- CreateTable
CREATE TABLE "lookup_log" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "shop" TEXT NOT NULL,
    "method" TEXT NOT NULL,
    "outcome" TEXT NOT NULL,
    "identifier_hash" TEXT,
    "at" BIGINT NOT NULL
);

-- CreateTable
CREATE TABLE "catalogue_product" (
    "shop" TEXT NOT NULL,
    "product_gid" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "handle" TEXT NOT NULL,
    "product_type" TEXT NOT NULL,
    "vendor" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "description" TEXT NOT NULL,
    "image_url" TEXT,
    "price" TEXT,
    "variant_id" TEXT,
    "product_created" BIGINT NOT NULL,
    "product_updated" BIGINT NOT NULL,
    "updated_at" BIGINT NOT NULL,

    PRIMARY KEY ("shop", "product_gid")
);

-- CreateIndex
CREATE UNIQUE INDEX "lookup_setup_lookup_key_key" ON "lookup_setup"("lookup_key");

-- CreateIndex
CREATE UNIQUE INDEX "order_token_shop_order_gid_key" ON "order_token"("shop", "order_gid");

-- CreateIndex
CREATE INDEX "lookup_order_shop_name_key_idx" ON "lookup_order"("shop", "name_key");

-- CreateIndex
CREATE INDEX "lookup_order_shop_confirmation_number_idx" ON "lookup_order"("shop", "confirmation_number");

-- CreateIndex
CREATE INDEX "lookup_order_shop_email_key_idx" ON "lookup_order"("shop", "email_key");

-- CreateIndex
CREATE INDEX "lookup_order_shop_phone_key_idx" ON "lookup_order"("shop", "phone_key");

-- CreateIndex
CREATE INDEX "lookup_log_shop_at_idx" ON "lookup_log"("shop", "at");

-- CreateIndex
CREATE INDEX "lookup_log_shop_identifier_hash_at_idx" ON "lookup_log"("shop", "identifier_hash", "at");

-- CreateIndex
CREATE INDEX "catalogue_product_shop_status_idx" ON "catalogue_product"("shop", "status");

