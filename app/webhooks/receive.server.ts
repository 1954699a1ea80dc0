import { GroupCommitFullError, type GroupCommit } from "../db/group-commit.server";
import type { PushScheduler } from "../delivery/scheduler.server";
import { log } from "../logger.server";
import type { ShopifyAdmin } from "../shopify/admin-api/index.server";
import { toGid } from "../shopify/payloads";
import { processDelivery, type DeliveryOutcome } from "./process-delivery.server";
import type { WebhookTopic } from "./topics";
import { validatePayload, type ValidatedPayload } from "./validate-payload";

// After authentication (the lean HTTP path or authenticate.webhook), one service takes every delivery:
// check the payload, record the delivery, plan and store the pushes, commit, answer. JoinChat is never
// waited for here: after the commit, the pushes it queued or cancelled go to the scheduler port.

export interface WebhookInput {
  topic: WebhookTopic;
  shop: string;
  webhookId: string;
  apiVersion: string | null;
  eventId: string | null;
  triggeredAt: string | null;
  rawBody: string;
}

export interface WebhookAnswer {
  status: number;
  body: string;
  /** Headers beyond the content type (Retry-After on a 503). */
  headers?: Record<string, string>;
}

/** Seconds a delivery refused for a full group commit is asked to wait (Shopify retries on its own schedule anyway). */
export const INTAKE_RETRY_AFTER_SECONDS = 5;

/**
 * Shopify retries a failed delivery 8 times over 4 hours; a delivery triggered longer ago than that and a margin is
 * not one of Shopify's (a replay, or a clock gone wrong): answered 200, ignored, counted.
 */
export const STALE_DELIVERY_MS = (4 + 1) * 3_600_000;

/** What the intake refused or ignored since the process started (GET /readyz reports them). */
export interface IntakeStats {
  /** Deliveries whose X-Shopify-Triggered-At is older than STALE_DELIVERY_MS. */
  staleIgnored: number;
  /** Signed bodies that name another shop than X-Shopify-Shop-Domain. */
  otherShopRefused: number;
}

export function createIntakeStats(): IntakeStats {
  return { staleIgnored: 0, otherShopRefused: 0 };
}

/**
 * The shop a signed body names, for the topics whose body names one (the compliance topics' shop_domain,
 * app/uninstalled's myshopify_domain); "" when such a body names none; undefined for the other topics.
 * Shopify's HMAC covers the body, not X-Shopify-Shop-Domain: this is the shop Shopify signed for.
 */
export function signedShopOf(payload: ValidatedPayload): string | undefined {
  switch (payload.kind) {
    case "customers/redact":
    case "customers/data_request":
      return payload.value.shop_domain.trim().toLowerCase();
    case "shop/redact":
    case "app/uninstalled": {
      const value = payload.value as { shop_domain?: unknown; myshopify_domain?: unknown };
      const named = payload.kind === "shop/redact" ? value.shop_domain : value.myshopify_domain;
      return typeof named === "string" ? named.trim().toLowerCase() : "";
    }
    default:
      return undefined;
  }
}

export interface ReceiverDeps {
  commit: GroupCommit;
  /** Takes, after the commit, the pushes stored and the waiting pushes cancelled (a paid order's reminder, an uninstall). */
  scheduler: PushScheduler;
  /** The process's Admin API layer: what a webhook says is gone or changed is forgotten by its caches too. */
  adminApi?: Pick<ShopifyAdmin, "forgetShop" | "forgetCustomerPsid" | "forgetProductImages">;
  now?: () => number;
  /** Counted into, when given. */
  stats?: IntakeStats;
}

/**
 * After the commit, what the Admin API layer holds of a shop that uninstalled the app or is erased (its cached images
 * and PSIDs, its refresh lease and reconnect mark), of an erased customer (the PSID, in the database and in the
 * process's memory), or of a product Shopify says changed or went (its cached image: the next push asks again). The
 * database rows of shop/redact and customers/redact went in the intake's transaction already.
 */
async function forgetCached(admin: ReceiverDeps["adminApi"], shop: string, payload: ValidatedPayload): Promise<void> {
  if (!admin) return;
  try {
    if (payload.kind === "app/uninstalled" || payload.kind === "shop/redact") await admin.forgetShop(shop);
    if (payload.kind === "product") await admin.forgetProductImages(shop, [payload.value.admin_graphql_api_id]);
    if (payload.kind === "products/delete") {
      const productGid = toGid("Product", payload.value.id);
      if (productGid) await admin.forgetProductImages(shop, [productGid]);
    }
    if (payload.kind === "customers/redact") {
      const customerGid = toGid("Customer", payload.value.customer?.id ?? null);
      if (customerGid) await admin.forgetCustomerPsid(shop, customerGid);
    }
  } catch (error) {
    log.warn("admin api caches not cleared", { shop, topic: payload.kind, error });
  }
}

export type WebhookReceiver = (input: WebhookInput) => Promise<WebhookAnswer>;

const json = (status: number, body: object): WebhookAnswer => ({ status, body: JSON.stringify(body) });

export function createWebhookReceiver(deps: ReceiverDeps): WebhookReceiver {
  const now = deps.now ?? Date.now;
  const stats = deps.stats ?? createIntakeStats();
  return async function receiveWebhook(input) {
    const fields = { shop: input.shop, topic: input.topic, webhookId: input.webhookId };
    // Before its body is read: a stale delivery is ignored whatever it holds (a 400 would only ask for it again).
    const triggeredAt = input.triggeredAt ? Date.parse(input.triggeredAt) : NaN;
    if (now() - triggeredAt > STALE_DELIVERY_MS) {
      stats.staleIgnored++;
      log.warn("webhook ignored", { ...fields, reason: "stale", triggeredAt: input.triggeredAt });
      return json(200, { ok: true, ignored: "stale: triggered longer ago than Shopify's retry window" });
    }
    const checked = validatePayload(input.topic, input.rawBody);
    if (!checked.ok) {
      log.warn("webhook refused", { ...fields, status: 400, error: checked.error });
      return json(400, { error: checked.error });
    }
    const signedShop = signedShopOf(checked.payload);
    if (signedShop !== undefined && signedShop !== input.shop) {
      // A body signed for one shop, sent with another's header: it acts for nobody.
      stats.otherShopRefused++;
      const error = signedShop ? `the body was signed for ${signedShop}, not for the X-Shopify-Shop-Domain ${input.shop}` : "the body names no shop";
      log.warn("webhook refused", { ...fields, status: 401, error });
      return json(401, { error });
    }
    let outcome: DeliveryOutcome;
    try {
      outcome = await deps.commit.tryRun((tx) =>
        processDelivery(
          tx,
          {
            shop: input.shop,
            webhookId: input.webhookId,
            topic: input.topic,
            apiVersion: input.apiVersion,
            eventId: input.eventId,
            triggeredAt: input.triggeredAt,
            now: now(),
          },
          checked.payload,
        ),
      );
    } catch (error) {
      if (error instanceof GroupCommitFullError) {
        // Not stored, nothing started: the process sheds load instead of queueing without end.
        log.warn("webhook refused", { ...fields, status: 503, error: error.message });
        return { ...json(503, { error: "too many deliveries at once; retry later" }), headers: { "retry-after": String(INTAKE_RETRY_AFTER_SECONDS) } };
      }
      // Not stored: a 500 makes Shopify retry the delivery later.
      log.error("webhook not stored", { ...fields, error });
      return json(500, { error: "the delivery could not be stored; Shopify will retry it" });
    }
    deps.scheduler.queued(outcome.queued);
    deps.scheduler.cancelled(outcome.cancelled);
    if (!outcome.duplicate) await forgetCached(deps.adminApi, input.shop, checked.payload);
    log.info(outcome.duplicate ? "webhook repeated" : "webhook accepted", { ...fields, pushes: outcome.pushIds, outcome: outcome.summary });
    return json(200, { ok: true, duplicate: outcome.duplicate, pushes: outcome.pushIds });
  };
}
