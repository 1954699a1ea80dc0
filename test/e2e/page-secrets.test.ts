// One page, one secret (issue 13 point 6), through the production server on both backends: JOINCHAT_API_SECRET serves
// only the single shop JOINCHAT_SINGLE_SHOP names; any other shop pushes only with its own page's secret, and one
// linked without it pushes nothing, although the JoinChat sandbox would take the operator's secret.
import { randomUUID } from "node:crypto";
import { expect, it } from "vitest";
import { buildOrderJson } from "../fixtures/orders";
import { TEST_JOINCHAT_API_SECRET, uniqueShop, waitForSettled, type AppProcess } from "../helpers/app-process";
import { describeOnBackends, receivedBy, useE2eStack, type E2eStack } from "../helpers/e2e-stack";
import { joinchatSignature } from "../helpers/joinchat-recorder";

const SINGLE_SHOP = uniqueShop("single");
const PAGE_ID = "407898491811542";

let stack: E2eStack;
let app: AppProcess;

describeOnBackends((backend) => {
  useE2eStack(
    (started) => {
      stack = started;
      app = started.app;
    },
    { JOINCHAT_API_SECRET: TEST_JOINCHAT_API_SECRET, JOINCHAT_SINGLE_SHOP: SINGLE_SHOP },
    backend,
  );

  async function orderOf(shop: string) {
    const res = await app.sendWebhook("orders/create", shop, buildOrderJson(), { webhookId: randomUUID() });
    expect(res.status, res.text).toBe(200);
    const [push] = await waitForSettled(app, shop);
    return push;
  }

  it("the single shop pushes under JOINCHAT_API_SECRET; another shop without a secret of its own pushes nothing", { timeout: 30_000 }, async () => {
    expect((await app.cli(["shop", "configure", "--shop", SINGLE_SHOP, "--page-id", PAGE_ID])).code).toBe(0);
    const other = uniqueShop("borrower");
    expect((await app.cli(["shop", "configure", "--shop", other, "--page-id", PAGE_ID])).code).toBe(0);

    expect(await orderOf(SINGLE_SHOP)).toMatchObject({ status: "delivered" });
    const [request] = stack.recorder.requests.filter((r) => r.shop === SINGLE_SHOP);
    expect(request.signature).toBe(joinchatSignature(request.body, TEST_JOINCHAT_API_SECRET));

    expect(await orderOf(other)).toMatchObject({ status: "failed", reason: "secret_missing", last_error: null });
    expect(stack.recorder.requests.filter((r) => r.shop === other)).toHaveLength(0);
    expect(receivedBy(stack.sandbox, other)).toHaveLength(0);
  });

  it("another shop with its page's own secret pushes under that secret, never the operator's", { timeout: 30_000 }, async () => {
    const shop = uniqueShop("own-page");
    const secret = `page-secret-${randomUUID()}`;
    stack.sandbox.setSecret(shop, secret);
    await app.configureShop(shop, ["--secret", secret]);
    expect(await orderOf(shop)).toMatchObject({ status: "delivered" });
    const [request] = stack.recorder.requests.filter((r) => r.shop === shop);
    expect(request.signature).toBe(joinchatSignature(request.body, secret));
  });
});
