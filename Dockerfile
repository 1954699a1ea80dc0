# syntax=docker/dockerfile:1
# One image for both process types (README.md, "Scaling out"):
#   web:    npm start          (the default command; PORT 3000)
#   worker: npm run worker     (QUEUE=bullmq only; WORKER_PORT for its health checks)
# Both run `npm run setup --quiet` first: it migrates the database of DATABASE_URL (safe from several
# containers at once) and needs no network.

FROM node:22-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 compiles its addon (its prebuilt download is not relied on).
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# The admin UI extensions are npm workspaces (extensions/*): npm ci needs their package.json files. Shopify CLI
# builds and hosts the extensions themselves (`npm run deploy`); the image only carries their dependencies along.
COPY extensions/order-pushes/package.json ./extensions/order-pushes/
COPY extensions/messenger-optin/package.json ./extensions/messenger-optin/
# No dependency install scripts (Prisma's would download engines this app does not use: it runs Prisma through
# driver adapters, docs/decisions/002-data-access.md), except better-sqlite3's compile.
RUN npm ci --ignore-scripts --no-audit --no-fund && npm rebuild better-sqlite3
COPY . .
RUN npm run build \
  && npm prune --omit=dev --ignore-scripts --no-audit --no-fund \
  && node scripts/prisma-generate.mjs --quiet

FROM node:22-bookworm-slim
ENV NODE_ENV=production \
    PORT=3000 \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    PRISMA_HIDE_UPDATE_MESSAGE=1 \
    CHECKPOINT_DISABLE=1
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/build ./build
# What runs beside the build: the entry points, the migrations and Prisma's config (which reads app/db),
# the setup script, and the TypeScript sources the operator CLI runs (npm run cli).
COPY package.json server.mjs worker.mjs prisma.config.ts tsconfig.json ./
COPY app ./app
COPY prisma ./prisma
COPY scripts ./scripts
# The embedded default keeps its SQLite file here: mount a volume (and run one web container only).
RUN mkdir -p prisma/data && chown node:node prisma/data
USER node
EXPOSE 3000
CMD ["npm", "start"]
