import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { z } from "zod";
import { answerRefusals, ActionRefusal } from "../admin/refusals.server";
import { buyerContext, readAction } from "../admin/request.server";
import { optinLink, stopOptin } from "../lookup/messenger-optin.server";
import { orderGidOf } from "../delivery/order-pushes.server";
import type { OptinIntent, OptinLinkAnswer, OptinStopAnswer } from "../pushes/optin-contract";

// The Messenger opt-in block's route (extensions/messenger-optin, decision 020), called from the Thank-you and Order
// status pages with the checkout / customer account session token (Authorization: Bearer). GET answers the order's
// m.me link (200), or 204 when the block shows nothing (the shop is not linked, or the opt-in is off); POST
// {intent: "stop"} unbinds the order and cancels its waiting pushes. The shop is the token's, never a parameter.

const INTENTS = { stop: z.object({}).strict() } satisfies Record<OptinIntent, z.ZodTypeAny>;

function orderGidFrom(params: LoaderFunctionArgs["params"]): string {
  const gid = orderGidOf(params.orderId);
  if (!gid) throw new ActionRefusal(400, "invalid_order_id", "the order id must be a Shopify order id (digits) or its GID");
  return gid;
}

export const loader = async ({ request, params }: LoaderFunctionArgs) => {
  const { shop, customerGid, runtime, cors } = await buyerContext(request);
  return cors(
    await answerRefusals(async () => {
      const orderGid = orderGidFrom(params);
      const link = await optinLink(runtime.db, { shop, orderGid, customerGid });
      if (!link) return new Response(null, { status: 204, headers: { "Cache-Control": "no-store" } });
      return json<OptinLinkAnswer>(link, { headers: { "Cache-Control": "no-store" } });
    }),
  );
};

export const action = async ({ request, params }: ActionFunctionArgs) => {
  const { shop, customerGid, runtime, cors } = await buyerContext(request);
  return cors(
    await answerRefusals(async () => {
      if (request.method !== "POST") throw new ActionRefusal(405, "bad_request", `${request.method} is not answered here: POST a JSON body`);
      const orderGid = orderGidFrom(params);
      await readAction(request, INTENTS, { invalid: "bad_request" });
      const { answer, cancelled } = await stopOptin(runtime.db, { shop, orderGid, customerGid });
      runtime.scheduler.cancelled(cancelled);
      return json<OptinStopAnswer>(answer);
    }),
  );
};
