import { log } from "../logger.server";
import type { PushRow, ShopCapacity } from "../stores/push-store.server";
import type { BackPressure } from "./back-pressure";
import { ShopSlots } from "./shop-slots";

// The embedded delivery worker: claims due pushes from the outbox in batches and delivers them, at most
// `concurrency` at a time (hundreds: delivery waits on the network, not the CPU). Each claim shares the free
// slots fairly across the shops with due pushes (a shop alone takes them all; a small shop's push takes the next
// slot whatever another's backlog), and at most `shopConcurrency` of one shop when that is set. New work wakes it
// at once; a timer wakes it when the next retry falls due, and a slow poll catches pushes another process queued
// (the CLI, a restart).

export interface WorkerSource {
  /** Up to `limit` due pushes, shared fairly across shops given those in flight (`capacity`). */
  claim(limit: number, capacity: ShopCapacity): Promise<PushRow[]>;
  nextDueAt(): Promise<number | null>;
  releaseStalled(): Promise<number>;
}

export interface WorkerOptions {
  concurrency: number;
  /** Pushes of one shop sent at once by this worker; unset: no limit per shop. */
  shopConcurrency?: number;
  pollMs: number;
  /**
   * While deliveries are in flight, claim only once this many slots are free (default an eighth of `concurrency`):
   * one claim per batch instead of one per finished delivery.
   */
  claimBatch?: number;
  /** JoinChat's back-pressure (429, timeouts, 5xx): the shops (or all) to slow down for now. */
  backPressure?: BackPressure;
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
  private readonly slots: ShopSlots;
  private pumping = false;
  private again = false;
  private stopped = true;
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Infinity;
  private lastRelease = 0;
  private readonly now: () => number;
  private readonly claimBatch: number;

  constructor(private readonly options: WorkerOptions) {
    this.now = options.now ?? Date.now;
    this.claimBatch = Math.max(1, Math.min(options.claimBatch ?? Math.floor(options.concurrency / 8), options.concurrency));
    this.slots = new ShopSlots(options.shopConcurrency);
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

  /** Each shop's pushes in flight and its limit, for the claim to share the free slots fairly. */
  private capacity(): ShopCapacity {
    return { perShop: this.slots.perShop, busy: this.slots.counts, limits: this.options.backPressure?.limits() };
  }

  private setTimer(delayMs: number): void {
    const at = this.now() + Math.max(0, delayMs);
    if (this.timer && at >= this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(
      () => {
        this.timer = null;
        this.timerAt = Infinity;
        void this.pump();
      },
      Math.max(0, delayMs),
    );
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
        const free = Math.min(this.options.concurrency, this.options.backPressure?.totalLimit() ?? Infinity) - this.inFlight.size;
        if (free <= 0 || this.stopped) break;
        // Too few slots free for a claim worth its transaction: the next deliveries to finish wake the worker.
        if (free < this.claimBatch && this.inFlight.size > 0) return;
        const capacity = this.capacity();
        const pushes = await this.options.source.claim(free, capacity);
        for (const push of pushes) this.launch(push);
        claimedNothing = pushes.length === 0;
        if (pushes.length === free) this.again = true;
        // Fewer than asked because a shop reached its limit: the next claim passes over it.
        else if (pushes.length > 0 && this.slots.anyFull()) this.again = true;
      } while (this.again && !this.stopped);
      if (!this.stopped && this.inFlight.size < this.options.concurrency) {
        const next = await this.options.source.nextDueAt();
        let delay = next === null ? this.options.pollMs : Math.min(Math.max(next - this.now(), 0), this.options.pollMs);
        // Due pushes this worker may not take now (their shops are at their limit): a finished delivery wakes it.
        if (delay === 0 && claimedNothing && this.inFlight.size > 0) delay = this.options.pollMs;
        // Due pushes another process holds for a moment (PostgreSQL): look again shortly, not in a tight loop.
        else if (delay === 0 && claimedNothing) delay = Math.min(25, this.options.pollMs);
        // A shop (or all) JoinChat pushed back on may send again then.
        const resumeAt = this.options.backPressure?.nextResumeAt() ?? null;
        if (resumeAt !== null) delay = Math.min(delay, Math.max(resumeAt - this.now(), 0) + 5);
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
    this.slots.take(push.shop);
    const run = this.options
      .deliver(push)
      .catch((error) => log.error("push delivery crashed", { pushId: push.id, shop: push.shop, topic: push.topic, error }))
      .finally(() => {
        this.inFlight.delete(run);
        this.sending.delete(push.id);
        this.slots.release(push.shop);
        if (!this.stopped) this.setTimer(0);
      });
    this.inFlight.add(run);
  }
}
