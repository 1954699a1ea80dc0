import { ESLint } from "eslint";
import { beforeAll, describe, expect, it } from "vitest";

// The app's layers are lint rules (eslint.config.js, scripts/app-layers.mjs, docs/architecture.md): an import against
// the arrows, or an import cycle, fails `npm run lint`. Each case lints a small text as if it were a file of the app.

let eslint: ESLint;

beforeAll(() => {
  eslint = new ESLint({ cwd: process.cwd() });
});

async function ruleIdsOf(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result.messages.map((m) => m.ruleId ?? m.message);
}

describe("the layer rules", { timeout: 120_000 }, () => {
  it("let a service import a store, and the pure mapping import its own vocabulary", async () => {
    expect(
      await ruleIdsOf(`import { getPush } from "../stores/push-store.server";\nexport const read = getPush;\n`, "app/delivery/push-service.server.ts"),
    ).toEqual([]);
    expect(await ruleIdsOf(`import { PUSH_STATUSES } from "./push-status";\nexport const all = PUSH_STATUSES;\n`, "app/pushes/plan.ts")).toEqual([]);
  });

  it("refuse the pure mapping importing a store, delivery or the database", async () => {
    for (const from of ["../stores/push-store.server", "../delivery/retry-policy", "../db/database-url", "../webhooks/topics"]) {
      expect(await ruleIdsOf(`import * as other from "${from}";\nexport const x = other;\n`, "app/pushes/plan.ts"), from).toContain(
        "import-x/no-restricted-paths",
      );
    }
  });

  it("refuse an arrow running back up: delivery importing intake, a store importing a service, the database a store", async () => {
    const cases: [string, string][] = [
      ["app/delivery/deliver.server.ts", "../webhooks/topics"],
      ["app/stores/order-store.server.ts", "../settings/settings.server"],
      ["app/stores/order-store.server.ts", "../delivery/retry-policy"],
      ["app/settings/settings.server.ts", "../delivery/retry-policy"],
      ["app/webhooks/receive.server.ts", "../runtime.server"],
      ["app/db/open.server.ts", "../stores/session-store.server"],
    ];
    for (const [file, from] of cases) {
      expect(await ruleIdsOf(`import * as other from "${from}";\nexport const x = other;\n`, file), `${file} -> ${from}`).toContain(
        "import-x/no-restricted-paths",
      );
    }
  });

  it("refuse an import cycle", async () => {
    // open.server imports database-url: database-url importing open.server closes a cycle (type-only imports, erased
    // at build time, are not counted).
    expect(await ruleIdsOf(`import { openDatabaseByUrl } from "./open.server";\nexport const x = openDatabaseByUrl;\n`, "app/db/database-url.ts")).toContain(
      "import-x/no-cycle",
    );
    // In a service layer too: deliver imports the retry policy, so the retry policy may not import deliver.
    expect(await ruleIdsOf(`import { deliverPush } from "./deliver.server";\nexport const x = deliverPush;\n`, "app/delivery/retry-policy.ts")).toContain(
      "import-x/no-cycle",
    );
  });
});
