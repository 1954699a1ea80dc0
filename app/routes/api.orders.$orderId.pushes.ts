import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { deliverSoon } from "../admin/deliver-soon.server";
import { adminContext, readJsonBody } from "../admin/request.server";
import { isRequestId, listOrderPushes, orderGidOf, orderPushView, resendOrderPush, retryOrderPush, type OrderResendKind } from "../delivery/order-pushes.server";
import { PushActionError } from "../delivery/push-service.server";
import type { OrderPushActionAnswer, OrderPushErrorCode, OrderPushesAnswer, OrderPushIntent } from "../pushes/order-pushes-contract";

// The order page block's route (extensions/order-pushes): GET lists the order's pushes, POST resends the receipt
// or the latest shipping update (confirmed), or retries a failed push. Authenticated by `authenticate.admin` with
// the session token the admin gives the extension (Authorization: Bearer); the shop is the token's, so a shop only
// ever reads and acts on its own orders' pushes. Answers carry CORS headers: the extension runs on Shopify's origin.

const INTENTS: readonly OrderPushIntent[] = ["resend-receipt", "resend-shipping-update", "retry"];
const RESEND_KIND: Record<Exclude<OrderPushIntent, "retry">, OrderResendKind> = { "resend-receipt": "receipt", "resend-shipping-update": "shippingUpdate" };

function refusal(error: OrderPushErrorCode, message: string, status: number) {
  return json<OrderPushActionAnswer>({ ok: false, error, message }, { status });
}

function orderGidFrom(params: LoaderFunctionArgs["params"]): string {
  const gid = orderGidOf(params.orderId);
  if (!gid) throw refusal("invalid_order_id", "the order id must be a Shopify order id (digits) or its GID", 400);
  return gid;
}

/** Our own refusals (thrown Responses) get the CORS headers too, or the extension could not read them. */
async function withCors(cors: (response: Response) => Response, answer: () => Promise<Response>): Promise<Response> {
  try {
    return cors(await answer());
  } catch (error) {
    if (error instanceof Response) throw cors(error);
    throw error;
  }
}

export const loader = async ({ request, params }: LoaderFunctionArgs) => {
  const { shop, runtime, cors } = await adminContext(request);
  return withCors(cors, async () => {
    const orderGid = orderGidFrom(params);
    const answer: OrderPushesAnswer = await listOrderPushes(runtime.db, shop, orderGid);
    return json(answer, { headers: { "Cache-Control": "no-store" } });
  });
};

export const action = async ({ request, params }: ActionFunctionArgs) => {
  const { shop, runtime, cors } = await adminContext(request);
  return withCors(cors, async () => {
    if (request.method !== "POST") return refusal("bad_request", `${request.method} is not answered here: POST a JSON body`, 405);
    const orderGid = orderGidFrom(params);
    const body = await readJsonBody(request).catch(() => {
      throw refusal("bad_request", "the body must be a JSON object", 400);
    });
    const intent = body.intent;
    if (typeof intent !== "string" || !(INTENTS as readonly string[]).includes(intent)) {
      return refusal("unknown_intent", `intent must be one of ${INTENTS.join(", ")}`, 400);
    }
    try {
      if (intent === "retry") {
        const pushId = body.pushId;
        if (typeof pushId !== "number" || !Number.isSafeInteger(pushId) || pushId < 1) return refusal("bad_request", "pushId must be a push's id", 400);
        const push = await retryOrderPush(runtime.db, shop, orderGid, pushId);
        await deliverSoon(runtime, [push.id]);
        return json<OrderPushActionAnswer>({ ok: true, intent, push: orderPushView(push), created: false });
      }
      // A resend sends the buyer the same message again: only when asked for explicitly.
      if (body.confirm !== true) return refusal("confirm", "a resend sends the buyer the message again: send confirm: true", 400);
      if (body.requestId !== undefined && !isRequestId(body.requestId)) return refusal("bad_request", "requestId must be 8 to 64 letters, digits or dashes", 400);
      const kind = RESEND_KIND[intent as Exclude<OrderPushIntent, "retry">];
      const { push, created } = await resendOrderPush(runtime.db, shop, orderGid, kind, Date.now(), body.requestId as string | undefined);
      if (created) await deliverSoon(runtime, [push.id]);
      return json<OrderPushActionAnswer>({ ok: true, intent: intent as OrderPushIntent, push: orderPushView(push), created });
    } catch (error) {
      if (error instanceof PushActionError) return refusal(error.code, error.message, error.code === "not_found" ? 404 : 409);
      throw error;
    }
  });
};
