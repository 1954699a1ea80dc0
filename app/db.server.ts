import { createRequire } from "node:module";
import { PrismaClient } from "@prisma/client";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { databaseKindOf, resolveDatabaseUrl, sqliteFilePath } from "./db/database-url";
import { createPrismaPgAdapter } from "./db/prisma-pg-adapter";

// Prisma serves Shopify's session storage (and owns the schema and migrations); the app's own tables are
// read and written through ./db (docs/decisions/002-data-access.md).
//
// A client generated from a provider-sqlite schema cannot talk to PostgreSQL: a postgres:// DATABASE_URL uses
// the client generated from prisma/postgresql/schema.prisma (the same models) into node_modules/.prisma/
// client-postgresql by `npm run setup`. It is required at run time, so that a SQLite install never loads it
// and the build never bundles it.

declare global {
  var prismaGlobal: PrismaClient | undefined;
}

/** Where prisma/postgresql/schema.prisma generates its client (its generator's `output`). */
export const POSTGRES_PRISMA_CLIENT = ".prisma/client-postgresql";

function createPrismaClient(): PrismaClient {
  const url = resolveDatabaseUrl(process.env.DATABASE_URL);
  if (databaseKindOf(url) === "postgres") {
    const require = createRequire(import.meta.url);
    let generated: { PrismaClient: typeof PrismaClient };
    try {
      generated = require(POSTGRES_PRISMA_CLIENT) as { PrismaClient: typeof PrismaClient };
    } catch (error) {
      throw new Error(`the PostgreSQL Prisma client is missing: run npm run setup (${(error as Error).message})`);
    }
    return new generated.PrismaClient({ adapter: createPrismaPgAdapter(url) });
  }
  return new PrismaClient({ adapter: new PrismaBetterSQLite3({ url: sqliteFilePath(url) }) });
}

const prisma = global.prismaGlobal ?? createPrismaClient();
if (process.env.NODE_ENV !== "production") global.prismaGlobal = prisma;

export default prisma;
