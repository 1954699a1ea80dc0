// The extensions' test environment: jsdom's DOM, with the modules transformed as for Node ("ssr"). Vitest's own
// jsdom environment transforms them as for a browser, where Vite rewrites `new URL(path, import.meta.url)` into a
// page URL: the app-side helpers these tests start (the production server, the JoinChat sandbox) need file URLs.
import { builtinEnvironments, type Environment } from "vitest/runtime";

const environment: Environment = { ...builtinEnvironments.jsdom, name: "jsdom-node-modules", viteEnvironment: "ssr" };

export default environment;
