// npm start: serves the production build (npm run build) with the lean webhook path and the delivery worker.
import * as build from "./build/server/index.js";

await build.entry.module.startProductionServer(build);
