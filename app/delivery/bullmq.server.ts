import { randomUUID } from "node:crypto";
import { DelayedError, Queue, Worker, type Job } from "bullmq";
import { Redis } from "ioredis";
import type { Database, Sql } from "../db/database.server";
import { log } from "../logger.server";
import {
  claimPush,
  duePendingPushes,
  nextJobOf,
  releasePush,
  releaseStalledPushes,
  type PushRef,
  type PushRow,
  type QueuedPushRef,
} from "../stores/push-store.server";
import type { PushStatus } from "../pushes/push-status";
import type { BackPressure } from "./back-pressure";
import { ShopRanks } from "./shop-ranks";
import { ShopSlots } from "./shop-slots";

// Delivery on BullMQ (QUEUE=bullmq, docs/decisions/006-scaling-out.md). The outbox table stays the truth: a job
// only says "push N, its attempt A, is due". Web processes add the jobs of the pushes they stored, after the
// commit; `npm run worker` processes take them, claim the push with the same conditional update as the
// embedded worker, and deliver it. So a push is delivered once however many workers run, however many jobs
// name it, and whatever Redis forgets: a reconciler re-adds the jobs of due pushes that have none.
//
// Job ids are `push-<id>-<attempts made before>`: adding the job of a push's next attempt twice adds it once,
// and a job of an earlier attempt that comes back (a stalled job, a duplicate) finds the push moved on.

export const DELIVERY_QUEUE_NAME = "push-delivery";

export interface DeliveryJobData {
  pushId: number;
  shop: string;
  /** Attempts made before this job's: the job acts only while the push has made exactly these. */
  attempt: number;
}

export function jobIdOf(push: PushRef): string {
  return `push-${push.id}-${push.attempts}`;
}

/** BullMQ's lock of a running job (renewed while it runs): half the push's lease, between 5 and 30 s. */
function jobLockMs(leaseMs: number): number {
  return Math.min(30_000, Math.max(5_000, Math.round(leaseMs / 2)));
}

/** A delayed job of a busy shop comes back after this (plus jitter), for another worker or a free slot. */
const SHOP_BUSY_DELAY_MS = 200;
/** How long a package update waits for an earlier update of its parcel (being sent, or due) before it looks again. */
const BEHIND_DELAY_MS = 100;
/** BullMQ's reason for a job failed because its workers died under it maxStalledCount times. */
const STALLED_TOO_OFTEN = /stalled more than allowable limit/i;
/** Due pushes the reconciler checks per pass, oldest first. */
const RECONCILE_MAX_PER_PASS = 5_000;
const RECONCILE_PAGE = 500;

interface RedisTarget {
  url: string;
  /** Redis key prefix of the queue (QUEUE_PREFIX). */
  prefix: string;
}

let lastRedisWarning = 0;

/**
 * A Redis connection. Workers' connections wait through a Redis restart (BullMQ's blocking reads need it);
 * a web process's give up after a few tries: the push is in the outbox, and a worker enqueues it.
 */
function connectRedis(url: string, role: string, waitForever: boolean): Redis {
  const redis = new Redis(url, {
    connectionName: `joinchat-push-${role}`,
    maxRetriesPerRequest: waitForever ? null : 2,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
  });
  redis.on("error", (error: Error) => {
    // A restart of Redis makes every connection report every reconnect: one line per few seconds is plenty.
    if (Date.now() - lastRedisWarning < 5_000) return;
    lastRedisWarning = Date.now();
    log.warn("Redis connection problem", { role, error: error.message });
  });
  return redis;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms))),
  ]);
}

// A shop's slots across the fleet: a sorted set per shop of the slots taken, each with the time its holder's lease
// runs out (a worker that dies holding one frees it then). Taking one is one script, so two workers never both
// take the last.
const TAKE_SHOP_SLOT = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[4]) then
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
  return 1
end
return 0`;

/** DELIVERY_SHOP_CONCURRENCY on the scale path: a shop's pushes in flight counted in Redis, for every worker at once. */
export class FleetShopSlots {
  private next = 0;

  constructor(
    private readonly redis: Redis,
    private readonly keyOf: (shop: string) => string,
    private readonly perShop: number,
    private readonly leaseMs: number,
    private readonly owner: string,
  ) {}

  /** A slot of the shop (its token, to give it back), or null when the fleet has all of them in use. */
  async take(shop: string, now = Date.now()): Promise<string | null> {
    const token = `${this.owner}:${(this.next += 1)}`;
    const taken = await this.redis.eval(TAKE_SHOP_SLOT, 1, this.keyOf(shop), now, now + this.leaseMs, token, this.perShop, this.leaseMs * 2);
    return taken === 1 ? token : null;
  }

  async release(shop: string, token: string): Promise<void> {
    await this.redis.zrem(this.keyOf(shop), token);
  }
}

/** Adds and removes delivery jobs. One per process; the web's runs after each intake commit. */
export class DeliveryQueueProducer {
  readonly queue: Queue<DeliveryJobData>;
  readonly redis: Redis;
  private readonly pending = new Set<Promise<void>>();
  /** Each job's priority: its shop's recent volume, so that shops are served fairly (shop-ranks.ts). */
  private readonly ranks = new ShopRanks();
  /** The pushes handed over in this turn of the event loop, added together at its end. */
  private batch: QueuedPushRef[] | null = null;

  constructor(target: RedisTarget, role = "web", options: { waitForever?: boolean } = {}) {
    this.redis = connectRedis(target.url, role, options.waitForever ?? false);
    this.queue = new Queue<DeliveryJobData>(DELIVERY_QUEUE_NAME, { connection: this.redis, prefix: target.prefix });
    this.queue.on("error", (error) => log.warn("delivery queue error", { error: error.message }));
  }

  /** Adds the jobs of these pushes, each delayed until its push is due. A job already there is kept as it is. */
  async add(pushes: readonly QueuedPushRef[], now = Date.now()): Promise<void> {
    if (pushes.length === 0) return;
    await this.queue.addBulk(
      pushes.map((push) => ({
        name: "deliver",
        data: { pushId: push.id, shop: push.shop, attempt: push.attempts },
        opts: {
          jobId: jobIdOf(push),
          delay: Math.max(0, push.dueAt - now),
          priority: this.ranks.next(push.shop),
          removeOnComplete: true,
          removeOnFail: true,
        },
      })),
    );
  }

  /** Removes the waiting jobs of pushes that were cancelled (a job already running finds its push cancelled). */
  async remove(pushes: readonly PushRef[]): Promise<void> {
    for (const push of pushes) await this.queue.remove(jobIdOf(push));
  }

  /**
   * After a commit, without making the caller wait: a failure is logged and the reconciler catches up. The pushes
   * handed over in the same turn of the event loop (every delivery of one group commit learns its outcome in the
   * same turn) go to Redis together, in one addBulk: one round trip per commit, not one per push.
   */
  addSoon(pushes: readonly QueuedPushRef[]): void {
    if (pushes.length === 0) return;
    if (this.batch) {
      this.batch.push(...pushes);
      return;
    }
    const batch = [...pushes];
    this.batch = batch;
    this.track(
      new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
        this.batch = null;
        return this.add(batch).then(
          () => log.debug("pushes enqueued", { count: batch.length, pushIds: batch.map((p) => p.id) }),
          (error: Error) =>
            log.warn("pushes not enqueued yet: a worker will find them in the outbox", {
              pushIds: batch.map((p) => p.id),
              shop: batch[0]?.shop,
              error: error.message,
            }),
        );
      }),
    );
  }

  removeSoon(pushes: readonly PushRef[]): void {
    this.track(
      this.remove(pushes).catch((error: Error) =>
        log.warn("jobs of cancelled pushes not removed: they will find their push cancelled", { pushIds: pushes.map((p) => p.id), error: error.message }),
      ),
    );
  }

  private track(promise: Promise<void>): void {
    this.pending.add(promise);
    void promise.finally(() => this.pending.delete(promise));
  }

  /** Readiness: Redis answers PING. */
  async ping(timeoutMs = 1_000): Promise<void> {
    await withTimeout(this.redis.ping(), timeoutMs, "Redis");
  }

  /** Waits for the jobs being added (at most `timeoutMs`), then closes the connection. */
  async close(timeoutMs = 5_000): Promise<void> {
    if (this.pending.size > 0) await withTimeout(Promise.allSettled([...this.pending]), timeoutMs, "the last enqueues").catch(() => {});
    await this.queue.close().catch(() => {});
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

export interface QueueWorkerOptions extends RedisTarget {
  db: Database;
  /** Runs a claim's writes (the process's group commit, or the database's transaction). */
  write: <T>(work: (tx: Sql) => Promise<T>) => Promise<T>;
  deliver: (push: PushRow) => Promise<PushStatus>;
  /** Jobs run at once by this process. */
  concurrency: number;
  /** Pushes of one shop sent at once; unset: no fixed limit. */
  shopConcurrency?: number;
  /** JoinChat's back-pressure (429, timeouts, 5xx), as deliverPush tells it: the shops (or all) to slow down for now. */
  backPressure?: BackPressure;
  leaseMs: number;
  /** How often the reconciler looks for due pushes without a job (one worker at a time does it). */
  reconcileMs: number;
}

/** `npm run worker`: BullMQ jobs in, deliveries out. */
export class QueueDeliveryWorker {
  private worker: Worker<DeliveryJobData> | null = null;
  private jobsRedis: Redis | null = null;
  private readonly producer: DeliveryQueueProducer;
  private readonly sending = new Map<number, PushRow>();
  private readonly slots: ShopSlots;
  private readonly fleetSlots: FleetShopSlots | null;
  private readonly id = randomUUID();
  private reconcileTimer: NodeJS.Timeout | null = null;
  private reconciling: Promise<void> | null = null;
  private stopping = false;

  constructor(private readonly options: QueueWorkerOptions) {
    this.producer = new DeliveryQueueProducer(options, "worker", { waitForever: true });
    // The per-shop limit holds across the fleet (Redis); this process counts its own only for back-pressure.
    this.slots = new ShopSlots();
    this.fleetSlots =
      options.shopConcurrency === undefined
        ? null
        : new FleetShopSlots(this.producer.redis, (shop) => this.producer.queue.toKey(`shop-slots:${shop}`), options.shopConcurrency, options.leaseMs, this.id);
  }

  get running(): boolean {
    return this.worker !== null && !this.stopping;
  }

  get activeDeliveries(): number {
    return this.sending.size;
  }

  /** Readiness: Redis answers. */
  ping(timeoutMs?: number): Promise<void> {
    return this.producer.ping(timeoutMs);
  }

  async start(): Promise<void> {
    this.jobsRedis = connectRedis(this.options.url, "worker-jobs", true);
    const worker = new Worker<DeliveryJobData>(DELIVERY_QUEUE_NAME, (job, token) => this.process(job, token), {
      connection: this.jobsRedis,
      prefix: this.options.prefix,
      concurrency: this.options.concurrency,
      // A job whose worker died is taken again once its lock runs out: about as soon as its push's lease does.
      lockDuration: jobLockMs(this.options.leaseMs),
      stalledInterval: jobLockMs(this.options.leaseMs),
      // Past this, the job fails (and is removed): the reconciler adds the push's job again.
      maxStalledCount: 2,
      removeOnComplete: { count: 0 },
      removeOnFail: { count: 0 },
    });
    worker.on("error", (error) => log.warn("delivery worker queue error", { error: error.message }));
    worker.on("failed", (job, error) => {
      if (!job) return;
      const fields = { pushId: job.data.pushId, shop: job.data.shop, error: error.message };
      // A job whose workers died under it more than maxStalledCount times (crashes, SIGKILL, an OOM kill) is failed by
      // BullMQ itself. Nothing is wrong with the push: its lease runs out and the reconciler enqueues it again.
      if (STALLED_TOO_OFTEN.test(error.message))
        log.warn("delivery job stalled: its workers stopped under it; the reconciler will enqueue the push again", fields);
      else log.error("delivery job failed: the reconciler will enqueue the push again", fields);
    });
    this.worker = worker;
    await worker.waitUntilReady();
    this.reconcileTimer = setInterval(() => void this.reconcile(), this.options.reconcileMs);
    void this.reconcile();
  }

  private async process(job: Job<DeliveryJobData>, token?: string): Promise<string> {
    const { pushId, shop, attempt } = job.data;
    if (this.stopping) return this.later(job, token, Date.now());
    // JoinChat is pushing back on this shop (or on all): the job waits for the pause, or for a slot under the limit.
    const pressure = this.options.backPressure;
    if (pressure && !pressure.admits(shop, this.slots.counts.get(shop) ?? 0, this.slots.total)) {
      return this.later(job, token, Math.max(pressure.resumeAt(shop), Date.now() + SHOP_BUSY_DELAY_MS) + Math.round(Math.random() * SHOP_BUSY_DELAY_MS));
    }
    // A shop at its fleet-wide limit (DELIVERY_SHOP_CONCURRENCY): its job waits a moment, for a slot any worker frees.
    const fleetSlot = this.fleetSlots ? await this.fleetSlots.take(shop) : null;
    if (this.fleetSlots && fleetSlot === null) return this.later(job, token, Date.now() + SHOP_BUSY_DELAY_MS + Math.round(Math.random() * SHOP_BUSY_DELAY_MS));
    this.slots.take(shop);
    try {
      const now = Date.now();
      const claim = await this.options.write((tx) => claimPush(tx, pushId, attempt, now, this.options.leaseMs));
      switch (claim.kind) {
        case "claimed": {
          this.sending.set(pushId, claim.push);
          let status: PushStatus;
          try {
            status = await this.options.deliver(claim.push);
          } finally {
            this.sending.delete(pushId);
          }
          // Retries follow the retry policy (deliverPush wrote the due time): the next attempt is a delayed job.
          if (status === "retrying") await this.enqueueNext(pushId);
          return status;
        }
        case "early":
          return this.later(job, token, claim.dueAt);
        case "behind":
          // An earlier update of the parcel goes first: this one looks again in a moment.
          return this.later(job, token, Date.now() + BEHIND_DELAY_MS + Math.round(Math.random() * BEHIND_DELAY_MS));
        case "in-flight":
          if (!claim.expired) return this.later(job, token, claim.lockedUntil + 250);
          // Its sender died (the lease ran out): the attempt is recorded as interrupted and the next goes now.
          if (await this.options.write((tx) => releasePush(tx, { id: pushId, attempts: claim.attempts }, Date.now()))) {
            log.warn("push released: its sender stopped", { pushId, shop });
          }
          await this.enqueueNext(pushId);
          return "released";
        default:
          log.debug("job has nothing to do", { pushId, shop, attempt, outcome: claim.kind });
          return claim.kind;
      }
    } finally {
      this.slots.release(shop);
      if (fleetSlot !== null) {
        await this.fleetSlots!.release(shop, fleetSlot).catch((error: Error) =>
          log.warn("shop slot not given back: it frees itself when its lease runs out", { shop, error: error.message }),
        );
      }
    }
  }

  /** Puts the job back, delayed until `at` (the same job: no second job for the attempt). */
  private async later(job: Job<DeliveryJobData>, token: string | undefined, at: number): Promise<never> {
    await job.moveToDelayed(Math.max(at, Date.now()), token);
    throw new DelayedError();
  }

  private async enqueueNext(pushId: number): Promise<void> {
    try {
      const next = await nextJobOf(this.options.db, pushId);
      if (next) await this.producer.add([next]);
    } catch (error) {
      log.warn("next attempt not enqueued yet: the reconciler will", { pushId, error: (error as Error).message });
    }
  }

  /**
   * What Redis may have lost: pushes whose sender stopped are put back (lease ran out), and due pushes without
   * a job get one. One worker at a time, under a short lock in Redis.
   */
  reconcile(): Promise<void> {
    this.reconciling ??= this.reconcileOnce()
      .catch((error: Error) => log.warn("reconciling the outbox with the queue failed; trying again", { error: error.message }))
      .finally(() => (this.reconciling = null));
    return this.reconciling;
  }

  private async reconcileOnce(): Promise<void> {
    if (this.stopping) return;
    const redis = this.producer.redis;
    const lock = await redis.set(this.producer.queue.toKey("joinchat-reconciler"), this.id, "PX", Math.max(this.options.reconcileMs - 50, 100), "NX");
    if (lock !== "OK") return;
    const now = Date.now();
    const released = await this.options.write((tx) => releaseStalledPushes(tx, now));
    if (released > 0) log.warn("released pushes whose sender stopped", { count: released });
    let after: { dueAt: number; id: number } | undefined;
    let checked = 0;
    let added = 0;
    while (checked < RECONCILE_MAX_PER_PASS && !this.stopping) {
      const page = await duePendingPushes(this.options.db, now, RECONCILE_PAGE, after);
      if (page.length === 0) break;
      const pipeline = redis.pipeline();
      for (const push of page) pipeline.exists(this.producer.queue.toKey(jobIdOf(push)));
      const results = (await pipeline.exec()) ?? [];
      const missing = page.filter((_, i) => results[i]?.[1] === 0);
      if (missing.length > 0) {
        await this.producer.add(missing, now);
        added += missing.length;
      }
      checked += page.length;
      const last = page[page.length - 1];
      after = { dueAt: last.dueAt, id: last.id };
      if (page.length < RECONCILE_PAGE) break;
    }
    if (added > 0) log.warn("enqueued due pushes that had no job", { count: added });
  }

  /**
   * SIGTERM: takes no more jobs, lets the deliveries in flight finish for `deadlineMs`, then puts back those
   * still running (their attempt recorded as interrupted, a job for the next one added) and closes.
   */
  async stop(deadlineMs: number): Promise<void> {
    this.stopping = true;
    if (this.reconcileTimer) clearInterval(this.reconcileTimer);
    const worker = this.worker;
    const closing = worker ? worker.close() : Promise.resolve();
    let timer: NodeJS.Timeout | undefined;
    const late = await Promise.race([closing.then(() => false), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), deadlineMs)))]);
    clearTimeout(timer);
    if (late && this.sending.size > 0) {
      const pushes = [...this.sending.values()];
      log.warn("releasing deliveries still in flight at shutdown", { count: pushes.length, pushIds: pushes.map((p) => p.id) });
      for (const push of pushes) {
        if (await this.options.write((tx) => releasePush(tx, push, Date.now()))) {
          await this.producer.add([{ id: push.id, shop: push.shop, attempts: push.attempts, dueAt: Date.now() }]).catch(() => {});
        }
      }
    }
    await this.reconciling;
    await this.producer.close();
    if (!late) await this.jobsRedis?.quit().catch(() => this.jobsRedis?.disconnect());
  }
}
