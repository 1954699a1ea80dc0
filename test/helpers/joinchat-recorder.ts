// A pass-through in front of the JoinChat sandbox that keeps every request the app made, faults included
// (the sandbox itself records only the pushes it accepted): headers, exact body bytes and the answer.
// The end-to-end tests use it to see every attempt of a push: its Idempotency-Key and its signature.
import { createHmac } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  at: number;
  shop: string | null;
  idempotencyKey: string | null;
  signature: string | null;
  body: Buffer;
  /** The sandbox's HTTP status, or null when it answered nothing (held, reset). */
  status: number | null;
  answer: string | null;
}

export interface JoinChatRecorder {
  /** Point JOINCHAT_API_URL here. */
  url: string;
  /** http://127.0.0.1:PORT: any other path (the Send API's) goes to the same path of the sandbox. */
  origin: string;
  requests: RecordedRequest[];
  /** The recorded requests of one push, found by its Idempotency-Key. */
  byKey(key: string): RecordedRequest[];
  /**
   * While on, JoinChat's answers are recorded but never passed back: the app waits as if the network had
   * lost them after JoinChat acted (a crash at that moment leaves a push JoinChat has and the app does not know).
   */
  holdAnswers(on: boolean): void;
  /**
   * From now on JoinChat's answers wait (recorded, JoinChat has acted) until the returned function is called, then
   * reach the app: something can happen while the app is sure to be waiting for JoinChat.
   */
  gateAnswers(): () => void;
  close(): Promise<void>;
}

export function joinchatSignature(body: Buffer | string, secret: string): string {
  return createHmac("sha256", secret).update(body).digest("base64");
}

const header = (req: http.IncomingMessage, name: string): string | null => {
  const v = req.headers[name];
  return typeof v === "string" ? v : null;
};

export async function startJoinChatRecorder(targetUrl: string): Promise<JoinChatRecorder> {
  const target = new URL(targetUrl);
  const requests: RecordedRequest[] = [];
  const upstream = new Set<http.ClientRequest>();
  let holding = false;
  let gate: Promise<void> = Promise.resolve();

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const record: RecordedRequest = {
        at: Date.now(),
        shop: header(req, "x-shop-domain"),
        idempotencyKey: header(req, "idempotency-key"),
        signature: header(req, "x-joinchat-signature"),
        body,
        status: null,
        answer: null,
      };
      requests.push(record);
      const headers = { ...req.headers, host: target.host, "content-length": String(body.length) };
      delete headers.connection;
      // The same path on the sandbox: pushes to the push URL, send_message to the Send API.
      const out = http.request(new URL(req.url ?? target.pathname, target), { method: req.method, headers, agent: false }, (answer) => {
        const parts: Buffer[] = [];
        answer.on("data", (c: Buffer) => parts.push(c));
        answer.on("end", () => {
          upstream.delete(out);
          record.status = answer.statusCode ?? null;
          record.answer = Buffer.concat(parts).toString("utf8");
          const pass = { ...answer.headers };
          delete pass.connection;
          delete pass["transfer-encoding"];
          void gate.then(() => {
            if (!res.destroyed && !holding) {
              res.writeHead(answer.statusCode ?? 502, pass);
              res.end(Buffer.concat(parts));
            }
          });
        });
      });
      upstream.add(out);
      out.on("error", () => {
        upstream.delete(out);
        res.destroy();
      });
      // The app gave up (a timeout): let go of the sandbox too, so it sees the same.
      res.on("close", () => {
        if (!res.writableEnded) out.destroy();
      });
      out.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${target.pathname}`,
    origin: `http://127.0.0.1:${port}`,
    requests,
    byKey: (key) => requests.filter((r) => r.idempotencyKey === key),
    holdAnswers(on) {
      holding = on;
    },
    gateAnswers() {
      let open!: () => void;
      gate = new Promise<void>((resolve) => (open = resolve));
      return () => {
        gate = Promise.resolve();
        open();
      };
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const out of upstream) out.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
