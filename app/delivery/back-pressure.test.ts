import { describe, expect, it } from "vitest";
import type { PushOutcome } from "../joinchat/client.server";
import { BackPressure } from "./back-pressure";

const OK: PushOutcome = { kind: "delivered", httpStatus: 200, recipientId: null, answer: "", durationMs: 1 };
const REFUSED: PushOutcome = { kind: "failed", httpStatus: 200, code: 10010, message: "Recipient not found", answer: "", durationMs: 1 };
const throttled = (retryAfterMs: number | null): PushOutcome => ({
  kind: "retry",
  httpStatus: 429,
  message: "HTTP 429",
  answer: "",
  retryAfterMs,
  durationMs: 1,
});
const failing: PushOutcome = { kind: "retry", httpStatus: 503, message: "HTTP 503", answer: "", retryAfterMs: null, durationMs: 1 };
const timeout: PushOutcome = { kind: "retry", httpStatus: null, message: "timeout after 10000 ms", answer: "", retryAfterMs: null, durationMs: 1 };

const A = "a.myshopify.com";
const B = "b.myshopify.com";
const C = "c.myshopify.com";

function send(bp: BackPressure, shop: string, n: number): void {
  for (let i = 0; i < n; i++) bp.sending(shop);
}

describe("BackPressure", () => {
  it("a 429 pauses that shop for its Retry-After, once for all its pushes in flight, then lets one through", () => {
    let now = 1_000;
    const bp = new BackPressure(256, () => now);
    send(bp, A, 40);
    send(bp, B, 10);
    for (let i = 0; i < 40; i++) bp.answered(A, throttled(1_000));
    expect(bp.limitOf(A)).toBe(0);
    expect(bp.resumeAt(A)).toBe(2_000);
    // Other shops go on.
    expect(bp.limitOf(B)).toBeUndefined();
    expect(bp.totalLimit()).toBeUndefined();
    expect(bp.admits(B, 10, 10)).toBe(true);
    expect(bp.admits(A, 0, 10)).toBe(false);
    now = 2_000;
    // Halved once from the 40 in flight when the first 429 came, not 40 times.
    expect(bp.limitOf(A)).toBe(20);
    expect(bp.limits()).toEqual(new Map([[A, 20]]));
  });

  it("answers speed a shop up again, one more per answer, until the limit is lifted", () => {
    let now = 0;
    const bp = new BackPressure(16, () => now);
    send(bp, A, 2);
    bp.answered(A, throttled(500));
    bp.answered(A, throttled(500));
    now = 500;
    expect(bp.limitOf(A)).toBe(1);
    let answers = 0;
    while (bp.limitOf(A) !== undefined) {
      send(bp, A, 1);
      bp.answered(A, OK);
      answers += 1;
    }
    expect(answers).toBe(15);
    // A refusal is an answer too: JoinChat is up.
    send(bp, A, 1);
    bp.answered(A, REFUSED);
    expect(bp.limitOf(A)).toBeUndefined();
  });

  it("without Retry-After, failures pause for a while that doubles as they go on", () => {
    let now = 0;
    const bp = new BackPressure(256, () => now);
    send(bp, A, 3);
    bp.answered(A, failing);
    expect(bp.resumeAt(A)).toBe(500);
    now = 500;
    bp.answered(A, timeout);
    expect(bp.resumeAt(A)).toBe(1_500);
    now = 1_500;
    bp.answered(A, failing);
    expect(bp.resumeAt(A)).toBe(3_500);
  });

  it("failures of two shops with no answer between slow every shop down; one shop's 429s do not", () => {
    let now = 0;
    const bp = new BackPressure(256, () => now);
    send(bp, A, 10);
    send(bp, B, 10);
    send(bp, C, 10);
    bp.answered(A, throttled(1_000));
    bp.answered(B, throttled(1_000));
    expect(bp.totalLimit()).toBeUndefined();
    bp.answered(A, failing);
    expect(bp.totalLimit()).toBeUndefined();
    bp.answered(B, failing);
    expect(bp.totalLimit()).toBe(0);
    expect(bp.admits(C, 0, 0)).toBe(false);
    now = 500;
    expect(bp.totalLimit()).toBe(13);
    send(bp, C, 1);
    bp.answered(C, OK);
    expect(bp.totalLimit()).toBe(14);
  });
});
