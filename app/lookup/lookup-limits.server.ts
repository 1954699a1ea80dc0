// The rate limits of customer lookups (decisions 019 and 025), counted without scanning the lookup log on every lookup.
// A count (a shop's lookups in the last minute, or one looked-up identifier's in the last hour) is read from the log at
// most once per `refreshMs` and counted on in memory in between. Each web process of a fleet reads the log again every
// second, so another process's lookups count here within a second; a lookup whose log row is not committed yet is
// counted by the process that admitted it.

/** A lookup counted under a key. */
export interface Admission {
  /** Its log row was committed (a read of the log now sees it), or it was never written. */
  logged(): void;
  /** It does not count after all (it was refused for another limit, and the log leaves rate-limited lookups out). */
  withdraw(): void;
}

interface Count {
  /** What the log held at the last read, plus this process's lookups since that the read could not see. */
  value: number;
  readAt: number;
  /** Lookups this process counted whose log row is not committed yet. */
  unlogged: number;
  reading: Promise<void> | null;
}

export class LookupCounts {
  private readonly counts = new Map<string, Count>();

  constructor(
    private readonly refreshMs = 1_000,
    private readonly maxKeys = 10_000,
  ) {}

  /**
   * Counts one lookup under `key` if fewer than `limit` are counted in its window (`read` counts the window in the
   * log); null when the limit is reached. Two lookups never both take the last place: the check and the count happen
   * together, after any read.
   */
  async admit(key: string, limit: number, now: number, read: () => Promise<number>): Promise<Admission | null> {
    const count = this.countOf(key);
    if (now < count.readAt || now - count.readAt >= this.refreshMs) {
      count.reading ??= read()
        .then((n) => {
          // Rows committed while the log was read may be counted twice here: a few more for a second, never fewer.
          count.value = n + count.unlogged;
          count.readAt = now;
        })
        .finally(() => {
          count.reading = null;
        });
      await count.reading;
    }
    if (count.value >= limit) return null;
    count.value += 1;
    count.unlogged += 1;
    let settled = false;
    const settle = (counts: boolean) => {
      if (settled) return;
      settled = true;
      count.unlogged -= 1;
      if (!counts) count.value -= 1;
    };
    return { logged: () => settle(true), withdraw: () => settle(false) };
  }

  private countOf(key: string): Count {
    let count = this.counts.get(key);
    if (count) return count;
    // Forget the keys seen longest ago (a Map iterates in insertion order); an evicted key is read from the log again.
    if (this.counts.size >= this.maxKeys) {
      for (const old of this.counts.keys()) {
        this.counts.delete(old);
        if (this.counts.size < this.maxKeys * 0.9) break;
      }
    }
    count = { value: 0, readAt: Number.NEGATIVE_INFINITY, unlogged: 0, reading: null };
    this.counts.set(key, count);
    return count;
  }
}
