// JoinChat answers 503, times out, resets connections, or answers 429 with Retry-After for a while: every push is
// delivered once it recovers, none twice, and the backoff shows in the attempt records.
import { describe, expect, it } from "vitest";
import type { AppProcess } from "../helpers/app-process";
import { describeOnBackends, useE2eStack, type E2eStack } from "../helpers/e2e-stack";
import type { SandboxFault } from "../sandbox/joinchat-sandbox";
import { labelScenarios, recordScenario } from "./summary";
import { buildWorld, expectClean, expectedLabel, PAGE_ID, sendAll, tally, waitForWorld } from "./world";

let stack: E2eStack;
let app: AppProcess;

describeOnBackends((backend) => {
  labelScenarios(backend.label);
  useE2eStack(
    (started) => {
      stack = started;
      app = started.app;
    },
    { JOINCHAT_TIMEOUT_MS: "1000", DELIVERY_RETRY_BASE_MS: "300", DELIVERY_RETRY_CAP_MS: "3000" },
    backend,
  );

  const OUTAGES: [string, SandboxFault, number][] = [
    ["JoinChat answers 503", { mode: "status", status: 503, forMs: 3000 }, 2],
    ["JoinChat times out", { mode: "timeout", forMs: 3000 }, 3],
    ["JoinChat resets connections", { mode: "reset", forMs: 3000 }, 4],
    ["JoinChat answers 429 with Retry-After", { mode: "status", status: 429, retryAfterS: 2, forMs: 3000 }, 5],
  ];

  describe("JoinChat outages", () => {
    it.each(OUTAGES)("%s for a while: every push delivered once after, with backoff", async (name, fault, seed) => {
      const shop = `faults-outage-${seed}.myshopify.com`;
      await app.configureShop(shop, [], PAGE_ID);
      const world = buildWorld(shop, 40, seed);
      stack.sandbox.fail(fault);
      const { sent } = await sendAll(app, shop, world.webhooks, 16);
      await waitForWorld(app, stack.sandbox, world, 90_000);
      const t = tally(stack.sandbox, world);
      recordScenario({
        scenario: name,
        webhooks: sent,
        expected: expectedLabel(world),
        delivered: t.delivered,
        doubled: t.doubled.length,
        lost: t.lost.length,
      });
      expectClean(t);

      // Pushes that met the outage were tried again later each time: the waits between attempts grow, and a
      // Retry-After is never cut short.
      const retried = await app.db.all<{ id: number }>("SELECT id FROM push WHERE shop = ? AND attempts >= 2", [shop]);
      expect(retried.length).toBeGreaterThan(0);
      for (const { id } of retried) {
        const starts = (await app.db.all<{ started_at: number }>("SELECT started_at FROM push_attempt WHERE push_id = ? ORDER BY number", [id])).map((a) =>
          Number(a.started_at),
        );
        const gaps = starts.slice(1).map((s, i) => s - starts[i]);
        expect(gaps.every((g) => g >= 100)).toBe(true);
        if (fault.mode === "status" && fault.retryAfterS) expect(gaps[0]).toBeGreaterThanOrEqual(fault.retryAfterS * 1000 - 50);
      }
      const failedAttempts = await app.db.all<{ n: number }>(
        "SELECT COUNT(*) AS n FROM push_attempt a JOIN push p ON p.id = a.push_id WHERE p.shop = ? AND a.outcome = 'retry'",
        [shop],
      );
      expect(Number(failedAttempts[0].n)).toBeGreaterThan(0);
    });
  });
});
