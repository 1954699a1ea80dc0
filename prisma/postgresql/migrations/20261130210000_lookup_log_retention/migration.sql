-- Retention of the lookup log (docs/decisions/022-key-ring-and-bound-secrets.md): entries older than the policy are
-- found by their time, across shops, in small batches.
CREATE INDEX "lookup_log_at_idx" ON "lookup_log"("at");
