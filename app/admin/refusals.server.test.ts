// The one map from service errors to HTTP: each code of each service's error gets the status the routes answered it
// with before the map (README: 404 for a push not the shop's, 409 for one in the wrong state, 400 for a test push
// or a setting the merchant cannot have), and the same JSON, whichever route it comes through.
import { describe, expect, it } from "vitest";
import { PushActionError, type PushActionErrorCode } from "../delivery/push-service.server";
import { TestPushError, type TestPushErrorCode } from "../delivery/test-push.server";
import { SettingsError } from "../settings/settings.server";
import { ActionRefusal, answerRefusals, refusalAnswer, refusalOf } from "./refusals.server";

const PUSH_ACTION_STATUS: Record<PushActionErrorCode, number> = {
  not_found: 404,
  not_failed: 409,
  not_delivered: 409,
  redacted: 409,
  changed: 409,
  invalid: 409,
  nothing_to_resend: 409,
};

const TEST_PUSH_STATUS: Record<TestPushErrorCode, number> = { invalid: 400, not_linked: 400, paused: 400 };

async function answerOf(error: unknown): Promise<{ status: number; body: unknown }> {
  const refusal = refusalOf(error);
  if (!refusal) throw new Error("not a refusal");
  const response = refusalAnswer(refusal);
  return { status: response.status, body: await response.json() };
}

describe("the error map", () => {
  it.each(Object.entries(PUSH_ACTION_STATUS))("answers PushActionError %s with %i and its code", async (code, status) => {
    const answer = await answerOf(new PushActionError(`push 7 is ${code}`, code as PushActionErrorCode));
    expect(answer).toEqual({ status, body: { ok: false, error: code, message: `push 7 is ${code}` } });
  });

  it.each(Object.entries(TEST_PUSH_STATUS))("answers TestPushError %s with %i, its code and its field errors", async (code, status) => {
    const fieldErrors: Record<string, string> = code === "invalid" ? { recipientValue: "must be an email address" } : {};
    const answer = await answerOf(new TestPushError(code as TestPushErrorCode, `test push ${code}`, fieldErrors));
    expect(answer.status).toBe(status);
    expect(answer.body).toEqual({ ok: false, error: code, message: `test push ${code}`, ...(code === "invalid" ? { fieldErrors } : {}) });
  });

  it("answers SettingsError with 400 invalid and the fields at fault", async () => {
    const answer = await answerOf(new SettingsError({ pageId: "must be the Facebook page id: digits only" }));
    expect(answer).toEqual({
      status: 400,
      body: {
        ok: false,
        error: "invalid",
        message: "pageId must be the Facebook page id: digits only",
        fieldErrors: { pageId: "must be the Facebook page id: digits only" },
      },
    });
  });

  it("answers the routes' own refusals as they are", async () => {
    expect(await answerOf(new ActionRefusal(405, "bad_request", "GET is not answered here"))).toEqual({
      status: 405,
      body: { ok: false, error: "bad_request", message: "GET is not answered here" },
    });
  });

  it("is no refusal for anything else: a fault is thrown on, to be answered 500", async () => {
    for (const fault of [new Error("database is locked"), new TypeError("x is undefined"), new Response("Not found", { status: 404 }), "text", null]) {
      expect(refusalOf(fault)).toBeNull();
    }
    const fault = new Error("database is locked");
    await expect(answerRefusals(() => Promise.reject(fault))).rejects.toBe(fault);
    const refused = await answerRefusals(() => Promise.reject(new PushActionError("gone", "not_found")));
    expect(refused.status).toBe(404);
    const answered = new Response("fine");
    expect(await answerRefusals(() => Promise.resolve(answered))).toBe(answered);
  });
});
