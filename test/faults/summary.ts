// Each fault scenario adds a row; the global teardown prints the table when the run ends.
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { beforeAll } from "vitest";

export const SUMMARY_FILE = path.resolve("test/.tmp/faults-summary.jsonl");

export interface ScenarioRow {
  scenario: string;
  webhooks: number;
  /** Pushes the rules require (a range when some depend on arrival order, e.g. an unpaid reminder that may go first). */
  expected: string;
  delivered: number;
  doubled: number;
  lost: number;
  /** The web process's peak resident memory during the scenario (GET /readyz), when the scenario measures it. */
  memoryPeak?: string;
  /** Requests the app refused (413, 411, 408, 401, 503) or cut off, when the scenario counts them. */
  refused?: number;
}

let backendLabel = "";

/** Names the backend (SQLite, PostgreSQL with BullMQ) of the scenarios registered after it, in the table. */
export function labelScenarios(label: string): void {
  beforeAll(() => {
    backendLabel = label;
  });
}

export function recordScenario(row: ScenarioRow): void {
  mkdirSync(path.dirname(SUMMARY_FILE), { recursive: true });
  const scenario = backendLabel ? `${row.scenario} [${backendLabel}]` : row.scenario;
  appendFileSync(SUMMARY_FILE, JSON.stringify({ ...row, scenario }) + "\n");
}

export function resetSummary(): void {
  rmSync(SUMMARY_FILE, { force: true });
}

export function readSummary(): ScenarioRow[] {
  if (!existsSync(SUMMARY_FILE)) return [];
  return readFileSync(SUMMARY_FILE, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as ScenarioRow);
}

export function formatSummary(rows: ScenarioRow[]): string {
  const header = ["scenario", "webhooks sent", "pushes expected", "delivered", "doubled", "lost", "memory peak", "refused"];
  const cells = rows.map((r) => [
    r.scenario,
    String(r.webhooks),
    r.expected,
    String(r.delivered),
    String(r.doubled),
    String(r.lost),
    r.memoryPeak ?? "—",
    r.refused === undefined ? "—" : String(r.refused),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => `| ${c.map((v, i) => v.padEnd(widths[i])).join(" | ")} |`;
  return [line(header), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...cells.map(line)].join("\n");
}
