import { signBody } from "../hmac";
import { SHOPIFY_API_VERSION } from "../shopify/api-version";

/** The headers of a webhook delivery signed as Shopify signs it (the CLI, the demo, tests, the benchmark). */
export function signShopifyWebhook(args: {
  body: string | Buffer;
  secret: string;
  topic: string;
  shop: string;
  webhookId: string;
  apiVersion?: string;
  triggeredAt?: string;
}): Record<string, string> {
  return {
    "content-type": "application/json",
    "x-shopify-hmac-sha256": signBody(args.body, args.secret),
    "x-shopify-topic": args.topic,
    "x-shopify-shop-domain": args.shop,
    "x-shopify-api-version": args.apiVersion ?? SHOPIFY_API_VERSION,
    "x-shopify-webhook-id": args.webhookId,
    "x-shopify-triggered-at": args.triggeredAt ?? new Date().toISOString(),
    "x-shopify-event-id": args.webhookId,
  };
}
