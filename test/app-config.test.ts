import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ApiVersion } from "@shopify/shopify-app-remix/server";
import { EnvSchema } from "../app/env.server";
import { SHOPIFY_API_VERSION } from "../app/shopify/api-version";
import { COMPLIANCE_TOPICS, WEBHOOK_TOPICS } from "../app/webhooks/topics";

// shopify.app.toml, shopify.server.ts, the routes and the code agree on topics, scopes and the API version.

const toml = readFileSync("shopify.app.toml", "utf8");

interface Subscription {
  topics: string[];
  compliance: boolean;
  uri: string;
}

function subscriptions(text: string): Subscription[] {
  return text
    .split("[[webhooks.subscriptions]]")
    .slice(1)
    .map((block) => {
      const topics = /(?:^|\n)\s*(compliance_topics|topics)\s*=\s*\[([^\]]*)\]/.exec(block);
      const uri = /(?:^|\n)\s*uri\s*=\s*"([^"]+)"/.exec(block);
      return {
        topics: (topics?.[2] ?? "")
          .split(",")
          .map((t) => t.trim().replace(/"/g, ""))
          .filter(Boolean),
        compliance: topics?.[1] === "compliance_topics",
        uri: uri?.[1] ?? "",
      };
    });
}

describe("app configuration", () => {
  const subs = subscriptions(toml);

  it.each(WEBHOOK_TOPICS)("subscribes to %s on its own route /webhooks/<topic>, with a route file", (topic) => {
    const sub = subs.filter((s) => s.topics.includes(topic));
    expect(sub).toHaveLength(1);
    expect(sub[0].topics).toEqual([topic]);
    expect(sub[0].uri).toBe(`/webhooks/${topic}`);
    expect(sub[0].compliance).toBe((COMPLIANCE_TOPICS as readonly string[]).includes(topic));
    expect(existsSync(`app/routes/webhooks.${topic.replace("/", ".")}.tsx`)).toBe(true);
  });

  it("subscribes to nothing else", () => {
    expect(subs.flatMap((s) => s.topics).sort()).toEqual([...WEBHOOK_TOPICS].sort());
  });

  it("asks for the scopes the pushes need, the same as the SCOPES default", () => {
    const scopes = /\n\s*scopes\s*=\s*"([^"]*)"/.exec(toml)?.[1];
    expect(scopes).toBe("read_orders,read_fulfillments,read_products,read_customers");
    expect(EnvSchema.shape.SCOPES.parse(undefined)).toBe(scopes);
  });

  it("uses one webhook API version, the one shopify.server.ts uses", () => {
    const tomlVersion = /\[webhooks\][^[]*?api_version\s*=\s*"([^"]+)"/.exec(toml)?.[1];
    expect(tomlVersion).toBe(SHOPIFY_API_VERSION);
    expect(ApiVersion.April26).toBe(SHOPIFY_API_VERSION);
    const server = readFileSync("app/shopify.server.ts", "utf8");
    const used = [...server.matchAll(/ApiVersion\.(\w+)/g)].map((m) => m[1]);
    expect(new Set(used)).toEqual(new Set(["April26"]));
  });

  it("has the scripts the README names", () => {
    const scripts = JSON.parse(readFileSync("package.json", "utf8")).scripts as Record<string, string>;
    for (const name of ["setup", "dev", "build", "start", "test", "typecheck", "lint", "validate", "cli", "sandbox", "demo"]) {
      expect(scripts[name], name).toBeTruthy();
    }
  });
});
