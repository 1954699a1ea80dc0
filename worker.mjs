// npm run worker: BullMQ delivery workers (QUEUE=bullmq) from the production build, like npm start.
import { loadProductionBuild } from "./scripts/load-build.mjs";

const build = await loadProductionBuild();
await build.entry.module.startWorkerProcess();
