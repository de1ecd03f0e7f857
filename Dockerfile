# One production image for every platform service; the command picks the service:
#   node gateway/src/index.js | node subgraphs/<product|cart|checkout|orders>/src/index.js
#   node internal-grpc/stubs/<inventory|payment>/main.js | node scripts/migrate.js (the migration runner)
# The TypeScript is compiled once, in the build stage (npm run build -> dist/); the final stage
# has plain JavaScript laid over the source tree's layout, production dependencies only, the
# generated Prisma clients, the .proto files, migrations SQL and supergraph.graphql.
# `npm run image:report` reproduces the final stage's contents without Docker (scripts/image-report.ts).
ARG NODE_IMAGE=node:24-bookworm

# ------------------------------------------------------------------ build: compile once
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# npm workspaces need every workspace's package.json before `npm ci`; dependencies first so that
# a source change does not reinstall them
COPY package.json package-lock.json ./
COPY shared/package.json shared/
COPY internal-grpc/package.json internal-grpc/
COPY subgraphs/product/package.json subgraphs/product/
COPY subgraphs/cart/package.json subgraphs/cart/
COPY subgraphs/checkout/package.json subgraphs/checkout/
COPY subgraphs/orders/package.json subgraphs/orders/
COPY gateway/package.json gateway/
RUN npm ci --no-audit --no-fund --loglevel=error
COPY . .
# gRPC types, Prisma clients (TypeScript, compiled with the rest) and resolver types, then tsc
RUN npm run generate && npm run build

# ------------------------------------------------------------------ prod-deps: no devDependencies
# A full Debian image (python3, make, g++) in case a native module (better-sqlite3) has no
# prebuilt binary for the platform; the final stage is the same Debian release, so it runs there.
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/shared/package.json shared/
COPY --from=build /app/internal-grpc/package.json internal-grpc/
COPY --from=build /app/subgraphs/product/package.json subgraphs/product/
COPY --from=build /app/subgraphs/cart/package.json subgraphs/cart/
COPY --from=build /app/subgraphs/checkout/package.json subgraphs/checkout/
COPY --from=build /app/subgraphs/orders/package.json subgraphs/orders/
COPY --from=build /app/gateway/package.json gateway/
RUN npm ci --omit=dev --no-audit --no-fund --loglevel=error && npm cache clean --force

# ------------------------------------------------------------------ runtime
FROM ${NODE_IMAGE}-slim AS runtime
# ca-certificates for outbound TLS (managed PostgreSQL, Kafka, JWKS); tini-like signal handling
# comes from the orchestrator (compose `init: true`, Kubernetes sends SIGTERM to PID 1 = node,
# which the services handle themselves).
RUN apt-get update \
  && apt-get install -y --no-install-recommends ca-certificates \
  && rm -rf /var/lib/apt/lists/*
# the product catalog's SQLite file is the only thing a service writes to disk
RUN mkdir -p /var/lib/shop && chown node:node /var/lib/shop
WORKDIR /app
ENV NODE_ENV=production \
  PRODUCT_DATABASE_URL=file:/var/lib/shop/product.db \
  HOST=0.0.0.0 \
  GRPC_HOST=0.0.0.0 \
  NODE_OPTIONS=--enable-source-maps
COPY --from=prod-deps --chown=root:root /app/ ./
# compiled JavaScript over the same layout as the sources (shared/src/index.js, ...)
COPY --from=build /app/dist/ ./
# files the services read at run time, next to the code that reads them (paths from __dirname)
COPY --from=build /app/supergraph.graphql /app/supergraph.yaml ./
COPY --from=build /app/subgraphs/product/schema.graphql subgraphs/product/
COPY --from=build /app/subgraphs/cart/schema.graphql subgraphs/cart/
COPY --from=build /app/subgraphs/checkout/schema.graphql subgraphs/checkout/
COPY --from=build /app/subgraphs/orders/schema.graphql subgraphs/orders/
COPY --from=build /app/internal-grpc/contracts/ internal-grpc/contracts/
COPY --from=build /app/prisma/ prisma/
COPY --from=build /app/shared/src/outbox/outbox.sql shared/src/outbox/
COPY deploy/docker/healthcheck.js deploy/docker/healthcheck.js
# the code is root-owned and read-only to the service user; nothing is written under /app
USER node
# PORT (GraphQL services), HTTP_PORT (stubs' health listener) or GRPC_PORT picks what is probed
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "deploy/docker/healthcheck.js"]
EXPOSE 4000
CMD ["node", "--import", "./shared/src/telemetry/register.js", "gateway/src/index.js"]
