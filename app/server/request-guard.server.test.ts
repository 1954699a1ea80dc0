import { describe, expect, it } from "vitest";
import { isWebhookPath, normalizePath } from "./request-guard.server";

// Every spelling a router would read as /webhooks/... is routed to the lean intake.

describe("normalizePath", () => {
  it.each([
    ["/webhooks/orders/create", "/webhooks/orders/create"],
    ["/Webhooks/orders/create", "/webhooks/orders/create"],
    ["/WEBHOOKS/ORDERS/CREATE?x=1", "/webhooks/orders/create"],
    ["/%77ebhooks/orders/create", "/webhooks/orders/create"],
    ["/%2577ebhooks/orders/create", "/webhooks/orders/create"],
    ["/./webhooks/orders/create", "/webhooks/orders/create"],
    ["/app/../webhooks/orders/create", "/webhooks/orders/create"],
    ["/%2e/webhooks/orders/create", "/webhooks/orders/create"],
    ["/x/%2e%2e/webhooks/orders/create", "/webhooks/orders/create"],
    ["//webhooks//orders/create", "/webhooks/orders/create"],
    ["/\\webhooks\\orders/create", "/webhooks/orders/create"],
    ["/webhooks%2Forders%2Fcreate", "/webhooks/orders/create"],
    ["/webhooks/orders/create/", "/webhooks/orders/create/"],
    ["/webhooks/orders/create/.", "/webhooks/orders/create/"],
    ["/../../webhooks/x", "/webhooks/x"],
    ["/%E0%A4%A/webhooks", "/\u00e0\u00a4%a/webhooks"],
    ["http://x/Webhooks/orders/create", "/webhooks/orders/create"],
    ["HTTPS://x:443//webhooks/orders/create?y", "/webhooks/orders/create"],
    ["http://x", "/"],
    ["/", "/"],
    ["/auth/login", "/auth/login"],
  ])("%s -> %s", (target, expected) => {
    expect(normalizePath(target)).toBe(expected);
  });

  it("tells the webhook paths from the others", () => {
    expect(isWebhookPath(normalizePath("/Webhooks/orders/create"))).toBe(true);
    expect(isWebhookPath(normalizePath("/webhooks"))).toBe(true);
    expect(isWebhookPath(normalizePath("/webhooksx/orders/create"))).toBe(false);
    expect(isWebhookPath(normalizePath("/app/webhooks/orders/create"))).toBe(false);
  });
});
