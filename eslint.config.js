import js from "@eslint/js";
import globals from "globals";
import { createTypeScriptImportResolver } from "eslint-import-resolver-typescript";
import importX from "eslint-plugin-import-x";
import reactHooks from "eslint-plugin-react-hooks";
import tseslint from "typescript-eslint";
import { APP_LAYERS, layerZones } from "./scripts/app-layers.mjs";

// ESLint: the recommended rules, the React hooks rules for the admin's components, and type-aware rules for what
// the type checker knows and a plain lint cannot see (a promise nobody awaits or handles).
// Formatting is Prettier's (npm run format), not ESLint's. The app's layers (docs/architecture.md) are rules too: an
// import against the arrows between app folders, or any import cycle, fails the lint.

export default tseslint.config(
  // extensions/*/shopify.d.ts is written by Shopify CLI (shopify app dev / build), as it is.
  {
    ignores: ["build/**", "node_modules/**", "public/**", "test/.tmp/**", "test-results/**", ".cache/**", "extensions/*/dist/**", "extensions/*/shopify.d.ts"],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrorsIgnorePattern: "^_" }],
    },
  },
  {
    // The type-aware rules: each TypeScript file is read with the tsconfig that owns it (the app's, the block's or
    // the block tests').
    files: ["**/*.ts", "**/*.tsx"],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": ["error", { checksVoidReturn: { attributes: false } }],
      "@typescript-eslint/await-thenable": "error",
      "@typescript-eslint/require-await": "off",
    },
  },
  {
    // The intake layer is handed what it needs (its receive service, its database); the routes' helpers, the servers
    // and the worker take those from the process's runtime, the composition root.
    files: ["app/webhooks/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [{ group: ["**/runtime.server"], message: "app/webhooks is given its dependencies: take them from the runtime in the caller" }] },
      ],
    },
  },
  {
    files: ["app/**/*.tsx", "extensions/*/src/**/*.tsx"],
    plugins: { "react-hooks": reactHooks },
    rules: { "react-hooks/rules-of-hooks": "error", "react-hooks/exhaustive-deps": "error" },
  },
  {
    files: ["app/**/*.ts", "app/**/*.tsx"],
    plugins: { "import-x": importX },
    settings: {
      // TypeScript files are parsed for the import graph too (import-x reads only .js by default, and no-cycle
      // would then see no cycle at all).
      "import-x/extensions": [".ts", ".tsx", ".js", ".mjs"],
      "import-x/parsers": { "@typescript-eslint/parser": [".ts", ".tsx"] },
      "import-x/resolver-next": [createTypeScriptImportResolver({ project: "tsconfig.json" })],
    },
    rules: {
      "import-x/no-cycle": "error",
      "import-x/no-restricted-paths": ["error", { basePath: import.meta.dirname, zones: layerZones(APP_LAYERS) }],
    },
  },
);
