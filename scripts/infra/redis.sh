#!/usr/bin/env bash
# Redis 7 (Debian package) on 127.0.0.1:$REDIS_PORT (6379): no persistence, 256mb allkeys-lru,
# pid and log in $SHOP_LOCAL_DIR/redis.
# Run directly: scripts/infra/redis.sh start|stop|status|logs (or through scripts/infra.sh).
[[ -n ${INFRA:-} ]] || source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

REDIS_PORT=${REDIS_PORT:-6379}
REDIS_DIR="$LOCAL/redis"

redis_ping() { [[ $(timeout 3 redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]]; }
redis_pid() { pidfile_alive "$REDIS_DIR/redis.pid" "redis-server"; }
redis_gone() { ! port_open "$REDIS_PORT"; }

redis_install() {
  command -v redis-server >/dev/null && command -v redis-cli >/dev/null && return 0
  apt_install redis-server
  # Debian's package starts its own redis on 6379 where an init system allows it: stop it.
  if redis_ping; then
    log "redis: stopping the Debian package's redis on port $REDIS_PORT (we run our own)"
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
    wait_until 5 redis_gone || true
    if is_root && command -v update-rc.d >/dev/null; then update-rc.d redis-server disable >/dev/null 2>&1 || true; fi
  fi
}

redis_start() {
  redis_install
  local pid
  if pid=$(redis_pid) && redis_ping; then
    log "redis: already running (pid $pid)"
    return 0
  fi
  if redis_ping; then
    warn "redis: another redis already answers on port $REDIS_PORT; using it (setting maxmemory 256mb allkeys-lru)"
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" config set maxmemory 256mb >/dev/null || true
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" config set maxmemory-policy allkeys-lru >/dev/null || true
    return 0
  fi
  port_open "$REDIS_PORT" && die "redis: port $REDIS_PORT is taken by something that does not answer PING"
  mkdir -p "$REDIS_DIR"
  log "redis: starting on 127.0.0.1:$REDIS_PORT"
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --protected-mode yes \
    --daemonize yes --pidfile "$REDIS_DIR/redis.pid" --logfile "$REDIS_DIR/redis.log" \
    --dir "$REDIS_DIR" --save '' --appendonly no \
    --maxmemory 256mb --maxmemory-policy allkeys-lru 9>&- ||
    die_with_log "redis: redis-server failed to start" "$REDIS_DIR/redis.log"
  wait_until 10 redis_ping || die_with_log "redis: not answering PING after 10s" "$REDIS_DIR/redis.log"
}

redis_stop() {
  local pid=""
  pid=$(redis_pid) || pid=""
  if ! redis_ping && [[ -z $pid ]]; then
    log "redis: not running"
    return 0
  fi
  log "redis: stopping${pid:+ (pid $pid)}"
  timeout 10 redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
  if [[ -n $pid ]]; then
    wait_pid_exit "$pid" 10 || terminate redis "$pid" 5
  fi
  wait_until 5 redis_gone || die "redis: still answering on port $REDIS_PORT"
}

redis_status() {
  local pid
  if pid=$(redis_pid) && redis_ping; then
    status_line redis up "$pid" "$REDIS_PORT" "redis://127.0.0.1:$REDIS_PORT"
  elif command -v redis-cli >/dev/null && redis_ping; then
    status_line redis up "?" "$REDIS_PORT" "not ours"
  else
    status_line redis down "-" "$REDIS_PORT"
  fi
}

redis_logs() { tail -n 50 "$REDIS_DIR/redis.log"; }

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  set -euo pipefail
  server_main redis "$@"
fi
