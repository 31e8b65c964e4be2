# syntax=docker/dockerfile:1
#
# Stages: build (compile TypeScript), production-dependencies (runtime node_modules only), dev (the
# whole tree mounted, hot reload and tests; used by docker-compose.dev.yml) and runtime, the last
# stage and so the default image:
#
#   docker build -t llm-gateway:0.1.0 .
#
# @see https://docs.docker.com/build/building/best-practices/

# Build stage: compile TypeScript with the full dependency set. Install scripts are skipped: the
# compiler needs none, and the `node` devDependency would otherwise download a second Node binary.
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY plugins ./plugins
COPY schemas ./schemas
COPY scripts ./scripts
COPY ui ./ui
# No source maps or declarations in the image: nothing there reads them. The providers' catalog
# files go next to their compiled code (scripts/copy-assets.ts); the dashboard is built into
# dist/ui by Vite, as `npm run build` does.
RUN node node_modules/typescript/bin/tsc -p tsconfig.build.json --sourceMap false --declaration false \
  && node scripts/copy-assets.ts && node node_modules/vite/bin/vite.js build --config ui/vite.config.ts \
  && rm -f dist/.tsbuildinfo

# Production dependencies only, in a stage of their own so that no npm cache reaches the image.
FROM node:24-slim AS production-dependencies
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --ignore-scripts --no-audit --no-fund
# An empty folder for the runtime's DATA_DIR (the runtime stage runs nothing).
RUN mkdir -p /data

# Development: dependencies installed as the unprivileged `node` user; the source is mounted over
# /app by docker-compose.dev.yml and `npm run dev` restarts the gateway on every change.
FROM node:24-slim AS dev
ENV NODE_ENV=development
WORKDIR /app
RUN chown node:node /app
USER node
COPY --chown=node:node package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
EXPOSE 8080
CMD ["npm", "run", "dev"]

# Runtime: compiled code (with the providers' catalog files), production dependencies, the config
# folder (config/default.yaml and config/<NODE_ENV>.yaml are read at start) and package.json (the code finds its folder, name and version by it). Everything is owned
# by root and read-only to the process.
FROM node:24-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=production-dependencies /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY config ./config
# The store's SQLite file (DATA_DIR) when no DATABASE_URL is set: a folder the gateway's user owns,
# mounted as a volume by compose and Kubernetes, whose root filesystems are read-only.
ENV DATA_DIR=/data
COPY --from=production-dependencies --chown=1000:1000 /data /data
# The image's `node` user by number, so that Kubernetes' runAsNonRoot can verify it is not root.
USER 1000:1000
EXPOSE 8080
# /health answers without a key, in protected mode too. Node's own fetch: the slim image has no curl.
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.GATEWAY_PORT || 8080) + '/health', { signal: AbortSignal.timeout(2500) }).then((response) => process.exit(response.ok ? 0 : 1), () => process.exit(1))"]
# The gateway drains in-flight requests and streams on SIGTERM for SHUTDOWN_TIMEOUT ms (25000 by
# default): give it longer than that before a kill (docker stop -t 30, stop_grace_period in compose,
# terminationGracePeriodSeconds in Kubernetes).
STOPSIGNAL SIGTERM
CMD ["node", "dist/src/server.js"]
