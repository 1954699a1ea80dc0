// What JoinChat (and the Messenger templates underneath) accept, for the sandbox: the push envelope of
// JoinChat's merchant push API, and the body of its generic Send API (`send_message`). Each rule throws a
// Rejection whose message names the field, so a test (and a developer reading the sandbox's answer) sees
// exactly what was wrong.
import { JOINCHAT_TOPICS, TRACKING_STATUSES, type JoinChatTopic } from "../../app/pushes/types";

export class Rejection {
  constructor(
    readonly status: number,
    readonly msg: string,
  ) {}
}

export type Json = Record<string, unknown>;

export function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const MAX_ELEMENTS = 100;
const DIGITS = /^\d+$/;
const CURRENCY = /^[A-Z]{3}$/;
const COUNTRY = /^[A-Z]{2}$/;
const TOPICS: ReadonlySet<string> = new Set(JOINCHAT_TOPICS);
const TRACKING: ReadonlySet<string> = new Set(TRACKING_STATUSES);

export const PUSH_RECIPIENT_KEYS = ["id", "email", "phone"] as const;
export type PushRecipientKey = (typeof PUSH_RECIPIENT_KEYS)[number];
/** The Send API also knows a buyer by the uuid of JoinChat's Send-to-Messenger plugin. */
export const SEND_RECIPIENT_KEYS = ["id", "phone", "email", "uuid"] as const;
export type SendRecipientKey = (typeof SEND_RECIPIENT_KEYS)[number];

export const TEMPLATE_TYPES = ["text", "button", "generic", "list", "receipt"] as const;
export type TemplateType = (typeof TEMPLATE_TYPES)[number];

/** The message tags Messenger still accepts (a message outside the 24-hour window needs one). */
export const MESSENGER_TAGS = ["POST_PURCHASE_UPDATE", "CONFIRMED_EVENT_UPDATE", "ACCOUNT_UPDATE", "HUMAN_AGENT"] as const;
export type MessengerTag = (typeof MESSENGER_TAGS)[number];
/**
 * Tags of the older list JoinChat's Send API page copies, which Messenger retired in 2020: a message sent with
 * one is refused, so the sandbox refuses it too, by name.
 */
export const RETIRED_MESSENGER_TAGS = [
  "SHIPPING_UPDATE",
  "PAYMENT_UPDATE",
  "RESERVATION_UPDATE",
  "ISSUE_RESOLUTION",
  "APPOINTMENT_UPDATE",
  "GAME_EVENT",
  "TRANSPORTATION_UPDATE",
  "FEATURE_FUNCTIONALITY_UPDATE",
  "TICKET_UPDATE",
  "PAIRING_UPDATE",
  "PERSONAL_FINANCE_UPDATE",
  "APPLICATION_UPDATE",
  "COMMUNITY_ALERT",
  "CONFIRMED_EVENT_REMINDER",
  "NON_PROMOTIONAL_SUBSCRIPTION",
  "BUSINESS_PRODUCTIVITY",
] as const;
const LIVE_TAGS: ReadonlySet<string> = new Set(MESSENGER_TAGS);
const RETIRED_TAGS: ReadonlySet<string> = new Set(RETIRED_MESSENGER_TAGS);
const TEMPLATES: ReadonlySet<string> = new Set(TEMPLATE_TYPES);

/** Messenger's limits, in characters (code points). */
export const MESSENGER_LIMITS = {
  text: 2000,
  buttonTemplateText: 640,
  buttonTitle: 20,
  postbackPayload: 1000,
  elementTitle: 80,
  elementSubtitle: 80,
  genericElements: 10,
  listElements: { min: 2, max: 4 },
  maxSendDelayS: 10,
} as const;

/** A push that passed every rule (or would be answered 10010). */
export interface ValidPush {
  topic: JoinChatTopic;
  pageId: string;
  recipientKey: PushRecipientKey;
  recipientValue: string;
  params: Record<string, unknown>;
}

/** A send_message body that passed every rule. */
export interface ValidSend {
  pageId: string;
  recipientKey: SendRecipientKey;
  recipientValue: string;
  message: Json;
  templateType: TemplateType;
  tag: MessengerTag | null;
  delaySeconds: number;
}

function fail400(msg: string): never {
  throw new Rejection(400, msg);
}

function charCount(text: string): number {
  let n = 0;
  for (const _ of text) n += 1;
  return n;
}

// ---- The push (merchant push API) ----

export function validatePush(body: unknown): ValidPush {
  if (!isObject(body)) fail400("Body must be a JSON object");

  const request = body.request;
  if (!isObject(request)) fail400("request must be an object");
  const pageId = request.page_id;
  if (typeof pageId !== "string" || !DIGITS.test(pageId)) fail400("request.page_id must be a string of digits");
  const topic = request.topic;
  if (typeof topic !== "string" || !TOPICS.has(topic)) fail400(`request.topic must be one of ${JOINCHAT_TOPICS.join(", ")}`);

  const { key: recipientKey, value: recipientValue } = requireRecipient(body.recipient, PUSH_RECIPIENT_KEYS);

  const params = body.params;
  if (!isObject(params)) fail400("params must be an object");

  if (topic === "package/update") validatePackageParams(params);
  else validateReceiptParams(params, "params", { paymentMethodMayBeEmpty: topic === "Order/Unpaid", timestamp: "integer" });

  return { topic: topic as JoinChatTopic, pageId, recipientKey, recipientValue, params };
}

function requireRecipient<K extends string>(recipient: unknown, keys: readonly K[]): { key: K; value: string } {
  if (!isObject(recipient)) fail400("recipient must be an object");
  const present = keys.filter((k) => recipient[k] !== undefined);
  if (present.length !== 1) fail400(`recipient must have exactly one of ${keys.join(", ")}`);
  const key = present[0];
  const value = recipient[key];
  if (typeof value !== "string" || value.trim() === "") fail400(`recipient.${key} must be a non-empty string`);
  return { key, value };
}

function requireString(obj: Json, key: string, path: string, nonEmpty: boolean): string {
  const value = obj[key];
  if (value === undefined || value === null) fail400(`${path} is required`);
  if (typeof value !== "string") fail400(`${path} must be a string`);
  if (nonEmpty && value.trim() === "") fail400(`${path} must not be empty`);
  return value;
}

function optionalString(obj: Json, key: string, path: string): void {
  const value = obj[key];
  if (value !== undefined && typeof value !== "string") fail400(`${path} must be a string`);
}

/** Messenger wants money as numbers with at most two decimals. */
function isMoney(value: unknown): value is number {
  if (typeof value !== "number" || !Number.isFinite(value)) return false;
  const cents = value * 100;
  return Math.abs(cents - Math.round(cents)) <= 1e-7 * Math.max(1, Math.abs(cents));
}

function requireMoney(obj: Json, key: string, path: string): void {
  const value = obj[key];
  if (value === undefined || value === null) fail400(`${path} is required`);
  if (!isMoney(value)) fail400(`${path} must be a number with at most 2 decimals`);
}

function optionalMoney(obj: Json, key: string, path: string): void {
  const value = obj[key];
  if (value !== undefined && !isMoney(value)) fail400(`${path} must be a number with at most 2 decimals`);
}

interface ReceiptRules {
  /** JoinChat's own Order/Unpaid example sends "": there is no payment method for an unpaid order yet. */
  paymentMethodMayBeEmpty: boolean;
  /**
   * The push's example sends Unix seconds as an integer; Messenger's receipt template (what send_message passes
   * through) documents a string of seconds, so there either is taken.
   */
  timestamp: "integer" | "integer-or-digits";
}

/** Messenger's receipt template, under `path` (params of a push, or message of send_message). */
function validateReceiptParams(p: Json, path: string, rules: ReceiptRules): void {
  requireString(p, "recipient_name", `${path}.recipient_name`, true);
  requireString(p, "order_number", `${path}.order_number`, true);
  const currency = requireString(p, "currency", `${path}.currency`, true);
  if (!CURRENCY.test(currency)) fail400(`${path}.currency must be a 3-letter currency code`);
  requireString(p, "payment_method", `${path}.payment_method`, !rules.paymentMethodMayBeEmpty);
  optionalString(p, "order_url", `${path}.order_url`);

  const ts = p.timestamp;
  if (ts !== undefined) {
    const integer = typeof ts === "number" && Number.isInteger(ts);
    const digits = rules.timestamp === "integer-or-digits" && typeof ts === "string" && DIGITS.test(ts);
    if (!integer && !digits) {
      fail400(`${path}.timestamp must be ${rules.timestamp === "integer" ? "an integer" : "an integer or a string of digits"} (Unix seconds)`);
    }
  }

  const summary = p.summary;
  if (summary === undefined || summary === null) fail400(`${path}.summary is required`);
  if (!isObject(summary)) fail400(`${path}.summary must be an object`);
  requireMoney(summary, "total_cost", `${path}.summary.total_cost`);
  for (const key of ["subtotal", "shipping_cost", "total_tax"]) optionalMoney(summary, key, `${path}.summary.${key}`);

  if (p.adjustments !== undefined) {
    if (!Array.isArray(p.adjustments)) fail400(`${path}.adjustments must be an array`);
    p.adjustments.forEach((adj: unknown, i: number) => {
      const at = `${path}.adjustments[${i}]`;
      if (!isObject(adj)) fail400(`${at} must be an object`);
      requireString(adj, "name", `${at}.name`, true);
      requireMoney(adj, "amount", `${at}.amount`);
    });
  }

  if (p.elements !== undefined) {
    if (!Array.isArray(p.elements)) fail400(`${path}.elements must be an array`);
    if (p.elements.length > MAX_ELEMENTS) fail400(`${path}.elements must have at most ${MAX_ELEMENTS} items`);
    p.elements.forEach((el: unknown, i: number) => {
      const at = `${path}.elements[${i}]`;
      if (!isObject(el)) fail400(`${at} must be an object`);
      requireString(el, "title", `${at}.title`, true);
      requireMoney(el, "price", `${at}.price`);
      if (el.quantity !== undefined && !(typeof el.quantity === "number" && Number.isInteger(el.quantity))) {
        fail400(`${at}.quantity must be an integer`);
      }
      optionalString(el, "subtitle", `${at}.subtitle`);
      optionalString(el, "image_url", `${at}.image_url`);
      if (el.currency !== undefined && !(typeof el.currency === "string" && CURRENCY.test(el.currency))) {
        fail400(`${at}.currency must be a 3-letter currency code`);
      }
    });
  }

  if (p.address !== undefined) {
    const address = p.address;
    if (!isObject(address)) fail400(`${path}.address must be an object`);
    for (const key of ["street_1", "city", "postal_code", "state"]) requireString(address, key, `${path}.address.${key}`, true);
    optionalString(address, "street_2", `${path}.address.street_2`);
    const country = requireString(address, "country", `${path}.address.country`, true);
    if (!COUNTRY.test(country)) fail400(`${path}.address.country must be a two-letter country code`);
  }
}

function validatePackageParams(p: Json): void {
  const status = requireString(p, "tracking_status", "params.tracking_status", true);
  if (!TRACKING.has(status)) fail400(`params.tracking_status must be one of ${TRACKING_STATUSES.join(", ")}`);
  requireString(p, "tracking_number", "params.tracking_number", true);
  requireString(p, "tracking_url", "params.tracking_url", false);
  requireString(p, "recipient_name", "params.recipient_name", false);
  optionalString(p, "image_url", "params.image_url");
}

// ---- The Send API (send_message) ----

/**
 * The page a send_message body is for: its id as digits, sent as a string or a number (JoinChat's table says
 * string, its examples send a number). A number past 2^53 has already lost digits in any JSON parser, so it is
 * refused rather than guessed.
 */
export function sendPageIdOf(body: unknown): string {
  if (!isObject(body)) fail400("Body must be a JSON object");
  const pageId = body.page_id;
  if (typeof pageId === "string" && DIGITS.test(pageId)) return pageId;
  if (typeof pageId === "number" && Number.isSafeInteger(pageId) && pageId > 0) return String(pageId);
  if (typeof pageId === "number" && Number.isInteger(pageId) && pageId > 0) {
    fail400("page_id is larger than 2^53 and lost digits as a JSON number: send it as a string");
  }
  return fail400("page_id is required: the Facebook page id, digits as a string or a number");
}

export function validateSendMessage(body: unknown): ValidSend {
  const pageId = sendPageIdOf(body);
  const b = body as Json;
  const { key: recipientKey, value: recipientValue } = requireRecipient(b.recipient, SEND_RECIPIENT_KEYS);

  const message = b.message;
  if (!isObject(message)) fail400("message must be an object");
  const templateType = message.template_type;
  if (typeof templateType !== "string" || !TEMPLATES.has(templateType)) fail400(`message.template_type must be one of ${TEMPLATE_TYPES.join(", ")}`);
  switch (templateType as TemplateType) {
    case "text":
      validateTextMessage(message);
      break;
    case "button":
      validateButtonMessage(message);
      break;
    case "generic":
      validateElements(message, "generic");
      break;
    case "list":
      validateElements(message, "list");
      break;
    case "receipt":
      validateReceiptParams(message, "message", { paymentMethodMayBeEmpty: false, timestamp: "integer-or-digits" });
      break;
  }

  let tag: MessengerTag | null = null;
  if (b.tag !== undefined && b.tag !== null) {
    if (typeof b.tag !== "string") fail400(`tag must be a string, one of ${MESSENGER_TAGS.join(", ")}`);
    if (RETIRED_TAGS.has(b.tag)) {
      fail400(
        `tag ${b.tag} was retired by Messenger and is refused; use one of ${MESSENGER_TAGS.join(", ")} (POST_PURCHASE_UPDATE for order and shipping notices)`,
      );
    }
    if (!LIVE_TAGS.has(b.tag)) fail400(`tag must be one of ${MESSENGER_TAGS.join(", ")}`);
    tag = b.tag as MessengerTag;
  }

  let delaySeconds = 0;
  if (b.delay !== undefined && b.delay !== null) {
    const d = b.delay;
    if (typeof d !== "number" || !Number.isInteger(d) || d < 0 || d > MESSENGER_LIMITS.maxSendDelayS) {
      fail400(`delay must be an integer number of seconds from 0 to ${MESSENGER_LIMITS.maxSendDelayS}`);
    }
    delaySeconds = d;
  }

  return { pageId, recipientKey, recipientValue, message, templateType: templateType as TemplateType, tag, delaySeconds };
}

function requireText(obj: Json, key: string, path: string, max: number): string {
  const value = requireString(obj, key, path, true);
  const n = charCount(value);
  if (n > max) fail400(`${path} must be at most ${max} characters (it has ${n})`);
  return value;
}

function optionalText(obj: Json, key: string, path: string, max: number): void {
  if (obj[key] === undefined) return;
  requireText(obj, key, path, max);
}

function requireHttpUrl(obj: Json, key: string, path: string): void {
  const value = requireString(obj, key, path, true);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return fail400(`${path} must be an absolute http(s) URL`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") fail400(`${path} must be an absolute http(s) URL`);
}

function validateTextMessage(m: Json): void {
  requireText(m, "text", "message.text", MESSENGER_LIMITS.text);
}

function validateButtonMessage(m: Json): void {
  requireText(m, "text", "message.text", MESSENGER_LIMITS.buttonTemplateText);
  validateButtons(m.buttons, "message.buttons", { min: 1, max: 3 });
}

function howMany(min: number, max: number, noun: string): string {
  return min === max ? `exactly ${min} ${noun}${min === 1 ? "" : "s"}` : `${min} to ${max} ${noun}s`;
}

function validateButtons(buttons: unknown, path: string, count: { min: number; max: number }): void {
  const wanted = howMany(count.min, count.max, "button");
  if (!Array.isArray(buttons)) fail400(`${path} must be an array of ${wanted}`);
  if (buttons.length < count.min || buttons.length > count.max) fail400(`${path} must have ${wanted} (it has ${buttons.length})`);
  buttons.forEach((button: unknown, i: number) => {
    const at = `${path}[${i}]`;
    if (!isObject(button)) fail400(`${at} must be an object`);
    requireText(button, "title", `${at}.title`, MESSENGER_LIMITS.buttonTitle);
    if (button.type === "web_url") requireHttpUrl(button, "url", `${at}.url`);
    else if (button.type === "postback") requireText(button, "payload", `${at}.payload`, MESSENGER_LIMITS.postbackPayload);
    else fail400(`${at}.type must be web_url (with url and title) or postback (with title and payload)`);
  });
}

function validateElements(m: Json, kind: "generic" | "list"): void {
  const elements = m.elements;
  const min = kind === "list" ? MESSENGER_LIMITS.listElements.min : 1;
  const max = kind === "list" ? MESSENGER_LIMITS.listElements.max : MESSENGER_LIMITS.genericElements;
  if (!Array.isArray(elements)) fail400(`message.elements must be an array of ${min} to ${max} elements`);
  if (elements.length < min || elements.length > max)
    fail400(`message.elements must have ${min} to ${max} elements for a ${kind} template (it has ${elements.length})`);
  elements.forEach((el: unknown, i: number) => {
    const at = `message.elements[${i}]`;
    if (!isObject(el)) fail400(`${at} must be an object`);
    requireText(el, "title", `${at}.title`, MESSENGER_LIMITS.elementTitle);
    optionalText(el, "subtitle", `${at}.subtitle`, MESSENGER_LIMITS.elementSubtitle);
    if (el.image_url !== undefined) requireHttpUrl(el, "image_url", `${at}.image_url`);
    if (el.default_action !== undefined) {
      const action = el.default_action;
      if (!isObject(action) || action.type !== "web_url") fail400(`${at}.default_action must be {type: "web_url", url}`);
      requireHttpUrl(action, "url", `${at}.default_action.url`);
    }
    if (el.buttons !== undefined) validateButtons(el.buttons, `${at}.buttons`, { min: 1, max: kind === "list" ? 1 : 3 });
  });
  if (kind === "list") {
    if (m.buttons !== undefined) validateButtons(m.buttons, "message.buttons", { min: 1, max: 1 });
    const style = m.top_element_style;
    if (style !== undefined && style !== "large" && style !== "compact") fail400('message.top_element_style must be "large" or "compact"');
  }
}

// ---- JoinChat's own examples (merchant-push-api.zh.md), valid under the rules above. ----

/** The doc's Order/Receipt example (two of its five elements), for tests and the demo. */
export function exampleReceiptPush(topic: "Order/Receipt" | "Order/Unpaid" = "Order/Receipt") {
  return {
    request: { page_id: "407898491811542", topic },
    recipient: { id: "1602407863220595" } as { id?: string; email?: string; phone?: string },
    params: {
      recipient_name: "John Doe",
      order_number: "U5555",
      currency: "USD",
      payment_method: topic === "Order/Unpaid" ? "" : "Visa 2345",
      order_url: "https://storage.googleapis.com/assets.bothub.ai/bothub/templates/classic_white_shirt.jpg",
      timestamp: 1523619550,
      address: { street_1: "UNICEF 125 Maiden Lane", street_2: "11th Floor", city: "New York", postal_code: "10038", state: "NY", country: "US" },
      summary: { subtotal: 51.76, shipping_cost: 0, total_tax: 0, total_cost: 51.76 },
      adjustments: [] as { name: string; amount: number }[],
      elements: [
        {
          title: "Classic White Shirts",
          subtitle: "100% Soft and Luxurious Cotton",
          quantity: 2,
          price: 11.99,
          currency: "USD",
          image_url: "https://storage.googleapis.com/assets.bothub.ai/bothub/templates/classic_white_shirt.jpg",
        },
        {
          title: "Floral Belted Romper",
          subtitle: "Casual romper featuring striped pattern",
          quantity: 2,
          price: 13.89,
          currency: "USD",
          image_url: "https://storage.googleapis.com/assets.bothub.ai/bothub/templates/floral_belted_romper.jpg",
        },
      ],
    } as Record<string, any>, // eslint-disable-line @typescript-eslint/no-explicit-any -- tests break fields on purpose
  };
}

/** The doc's package/update example. */
export function examplePackagePush() {
  return {
    request: { page_id: "407898491811542", topic: "package/update" },
    recipient: { id: "1602407863220595" } as { id?: string; email?: string; phone?: string },
    params: {
      tracking_number: "zvfVUREPVPUQ1oMl",
      image_url: "https://unsplash.it/120/120/?random",
      tracking_url: "http://shop.bothub.ai",
      recipient_name: "Peter",
      tracking_status: "shipped",
    } as Record<string, any>, // eslint-disable-line @typescript-eslint/no-explicit-any -- tests break fields on purpose
  };
}

/**
 * A send_message body in the shape of JoinChat's Send API page (page_id a number, as its examples send it), with
 * a message of each template type and the tag shop notices use.
 */
export function exampleSendMessage(templateType: TemplateType = "text") {
  const messages: Record<TemplateType, Json> = {
    text: { template_type: "text", text: "Your order #1001 is on its way." },
    button: {
      template_type: "button",
      text: "Your order #1001 has shipped.",
      buttons: [
        { type: "web_url", url: "https://shop.example.com/orders/1001", title: "Track it" },
        { type: "postback", title: "Talk to us", payload: "HELP_ORDER_1001" },
      ],
    },
    generic: {
      template_type: "generic",
      elements: [
        {
          title: "Classic White Shirt",
          subtitle: "100% Soft and Luxurious Cotton",
          image_url: "https://storage.googleapis.com/assets.bothub.ai/bothub/templates/classic_white_shirt.jpg",
          default_action: { type: "web_url", url: "https://shop.example.com/products/shirt" },
          buttons: [{ type: "web_url", url: "https://shop.example.com/products/shirt", title: "View" }],
        },
      ],
    },
    list: {
      template_type: "list",
      top_element_style: "compact",
      elements: [
        { title: "Classic White Shirt", subtitle: "USD 11.99" },
        { title: "Floral Belted Romper", subtitle: "USD 13.89", buttons: [{ type: "postback", title: "Buy again", payload: "BUY_ROMPER" }] },
      ],
      buttons: [{ type: "web_url", url: "https://shop.example.com/orders/1001", title: "View order" }],
    },
    receipt: { template_type: "receipt", ...exampleReceiptPush().params, timestamp: "1523619550" },
  };
  return {
    page_id: 407898491811542,
    recipient: { id: "1602407863220595" },
    message: messages[templateType],
    tag: "POST_PURCHASE_UPDATE",
  } as ExampleSendMessage;
}

/** A send_message body loose enough for tests to break any field. */
export interface ExampleSendMessage {
  page_id: number | string;
  recipient: Record<string, string>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests break fields on purpose
  message: Record<string, any>;
  tag?: string;
  delay?: number;
}
