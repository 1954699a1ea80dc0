import { log } from "../logger.server";
import type { PushRow } from "./outbox.server";

// The embedded delivery worker: claims due pushes from the outbox and delivers them, at most `concurrency`
// at a time. New work wakes it at once; a timer wakes it when the next retry falls due, and a slow poll
// catches pushes another process queued (the CLI, a restart).

export interface WorkerSource {
  claim(limit: number): Promise<PushRow[]>;
  nextDueAt(): Promise<number | null>;
  releaseStalled(): Promise<number>;
}

export interface WorkerOptions {
  concurrency: number;
  pollMs: number;
  deliver: (push: PushRow) => Promise<unknown>;
  source: WorkerSource;
  now?: () => number;
}

const RELEASE_EVERY_MS = 15_000;

export class DeliveryWorker {
  private inFlight = new Set<Promise<unknown>>();
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

  /** Stops claiming; resolves when the deliveries in flight have finished and recorded their outcome. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
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
      do {
        this.again = false;
        const free = this.options.concurrency - this.inFlight.size;
        if (free <= 0 || this.stopped) break;
        const pushes = await this.options.source.claim(free);
        for (const push of pushes) this.launch(push);
        if (pushes.length === free) this.again = true;
      } while (this.again && !this.stopped);
      if (!this.stopped && this.inFlight.size < this.options.concurrency) {
        const next = await this.options.source.nextDueAt();
        const delay = next === null ? this.options.pollMs : Math.min(Math.max(next - this.now(), 0), this.options.pollMs);
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
    const run = this.options
      .deliver(push)
      .catch((error) => log.error("push delivery crashed", { pushId: push.id, shop: push.shop, error }))
      .finally(() => {
        this.inFlight.delete(run);
        if (!this.stopped) this.setTimer(0);
      });
    this.inFlight.add(run);
  }
}
