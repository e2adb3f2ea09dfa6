# One image for every service: the same build runs the all-in-one server, a single service
# (SERVICE=ingest|query|sanctions|repair), or the migration job. It runs JavaScript compiled by
# `npm run build` with plain node; the compiler and the test tooling stay in the build stage.
# The base image is pinned to an exact release: change it deliberately, in one place.
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY scripts/ scripts/
COPY packages/ packages/
COPY services/ services/
COPY apps/ apps/
# Keep only each package's manifest and build: what the runtime resolves under `built`.
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && npm run build \
 && find packages services apps -mindepth 2 -maxdepth 2 -not -name package.json -not -name dist -exec rm -rf {} + \
 && rm -rf packages/testing/dist

FROM ${NODE_IMAGE} AS dependencies
WORKDIR /app
COPY package.json package-lock.json ./
COPY --from=build /app/packages/ packages/
COPY --from=build /app/services/ services/
COPY --from=build /app/apps/ apps/
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 DATA_DIR=/data
WORKDIR /app
COPY --from=dependencies /app/node_modules ./node_modules
COPY package.json ./
COPY --from=build /app/packages/ packages/
COPY --from=build /app/services/ services/
COPY --from=build /app/apps/ apps/
COPY migrations/ migrations/
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --retries=5 CMD node -e "fetch('http://127.0.0.1:'+process.env.PORT+'/ready').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"
# SERVICE unset: all four services in one process.
CMD ["sh", "-c", "if [ -n \"$SERVICE\" ]; then exec node --conditions=built services/$SERVICE/dist/server.js; else exec node --conditions=built apps/platform/dist/server.js; fi"]
