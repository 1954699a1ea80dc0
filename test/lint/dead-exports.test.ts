import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

// Issue 11: code only tests use moves out of app/, and dead code goes. An export of app/ that no file of the running
// app uses, not even the file that declares it, is either dead or kept for tests. The app's files are app/ (tests
// left out), the two process entries, scripts/ and the blocks' sources; a name counts as used where it appears as a
// word (an import, a call, a type), so the check can miss a dead export whose name shows up elsewhere, never flag a
// used one.

/** What Remix reads from a route module by name. */
const ROUTE_EXPORTS = new Set(["loader", "action", "meta", "links", "headers", "ErrorBoundary", "shouldRevalidate", "handle", "config"]);

function filesUnder(dir: string, keep: (file: string) => boolean): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    if (name === "node_modules" || name === "dist") return [];
    if (statSync(file).isDirectory()) return filesUnder(file, keep);
    return keep(file) ? [file] : [];
  });
}

const isTest = (file: string) => /\.test\.tsx?$/.test(file) || file.split(path.sep).includes("tests");
const isSource = (file: string) => /\.(ts|tsx|mjs|js)$/.test(file) && !isTest(file);

const appFiles = filesUnder("app", (f) => /\.tsx?$/.test(f) && !isTest(f));
const runningApp = [...appFiles, "server.mjs", "worker.mjs", ...filesUnder("scripts", isSource), ...filesUnder("extensions", isSource)];
const texts = new Map(runningApp.map((f) => [f, readFileSync(f, "utf8")]));

function usedOutside(name: string, file: string): boolean {
  const word = new RegExp(`\\b${name}\\b`);
  for (const [other, text] of texts) if (other !== file && word.test(text)) return true;
  return (texts.get(file)!.match(new RegExp(`\\b${name}\\b`, "g")) ?? []).length > 1;
}

describe("app/ exports", () => {
  it("are each used by the running app: none is dead or kept only for tests", () => {
    const unused: string[] = [];
    for (const file of appFiles) {
      const isRoute = file.startsWith(path.join("app", "routes") + path.sep);
      for (const m of texts.get(file)!.matchAll(/^export (?:async )?(?:function|const|let|class) (\w+)/gm)) {
        if (isRoute && ROUTE_EXPORTS.has(m[1])) continue;
        if (!usedOutside(m[1], file)) unused.push(`${file}: ${m[1]}`);
      }
    }
    expect(unused).toEqual([]);
  });
});
