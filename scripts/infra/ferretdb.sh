#!/usr/bin/env bash
# FerretDB 1.24.2 (MongoDB wire protocol) on 127.0.0.1:$FERRET_PORT (27017), storing in the
# PostgreSQL database "ferretdb". Built from scripts/ferretdb (a small Go module of ours; see its
# main.go for why) into the cache; pid and log in $SHOP_LOCAL_DIR/ferretdb.
# Run directly: scripts/infra/ferretdb.sh start|stop|status|logs (or through scripts/infra.sh).
[[ -n ${INFRA:-} ]] || source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$INFRA/go.sh"
declare -F postgres_start >/dev/null || source "$INFRA/postgres.sh"

FERRET_PORT=${FERRET_PORT:-27017}
FERRET_VERSION=1.24.2
FERRET_DIR="$LOCAL/ferretdb"
FERRET_BIN="$CACHE/ferretdb-$FERRET_VERSION/bin/ferretdb"

ferretdb_install() { go_build_cached ferretdb ferretdb "$FERRET_BIN" . "FerretDB $FERRET_VERSION (first time: ~1-2 min)"; }

ferret_pid() { pidfile_alive "$FERRET_DIR/ferretdb.pid" "$FERRET_BIN"; }
ferret_ready() {
  if have_node; then probe mongo "$FERRET_PORT" >/dev/null 2>&1; else port_open "$FERRET_PORT"; fi
}

ferretdb_start() {
  ferretdb_install
  local pid
  if pid=$(ferret_pid) && ! cmp -s "$FERRET_BIN.stamp" "$FERRET_DIR/ferretdb.stamp"; then
    log "ferretdb: the binary was rebuilt; restarting pid $pid"
    terminate ferretdb "$pid" 15
  fi
  if pid=$(ferret_pid); then
    if wait_until 5 ferret_ready; then
      log "ferretdb: already running (pid $pid)"
      return 0
    fi
    warn "ferretdb: pid $pid does not answer ping; restarting it"
    terminate ferretdb "$pid" 10
  fi
  port_open "$FERRET_PORT" && die "ferretdb: port $FERRET_PORT is taken by another process"
  pg_login_ok || die "ferretdb: PostgreSQL is not up on 127.0.0.1:$PG_PORT (run: scripts/infra.sh start postgres)"
  pg_ensure_dbs
  mkdir -p "$FERRET_DIR"
  log "ferretdb: starting on 127.0.0.1:$FERRET_PORT (PostgreSQL database ferretdb)"
  cp "$FERRET_BIN.stamp" "$FERRET_DIR/ferretdb.stamp"
  spawn "$FERRET_DIR/ferretdb.pid" "$FERRET_DIR/ferretdb.log" "$FERRET_BIN" --log-level=warn \
    --listen-addr="127.0.0.1:$FERRET_PORT" \
    --postgresql-url="postgres://postgres:$PG_PASSWORD@127.0.0.1:$PG_PORT/ferretdb"
  wait_until 30 ready_or_alive ferret_ready ferret_pid ferretdb "$FERRET_DIR/ferretdb.log" ||
    die_with_log "ferretdb: not ready after 30s" "$FERRET_DIR/ferretdb.log"
}

ferretdb_stop() { stop_pidfile ferretdb ferret_pid "$FERRET_DIR/ferretdb.pid" 15; }

ferretdb_status() {
  local pid
  if pid=$(ferret_pid) && ferret_ready; then
    status_line ferretdb up "$pid" "$FERRET_PORT" "mongodb://127.0.0.1:$FERRET_PORT/"
  elif [[ -n ${pid:-} ]]; then
    status_line ferretdb down "$pid" "$FERRET_PORT" "process alive but not answering (is postgres up?)"
  else
    status_line ferretdb down "-" "$FERRET_PORT"
  fi
}

ferretdb_logs() { tail -n 50 "$FERRET_DIR/ferretdb.log"; }

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  set -euo pipefail
  server_main ferretdb "$@"
fi
