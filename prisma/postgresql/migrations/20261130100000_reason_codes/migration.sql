-- Reasons become stable codes (docs/decisions/010-reason-codes.md): push.reason held English text ("page not
-- linked", "unknown shipment status delayed"), it now holds a code ("page_not_linked", "unknown_shipment_status"
-- with "delayed" in reason_detail), and the merchant’s words come from the locale files. The failures the app
-- itself decided, written into last_error beside JoinChat’s answer, get a code too: last_error keeps only what
-- JoinChat (or the connection) answered. A merchant’s test push is a kind of push, no longer a business key prefix.
ALTER TABLE "push" ADD COLUMN "kind" TEXT NOT NULL DEFAULT 'order';
ALTER TABLE "push" ADD COLUMN "reason_detail" TEXT;

UPDATE "push" SET "kind" = 'test' WHERE "business_key" LIKE 'test-push:%';

UPDATE "push" SET "reason" = CASE "reason"
  WHEN 'page not linked' THEN 'page_not_linked'
  WHEN 'push type off' THEN 'push_type_off'
  WHEN 'no recipient' THEN 'no_recipient'
  WHEN 'duplicate' THEN 'duplicate'
  WHEN 'cancelled' THEN 'order_cancelled'
  WHEN 'test order' THEN 'test_order'
  WHEN 'pushes paused' THEN 'pushes_paused'
  WHEN 'already paid' THEN 'already_paid'
  WHEN 'stale update' THEN 'stale_update'
  WHEN 'status went backwards' THEN 'status_backwards'
  WHEN 'tracking status not pushed' THEN 'status_not_pushed'
  WHEN 'order paid before the reminder went out' THEN 'order_paid_before_reminder'
  WHEN 'customer data erased' THEN 'customer_data_erased'
  WHEN 'app uninstalled' THEN 'app_uninstalled'
END
WHERE "reason" IN ('page not linked', 'push type off', 'no recipient', 'duplicate', 'cancelled', 'test order', 'pushes paused', 'already paid', 'stale update', 'status went backwards', 'tracking status not pushed', 'order paid before the reminder went out', 'customer data erased', 'app uninstalled');

UPDATE "push" SET "reason" = 'unknown_shipment_status', "reason_detail" = NULLIF(TRIM(SUBSTR("reason", 24)), '')
WHERE "reason" = 'unknown shipment status' OR "reason" LIKE 'unknown shipment status %';

UPDATE "push" SET "reason" = 'secret_missing', "reason_detail" = NULL, "last_error" = NULL
WHERE "status" = 'failed' AND "last_error" LIKE 'no JoinChat API secret%';

UPDATE "push" SET "reason" = 'secret_unreadable', "reason_detail" = SUBSTR("last_error", 33), "last_error" = NULL
WHERE "status" = 'failed' AND "last_error" LIKE 'JoinChat API secret unreadable: %';

-- "<JoinChat’s answer>, gave up after 12 attempts over 1.0 h" (a semicolon, CHR 59, before "gave up": Prisma splits
-- a migration at every semicolon, even one in a string): the answer stays, the give-up becomes the code.
UPDATE "push" SET "reason" = 'retries_exhausted', "reason_detail" = NULL,
  "last_error" = SUBSTR("last_error", 1, STRPOS("last_error", CHR(59) || ' gave up after ') - 1)
WHERE "status" = 'failed' AND "last_error" LIKE '%' || CHR(59) || ' gave up after %';
