#!/usr/bin/env bash
# Local infrastructure without Docker, on loopback (one script per server in scripts/infra/):
#
#   postgres    PostgreSQL (Debian package), our own cluster in .local/postgres   127.0.0.1:5432
#               user postgres / password postgres; databases shop_checkout, shop_orders, ferretdb
#   redis       Redis 7 (Debian package), no persistence, 256mb allkeys-lru        127.0.0.1:6379
#   ferretdb    FerretDB 1.24.2 (MongoDB wire protocol) on PostgreSQL db ferretdb 127.0.0.1:27017
#   kafka       Kafka 3.9.1 single node KRaft (jars from Maven Central)            127.0.0.1:9092
#               topics checkout-events(3) order-events(3) checkout-events.dlq(1) order-events.dlq(1)
#   jaeger      Jaeger 1.76 all-in-one, in memory: OTLP 4317 (gRPC) 4318 (HTTP), UI/API 16686
#               (off with SHOP_TRACING=off)
#   prometheus  Prometheus (Debian package), observability/prometheus/prometheus.yml  :9090
#               (off with SHOP_METRICS_SERVER=off)
#
# Usage: scripts/infra.sh [up|down|status|start <name>|stop <name>|restart <name>|logs <name>]
#   up (default)   install what is missing, start what is not running (idempotent; fast when up)
#   down           stop everything
#   status         one line per server; exit code 0 only if all are up (or switched off)
#   start/stop/restart <name>   one server (a name above), or all (those not switched off)
#   logs <name>    print the tail of a server's log
#
# Runtime data lives in <repo>/.local/ (SHOP_LOCAL_DIR; gitignored); downloads and builds (Kafka
# jars, FerretDB and Jaeger binaries, a Go toolchain if needed) in ${SHOP_CACHE_DIR:-$HOME/.cache/
# shop-supergraph}. Ports can be moved with PG_PORT, REDIS_PORT, FERRET_PORT, KAFKA_PORT,
# KAFKA_CONTROLLER_PORT, JAEGER_OTLP_GRPC_PORT, JAEGER_OTLP_HTTP_PORT, JAEGER_QUERY_PORT,
# JAEGER_QUERY_GRPC_PORT and PROMETHEUS_PORT (the services' defaults assume the usual ones).
# Use 127.0.0.1 rather than localhost in connection strings (Kafka and FerretDB listen on IPv4).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/infra/lib.sh"

SERVERS=(postgres redis ferretdb kafka jaeger prometheus) # start order; stop in reverse
for s in "${SERVERS[@]}"; do source "$INFRA/$s.sh"; done

canon() {
  case "$1" in
  postgres | postgresql | pg) echo postgres ;;
  redis | kafka | jaeger | prometheus) echo "$1" ;;
  ferretdb | ferret | mongo | mongodb) echo ferretdb ;;
  prom) echo prometheus ;;
  *) die "unknown server '$1' (${SERVERS[*]})" ;;
  esac
}

# the servers `up` starts: all but those switched off by configuration
enabled() {
  case "$1" in
  jaeger) ! switched_off SHOP_TRACING ;;
  prometheus) ! switched_off SHOP_METRICS_SERVER ;;
  esac
}

stop_one() {
  if [[ $1 == postgres ]] && ferret_pid >/dev/null; then
    warn "ferretdb stays running but cannot serve requests without postgres"
  fi
  "${1}_stop"
}

cmd_up() {
  local s
  lock
  # Kafka (a JVM) is the slowest: launch it first, then bring up the rest while it boots.
  kafka_pid >/dev/null || kafka_spawn
  for s in "${SERVERS[@]}"; do if enabled "$s"; then "${s}_start"; fi; done
  log "all up in $(elapsed): postgres 127.0.0.1:$PG_PORT, redis 127.0.0.1:$REDIS_PORT, mongodb (ferretdb) 127.0.0.1:$FERRET_PORT, kafka 127.0.0.1:$KAFKA_PORT$(enabled jaeger && echo ", jaeger http://127.0.0.1:$JAEGER_QUERY_PORT")$(enabled prometheus && echo ", prometheus http://127.0.0.1:$PROMETHEUS_PORT")"
}

cmd_down() {
  local s
  lock
  for s in ferretdb kafka redis postgres jaeger prometheus; do stop_one "$s"; done
  log "all down in $(elapsed)"
}

cmd_status() {
  local s
  for s in "${SERVERS[@]}"; do "${s}_status"; done
  return $STATUS_DOWN
}

# With SHOP_INFRA=docker (scripts/test.sh sets it when it runs the infrastructure with Docker
# Compose), the same commands drive the compose services, so outage tests work either way.
docker_main() {
  local cmd=${1:-up} name=${2:-}
  local svc=$name
  [[ $name == ferretdb ]] && svc=mongo
  [[ $name == all ]] && svc=""
  case "$cmd" in
  up) docker compose up -d --wait postgres redis mongo kafka kafka-topics ;;
  down) docker compose stop ;;
  status) docker compose ps ;;
  stop) docker compose stop $svc ;;
  start) docker compose start $svc && docker compose up -d --wait $svc ;;
  restart) docker compose restart $svc && docker compose up -d --wait $svc ;;
  logs) docker compose logs --tail 50 $svc ;;
  *) die "unknown command '$cmd'" ;;
  esac
}

main() {
  local cmd=${1:-up}
  if [[ ${SHOP_INFRA:-} == docker ]]; then
    cd "$ROOT" && docker_main "$@"
    return
  fi
  case "$cmd" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  start | stop | restart | logs)
    [[ $# -ge 2 ]] || die "usage: $0 $cmd <${SERVERS[*]// /|}|all>"
    local name=$2 s i
    local names=()
    if [[ $name == all ]]; then
      for s in "${SERVERS[@]}"; do if enabled "$s"; then names+=("$s"); fi; done
    else
      names=("$(canon "$name")")
    fi
    [[ $cmd == logs ]] || lock
    if [[ $cmd == stop || $cmd == restart ]]; then
      for ((i = ${#names[@]} - 1; i >= 0; i--)); do stop_one "${names[i]}"; done
    fi
    if [[ $cmd == start || $cmd == restart ]]; then
      for s in "${names[@]}"; do "${s}_start"; done
    fi
    if [[ $cmd == logs ]]; then
      for s in "${names[@]}"; do "${s}_logs"; done
    fi
    log "$cmd $name done in $(elapsed)"
    ;;
  -h | --help | help) awk 'NR > 1 && !/^#/ {exit} NR > 1 {sub(/^# ?/, ""); print}' "${BASH_SOURCE[0]}" ;;
  *) die "unknown command '$cmd' (up | down | status | start <name> | stop <name> | restart <name> | logs <name>)" ;;
  esac
}

main "$@"
