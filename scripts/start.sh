#!/usr/bin/env bash
# Runs the whole platform: infrastructure, every service, and the gateway at
# http://localhost:4000/graphql (Apollo Sandbox in a browser). Ctrl-C stops the services.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

if docker_available; then
  log "Docker engine found: docker compose up (infrastructure and every service)"
  # the image runs with NODE_ENV=production, which refuses the public local secret: a random one per run
  export JWT_SECRET="${JWT_SECRET:-$(node -e "console.log(require('node:crypto').randomBytes(32).toString('hex'))")}"
  exec docker compose up --build
fi

log "no Docker engine: local servers"
bash scripts/infra.sh up
ensure_node_modules
bash scripts/generate.sh

LOGS="$LOCAL/logs"
mkdir -p "$LOGS"
# name|entry point|port it listens on|health URL (empty: port check)|extra environment
# The stubs serve /health and /metrics over HTTP only when HTTP_PORT is set: 4053 and 4054 here,
# where observability/prometheus/prometheus.yml scrapes them.
SERVICES=(
  "inventory|internal-grpc/stubs/inventory/main.ts|50053|http://127.0.0.1:4053/health/ready|HTTP_PORT=4053"
  "payment|internal-grpc/stubs/payment/main.ts|50054|http://127.0.0.1:4054/health/ready|HTTP_PORT=4054"
  "product|subgraphs/product/src/index.ts|4001|http://127.0.0.1:4001/health/ready|"
  "cart|subgraphs/cart/src/index.ts|4002|http://127.0.0.1:4002/health/ready|"
  "checkout|subgraphs/checkout/src/index.ts|4003|http://127.0.0.1:4003/health/ready|"
  "orders|subgraphs/orders/src/index.ts|4004|http://127.0.0.1:4004/health/ready|"
  "gateway|gateway/src/index.ts|4000|http://127.0.0.1:4000/health/ready|"
)

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
ready() {
  if [ -n "$2" ]; then curl -fsS -o /dev/null --max-time 2 "$2" 2>/dev/null; else port_open "$1"; fi
}

# Refuse to start beside another copy: a second gateway or subgraph would fail to bind, and a
# health check could pass against the old one, hiding the failure.
for spec in "${SERVICES[@]}"; do
  IFS='|' read -r name _ port _ <<<"$spec"
  if port_open "$port"; then
    log "port $port ($name) is already in use: is the platform already running? Stop it first."
    exit 1
  fi
done

pids=()
stop_all() {
  [ "${#pids[@]}" -gt 0 ] || return 0
  log "stopping services (each finishes in-flight work first)"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  log "stopped (infrastructure keeps running; 'npm run infra -- down' stops it)"
}
trap stop_all EXIT
trap 'exit 130' INT TERM

for spec in "${SERVICES[@]}"; do
  IFS='|' read -r name entry port health extra_env <<<"$spec"
  log "starting $name on :$port (log: .local/logs/$name.log)"
  # `node --import tsx` rather than the tsx CLI: one process per service, so the pid we keep is
  # the service itself and SIGTERM reaches its graceful shutdown directly (env execs node).
  # shared/src/telemetry/register.ts starts OpenTelemetry before the service loads anything it
  # instruments; OTEL_SDK_DISABLED=true switches tracing off (docs/observability.md).
  # shellcheck disable=SC2086 # extra_env is zero or more NAME=value words
  env OTEL_SERVICE_NAME="$name" $extra_env node --import tsx --import ./shared/src/telemetry/register.ts "$entry" \
    >"$LOGS/$name.log" 2>&1 &
  pid=$!
  pids+=("$pid")
  for _ in $(seq 1 120); do
    ready "$port" "$health" && break
    if ! kill -0 "$pid" 2>/dev/null; then
      log "$name exited; last lines of its log:"
      tail -n 30 "$LOGS/$name.log"
      exit 1
    fi
    sleep 0.5
  done
  ready "$port" "$health" || { log "$name did not become ready; see $LOGS/$name.log"; exit 1; }
done

cat <<MSG

  The shop is up:  http://localhost:4000/graphql  (open it in a browser for Apollo Sandbox)
  A token for Sandbox (Headers panel):  npm run token -- --sub alice   (--scope admin for staff)
  Logs: .local/logs/   Stop: Ctrl-C

MSG
wait
