# syntax=docker/dockerfile:1
# The KoyaLite API image of this project (docs/deploy.md). infra/ builds it with `pulumi up`;
# generated/infra/docker-compose.yml with `docker compose build`. The SQLite database (and local
# storage) live on the volume at /data; the root file system may be read-only (give /tmp a tmpfs).
ARG NODE_IMAGE=node:24-bookworm-slim

# ── build: full install, compile the engine, check generated/ is current, drop dev dependencies ──
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# A compiler for native modules (better-sqlite3) when no prebuilt binary matches the platform.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# Scripts off: the package's own `prepare` needs the sources, copied below; the native modules
# that need their install scripts are rebuilt by name.
RUN npm ci --no-audit --no-fund --ignore-scripts \
  && npm rebuild better-sqlite3 esbuild
COPY . .
RUN npm run build \
  && npx koyalite generate --check \
  && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

# ── runtime: production dependencies, the compiled engine and generated/, as a non-root user ──
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
  HOST=0.0.0.0 \
  PORT=3000 \
  KOYA_DB=/data/koya.db \
  NODE_COMPILE_CACHE=/tmp/node-compile-cache
WORKDIR /app
# Owned by root and not writable by the app: only /data (and /tmp) are.
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/bin ./bin
COPY --from=build /app/dist ./dist
COPY --from=build /app/generated ./generated
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:3000/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# `koyalite start` answers SIGTERM by closing the server (in-flight requests finish) and the
# database; `exec` makes it the process Docker signals.
STOPSIGNAL SIGTERM
CMD ["/bin/sh", "-c", "node bin/koyalite.js migrate up && exec node bin/koyalite.js start --no-migrate"]
