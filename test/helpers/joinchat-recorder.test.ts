import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exampleReceiptPush, exampleSendMessage, startJoinChatSandbox, type JoinChatSandbox } from "../sandbox/joinchat-sandbox";
import { postRaw } from "../sandbox/test-client";
import { startJoinChatRecorder, type JoinChatRecorder } from "./joinchat-recorder";

const SECRET = "recorder-secret";
const SHOP = "demo-shop.myshopify.com";

let sandbox: JoinChatSandbox;
let recorder: JoinChatRecorder;

beforeAll(async () => {
  sandbox = await startJoinChatSandbox({ defaultSecret: SECRET });
  recorder = await startJoinChatRecorder(sandbox.url);
});
afterAll(async () => {
  await recorder.close();
  await sandbox.close();
});

describe("the recorder in front of the sandbox", () => {
  it("passes pushes to the push URL and send_message to the Send API, keeping both requests", async () => {
    const push = await postRaw(recorder.url, exampleReceiptPush(), { shop: SHOP, secret: SECRET }, { idempotencyKey: "p-1" });
    expect(push.json).toEqual({ success: true, recipient_id: "1602407863220595" });
    const sent = await postRaw(
      `${recorder.origin}${new URL(sandbox.sendUrl).pathname}`,
      exampleSendMessage(),
      { shop: null, secret: SECRET },
      { idempotencyKey: "s-1" },
    );
    expect(sent.json).toEqual({ success: true, recipient_id: "1602407863220595" });

    expect(sandbox.received.map((r) => r.idempotencyKey)).toEqual(["p-1"]);
    expect(sandbox.sent.map((s) => s.idempotencyKey)).toEqual(["s-1"]);
    expect(recorder.requests.map((r) => [r.idempotencyKey, r.status])).toEqual([
      ["p-1", 200],
      ["s-1", 200],
    ]);
  });
});
