// `bind` and `unbind` on the shop's lookup URL (decision 023): the app's contract with JoinChat for the Messenger
// opt-in. When a buyer opens the shop's page on m.me with an order's ref, JoinChat (a flow, or JoinChat's team) calls
//   {"method": "bind",   "params": {"ref": "<ref>", "psid": "<PSID>"}}
//   {"method": "unbind", "params": {"ref": "<ref>", "psid": "<PSID>"}}
// signed like every JoinChat call (X-Joinchat-Signature, checked before this runs). A bind ties the PSID to the order
// and its customer; the order's pushes JoinChat refused with 10010 are sent again to the PSID at once, exactly once.
// Answers in JoinChat's shapes: {"success": true, "data": {...}} / {"success": false, "errors": "<why>"}.
import { z } from "zod";
import type { Database } from "../db/database.server";
import type { PushScheduler } from "../delivery/scheduler.server";
import { log } from "../logger.server";
import { SKIP_REASONS } from "../pushes/reasons";
import { bindIfUnbound, deleteBindingsReachingOrder, readBinding } from "../stores/messenger-binding-store.server";
import { recordOptinEvent } from "../stores/optin-event-store.server";
import { readOrderCreatedAt, readOrderRow } from "../stores/order-store.server";
import { readOrderToken } from "../stores/order-token-store.server";
import { cancelWaitingPushesOfOrder, readdressPushesOfOrder } from "../stores/push-store.server";
import { failure, type LookupAnswer } from "./customer-query.server";
import { isOrderTokenShape } from "./setup.server";

export const BINDING_METHODS = ["bind", "unbind"] as const;
export type BindingMethod = (typeof BINDING_METHODS)[number];

/** A Messenger PSID: digits only (page-scoped ids are 15 to 17 digits today; 5 to 32 leaves room). */
export function isPsidShape(value: string): boolean {
  return /^\d{5,32}$/.test(value);
}

/**
 * A ref issued this long before Shopify says its order was placed was asked for an order that did not exist yet (a
 * guess at the next order id, decision 023): it binds nothing. The margin covers clocks and Shopify's whole seconds.
 */
export const REF_BEFORE_ORDER_MARGIN_MS = 60_000;

const BindingParams = z.object(
  {
    ref: z.string({ required_error: "params.ref is required", invalid_type_error: "params.ref must be a string" }).max(200),
    psid: z
      .union([z.string(), z.number().int().nonnegative()], {
        required_error: "params.psid is required",
        invalid_type_error: "params.psid must be a string of digits",
      })
      .transform((v) => String(v).trim()),
  },
  { required_error: "params is required", invalid_type_error: "params must be an object" },
);

/** The method of a lookup request when it is `bind` or `unbind` (else null: the customer query answers it). */
export function bindingMethodOf(raw: Buffer): BindingMethod | null {
  try {
    const data = JSON.parse(raw.toString("utf8")) as { method?: unknown };
    return (BINDING_METHODS as readonly unknown[]).includes(data?.method) ? (data.method as BindingMethod) : null;
  } catch {
    return null;
  }
}

export interface BindingDeps {
  db: Database;
  /** The process's scheduler port: a push sent again is handed over like every queued push (BullMQ workers too). */
  scheduler: PushScheduler;
  now?: () => number;
}

const ok = (data: Record<string, unknown>): LookupAnswer => ({ status: 200, body: { success: true, data } });

/** Answers a signed `bind` or `unbind` of `shop` (the lookup URL's); `raw` is the body. */
export async function answerBinding(deps: BindingDeps, shop: string, raw: Buffer): Promise<LookupAnswer> {
  const now = (deps.now ?? Date.now)();
  const envelope = JSON.parse(raw.toString("utf8")) as { method: BindingMethod; params?: unknown };
  const parsed = BindingParams.safeParse(envelope.params);
  if (!parsed.success) return refused(shop, envelope.method, failure(400, parsed.error.issues[0].message));
  const { ref, psid } = parsed.data;
  if (!isPsidShape(psid)) return refused(shop, envelope.method, failure(400, "params.psid must be a Messenger PSID: 5 to 32 digits"));

  // The ref is only this shop's: another shop's ref (or none) is not found, the same answer either way.
  const token = isOrderTokenShape(ref.trim().toLowerCase()) ? await readOrderToken(deps.db, shop, ref.trim().toLowerCase()) : undefined;
  if (!token) return refused(shop, envelope.method, failure(404, "no order of this shop has this ref"));

  if (envelope.method === "unbind") {
    // Unbinding protects the buyer: an expired ref still unbinds.
    const { answer, cancelled } = await deps.db.transaction(async (tx) => {
      const bound = await readBinding(tx, shop, token.order_gid);
      if (!bound || bound.psid !== psid) return { answer: ok({ unbound: false, cancelled: 0 }), cancelled: [] };
      await deleteBindingsReachingOrder(tx, shop, token.order_gid, bound.customer_gid);
      const cancelled = await cancelWaitingPushesOfOrder(tx, shop, token.order_gid, SKIP_REASONS.buyerStoppedMessenger, now);
      await recordOptinEvent(tx, shop, "stop", now);
      return { answer: ok({ unbound: true, cancelled: cancelled.length }), cancelled };
    });
    deps.scheduler.cancelled(cancelled);
    log.info("messenger unbind", { shop, order: token.order_gid, cancelled: cancelled.length });
    return answer;
  }

  if (token.expires_at <= now) return refused(shop, "bind", failure(410, "this ref has expired: the buyer needs the order's current link"));
  const orderCreatedAt = await readOrderCreatedAt(deps.db, shop, token.order_gid);
  if (orderCreatedAt !== null && token.created_at < orderCreatedAt - REF_BEFORE_ORDER_MARGIN_MS) {
    return refused(shop, "bind", failure(404, "no order of this shop has this ref"), "ref issued before its order was placed");
  }
  const order = await readOrderRow(deps.db, shop, token.order_gid);
  const outcome = await deps.db.transaction(async (tx) => {
    const bound = await bindIfUnbound(tx, { shop, order_gid: token.order_gid, customer_gid: order?.customer_gid ?? null, psid }, now);
    if (bound.result !== "bound") return { result: bound.result, queued: [], replacedJobs: [] };
    await recordOptinEvent(tx, shop, "bind", now);
    return { result: bound.result, ...(await readdressPushesOfOrder(tx, shop, token.order_gid, psid, now)) };
  });
  if (outcome.result === "other") {
    return refused(shop, "bind", failure(409, "this order is bound to another Messenger user: unbind it first"));
  }
  // After the commit: the jobs of retrying pushes (waiting for their old time) go, and the pushes due now are handed over.
  deps.scheduler.cancelled(outcome.replacedJobs);
  deps.scheduler.queued(outcome.queued);
  log.info("messenger bind", { shop, order: token.order_gid, result: outcome.result, resent: outcome.queued.length });
  return ok({ order_number: order?.name ?? null, bound: true, already_bound: outcome.result === "same", resent: outcome.queued.length });
}

function refused(shop: string, method: string, answer: LookupAnswer, why?: string): LookupAnswer {
  log.warn("messenger binding refused", { shop, method, status: answer.status, error: why ?? answer.body.errors });
  return answer;
}
