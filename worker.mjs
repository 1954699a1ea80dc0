// npm run worker: BullMQ delivery workers (QUEUE=bullmq) from the production build, like npm start.
let build;
try {
  build = await import("./build/server/index.js");
} catch (error) {
  // The routes read the configuration when they load: say what is wrong, not where.
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
await build.entry.module.startWorkerProcess();
