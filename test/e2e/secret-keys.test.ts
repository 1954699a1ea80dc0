// ENCRYPTION_KEY rotation (issue 13 point 5), through the production server on both backends: a key ring whose first
// key writes while the old one still reads; `npm run cli -- secrets rotate` seals every shop's JoinChat secret and the
// Shopify tokens again under the new key (v1 secrets and tokens stored in clear included), idempotently; then the old
// key can go. A ciphertext copied to another shop's row does not open. A key ring that cannot read what is stored
// stops the web process and the worker with exit 78, naming the key ids.
import { spawn } from "node:child_process";
import { createCipheriv, randomBytes, randomUUID } from "node:crypto";
import path from "node:path";
import { expect, it } from "vitest";
import { runCli } from "../../app/cli/main";
import { buildOrderJson } from "../fixtures/orders";
import { freePort, installSession, TEST_JOINCHAT_API_SECRET, uniqueShop, waitForSettled, type AppProcess } from "../helpers/app-process";
import { describeOnBackends, receivedBy, useE2eStack, type E2eStack } from "../helpers/e2e-stack";

const K1 = randomBytes(32).toString("base64");
const K2 = randomBytes(32).toString("base64");
const ROOT = path.resolve(".");

let stack: E2eStack;
let app: AppProcess;

/** A secret as the app sealed it before key ids and associated data: `v1.<iv>.<tag>.<ciphertext>`. */
function sealV1(base64Key: string, plain: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", Buffer.from(base64Key, "base64"), iv);
  const ciphertext = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
  return ["v1", iv, cipher.getAuthTag(), ciphertext].map((p) => (typeof p === "string" ? p : p.toString("base64url"))).join(".");
}

/** The operator CLI on the app's database with this ENCRYPTION_KEY. */
async function cliWithKey(encryptionKey: string, args: string[]): Promise<{ code: number; output: string }> {
  const lines: string[] = [];
  const code = await runCli(args, { out: (l) => lines.push(l), env: { DATABASE_URL: app.databaseUrl, ENCRYPTION_KEY: encryptionKey } });
  return { code, output: lines.join("\n") };
}

/** server.mjs or worker.mjs with the app's environment and another ENCRYPTION_KEY: its exit code and output. */
async function startWithKey(entry: "server.mjs" | "worker.mjs", encryptionKey: string): Promise<{ code: number | null; output: string }> {
  const port = String(await freePort());
  const child = spawn(process.execPath, [path.join(ROOT, entry)], {
    cwd: ROOT,
    env: { ...app.env, ENCRYPTION_KEY: encryptionKey, PORT: port, WORKER_PORT: port } as unknown as NodeJS.ProcessEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (c: Buffer) => (output += c.toString()));
  child.stderr.on("data", (c: Buffer) => (output += c.toString()));
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  clearTimeout(timer);
  return { code, output };
}

const counts = (output: string, label: string) => {
  const m = new RegExp(`${label}\\s+re-encrypted (\\d+), already current (\\d+), unreadable (\\d+)`).exec(output);
  return m ? { reencrypted: Number(m[1]), current: Number(m[2]), unreadable: Number(m[3]) } : null;
};

describeOnBackends((backend) => {
  useE2eStack(
    (started) => {
      stack = started;
      app = started.app;
    },
    { ENCRYPTION_KEY: `k1:${K1}` },
    backend,
  );

  /** `shop configure` with the key ring the app runs with now (app.cli has the one it started with). */
  async function configure(shop: string, secret: string) {
    const r = await cliWithKey(app.env.ENCRYPTION_KEY, ["shop", "configure", "--shop", shop, "--page-id", "407898491811542", "--secret", secret]);
    expect(r.code, r.output).toBe(0);
  }

  const secretOf = async (shop: string) =>
    (await app.db.get<{ secret_ciphertext: string }>("SELECT secret_ciphertext FROM shop_settings WHERE shop = ?", [shop]))!.secret_ciphertext;
  const sessionOf = (shop: string) =>
    app.db.get<{ accessToken: string; refreshToken: string | null }>(`SELECT "accessToken", "refreshToken" FROM "Session" WHERE "id" = ?`, [`offline_${shop}`]);

  let orderSeq = 0;
  /** A new order of the shop: its push once settled. */
  async function orderOf(shop: string) {
    orderSeq += 1;
    const id = 720982911946154500n + BigInt(orderSeq);
    const body = buildOrderJson({ id, admin_graphql_api_id: `gid://shopify/Order/${id}`, name: `#${8000 + orderSeq}` });
    const res = await app.sendWebhook("orders/create", shop, body, { webhookId: randomUUID() });
    expect(res.status, res.text).toBe(200);
    const pushes = await waitForSettled(app, shop);
    return pushes[pushes.length - 1];
  }

  it(
    "a new key in front: old secrets still read; secrets rotate seals everything under it, twice is a no-op; then the old key goes",
    { timeout: 120_000 },
    async () => {
      // Under k1: one shop's secret as the app writes it, one as it was written before key ids (v1), one session's token
      // as the Shopify library stored it before tokens were encrypted.
      const current = uniqueShop("rotate-k1");
      const legacy = uniqueShop("rotate-v1");
      const currentSecret = `page-secret-${randomUUID()}`;
      const legacySecret = `page-secret-${randomUUID()}`;
      stack.sandbox.setSecret(current, currentSecret);
      stack.sandbox.setSecret(legacy, legacySecret);
      await app.configureShop(current, ["--secret", currentSecret]);
      await app.configureShop(legacy, ["--secret", legacySecret]);
      await app.db.run("UPDATE shop_settings SET secret_ciphertext = ? WHERE shop = ?", [sealV1(K1, legacySecret), legacy]);
      await installSession(app, current);
      const plainToken = (await sessionOf(current))!.accessToken;
      expect(plainToken).toMatch(/^shpat_/);
      expect(await secretOf(current)).toMatch(/^v2\.k1\./);

      // k2 writes, k1 still reads: the app starts and both shops push under their own secrets.
      app.env.ENCRYPTION_KEY = `k2:${K2},k1:${K1}`;
      await app.restart();
      expect(await orderOf(current)).toMatchObject({ status: "delivered" });
      expect(await orderOf(legacy)).toMatchObject({ status: "delivered" });

      const rotated = await cliWithKey(app.env.ENCRYPTION_KEY, ["secrets", "rotate"]);
      expect(rotated.code, rotated.output).toBe(0);
      expect(counts(rotated.output, "JoinChat secrets")).toEqual({ reencrypted: 2, current: 0, unreadable: 0 });
      expect(counts(rotated.output, "Shopify tokens")).toEqual({ reencrypted: 1, current: 0, unreadable: 0 });
      expect(rotated.output).toMatch(/Every stored secret is under key k2: k1 may now be removed from ENCRYPTION_KEY/);
      expect(await secretOf(current)).toMatch(/^v2\.k2\./);
      expect(await secretOf(legacy)).toMatch(/^v2\.k2\./);
      const session = (await sessionOf(current))!;
      expect(session.accessToken).toMatch(/^v2\.k2\./);
      // At rest: no token, no secret in clear anywhere in the shops' rows.
      const rows = JSON.stringify([
        await app.db.all(`SELECT * FROM "Session"`),
        await app.db.all("SELECT * FROM shop_settings WHERE shop IN (?, ?)", [current, legacy]),
      ]);
      for (const plain of [plainToken, currentSecret, legacySecret]) expect(rows).not.toContain(plain);

      const again = await cliWithKey(app.env.ENCRYPTION_KEY, ["secrets", "rotate"]);
      expect(again.code, again.output).toBe(0);
      expect(counts(again.output, "JoinChat secrets")).toEqual({ reencrypted: 0, current: 2, unreadable: 0 });
      expect(counts(again.output, "Shopify tokens")).toEqual({ reencrypted: 0, current: 1, unreadable: 0 });

      // The old key removed: the app starts and pushes as before.
      app.env.ENCRYPTION_KEY = `k2:${K2}`;
      await app.restart();
      expect(await orderOf(current)).toMatchObject({ status: "delivered" });
      expect(await orderOf(legacy)).toMatchObject({ status: "delivered" });
    },
  );

  it("a secret copied to another shop's row does not open there: that shop pushes nothing; the app still starts", { timeout: 90_000 }, async () => {
    const victim = uniqueShop("aad-victim");
    const thief = uniqueShop("aad-thief");
    const victimSecret = `page-secret-${randomUUID()}`;
    stack.sandbox.setSecret(victim, victimSecret);
    stack.sandbox.setSecret(thief, victimSecret);
    await configure(victim, victimSecret);
    await configure(thief, `page-secret-${randomUUID()}`);
    await app.db.run("UPDATE shop_settings SET secret_ciphertext = ? WHERE shop = ?", [await secretOf(victim), thief]);

    const push = await orderOf(thief);
    expect(push).toMatchObject({ status: "failed", reason: "secret_unreadable" });
    expect(stack.recorder.requests.filter((r) => r.shop === thief)).toHaveLength(0);
    expect(receivedBy(stack.sandbox, thief)).toHaveLength(0);
    expect(await orderOf(victim)).toMatchObject({ status: "delivered" });

    // One damaged row among readable ones of the same key is that shop's problem (its admin asks to re-enter the
    // secret), not a wrong key: the app starts; rotate counts it unreadable, leaves it, and says so (exit 1).
    await app.restart();
    const rotated = await cliWithKey(app.env.ENCRYPTION_KEY, ["secrets", "rotate"]);
    expect(rotated.code, rotated.output).toBe(1);
    expect(counts(rotated.output, "JoinChat secrets")?.unreadable).toBe(1);
    expect(rotated.output).toContain(thief);
  });

  it("a key ring that cannot read what is stored: the processes and the CLI refuse with exit 78, naming the key id", { timeout: 120_000 }, async () => {
    const shop = uniqueShop("wrong-key");
    await configure(shop, TEST_JOINCHAT_API_SECRET);
    const stored = app.env.ENCRYPTION_KEY.split(":")[0];

    const entries = backend.kind === "postgres" && backend.queue === "bullmq" ? (["server.mjs", "worker.mjs"] as const) : (["server.mjs"] as const);
    for (const entry of entries) {
      // Another key altogether: the stored key id is not configured.
      const missing = await startWithKey(entry, `k9:${randomBytes(32).toString("base64")}`);
      expect(missing.code, missing.output).toBe(78);
      expect(missing.output).toContain(`ENCRYPTION_KEY cannot read the secrets stored under key id(s): ${stored}`);
      expect(missing.output).toMatch(/Configured key ids: k9\./);
      expect(missing.output).toContain('See "Configuration" in README.md.');
      // The same id with another key.
      const replaced = await startWithKey(entry, `${stored}:${randomBytes(32).toString("base64")}`);
      expect(replaced.code, replaced.output).toBe(78);
      expect(replaced.output).toContain(`${stored} (configured, but not the key that wrote them)`);
    }
    // A malformed key ring is a bad configuration too.
    const malformed = await startWithKey("server.mjs", `k2:${K2},k2:${K1}`);
    expect(malformed.code, malformed.output).toBe(78);
    expect(malformed.output).toMatch(/ENCRYPTION_KEY key id k2 is given twice/);

    const cli = await cliWithKey(`k9:${randomBytes(32).toString("base64")}`, ["secrets", "rotate"]);
    expect(cli.code, cli.output).toBe(78);
    expect(cli.output).toContain(`key id(s): ${stored}`);
    const refusedConfigure = await cliWithKey(`k9:${randomBytes(32).toString("base64")}`, ["shop", "configure", "--shop", shop, "--secret", "another"]);
    expect(refusedConfigure.code, refusedConfigure.output).toBe(78);

    // The running app was never disturbed.
    expect(await orderOf(shop)).toMatchObject({ status: "delivered" });
  });
});
