// The production build (npm run build) for server.mjs and worker.mjs, with the two mistakes an operator can make
// said plainly: a configuration the routes refuse as they load, and no build at all.
//
// The build validates the environment as it loads (app/shopify.server.ts reads it), before the process's own code
// runs: a variable missing or malformed is refused here, for both processes, with the words and the exit code 78 of
// exitForBadConfiguration (app/server/process.server.ts), which refuses the rest (a worker without QUEUE=bullmq).
export async function loadProductionBuild() {
  try {
    return await import("../build/server/index.js");
  } catch (error) {
    if (error?.name === "EnvError") {
      process.stderr.write(`${error.message}\n\nSee "Configuration" in README.md.\n`);
      process.exit(78);
    }
    if (error?.code === "ERR_MODULE_NOT_FOUND" && String(error.message).includes("build/server")) {
      process.stderr.write("No production build: run npm run build first.\n");
      process.exit(1);
    }
    throw error;
  }
}
