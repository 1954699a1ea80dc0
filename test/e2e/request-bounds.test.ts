// Issue 13, point 1: every request body is bounded, whatever the path's spelling, and slow clients are cut off,
// through the production server. Each 50 MB request declares its size and sends a first part only: the answer must
// come before the rest is sent (the code before this test read such a body whole before refusing it).
import { randomUUID } from "node:crypto";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { buildOrderJson } from "../fixtures/orders";
import { TEST_SHOPIFY_API_SECRET, uniqueShop, type AppProcess } from "../helpers/app-process";
import { describeOnBackends, useE2eStack } from "../helpers/e2e-stack";
import { rawRequest, requestHead } from "../helpers/raw-http";
import { signShopifyWebhook } from "../../app/webhooks/sign-webhook";

const WEBHOOK_MAX = 64 * 1024;
const REQUEST_MAX = 16 * 1024;
const FIFTY_MB = 50 * 1024 * 1024;

let app: AppProcess;

const WEBHOOK_VARIANTS = [
  "/Webhooks/orders/create",
  "/WEBHOOKS/ORDERS/CREATE",
  "/%77ebhooks/orders/create",
  "/%2577ebhooks/orders/create",
  "/./webhooks/orders/create",
  "/app/../webhooks/orders/create",
  "//webhooks/orders/create",
  "/webhooks%2Forders%2Fcreate",
  // Absolute form, which a server must accept (RFC 9112, 3.2.2).
  "http://127.0.0.1/Webhooks/orders/create",
];

describeOnBackends((backend) => {
  useE2eStack(
    (started) => {
      app = started.app;
    },
    {
      WEBHOOK_MAX_BODY_BYTES: String(WEBHOOK_MAX),
      REQUEST_MAX_BODY_BYTES: String(REQUEST_MAX),
      HTTP_HEADERS_TIMEOUT_SECONDS: "2",
      HTTP_REQUEST_TIMEOUT_SECONDS: "3",
      INTAKE_MAX_QUEUE: "2",
    },
    backend,
  );

  const storedFor = async (shop: string) =>
    Number((await app.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM webhook_delivery WHERE shop = ?", [shop]))?.n ?? 0);

  function signedHeaders(shop: string, body: string) {
    return signShopifyWebhook({ body, secret: TEST_SHOPIFY_API_SECRET, topic: "orders/create", shop, webhookId: randomUUID() });
  }

  describe("request bounds on the production server", () => {
    it.each(WEBHOOK_VARIANTS)("50 MB declared to %s: 413 before the body is sent, nothing stored", { timeout: 30_000 }, async (path) => {
      const shop = uniqueShop("bounds-variant");
      const headers = { ...signedHeaders(shop, "{}"), "content-type": "application/json", "content-length": String(FIFTY_MB) };
      const answer = await rawRequest({
        port: app.port,
        head: requestHead("POST", path, headers),
        body: Buffer.alloc(1024, 0x20),
        waitMs: 10_000,
        untilAnswer: true,
      });
      expect(answer.status, answer.text).toBe(413);
      expect(answer.bodyBytesSent).toBeLessThan(FIFTY_MB);
      expect(answer.text).toContain(`body over ${WEBHOOK_MAX} bytes`);
      expect(await storedFor(shop)).toBe(0);
    });

    it.each(WEBHOOK_VARIANTS.slice(0, 4))("50 MB streamed without a length to %s: 413 at the webhook limit", { timeout: 60_000 }, async (path) => {
      const shop = uniqueShop("bounds-chunked");
      const headers = { ...signedHeaders(shop, "{}"), "content-type": "application/json", "transfer-encoding": "chunked" };
      // One chunk that claims 50 MB: the server reads it as it comes.
      const answer = await rawRequest({
        port: app.port,
        head: requestHead("POST", path, headers),
        body: Buffer.from(`${FIFTY_MB.toString(16)}\r\n`),
        streamTotal: FIFTY_MB,
        waitMs: 30_000,
        untilAnswer: true,
      });
      expect(answer.status, answer.text).toBe(413);
      expect(answer.bodyBytesSent).toBeLessThan(FIFTY_MB);
      expect(await storedFor(shop)).toBe(0);
    });

    it("a signed delivery on a variant path is taken by the lean intake like on its own path", { timeout: 30_000 }, async () => {
      const shop = uniqueShop("bounds-variant-ok");
      await app.configureShop(shop);
      const res = await app.sendWebhook("orders/create", shop, buildOrderJson(), { path: "/Webhooks/./orders/create" });
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({ ok: true, duplicate: false });
      expect(await storedFor(shop)).toBe(1);
    });

    it.each(["/auth/login", "/app/settings", "/api/orders/1/pushes", "/"])(
      "50 MB declared to %s: 413 before the body is sent",
      { timeout: 30_000 },
      async (path) => {
        const headers = { "content-type": "application/x-www-form-urlencoded", "content-length": String(FIFTY_MB) };
        const answer = await rawRequest({
          port: app.port,
          head: requestHead("POST", path, headers),
          body: Buffer.from("shop="),
          waitMs: 10_000,
          untilAnswer: true,
        });
        expect(answer.status, answer.text).toBe(413);
        expect(answer.text).toContain(`body over ${REQUEST_MAX} bytes`);
        expect(answer.bodyBytesSent).toBeLessThan(FIFTY_MB);
      },
    );

    it("a body of unknown length to an admin route: 411 before it is read; a small form still reaches Remix", { timeout: 30_000 }, async () => {
      const chunked = await rawRequest({
        port: app.port,
        head: requestHead("POST", "/auth/login", { "content-type": "application/x-www-form-urlencoded", "transfer-encoding": "chunked" }),
        body: Buffer.from(`${FIFTY_MB.toString(16)}\r\n`),
        streamTotal: FIFTY_MB,
        waitMs: 20_000,
        untilAnswer: true,
      });
      expect(chunked.status, chunked.text).toBe(411);
      expect(chunked.bodyBytesSent).toBeLessThan(FIFTY_MB);
      // Remix hands the body of every method but GET and HEAD to its route: the login route reads a DELETE's form.
      for (const method of ["DELETE", "OPTIONS"]) {
        const other = await rawRequest({
          port: app.port,
          head: requestHead(method, "/auth/login", { "content-type": "application/x-www-form-urlencoded", "transfer-encoding": "chunked" }),
          body: Buffer.from(`${FIFTY_MB.toString(16)}\r\n`),
          streamTotal: FIFTY_MB,
          waitMs: 20_000,
          untilAnswer: true,
        });
        expect(other.status, `${method}: ${other.text}`).toBe(411);
        expect(other.bodyBytesSent, method).toBeLessThan(FIFTY_MB);
      }
      const form = await app.request("/auth/login", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "shop=" });
      expect(form.status).toBe(200);
      expect(form.text).toMatch(/shop domain/i);
    });

    it("an unknown path or a method Remix cannot take: answered quietly, nothing of the URL unmasked in the log", { timeout: 30_000 }, async () => {
      const notFound = await app.request("/no/such/page/jane.doe@example.com/+15550100234", { method: "GET" });
      expect(notFound.status).toBe(404);
      const trace = await rawRequest({ port: app.port, head: requestHead("TRACE", "/", { connection: "close" }), waitMs: 5_000, untilAnswer: true });
      expect(trace.status, trace.text).toBe(405);
      await new Promise((r) => setTimeout(r, 200));
      const logs = app.logs();
      expect(logs).not.toContain("jane.doe@example.com");
      expect(logs).not.toContain("+15550100234");
      expect(logs).not.toContain("No route matches");
      expect(logs).not.toContain("TypeError");
    });

    it("headers that never finish: the connection is answered 408 and closed after HTTP_HEADERS_TIMEOUT_SECONDS", { timeout: 30_000 }, async () => {
      const answer = await rawRequest({
        port: app.port,
        head: "POST /webhooks/orders/create HTTP/1.1\r\nhost: x\r\nx-shopify-topic: orders",
        finishHeaders: false,
        waitMs: 15_000,
      });
      expect(answer.closed).toBe(true);
      expect([408, null]).toContain(answer.status);
    });

    if (backend.kind === "postgres")
      it("a worker's health port cuts off headers that never finish as the web process does", { timeout: 30_000 }, async () => {
        const [worker] = app.workers;
        expect(worker).toBeDefined();
        const answer = await rawRequest({ port: worker.port, head: "GET /readyz HTTP/1.1\r\nhost: x\r\nx-slow: 1", finishHeaders: false, waitMs: 15_000 });
        expect(answer.closed).toBe(true);
        expect([408, null]).toContain(answer.status);
      });

    it("a body that never finishes: answered 408 and closed after HTTP_REQUEST_TIMEOUT_SECONDS, nothing stored", { timeout: 30_000 }, async () => {
      const shop = uniqueShop("bounds-slow-body");
      const headers = { ...signedHeaders(shop, buildOrderJson()), "content-type": "application/json", "content-length": "5000" };
      for (const path of ["/webhooks/orders/create", "/auth/login"]) {
        const answer = await rawRequest({ port: app.port, head: requestHead("POST", path, headers), body: Buffer.from('{"id":'), waitMs: 15_000 });
        expect(answer.closed, path).toBe(true);
        expect(answer.status, path).toBe(408);
      }
      expect(await storedFor(shop)).toBe(0);
      expect((await app.request("/healthz", { method: "GET" })).status).toBe(200);
    });

    // PostgreSQL only: another session can hold the table there while the app's event loop goes on; SQLite's lock
    // would stop the process itself (the group commit's shedding is tested in app/db/group-commit.server.test.ts).
    if (backend.kind === "postgres")
      it(
        "a full group commit: 503 with Retry-After at once, nothing stored for those, the others taken when the commit goes on",
        { timeout: 60_000 },
        async () => {
          const shop = uniqueShop("bounds-full");
          await app.configureShop(shop);
          // Another session holds the delivery table: the intake's commit waits, deliveries pile up behind it.
          const holder = new pg.Client({ connectionString: app.databaseUrl });
          await holder.connect();
          try {
            await holder.query("BEGIN");
            await holder.query("LOCK TABLE webhook_delivery IN EXCLUSIVE MODE");
            const answers: { status: number; retryAfter: string | undefined }[] = [];
            const sent = Array.from({ length: 5 }, (_, i) =>
              app
                .sendWebhook("orders/create", shop, buildOrderJson({ admin_graphql_api_id: `gid://shopify/Order/${9100 + i}`, name: `#${9100 + i}` }))
                .then((res) => {
                  answers.push({ status: res.status, retryAfter: res.headers["retry-after"] as string | undefined });
                  return res;
                }),
            );
            // INTAKE_MAX_QUEUE=2: two wait for the commit, the other three are refused without waiting.
            for (let i = 0; i < 400 && answers.length < 3; i++) await new Promise((r) => setTimeout(r, 25));
            expect(answers).toEqual(Array.from({ length: 3 }, () => ({ status: 503, retryAfter: "5" })));
            await holder.query("COMMIT");
            const all = await Promise.all(sent);
            expect(all.filter((a) => a.status === 200)).toHaveLength(2);
            expect(await storedFor(shop)).toBe(2);
          } finally {
            await holder.end();
          }
        },
      );
  });
});
