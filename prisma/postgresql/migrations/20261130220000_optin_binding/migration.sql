-- Binding from JoinChat (docs/decisions/023-binding-from-joinchat.md): how a push's recipient was found, and the
-- opt-in's events for the home page's counts (no personal data).
ALTER TABLE "push" ADD COLUMN "recipient_source" TEXT;

CREATE TABLE "optin_event" (
    "id" SERIAL NOT NULL,
    "shop" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "at" BIGINT NOT NULL,

    CONSTRAINT "optin_event_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "optin_event_shop_kind_at_idx" ON "optin_event"("shop", "kind", "at");

CREATE INDEX "optin_event_at_idx" ON "optin_event"("at");

CREATE INDEX "messenger_binding_bound_at_idx" ON "messenger_binding"("bound_at");
