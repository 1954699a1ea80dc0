// How many pushes of each shop one process is sending, and how many one shop may have at once
// (DELIVERY_SHOP_CONCURRENCY): one shop's flash sale leaves the other slots to the other shops. The embedded worker
// and the BullMQ worker count with the same ShopSlots.

export class ShopSlots {
  private readonly busy = new Map<string, number>();
  private taken = 0;

  /** `perShop`: pushes of one shop at once; unset, no limit per shop. */
  constructor(readonly perShop?: number) {}

  /** The shops' counts, for the outbox claim to pass over the shops at their limit. */
  get counts(): ReadonlyMap<string, number> {
    return this.busy;
  }

  /** Slots taken, all shops together. */
  get total(): number {
    return this.taken;
  }

  /** Whether the shop has all its slots taken. */
  isFull(shop: string): boolean {
    return this.perShop !== undefined && (this.busy.get(shop) ?? 0) >= this.perShop;
  }

  /** Whether some shop has all its slots taken. */
  anyFull(): boolean {
    return this.perShop !== undefined && [...this.busy.values()].some((n) => n >= this.perShop!);
  }

  /** Takes one slot of the shop (whether or not it was free: the claim already checked). */
  take(shop: string): void {
    this.busy.set(shop, (this.busy.get(shop) ?? 0) + 1);
    this.taken += 1;
  }

  /** Gives back one slot of the shop. */
  release(shop: string): void {
    if (this.busy.has(shop)) this.taken -= 1;
    const left = (this.busy.get(shop) ?? 1) - 1;
    if (left > 0) this.busy.set(shop, left);
    else this.busy.delete(shop);
  }
}
