-- The Admin API access layer (docs/decisions/012-shopify-admin-api-access.md): a customer's PSID cached like a
-- product's image, and per shop the lease of the process refreshing its offline token and whether Shopify refused it.
CREATE TABLE "customer_psid" (
    "shop" TEXT NOT NULL,
    "customer_gid" TEXT NOT NULL,
    "psid" TEXT,
    "fetched_at" BIGINT NOT NULL,

    PRIMARY KEY ("shop", "customer_gid")
);

CREATE TABLE "shopify_access" (
    "shop" TEXT NOT NULL PRIMARY KEY,
    "refresh_owner" TEXT,
    "refresh_until" BIGINT,
    "reconnect_reason" TEXT,
    "reconnect_since" BIGINT,
    "refused_token_hash" TEXT,
    "updated_at" BIGINT NOT NULL
);
