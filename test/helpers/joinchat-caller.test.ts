import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { callCustomerQuery, EXAMPLE_CUSTOMER_QUERIES, signJoinChatBody } from "./joinchat-caller";

const SECRET = "bot-secret";

interface Seen {
  method: string;
  headers: IncomingHttpHeaders;
  rawHeaderNames: string[];
  body: Buffer;
}

// A lookup endpoint as small as it gets: it checks the signature over the raw bytes, as the docs' PHP sample does.
let server: Server;
let url: string;
const seen: Seen[] = [];

function verifies(body: Buffer, signature: string | undefined): boolean {
  if (signature === undefined) return false;
  const expected = Buffer.from(createHmac("sha256", SECRET).update(body).digest("base64"));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      seen.push({ method: req.method ?? "", headers: req.headers, rawHeaderNames: req.rawHeaders.filter((_, i) => i % 2 === 0), body });
      const signature = req.headers["x-joinchat-signature"];
      if (!verifies(body, typeof signature === "string" ? signature : undefined)) {
        res.writeHead(401, { "Content-Type": "application/json" });
        return res.end(JSON.stringify({ success: false, errors: "Invalid signature" }));
      }
      let query: { method?: string; params?: { token?: string } };
      try {
        query = JSON.parse(body.toString("utf8")) as typeof query;
      } catch {
        res.writeHead(400, { "Content-Type": "text/plain" });
        return res.end("not json");
      }
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify(query.method === "test" ? { success: true, token: query.params?.token } : { success: true, total: 0, data: [] }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/joinchat/lookup`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(() => {
  seen.length = 0;
});

describe("callCustomerQuery", () => {
  it("POSTs the query as JSON, signed with base64 HMAC-SHA256 of the exact bytes, and reads the answer", async () => {
    const res = await callCustomerQuery(url, EXAMPLE_CUSTOMER_QUERIES.ordersByAccount, { secret: SECRET });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ success: true, total: 0, data: [] });
    expect(seen).toHaveLength(1);
    const [request] = seen;
    expect(request.method).toBe("POST");
    expect(request.headers["content-type"]).toBe("application/json");
    expect(request.rawHeaderNames).toContain("X-Joinchat-Signature");
    expect(JSON.parse(request.body.toString("utf8"))).toEqual({
      method: "orders",
      params: { user_account: "buyer@example.com", filter: "open" },
      pagination: { page: 1, limit: 3 },
    });
    const expected = createHmac("sha256", SECRET).update(request.body).digest("base64");
    expect(request.headers["x-joinchat-signature"]).toBe(expected);
    expect(res.sent).toEqual({ body: request.body, signature: expected });
  });

  it("answers the handshake's token back through the test server", async () => {
    const res = await callCustomerQuery(url, EXAMPLE_CUSTOMER_QUERIES.test, { secret: SECRET });
    expect(res.json).toEqual({ success: true, token: "T45RE" });
  });

  it("sends a wrong signature (another secret, well formed) and the server refuses it", async () => {
    const res = await callCustomerQuery(url, EXAMPLE_CUSTOMER_QUERIES.products, { secret: SECRET, signature: "wrong" });
    expect(res.status).toBe(401);
    const given = seen[0].headers["x-joinchat-signature"] as string;
    expect(Buffer.from(given, "base64")).toHaveLength(32);
    expect(given).not.toBe(signJoinChatBody(seen[0].body, SECRET));
  });

  it("sends no signature header at all", async () => {
    const res = await callCustomerQuery(url, EXAMPLE_CUSTOMER_QUERIES.ordersByNumber, { secret: SECRET, signature: "missing" });
    expect(res.status).toBe(401);
    expect(res.sent.signature).toBeNull();
    expect(Object.keys(seen[0].headers).filter((h) => h.includes("signature"))).toEqual([]);
  });

  it("sends the legacy variant: base64 of the hex digest, which a current check refuses", async () => {
    const res = await callCustomerQuery(url, EXAMPLE_CUSTOMER_QUERIES.ordersByNumber, { secret: SECRET, signature: "legacy-hex" });
    expect(res.status).toBe(401);
    const hex = createHmac("sha256", SECRET).update(seen[0].body).digest("hex");
    expect(seen[0].headers["x-joinchat-signature"]).toBe(Buffer.from(hex).toString("base64"));
    expect(Buffer.from(seen[0].headers["x-joinchat-signature"] as string, "base64").toString("utf8")).toMatch(/^[0-9a-f]{64}$/);
  });

  it("sends raw bytes exactly as given, signed over those bytes", async () => {
    const pretty = `{\n  "method": "orders",\n  "params": {"order_number": "#1001 \u00e9\u4e2d"}\n}`;
    const ok = await callCustomerQuery(url, pretty, { secret: SECRET });
    expect(ok.status).toBe(200);
    expect(seen[0].body.toString("utf8")).toBe(pretty);
    const bytes = Buffer.from([0x7b, 0xff, 0xfe, 0x7d]);
    const notJson = await callCustomerQuery(url, bytes, { secret: SECRET });
    expect(notJson.status).toBe(400);
    expect(notJson.json).toBeNull();
    expect(notJson.text).toBe("not json");
    expect(seen[1].body.equals(bytes)).toBe(true);
  });

  it("takes another header spelling, an exact value, another content type and method", async () => {
    await callCustomerQuery(url, EXAMPLE_CUSTOMER_QUERIES.propertyVendors, { secret: SECRET, headerName: "x-JOINCHAT-signature" });
    expect(seen[0].rawHeaderNames).toContain("x-JOINCHAT-signature");
    expect(seen[0].headers["x-joinchat-signature"]).toBe(signJoinChatBody(seen[0].body, SECRET));

    const underscored = await callCustomerQuery(url, EXAMPLE_CUSTOMER_QUERIES.propertyVendors, { secret: SECRET, headerName: "x_joinchat_signature" });
    expect(underscored.status).toBe(401);
    expect(seen[1].headers["x_joinchat_signature"]).toBe(signJoinChatBody(seen[1].body, SECRET));

    const exact = await callCustomerQuery(url, EXAMPLE_CUSTOMER_QUERIES.propertyVendors, { secret: SECRET, signature: { value: "AAAA" } });
    expect(exact.status).toBe(401);
    expect(seen[2].headers["x-joinchat-signature"]).toBe("AAAA");

    await callCustomerQuery(url, EXAMPLE_CUSTOMER_QUERIES.propertyVendors, { secret: SECRET, contentType: null, method: "PUT" });
    expect(seen[3].method).toBe("PUT");
    expect(seen[3].headers["content-type"]).toBeUndefined();
  });
});
