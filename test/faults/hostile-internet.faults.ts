// The hostile internet (issue 13): while 1,000 webhooks arrive, 500 slow connections trickle headers and bodies,
// 50 MB bodies are declared or streamed to every spelling of /webhooks/ and to the admin's routes, signed compliance
// bodies of one shop are replayed under another's header, and stale copies arrive. Every webhook is taken (within
// Shopify's 5 s; the row shows the p99 against the 1 s target), every push sent once, what is hostile refused or ignored, and the process's memory stays bounded.
import { randomUUID } from "node:crypto";
import net from "node:net";
import { describe, expect, it } from "vitest";
import { buildOrderJson } from "../fixtures/orders";
import { TEST_SHOPIFY_API_SECRET, type AppProcess } from "../helpers/app-process";
import { describeOnBackends, useE2eStack, type E2eStack } from "../helpers/e2e-stack";
import { rawRequest, requestHead } from "../helpers/raw-http";
import { signShopifyWebhook } from "../../app/webhooks/sign-webhook";
import { labelScenarios, recordScenario } from "./summary";
import { buildWorld, expectClean, expectedLabel, PAGE_ID, tally, waitForWorld, type Webhook } from "./world";

let stack: E2eStack;
let app: AppProcess;

const FIFTY_MB = 50 * 1024 * 1024;
const SLOW_CONNECTIONS = 500;
const WEBHOOK_VARIANTS = [
  "/webhooks/orders/create",
  "/Webhooks/orders/create",
  "/%77ebhooks/orders/create",
  "/%2577ebhooks/orders/create",
  "/./webhooks/orders/create",
  "/app/../webhooks/orders/create",
  "//webhooks/orders/create",
  "/webhooks%2Forders%2Fcreate",
];
const ADMIN_PATHS = ["/auth/login", "/app", "/app/settings", "/api/orders/1/pushes", "/"];

/**
 * `count` connections that never finish a request: half trickle a header line every half second, half send their
 * headers and then trickle a body. A connection the server closes is counted and opened again, until stop().
 */
function slowClients(port: number, count: number) {
  let stopped = false;
  let cut = 0;
  const sockets = new Set<net.Socket>();
  function open(i: number) {
    if (stopped) return;
    const socket = net.connect(port, "127.0.0.1");
    sockets.add(socket);
    let timer: NodeJS.Timeout | undefined;
    socket.on("connect", () => {
      const body = i % 2 === 1;
      socket.write(
        body
          ? `POST ${WEBHOOK_VARIANTS[i % WEBHOOK_VARIANTS.length]} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 4000000\r\n\r\n{`
          : `POST /webhooks/orders/create HTTP/1.1\r\nhost: x\r\n`,
      );
      timer = setInterval(() => socket.write(body ? "xxxxxxxx" : `x-slow-${i}: 1\r\n`), 500);
    });
    const done = () => {
      clearInterval(timer);
      if (!sockets.delete(socket)) return;
      if (!stopped) {
        cut += 1;
        setTimeout(() => open(i), 50);
      }
    };
    socket.on("close", done);
    socket.on("error", done);
  }
  for (let i = 0; i < count; i++) open(i);
  return {
    get open() {
      return sockets.size;
    },
    get cut() {
      return cut;
    },
    stop() {
      stopped = true;
      for (const socket of sockets) socket.destroy();
      sockets.clear();
    },
  };
}

describeOnBackends((backend) => {
  labelScenarios(backend.label);
  useE2eStack(
    (started) => {
      stack = started;
      app = started.app;
    },
    // The defaults, but for timeouts short enough to see them act within the scenario.
    { HTTP_HEADERS_TIMEOUT_SECONDS: "5", HTTP_REQUEST_TIMEOUT_SECONDS: "10" },
    backend,
  );

  describe("hostile internet", () => {
    it("1,000 webhooks among 500 slow connections, 50 MB bodies on every path, cross-shop replays and stale copies", { timeout: 280_000 }, async () => {
      const shop = `faults-internet-${backend.kind}.myshopify.com`;
      const victim = `faults-internet-victim-${backend.kind}.myshopify.com`;
      await app.configureShop(shop, [], PAGE_ID);
      await app.configureShop(victim, [], PAGE_ID);
      const world = buildWorld(shop, 240, 13);
      let refused = 0;

      const slow = slowClients(app.port, SLOW_CONNECTIONS);
      await new Promise((r) => setTimeout(r, 1000));
      expect(slow.open).toBeGreaterThan(SLOW_CONNECTIONS * 0.9);

      // The webhooks, 16 at a time, each timed; a 503 would be retried as Shopify does (none is expected here).
      const latencies: number[] = [];
      let next = 0;
      async function lane(webhooks: Webhook[]) {
        while (next < webhooks.length) {
          const w = webhooks[next++];
          for (;;) {
            const started = performance.now();
            const answer = await app.sendWebhook(w.topic, shop, w.body, { webhookId: w.webhookId }).catch(() => null);
            latencies.push(performance.now() - started);
            if (answer?.status === 200) break;
            if (answer && answer.status !== 503) throw new Error(`${w.topic} refused with ${answer.status}: ${answer.text}`);
            await new Promise((r) => setTimeout(r, 100));
          }
        }
      }
      const webhooks = Promise.all(Array.from({ length: 16 }, () => lane(world.webhooks)));

      // Huge bodies on every spelling of /webhooks/ and on the admin's routes: refused before they are read.
      const huge = (async () => {
        for (const path of [...WEBHOOK_VARIANTS, ...ADMIN_PATHS]) {
          const headers = { ...signShopifyWebhook({ body: "{}", secret: TEST_SHOPIFY_API_SECRET, topic: "orders/create", shop, webhookId: randomUUID() }) };
          const declared = await rawRequest({
            port: app.port,
            head: requestHead("POST", path, { ...headers, "content-type": "application/json", "content-length": String(FIFTY_MB) }),
            body: Buffer.alloc(1024, 0x20),
            waitMs: 20_000,
            untilAnswer: true,
          });
          expect(declared.status, `${path} declared`).toBe(413);
          refused += 1;
          const streamed = await rawRequest({
            port: app.port,
            head: requestHead("POST", path, { ...headers, "content-type": "application/json", "transfer-encoding": "chunked" }),
            body: Buffer.from(`${FIFTY_MB.toString(16)}\r\n`),
            streamTotal: FIFTY_MB,
            waitMs: 60_000,
            untilAnswer: true,
          });
          expect([411, 413], `${path} streamed`).toContain(streamed.status);
          expect(streamed.bodyBytesSent).toBeLessThan(FIFTY_MB);
          refused += 1;
        }
      })();

      // Compliance bodies signed for the victim, replayed under the shop's header: refused, nothing erased.
      const replays = (async () => {
        for (const [topic, body] of [
          ["customers/redact", JSON.stringify({ shop_id: 1, shop_domain: victim, customer: { id: 1, email: "buyer@example.com" }, orders_to_redact: [] })],
          ["shop/redact", JSON.stringify({ shop_id: 1, shop_domain: victim })],
          ["app/uninstalled", JSON.stringify({ id: 1, name: "Victim", domain: victim, myshopify_domain: victim })],
        ]) {
          const answer = await app.sendWebhook(topic, shop, body);
          expect(answer.status, topic).toBe(401);
          refused += 1;
        }
      })();

      // Stale copies of orders the world does not have: answered 200, ignored, so never a push.
      const sixHoursAgo = new Date(Date.now() - 6 * 3_600_000).toISOString();
      const stale = (async () => {
        for (let i = 0; i < 20; i++) {
          const body = buildOrderJson({
            id: 6_600_000 + i,
            admin_graphql_api_id: `gid://shopify/Order/${6_600_000 + i}`,
            name: `#STALE-${i}`,
            financial_status: "paid",
          });
          const answer = await app.sendWebhook("orders/create", shop, body, { headers: { "x-shopify-triggered-at": sixHoursAgo } });
          expect(answer.status).toBe(200);
          expect(answer.json.ignored).toMatch(/^stale/);
        }
      })();

      await Promise.all([webhooks, huge, replays, stale]);
      // Each slow client is cut off by a timeout within seconds (and comes back): wait until as many cuts as clients.
      for (let i = 0; i < 300 && slow.cut < SLOW_CONNECTIONS; i++) await new Promise((r) => setTimeout(r, 100));
      const cut = slow.cut;
      slow.stop();
      await waitForWorld(app, stack.sandbox, world, 120_000);
      const t = tally(stack.sandbox, world);
      const ready = (await app.request("/readyz", { method: "GET" })).json as Record<string, string>;
      const sorted = [...latencies].sort((a, b) => a - b);
      const p99 = sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)];
      recordScenario({
        scenario: `hostile internet (500 slow connections; p99 ${Math.round(p99)} ms${p99 < 1000 ? "" : ", over the 1 s target"})`,
        webhooks: world.webhooks.length,
        expected: expectedLabel(world),
        delivered: t.delivered,
        doubled: t.doubled.length,
        lost: t.lost.length,
        memoryPeak: `${ready.memoryPeakMb} MB`,
        refused: refused + cut,
      });
      expectClean(t);
      expect(latencies.length).toBe(world.webhooks.length);
      // Taken in time: Shopify counts a delivery not answered within 5 s as failed. The 1 s target is a speed, shown in
      // the row (a timed assertion would fail on a loaded machine, not on a regression).
      expect(p99).toBeLessThan(5000);
      // Slow clients were cut off by the timeouts, and kept coming back.
      expect(cut).toBeGreaterThanOrEqual(SLOW_CONNECTIONS);
      expect(Number(ready.staleDeliveriesIgnored)).toBe(20);
      expect(Number(ready.otherShopRefused)).toBe(3);
      // The victim is still installed and configured; the stale orders were never recorded.
      expect(await app.db.get("SELECT shop FROM shop_settings WHERE shop = ?", [victim])).toBeDefined();
      expect(await app.db.get("SELECT order_gid FROM shopify_order WHERE shop = ? AND order_gid = ?", [shop, "gid://shopify/Order/6600000"])).toBeUndefined();
      // 500 slow connections and 50 MB bodies did not take the memory: the bodies held at once are bounded.
      expect(Number(ready.memoryPeakMb)).toBeLessThan(1024);
    });
  });
});
