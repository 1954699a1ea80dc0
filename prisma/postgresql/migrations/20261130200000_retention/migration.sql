-- Retention (docs/decisions/021-retention-erasure-secrets.md): finished pushes and order records are found by how long
-- ago they last changed, in small batches.
CREATE INDEX "push_updated_at_idx" ON "push"("updated_at");

CREATE INDEX "shopify_order_updated_at_idx" ON "shopify_order"("updated_at");
