-- CreateTable
CREATE TABLE "Session" (
    "id" TEXT NOT NULL,
    "shop" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "isOnline" BOOLEAN NOT NULL DEFAULT false,
    "scope" TEXT,
    "expires" TIMESTAMP(3),
    "accessToken" TEXT NOT NULL,
    "userId" BIGINT,
    "firstName" TEXT,
    "lastName" TEXT,
    "email" TEXT,
    "accountOwner" BOOLEAN NOT NULL DEFAULT false,
    "locale" TEXT,
    "collaborator" BOOLEAN DEFAULT false,
    "emailVerified" BOOLEAN DEFAULT false,
    "refreshToken" TEXT,
    "refreshTokenExpires" TIMESTAMP(3),

    CONSTRAINT "Session_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "shop_settings" (
    "shop" TEXT NOT NULL,
    "page_id" TEXT,
    "secret_ciphertext" TEXT,
    "secret_set_at" BIGINT,
    "receipt_enabled" INTEGER NOT NULL DEFAULT 1,
    "unpaid_enabled" INTEGER NOT NULL DEFAULT 1,
    "package_enabled" INTEGER NOT NULL DEFAULT 1,
    "unpaid_delay_minutes" INTEGER NOT NULL DEFAULT 0,
    "recipient_preference" TEXT NOT NULL DEFAULT 'email',
    "test_orders_enabled" INTEGER NOT NULL DEFAULT 1,
    "paused" INTEGER NOT NULL DEFAULT 0,
    "package_statuses" TEXT,
    "created_at" BIGINT NOT NULL,
    "updated_at" BIGINT NOT NULL,

    CONSTRAINT "shop_settings_pkey" PRIMARY KEY ("shop")
);

-- CreateTable
CREATE TABLE "webhook_delivery" (
    "shop" TEXT NOT NULL,
    "webhook_id" TEXT NOT NULL,
    "topic" TEXT NOT NULL,
    "api_version" TEXT,
    "event_id" TEXT,
    "triggered_at" TEXT,
    "resource_gid" TEXT,
    "outcome" TEXT,
    "received_at" BIGINT NOT NULL,

    CONSTRAINT "webhook_delivery_pkey" PRIMARY KEY ("shop","webhook_id")
);

-- CreateTable
CREATE TABLE "shopify_order" (
    "shop" TEXT NOT NULL,
    "order_gid" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "customer_gid" TEXT,
    "email" TEXT,
    "phone" TEXT,
    "psid" TEXT,
    "recipient_name" TEXT,
    "order_status_url" TEXT,
    "test" INTEGER NOT NULL DEFAULT 0,
    "cancelled" INTEGER NOT NULL DEFAULT 0,
    "paid" INTEGER NOT NULL DEFAULT 0,
    "created_at_ms" BIGINT NOT NULL,
    "updated_at" BIGINT NOT NULL,

    CONSTRAINT "shopify_order_pkey" PRIMARY KEY ("shop","order_gid")
);

-- CreateTable
CREATE TABLE "fulfillment_state" (
    "shop" TEXT NOT NULL,
    "fulfillment_gid" TEXT NOT NULL,
    "order_gid" TEXT,
    "furthest_status" TEXT NOT NULL,
    "newest_updated_at" BIGINT NOT NULL,
    "updated_at" BIGINT NOT NULL,

    CONSTRAINT "fulfillment_state_pkey" PRIMARY KEY ("shop","fulfillment_gid")
);

-- CreateTable
CREATE TABLE "push" (
    "id" SERIAL NOT NULL,
    "shop" TEXT NOT NULL,
    "topic" TEXT NOT NULL,
    "business_key" TEXT NOT NULL,
    "idempotency_key" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "reason" TEXT,
    "order_gid" TEXT,
    "order_name" TEXT,
    "fulfillment_gid" TEXT,
    "tracking_status" TEXT,
    "customer_gid" TEXT,
    "recipient_kind" TEXT,
    "recipient_value" TEXT,
    "recipient_provisional" INTEGER NOT NULL DEFAULT 0,
    "params" TEXT,
    "product_gids" TEXT,
    "body" TEXT,
    "test" INTEGER NOT NULL DEFAULT 0,
    "webhook_id" TEXT,
    "resend_of" INTEGER,
    "due_at" BIGINT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "locked_until" BIGINT,
    "first_attempt_at" BIGINT,
    "last_http_status" INTEGER,
    "last_error" TEXT,
    "recipient_id" TEXT,
    "delivered_at" BIGINT,
    "redacted_at" BIGINT,
    "created_at" BIGINT NOT NULL,
    "updated_at" BIGINT NOT NULL,

    CONSTRAINT "push_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "push_attempt" (
    "push_id" INTEGER NOT NULL,
    "number" INTEGER NOT NULL,
    "started_at" BIGINT NOT NULL,
    "duration_ms" INTEGER NOT NULL,
    "http_status" INTEGER,
    "outcome" TEXT NOT NULL,
    "answer" TEXT,
    "error" TEXT,

    CONSTRAINT "push_attempt_pkey" PRIMARY KEY ("push_id","number")
);

-- CreateTable
CREATE TABLE "product_image" (
    "shop" TEXT NOT NULL,
    "product_gid" TEXT NOT NULL,
    "url" TEXT,
    "fetched_at" BIGINT NOT NULL,

    CONSTRAINT "product_image_pkey" PRIMARY KEY ("shop","product_gid")
);

-- CreateTable
CREATE TABLE "data_request" (
    "id" SERIAL NOT NULL,
    "shop" TEXT NOT NULL,
    "customer_gid" TEXT,
    "data_request_id" TEXT,
    "summary" TEXT NOT NULL,
    "received_at" BIGINT NOT NULL,

    CONSTRAINT "data_request_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Session_shop_idx" ON "Session"("shop");

-- CreateIndex
CREATE INDEX "webhook_delivery_received_at_idx" ON "webhook_delivery"("received_at");

-- CreateIndex
CREATE INDEX "shopify_order_shop_customer_gid_idx" ON "shopify_order"("shop", "customer_gid");

-- CreateIndex
CREATE INDEX "fulfillment_state_shop_order_gid_idx" ON "fulfillment_state"("shop", "order_gid");

-- CreateIndex
CREATE UNIQUE INDEX "push_idempotency_key_key" ON "push"("idempotency_key");

-- CreateIndex
CREATE INDEX "push_status_due_at_idx" ON "push"("status", "due_at");

-- CreateIndex
CREATE INDEX "push_shop_created_at_idx" ON "push"("shop", "created_at");

-- CreateIndex
CREATE INDEX "push_shop_status_created_at_idx" ON "push"("shop", "status", "created_at");

-- CreateIndex
CREATE INDEX "push_shop_order_gid_idx" ON "push"("shop", "order_gid");

-- CreateIndex
CREATE INDEX "push_shop_customer_gid_idx" ON "push"("shop", "customer_gid");

-- CreateIndex
CREATE UNIQUE INDEX "push_shop_business_key_key" ON "push"("shop", "business_key");

-- CreateIndex
CREATE INDEX "data_request_shop_customer_gid_idx" ON "data_request"("shop", "customer_gid");

