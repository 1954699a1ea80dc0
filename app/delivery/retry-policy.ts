// When a push whose attempt failed for a reason that may pass (429, 5xx, timeout, lost connection) is tried
// again: exponential backoff with jitter, JoinChat's Retry-After honoured, and a bound after which it fails.

export interface RetryPolicy {
  /** Delay after the first failed attempt. */
  baseMs: number;
  /** No single wait is longer than this (unless JoinChat's Retry-After asks for longer). */
  capMs: number;
  /** A push still failing this long after its first attempt is given up. */
  maxAgeMs: number;
}

/** Backoff before attempt `failedAttempts + 1`: base * 2^(n-1), capped, with jitter between 50 % and 100 %. */
export function computeBackoffMs(failedAttempts: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const exponent = Math.min(Math.max(failedAttempts - 1, 0), 30);
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** exponent);
  return Math.round(ceiling * (0.5 + 0.5 * random()));
}

export type RetryDecision = { retry: true; dueAt: number; delayMs: number } | { retry: false; reason: string };

export function planRetry(args: {
  failedAttempts: number;
  firstAttemptAt: number;
  now: number;
  retryAfterMs: number | null;
  policy: RetryPolicy;
  random?: () => number;
}): RetryDecision {
  const backoff = computeBackoffMs(args.failedAttempts, args.policy, args.random);
  // Retry-After is a floor set by JoinChat: never sooner, with a little jitter so that a crowd does not return at once.
  const delayMs = args.retryAfterMs !== null ? Math.max(args.retryAfterMs, 0) + Math.round(Math.min(backoff, args.retryAfterMs) * 0.1) : backoff;
  const dueAt = args.now + delayMs;
  if (dueAt - args.firstAttemptAt > args.policy.maxAgeMs) {
    return { retry: false, reason: `gave up after ${args.failedAttempts} attempts over ${formatDuration(args.now - args.firstAttemptAt)}` };
  }
  return { retry: true, dueAt, delayMs };
}

function formatDuration(ms: number): string {
  if (ms >= 3_600_000) return `${(ms / 3_600_000).toFixed(1)} h`;
  if (ms >= 60_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 1000)} s`;
}
