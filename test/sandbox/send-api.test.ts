// JoinChat's generic Send API (send_message) in the sandbox: the documented body, Messenger's template rules and
// tags, the signature, and the same answers, replays, faults and records as pushes.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  DEFAULT_LATENCY,
  exampleSendMessage,
  MESSENGER_TAGS,
  OUTSIDE_MESSAGING_WINDOW,
  recipientIdOf,
  RETIRED_MESSENGER_TAGS,
  startJoinChatSandbox,
  TEMPLATE_TYPES,
  type ExampleSendMessage,
  type JoinChatSandbox,
} from "./joinchat-sandbox";
import { control, postRaw, sign, type PostOptions } from "./test-client";

const SECRET = "default-secret";
const PAGE = "407898491811542";
const PSID = "1602407863220595";

let sandbox: JoinChatSandbox;

beforeAll(async () => {
  sandbox = await startJoinChatSandbox({ defaultSecret: SECRET, secrets: { "own-secret.myshopify.com": "own" } });
});
afterAll(async () => {
  await sandbox.close();
});
beforeEach(() => {
  sandbox.reset();
  sandbox.setLatency(DEFAULT_LATENCY);
});

const send = (body: unknown, o: PostOptions & { url?: string } = {}) => postRaw(o.url ?? sandbox.sendUrl, body, { shop: null, secret: SECRET }, o);

async function expectRefused(body: unknown, status: number, msg: string | RegExp, o: PostOptions = {}) {
  const res = await send(body, o);
  expect(res.status, res.text).toBe(status);
  expect(res.json.success).toBe(false);
  expect(res.json.errors.msg).toMatch(msg);
  return res;
}

describe("a valid send_message", () => {
  it("is served at /api/send_message, beside the push endpoint", () => {
    expect(sandbox.sendUrl).toBe(`${sandbox.origin}/api/send_message`);
    expect(sandbox.url).toBe(`${sandbox.origin}/v1/push`);
  });

  it.each(TEMPLATE_TYPES)("takes a %s message and answers with the recipient_id", async (templateType) => {
    const body = exampleSendMessage(templateType);
    const res = await send(body, { idempotencyKey: "k-1" });
    expect(res.status, res.text).toBe(200);
    expect(res.json).toEqual({ success: true, recipient_id: PSID });
    expect(res.headers["content-type"]).toMatch(/^application\/json/);
    expect(sandbox.sent).toHaveLength(1);
    expect(sandbox.sent[0]).toMatchObject({
      pageId: PAGE,
      shop: null,
      idempotencyKey: "k-1",
      recipient: { id: PSID },
      templateType,
      message: body.message,
      tag: "POST_PURCHASE_UPDATE",
      delaySeconds: 0,
      replay: false,
    });
    expect(sandbox.stats().send).toMatchObject({ accepted: 1, replays: 0, rejected: 0 });
    expect(sandbox.stats().accepted).toBe(0);
  });

  it("takes page_id as a string or a number, and records it as digits", async () => {
    const body = exampleSendMessage();
    expect(typeof body.page_id).toBe("number");
    expect((await send(body)).status).toBe(200);
    body.page_id = PAGE;
    expect((await send(body)).status).toBe(200);
    expect(sandbox.sent.map((s) => s.pageId)).toEqual([PAGE, PAGE]);
  });

  it.each(["id", "phone", "email", "uuid"] as const)("takes a recipient by %s", async (kind) => {
    const body = exampleSendMessage();
    const value = { id: PSID, phone: "+15550100", email: "buyer@example.com", uuid: "c0ffee00-1234-4abc-8def-000000000001" }[kind];
    body.recipient = { [kind]: value };
    const res = await send(body);
    expect(res.json).toEqual({ success: true, recipient_id: recipientIdOf(kind, value) });
    expect(res.json.recipient_id).toMatch(/^\d{16}$/);
  });

  it("takes every tag Messenger still allows, a delay of 0 to 10 s, and no tag for a buyer inside the 24-hour window", async () => {
    for (const tag of MESSENGER_TAGS) expect((await send({ ...exampleSendMessage(), tag })).status, tag).toBe(200);
    for (const delay of [0, 10]) expect((await send({ ...exampleSendMessage(), delay })).status).toBe(200);
    expect(sandbox.sent.map((s) => s.delaySeconds).slice(-2)).toEqual([0, 10]);
    const untagged = exampleSendMessage();
    delete untagged.tag;
    sandbox.setMessagingWindow([PSID]);
    expect((await send(untagged)).json.success).toBe(true);
    sandbox.setMessagingWindow("all");
    untagged.recipient = { email: "buyer@example.com" };
    expect((await send(untagged)).json.success).toBe(true);
  });

  it("counts text in characters, not bytes: 2000 emoji pass, 2001 do not", async () => {
    const body = exampleSendMessage("text");
    body.message.text = "📦".repeat(2000);
    expect((await send(body)).status).toBe(200);
    body.message.text = "📦".repeat(2001);
    await expectRefused(body, 400, "message.text must be at most 2000 characters (it has 2001)");
  });
});

describe("the rules of the body", () => {
  const cases: [string, (b: ExampleSendMessage) => void, RegExp | string][] = [
    ["page_id missing", (b) => delete (b as Partial<ExampleSendMessage>).page_id, /^page_id is required/],
    ["page_id not digits", (b) => (b.page_id = "page-1"), /^page_id is required/],
    ["page_id a fraction", (b) => (b.page_id = 4078.5), /^page_id is required/],
    ["page_id negative", (b) => (b.page_id = -4), /^page_id is required/],
    ["no recipient", (b) => delete (b as Partial<ExampleSendMessage>).recipient, "recipient must be an object"],
    ["two recipient fields", (b) => (b.recipient = { id: PSID, uuid: "u" }), "recipient must have exactly one of id, phone, email, uuid"],
    ["an empty recipient", (b) => (b.recipient = {}), "recipient must have exactly one of id, phone, email, uuid"],
    ["a blank uuid", (b) => (b.recipient = { uuid: " " }), "recipient.uuid must be a non-empty string"],
    ["no message", (b) => delete (b as Partial<ExampleSendMessage>).message, "message must be an object"],
    ["an unknown template_type", (b) => (b.message.template_type = "media"), "message.template_type must be one of text, button, generic, list, receipt"],
    ["text missing", (b) => delete b.message.text, "message.text is required"],
    ["text empty", (b) => (b.message.text = "  "), "message.text must not be empty"],
    ["text 2001 characters", (b) => (b.message.text = "x".repeat(2001)), "message.text must be at most 2000 characters (it has 2001)"],
    ["a retired tag", (b) => (b.tag = "SHIPPING_UPDATE"), /^tag SHIPPING_UPDATE was retired by Messenger and is refused; use one of POST_PURCHASE_UPDATE/],
    ["an unknown tag", (b) => (b.tag = "ORDER_UPDATE"), "tag must be one of POST_PURCHASE_UPDATE, CONFIRMED_EVENT_UPDATE, ACCOUNT_UPDATE, HUMAN_AGENT"],
    ["a lower-case tag", (b) => (b.tag = "post_purchase_update"), /^tag must be one of/],
    ["a delay of 11 s", (b) => (b.delay = 11), "delay must be an integer number of seconds from 0 to 10"],
    ["a negative delay", (b) => (b.delay = -1), /^delay must be/],
    ["a fractional delay", (b) => (b.delay = 1.5), /^delay must be/],
  ];
  for (const [name, breakIt, msg] of cases) {
    it(`refuses ${name}`, async () => {
      const body = exampleSendMessage("text");
      breakIt(body);
      await expectRefused(body, 400, msg);
      expect(sandbox.sent).toEqual([]);
    });
  }

  it.each(RETIRED_MESSENGER_TAGS)("refuses the retired tag %s by name", async (tag) => {
    await expectRefused({ ...exampleSendMessage(), tag }, 400, new RegExp(`^tag ${tag} was retired by Messenger`));
  });

  it("refuses a page_id number past 2^53, which lost digits on the way", async () => {
    const text = JSON.stringify(exampleSendMessage()).replace(`"page_id":407898491811542`, `"page_id":12345678901234567890`);
    expect(text).toContain("12345678901234567890");
    await expectRefused(text, 400, "page_id is larger than 2^53 and lost digits as a JSON number: send it as a string");
  });

  const buttonCases: [string, (m: ExampleSendMessage["message"]) => void, string][] = [
    ["no buttons", (m) => delete m.buttons, "message.buttons must be an array of 1 to 3 buttons"],
    ["zero buttons", (m) => (m.buttons = []), "message.buttons must have 1 to 3 buttons (it has 0)"],
    ["four buttons", (m) => (m.buttons = [1, 2, 3, 4].map(() => ({ ...m.buttons[0] }))), "message.buttons must have 1 to 3 buttons (it has 4)"],
    ["a web_url without url", (m) => delete m.buttons[0].url, "message.buttons[0].url is required"],
    ["a web_url to a non-http URL", (m) => (m.buttons[0].url = "javascript:alert(1)"), "message.buttons[0].url must be an absolute http(s) URL"],
    ["a relative url", (m) => (m.buttons[0].url = "/orders/1001"), "message.buttons[0].url must be an absolute http(s) URL"],
    [
      "a title over 20 characters",
      (m) => (m.buttons[0].title = "Track your parcel now!"),
      "message.buttons[0].title must be at most 20 characters (it has 22)",
    ],
    ["a button without title", (m) => delete m.buttons[1].title, "message.buttons[1].title is required"],
    ["a postback without payload", (m) => delete m.buttons[1].payload, "message.buttons[1].payload is required"],
    [
      "another button type",
      (m) => (m.buttons[0] = { type: "phone_number", title: "Call", payload: "+15550100" }),
      "message.buttons[0].type must be web_url (with url and title) or postback (with title and payload)",
    ],
    ["text over 640 characters", (m) => (m.text = "x".repeat(641)), "message.text must be at most 640 characters (it has 641)"],
  ];
  for (const [name, breakIt, msg] of buttonCases) {
    it(`refuses a button template with ${name}`, async () => {
      const body = exampleSendMessage("button");
      breakIt(body.message);
      await expectRefused(body, 400, msg);
    });
  }

  const elementCases: [string, "generic" | "list", (m: ExampleSendMessage["message"]) => void, string][] = [
    ["no elements", "generic", (m) => delete m.elements, "message.elements must be an array of 1 to 10 elements"],
    [
      "11 elements",
      "generic",
      (m) => (m.elements = Array.from({ length: 11 }, () => ({ title: "x" }))),
      "message.elements must have 1 to 10 elements for a generic template (it has 11)",
    ],
    ["an element without title", "generic", (m) => delete m.elements[0].title, "message.elements[0].title is required"],
    [
      "a title over 80 characters",
      "generic",
      (m) => (m.elements[0].title = "x".repeat(81)),
      "message.elements[0].title must be at most 80 characters (it has 81)",
    ],
    [
      "an image_url that is not a URL",
      "generic",
      (m) => (m.elements[0].image_url = "shirt.jpg"),
      "message.elements[0].image_url must be an absolute http(s) URL",
    ],
    [
      "a default_action of another type",
      "generic",
      (m) => (m.elements[0].default_action = { type: "postback" }),
      'message.elements[0].default_action must be {type: "web_url", url}',
    ],
    [
      "four buttons on an element",
      "generic",
      (m) => (m.elements[0].buttons = [1, 2, 3, 4].map(() => ({ type: "postback", title: "x", payload: "y" }))),
      "message.elements[0].buttons must have 1 to 3 buttons (it has 4)",
    ],
    ["one element", "list", (m) => m.elements.pop(), "message.elements must have 2 to 4 elements for a list template (it has 1)"],
    [
      "five elements",
      "list",
      (m) => (m.elements = Array.from({ length: 5 }, () => ({ title: "x" }))),
      "message.elements must have 2 to 4 elements for a list template (it has 5)",
    ],
    [
      "two buttons on an element",
      "list",
      (m) => m.elements[1].buttons.push({ type: "postback", title: "x", payload: "y" }),
      "message.elements[1].buttons must have exactly 1 button (it has 2)",
    ],
    [
      "two buttons at the bottom",
      "list",
      (m) => m.buttons.push({ type: "postback", title: "x", payload: "y" }),
      "message.buttons must have exactly 1 button (it has 2)",
    ],
    ["another top_element_style", "list", (m) => (m.top_element_style = "huge"), 'message.top_element_style must be "large" or "compact"'],
  ];
  for (const [name, kind, breakIt, msg] of elementCases) {
    it(`refuses a ${kind} template with ${name}`, async () => {
      const body = exampleSendMessage(kind);
      breakIt(body.message);
      await expectRefused(body, 400, msg);
    });
  }

  const receiptCases: [string, (m: ExampleSendMessage["message"]) => void, string][] = [
    ["no payment_method", (m) => delete m.payment_method, "message.payment_method is required"],
    ["an empty payment_method", (m) => (m.payment_method = ""), "message.payment_method must not be empty"],
    ["a total_cost with 3 decimals", (m) => (m.summary.total_cost = 51.765), "message.summary.total_cost must be a number with at most 2 decimals"],
    ["a timestamp that is not seconds", (m) => (m.timestamp = "yesterday"), "message.timestamp must be an integer or a string of digits (Unix seconds)"],
    ["101 elements", (m) => (m.elements = Array.from({ length: 101 }, () => ({ title: "x", price: 1 }))), "message.elements must have at most 100 items"],
    ["a 3-letter country", (m) => (m.address.country = "USA"), "message.address.country must be a two-letter country code"],
  ];
  for (const [name, breakIt, msg] of receiptCases) {
    it(`refuses a receipt with ${name}`, async () => {
      const body = exampleSendMessage("receipt");
      breakIt(body.message);
      await expectRefused(body, 400, msg);
    });
  }

  it("takes a receipt's timestamp as Messenger's string of seconds or as an integer", async () => {
    const body = exampleSendMessage("receipt");
    expect(body.message.timestamp).toBe("1523619550");
    expect((await send(body)).status).toBe(200);
    body.message.timestamp = 1523619550;
    expect((await send(body)).status).toBe(200);
  });
});

describe("HTTP, signature and secret", () => {
  it("405 for another method, 415 without a JSON content type, 400 for a body that is not JSON, 413 past 1 MB", async () => {
    await expectRefused(exampleSendMessage(), 405, /use POST/, { method: "PUT" });
    await expectRefused(exampleSendMessage(), 415, /Content-Type must be application\/json/, { contentType: "text/plain" });
    await expectRefused('{"page_id": ', 400, "Body is not valid JSON");
    await expectRefused("[1]", 400, "Body must be a JSON object");
    await expectRefused({ ...exampleSendMessage(), message: { template_type: "text", text: "x".repeat(1_100_000) } }, 413, /Body larger than/);
    expect(sandbox.stats().send.rejected).toBe(5);
    expect(sandbox.sendRejected.map((r) => r.status)).toEqual([405, 415, 400, 400, 413]);
  });

  it("401 without a signature, with a wrong one, or one made over other bytes", async () => {
    await expectRefused(exampleSendMessage(), 401, "Invalid signature", { signature: null });
    await expectRefused(exampleSendMessage(), 401, "Invalid signature", { secret: "nope" });
    const compact = JSON.stringify(exampleSendMessage());
    const pretty = JSON.stringify(exampleSendMessage(), null, 2);
    await expectRefused(pretty, 401, "Invalid signature", { signature: sign(compact, SECRET) });
    expect(sandbox.sendRejected.map((r) => r.reason)).toEqual(["X-Joinchat-Signature header missing", "Invalid signature", "Invalid signature"]);
    expect(sandbox.sent).toEqual([]);
  });

  it("reads the signature header in any case, as HTTP does, but not the old underscore spelling", async () => {
    for (const name of ["x-joinchat-signature", "X-JOINCHAT-SIGNATURE", "x-JoinChat-Signature"]) {
      expect((await send(exampleSendMessage(), { signatureHeader: name })).status, name).toBe(200);
    }
    await expectRefused(exampleSendMessage(), 401, "Invalid signature", { signatureHeader: "x_joinchat_signature" });
  });

  it("checks with the page's secret first, else the secret of the shop in X-Shop-Domain, else the default", async () => {
    const shop = "own-secret.myshopify.com";
    await expectRefused(exampleSendMessage(), 401, "Invalid signature", { shop, secret: SECRET });
    expect((await send(exampleSendMessage(), { shop, secret: "own" })).status).toBe(200);
    expect(sandbox.sent[0].shop).toBe(shop);

    sandbox.setPage(PAGE, { secret: "page-secret", shop: "page-owner.myshopify.com" });
    try {
      await expectRefused(exampleSendMessage(), 401, "Invalid signature", { secret: SECRET });
      await expectRefused(exampleSendMessage(), 401, "Invalid signature", { shop, secret: "own" });
      const res = await send(exampleSendMessage(), { secret: "page-secret" });
      expect(res.status).toBe(200);
      expect(sandbox.sent[1].shop).toBe("page-owner.myshopify.com");
      expect(sandbox.timeline({ shop: "page-owner.myshopify.com", endpoint: "send_message" })).toHaveLength(3);
    } finally {
      sandbox.setPage(PAGE, {});
    }
  });

  it("401 when no secret is known for the page at all", async () => {
    const bare = await startJoinChatSandbox({ latency: 0 });
    try {
      const res = await send(exampleSendMessage(), { url: bare.sendUrl });
      expect(res.status).toBe(401);
      expect(bare.sendRejected[0].reason).toBe(`no secret known for page ${PAGE}`);
    } finally {
      await bare.close();
    }
  });
});

describe("answers, replays and records", () => {
  it("answers 10010 for an unknown recipient once known recipients are set, uuid included", async () => {
    sandbox.setKnownRecipients(["c0ffee", PSID]);
    const body = exampleSendMessage();
    body.recipient = { uuid: "someone-else" };
    const res = await send(body);
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ success: false, errors: { code: 10010, msg: "Recipient not found" } });
    body.recipient = { uuid: "c0ffee" };
    expect((await send(body)).json.success).toBe(true);
    expect(sandbox.stats().send).toMatchObject({ accepted: 1, rejected: 1 });
  });

  it("refuses a message without a tag outside the 24-hour window, as Messenger does (HTTP 200, success false)", async () => {
    const body = exampleSendMessage();
    delete body.tag;
    const res = await send(body);
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ success: false, errors: { ...OUTSIDE_MESSAGING_WINDOW } });
    expect(res.json.errors.code).toBe(10);
    expect(sandbox.sent).toEqual([]);
    sandbox.setMessagingWindow(["someone-else"]);
    expect((await send(body)).json.success).toBe(false);
  });

  it("replays an Idempotency-Key per page without a second delivery, failures included", async () => {
    const a = await send(exampleSendMessage(), { idempotencyKey: "n-1" });
    const b = await send(exampleSendMessage("button"), { idempotencyKey: "n-1" });
    expect(b.text).toBe(a.text);
    expect(sandbox.sent.map((s) => [s.replay, s.templateType])).toEqual([
      [false, "text"],
      [true, "button"],
    ]);
    // Another page does not share the key.
    expect((await send({ ...exampleSendMessage(), page_id: "100000000000001" }, { idempotencyKey: "n-1" })).json.success).toBe(true);
    expect(sandbox.stats().send).toMatchObject({ accepted: 2, replays: 1, doubledMessageKeys: [] });

    sandbox.setKnownRecipients([]);
    const refused = await send(exampleSendMessage(), { idempotencyKey: "n-2" });
    sandbox.setKnownRecipients(null);
    const again = await send(exampleSendMessage(), { idempotencyKey: "n-2" });
    expect(again.json).toEqual(refused.json);
    expect(again.json.errors.code).toBe(10010);
  });

  it("reports the same message delivered twice under two keys: the buyer read it twice", async () => {
    await send(exampleSendMessage(), { idempotencyKey: "x-1" });
    await send(exampleSendMessage(), { idempotencyKey: "x-2" });
    await send(exampleSendMessage("button"), { idempotencyKey: "x-3" });
    const stats = sandbox.stats().send;
    expect(stats.doubledMessageKeys).toHaveLength(1);
    expect(stats.doubledMessageKeys[0]).toMatch(new RegExp(`^message:${PAGE}:id:${PSID}:text:[0-9a-f]{16}$`));
    expect(Object.values(stats.byMessageKey).sort()).toEqual([1, 2]);
  });

  it("goes through the same faults as pushes", async () => {
    sandbox.fail({ mode: "status", status: 429, retryAfterS: 3, count: 1 });
    const throttled = await send(exampleSendMessage());
    expect(throttled.status).toBe(429);
    expect(throttled.headers["retry-after"]).toBe("3");
    sandbox.fail({ mode: "garbage" });
    const garbage = await send(exampleSendMessage());
    expect(garbage.status).toBe(200);
    expect(garbage.json).toBeNull();
    sandbox.fail({ mode: "reset" });
    await expect(send(exampleSendMessage())).rejects.toThrow();
    expect((await send(exampleSendMessage())).json.success).toBe(true);
    expect(sandbox.stats()).toMatchObject({ faulted: 3, send: { accepted: 1 } });
  });

  it("shows sent messages, refusals, pages and the messaging window through the control API", async () => {
    await send(exampleSendMessage());
    await send(exampleSendMessage(), { secret: "wrong" });
    expect((await control(sandbox.origin, "GET", "health")).json).toMatchObject({ ok: true, sendUrl: sandbox.sendUrl });
    expect((await control(sandbox.origin, "GET", "sent")).json).toEqual([expect.objectContaining({ pageId: PAGE, templateType: "text", replay: false })]);
    expect((await control(sandbox.origin, "GET", "send-rejected")).json).toEqual([expect.objectContaining({ status: 401, pageId: PAGE })]);
    expect((await control(sandbox.origin, "GET", "stats")).json.send).toMatchObject({ accepted: 1, rejected: 1 });

    expect((await control(sandbox.origin, "POST", "pages", { pageId: PAGE, secret: "via-control", shop: "ctl.myshopify.com" })).status).toBe(200);
    expect((await send(exampleSendMessage(), { secret: "via-control" })).status).toBe(200);
    expect(sandbox.sent.at(-1)!.shop).toBe("ctl.myshopify.com");
    expect((await control(sandbox.origin, "POST", "pages", { pageId: "abc", secret: "x" })).status).toBe(400);
    expect((await control(sandbox.origin, "POST", "pages", { pageId: PAGE })).status).toBe(200);

    const untagged = exampleSendMessage();
    delete untagged.tag;
    expect((await control(sandbox.origin, "POST", "messaging-window", { open: [PSID] })).status).toBe(200);
    expect((await send(untagged)).json.success).toBe(true);
    expect((await control(sandbox.origin, "POST", "messaging-window", { open: "some" })).status).toBe(400);
  });
});

describe("its paths", () => {
  it("serves the Send API on the configured paths, and pushes everywhere else", async () => {
    const custom = await startJoinChatSandbox({ defaultSecret: SECRET, latency: 0, sendApiPaths: ["/api/send/message", "/api/send/messenger"] });
    try {
      expect(custom.sendUrl).toBe(`${custom.origin}/api/send/message`);
      for (const path of ["/api/send/message", "/api/send/messenger"]) {
        expect((await send(exampleSendMessage(), { url: `${custom.origin}${path}` })).status, path).toBe(200);
      }
      // Not a Send API path here: the push rules answer.
      const asPush = await send(exampleSendMessage(), { url: `${custom.origin}/api/send_message`, shop: "demo-shop.myshopify.com" });
      expect(asPush.status).toBe(400);
      expect(asPush.json.errors.msg).toBe("request must be an object");
    } finally {
      await custom.close();
    }
    // The older paths of JoinChat's docs are not the Send API by default.
    const old = await send(exampleSendMessage(), { url: `${sandbox.origin}/api/send/messenger`, shop: "demo-shop.myshopify.com" });
    expect(old.json.errors.msg).toBe("request must be an object");
    await expect(startJoinChatSandbox({ sendApiPaths: ["/_sandbox/send"] })).rejects.toThrow(/must start with \/ and not with \/_sandbox/);
  });
});
