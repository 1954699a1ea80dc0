// The app is killed (SIGKILL) at random moments while about 1,000 webhooks arrive and are delivered, and started
// again: every webhook that got a 200 ends in exactly the pushes it should; one that did not is sent again, as
// Shopify would.
import { describe, expect, it } from "vitest";
import type { AppProcess } from "../helpers/app-process";
import { describeOnBackends, useE2eStack, type E2eStack } from "../helpers/e2e-stack";
import { labelScenarios, recordScenario } from "./summary";
import { buildWorld, expectClean, expectedLabel, PAGE_ID, seededRandom, sendAll, tally, waitForWorld } from "./world";

let stack: E2eStack;
let app: AppProcess;

describeOnBackends((backend) => {
  labelScenarios(backend.label);
  useE2eStack(
    (started) => {
      stack = started;
      app = started.app;
    },
    { DELIVERY_RETRY_BASE_MS: "300", DELIVERY_RETRY_CAP_MS: "2000", JOINCHAT_TIMEOUT_MS: "2000" },
    backend,
  );

  describe("crashes", () => {
    it("SIGKILL at random moments while 1,000 webhooks arrive and are delivered", async () => {
      const shop = "faults-crash.myshopify.com";
      await app.configureShop(shop, [], PAGE_ID);
      const world = buildWorld(shop, 240, 9);
      const random = seededRandom(42);

      let sending = true;
      let kills = 0;
      const killer = (async () => {
        // Keep killing while webhooks arrive, and at least three times whatever the pace.
        while (sending || kills < 3) {
          await new Promise((r) => setTimeout(r, 300 + random() * 900));
          await app.kill("SIGKILL");
          kills += 1;
          await new Promise((r) => setTimeout(r, random() * 300));
          await app.restart();
        }
      })();
      const { sent, retried } = await sendAll(app, shop, world.webhooks, 16);
      sending = false;
      await killer;
      // One more kill with pushes due, then the last start.
      await app.kill("SIGKILL");
      await app.restart();
      await waitForWorld(app, stack.sandbox, world, 120_000);

      const t = tally(stack.sandbox, world);
      recordScenario({
        scenario: `crashes (${kills + 1} SIGKILLs)`,
        webhooks: sent,
        expected: expectedLabel(world),
        delivered: t.delivered,
        doubled: t.doubled.length,
        lost: t.lost.length,
      });
      expect(kills).toBeGreaterThan(2);
      expect(retried).toBeGreaterThan(0);
      expectClean(t);
    });
  });
});
