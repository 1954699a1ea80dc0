// A parcel's updates reach JoinChat one at a time and in order, on both databases (app/stores/push-store.server.ts,
// NOT_BEHIND_AN_EARLIER_UPDATE): while an earlier package/update of a fulfillment is being sent, or is due, a later one
// is not claimed, neither by the embedded worker's batch claim nor by a BullMQ job's claim of one push. Without this,
// an earlier update that passed its "not backwards" check could still be on its way when the later one was sent.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../app/db/database.server";
import { openPostgresDatabase } from "../../app/db/postgres.server";
import { claimDuePushes, claimPush, markPushDelivered } from "../../app/stores/push-store.server";
import { createTestPostgresDatabase, postgresAvailable, type TestPostgresDatabase } from "../helpers/backends";
import { openTestDatabase } from "../helpers/database";

const LEASE_MS = 60_000;
const SHOP = "parcel-order.myshopify.com";

interface Backend {
  label: string;
  skip: boolean;
  open(): Promise<{ db: Database; close(): Promise<void> }>;
}

const BACKENDS: Backend[] = [
  {
    label: "SQLite",
    skip: false,
    async open() {
      const { db } = openTestDatabase();
      return { db, close: () => db.close() };
    },
  },
  {
    label: "PostgreSQL",
    skip: !postgresAvailable,
    async open() {
      const database: TestPostgresDatabase = await createTestPostgresDatabase();
      const db = openPostgresDatabase(database.url, { max: 4 });
      return {
        db,
        async close() {
          await db.close();
          await database.drop();
        },
      };
    },
  },
];

for (const backend of BACKENDS) {
  describe.skipIf(backend.skip)(`a parcel's updates, one at a time [${backend.label}]`, () => {
    let db: Database;
    let close: () => Promise<void>;
    beforeAll(async () => {
      ({ db, close } = await backend.open());
    });
    afterAll(async () => {
      await close?.();
    });

    let seq = 0;
    async function insertUpdate(fulfillment: string, status: string, dueAt: number, topic = "package/update"): Promise<number> {
      seq += 1;
      const row = await db.get<{ id: number }>(
        `INSERT INTO push (shop, topic, business_key, idempotency_key, status, fulfillment_gid, tracking_status, params, product_gids, due_at, created_at, updated_at)
         VALUES (?, ?, ?, ?, 'queued', ?, ?, '{}', '[]', ?, ?, ?) RETURNING id`,
        [SHOP, topic, `package:${fulfillment}:${status}:${seq}`, randomUUID(), fulfillment, status, dueAt, dueAt, dueAt],
      );
      return row!.id;
    }
    const fulfillment = () => `gid://shopify/Fulfillment/${Date.now()}${++seq}`;

    it("a batch claim takes the earlier update of a parcel and leaves the later one until the earlier is sent", async () => {
      const now = Date.now();
      const parcel = fulfillment();
      const inTransit = await insertUpdate(parcel, "in_transit", now - 20);
      const delivered = await insertUpdate(parcel, "delivered", now - 30);
      // Another parcel's update and another topic are not held back.
      const otherParcel = await insertUpdate(fulfillment(), "in_transit", now - 10);
      const first = await claimDuePushes(db, now, 10, LEASE_MS, { busy: new Map() });
      expect(first.map((p) => p.id).sort()).toEqual([inTransit, otherParcel].sort());
      // While the earlier one is being sent, the later one waits, on either claim.
      expect(await claimDuePushes(db, now + 1, 10, LEASE_MS, { busy: new Map() })).toEqual([]);
      expect(await claimDuePushes(db, now + 1, 10, LEASE_MS)).toEqual([]);
      expect(await claimPush(db, delivered, 0, now + 1, LEASE_MS)).toEqual({ kind: "behind" });
      await markPushDelivered(db, inTransit, null, 200, now + 2);
      expect((await claimDuePushes(db, now + 3, 10, LEASE_MS, { busy: new Map() })).map((p) => p.id)).toEqual([delivered]);
    });

    it("a BullMQ job's claim of the later update waits for an earlier one that is due, then goes", async () => {
      const now = Date.now();
      const parcel = fulfillment();
      const earlier = await insertUpdate(parcel, "in_transit", now - 20);
      const later = await insertUpdate(parcel, "out_for_delivery", now - 20);
      expect(await claimPush(db, later, 0, now, LEASE_MS)).toEqual({ kind: "behind" });
      expect(await claimPush(db, earlier, 0, now, LEASE_MS)).toMatchObject({ kind: "claimed" });
      expect(await claimPush(db, later, 0, now, LEASE_MS)).toEqual({ kind: "behind" });
      await markPushDelivered(db, earlier, null, 200, now + 1);
      expect(await claimPush(db, later, 0, now + 2, LEASE_MS)).toMatchObject({ kind: "claimed" });
    });

    it("an earlier update waiting for a retry later does not hold the parcel's next one back", async () => {
      const now = Date.now();
      const parcel = fulfillment();
      const earlier = await insertUpdate(parcel, "in_transit", now + 60_000);
      const later = await insertUpdate(parcel, "delivered", now - 10);
      expect((await claimDuePushes(db, now, 10, LEASE_MS, { busy: new Map() })).map((p) => p.id)).toEqual([later]);
      // The earlier one, once due, is claimed (and deliverPush skips it: its status is behind the parcel's).
      expect((await claimDuePushes(db, now + 60_000, 10, LEASE_MS, { busy: new Map() })).map((p) => p.id)).toEqual([earlier]);
    });

    it("several claimers at once never have two updates of one parcel in flight", async () => {
      const now = Date.now();
      const parcels = Array.from({ length: 20 }, fulfillment);
      for (const parcel of parcels) {
        for (const status of ["confirmed", "in_transit", "out_for_delivery", "delivered"]) await insertUpdate(parcel, status, now - 10);
      }
      const claims = await Promise.all(Array.from({ length: 4 }, () => db.transaction((tx) => claimDuePushes(tx, now, 50, LEASE_MS, { busy: new Map() }))));
      const inFlight = new Map<string, number>();
      for (const row of claims.flat()) inFlight.set(row.fulfillment_gid!, (inFlight.get(row.fulfillment_gid!) ?? 0) + 1);
      expect([...inFlight.values()].every((n) => n === 1)).toBe(true);
      expect(inFlight.size).toBe(parcels.length);
      for (const row of claims.flat()) expect(row.tracking_status).toBe("confirmed");
    });
  });
}
