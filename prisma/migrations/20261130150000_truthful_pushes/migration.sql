-- Tell buyers only what is true (issue 17, docs/decisions/016-truthful-pushes.md).
-- A fulfillment remembers whether its buyer was told of the parcel: a cancellation is pushed only then. A fulfillment
-- that already had a package/update sent (or on its way) before this migration counts as told.
ALTER TABLE "fulfillment_state" ADD COLUMN "buyer_told" INTEGER NOT NULL DEFAULT 0;
UPDATE "fulfillment_state" SET "buyer_told" = 1 WHERE EXISTS (
  SELECT 1 FROM "push" WHERE "push"."shop" = "fulfillment_state"."shop" AND "push"."fulfillment_gid" = "fulfillment_state"."fulfillment_gid"
    AND "push"."topic" = 'package/update' AND "push"."status" IN ('queued', 'sending', 'retrying', 'delivered')
);
-- An order collected by the buyer: its fulfillment is pushed even when none of its goods ships.
ALTER TABLE "shopify_order" ADD COLUMN "local_pickup" INTEGER NOT NULL DEFAULT 0;
-- Cash on delivery and payment terms: what such orders get.
ALTER TABLE "shop_settings" ADD COLUMN "cod_orders" TEXT NOT NULL DEFAULT 'confirmation';
ALTER TABLE "shop_settings" ADD COLUMN "cod_gateway_names" TEXT;
ALTER TABLE "shop_settings" ADD COLUMN "terms_reminder_enabled" INTEGER NOT NULL DEFAULT 1;
