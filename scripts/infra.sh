#!/usr/bin/env bash
# Local infrastructure without Docker, on loopback:
#
#   postgres  PostgreSQL (Debian package), our own cluster in .local/postgres   127.0.0.1:5432
#             user postgres / password postgres; databases shop_checkout, shop_orders, ferretdb
#   redis     Redis 7 (Debian package), no persistence, 256mb allkeys-lru        127.0.0.1:6379
#   ferretdb  FerretDB 1.24.2 (MongoDB wire protocol) on PostgreSQL db ferretdb 127.0.0.1:27017
#   kafka     Kafka 3.9.1 single node KRaft (jars from Maven Central)            127.0.0.1:9092
#             topics checkout-events(3) order-events(3) checkout-events.dlq(1) order-events.dlq(1)
#
# Usage: scripts/infra.sh [up|down|status|start <name>|stop <name>|restart <name>|logs <name>]
#   up (default)   install what is missing, start what is not running (idempotent; fast when up)
#   down           stop everything
#   status         one line per server; exit code 0 only if all are up
#   start/stop/restart <name>   one server: postgres | redis | ferretdb | kafka
#   logs <name>    print the tail of a server's log
#
# Runtime data lives in <repo>/.local/ (gitignored); downloads and builds (Kafka jars, the
# FerretDB binary, a Go toolchain if needed) in ${SHOP_CACHE_DIR:-$HOME/.cache/shop-supergraph}.
# Use 127.0.0.1 rather than localhost in connection strings (Kafka and FerretDB listen on IPv4).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOCAL="$ROOT/.local"
: "${HOME:=$(getent passwd "$(id -u)" | cut -d: -f6)}"
export HOME
CACHE="${SHOP_CACHE_DIR:-$HOME/.cache/shop-supergraph}"

PG_PORT=5432
PG_PASSWORD=postgres
PG_DATABASES=(shop_checkout shop_orders ferretdb)
REDIS_PORT=6379
KAFKA_PORT=9092
KAFKA_CONTROLLER_PORT=9093
KAFKA_VERSION=3.9.1
KAFKA_TOPICS=(checkout-events:3 order-events:3 checkout-events.dlq:1 order-events.dlq:1)
FERRET_PORT=27017
FERRET_VERSION=1.24.2
GO_FALLBACK_VERSION=1.24.3 # only used when no usable `go` (>= 1.21) is installed

REDIS_DIR="$LOCAL/redis"
KAFKA_DIR="$LOCAL/kafka"
FERRET_DIR="$LOCAL/ferretdb"
KAFKA_LIBS="$CACHE/kafka-$KAFKA_VERSION/libs"
FERRET_BIN="$CACHE/ferretdb-$FERRET_VERSION/bin/ferretdb"

SERVERS=(postgres redis ferretdb kafka) # start order; stop in reverse

# ---------------------------------------------------------------------------------------------
# helpers

T0=$(date +%s%N)
log() { printf '[infra %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
warn() { printf '[infra %s] WARNING: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() {
  printf '[infra %s] ERROR: %s\n' "$(date +%H:%M:%S)" "$*" >&2
  exit 1
}
elapsed() { echo "$((($(date +%s%N) - T0) / 1000000))ms"; }

# die with the tail of a log file
die_with_log() {
  local msg=$1 f
  shift
  for f in "$@"; do
    if [[ -s $f ]]; then
      printf '%s\n' "----- last lines of $f -----" >&2
      tail -n 40 "$f" >&2
      printf '%s\n' "-----" >&2
    fi
  done
  die "$msg"
}

is_root() { [[ $(id -u) -eq 0 ]]; }

# TCP port answers on 127.0.0.1
port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

# process exists and is not a zombie (reparented daemons are reaped lazily by some inits)
pid_running() {
  local stat
  kill -0 "$1" 2>/dev/null || return 1
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) } # the state letter follows "(comm) "
  [[ ${stat:0:1} != Z && ${stat:0:1} != X ]]
}

# pid stored in a file, alive, and its command line contains $2
pidfile_alive() {
  local file=$1 needle=$2 pid
  [[ -s $file ]] || return 1
  pid=$(head -n1 "$file" | tr -dc 0-9)
  [[ -n $pid ]] && pid_running "$pid" || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$needle" || return 1
  echo "$pid"
}

# wait until a pid exits (up to $2 seconds); returns 1 on timeout
wait_pid_exit() {
  local pid=$1 secs=$2 i
  for ((i = 0; i < secs * 10; i++)); do
    pid_running "$pid" || return 0
    sleep 0.1
  done
  return 1
}

# SIGTERM, wait, then SIGKILL
terminate() {
  local name=$1 pid=$2 secs=$3
  kill -TERM "$pid" 2>/dev/null || return 0
  if ! wait_pid_exit "$pid" "$secs"; then
    warn "$name (pid $pid) did not stop within ${secs}s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    wait_pid_exit "$pid" 5 || true
  fi
}

APT_UPDATED=0
apt_install() {
  local sudo=()
  if ! is_root; then
    if ! { command -v sudo >/dev/null && sudo -n true 2>/dev/null; }; then
      die "need to install '$*' but not root and no passwordless sudo; install them and re-run"
    fi
    sudo=(sudo -n)
  fi
  command -v apt-get >/dev/null || die "need '$*' but apt-get is not available; install them and re-run"
  log "installing with apt-get: $*"
  local opts=(-y -q --no-install-recommends -o DPkg::Lock::Timeout=600)
  if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install "${opts[@]}" "$@"; then
    if [[ $APT_UPDATED -eq 0 ]]; then
      log "apt-get install failed; running apt-get update and retrying"
      "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q -o DPkg::Lock::Timeout=600
      APT_UPDATED=1
      "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install "${opts[@]}" "$@" ||
        die "apt-get install $* failed"
    else
      die "apt-get install $* failed"
    fi
  fi
}

# Small dependency-free Node probes (raw wire protocol), much faster than starting a JVM:
#   kafka <port>: Metadata v1 request; prints "<topic> <partitions> <partitions without leader>"
#   mongo <port>: OP_MSG {ping: 1, $db: "admin"} answered with ok: 1. Note: FerretDB caches its
#                 metadata, so ping (and even listDatabases) succeed while PostgreSQL is down.
PROBE_JS=$(
  cat <<'EOF'
const net = require('net');
const [mode, port] = process.argv.slice(1);
const i32 = (n) => { const b = Buffer.alloc(4); b.writeInt32LE(n); return b; };
const cstr = (s) => Buffer.concat([Buffer.from(s), Buffer.from([0])]);
let req;
let need; // (buf) => total length of the response once known, else -1
if (mode === 'kafka') {
  const cid = Buffer.from('shop-infra-probe');
  const b = Buffer.alloc(4 + 2 + 2 + 4 + 2 + cid.length + 4);
  let o = 0;
  b.writeInt32BE(b.length - 4, o); o += 4;
  b.writeInt16BE(3, o); o += 2; // Metadata
  b.writeInt16BE(1, o); o += 2; // v1
  b.writeInt32BE(1, o); o += 4; // correlation id
  b.writeInt16BE(cid.length, o); o += 2; cid.copy(b, o); o += cid.length;
  b.writeInt32BE(-1, o); // null topic array = all topics
  req = b;
  need = (buf) => (buf.length >= 4 ? buf.readInt32BE(0) + 4 : -1);
} else {
  const db = cstr('admin');
  const body = Buffer.concat([
    Buffer.from([0x10]), cstr('ping'), i32(1),
    Buffer.from([0x02]), cstr('$db'), i32(db.length), db, Buffer.from([0]),
  ]);
  const doc = Buffer.concat([i32(body.length + 4), body]);
  const payload = Buffer.concat([i32(0), Buffer.from([0]), doc]);
  req = Buffer.concat([i32(16 + payload.length), i32(1), i32(0), i32(2013), payload]);
  need = (buf) => (buf.length >= 4 ? buf.readInt32LE(0) : -1);
}
const fail = (msg) => { console.error(msg); process.exit(1); };
const sock = net.connect({ host: '127.0.0.1', port: Number(port) });
sock.setTimeout(5000, () => fail('timeout'));
sock.on('error', (e) => fail(e.message));
let buf = Buffer.alloc(0);
sock.on('connect', () => sock.write(req));
sock.on('data', (d) => {
  buf = Buffer.concat([buf, d]);
  const n = need(buf);
  if (n < 0 || buf.length < n) return;
  sock.destroy();
  try { (mode === 'kafka' ? parseKafka : parseMongo)(buf); } catch (e) { fail('bad response: ' + e.message); }
});
function parseKafka(b) {
  let o = 8; // size, correlation id
  const i16 = () => { const v = b.readInt16BE(o); o += 2; return v; };
  const i32 = () => { const v = b.readInt32BE(o); o += 4; return v; };
  const str = () => { const n = i16(); if (n < 0) return null; const s = b.toString('utf8', o, o + n); o += n; return s; };
  const nb = i32();
  for (let i = 0; i < nb; i++) { i32(); str(); i32(); str(); }
  i32(); // controller id
  const nt = i32();
  const out = [];
  for (let i = 0; i < nt; i++) {
    const err = i16(); const name = str(); o += 1; // is_internal
    const np = i32(); let noLeader = 0;
    for (let p = 0; p < np; p++) {
      const perr = i16(); i32(); const leader = i32();
      const nr = i32(); o += 4 * nr; const ni = i32(); o += 4 * ni;
      if (perr !== 0 || leader < 0) noLeader++;
    }
    out.push(`${name} ${np} ${err !== 0 ? np : noLeader}`);
  }
  if (nb === 0) fail('no brokers in metadata');
  console.log(out.join('\n'));
}
function parseMongo(b) {
  if (b.readInt32LE(12) !== 2013) fail('unexpected opcode');
  let o = 21 + 4; // header 16, flags 4, section kind 1, doc length 4
  const end = 21 + b.readInt32LE(21) - 1;
  let ok = 0; let errmsg = '';
  while (o < end) {
    const t = b[o++]; const z = b.indexOf(0, o); const name = b.toString('utf8', o, z); o = z + 1;
    if (t === 0x01) { if (name === 'ok') ok = b.readDoubleLE(o); o += 8; }
    else if (t === 0x02) { const n = b.readInt32LE(o); if (name === 'errmsg') errmsg = b.toString('utf8', o + 4, o + 3 + n); o += 4 + n; }
    else if (t === 0x03 || t === 0x04) o += b.readInt32LE(o);
    else if (t === 0x10) { if (name === 'ok') ok = b.readInt32LE(o); o += 4; }
    else if (t === 0x08) o += 1;
    else if (t === 0x0a) o += 0;
    else if (t === 0x07) o += 12;
    else if (t === 0x09 || t === 0x11 || t === 0x12) o += 8;
    else break;
  }
  if (ok !== 1) fail('ping failed: ' + (errmsg || 'ok != 1'));
  console.log('ok');
}
EOF
)
have_node() { command -v node >/dev/null; }
probe() { node -e "$PROBE_JS" "$@"; }

# ---------------------------------------------------------------------------------------------
# PostgreSQL

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

ensure_pg_installed() {
  if ! find_pg_bin || ! command -v psql >/dev/null; then
    apt_install postgresql
    find_pg_bin || die "PostgreSQL installed but no /usr/lib/postgresql/*/bin/pg_ctl found"
    stop_debian_pg_clusters
  fi
  if is_root && ! id postgres >/dev/null 2>&1; then
    die "running as root but there is no 'postgres' user (is the postgresql package installed?)"
  fi
}

# The Debian package may start its own "main" cluster on 5432 (where an init system allows it).
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
as_pg() {
  if is_root; then
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

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
  # unix socket paths are limited to ~107 bytes
  if ((${#sockdir} > 90)); then sockdir=""; fi
  as_pg tee "$PG_DATA/shop-local.conf" >/dev/null <<EOF
# written by scripts/infra.sh on every start; edit the script, not this file
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
EOF
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

pg_start() {
  ensure_pg_installed
  pg_paths
  local pid
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
    local want
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
  local i
  pg_paths
  for ((i = 0; i < 50; i++)); do
    pg_login_ok && break
    sleep 0.2
  done
  if ! pg_login_ok; then
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

pg_stop() {
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

pg_status() {
  local pid
  if find_pg_bin && pg_paths && pid=$(pg_pid); then
    status_line postgres up "$pid" "$PG_PORT" "postgres://postgres:postgres@127.0.0.1:$PG_PORT/postgres"
  elif port_open "$PG_PORT"; then
    status_line postgres up "?" "$PG_PORT" "not ours"
  else
    status_line postgres down "-" "$PG_PORT"
  fi
}

# ---------------------------------------------------------------------------------------------
# Redis

redis_ping() { [[ $(timeout 3 redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]]; }
redis_pid() { pidfile_alive "$REDIS_DIR/redis.pid" "redis-server"; }

ensure_redis_installed() {
  command -v redis-server >/dev/null && command -v redis-cli >/dev/null && return 0
  apt_install redis-server
  # Debian's package starts its own redis on 6379 where an init system allows it: stop it.
  if redis_ping; then
    log "redis: stopping the Debian package's redis on port $REDIS_PORT (we run our own)"
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
    for _ in $(seq 50); do port_open "$REDIS_PORT" || break; sleep 0.1; done
    if is_root && command -v update-rc.d >/dev/null; then update-rc.d redis-server disable >/dev/null 2>&1 || true; fi
  fi
}

redis_start() {
  ensure_redis_installed
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
  for _ in $(seq 100); do
    redis_ping && return 0
    sleep 0.1
  done
  die_with_log "redis: not answering PING after 10s" "$REDIS_DIR/redis.log"
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
  for _ in $(seq 50); do port_open "$REDIS_PORT" || return 0; sleep 0.1; done
  die "redis: still answering on port $REDIS_PORT"
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

# ---------------------------------------------------------------------------------------------
# Go toolchain (only to build FerretDB)

GO=""
find_go() {
  [[ -n $GO ]] && return 0
  local g v
  for g in "$(command -v go || true)" /usr/local/go/bin/go "$CACHE/go/bin/go"; do
    [[ -n $g && -x $g ]] || continue
    # go >= 1.21 downloads the newer toolchain that go.mod asks for by itself (GOTOOLCHAIN=auto)
    v=$("$g" env GOVERSION 2>/dev/null | sed -E 's/^go([0-9]+)\.([0-9]+).*/\1 \2/') || continue
    read -r maj min <<<"$v"
    if [[ ${maj:-0} -gt 1 || (${maj:-0} -eq 1 && ${min:-0} -ge 21) ]]; then
      GO=$g
      return 0
    fi
  done
  return 1
}

ensure_go() {
  find_go && return 0
  # No usable go: fetch the official toolchain, which the Go module proxy serves as the module
  # golang.org/toolchain (this is what GOTOOLCHAIN=auto does).
  local arch proxy ver zip
  case "$(uname -m)" in
  x86_64) arch=amd64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) die "ferretdb: unsupported architecture $(uname -m) for the Go toolchain" ;;
  esac
  command -v unzip >/dev/null || apt_install unzip
  command -v curl >/dev/null || apt_install curl ca-certificates
  proxy=${GOPROXY:-https://proxy.golang.org}
  proxy=${proxy%%[,|]*}
  [[ $proxy == direct || $proxy == off ]] && proxy=https://proxy.golang.org
  ver="v0.0.1-go$GO_FALLBACK_VERSION.linux-$arch"
  zip="$CACHE/go-toolchain.zip"
  log "go: downloading Go $GO_FALLBACK_VERSION from $proxy (golang.org/toolchain@$ver)"
  mkdir -p "$CACHE"
  curl -fsSL --retry 3 -o "$zip" "$proxy/golang.org/toolchain/@v/$ver.zip" ||
    die "go: download of the Go toolchain failed"
  rm -rf "$CACHE/go" "$CACHE/go.tmp"
  mkdir -p "$CACHE/go.tmp"
  unzip -q "$zip" -d "$CACHE/go.tmp"
  mv "$CACHE/go.tmp/golang.org/toolchain@$ver" "$CACHE/go"
  rm -rf "$CACHE/go.tmp" "$zip"
  chmod -R a+x "$CACHE/go/bin" "$CACHE/go/pkg/tool"
  export GOTOOLCHAIN=local
  find_go || die "go: the downloaded toolchain does not work"
}

# ---------------------------------------------------------------------------------------------
# FerretDB

ferret_src_stamp() { cat "$ROOT/scripts/ferretdb/go.mod" "$ROOT/scripts/ferretdb/go.sum" "$ROOT/scripts/ferretdb/main.go" | cksum | cut -d' ' -f1; }

ensure_ferret_built() {
  local stamp
  stamp=$(ferret_src_stamp)
  if [[ -x $FERRET_BIN && -f $FERRET_BIN.stamp && $(cat "$FERRET_BIN.stamp") == "$stamp" ]]; then
    return 0
  fi
  ensure_go
  log "ferretdb: building FerretDB $FERRET_VERSION from scripts/ferretdb with $($GO env GOVERSION) (first time: ~1-2 min)"
  mkdir -p "$(dirname "$FERRET_BIN")"
  (cd "$ROOT/scripts/ferretdb" && CGO_ENABLED=0 "$GO" build -trimpath -o "$FERRET_BIN.tmp" .) >"$CACHE/ferretdb-build.log" 2>&1 ||
    die_with_log "ferretdb: go build failed" "$CACHE/ferretdb-build.log"
  mv -f "$FERRET_BIN.tmp" "$FERRET_BIN"
  echo "$stamp" >"$FERRET_BIN.stamp"
}

ferret_pid() { pidfile_alive "$FERRET_DIR/ferretdb.pid" "$FERRET_BIN"; }
ferret_ready() {
  if have_node; then probe mongo "$FERRET_PORT" >/dev/null 2>&1; else port_open "$FERRET_PORT"; fi
}

ferret_start() {
  ensure_ferret_built
  local pid
  if pid=$(ferret_pid) && ! cmp -s "$FERRET_BIN.stamp" "$FERRET_DIR/ferretdb.stamp"; then
    log "ferretdb: the binary was rebuilt; restarting pid $pid"
    terminate ferretdb "$pid" 15
  fi
  if pid=$(ferret_pid); then
    if ferret_ready; then
      log "ferretdb: already running (pid $pid)"
      return 0
    fi
    for _ in $(seq 20); do ferret_ready && return 0; sleep 0.25; done
    warn "ferretdb: pid $pid does not answer ping; restarting it"
    terminate ferretdb "$pid" 10
  fi
  port_open "$FERRET_PORT" && die "ferretdb: port $FERRET_PORT is taken by another process"
  pg_login_ok || die "ferretdb: PostgreSQL is not up on 127.0.0.1:$PG_PORT (run: scripts/infra.sh start postgres)"
  pg_ensure_dbs
  mkdir -p "$FERRET_DIR"
  log "ferretdb: starting on 127.0.0.1:$FERRET_PORT (PostgreSQL database ferretdb)"
  cp "$FERRET_BIN.stamp" "$FERRET_DIR/ferretdb.stamp"
  setsid nohup "$FERRET_BIN" --log-level=warn \
    --listen-addr="127.0.0.1:$FERRET_PORT" \
    --postgresql-url="postgres://postgres:$PG_PASSWORD@127.0.0.1:$PG_PORT/ferretdb" \
    >>"$FERRET_DIR/ferretdb.log" 2>&1 </dev/null 9>&- &
  echo $! >"$FERRET_DIR/ferretdb.pid"
  local i
  for ((i = 0; i < 150; i++)); do
    ferret_ready && return 0
    ferret_pid >/dev/null || die_with_log "ferretdb: exited during start-up" "$FERRET_DIR/ferretdb.log"
    sleep 0.2
  done
  die_with_log "ferretdb: not ready after 30s" "$FERRET_DIR/ferretdb.log"
}

ferret_stop() {
  local pid
  if pid=$(ferret_pid); then
    log "ferretdb: stopping (pid $pid)"
    terminate ferretdb "$pid" 15
  else
    log "ferretdb: not running"
  fi
  rm -f "$FERRET_DIR/ferretdb.pid"
}

ferret_status() {
  local pid
  if pid=$(ferret_pid) && ferret_ready; then
    status_line ferretdb up "$pid" "$FERRET_PORT" "mongodb://127.0.0.1:$FERRET_PORT/"
  elif [[ -n ${pid:-} ]]; then
    status_line ferretdb down "$pid" "$FERRET_PORT" "process alive but not answering (is postgres up?)"
  else
    status_line ferretdb down "-" "$FERRET_PORT"
  fi
}

# ---------------------------------------------------------------------------------------------
# Kafka

java_bin() { command -v java; }

ensure_kafka_installed() {
  if ! command -v java >/dev/null; then
    apt_install openjdk-17-jre-headless
  fi
  [[ -f $KAFKA_LIBS/.complete ]] && return 0
  command -v mvn >/dev/null || apt_install maven
  log "kafka: downloading Kafka $KAFKA_VERSION jars from Maven Central into $KAFKA_LIBS"
  rm -rf "$KAFKA_LIBS.tmp"
  mkdir -p "$KAFKA_LIBS.tmp"
  mvn -q -B -f "$ROOT/scripts/kafka/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$KAFKA_LIBS.tmp" >"$CACHE/kafka-mvn.log" 2>&1 ||
    die_with_log "kafka: mvn dependency:copy-dependencies failed" "$CACHE/kafka-mvn.log"
  ls "$KAFKA_LIBS.tmp/kafka_2.13-$KAFKA_VERSION.jar" "$KAFKA_LIBS.tmp/kafka-tools-$KAFKA_VERSION.jar" >/dev/null ||
    die "kafka: jars missing after mvn"
  rm -rf "$KAFKA_LIBS"
  mv "$KAFKA_LIBS.tmp" "$KAFKA_LIBS"
  touch "$KAFKA_LIBS/.complete"
}

# run a Kafka CLI class (StorageTool, TopicCommand)
kafka_tool() {
  java -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$ROOT/scripts/kafka/log4j-tools.properties" \
    -cp "$KAFKA_LIBS/*" "$@"
}

kafka_pid() { pidfile_alive "$KAFKA_DIR/kafka.pid" "-Dshop.infra=kafka"; }

kafka_write_config() {
  mkdir -p "$KAFKA_DIR/data" "$KAFKA_DIR/logs"
  cat >"$KAFKA_DIR/server.properties" <<EOF
# written by scripts/infra.sh on every start; edit the script, not this file
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$KAFKA_DIR/data
num.partitions=3
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=10
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
num.network.threads=2
num.io.threads=4
log.retention.hours=24
log.segment.bytes=67108864
EOF
}

# topics as "name partitions leaderless" lines (empty output + failure when not answering)
kafka_topics() {
  if have_node; then
    probe kafka "$KAFKA_PORT" 2>/dev/null
  else
    kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:$KAFKA_PORT" \
      --describe --exclude-internal 2>/dev/null |
      awk '/^Topic:/ && /PartitionCount/ {for (i=1;i<=NF;i++) {if ($i=="Topic:") n=$(i+1); if ($i=="PartitionCount:") c=$(i+1)}; print n, c, 0}'
  fi
}

# all our topics exist and every partition has a leader
kafka_topics_ok() {
  local topics=$1 spec name
  for spec in "${KAFKA_TOPICS[@]}"; do
    name=${spec%%:*}
    awk -v n="$name" '$1 == n && $2 > 0 && $3 == 0 {f=1} END {exit !f}' <<<"$topics" || return 1
  done
}

kafka_spawn() {
  ensure_kafka_installed
  local pid
  if pid=$(kafka_pid); then
    return 0
  fi
  port_open "$KAFKA_PORT" && die "kafka: port $KAFKA_PORT is taken by another process (not started by this script)"
  kafka_write_config
  if [[ ! -f $KAFKA_DIR/data/meta.properties ]]; then
    [[ -s $KAFKA_DIR/cluster.id ]] || kafka_tool kafka.tools.StorageTool random-uuid >"$KAFKA_DIR/cluster.id"
    log "kafka: formatting storage $KAFKA_DIR/data (cluster id $(cat "$KAFKA_DIR/cluster.id"))"
    kafka_tool kafka.tools.StorageTool format -t "$(cat "$KAFKA_DIR/cluster.id")" \
      -c "$KAFKA_DIR/server.properties" --ignore-formatted >"$KAFKA_DIR/format.log" 2>&1 ||
      die_with_log "kafka: storage format failed" "$KAFKA_DIR/format.log"
  fi
  log "kafka: starting on 127.0.0.1:$KAFKA_PORT (KRaft, controller on $KAFKA_CONTROLLER_PORT)"
  {
    echo
    echo "===== $(date -Is) start"
  } >>"$KAFKA_DIR/kafka.out"
  setsid nohup java -Dshop.infra=kafka -Xms256m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -XX:+ExitOnOutOfMemoryError \
    -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$ROOT/scripts/kafka/log4j.properties" \
    -Dkafka.logs.dir="$KAFKA_DIR/logs" \
    -cp "$KAFKA_LIBS/*" kafka.Kafka "$KAFKA_DIR/server.properties" \
    >>"$KAFKA_DIR/kafka.out" 2>&1 </dev/null 9>&- &
  echo $! >"$KAFKA_DIR/kafka.pid"
}

kafka_wait_ready() {
  local i topics="" spec name parts created=0
  for ((i = 0; i < 600; i++)); do # 120 s
    if topics=$(kafka_topics); then
      # the broker answers metadata requests
      kafka_topics_ok "$topics" && return 0
      if [[ $created -eq 0 ]]; then
        created=1
        for spec in "${KAFKA_TOPICS[@]}"; do
          name=${spec%%:*}
          parts=${spec##*:}
          if ! awk -v n="$name" '$1 == n {f=1} END {exit !f}' <<<"$topics"; then
            log "kafka: creating topic $name ($parts partitions)"
            kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:$KAFKA_PORT" \
              --create --if-not-exists --topic "$name" --partitions "$parts" --replication-factor 1 \
              >>"$KAFKA_DIR/topics.log" 2>&1 ||
              die_with_log "kafka: creating topic $name failed" "$KAFKA_DIR/topics.log"
          fi
        done
        continue
      fi
    fi
    kafka_pid >/dev/null || die_with_log "kafka: exited during start-up" "$KAFKA_DIR/kafka.out" "$KAFKA_DIR/logs/server.log"
    sleep 0.2
  done
  die_with_log "kafka: not ready after 120s (topics: ${topics:-none})" "$KAFKA_DIR/logs/server.log"
}

kafka_start() {
  local pid
  if pid=$(kafka_pid) && kafka_topics_ok "$(kafka_topics || true)"; then
    log "kafka: already running (pid $pid)"
    return 0
  fi
  kafka_spawn
  kafka_wait_ready
}

kafka_stop() {
  local pid
  if pid=$(kafka_pid); then
    log "kafka: stopping (pid $pid)"
    terminate kafka "$pid" 60
  else
    log "kafka: not running"
  fi
  rm -f "$KAFKA_DIR/kafka.pid"
}

kafka_status() {
  local pid
  if pid=$(kafka_pid); then
    if kafka_topics_ok "$(kafka_topics || true)"; then
      status_line kafka up "$pid" "$KAFKA_PORT" "127.0.0.1:$KAFKA_PORT, topics ok"
    else
      status_line kafka down "$pid" "$KAFKA_PORT" "process alive but not ready (starting?)"
    fi
  else
    status_line kafka down "-" "$KAFKA_PORT"
  fi
}

# ---------------------------------------------------------------------------------------------
# commands

STATUS_DOWN=0
status_line() {
  printf '%-9s %-5s pid %-8s port %-6s %s\n' "$1" "$2" "$3" "$4" "${5:-}"
  [[ $2 == up ]] || STATUS_DOWN=1
}

canon() {
  case "$1" in
  postgres | postgresql | pg) echo postgres ;;
  redis) echo redis ;;
  kafka) echo kafka ;;
  ferretdb | ferret | mongo | mongodb) echo ferretdb ;;
  *) die "unknown server '$1' (postgres | redis | ferretdb | kafka)" ;;
  esac
}

start_one() {
  case "$1" in
  postgres) pg_start ;;
  redis) redis_start ;;
  ferretdb) ferret_start ;;
  kafka) kafka_start ;;
  esac
}

stop_one() {
  case "$1" in
  postgres)
    if ferret_pid >/dev/null; then warn "ferretdb stays running but cannot serve requests without postgres"; fi
    pg_stop
    ;;
  redis) redis_stop ;;
  ferretdb) ferret_stop ;;
  kafka) kafka_stop ;;
  esac
}

logs_one() {
  case "$1" in
  postgres) pg_paths && tail -n 50 "$PG_LOG" ;;
  redis) tail -n 50 "$REDIS_DIR/redis.log" ;;
  ferretdb) tail -n 50 "$FERRET_DIR/ferretdb.log" ;;
  kafka) tail -n 50 "$KAFKA_DIR/logs/server.log" ;;
  esac
}

# Serialise concurrent up/down/start/stop runs. Daemons are started with 9>&- so that they
# do not inherit (and keep holding) the lock.
lock() {
  mkdir -p "$LOCAL"
  exec 9>"$LOCAL/.infra.lock"
  if ! flock -n 9; then
    log "waiting for another scripts/infra.sh to finish"
    flock -w 900 9 || die "timed out waiting for the lock $LOCAL/.infra.lock"
  fi
}

cmd_up() {
  lock
  # Kafka (a JVM) is the slowest: launch it first, then bring up the rest while it boots.
  if ! kafka_pid >/dev/null; then kafka_spawn; fi
  pg_start
  redis_start
  ferret_start
  kafka_start
  log "all up in $(elapsed): postgres 127.0.0.1:$PG_PORT, redis 127.0.0.1:$REDIS_PORT, mongodb (ferretdb) 127.0.0.1:$FERRET_PORT, kafka 127.0.0.1:$KAFKA_PORT"
}

cmd_down() {
  lock
  ferret_stop
  kafka_stop
  redis_stop
  pg_stop
  log "all down in $(elapsed)"
}

cmd_status() {
  pg_status
  redis_status
  ferret_status
  kafka_status
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
    [[ $# -ge 2 ]] || die "usage: $0 $cmd <postgres|redis|ferretdb|kafka|all>"
    local name=$2 s i
    local names=()
    if [[ $name == all ]]; then names=("${SERVERS[@]}"); else names=("$(canon "$name")"); fi
    case "$cmd" in
    logs) for s in "${names[@]}"; do logs_one "$s"; done ;;
    start)
      lock
      for s in "${names[@]}"; do start_one "$s"; done
      ;;
    stop)
      lock
      for ((i = ${#names[@]} - 1; i >= 0; i--)); do stop_one "${names[i]}"; done
      ;;
    restart)
      lock
      for ((i = ${#names[@]} - 1; i >= 0; i--)); do stop_one "${names[i]}"; done
      for s in "${names[@]}"; do start_one "$s"; done
      ;;
    esac
    log "$cmd $name done in $(elapsed)"
    ;;
  -h | --help | help) sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' ;;
  *) die "unknown command '$cmd' (up | down | status | start <name> | stop <name> | restart <name> | logs <name>)" ;;
  esac
}

main "$@"
