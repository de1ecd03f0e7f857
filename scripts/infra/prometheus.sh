#!/usr/bin/env bash
# Prometheus (Debian package: /usr/bin/prometheus and promtool) on
# http://127.0.0.1:$PROMETHEUS_PORT (9090), scraping every service's /metrics as configured in
# observability/prometheus/prometheus.yml; data (2 days) in $SHOP_LOCAL_DIR/prometheus. The
# package's own service is not used. A changed config is reloaded (SIGHUP) by the next start/up.
# Off with SHOP_METRICS_SERVER=off (scripts/infra.sh up then skips it).
# Run directly: scripts/infra/prometheus.sh start|stop|status|logs (or through scripts/infra.sh).
[[ -n ${INFRA:-} ]] || source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PROMETHEUS_PORT=${PROMETHEUS_PORT:-9090}
PROM_DIR="$LOCAL/prometheus"
PROM_CONFIG="$ROOT/observability/prometheus/prometheus.yml"

prometheus_install() {
  command -v prometheus >/dev/null && command -v promtool >/dev/null && return 0
  apt_install prometheus
  # where an init system allows it, the package starts its own on 0.0.0.0:9090: we run our own
  if is_root && command -v systemctl >/dev/null; then systemctl disable --now prometheus >/dev/null 2>&1 || true; fi
}

prom_pid() { pidfile_alive "$PROM_DIR/prometheus.pid" "--storage.tsdb.path=$PROM_DIR/data"; }
prom_ready() { http_ok "$PROMETHEUS_PORT" /-/ready; }
prom_config_sum() { cksum <"$PROM_CONFIG" | cut -d' ' -f1; }

prometheus_start() {
  prometheus_install
  local pid
  mkdir -p "$PROM_DIR/data" "$PROM_DIR/targets"
  promtool check config "$PROM_CONFIG" >"$PROM_DIR/check.log" 2>&1 ||
    die_with_log "prometheus: $PROM_CONFIG is not valid" "$PROM_DIR/check.log"
  if pid=$(prom_pid) && wait_until 5 prom_ready; then
    if [[ $(prom_config_sum) != "$(cat "$PROM_DIR/config.sum" 2>/dev/null)" ]]; then
      log "prometheus: config changed; reloading (pid $pid)"
      kill -HUP "$pid" && prom_config_sum >"$PROM_DIR/config.sum"
    else
      log "prometheus: already running (pid $pid)"
    fi
    return 0
  fi
  [[ -n ${pid:-} ]] && terminate prometheus "$pid" 15
  port_open "$PROMETHEUS_PORT" && die "prometheus: port $PROMETHEUS_PORT is taken by another process"
  log "prometheus: starting on 127.0.0.1:$PROMETHEUS_PORT ($PROM_CONFIG)"
  prom_config_sum >"$PROM_DIR/config.sum"
  spawn "$PROM_DIR/prometheus.pid" "$PROM_DIR/prometheus.log" prometheus \
    --config.file="$PROM_CONFIG" --storage.tsdb.path="$PROM_DIR/data" \
    --storage.tsdb.retention.time=2d --web.listen-address="127.0.0.1:$PROMETHEUS_PORT" \
    --log.level=warn
  wait_until 30 ready_or_alive prom_ready prom_pid prometheus "$PROM_DIR/prometheus.log" ||
    die_with_log "prometheus: not ready after 30s" "$PROM_DIR/prometheus.log"
}

prometheus_stop() { stop_pidfile prometheus prom_pid "$PROM_DIR/prometheus.pid" 30; }

prometheus_status() {
  optional_status prometheus SHOP_METRICS_SERVER prom_pid prom_ready "$PROMETHEUS_PORT" "http://127.0.0.1:$PROMETHEUS_PORT"
}

prometheus_logs() { tail -n 50 "$PROM_DIR/prometheus.log"; }

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  set -euo pipefail
  server_main prometheus "$@"
fi
