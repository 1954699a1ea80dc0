// The floor for durable intake: a bare node:http server that checks the same HMAC the app checks and
// inserts the same body into SQLite (WAL, the same synchronous setting as the app's default), then answers 200.
// Nothing of the app is used: it shows what this machine can do at best.
//   node bench/floor-server.mjs <sqlite file> <shopify api secret> [port]
import { createHmac, timingSafeEqual } from "node:crypto";
import http from "node:http";
import Database from "better-sqlite3";

const [file, secret, port = "0"] = process.argv.slice(2);
const db = new Database(file);
db.pragma("journal_mode = WAL");
db.pragma(`synchronous = ${process.env.SQLITE_SYNCHRONOUS ?? "FULL"}`);
db.exec("CREATE TABLE IF NOT EXISTS delivery (webhook_id TEXT PRIMARY KEY, shop TEXT, topic TEXT, body TEXT)");
const insert = db.prepare("INSERT INTO delivery (webhook_id, shop, topic, body) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING");

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const body = Buffer.concat(chunks);
    const expected = Buffer.from(createHmac("sha256", secret).update(body).digest("base64"));
    const given = Buffer.from(String(req.headers["x-shopify-hmac-sha256"] ?? ""));
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
      res.writeHead(401).end();
      return;
    }
    insert.run(req.headers["x-shopify-webhook-id"], req.headers["x-shopify-shop-domain"], req.headers["x-shopify-topic"], body.toString("utf8"));
    res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
  });
});
server.keepAliveTimeout = 65_000;
server.listen(Number(port), "127.0.0.1", () => {
  process.stdout.write(`floor listening ${server.address().port}\n`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
