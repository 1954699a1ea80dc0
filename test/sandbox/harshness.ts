// How harsh the sandbox is: how long JoinChat takes to answer (it waits for Facebook's Send API, which answers in
// hundreds of milliseconds and sometimes a second or more) and when it throttles a Facebook page with 429.
// Settings come from code, the control API and the command line, so each is checked here once, with a message
// that names the bad field.

export interface SandboxLatency {
  /** Every answer waits at least this long (ms). */
  latencyMs: number;
  /** Plus a uniform random 0..jitterMs (ms): answers overtake each other, as a remote service's do. */
  jitterMs?: number;
  /** With this probability (0..1) an answer waits slowMs more: the slow tail of Facebook's Send API. */
  slowRate?: number;
  slowMs?: number;
}

export type LatencyProfile = Readonly<Required<SandboxLatency>>;

/**
 * The default for every sandbox that is not told otherwise (decision 013): 5 to 20 ms. Small enough that the test
 * suite stays about as fast, large enough that pushes are in flight together and their answers arrive out of
 * order, which an instant stand-in on 127.0.0.1 never shows.
 */
export const DEFAULT_LATENCY: LatencyProfile = Object.freeze({ latencyMs: 5, jitterMs: 15, slowRate: 0, slowMs: 0 });
/** Answer at once (what the sandbox did before it had latency). */
export const NO_LATENCY: LatencyProfile = Object.freeze({ latencyMs: 0, jitterMs: 0, slowRate: 0, slowMs: 0 });
/** JoinChat as measured from outside: Facebook's Send API behind it, 300 ms to 1 s and a slow tail past 2 s. */
export const REALISTIC_LATENCY: LatencyProfile = Object.freeze({ latencyMs: 300, jitterMs: 700, slowRate: 0.02, slowMs: 2000 });

const MAX_MS = 600_000;

function isMs(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value) && value >= 0 && value <= MAX_MS;
}

/** A latency from code or JSON: a number is a fixed delay; an object is a profile. Returns a message when it is wrong. */
export function parseLatency(input: unknown): LatencyProfile | string {
  if (isMs(input)) return Object.freeze({ ...NO_LATENCY, latencyMs: input });
  if (typeof input !== "object" || input === null || Array.isArray(input))
    return "latency must be a number of ms or {latencyMs, jitterMs?, slowRate?, slowMs?}";
  const o = input as Record<string, unknown>;
  const known = new Set(["latencyMs", "jitterMs", "slowRate", "slowMs"]);
  const unknown = Object.keys(o).filter((k) => !known.has(k));
  if (unknown.length > 0) return `unknown latency field ${unknown.join(", ")}: expected latencyMs, jitterMs, slowRate, slowMs`;
  if (!isMs(o.latencyMs)) return `latencyMs must be a number of milliseconds from 0 to ${MAX_MS}`;
  for (const key of ["jitterMs", "slowMs"] as const) {
    if (o[key] !== undefined && !isMs(o[key])) return `${key} must be a number of milliseconds from 0 to ${MAX_MS}`;
  }
  const slowRate = o.slowRate;
  if (slowRate !== undefined && !(typeof slowRate === "number" && slowRate >= 0 && slowRate <= 1)) return "slowRate must be a probability from 0 to 1";
  return Object.freeze({
    latencyMs: o.latencyMs,
    jitterMs: (o.jitterMs as number | undefined) ?? 0,
    slowRate: (slowRate as number | undefined) ?? 0,
    slowMs: (o.slowMs as number | undefined) ?? 0,
  });
}

/** One answer's wait under a profile; `random` returns [0, 1). */
export function sampleLatency(profile: LatencyProfile, random: () => number): number {
  let ms = profile.latencyMs;
  if (profile.jitterMs > 0) ms += random() * profile.jitterMs;
  if (profile.slowRate > 0 && random() < profile.slowRate) ms += profile.slowMs;
  return ms;
}

/** A small seeded generator (mulberry32), so a test can replay the same waits. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * JoinChat throttles per Facebook page (the unit Facebook rate-limits): pushes and send_message of a page count
 * together, whichever shop or worker sends them.
 */
export interface SandboxThrottle {
  /** At most this many requests of one page being answered at once; one more is answered 429. */
  maxInFlightPerPage?: number;
  /** At most `requests` requests of one page admitted in any `perMs` window (sliding); more are answered 429. */
  ratePerPage?: { requests: number; perMs: number };
  /**
   * Retry-After (seconds) of the throttle's 429. Default: when the rate window frees a slot (rounded up, at least
   * 1 s), and 1 s for the in-flight limit.
   */
  retryAfterS?: number;
}

function isPositiveInt(value: unknown, max: number): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= max;
}

/** A throttle from code or JSON (null = none). Returns a message when it is wrong. */
export function parseThrottle(input: unknown): SandboxThrottle | null | string {
  if (input === null || input === undefined) return null;
  if (typeof input !== "object" || Array.isArray(input)) return "throttle must be {maxInFlightPerPage?, ratePerPage?: {requests, perMs}, retryAfterS?} or null";
  const o = input as Record<string, unknown>;
  const known = new Set(["maxInFlightPerPage", "ratePerPage", "retryAfterS"]);
  const unknown = Object.keys(o).filter((k) => !known.has(k));
  if (unknown.length > 0) return `unknown throttle field ${unknown.join(", ")}: expected maxInFlightPerPage, ratePerPage, retryAfterS`;
  const throttle: SandboxThrottle = {};
  if (o.maxInFlightPerPage !== undefined) {
    if (!isPositiveInt(o.maxInFlightPerPage, 100_000)) return "maxInFlightPerPage must be a positive integer";
    throttle.maxInFlightPerPage = o.maxInFlightPerPage;
  }
  if (o.ratePerPage !== undefined) {
    const rate = o.ratePerPage as Record<string, unknown> | null;
    if (typeof rate !== "object" || rate === null || !isPositiveInt(rate.requests, 1_000_000) || !isPositiveInt(rate.perMs, 3_600_000)) {
      return "ratePerPage must be {requests: positive integer, perMs: positive integer}";
    }
    throttle.ratePerPage = { requests: rate.requests, perMs: rate.perMs };
  }
  if (o.retryAfterS !== undefined) {
    if (!(typeof o.retryAfterS === "number" && Number.isInteger(o.retryAfterS) && o.retryAfterS >= 0 && o.retryAfterS <= 86_400)) {
      return "retryAfterS must be a whole number of seconds from 0 to 86400";
    }
    throttle.retryAfterS = o.retryAfterS;
  }
  if (throttle.maxInFlightPerPage === undefined && throttle.ratePerPage === undefined) return "a throttle needs maxInFlightPerPage and/or ratePerPage";
  return throttle;
}

/** Why a page's request was refused, for the 429's message and its Retry-After. */
export interface ThrottleRefusal {
  retryAfterS: number;
  msg: string;
}

/** The per-page state of a throttle: requests admitted in the window, and admitted requests not answered yet. */
export class PageLimiter {
  private readonly pages = new Map<string, { inFlight: number; admitted: number[] }>();

  constructor(private throttle: SandboxThrottle | null) {}

  get settings(): SandboxThrottle | null {
    return this.throttle;
  }

  configure(throttle: SandboxThrottle | null): void {
    this.throttle = throttle;
  }

  reset(): void {
    this.pages.clear();
  }

  /**
   * Admits one request of `pageId` and returns what to call once it is answered (or its connection closed), or says
   * why it is refused. The release holds on to the page's state of the moment, so a reset in between cannot make
   * it count off another request.
   */
  admit(pageId: string, now: number): ThrottleRefusal | (() => void) {
    const t = this.throttle;
    if (t === null) return noop;
    let page = this.pages.get(pageId);
    if (!page) {
      page = { inFlight: 0, admitted: [] };
      this.pages.set(pageId, page);
    }
    if (t.maxInFlightPerPage !== undefined && page.inFlight >= t.maxInFlightPerPage) {
      return {
        retryAfterS: t.retryAfterS ?? 1,
        msg: `Too Many Requests: page ${pageId} already has ${page.inFlight} requests in progress (limit ${t.maxInFlightPerPage})`,
      };
    }
    if (t.ratePerPage !== undefined) {
      const { requests, perMs } = t.ratePerPage;
      const since = now - perMs;
      let drop = 0;
      while (drop < page.admitted.length && page.admitted[drop] <= since) drop += 1;
      if (drop > 0) page.admitted.splice(0, drop);
      if (page.admitted.length >= requests) {
        const freeAt = page.admitted[0] + perMs;
        return {
          retryAfterS: t.retryAfterS ?? Math.max(1, Math.ceil((freeAt - now) / 1000)),
          msg: `Too Many Requests: page ${pageId} is over its limit of ${requests} requests per ${perMs} ms`,
        };
      }
      page.admitted.push(now);
    }
    page.inFlight += 1;
    const admitted = page;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      admitted.inFlight -= 1;
    };
  }
}

function noop(): void {}
