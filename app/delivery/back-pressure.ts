import type { PushOutcome } from "../joinchat/client.server";

// Back-pressure from JoinChat (docs/decisions/015-delivery-at-flash-sale-speed.md). A 429, a timeout or a 5xx on a
// shop's push slows that shop down: no new push of it for the Retry-After (or a short pause that doubles while the
// failures go on), then one at a time, doubling with every answer (as TCP's slow start does) until it is back to no
// limit. When two shops or more fail together with no answer between (JoinChat as a whole is failing), the same
// holds for all shops at once. The pushes that got the 429 or 5xx are retried by the retry policy, with their
// Idempotency-Key: nothing is lost or doubled, fewer requests go to a JoinChat that cannot take them.

type Answer = { kind: "answered" } | { kind: "throttled" | "failing"; retryAfterMs: number | null };

interface Gate {
  /** Pushes in flight at once; Infinity: no limit. */
  limit: number;
  /** No new push before this. */
  pausedUntil: number;
  /** Consecutive pauses without an answer between: the next pause without Retry-After is 2^n × the first. */
  strikes: number;
}

const FIRST_PAUSE_MS = 500;
const MAX_PAUSE_MS = 30_000;
const ALL = "*";

/** What JoinChat's answer to one push says about JoinChat's state. */
export function answerOf(outcome: PushOutcome): Answer {
  if (outcome.kind !== "retry") return { kind: "answered" };
  return { kind: outcome.httpStatus === 429 ? "throttled" : "failing", retryAfterMs: outcome.retryAfterMs };
}

export class BackPressure {
  private readonly gates = new Map<string, Gate>();
  private readonly inFlight = new Map<string, number>();
  private total = 0;
  /** Shops whose pushes failed (not throttled) since JoinChat last answered one. */
  private readonly failingShops = new Set<string>();

  /** `ceiling`: the process's DELIVERY_CONCURRENCY; a limit that grows to it is lifted. */
  constructor(
    private readonly ceiling: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** A push of `shop` goes to JoinChat. */
  sending(shop: string): void {
    this.inFlight.set(shop, (this.inFlight.get(shop) ?? 0) + 1);
    this.total += 1;
  }

  /** JoinChat answered a push of `shop` (or did not, in time): slow down or speed up. */
  answered(shop: string, outcome: PushOutcome): void {
    const inFlight = this.inFlight.get(shop) ?? 1;
    if (inFlight <= 1) this.inFlight.delete(shop);
    else this.inFlight.set(shop, inFlight - 1);
    const totalBefore = this.total;
    this.total = Math.max(0, this.total - 1);
    const answer = answerOf(outcome);
    if (answer.kind === "answered") {
      this.failingShops.clear();
      this.speedUp(shop);
      this.speedUp(ALL);
      return;
    }
    this.slowDown(shop, inFlight, answer.retryAfterMs);
    if (answer.kind === "failing") {
      this.failingShops.add(shop);
      if (this.failingShops.size >= 2) this.slowDown(ALL, totalBefore, answer.retryAfterMs);
    }
  }

  /** How many pushes of `shop` may be in flight now (0: none), or undefined when JoinChat is not pushing back. */
  limitOf(shop: string): number | undefined {
    return this.current(this.gates.get(shop));
  }

  /** The shops held to a limit now, with their limit (0: paused). */
  limits(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [shop, gate] of this.gates) {
      if (shop === ALL) continue;
      const limit = this.current(gate);
      if (limit !== undefined) out.set(shop, limit);
    }
    return out;
  }

  /** Pushes of all shops together that may be in flight now, or undefined: no limit. */
  totalLimit(): number | undefined {
    return this.current(this.gates.get(ALL));
  }

  /** Whether a push of `shop` may go now, with `busy` of its pushes and `busyTotal` of all in flight. */
  admits(shop: string, busy: number, busyTotal: number): boolean {
    return busy < (this.limitOf(shop) ?? Infinity) && busyTotal < (this.totalLimit() ?? Infinity);
  }

  /** When a paused shop (or all) may send again; `now` when it is not paused. */
  resumeAt(shop: string): number {
    return Math.max(this.now(), this.gates.get(shop)?.pausedUntil ?? 0, this.gates.get(ALL)?.pausedUntil ?? 0);
  }

  /** When the earliest pause ends (null: none): a worker looks again then. */
  nextResumeAt(): number | null {
    const now = this.now();
    let next: number | null = null;
    for (const gate of this.gates.values()) if (gate.pausedUntil > now && (next === null || gate.pausedUntil < next)) next = gate.pausedUntil;
    return next;
  }

  private current(gate: Gate | undefined): number | undefined {
    if (!gate) return undefined;
    if (gate.pausedUntil > this.now()) return 0;
    return gate.limit;
  }

  private slowDown(key: string, inFlight: number, retryAfterMs: number | null): void {
    const now = this.now();
    const gate = this.gates.get(key);
    // The pushes that were in flight together fail together: one pause for all of them, one halving.
    if (gate && gate.pausedUntil > now) {
      if (retryAfterMs !== null) gate.pausedUntil = Math.max(gate.pausedUntil, now + retryAfterMs);
      return;
    }
    const strikes = (gate?.strikes ?? 0) + 1;
    const pause = retryAfterMs ?? Math.min(MAX_PAUSE_MS, FIRST_PAUSE_MS * 2 ** (strikes - 1));
    const limit = Math.max(1, Math.floor(Math.min(gate?.limit ?? Infinity, inFlight) / 2));
    this.gates.set(key, { limit, pausedUntil: now + pause, strikes });
  }

  private speedUp(key: string): void {
    const gate = this.gates.get(key);
    if (!gate) return;
    gate.strikes = 0;
    // Each answer adds one: the limit doubles every round trip, and is lifted once it reaches the process's slots.
    gate.limit += 1;
    if (gate.limit >= this.ceiling) this.gates.delete(key);
  }
}
