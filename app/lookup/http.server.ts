import type { IncomingMessage, ServerResponse } from "node:http";
import type { Sql } from "../db/database.server";
import type { GroupCommit } from "../db/group-commit.server";
import { verifySignature } from "../hmac";
import { log } from "../logger.server";
import type { SecretBox } from "../settings/secret-box.server";
import { getShopSecret } from "../settings/settings.server";
import { readLookupSetupByKey } from "../stores/lookup-setup-store.server";
import type { Database } from "../db/database.server";
import type { PushScheduler } from "../delivery/scheduler.server";
import { answerCustomerQuery, failure, type LookupAnswer, type LookupLimits } from "./customer-query.server";
import { LookupCounts } from "./lookup-limits.server";
import type { OrderFallbackDeps } from "./order-fallback.server";
import { answerBinding, bindingMethodOf } from "./messenger-binding.server";
import { isLookupKeyShape, LOOKUP_PATH_PREFIX } from "./setup.server";

// POST /joinchat/lookup/<key>: JoinChat's customer-query webhook, on the lean path in front of Remix (decision 019).
// Unknown key: 404. Not POST: 405. A body over the limit: 413 before it is read whole. A bad or missing
// X-Joinchat-Signature (base64 HMAC-SHA256 of the raw body with the shop's JoinChat secret): 401, the body never
// parsed. Then the request is answered by answerCustomerQuery.

/** JoinChat's requests are a few hundred bytes. */
export const LOOKUP_MAX_BODY_BYTES = 16 * 1024;

export interface LookupHttpOptions {
  db: Sql;
  /** The Messenger opt-in's `bind` and `unbind` (decision 023): the database's transactions and the scheduler port. */
  binding?: { db: Database; scheduler: PushScheduler };
  /** The process's group commit: a lookup's log row shares its commit with the webhooks' writes. */
  commit?: GroupCommit;
  box: SecretBox;
  /** JOINCHAT_API_SECRET: the secret of shops that linked none of their own (as for pushes). */
  /** JOINCHAT_API_SECRET and the one shop it serves (a single-shop deployment), or null. */
  singleShopSecret: { shop: string; secret: string } | null;
  limits: LookupLimits;
  /** The process's Admin API layer: orders from before the app was installed (decision 024). */
  adminApi?: OrderFallbackDeps | null;
}

function send(res: ServerResponse, answer: LookupAnswer, extra: Record<string, string> = {}): void {
  const body = JSON.stringify(answer.body);
  res.writeHead(answer.status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(body),
    "cache-control": "no-store",
    ...extra,
  });
  res.end(body);
}

/** Reads the body up to `limit` bytes; null when it is larger (the rest is discarded unbuffered). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on("data", (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > limit) {
        over = true;
        resolve(null);
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      if (!over) resolve(Buffer.concat(chunks, size));
    });
    req.on("error", reject);
  });
}

function tooLarge(req: IncomingMessage, res: ServerResponse): void {
  send(res, failure(413, `the body is over ${LOOKUP_MAX_BODY_BYTES} bytes`), { connection: "close" });
  req.resume();
}

export function createLookupHttpHandler(options: LookupHttpOptions) {
  const counts = new LookupCounts();
  return async function handleLookupHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const key = (req.url ?? "").split("?")[0].slice(LOOKUP_PATH_PREFIX.length).replace(/\/+$/, "");
    const setup = isLookupKeyShape(key) ? await readLookupSetupByKey(options.db, key) : undefined;
    if (!setup) {
      req.resume();
      return send(res, failure(404, "no lookup URL here"));
    }
    if (req.method !== "POST") {
      req.resume();
      return send(res, failure(405, "lookups are POST requests with a JSON body"), { allow: "POST" });
    }
    if (Number(req.headers["content-length"] ?? 0) > LOOKUP_MAX_BODY_BYTES) return tooLarge(req, res);
    let body: Buffer | null;
    try {
      body = await readBody(req, LOOKUP_MAX_BODY_BYTES);
    } catch {
      return; // the client went away
    }
    if (body === null) return tooLarge(req, res);

    const single = options.singleShopSecret;
    const secret = (await getShopSecret(options.db, setup.shop, options.box)) ?? (single && single.shop === setup.shop ? single.secret : null);
    const signature = req.headers["x-joinchat-signature"];
    if (!secret || !verifySignature(body, secret, Array.isArray(signature) ? signature[0] : signature)) {
      log.warn("customer lookup refused", { shop: setup.shop, status: 401, error: signature ? "invalid signature" : "no signature" });
      return send(res, failure(401, signature ? "invalid X-Joinchat-Signature" : "missing X-Joinchat-Signature"));
    }
    if (options.binding && bindingMethodOf(body)) return send(res, await answerBinding(options.binding, setup.shop, body));
    const { answer, logged } = await answerCustomerQuery(
      { db: options.db, write: options.commit && ((work) => options.commit!.run(work)), limits: options.limits, counts, adminApi: options.adminApi },
      setup,
      body,
    );
    // The answer does not wait for the log row's commit (shared with the webhooks' writes): it was submitted first.
    send(res, answer);
    await logged.catch((error: unknown) => log.warn("customer lookup: its log entry was not written", { shop: setup.shop, error }));
  };
}
