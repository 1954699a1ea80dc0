// `npm run cli -- db copy --to <postgres url>`: a shop base on the embedded default (SQLite) moved to PostgreSQL.
// The SQLite side is filled by the app itself (settings with an encrypted secret, Shopify sessions, webhooks through
// the intake, pushes delivered, failed and waiting, a data request); the copy must hold every row as it was, go on
// numbering pushes after the copied ids, and refuse (changing nothing) a target that is not empty, not PostgreSQL,
// or lacks part of the schema, all or nothing.
import { Session } from "@shopify/shopify-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../app/cli/main";
import type { Database } from "../../app/db/database.server";
import { openPostgresDatabase } from "../../app/db/postgres.server";
import { getPush, storeResend } from "../../app/stores/push-store.server";
import { getShopSecret } from "../../app/settings/settings.server";
import { buildFulfillmentJson } from "../fixtures/fulfillments";
import { buildOrderJson, toRawJson } from "../fixtures/orders";
import { OTHER_SHOP, startAdminRoutes, type AdminRoutes } from "../helpers/admin-routes";
import { startAppProcess, TEST_JOINCHAT_API_SECRET, waitFor } from "../helpers/app-process";
import { createTestPostgresDatabase, postgresAvailable, SCALE_OUT_BACKEND, scaleOutAvailable, type TestPostgresDatabase } from "../helpers/backends";
import { startJoinChatSandbox } from "../sandbox/joinchat-sandbox";

const SECRET = "the-shops-own-joinchat-secret";

describe.skipIf(!postgresAvailable)("db copy: SQLite to PostgreSQL", () => {
  let h: AdminRoutes;
  let target: TestPostgresDatabase;
  let pg: Database;
  const out: string[] = [];
  const cli = (args: string[], env: Record<string, string | undefined> = { DATABASE_URL: process.env.DATABASE_URL }) => {
    out.length = 0;
    return runCli(args, { out: (line) => out.push(line), env });
  };

  beforeAll(async () => {
    h = await startAdminRoutes();
    await h.configure({ pageId: "407898491811542", secret: SECRET });
    await h.configure({ pageId: "407898491811542" }, OTHER_SHOP);
    // An online session with its booleans and times, as Shopify's library stores it.
    const { sessionStorage } = await import("../../app/shopify.server");
    const online = new Session({
      id: `${h.shop}_42`,
      shop: h.shop,
      state: "online",
      isOnline: true,
      scope: "read_orders",
      expires: new Date("2027-01-02T03:04:05.678Z"),
      accessToken: "shpua_x",
    });
    online.onlineAccessInfo = {
      expires_in: 86_400,
      associated_user_scope: "read_orders",
      associated_user: {
        id: 902541635,
        first_name: "Ann",
        last_name: "Lee",
        email: "ann@example.com",
        email_verified: true,
        account_owner: true,
        locale: "zh-CN",
        collaborator: false,
      },
    };
    await sessionStorage.storeSession(online);
    // Pushes of every kind: delivered, a failure, one waiting for its time, a shipping update, a data request.
    h.sandbox.setKnownRecipients(["6024912345678901"]);
    await h.webhook("orders/create", buildOrderJson({ id: 9101, admin_graphql_api_id: "gid://shopify/Order/9101", name: "#9101" }));
    await h.webhook(
      "fulfillments/create",
      buildFulfillmentJson({ id: 9201, admin_graphql_api_id: "gid://shopify/Fulfillment/9201", order_id: 9101, shipment_status: "in_transit" }),
    );
    await h.webhook("orders/create", buildOrderJson({ id: 9102, admin_graphql_api_id: "gid://shopify/Order/9102", name: "#9102", note_attributes: [] }));
    await h.deliverDue();
    await h.webhook(
      "orders/create",
      buildOrderJson({ id: 9103, admin_graphql_api_id: "gid://shopify/Order/9103", name: "#9103", financial_status: "pending" }),
    );
    await h.webhook("orders/create", buildOrderJson({ id: 9104, admin_graphql_api_id: "gid://shopify/Order/9104", name: "#9104" }), OTHER_SHOP);
    await h.webhook(
      "customers/data_request",
      toRawJson({
        shop_id: 1,
        shop_domain: h.shop,
        customer: { id: 1, email: "buyer@example.com", phone: null },
        orders_requested: [9101],
        data_request: { id: 77 },
      }),
    );
    target = await createTestPostgresDatabase();
    pg = openPostgresDatabase(target.url, { max: 2 });
  }, 120_000);

  afterAll(async () => {
    await pg?.close();
    await target?.drop();
    await h?.close();
  });

  async function tablesOf(db: Database): Promise<string[]> {
    const sql =
      db.kind === "sqlite"
        ? "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '_prisma_migrations' ORDER BY name"
        : "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name <> '_prisma_migrations' ORDER BY table_name";
    return (await db.all<{ name: string }>(sql)).map((r) => r.name);
  }

  /** Every row of a table, in one order, with values compared by what they mean (0/1 and booleans, times). */
  async function rowsOf(db: Database, table: string): Promise<Record<string, unknown>[]> {
    const rows = await db.all<Record<string, unknown>>(`SELECT * FROM "${table}"`);
    const normal = rows.map((row) =>
      Object.fromEntries(
        Object.entries(row).map(([k, v]) => {
          if (typeof v === "boolean") return [k, v ? 1 : 0];
          if (v instanceof Date) return [k, v.toISOString()];
          if (typeof v === "string" && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00$/.test(v)) return [k, new Date(v).toISOString()];
          if (typeof v === "bigint") return [k, Number(v)];
          return [k, v];
        }),
      ),
    );
    const key = (row: Record<string, unknown>) =>
      JSON.stringify(
        Object.keys(row)
          .sort()
          .map((k) => [k, row[k]]),
      );
    return normal.sort((a, b) => key(a).localeCompare(key(b)));
  }

  it("copies every row of every table into an empty, freshly migrated database", async () => {
    const pushes = Number((await h.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM push"))!.n);
    expect(pushes).toBeGreaterThanOrEqual(5);
    expect(await cli(["db", "copy", "--to", target.url])).toBe(0);
    expect(out.join("\n")).toMatch(/push\s+\d+ row\(s\)/);
    expect(out.at(-1)).toMatch(/^Copied \d+ row\(s\) of \d+ tables/);
    if (process.env.SHOW_COPY) console.log(out.join("\n"));

    const tables = await tablesOf(h.db);
    expect(await tablesOf(pg)).toEqual(tables);
    for (const table of tables) expect(await rowsOf(pg, table), table).toEqual(await rowsOf(h.db, table));
    // What is stored with a type of its own on PostgreSQL reads back as it was meant.
    const session = await pg.get<{ isOnline: boolean; expires: Date; accountOwner: boolean; collaborator: boolean }>(
      `SELECT * FROM "Session" WHERE "isOnline" = true`,
    );
    expect(session).toMatchObject({ isOnline: true, accountOwner: true, collaborator: false });
    expect(session!.expires.toISOString()).toBe("2027-01-02T03:04:05.678Z");
    // The secret still opens with the app's ENCRYPTION_KEY.
    expect(await getShopSecret(pg, h.shop, h.runtime.box)).toBe(SECRET);
  });

  it("numbers new pushes after the copied ones", async () => {
    const last = (await pg.get<{ id: number }>("SELECT MAX(id) AS id FROM push"))!.id;
    const copy = await storeResend(pg, (await getPush(pg, last))!, Date.now());
    expect(copy).toEqual({ id: last + 1, created: true });
    await pg.run("DELETE FROM push WHERE id = ?", [copy.id]);
  });

  it("refuses a target that is not empty, and changes nothing there", async () => {
    const before = await rowsOf(pg, "push");
    expect(await cli(["db", "copy", "--to", target.url])).toBe(2);
    expect(out.join("\n")).toMatch(/not empty.*Nothing was copied/);
    expect(await rowsOf(pg, "push")).toEqual(before);
  });

  it("refuses what is not a copy from SQLite to PostgreSQL", async () => {
    const cases: [string[], Record<string, string | undefined>, RegExp][] = [
      [["db", "copy"], { DATABASE_URL: process.env.DATABASE_URL }, /--to must be the PostgreSQL database/],
      [["db", "copy", "--to", "file:./other.sqlite"], { DATABASE_URL: process.env.DATABASE_URL }, /--to must be the PostgreSQL database/],
      [["db", "copy", "--to", "postgres://"], { DATABASE_URL: process.env.DATABASE_URL }, /--to is not a PostgreSQL URL/],
      [["db", "copy", "--to", target.url], { DATABASE_URL: target.url }, /DATABASE_URL must be the SQLite database/],
      [["db", "copy", "--to", target.url], { DATABASE_URL: "file:/nonexistent/joinchat.sqlite" }, /no SQLite database at/],
      [["db", "copy", "--to", target.url, "--from", "x"], { DATABASE_URL: process.env.DATABASE_URL }, /Unknown option/],
    ];
    for (const [args, env, message] of cases) {
      expect(await cli(args, env), args.join(" ")).toBe(2);
      expect(out.join("\n"), args.join(" ")).toMatch(message);
    }
  });

  it.skipIf(!scaleOutAvailable)("runs the app on the copy: the push that was waiting in SQLite is delivered once by a BullMQ worker", async () => {
    const waiting = await pg.get<{ id: number; shop: string }>("SELECT id, shop FROM push WHERE status = 'queued' AND topic = 'Order/Receipt'");
    expect(waiting).toMatchObject({ shop: OTHER_SHOP });
    const sandbox = await startJoinChatSandbox({ defaultSecret: TEST_JOINCHAT_API_SECRET });
    sandbox.setSecret(h.shop, SECRET);
    // The app's processes on PostgreSQL with BullMQ, on the copied database, with the key its secrets were sealed with;
    // OTHER_SHOP linked its page without a secret of its own: it is the single shop of the operator's secret.
    const app = await startAppProcess({
      joinchatUrl: sandbox.url,
      backend: SCALE_OUT_BACKEND,
      env: {
        DATABASE_URL: target.url,
        ENCRYPTION_KEY: process.env.ENCRYPTION_KEY!,
        JOINCHAT_API_SECRET: TEST_JOINCHAT_API_SECRET,
        JOINCHAT_SINGLE_SHOP: OTHER_SHOP,
      },
    });
    try {
      await waitFor(
        async () => (await pg.get<{ status: string }>("SELECT status FROM push WHERE id = ?", [waiting!.id]))?.status === "delivered",
        30_000,
        "the waiting push to be delivered",
      );
      expect(sandbox.received.filter((r) => r.shop === OTHER_SHOP && r.topic === "Order/Receipt" && !r.replay)).toHaveLength(1);
    } finally {
      await app.stop();
      await sandbox.close();
    }
  });

  it("is all or nothing: a target missing a column gets no row at all", async () => {
    const broken = await createTestPostgresDatabase();
    const db = openPostgresDatabase(broken.url, { max: 1 });
    try {
      // A table copied late lacks a column: the tables before it were already written when the copy stops.
      await db.run('ALTER TABLE "shopify_order" DROP COLUMN "updated_at"');
      expect(await cli(["db", "copy", "--to", broken.url])).toBe(2);
      expect(out.join("\n")).toMatch(/shopify_order lacks column\(s\) updated_at/);
      for (const table of await tablesOf(db)) expect(Number((await db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM "${table}"`))!.n), table).toBe(0);
    } finally {
      await db.close();
      await broken.drop();
    }
  });
});
