import { afterAll, describe, expect, it } from "vitest";
import { openSqliteDatabase } from "./sqlite.server";

// SQLite has one connection: a transaction spans awaits and holds a lock every other statement and transaction waits
// for. Transactions that wait for the same one must then take the lock one at a time, never two at once.

const db = openSqliteDatabase(":memory:");
afterAll(() => db.close());

describe("sqlite: transactions", () => {
  it("several waiting for the same transaction each run on their own and all commit", async () => {
    await db.run("CREATE TABLE t (who INTEGER NOT NULL, step INTEGER NOT NULL)");
    const pause = () => new Promise((resolve) => setTimeout(resolve, 5));
    const work = (who: number) =>
      db.transaction(async (tx) => {
        await tx.run("INSERT INTO t (who, step) VALUES (?, 1)", [who]);
        await pause();
        await tx.run("INSERT INTO t (who, step) VALUES (?, 2)", [who]);
        return who;
      });
    // The first holds the lock across its pause; the other three wait for it together.
    await expect(Promise.all([work(1), work(2), work(3), work(4)])).resolves.toEqual([1, 2, 3, 4]);
    const rows = await db.all<{ who: number; step: number }>("SELECT who, step FROM t ORDER BY rowid");
    expect(rows).toHaveLength(8);
    // One after the other: each transaction's two rows are next to each other.
    for (let i = 0; i < rows.length; i += 2) expect([rows[i].who, rows[i + 1].who, rows[i].step, rows[i + 1].step]).toEqual([rows[i].who, rows[i].who, 1, 2]);
  });
});
