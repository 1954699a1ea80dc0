import { defineConfig } from "vitest/config";
import tsconfigPaths from "vite-tsconfig-paths";

// Kept apart from vite.config.ts: the Remix plugin has no place in unit and end-to-end tests.
// Two groups, one after the other: every test file in parallel, then the scale-out tests of test/scale one
// file at a time (they load the machine, kill processes and restart the machine's Redis, which would pull the
// ground from under the end-to-end files running on BullMQ).
export default defineConfig({
  plugins: [tsconfigPaths()],
  test: {
    environment: "node",
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 120_000,
    globalSetup: ["test/global-setup.ts"],
    // In-process services log through the app's logger; keep the test output to warnings.
    env: { LOG_LEVEL: "warn" },
    projects: [
      {
        extends: true,
        test: { name: "app", include: ["app/**/*.test.ts", "app/**/*.test.tsx", "test/**/*.test.ts"], exclude: ["test/scale/**", "**/node_modules/**"] },
      },
      {
        extends: true,
        test: { name: "scale", include: ["test/scale/**/*.test.ts"], fileParallelism: false, sequence: { groupOrder: 1 }, testTimeout: 180_000 },
      },
    ],
  },
});
