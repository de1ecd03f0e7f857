#!/usr/bin/env bash
# PostgreSQL (Debian package), our own cluster in $SHOP_LOCAL_DIR/postgres, on 127.0.0.1:$PG_PORT
# (5432), user postgres / password postgres; databases shop_checkout, shop_orders, ferretdb.
# Run directly: scripts/infra/postgres.sh start|stop|status|logs (or through scripts/infra.sh).
[[ -n ${INFRA:-} ]] || source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PG_PORT=${PG_PORT:-5432}
PG_PASSWORD=postgres
PG_DATABASES=(shop_checkout shop_orders ferretdb)

PG_BIN=""
find_pg_bin() {
  [[ -n $PG_BIN ]] && return 0
  local d
  if [[ -x /usr/lib/postgresql/15/bin/pg_ctl ]]; then
    PG_BIN=/usr/lib/postgresql/15/bin
  else
    # shellcheck disable=SC2012 # version directories: plain names
    d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
    [[ -n $d && -x $d/pg_ctl ]] && PG_BIN=$d
  fi
  [[ -n $PG_BIN ]]
}

postgres_install() {
  if ! find_pg_bin || ! command -v psql >/dev/null; then
    apt_install postgresql
    find_pg_bin || die "PostgreSQL installed but no /usr/lib/postgresql/*/bin/pg_ctl found"
    stop_debian_pg_clusters
  fi
  if is_root && ! id postgres >/dev/null 2>&1; then
    die "running as root but there is no 'postgres' user (is the postgresql package installed?)"
  fi
}

# The Debian package may start its own "main" cluster on our port (where an init system allows).
stop_debian_pg_clusters() {
  command -v pg_lsclusters >/dev/null || return 0
  local ver name port status
  while read -r ver name port status _; do
    if [[ $port == "$PG_PORT" && $status == online* ]]; then
      log "stopping the Debian system PostgreSQL cluster $ver/$name on port $PG_PORT (we run our own)"
      pg_ctlcluster "$ver" "$name" stop || true
      if is_root && [[ -f /etc/postgresql/$ver/$name/start.conf ]]; then
        echo manual >"/etc/postgresql/$ver/$name/start.conf"
      fi
    fi
  done < <(pg_lsclusters --no-header 2>/dev/null || true)
}

# run a command as the cluster owner (postgres when we are root)
as_pg() { if is_root; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi; }

PG_DIR=""
pg_paths() {
  [[ -n $PG_DIR ]] && return 0
  PG_DIR="$LOCAL/postgres"
  if is_root && id postgres >/dev/null 2>&1; then
    mkdir -p "$LOCAL"
    # the postgres user must be able to reach the data dir (not the case under /root, say)
    if ! (cd / && runuser -u postgres -- test -x "$LOCAL"); then
      PG_DIR="/var/lib/shop-supergraph/postgres-$(printf '%s' "$ROOT" | cksum | cut -d' ' -f1)"
      [[ -d $PG_DIR ]] || log "user postgres cannot reach $LOCAL; using $PG_DIR for the PostgreSQL data" >&2
    fi
  fi
  PG_DATA="$PG_DIR/data"
  PG_LOG="$PG_DIR/postgres.log"
  PG_RUN="$PG_DIR/run"
}

pg_pid() {
  pg_paths
  [[ -f $PG_DATA/postmaster.pid ]] || return 1
  local pid
  pid=$(head -n1 "$PG_DATA/postmaster.pid" 2>/dev/null | tr -dc 0-9)
  [[ -n $pid ]] && pid_running "$pid" && echo "$pid"
}

pg_psql() {
  PGPASSWORD=$PG_PASSWORD PGCONNECT_TIMEOUT=5 psql -X -q -v ON_ERROR_STOP=1 \
    -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres "$@"
}
pg_login_ok() { pg_psql -tAc 'select 1' >/dev/null 2>&1; }

pg_write_conf() {
  local sockdir="$PG_RUN"
  if ((${#sockdir} > 90)); then sockdir=""; fi # unix socket paths are limited to ~107 bytes
  as_pg tee "$PG_DATA/shop-local.conf" >/dev/null <<CONF
# written by scripts/infra/postgres.sh on every start; edit the script, not this file
listen_addresses = '127.0.0.1'
port = $PG_PORT
max_connections = 300
unix_socket_directories = '$sockdir'
password_encryption = 'scram-sha-256'
synchronous_commit = off
logging_collector = off
log_min_messages = warning
log_connections = off
log_disconnections = off
CONF
}

pg_init() {
  log "postgres: initdb $PG_DATA"
  mkdir -p "$PG_DIR"
  if is_root; then chown postgres: "$PG_DIR" && chmod 700 "$PG_DIR"; fi
  as_pg mkdir -p "$PG_RUN"
  local pw="$PG_DIR/.pwfile"
  as_pg sh -c "umask 077; printf '%s\n' '$PG_PASSWORD' > '$pw'"
  if ! as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --pwfile="$pw" \
    --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 \
    >"$PG_DIR/initdb.log" 2>&1; then
    rm -f "$pw"
    die_with_log "postgres: initdb failed" "$PG_DIR/initdb.log"
  fi
  rm -f "$pw"
  echo "include_if_exists = 'shop-local.conf'" | as_pg tee -a "$PG_DATA/postgresql.conf" >/dev/null
}

postgres_start() {
  postgres_install
  pg_paths
  local pid want
  if pid=$(pg_pid); then
    log "postgres: already running (pid $pid)"
  elif port_open "$PG_PORT"; then
    stop_debian_pg_clusters
    if port_open "$PG_PORT"; then
      pg_login_ok ||
        die "postgres: port $PG_PORT is taken by another server that rejects postgres/postgres; stop it first"
      warn "postgres: using an already running PostgreSQL on port $PG_PORT (not ours)"
    fi
  fi
  if ! pg_pid >/dev/null && ! port_open "$PG_PORT"; then
    [[ -f $PG_DATA/PG_VERSION ]] || pg_init
    want=$("$PG_BIN/postgres" --version | sed -E 's/.* ([0-9]+)[.].*/\1/')
    [[ $(cat "$PG_DATA/PG_VERSION") == "$want" ]] ||
      die "postgres: $PG_DATA was created by PostgreSQL $(cat "$PG_DATA/PG_VERSION") but $PG_BIN is $want; remove it (rm -rf $PG_DIR) or install that version"
    as_pg mkdir -p "$PG_RUN"
    pg_write_conf
    log "postgres: starting on 127.0.0.1:$PG_PORT ($PG_BIN)"
    : >>"$PG_LOG" 2>/dev/null || true
    if is_root; then chown postgres: "$PG_LOG"; fi
    # 9>&-: daemons must not inherit the lock file descriptor (see lock())
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 60 -s start 9>&- ||
      die_with_log "postgres: failed to start" "$PG_LOG"
  fi
  pg_ensure_dbs
}

pg_ensure_dbs() {
  pg_paths
  if ! wait_until 10 pg_login_ok; then
    # cluster from an older run with another password? fix it through the local socket
    if pg_pid >/dev/null && [[ -S $PG_RUN/.s.PGSQL.$PG_PORT ]]; then
      as_pg psql -X -q -h "$PG_RUN" -p "$PG_PORT" -U postgres -d postgres \
        -c "ALTER USER postgres PASSWORD '$PG_PASSWORD'" >/dev/null
    fi
    pg_login_ok || die_with_log "postgres: cannot log in as postgres/$PG_PASSWORD on 127.0.0.1:$PG_PORT" "$PG_LOG"
  fi
  local existing db
  existing=$(pg_psql -tAc 'select datname from pg_database')
  for db in "${PG_DATABASES[@]}"; do
    if ! grep -qx "$db" <<<"$existing"; then
      log "postgres: creating database $db"
      pg_psql -c "CREATE DATABASE \"$db\""
    fi
  done
}

postgres_stop() {
  find_pg_bin || {
    log "postgres: not installed"
    return 0
  }
  pg_paths
  local pid
  if pid=$(pg_pid); then
    log "postgres: stopping (pid $pid)"
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 60 -s stop ||
      die_with_log "postgres: pg_ctl stop failed" "$PG_LOG"
  else
    log "postgres: not running"
  fi
}

postgres_status() {
  local pid
  if find_pg_bin && pg_paths && pid=$(pg_pid); then
    status_line postgres up "$pid" "$PG_PORT" "postgres://postgres:postgres@127.0.0.1:$PG_PORT/postgres"
  elif port_open "$PG_PORT"; then
    status_line postgres up "?" "$PG_PORT" "not ours"
  else
    status_line postgres down "-" "$PG_PORT"
  fi
}

postgres_logs() { pg_paths && tail -n 50 "$PG_LOG"; }

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  set -euo pipefail
  server_main postgres "$@"
fi
