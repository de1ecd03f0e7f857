# One image for every platform service; docker-compose.yml starts each with its own command
# (npx tsx subgraphs/product/src/index.ts, ..., npx tsx gateway/src/index.ts).
FROM node:20-bookworm-slim

# openssl: Prisma's query engine links against libssl; ca-certificates for outbound TLS.
RUN apt-get update \
  && apt-get install -y --no-install-recommends openssl ca-certificates \
  && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Dependencies first, so that a source change does not reinstall them. npm workspaces need
# every workspace's package.json before `npm ci`.
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
# gRPC types, Prisma clients and resolver types (the __generated__ folders are not committed)
RUN npm run generate

# services bind loopback unless told otherwise; in a container they must listen on all interfaces
ENV HOST=0.0.0.0 \
  NODE_OPTIONS=--enable-source-maps
USER node
CMD ["npx", "tsx", "gateway/src/index.ts"]
