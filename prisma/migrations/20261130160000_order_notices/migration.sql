-- Order notices (issue 18, docs/decisions/017-cancellations-and-notices.md): a shop may tell the buyer, through
-- JoinChat's Send API, that an order was cancelled or refunded. Both are off until the merchant turns them on. The
-- order keeps the buyer's language (customer_locale), in which its notices are written.
ALTER TABLE "shop_settings" ADD COLUMN "cancel_notice_enabled" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "shop_settings" ADD COLUMN "refund_notice_enabled" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "shopify_order" ADD COLUMN "customer_locale" TEXT;
