// Shopify's published sample payloads live outside the project (../shared/fixtures), which CI
// always checks out. Locally the folder may be absent: tests may skip then, but under CI a
// missing folder must fail the run, or the real-payload tests would silently stop running.
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";

export const SHARED_FIXTURES_DIR = resolve(process.cwd(), "../shared/fixtures/shopify/2026-04");

export const sharedFixturesAvailable: boolean = existsSync(SHARED_FIXTURES_DIR);

/** True when the shared-fixture tests may be skipped: only outside CI, with the folder missing. */
export const skipSharedFixtures: boolean = !sharedFixturesAvailable && process.env.CI !== "true";

/**
 * The raw text of a shared fixture, byte for byte (signatures are computed over it).
 * Accepts `orders_create.json`, `orders_create` or the topic `orders/create`.
 */
export function readSharedFixture(file: string): string {
  const base = file.replace(/\//g, "_");
  const name = base.endsWith(".json") ? base : `${base}.json`;
  return readFileSync(join(SHARED_FIXTURES_DIR, name), "utf8");
}
