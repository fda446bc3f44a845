# syntax=docker/dockerfile:1
# QuorumKV node image: build every package, then ship only the server's runtime with production
# dependencies, running as a non-root user with its data on a volume.

# ---- build ---------------------------------------------------------------------------------
FROM node:20-slim AS build
WORKDIR /src
ENV NX_DAEMON=false NX_NO_CLOUD=true
# Manifests first so the dependency layer is cached until a package.json or the lock file changes.
COPY package.json package-lock.json ./
COPY packages/bytes/package.json packages/bytes/
COPY packages/protocol/package.json packages/protocol/
COPY packages/ring/package.json packages/ring/
COPY packages/vclock/package.json packages/vclock/
COPY packages/storage/package.json packages/storage/
COPY packages/gossip/package.json packages/gossip/
COPY packages/server/package.json packages/server/
COPY packages/client/package.json packages/client/
COPY packages/cli/package.json packages/cli/
COPY packages/harness/package.json packages/harness/
COPY packages/web/package.json packages/web/
# Prebuilt native binaries (lmdb, swc, buf) arrive as optional dependencies: no install scripts needed.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build

# ---- runtime -------------------------------------------------------------------------------
FROM node:20-slim AS runtime
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /src/package.json /src/package-lock.json ./
COPY --from=build /src/packages/bytes/package.json packages/bytes/
COPY --from=build /src/packages/protocol/package.json packages/protocol/
COPY --from=build /src/packages/ring/package.json packages/ring/
COPY --from=build /src/packages/vclock/package.json packages/vclock/
COPY --from=build /src/packages/storage/package.json packages/storage/
COPY --from=build /src/packages/gossip/package.json packages/gossip/
COPY --from=build /src/packages/server/package.json packages/server/
COPY --from=build /src/packages/client/package.json packages/client/
COPY --from=build /src/packages/cli/package.json packages/cli/
COPY --from=build /src/packages/harness/package.json packages/harness/
COPY --from=build /src/packages/web/package.json packages/web/
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /src/packages/bytes/dist packages/bytes/dist
COPY --from=build /src/packages/protocol/dist packages/protocol/dist
COPY --from=build /src/packages/ring/dist packages/ring/dist
COPY --from=build /src/packages/vclock/dist packages/vclock/dist
COPY --from=build /src/packages/storage/dist packages/storage/dist
COPY --from=build /src/packages/gossip/dist packages/gossip/dist
COPY --from=build /src/packages/server/dist packages/server/dist
COPY --from=build /src/packages/client/dist packages/client/dist
COPY --from=build /src/packages/cli/dist packages/cli/dist
COPY --from=build /src/packages/harness/dist packages/harness/dist
COPY --from=build /src/packages/web/dist packages/web/dist
# `quorumkv-server` and `quorumkv` on PATH (tsc does not set the executable bit).
RUN chmod +x packages/server/dist/bin/quorumkv-server.js packages/cli/dist/bin/quorumkv.js \
 && ln -s /app/packages/server/dist/bin/quorumkv-server.js /usr/local/bin/quorumkv-server \
 && ln -s /app/packages/cli/dist/bin/quorumkv.js /usr/local/bin/quorumkv \
 && mkdir -p /data && chown node:node /data
USER node
VOLUME /data
EXPOSE 7070
# slim has no curl: probe /readyz with Node's fetch.
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=5 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:7070/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["quorumkv-server", "--data-dir", "/data", "--listen", "0.0.0.0:7070"]
