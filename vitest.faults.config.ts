import { defineConfig } from "vitest/config";
import tsconfigPaths from "vite-tsconfig-paths";

// npm run test:faults: scenarios that attack the running production server one after the other
// (they kill and restart it, and load the machine), with a summary table at the end.
export default defineConfig({
  plugins: [tsconfigPaths()],
  test: {
    include: ["test/faults/**/*.faults.ts"],
    environment: "node",
    pool: "forks",
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 120_000,
    globalSetup: ["test/global-setup.ts", "test/faults/summary-setup.ts"],
    env: { LOG_LEVEL: "warn" },
  },
});
