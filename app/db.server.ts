import { PrismaClient } from "@prisma/client";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { resolveDatabaseUrl, sqliteFilePath } from "./db/database-url";

// Prisma serves Shopify's session storage (and owns the schema and migrations); the app's own tables are
// read and written through ./db (docs/decisions/002-data-access.md).

declare global {
  var prismaGlobal: PrismaClient | undefined;
}

function createPrismaClient(): PrismaClient {
  const url = resolveDatabaseUrl(process.env.DATABASE_URL);
  return new PrismaClient({ adapter: new PrismaBetterSQLite3({ url: sqliteFilePath(url) }) });
}

const prisma = global.prismaGlobal ?? createPrismaClient();
if (process.env.NODE_ENV !== "production") global.prismaGlobal = prisma;

export default prisma;
