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
        // The admin UI extensions (extensions/*): Preact in a DOM from jsdom, with Shopify's extension test tooling.
        extends: true,
        esbuild: { jsx: "automatic", jsxImportSource: "preact" },
        test: {
          name: "extensions",
          environment: "./test/helpers/jsdom-environment.ts",
          setupFiles: ["test/helpers/extension-dom-setup.ts"],
          // Inlined, so that the tester's import of the extension's module (.tsx) goes through Vite.
          server: { deps: { inline: ["@shopify/ui-extensions-tester"] } },
          include: ["extensions/*/tests/**/*.test.ts"],
        },
      },
      {
        extends: true,
        test: { name: "scale", include: ["test/scale/**/*.test.ts"], fileParallelism: false, sequence: { groupOrder: 1 }, testTimeout: 180_000 },
      },
    ],
  },
});
