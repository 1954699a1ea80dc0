// Requests to the sandbox as raw HTTP for its tests, so each header and byte can be broken on purpose.
import { createHmac, randomUUID } from "node:crypto";
import { request as httpRequest } from "node:http";

export interface PostOptions {
  /** X-Shop-Domain; null sends none. */
  shop?: string | null;
  secret?: string;
  /** The exact signature header value; null sends none. */
  signature?: string | null;
  /** The signature header's name as written on the wire (default X-Joinchat-Signature). */
  signatureHeader?: string;
  contentType?: string | null;
  /** Default a fresh UUID; null sends none. */
  idempotencyKey?: string | null;
  method?: string;
  signal?: AbortSignal;
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are checked field by field
  json: any;
}

export function sign(body: string, secret: string): string {
  return createHmac("sha256", secret).update(body).digest("base64");
}

/** POSTs `body` (an object is JSON-encoded; a string is sent as is) with node:http, header names as given. */
export function postRaw(url: string, body: unknown, defaults: { shop: string | null; secret: string }, o: PostOptions = {}): Promise<Answer> {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  const headers: Record<string, string> = {};
  const contentType = o.contentType === undefined ? "application/json" : o.contentType;
  if (contentType !== null) headers["Content-Type"] = contentType;
  const shop = o.shop === undefined ? defaults.shop : o.shop;
  if (shop !== null) headers["X-Shop-Domain"] = shop;
  const signature = o.signature === undefined ? sign(text, o.secret ?? defaults.secret) : o.signature;
  if (signature !== null) headers[o.signatureHeader ?? "X-Joinchat-Signature"] = signature;
  const key = o.idempotencyKey === undefined ? randomUUID() : o.idempotencyKey;
  if (key !== null) headers["Idempotency-Key"] = key;
  const method = o.method ?? "POST";
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers, signal: o.signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", reject);
      res.on("end", () => {
        const answer = Buffer.concat(chunks).toString("utf8");
        let json: unknown = null;
        try {
          json = JSON.parse(answer);
        } catch {
          json = null;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text: answer, json });
      });
    });
    req.on("error", reject);
    req.end(method === "GET" ? undefined : text);
  });
}

/** A control endpoint of the sandbox. */
export async function control(origin: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${origin}/_sandbox/${path}`, {
    method,
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any
}
