import { log } from "../logger.server";
import type { PushRow } from "./outbox.server";

// The embedded delivery worker: claims due pushes from the outbox and delivers them, at most `concurrency`
// at a time and at most `shopConcurrency` of one shop, so that one shop's flash sale leaves room for the
// others. New work wakes it at once; a timer wakes it when the next retry falls due, and a slow poll
// catches pushes another process queued (the CLI, a restart).

/** How many pushes of each shop this process is sending, and how many one shop may have at once. */
export interface ShopCapacity {
  perShop: number;
  busy: ReadonlyMap<string, number>;
}

export interface WorkerSource {
  claim(limit: number, capacity?: ShopCapacity): Promise<PushRow[]>;
  nextDueAt(): Promise<number | null>;
  releaseStalled(): Promise<number>;
}

export interface WorkerOptions {
  concurrency: number;
  /** Pushes of one shop sent at once by this worker; unset: no limit per shop. */
  shopConcurrency?: number;
  pollMs: number;
  deliver: (push: PushRow) => Promise<unknown>;
  source: WorkerSource;
  now?: () => number;
}

export interface StopOptions {
  /** How long the deliveries in flight may take to finish; unset: as long as they take. */
  deadlineMs?: number;
  /** Called with the pushes still in flight at the deadline: put them back for another attempt. */
  release?: (pushes: PushRow[]) => Promise<void>;
}

const RELEASE_EVERY_MS = 15_000;

export class DeliveryWorker {
  private inFlight = new Set<Promise<unknown>>();
  private sending = new Map<number, PushRow>();
  private busyByShop = new Map<string, number>();
  private pumping = false;
  private again = false;
  private stopped = true;
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Infinity;
  private lastRelease = 0;
  private readonly now: () => number;

  constructor(private readonly options: WorkerOptions) {
    this.now = options.now ?? Date.now;
  }

  get running(): boolean {
    return !this.stopped;
  }

  get activeDeliveries(): number {
    return this.inFlight.size;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.wake();
  }

  /** New pushes were stored: pump now if one is due, else make sure the timer fires when it is. */
  wake(dueAt: number = this.now()): void {
    if (this.stopped) return;
    if (dueAt <= this.now()) {
      this.setTimer(0);
    } else {
      this.setTimer(dueAt - this.now());
    }
  }

  /**
   * Stops claiming; resolves when the deliveries in flight have finished and recorded their outcome, or at the
   * deadline, after `release` has put back the pushes still in flight.
   */
  async stop(options: StopOptions = {}): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const drained = (async () => {
      while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    })();
    if (options.deadlineMs === undefined) return drained;
    let timer: NodeJS.Timeout | undefined;
    const late = await Promise.race([
      drained.then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), options.deadlineMs))),
    ]);
    clearTimeout(timer);
    if (late && this.sending.size > 0) {
      const pushes = [...this.sending.values()];
      log.warn("releasing deliveries still in flight at shutdown", { count: pushes.length, pushIds: pushes.map((p) => p.id) });
      await options.release?.(pushes);
    }
  }

  /** The shops at their limit of pushes in flight, for the claim to pass over. */
  private capacity(): ShopCapacity | undefined {
    const perShop = this.options.shopConcurrency;
    return perShop === undefined ? undefined : { perShop, busy: this.busyByShop };
  }

  private setTimer(delayMs: number): void {
    const at = this.now() + Math.max(0, delayMs);
    if (this.timer && at >= this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.timerAt = Infinity;
      void this.pump();
    }, Math.max(0, delayMs));
  }

  private async pump(): Promise<void> {
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    try {
      if (this.now() - this.lastRelease >= RELEASE_EVERY_MS) {
        this.lastRelease = this.now();
        await this.options.source.releaseStalled();
      }
      let claimedNothing = false;
      do {
        this.again = false;
        const free = this.options.concurrency - this.inFlight.size;
        if (free <= 0 || this.stopped) break;
        const capacity = this.capacity();
        const pushes = await this.options.source.claim(free, capacity);
        for (const push of pushes) this.launch(push);
        claimedNothing = pushes.length === 0;
        if (pushes.length === free) this.again = true;
        // Fewer than asked because a shop reached its limit: the next claim passes over it.
        else if (capacity && pushes.length > 0 && [...this.busyByShop.values()].some((n) => n >= capacity.perShop)) this.again = true;
      } while (this.again && !this.stopped);
      if (!this.stopped && this.inFlight.size < this.options.concurrency) {
        const next = await this.options.source.nextDueAt();
        let delay = next === null ? this.options.pollMs : Math.min(Math.max(next - this.now(), 0), this.options.pollMs);
        // Due pushes this worker may not take now (their shops are at their limit): a finished delivery wakes it.
        if (delay === 0 && claimedNothing && this.inFlight.size > 0) delay = this.options.pollMs;
        // Due pushes another process holds for a moment (PostgreSQL): look again shortly, not in a tight loop.
        else if (delay === 0 && claimedNothing) delay = Math.min(25, this.options.pollMs);
        this.setTimer(delay);
      }
    } catch (error) {
      log.error("delivery worker could not claim pushes", { error });
      if (!this.stopped) this.setTimer(this.options.pollMs);
    } finally {
      this.pumping = false;
    }
  }

  private launch(push: PushRow): void {
    this.sending.set(push.id, push);
    this.busyByShop.set(push.shop, (this.busyByShop.get(push.shop) ?? 0) + 1);
    const run = this.options
      .deliver(push)
      .catch((error) => log.error("push delivery crashed", { pushId: push.id, shop: push.shop, topic: push.topic, error }))
      .finally(() => {
        this.inFlight.delete(run);
        this.sending.delete(push.id);
        const busy = (this.busyByShop.get(push.shop) ?? 1) - 1;
        if (busy > 0) this.busyByShop.set(push.shop, busy);
        else this.busyByShop.delete(push.shop);
        if (!this.stopped) this.setTimer(0);
      });
    this.inFlight.add(run);
  }
}
