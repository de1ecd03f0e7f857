#!/usr/bin/env bash
# Runs the whole platform: infrastructure, every service, and the gateway at
# http://localhost:4000/graphql (Apollo Sandbox in a browser). Ctrl-C stops the services.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

if docker_available; then
  log "Docker engine found: docker compose up (infrastructure and every service)"
  exec docker compose up --build
fi

log "no Docker engine: local servers"
bash scripts/infra.sh up
ensure_node_modules
bash scripts/generate.sh

LOGS="$LOCAL/logs"
mkdir -p "$LOGS"
# name|entry point|health URL (empty for gRPC-only stubs, checked by port instead)
SERVICES=(
  "inventory|internal-grpc/src/inventory/main.ts|tcp:50053"
  "payment|internal-grpc/src/payment/main.ts|tcp:50054"
  "product|subgraphs/product/src/index.ts|http://127.0.0.1:4001/health/ready"
  "cart|subgraphs/cart/src/index.ts|http://127.0.0.1:4002/health/ready"
  "checkout|subgraphs/checkout/src/index.ts|http://127.0.0.1:4003/health/ready"
  "orders|subgraphs/orders/src/index.ts|http://127.0.0.1:4004/health/ready"
  "gateway|gateway/src/index.ts|http://127.0.0.1:4000/health/ready"
)

pids=()
stop_all() {
  log "stopping services"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  log "stopped (infrastructure keeps running; 'npm run infra -- down' stops it)"
}
trap stop_all EXIT
trap 'exit 130' INT TERM

healthy() {
  case "$1" in
    tcp:*) (exec 3<>"/dev/tcp/127.0.0.1/${1#tcp:}") 2>/dev/null ;;
    *) curl -fsS -o /dev/null --max-time 2 "$1" ;;
  esac
}

for spec in "${SERVICES[@]}"; do
  IFS='|' read -r name entry health <<<"$spec"
  if [ ! -f "$entry" ]; then
    log "skipping $name: $entry does not exist"
    continue
  fi
  log "starting $name (log: .local/logs/$name.log)"
  npx tsx "$entry" >"$LOGS/$name.log" 2>&1 &
  pids+=("$!")
  pid=$!
  for _ in $(seq 1 120); do
    healthy "$health" && break
    if ! kill -0 "$pid" 2>/dev/null; then
      log "$name exited; last lines of its log:"
      tail -n 30 "$LOGS/$name.log"
      exit 1
    fi
    sleep 0.5
  done
  healthy "$health" || { log "$name did not become ready; see $LOGS/$name.log"; exit 1; }
done

cat <<MSG

  The shop is up:  http://localhost:4000/graphql  (open it in a browser for Apollo Sandbox)
  A token for Sandbox's Authorization header:  npm run token -- --sub user-1
  Logs: .local/logs/   Stop: Ctrl-C

MSG
wait
