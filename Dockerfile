# syntax=docker/dockerfile:1
# Build stage: compile TypeScript (the service and the panel) with the dev dependencies, and the native
# descriptor addon (native/at.c, built by npm ci through node-gyp).
FROM node:24-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json binding.gyp ./
COPY native ./native
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY panel ./panel
RUN npm run build

# Runtime stage: production dependencies, the compiled service and the addon only.
# The staging root is mounted from the host (docker-compose.yml mounts it at the
# host's own path and sets STAGING_CLEANUP_STAGING_ROOT); /data/staging is not
# created here, so an image run without it refuses to start instead of serving
# an empty folder.
FROM node:24-slim
ENV NODE_ENV=production \
    STAGING_CLEANUP_STAGING_ROOT=/data/staging \
    STAGING_CLEANUP_JOURNAL_DIR=/data/journal \
    STAGING_CLEANUP_LISTEN_HOST=0.0.0.0 \
    STAGING_CLEANUP_LISTEN_PORT=8080
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY --from=build /app/build/Release/at.node ./build/Release/at.node
RUN mkdir -p /data/journal && chown node:node /data/journal
USER node
VOLUME ["/data/journal"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.STAGING_CLEANUP_LISTEN_PORT}/api/v1/health`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Listening on 0.0.0.0 needs a token: set STAGING_CLEANUP_CLEAR_TOKEN (or tokens in a config file).
# A small young generation: the service's memory (README, "Memory").
CMD ["node", "--max-semi-space-size=2", "dist/main.js"]
