#!/usr/bin/env bash
# Generates everything derived from a source of truth: gRPC types from the .proto files,
# resolver types from each subgraph's schema.graphql, Prisma clients from prisma/*/schema.prisma.
# Generated files live in __generated__ folders and are not committed.
set -euo pipefail
cd "$(dirname "$0")/.."

npx proto-loader-gen-types --grpcLib=@grpc/grpc-js --longs=String --enums=String --defaults \
  --oneofs --inputTemplate='%sInput' --outputTemplate='%s' \
  --outDir=internal-grpc/src/__generated__ internal-grpc/contracts/*/*.proto >/dev/null

# Each prisma/<name>/prisma.config.ts selects the bundled WebAssembly engine (no engine download)
# and names its schema.prisma; see prisma/README.md.
for schema in prisma/*/schema.prisma; do
  [ -f "$schema" ] || continue
  npx prisma generate --config "$(dirname "$schema")/prisma.config.ts" >/dev/null
done

for codegen in subgraphs/*/codegen.ts gateway/codegen.ts; do
  [ -f "$codegen" ] || continue
  npx graphql-codegen --config "$codegen" >/dev/null
done
echo "generated: grpc types, prisma clients, resolver types"
