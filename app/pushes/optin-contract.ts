// The Messenger opt-in block's route (GET/POST /api/optin/:orderId, decision 020): its request and answer types.
// Types only: the block (extensions/messenger-optin) imports them with `import type`, so nothing of app/ reaches
// its bundle.

/** GET's answer when the block is to be shown (200); 204 (no body) when the shop is not linked or the opt-in is off. */
export interface OptinLinkAnswer {
  /** https://m.me/<page id>?ref=<ref>: opens Messenger with the shop's page, the order's ref in the conversation. */
  url: string;
  /** A PSID is bound to this order: the Order status page offers "Stop Messenger updates". */
  bound: boolean;
  /** The merchant's button words per buyer language; null: the block's own words. */
  buttonText: { en: string | null; "zh-CN": string | null };
}

export type OptinIntent = "stop";

export interface OptinActionRequest {
  intent: OptinIntent;
}

/** POST {intent: "stop"}: the order is no longer bound; `cancelled` of its pushes waiting to be sent were cancelled. */
export interface OptinStopAnswer {
  ok: true;
  intent: "stop";
  /** The order was bound before this request (false: it was already stopped, or never bound). */
  unbound: boolean;
  cancelled: number;
}

/** A refusal: 400 bad_request / unknown_intent / invalid_order_id, 404 not_found (not this buyer's order). */
export interface OptinRefusal {
  ok: false;
  error: string;
  message: string;
}
