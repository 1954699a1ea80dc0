-- An order's pushes newest first (the order page block) and the delivery log's search by order name read one
-- index range each: the equality and the order (created_at) in the same index. IF [NOT] EXISTS: on a large
-- PostgreSQL database the indexes can be built by hand first with CREATE INDEX CONCURRENTLY (same names).
DROP INDEX IF EXISTS "push_shop_order_gid_idx";
CREATE INDEX IF NOT EXISTS "push_shop_order_gid_created_at_idx" ON "push"("shop", "order_gid", "created_at");
CREATE INDEX IF NOT EXISTS "push_shop_order_name_created_at_idx" ON "push"("shop", "order_name", "created_at");
