import type { Database, Sql } from "../db/database.server";
import { log } from "../logger.server";
import { createAdminAccessStore } from "../shopify/admin-api/access-store.server";
import { PSID_TTL_MS } from "../shopify/admin-api/lookups.server";
import { deleteLookupLogsBefore } from "../stores/lookup-log-store.server";
import { deleteLookupOrdersBefore } from "../stores/lookup-order-store.server";
import { pruneBindings } from "../stores/messenger-binding-store.server";
import { pruneOptinEvents } from "../stores/optin-event-store.server";
import { pruneOrderContacts } from "../stores/order-store.server";
import { pruneFinishedPushes } from "../stores/push-store.server";
import { deleteWebhookDeliveriesBefore } from "../stores/webhook-delivery-store.server";

// Retention (issue 13 point 3, docs/decisions/021-retention-erasure-secrets.md): after RETENTION_DAYS a finished push
// keeps its topic, order name, status, counts and times but loses its body, recipient, params and JoinChat's answers;
// an order record loses its contacts (the customer lookups' copy of the order, its receipt and keys, goes); webhook delivery records go once older than the duplicate window; lookup log
// entries go after RETENTION_DAYS, never inside the admin's 7-day counts (decision 022); cached PSIDs past their lifetime. Small batches,
// each its own short transaction, so intake is never held up; on PostgreSQL one process at a time prunes.

const DAY_MS = 86_400_000;
/**
 * How long a delivery record is kept to recognise Shopify's repeats: Shopify retries a delivery for 48 hours, and
 * deliveries triggered longer ago than that are not acted on again; a week leaves a wide margin.
 */
export const WEBHOOK_DUPLICATE_WINDOW_MS = 7 * DAY_MS;
export const RETENTION_BATCH_SIZE = 500;
/**
 * The longest window the admin counts customer lookups over (the "Customer lookups" card's 7 days): lookup log entries
 * stay at least this long whatever RETENTION_DAYS, so its counts read the same after pruning.
 */
export const LOOKUP_COUNT_WINDOW_MS = 7 * DAY_MS;
/** pg_try_advisory_xact_lock key of the retention: one process prunes at a time. */
const RETENTION_LOCK_KEY = 7_313_013;

export interface RetentionCounts {
  /** Finished pushes that lost their body, recipient and answers. */
  pushes: number;
  /** Their attempts that lost JoinChat's answer or an error text. */
  attempts: number;
  /** Order records that lost their contacts. */
  orders: number;
  /** The customer lookups' order records (a receipt and the contact keys) deleted. */
  lookupOrders: number;
  /** Webhook delivery records deleted. */
  webhookDeliveries: number;
  /** Customer lookup log entries deleted. */
  lookupLogs: number;
  /** Messenger bindings (PSIDs, decision 023) made longer ago than RETENTION_DAYS, deleted. */
  bindings: number;
  /** Customers' PSIDs cached from Shopify (the Admin API layer) past their lifetime, deleted. */
  cachedPsids: number;
}

export interface RetentionOptions {
  /** The moment the ages are counted from (default now). */
  asOf?: number;
  retentionDays: number;
  batchSize?: number;
  /**
   * Wait for another process's batch instead of leaving the run to it (an operator's `retention run`, whose --as-of
   * the running processes do not share). The background runs leave it: one of them pruning is enough.
   */
  waitForOthers?: boolean;
}

/** One process at a time on PostgreSQL (a lock held until the batch's transaction ends); SQLite has one writer. */
async function takeLock(db: Database, tx: Sql, wait: boolean): Promise<boolean> {
  if (db.kind !== "postgres") return true;
  if (wait) {
    await tx.get("SELECT pg_advisory_xact_lock(?)", [RETENTION_LOCK_KEY]);
    return true;
  }
  const row = await tx.get<{ ok: boolean }>("SELECT pg_try_advisory_xact_lock(?) AS ok", [RETENTION_LOCK_KEY]);
  return row?.ok === true;
}

/** Prunes what is older than the policy allows, batch after batch, until nothing is left (or another process prunes). */
export async function runRetention(db: Database, options: RetentionOptions): Promise<RetentionCounts> {
  const asOf = options.asOf ?? Date.now();
  const batch = options.batchSize ?? RETENTION_BATCH_SIZE;
  const before = asOf - options.retentionDays * DAY_MS;
  const deliveriesBefore = asOf - WEBHOOK_DUPLICATE_WINDOW_MS;
  const lookupLogsBefore = Math.min(before, asOf - LOOKUP_COUNT_WINDOW_MS);
  const counts: RetentionCounts = { pushes: 0, attempts: 0, orders: 0, lookupOrders: 0, webhookDeliveries: 0, lookupLogs: 0, bindings: 0, cachedPsids: 0 };
  /** A step that deletes rows counted under `key`: how many it took this batch. */
  const counted =
    (key: "orders" | "lookupOrders" | "webhookDeliveries" | "lookupLogs" | "bindings" | "cachedPsids", prune: (tx: Sql) => Promise<number>) =>
    async (tx: Sql): Promise<number> => {
      const n = await prune(tx);
      counts[key] += n;
      return n;
    };
  const steps: { take: (tx: Sql) => Promise<number> }[] = [
    {
      take: async (tx) => {
        const pruned = await pruneFinishedPushes(tx, before, batch);
        counts.pushes += pruned.pushes;
        counts.attempts += pruned.attempts;
        return pruned.pushes;
      },
    },
    { take: counted("orders", (tx) => pruneOrderContacts(tx, before, batch)) },
    { take: counted("lookupOrders", (tx) => deleteLookupOrdersBefore(tx, before, batch)) },
    { take: counted("webhookDeliveries", (tx) => deleteWebhookDeliveriesBefore(tx, deliveriesBefore, batch)) },
    { take: counted("lookupLogs", (tx) => deleteLookupLogsBefore(tx, lookupLogsBefore, batch)) },
    // The Messenger opt-in (decision 023): a binding is personal data, kept RETENTION_DAYS after it was made; the
    // opt-in's counts (no personal data) as long.
    { take: counted("bindings", (tx) => pruneBindings(tx, before, batch)) },
    { take: (tx) => pruneOptinEvents(tx, before, batch) },
    // A cached PSID past its lifetime is never read again (a lookup asks Shopify anew): it goes, whatever RETENTION_DAYS.
    { take: counted("cachedPsids", (tx) => createAdminAccessStore(tx, null).deleteCustomerPsidsFetchedBefore(asOf - PSID_TTL_MS, batch)) },
  ];
  for (const step of steps) {
    for (;;) {
      const taken = await db.transaction(async (tx) => ((await takeLock(db, tx, options.waitForOthers === true)) ? step.take(tx) : -1));
      if (taken === -1) return counts;
      if (taken < batch) break;
      // Intake and deliveries take their turn between batches.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  return counts;
}

export interface RetentionRunner {
  stop(): Promise<void>;
}

/** Runs the retention at start and every `intervalMs`, in the background; a run that fails is logged and retried later. */
export function startRetention(db: Database, options: { retentionDays: number; intervalMs: number }): RetentionRunner {
  let running: Promise<void> | null = null;
  let stopped = false;
  const runOnce = () => {
    if (stopped || running) return;
    running = runRetention(db, { retentionDays: options.retentionDays })
      .then((counts) => {
        if (counts.pushes + counts.orders + counts.lookupOrders + counts.webhookDeliveries + counts.lookupLogs + counts.bindings + counts.cachedPsids > 0)
          log.info("retention pruned", { ...counts });
      })
      .catch((error: Error) => log.warn("retention failed; it runs again later", { error: error.message }))
      .finally(() => {
        running = null;
      });
  };
  const first = setTimeout(runOnce, 0);
  const timer = setInterval(runOnce, options.intervalMs);
  first.unref();
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearTimeout(first);
      clearInterval(timer);
      await running;
    },
  };
}
