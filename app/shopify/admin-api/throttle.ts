// How the Admin API client paces itself: Shopify's calculated query cost from a leaky bucket per app and shop
// (extensions.cost.throttleStatus on every answer), waits when a query would not fit, and backs off on 429 and 5xx.
// Pure: the clock comes in as an argument.

export interface ThrottleStatus {
  maximumAvailable: number;
  currentlyAvailable: number;
  restoreRate: number;
}

/** The exponential backoff between attempts after a 5xx or a lost connection: full jitter, capped. */
export const BACKOFF_BASE_MS = 100;
export const BACKOFF_CAP_MS = 2_000;

/** How long until `cost` points are in a bucket that had this status: 0 when they are now. */
export function waitForPointsMs(cost: number, status: ThrottleStatus): number {
  const missing = cost - status.currentlyAvailable;
  if (missing <= 0) return 0;
  if (cost > status.maximumAvailable || status.restoreRate <= 0) return Infinity;
  return Math.ceil((missing / status.restoreRate) * 1000);
}

/** Full-jitter exponential backoff for attempt n (1-based). */
export function backoffMs(attempt: number, random: () => number = Math.random, baseMs = BACKOFF_BASE_MS, capMs = BACKOFF_CAP_MS): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** A Retry-After header in ms (seconds, possibly fractional, or an HTTP date); null when absent or unreadable. */
export function retryAfterMs(header: string | null, now: number): number | null {
  if (!header) return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

interface BucketView {
  status: ThrottleStatus;
  at: number;
}

/**
 * What this process knows of each shop's bucket: the last throttleStatus Shopify sent, refilled at its restore
 * rate since, minus what queries sent since then may take. Other processes share the bucket; their use shows up in
 * the next answer, and a THROTTLED answer corrects any optimism.
 */
export class CostBuckets {
  private readonly shops = new Map<string, BucketView>();
  /** The requested cost Shopify last named per query shape (operation and list size). */
  private readonly costs = new Map<string, number>();

  /** The estimated status of the shop's bucket now; null until Shopify has answered once. */
  estimate(shop: string, now: number): ThrottleStatus | null {
    const view = this.shops.get(shop);
    if (!view) return null;
    const { maximumAvailable, restoreRate } = view.status;
    const refilled = view.status.currentlyAvailable + (restoreRate * Math.max(0, now - view.at)) / 1000;
    return { maximumAvailable, restoreRate, currentlyAvailable: Math.min(maximumAvailable, refilled) };
  }

  /** The last requested cost of this shape of query, or 0 when not known yet. */
  expectedCost(shape: string): number {
    return this.costs.get(shape) ?? 0;
  }

  /**
   * Takes a query's expected cost from the estimate: 0 when it fits (and is now counted as spent), else how long
   * to wait before it would.
   */
  reserve(shop: string, shape: string, now: number): number {
    const status = this.estimate(shop, now);
    const cost = this.expectedCost(shape);
    if (!status || cost === 0) return 0;
    const wait = waitForPointsMs(cost, status);
    if (wait === 0) this.shops.set(shop, { status: { ...status, currentlyAvailable: status.currentlyAvailable - cost }, at: now });
    return wait;
  }

  /** What an answer said: the bucket's status and, when given, the query's requested cost. */
  record(shop: string, shape: string, status: ThrottleStatus, requestedCost: number | null, now: number): void {
    this.shops.set(shop, { status, at: now });
    if (requestedCost !== null && requestedCost > 0) this.costs.set(shape, requestedCost);
  }
}
