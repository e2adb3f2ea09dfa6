# One image for every service: the same build runs the all-in-one server, a single service
# (SERVICE=ingest|query|sanctions|repair), or the migration job.
FROM node:20-bookworm-slim AS dependencies
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/ packages/
COPY services/ services/
COPY apps/ apps/
RUN find packages services apps -mindepth 2 -not -name package.json -not -type d -delete \
 && npm ci --omit=dev --ignore-scripts \
 && npm install --no-save --ignore-scripts tsx@4

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 DATA_DIR=/data
WORKDIR /app
COPY --from=dependencies /app/node_modules ./node_modules
COPY package.json package-lock.json tsconfig.json ./
COPY packages/ packages/
COPY services/ services/
COPY apps/ apps/
COPY migrations/ migrations/
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --retries=5 CMD node -e "fetch('http://127.0.0.1:'+process.env.PORT+'/ready').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"
# SERVICE unset: all four services in one process.
CMD ["sh", "-c", "if [ -n \"$SERVICE\" ]; then exec node_modules/.bin/tsx services/$SERVICE/src/server.ts; else exec node_modules/.bin/tsx apps/platform/src/server.ts; fi"]
