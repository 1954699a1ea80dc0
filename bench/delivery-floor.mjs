// The floor for delivery: a bare loop that signs and posts the given push bodies to JoinChat with a fixed
// concurrency, the same headers the app sends, keep-alive, nothing else.
//   node bench/delivery-floor.mjs <bodies.jsonl> <joinchat url> <secret> <shop> <concurrency>
import { createHmac, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";

const [file, url, secret, shop, concurrency = "16"] = process.argv.slice(2);
const bodies = readFileSync(file, "utf8").split("\n").filter(Boolean);
let next = 0;
let failed = 0;
const started = performance.now();

async function lane() {
  while (next < bodies.length) {
    const body = bodies[next++];
    const res = await fetch(url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-shop-domain": shop,
        "x-joinchat-signature": createHmac("sha256", secret).update(body).digest("base64"),
        "idempotency-key": randomUUID(),
      },
      body,
      signal: AbortSignal.timeout(10_000),
    });
    const answer = await res.json().catch(() => ({}));
    if (!answer.success) failed += 1;
  }
}

await Promise.all(Array.from({ length: Number(concurrency) }, lane));
const seconds = (performance.now() - started) / 1000;
process.stdout.write(JSON.stringify({ pushes: bodies.length, failed, seconds, perSecond: bodies.length / seconds }) + "\n");
