import path from "node:path";

/** Where the embedded default keeps its data when DATABASE_URL is not set. */
const DEFAULT_DATABASE_URL = "file:./prisma/data/joinchat.sqlite";

export type DatabaseKind = "sqlite" | "postgres";

export function resolveDatabaseUrl(value: string | undefined): string {
  const url = value?.trim();
  return url ? url : DEFAULT_DATABASE_URL;
}

export function databaseKindOf(url: string): DatabaseKind | null {
  if (url.startsWith("file:")) return "sqlite";
  if (url.startsWith("postgres://") || url.startsWith("postgresql://")) return "postgres";
  return null;
}

/** The absolute path of a `file:` URL, relative paths taken from the working directory. */
export function sqliteFilePath(url: string): string {
  const raw = url.replace(/^file:/, "").replace(/\?.*$/, "");
  if (raw === ":memory:") return raw;
  return path.resolve(process.cwd(), raw);
}
