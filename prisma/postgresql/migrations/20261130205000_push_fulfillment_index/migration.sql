-- A fulfillment's package updates are sent one at a time, in order: a claim looks for an earlier update of the same
-- fulfillment still being sent or due (app/stores/push-store.server.ts). IF NOT EXISTS: on a large PostgreSQL
-- database the index can be built by hand first with CREATE INDEX CONCURRENTLY (same name).
CREATE INDEX IF NOT EXISTS "push_shop_fulfillment_gid_idx" ON "push"("shop", "fulfillment_gid");
