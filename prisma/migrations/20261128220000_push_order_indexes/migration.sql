-- An order's pushes newest first (the order page block) and the delivery log's search by order name read one
-- index range each: the equality and the order (created_at) in the same index.
DROP INDEX "push_shop_order_gid_idx";
CREATE INDEX "push_shop_order_gid_created_at_idx" ON "push"("shop", "order_gid", "created_at");
CREATE INDEX "push_shop_order_name_created_at_idx" ON "push"("shop", "order_name", "created_at");
