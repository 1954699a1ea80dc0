import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { z } from "zod";
import { answerRefusals, ActionRefusal } from "../admin/refusals.server";
import { adminContext, ConfirmSchema, readAction } from "../admin/request.server";
import {
  isRequestId,
  listOrderPushes,
  orderGidOf,
  orderPushView,
  resendOrderPush,
  retryOrderPush,
  type OrderResendKind,
} from "../delivery/order-pushes.server";
import type { OrderPushActionAnswer, OrderPushesAnswer, OrderPushIntent } from "../pushes/order-pushes-contract";

// The order page block's route (extensions/order-pushes): GET lists the order's pushes, POST resends the receipt
// or the latest shipping update (confirmed), or retries a failed push. Authenticated by `authenticate.admin` with
// the session token the admin gives the extension (Authorization: Bearer); the shop is the token's, so a shop only
// ever reads and acts on its own orders' pushes. Answers carry CORS headers: the extension runs on Shopify's origin.

const PUSH_ID = "must be a push's id";

/** A resend sends the buyer the same message again: only when asked for explicitly. */
const ResendSchema = z.object({
  confirm: ConfirmSchema,
  requestId: z.custom<string>((value) => isRequestId(value), "must be 8 to 64 letters, digits or dashes").optional(),
});

const INTENTS = {
  "resend-receipt": ResendSchema,
  "resend-shipping-update": ResendSchema,
  retry: z.object({ pushId: z.number({ required_error: PUSH_ID, invalid_type_error: PUSH_ID }).int(PUSH_ID).positive(PUSH_ID).safe(PUSH_ID) }),
} satisfies Record<OrderPushIntent, z.ZodTypeAny>;

const RESEND_KIND: Record<Exclude<OrderPushIntent, "retry">, OrderResendKind> = { "resend-receipt": "receipt", "resend-shipping-update": "shippingUpdate" };

function orderGidFrom(params: LoaderFunctionArgs["params"]): string {
  const gid = orderGidOf(params.orderId);
  if (!gid) throw new ActionRefusal(400, "invalid_order_id", "the order id must be a Shopify order id (digits) or its GID");
  return gid;
}

// Refusals (answerRefusals) get the CORS headers too, or the extension could not read them.
export const loader = async ({ request, params }: LoaderFunctionArgs) => {
  const { shop, runtime, cors } = await adminContext(request);
  return cors(
    await answerRefusals(async () => {
      const orderGid = orderGidFrom(params);
      const answer: OrderPushesAnswer = await listOrderPushes(runtime.db, shop, orderGid);
      return json(answer, { headers: { "Cache-Control": "no-store" } });
    }),
  );
};

export const action = async ({ request, params }: ActionFunctionArgs) => {
  const { shop, runtime, cors } = await adminContext(request);
  return cors(
    await answerRefusals(async () => {
      if (request.method !== "POST") throw new ActionRefusal(405, "bad_request", `${request.method} is not answered here: POST a JSON body`);
      const orderGid = orderGidFrom(params);
      const { intent, body } = await readAction(request, INTENTS, { invalid: "bad_request" });
      if (intent === "retry") {
        const push = await retryOrderPush(runtime.db, shop, orderGid, body.pushId);
        runtime.scheduler.queued([push]);
        return json<OrderPushActionAnswer>({ ok: true, intent, push: orderPushView(push), created: false });
      }
      const kind = RESEND_KIND[intent];
      const { push, created } = await resendOrderPush(runtime.db, shop, orderGid, kind, Date.now(), body.requestId);
      if (created) runtime.scheduler.queued([push]);
      return json<OrderPushActionAnswer>({ ok: true, intent, push: orderPushView(push), created });
    }),
  );
};
