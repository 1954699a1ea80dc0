// Fair order across shops on the scale path (docs/decisions/015-delivery-at-flash-sale-speed.md). BullMQ serves
// jobs by priority (lower first), first in first out within one priority. A job's priority is its shop's recent
// volume as this process counts it: the shop's jobs enqueued lately, decaying with a half-life. A shop's flash sale
// climbs to thousands; a small shop's receipt stays near 1 and is taken next, whatever the other's backlog. A shop
// alone still takes every worker's slots: priorities only order, they hold nothing back.

/** BullMQ's largest priority (2^21 - 1). */
export const MAX_PRIORITY = 2_097_151;

export class ShopRanks {
  private readonly counts = new Map<string, { count: number; at: number }>();

  constructor(
    private readonly halfLifeMs = 30_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** The priority of the next job of `shop`, counting it. */
  next(shop: string): number {
    const now = this.now();
    const entry = this.counts.get(shop);
    const decayed = entry ? entry.count * 2 ** (-(now - entry.at) / this.halfLifeMs) : 0;
    const count = decayed + 1;
    this.counts.set(shop, { count, at: now });
    if (this.counts.size > 10_000) this.forgetQuiet(now);
    return Math.min(MAX_PRIORITY, Math.max(1, Math.round(count)));
  }

  /** Drops the shops whose count has decayed below one job. */
  private forgetQuiet(now: number): void {
    for (const [shop, { count, at }] of this.counts) if (count * 2 ** (-(now - at) / this.halfLifeMs) < 1) this.counts.delete(shop);
  }
}
