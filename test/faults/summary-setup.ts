import { formatSummary, readSummary, resetSummary } from "./summary";

// Global setup of the fault suite: a clean summary at the start, the table at the end.
export default function setup() {
  resetSummary();
  return () => {
    const rows = readSummary();
    process.stdout.write(`\nFault scenarios (every row must read doubled 0, lost 0):\n${formatSummary(rows)}\n`);
    const bad = rows.filter((r) => r.doubled > 0 || r.lost > 0);
    if (bad.length > 0) process.stdout.write(`FAILED: ${bad.map((r) => r.scenario).join(", ")}\n`);
  };
}
