import { json, type TypedResponse } from "@remix-run/node";
import { OptinNotFound } from "../lookup/messenger-optin.server";
import { PushActionError, type PushActionErrorCode } from "../delivery/push-service.server";
import { TestPushError, type TestPushErrorCode } from "../delivery/test-push.server";
import { SettingsError } from "../settings/settings.server";

// The one map from what a request or a service refuses to the HTTP answer of every loader and action of the admin
// and of the order page block's route. A route throws (or lets through) the service's own error; the route's
// work runs inside answerRefusals, which answers it here. Anything else is not a refusal but a fault: it is thrown
// on, and Remix answers 500.

/** Refusals of the request itself, before a service is asked. */
export type RequestRefusalCode = "bad_request" | "unknown_intent" | "invalid" | "confirm" | "invalid_order_id";

export type RefusalCode = RequestRefusalCode | PushActionErrorCode | TestPushErrorCode;

/** Every refusal's JSON: the code a page or the block acts on, a message for people, and the fields at fault. */
export interface RefusalAnswer {
  ok: false;
  error: RefusalCode;
  message: string;
  /** Field name to message, when the refusal is about fields the merchant typed or the client sent. */
  fieldErrors?: Record<string, string>;
}

/** A refusal the routes raise themselves (a body that does not parse, an order id that is not one). */
export class ActionRefusal extends Error {
  name = "ActionRefusal";
  constructor(
    readonly status: number,
    readonly code: RefusalCode,
    message: string,
    readonly fieldErrors: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** A push that is not the shop's is not found; one in the wrong state for the action conflicts with it. */
const PUSH_ACTION_STATUS: Record<PushActionErrorCode, number> = {
  not_found: 404,
  not_failed: 409,
  not_delivered: 409,
  redacted: 409,
  changed: 409,
  invalid: 409,
  nothing_to_resend: 409,
};

/** A test push the merchant cannot send as asked: the form or the shop's state is at fault. */
const TEST_PUSH_STATUS: Record<TestPushErrorCode, number> = { invalid: 400, not_linked: 400, paused: 400 };

/** The refusal a thrown error stands for; null when it is not one (a fault). */
export function refusalOf(error: unknown): ActionRefusal | null {
  if (error instanceof ActionRefusal) return error;
  if (error instanceof PushActionError) return new ActionRefusal(PUSH_ACTION_STATUS[error.code], error.code, error.message);
  if (error instanceof TestPushError) return new ActionRefusal(TEST_PUSH_STATUS[error.code], error.code, error.message, error.fieldErrors);
  if (error instanceof OptinNotFound) return new ActionRefusal(404, "not_found", error.message);
  if (error instanceof SettingsError) return new ActionRefusal(400, "invalid", error.message, error.fieldErrors);
  return null;
}

export function refusalAnswer(refusal: ActionRefusal): TypedResponse<RefusalAnswer> {
  const body: RefusalAnswer = { ok: false, error: refusal.code, message: refusal.message };
  if (Object.keys(refusal.fieldErrors).length > 0) body.fieldErrors = refusal.fieldErrors;
  return json(body, { status: refusal.status });
}

/** Runs a loader's or an action's work; a refusal it throws becomes its answer, anything else is thrown on. */
export async function answerRefusals<T>(work: () => Promise<T>): Promise<T | TypedResponse<RefusalAnswer>> {
  try {
    return await work();
  } catch (error) {
    const refusal = refusalOf(error);
    if (refusal) return refusalAnswer(refusal);
    throw error;
  }
}
