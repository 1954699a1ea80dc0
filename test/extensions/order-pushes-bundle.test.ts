// The order page block as Shopify CLI builds it (esbuild, one ES module, Preact's automatic JSX): it bundles, it
// stays within Shopify's 64 KB limit for a UI extension's compiled script, and nothing of the app's server code
// comes along (the block only imports the route's contract as types). Its config names the target and module.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";

const EXTENSION = fileURLToPath(new URL("../../extensions/order-pushes/", import.meta.url));

describe("the order page block's build", () => {
  it("bundles into one module under 64 KB, with Preact and none of the app's server code", async () => {
    const result = await build({
      entryPoints: [path.join(EXTENSION, "src/OrderPushesBlock.tsx")],
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
    const bytes = result.outputFiles[0].contents.byteLength;
    expect(bytes).toBeLessThan(64 * 1024);
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((file) => file.includes("node_modules/preact/"))).toBe(true);
    expect(inputs.filter((file) => file.startsWith("app/") || file.includes("/app/"))).toEqual([]);
  });

  it("targets the order details block with the module that exists, on an API version after 2025-07 (Preact)", () => {
    const toml = readFileSync(path.join(EXTENSION, "shopify.extension.toml"), "utf8");
    expect(toml).toMatch(/^api_version = "(\d{4})-(\d{2})"$/m);
    const [, year, month] = /^api_version = "(\d{4})-(\d{2})"$/m.exec(toml)!;
    expect(Number(year) * 100 + Number(month)).toBeGreaterThan(202507);
    expect(toml).toContain('target = "admin.order-details.block.render"');
    const module = /^module = "(.+)"$/m.exec(toml)![1];
    expect(readFileSync(path.join(EXTENSION, module), "utf8")).toContain("render(<OrderPushesBlock />, document.body)");
    const pkg = JSON.parse(readFileSync(path.join(EXTENSION, "package.json"), "utf8"));
    expect(pkg.dependencies["@shopify/ui-extensions"]).toBe(`${year}.${Number(month)}.x`);
    expect(pkg.dependencies.preact).toBeDefined();
    expect(pkg.dependencies["@shopify/ui-extensions-react"]).toBeUndefined();
  });
});
