// app/db/postgres.server.ts against a real PostgreSQL (CI, or TEST_DATABASE_URL), on a database migrated by
// npm run setup's code path: the app's SQL as written for both databases, numbers where SQLite gives numbers,
// transactions, and claims by several processes at once (FOR UPDATE SKIP LOCKED, one winner per push).
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../app/db/database.server";
import { openPostgresDatabase } from "../../app/db/postgres.server";
import { claimDuePushes, claimPush, releasePush, releaseStalledPushes, storeResend, getPush } from "../../app/stores/push-store.server";
import { createTestPostgresDatabase, postgresAvailable, type TestPostgresDatabase } from "../helpers/backends";

const LEASE_MS = 60_000;

describe.skipIf(!postgresAvailable)("the Database over PostgreSQL", () => {
  let database: TestPostgresDatabase;
  let db: Database;

  beforeAll(async () => {
    database = await createTestPostgresDatabase();
    db = openPostgresDatabase(database.url, { max: 4 });
  });
  afterAll(async () => {
    await db?.close();
    await database?.drop();
  });

  let seq = 0;
  async function insertPush(shop: string, dueAt: number, status = "queued"): Promise<number> {
    seq += 1;
    const row = await db.get<{ id: number }>(
      `INSERT INTO push (shop, topic, business_key, idempotency_key, status, params, product_gids, due_at, created_at, updated_at)
       VALUES (?, 'Order/Receipt', ?, ?, ?, '{}', '[]', ?, ?, ?) RETURNING id`,
      [shop, `receipt:gid://shopify/Order/${seq}`, randomUUID(), status, dueAt, dueAt, dueAt],
    );
    return row!.id;
  }

  it("gives BIGINT columns and COUNT(*) back as numbers, and counts the rows a statement changed", async () => {
    const now = Date.now();
    const id = await insertPush("numbers.myshopify.com", now);
    const row = await db.get<{ due_at: unknown; id: unknown; n: unknown }>(
      "SELECT due_at, id, (SELECT COUNT(*) FROM push WHERE shop = ?) AS n FROM push WHERE id = ?",
      ["numbers.myshopify.com", id],
    );
    expect(row).toEqual({ due_at: now, id, n: 1 });
    expect(await db.run("UPDATE push SET reason = ? WHERE shop = ?", ["x", "numbers.myshopify.com"])).toEqual({ changes: 1 });
    expect(await db.run("UPDATE push SET reason = ? WHERE shop = ?", ["x", "nobody.myshopify.com"])).toEqual({ changes: 0 });
    // A statement with RETURNING counts what it returned, as on SQLite.
    expect(await db.run("UPDATE push SET reason = NULL WHERE shop = ? RETURNING id", ["numbers.myshopify.com"])).toEqual({ changes: 1 });
    expect(await db.get("SELECT ? AS flag, ? AS nothing", [true, undefined])).toEqual({ flag: "1", nothing: null });
  });

  it("commits a transaction's writes together, and rolls all of them back when it throws", async () => {
    const shop = "tx.myshopify.com";
    await db.transaction(async (tx) => {
      await insertPushWith(tx, shop);
      await insertPushWith(tx, shop);
    });
    await expect(
      db.transaction(async (tx) => {
        await insertPushWith(tx, shop);
        throw new Error("changed my mind");
      }),
    ).rejects.toThrow("changed my mind");
    const count = await db.get<{ n: number }>("SELECT COUNT(*) AS n FROM push WHERE shop = ?", [shop]);
    expect(count?.n).toBe(2);
    // The connection went back to the pool clean: the next transaction works.
    await db.transaction((tx) => insertPushWith(tx, shop));
    expect((await db.get<{ n: number }>("SELECT COUNT(*) AS n FROM push WHERE shop = ?", [shop]))?.n).toBe(3);

    async function insertPushWith(tx: Pick<Database, "run">, s: string) {
      seq += 1;
      await tx.run(
        `INSERT INTO push (shop, topic, business_key, idempotency_key, status, due_at, created_at, updated_at) VALUES (?, 'Order/Receipt', ?, ?, 'skipped', 0, 0, 0)`,
        [s, `receipt:${seq}`, randomUUID()],
      );
    }
  });

  it("copies a push for a merchant's resend (INSERT ... SELECT with parameters)", async () => {
    const id = await insertPush("resend.myshopify.com", Date.now(), "delivered");
    const original = (await getPush(db, id))!;
    const copy = await storeResend(db, original, 12345);
    expect(copy.created).toBe(true);
    expect(await getPush(db, copy.id)).toMatchObject({ shop: "resend.myshopify.com", status: "queued", resend_of: id, due_at: 12345, created_at: 12345 });
    // The same request key again (a repeated request) finds that push, on PostgreSQL's ON CONFLICT as on SQLite's.
    const once = await storeResend(db, original, 12346, "request-1");
    expect(await storeResend(db, original, 12347, "request-1")).toEqual({ id: once.id, created: false });
  });

  it(
    "four processes claiming at once (FOR UPDATE SKIP LOCKED) take every due push exactly once, at most 3 per shop per claim",
    { timeout: 60_000 },
    async () => {
      await db.run("UPDATE push SET status = 'cancelled' WHERE status IN ('queued', 'retrying')");
      const now = Date.now();
      const shops = ["a", "b", "c", "d", "e"].map((s) => `claim-${s}.myshopify.com`);
      const ids = new Set<number>();
      for (let i = 0; i < 200; i++) ids.add(await insertPush(shops[i % shops.length], now - 1000 + i));
      const processes = Array.from({ length: 4 }, () => openPostgresDatabase(database.url, { max: 2 }));
      const claimedBy = new Map<number, number>();
      try {
        await Promise.all(
          processes.map(async (proc, p) => {
            for (;;) {
              const rows = await proc.transaction((tx) => claimDuePushes(tx, now + 1000, 7, LEASE_MS, { perShop: 3, busy: new Map() }));
              if (rows.length === 0) break;
              const perShop = new Map<string, number>();
              for (const row of rows) {
                perShop.set(row.shop, (perShop.get(row.shop) ?? 0) + 1);
                expect(claimedBy.has(row.id), `push ${row.id} claimed twice`).toBe(false);
                claimedBy.set(row.id, p);
                expect(row).toMatchObject({ status: "sending", attempts: 1 });
              }
              expect(Math.max(...perShop.values())).toBeLessThanOrEqual(3);
            }
          }),
        );
      } finally {
        await Promise.all(processes.map((p) => p.close()));
      }
      expect(new Set(claimedBy.keys())).toEqual(ids);
      // Every process took a share.
      expect(new Set(claimedBy.values()).size).toBeGreaterThan(1);
    },
  );

  it("many jobs for one push: one claim wins; the others see it in flight, then settled", async () => {
    const id = await insertPush("one-winner.myshopify.com", Date.now() - 10);
    const now = Date.now();
    const claims = await Promise.all(Array.from({ length: 10 }, () => claimPush(db, id, 0, now, LEASE_MS)));
    expect(claims.filter((c) => c.kind === "claimed")).toHaveLength(1);
    expect(claims.filter((c) => c.kind === "in-flight")).toHaveLength(9);
    // A job of an earlier attempt, or of the same attempt once it is settled, has nothing to do.
    expect(await claimPush(db, id, 1, now, LEASE_MS)).toMatchObject({ kind: "stale" });
    await db.run("UPDATE push SET status = 'delivered' WHERE id = ?", [id]);
    expect(await claimPush(db, id, 0, now, LEASE_MS)).toEqual({ kind: "settled", status: "delivered" });
  });

  it("a push whose sender died is put back once its lease runs out, the lost attempt recorded as interrupted", async () => {
    const id = await insertPush("lease.myshopify.com", Date.now() - 10);
    const claimedAt = Date.now();
    const claim = await claimPush(db, id, 0, claimedAt, 1_000);
    expect(claim.kind).toBe("claimed");
    expect(await claimPush(db, id, 0, claimedAt + 500, 1_000)).toMatchObject({ kind: "in-flight", expired: false });
    expect(await claimPush(db, id, 0, claimedAt + 2_000, 1_000)).toMatchObject({ kind: "in-flight", expired: true });
    expect(await releasePush(db, { id, attempts: 1 }, claimedAt + 2_000)).toBe(true);
    // Released once: a second release (another worker) changes nothing.
    expect(await releasePush(db, { id, attempts: 1 }, claimedAt + 2_000)).toBe(false);
    expect(await releaseStalledPushes(db, claimedAt + 2_000)).toBe(0);
    expect(await getPush(db, id)).toMatchObject({ status: "retrying", attempts: 1, locked_until: null });
    expect(await db.all("SELECT number, outcome FROM push_attempt WHERE push_id = ?", [id])).toEqual([{ number: 1, outcome: "interrupted" }]);
    // The job of the next attempt claims it.
    expect(await claimPush(db, id, 1, claimedAt + 2_001, 1_000)).toMatchObject({ kind: "claimed" });
  });
});
