// The Messenger opt-in block as Shopify CLI builds it (esbuild, one ES module per target, Preact's automatic JSX):
// each target's module bundles under Shopify's 64 KB limit for a UI extension's compiled script, with none of the
// app's server code (the block imports the route's contract as types only). Its config names both targets and their
// modules, asks for network access, and calls the app where shopify.app.toml says the app is.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";
import { APP_URL } from "../../extensions/messenger-optin/src/app-url";

const EXTENSION = fileURLToPath(new URL("../../extensions/messenger-optin/", import.meta.url));
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const toml = () => readFileSync(path.join(EXTENSION, "shopify.extension.toml"), "utf8");

const TARGETS = {
  "purchase.thank-you.block.render": "./src/ThankYou.tsx",
  "customer-account.order-status.block.render": "./src/OrderStatus.tsx",
} as const;

describe("the Messenger opt-in block's build", () => {
  it.each(Object.entries(TARGETS))("bundles %s into one module under 64 KB, with Preact and none of the app's server code", async (_target, module) => {
    const result = await build({
      entryPoints: [path.join(EXTENSION, module)],
      bundle: true,
      minify: true,
      format: "esm",
      target: "es2020",
      jsx: "automatic",
      jsxImportSource: "preact",
      write: false,
      metafile: true,
      logLevel: "silent",
    });
    expect(result.outputFiles[0].contents.byteLength).toBeLessThan(64 * 1024);
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((file) => file.includes("node_modules/preact/"))).toBe(true);
    // The Signal class handed to Shopify's runtime (@shopify/ui-extensions/preact), so the page's values re-render.
    expect(inputs.some((file) => file.includes("node_modules/@preact/signals/"))).toBe(true);
    expect(inputs.filter((file) => file.startsWith("app/") || file.includes("/app/"))).toEqual([]);
  });

  it("targets the Thank-you and Order status pages with modules that render, with network access, on an API version after 2025-07", () => {
    const config = toml();
    const [, year, month] = /^api_version = "(\d{4})-(\d{2})"$/m.exec(config)!;
    expect(Number(year) * 100 + Number(month)).toBeGreaterThan(202507);
    for (const [target, module] of Object.entries(TARGETS)) {
      expect(config).toContain(`module = "${module}"\ntarget = "${target}"`);
      expect(readFileSync(path.join(EXTENSION, module), "utf8")).toMatch(/render\(<\w+ \/>, document\.body\)/);
    }
    expect(config).toMatch(/^\[extensions\.capabilities\]\nnetwork_access = true$/m);
    const pkg = JSON.parse(readFileSync(path.join(EXTENSION, "package.json"), "utf8"));
    expect(pkg.dependencies["@shopify/ui-extensions"]).toBe(`${year}.${Number(month)}.x`);
    expect(pkg.dependencies.preact).toBeDefined();
  });

  it("calls the app at shopify.app.toml's application_url", () => {
    const appToml = readFileSync(path.join(ROOT, "shopify.app.toml"), "utf8");
    expect(APP_URL).toBe(/^application_url = "(.+)"$/m.exec(appToml)![1]);
  });
});
