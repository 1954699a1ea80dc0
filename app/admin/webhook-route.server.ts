import { getRuntime } from "../runtime.server";
import { authenticate } from "../shopify.server";
import { normalizeTopicHeader, type WebhookTopic } from "../webhooks/topics";

// The webhook routes under Remix (app/routes/webhooks.*; `shopify app dev` runs the Vite dev server, which has no
// lean path): authenticate.webhook itself, then the process's intake service (runtime.receive), the same one the
// lean path hands its deliveries to. Here, beside the routes, and not in app/webhooks: the intake layer is given
// its dependencies and never reaches for the process's runtime.

function answer(status: number, body: object): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}

export async function handleWebhookRoute(request: Request, topic: WebhookTopic): Promise<Response> {
  // The library reads the body itself; a copy keeps the exact bytes for a parse that keeps ids over 2^53.
  const rawBody = request.method === "POST" ? await request.clone().text() : "";
  let context: Awaited<ReturnType<typeof authenticate.webhook>>;
  try {
    context = await authenticate.webhook(request);
  } catch (error) {
    if (error instanceof Response) return error;
    if (error instanceof SyntaxError) return answer(400, { error: `malformed JSON: ${error.message}` });
    throw error;
  }
  if (normalizeTopicHeader(context.topic) !== normalizeTopicHeader(topic)) {
    return answer(400, { error: `topic ${context.topic} does not belong on /webhooks/${topic}` });
  }
  const runtime = await getRuntime();
  const result = await runtime.receive({
    topic,
    shop: context.shop,
    webhookId: context.webhookId,
    apiVersion: context.apiVersion ?? null,
    eventId: context.eventId ?? null,
    triggeredAt: context.triggeredAt ?? null,
    rawBody,
  });
  return new Response(result.body, { status: result.status, headers: { "content-type": "application/json", ...result.headers } });
}
