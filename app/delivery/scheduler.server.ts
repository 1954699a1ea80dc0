import type { PushRef, QueuedPushRef } from "../stores/push-store.server";
import { DeliveryQueueProducer } from "./bullmq.server";

// The one port through which committed work reaches delivery. Whoever queues or cancels pushes (webhook intake, the
// admin's retry, retry all and resend, the order page block, the CLI) commits first, then hands the pushes here; what
// is behind the port depends on QUEUE:
//
// - embedded: the process's DeliveryWorker is woken (at once, or when the earliest push falls due). A process without
//   a worker (the CLI, a web process with DELIVERY_WORKER=off) hands nothing over: the running app's worker finds
//   the pushes in the outbox within DELIVERY_POLL_MS.
// - bullmq: one job per push is added (delayed until it is due), and the jobs of cancelled pushes are removed.
//
// Either way the outbox stays the truth: a hand-over that fails is logged, and the worker's poll or the workers'
// reconciler finds the push anyway (docs/decisions/009-stores-and-layers.md).

export interface PushScheduler {
  /** What is behind the port. */
  readonly kind: "embedded" | "bullmq";
  /** After the commit that stored or queued them again: deliver each push when it is due. */
  queued(pushes: readonly QueuedPushRef[]): void;
  /** After the commit that cancelled them: forget the jobs of these pushes. */
  cancelled(pushes: readonly PushRef[]): void;
  /** Readiness: what the port hands work to answers (Redis); the embedded port has nothing to ask. */
  check(): Promise<void>;
  /** Waits (a few seconds at most) for the hand-overs under way, then lets go of its connections. */
  close(): Promise<void>;
}

/** The embedded worker as the port sees it. */
export interface Wakeable {
  wake(dueAt?: number): void;
}

/** QUEUE=embedded: wakes `worker` (null: nothing in this process delivers; the running app's worker polls). */
export function createEmbeddedScheduler(worker: Wakeable | null): PushScheduler {
  return {
    kind: "embedded",
    queued(pushes) {
      if (!worker || pushes.length === 0) return;
      worker.wake(Math.min(...pushes.map((p) => p.dueAt)));
    },
    cancelled() {
      // The worker claims by the row: a cancelled push is never claimed.
    },
    async check() {},
    async close() {},
  };
}

/** QUEUE=bullmq: adds and removes jobs through `producer`, without making the caller wait. */
export function createQueueScheduler(producer: DeliveryQueueProducer): PushScheduler {
  return {
    kind: "bullmq",
    queued(pushes) {
      if (pushes.length > 0) producer.addSoon(pushes.map(({ id, shop, attempts, dueAt }) => ({ id, shop, attempts, dueAt })));
    },
    cancelled(pushes) {
      if (pushes.length > 0) producer.removeSoon(pushes.map(({ id, attempts }) => ({ id, attempts })));
    },
    check: () => producer.ping(),
    close: () => producer.close(),
  };
}

export interface SchedulerSettings {
  QUEUE: "embedded" | "bullmq";
  REDIS_URL?: string;
  QUEUE_PREFIX: string;
}

/**
 * The port for a process: a BullMQ producer (named `role` in Redis's client list) with QUEUE=bullmq, else the
 * embedded worker (or none).
 */
export function createPushScheduler(settings: SchedulerSettings, role: string, worker: Wakeable | null): PushScheduler {
  if (settings.QUEUE === "bullmq") {
    if (!settings.REDIS_URL) throw new Error("QUEUE=bullmq needs REDIS_URL");
    return createQueueScheduler(new DeliveryQueueProducer({ url: settings.REDIS_URL, prefix: settings.QUEUE_PREFIX }, role));
  }
  return createEmbeddedScheduler(worker);
}
