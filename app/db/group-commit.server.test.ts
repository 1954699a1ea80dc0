import { afterAll, describe, expect, it } from "vitest";
import { createGroupCommit, GroupCommitFullError } from "./group-commit.server";
import type { Database } from "./database.server";
import { openSqliteDatabase } from "./sqlite.server";

// The intake's load shedding: past INTAKE_MAX_QUEUE deliveries waiting for the commit, tryRun refuses at once.

const sqlite = openSqliteDatabase(":memory:");
afterAll(() => sqlite.close());

/** The database, with every transaction held until `open()` is called. */
function gated(db: Database) {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const held: Database = { ...db, transaction: async (work) => (await gate, db.transaction(work)) } as Database;
  return { db: held, open };
}

describe("group commit: tryRun", () => {
  it("takes maxPending works, refuses the next at once without running it, and takes work again once they committed", async () => {
    const { db, open } = gated(sqlite);
    const commit = createGroupCommit(db, 512, 2);
    const ran: number[] = [];
    const first = commit.tryRun(async () => ran.push(1));
    const second = commit.tryRun(async () => ran.push(2));
    await expect(commit.tryRun(async () => ran.push(3))).rejects.toBeInstanceOf(GroupCommitFullError);
    // run (claims, outcomes) is never refused.
    const claim = commit.run(async () => ran.push(4));
    open();
    await Promise.all([first, second, claim]);
    expect(ran.sort()).toEqual([1, 2, 4]);
    await expect(commit.tryRun(async () => "again")).resolves.toBe("again");
  });
});
