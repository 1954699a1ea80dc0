import { nextJobOf, type QueuedPushRef } from "../delivery/outbox.server";
import type { Runtime } from "../runtime.server";

/**
 * Pushes the admin queued again (retry, retry all, resend) go out now: the embedded worker is woken, or with
 * BullMQ their jobs are added, as the intake does for new pushes (the reconciler would find them later anyway).
 */
export async function deliverSoon(runtime: Runtime, pushIds: readonly number[]): Promise<void> {
  if (pushIds.length === 0) return;
  if (!runtime.producer) {
    runtime.worker.wake();
    return;
  }
  const jobs: QueuedPushRef[] = [];
  for (const id of pushIds) {
    const job = await nextJobOf(runtime.db, id);
    if (job) jobs.push(job);
  }
  runtime.producer.addSoon(jobs);
}
