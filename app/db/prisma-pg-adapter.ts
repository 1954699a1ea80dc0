import pg from "pg";
import { PrismaPg } from "@prisma/adapter-pg";

// Prisma 6.19's migrate (the schema engine in WebAssembly) reads PostgreSQL's catalogs through the driver
// adapter, and @prisma/adapter-pg refuses catalog column types such as `name` ("Column type 'name' could not
// be deserialized from the database", prisma/prisma#27403): every migrate command fails. Their values come
// as text anyway, so the connections the adapter opens report them as text.

const TEXT_OID = 25;
/** "char", name, int2vector, regproc, xid, oidvector, pg_node_tree, aclitem, regclass, regtype. */
const CATALOG_TEXT_OIDS = new Set([18, 19, 22, 24, 28, 30, 194, 1033, 2205, 2206]);

function asText(result: unknown): unknown {
  for (const one of Array.isArray(result) ? result : [result]) {
    const fields = (one as { fields?: { dataTypeID: number }[] } | null)?.fields;
    if (fields) for (const field of fields) if (CATALOG_TEXT_OIDS.has(field.dataTypeID)) field.dataTypeID = TEXT_OID;
  }
  return result;
}

class CatalogAsTextClient extends pg.Client {}
const query = pg.Client.prototype.query;
CatalogAsTextClient.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  // pg.Pool's own query() calls its client with a callback; a checked-out client is awaited.
  const last = args.length - 1;
  if (typeof args[last] === "function") {
    const callback = args[last] as (error: unknown, result: unknown) => void;
    args[last] = (error: unknown, result: unknown) => callback(error, error ? result : asText(result));
  }
  const answer = (query as (...a: unknown[]) => unknown).apply(this, args);
  return answer instanceof Promise ? answer.then(asText) : answer;
} as typeof query;

/** The pg adapter for Prisma (migrations and the session storage) on a postgres:// URL. */
export function createPrismaPgAdapter(connectionString: string): PrismaPg {
  // allowExitOnIdle: a CLI run (prisma migrate deploy) ends when its work is done instead of when the idle
  // connection times out (with scripts/prisma-exit-when-idle.cjs for the engine's own timer).
  return new PrismaPg({ connectionString, Client: CatalogAsTextClient, allowExitOnIdle: true });
}
