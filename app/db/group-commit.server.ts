import type { Database, Sql } from "./database.server";

// Group commit: the deliveries that arrive while one transaction commits are written together in the next,
// so a burst costs one commit (one fsync) per batch instead of one per webhook. Each caller still learns
// its own result only after its transaction committed: a 200 keeps meaning "durably stored".

export type Work<T> = (tx: Sql) => Promise<T>;

interface Pending {
  work: Work<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** The group commit holds as many deliveries as it may: try again later (intake answers 503 + Retry-After). */
export class GroupCommitFullError extends Error {
  constructor(readonly limit: number) {
    super(`the group commit holds ${limit} pending transactions`);
    this.name = "GroupCommitFullError";
  }
}

export interface GroupCommit {
  run<T>(work: Work<T>): Promise<T>;
  /**
   * As run, unless `maxPending` works submitted with tryRun are still waiting or committing: then it rejects at once
   * with GroupCommitFullError and the work never runs. Intake sheds load with it; claims and outcomes use run.
   */
  tryRun<T>(work: Work<T>): Promise<T>;
  /** Resolves when everything submitted so far has committed. */
  drain(): Promise<void>;
}

export function createGroupCommit(db: Database, maxBatch = 512, maxPending = Number.POSITIVE_INFINITY): GroupCommit {
  let queue: Pending[] = [];
  let shedable = 0;
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
        void flushAll().finally(() => {
          flushing = null;
          resolve();
          if (queue.length > 0) schedule();
        });
      });
    });
  }

  function submit<T>(work: Work<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      queue.push({ work, resolve: resolve as (v: unknown) => void, reject });
      schedule();
    });
  }

  return {
    run: submit,
    tryRun<T>(work: Work<T>): Promise<T> {
      if (shedable >= maxPending) return Promise.reject(new GroupCommitFullError(maxPending));
      shedable++;
      return submit(work).finally(() => {
        shedable--;
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
