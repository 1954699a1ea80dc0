import type { Database, Sql } from "../db/database.server";

// Group commit: the deliveries that arrive while one transaction commits are written together in the next,
// so a burst costs one commit (one fsync) per batch instead of one per webhook. Each caller still learns
// its own result only after its transaction committed: a 200 keeps meaning "durably stored".

export type Work<T> = (tx: Sql) => Promise<T>;

interface Pending {
  work: Work<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

export interface GroupCommit {
  run<T>(work: Work<T>): Promise<T>;
  /** Resolves when everything submitted so far has committed. */
  drain(): Promise<void>;
}

export function createGroupCommit(db: Database, maxBatch = 512): GroupCommit {
  let queue: Pending[] = [];
  let flushing: Promise<void> | null = null;

  async function flushAll(): Promise<void> {
    while (queue.length > 0) {
      const batch = queue.slice(0, maxBatch);
      queue = queue.slice(batch.length);
      await commitBatch(batch);
    }
  }

  async function commitBatch(batch: Pending[]): Promise<void> {
    try {
      const results = await db.transaction(async (tx) => {
        const out: unknown[] = [];
        for (const item of batch) out.push(await item.work(tx));
        return out;
      });
      batch.forEach((item, i) => item.resolve(results[i]));
    } catch {
      // One bad delivery must not fail its neighbours: commit each on its own.
      for (const item of batch) {
        try {
          item.resolve(await db.transaction((tx) => item.work(tx)));
        } catch (error) {
          item.reject(error);
        }
      }
    }
  }

  function schedule() {
    if (flushing) return;
    flushing = new Promise<void>((resolve) => {
      setImmediate(() => {
        flushAll().finally(() => {
          flushing = null;
          resolve();
          if (queue.length > 0) schedule();
        });
      });
    });
  }

  return {
    run<T>(work: Work<T>): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        queue.push({ work, resolve: resolve as (v: unknown) => void, reject });
        schedule();
      });
    },
    async drain() {
      while (flushing || queue.length > 0) {
        if (flushing) await flushing;
        else schedule();
      }
    },
  };
}
