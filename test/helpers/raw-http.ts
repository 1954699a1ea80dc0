// Requests written byte by byte on a TCP socket, as a hostile client sends them: a body that never ends, headers
// that never finish, a length declared and never sent. What the server answers (its status line) and when the
// connection ends are what the tests read.
import net from "node:net";

export interface RawAnswer {
  /** The status of the first answer, or null when the server closed without one. */
  status: number | null;
  /** The whole of what the server sent. */
  text: string;
  /** Bytes of the body the client had written when the answer came (or the connection ended). */
  bodyBytesSent: number;
  /** The connection was closed (by the server) before `waitMs`. */
  closed: boolean;
}

export interface RawRequestOptions {
  port: number;
  /** The request line and headers as written, without the blank line ending them when `finishHeaders` is false. */
  head: string;
  /** Whether to end the headers (the blank line); false: headers that never finish. */
  finishHeaders?: boolean;
  /** Body bytes to write at once after the headers. */
  body?: Buffer;
  /** Then more body bytes, in chunks of `streamChunk`, up to `streamTotal`, while no answer has come. */
  streamTotal?: number;
  streamChunk?: number;
  /** How long to wait for an answer or the end of the connection, at most. */
  waitMs: number;
  /** Resolve as soon as the status line of an answer has arrived (else: when the connection closes). */
  untilAnswer?: boolean;
}

/** Whether `text` holds a whole answer: its head and as many body bytes as its Content-Length says. */
function answerComplete(text: string): boolean {
  const end = text.indexOf("\r\n\r\n");
  if (!text.startsWith("HTTP/1.1 ") || end < 0) return false;
  const length = /\r\ncontent-length: *(\d+)/i.exec(text.slice(0, end));
  return text.length - (end + 4) >= Number(length?.[1] ?? 0);
}

export function rawRequest(options: RawRequestOptions): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket = net.connect(options.port, "127.0.0.1");
    let text = "";
    let sent = 0;
    let settled = false;
    const finish = (closed: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const match = /^HTTP\/1\.1 (\d{3})/.exec(text);
      resolve({ status: match ? Number(match[1]) : null, text, bodyBytesSent: sent, closed });
    };
    const timer = setTimeout(() => finish(false), options.waitMs);
    socket.on("data", (chunk: Buffer) => {
      text += chunk.toString("latin1");
      if (options.untilAnswer && answerComplete(text)) finish(false);
    });
    socket.on("close", () => finish(true));
    socket.on("error", () => finish(true));
    socket.on("connect", () => {
      socket.write(options.head + (options.finishHeaders === false ? "" : "\r\n"));
      if (options.body) {
        socket.write(options.body);
        sent += options.body.length;
      }
      const total = options.streamTotal ?? 0;
      const step = options.streamChunk ?? 64 * 1024;
      const chunk = Buffer.alloc(step, 0x78);
      // One chunk at a time, each once the last is written: an answer that comes meanwhile is read (and the
      // pumping stops) before the server may cut the connection, which would drop an answer left unread.
      const pump = () => {
        if (settled || text !== "" || sent >= total || socket.destroyed) return;
        const n = Math.min(step, total - sent);
        sent += n;
        socket.write(n === step ? chunk : chunk.subarray(0, n), () => setImmediate(pump));
      };
      pump();
    });
  });
}

/** A request head (request line and headers, each line ended by CRLF; the blank line is added by rawRequest). */
export function requestHead(method: string, path: string, headers: Record<string, string>): string {
  return `${method} ${path} HTTP/1.1\r\n${Object.entries({ host: "127.0.0.1", ...headers })
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join("")}`;
}
