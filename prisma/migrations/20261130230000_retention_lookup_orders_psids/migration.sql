-- Retention (docs/decisions/021-retention-erasure-secrets.md): the customer lookups' copy of an order not changed for
-- RETENTION_DAYS, and the cached PSIDs past their lifetime, are found by their time, across shops, in small batches.
CREATE INDEX "lookup_order_updated_at_idx" ON "lookup_order"("updated_at");
CREATE INDEX "customer_psid_fetched_at_idx" ON "customer_psid"("fetched_at");
