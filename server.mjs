// npm start: serves the production build (npm run build) with the lean webhook path and the delivery worker.
import { loadProductionBuild } from "./scripts/load-build.mjs";

const build = await loadProductionBuild();
await build.entry.module.startProductionServer(build);
