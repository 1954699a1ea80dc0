import type { PushRef, QueuedPushRef } from "../delivery/outbox.server";
import { log } from "../logger.server";
import type { GroupCommit } from "./group-commit.server";
import { processDelivery, type DeliveryOutcome } from "./process-delivery.server";
import type { WebhookTopic } from "./topics";
import { validatePayload } from "./validate-payload";

// After authentication (the lean HTTP path or authenticate.webhook), one service takes every delivery:
// check the payload, record the delivery, plan and store the pushes, commit, answer. JoinChat is never
// waited for here: the worker is woken instead.

export interface WebhookInput {
  topic: WebhookTopic;
  shop: string;
  webhookId: string;
  apiVersion: string | null;
  eventId: string | null;
  triggeredAt: string | null;
  rawBody: string;
}

export interface WebhookAnswer {
  status: number;
  body: string;
}

export interface ReceiverDeps {
  commit: GroupCommit;
  /** Called after commit with the earliest due time of the new pushes, and the pushes. */
  onPushesStored: (dueAt: number, pushes: QueuedPushRef[]) => void;
  /** Called after commit with the waiting pushes the delivery cancelled (a paid order's reminder, an uninstall). */
  onPushesCancelled?: (pushes: PushRef[]) => void;
  now?: () => number;
}

export type WebhookReceiver = (input: WebhookInput) => Promise<WebhookAnswer>;

const json = (status: number, body: object): WebhookAnswer => ({ status, body: JSON.stringify(body) });

export function createWebhookReceiver(deps: ReceiverDeps): WebhookReceiver {
  const now = deps.now ?? Date.now;
  return async function receiveWebhook(input) {
    const fields = { shop: input.shop, topic: input.topic, webhookId: input.webhookId };
    const checked = validatePayload(input.topic, input.rawBody);
    if (!checked.ok) {
      log.warn("webhook refused", { ...fields, status: 400, error: checked.error });
      return json(400, { error: checked.error });
    }
    let outcome: DeliveryOutcome;
    try {
      outcome = await deps.commit.run((tx) =>
        processDelivery(
          tx,
          {
            shop: input.shop,
            webhookId: input.webhookId,
            topic: input.topic,
            apiVersion: input.apiVersion,
            eventId: input.eventId,
            triggeredAt: input.triggeredAt,
            now: now(),
          },
          checked.payload,
        ),
      );
    } catch (error) {
      // Not stored: a 500 makes Shopify retry the delivery later.
      log.error("webhook not stored", { ...fields, error });
      return json(500, { error: "the delivery could not be stored; Shopify will retry it" });
    }
    if (outcome.dueAt !== null) deps.onPushesStored(outcome.dueAt, outcome.queued);
    if (outcome.cancelled.length > 0) deps.onPushesCancelled?.(outcome.cancelled);
    log.info(outcome.duplicate ? "webhook repeated" : "webhook accepted", { ...fields, pushes: outcome.pushIds, outcome: outcome.summary });
    return json(200, { ok: true, duplicate: outcome.duplicate, pushes: outcome.pushIds });
  };
}
