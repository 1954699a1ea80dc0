-- Retention of the lookup orders (docs/decisions/021-retention-erasure-secrets.md): a receipt and the contact keys of
-- an order not changed for RETENTION_DAYS are found by their time, across shops, in small batches.
CREATE INDEX "lookup_order_updated_at_idx" ON "lookup_order"("updated_at");
