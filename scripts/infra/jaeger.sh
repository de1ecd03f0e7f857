#!/usr/bin/env bash
# Jaeger v1.76.0 (its v2 binary) all-in-one with in-memory storage, on loopback:
#   OTLP gRPC 127.0.0.1:$JAEGER_OTLP_GRPC_PORT (4317), OTLP HTTP $JAEGER_OTLP_HTTP_PORT (4318),
#   query API and UI http://127.0.0.1:$JAEGER_QUERY_PORT (16686), query gRPC $JAEGER_QUERY_GRPC_PORT
#   (16685). Configuration: observability/jaeger/config.yaml. Traces are lost on restart.
# Built from Go modules (scripts/jaeger, a small module of ours with Jaeger as a `tool`) into the
# cache: ~2 min of downloads and ~5 min of build the first time, 121 MB. Built this way its UI
# is a placeholder page (the UI is a separate JavaScript build); the query API is complete.
# docker-compose runs the Jaeger image, which has the full UI.
# Off with SHOP_TRACING=off (scripts/infra.sh up then skips it).
# Run directly: scripts/infra/jaeger.sh start|stop|status|logs (or through scripts/infra.sh).
[[ -n ${INFRA:-} ]] || source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$INFRA/go.sh"

export JAEGER_OTLP_GRPC_PORT=${JAEGER_OTLP_GRPC_PORT:-4317}
export JAEGER_OTLP_HTTP_PORT=${JAEGER_OTLP_HTTP_PORT:-4318}
export JAEGER_QUERY_PORT=${JAEGER_QUERY_PORT:-16686}
export JAEGER_QUERY_GRPC_PORT=${JAEGER_QUERY_GRPC_PORT:-16685}
JAEGER_VERSION=1.76.0
JAEGER_DIR="$LOCAL/jaeger"
JAEGER_BIN="$CACHE/jaeger-$JAEGER_VERSION/jaeger"
JAEGER_CONFIG="$ROOT/observability/jaeger/config.yaml"

jaeger_install() {
  go_build_cached jaeger jaeger "$JAEGER_BIN" github.com/jaegertracing/jaeger/cmd/jaeger \
    "Jaeger $JAEGER_VERSION (first time: ~7 min on 2 cores)"
}

jaeger_pid() { pidfile_alive "$JAEGER_DIR/jaeger.pid" "$JAEGER_BIN"; }
jaeger_ready() { http_ok "$JAEGER_QUERY_PORT" /api/services; }

jaeger_start() {
  jaeger_install
  local pid port
  if pid=$(jaeger_pid); then
    if wait_until 5 jaeger_ready; then
      log "jaeger: already running (pid $pid)"
      return 0
    fi
    warn "jaeger: pid $pid does not answer on :$JAEGER_QUERY_PORT; restarting it"
    terminate jaeger "$pid" 10
  fi
  for port in "$JAEGER_OTLP_GRPC_PORT" "$JAEGER_OTLP_HTTP_PORT" "$JAEGER_QUERY_PORT" "$JAEGER_QUERY_GRPC_PORT"; do
    port_open "$port" && die "jaeger: port $port is taken by another process"
  done
  log "jaeger: starting (OTLP 127.0.0.1:$JAEGER_OTLP_GRPC_PORT grpc, :$JAEGER_OTLP_HTTP_PORT http; UI/API :$JAEGER_QUERY_PORT)"
  spawn "$JAEGER_DIR/jaeger.pid" "$JAEGER_DIR/jaeger.log" "$JAEGER_BIN" --config "$JAEGER_CONFIG"
  wait_until 30 ready_or_alive jaeger_ready jaeger_pid jaeger "$JAEGER_DIR/jaeger.log" ||
    die_with_log "jaeger: not ready after 30s" "$JAEGER_DIR/jaeger.log"
}

jaeger_stop() { stop_pidfile jaeger jaeger_pid "$JAEGER_DIR/jaeger.pid" 15; }

jaeger_status() {
  optional_status jaeger SHOP_TRACING jaeger_pid jaeger_ready "$JAEGER_QUERY_PORT" \
    "http://127.0.0.1:$JAEGER_QUERY_PORT (OTLP :$JAEGER_OTLP_GRPC_PORT grpc, :$JAEGER_OTLP_HTTP_PORT http)"
}

jaeger_logs() { tail -n 50 "$JAEGER_DIR/jaeger.log"; }

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  set -euo pipefail
  server_main jaeger "$@"
fi
