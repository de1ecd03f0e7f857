# Shared by scripts/infra.sh and the per-server scripts beside this file (sourced, not run).
#
# Every location and port can be overridden from the environment, so a second copy of the
# infrastructure can run beside the usual one (for example to test these scripts):
#   SHOP_LOCAL_DIR   runtime data, pid files and logs     default <repo>/.local
#   SHOP_CACHE_DIR   downloads and builds (outside repo)  default ~/.cache/shop-supergraph
# Ports: see the top of each server's script (PG_PORT, REDIS_PORT, FERRET_PORT, KAFKA_PORT, ...).

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# runuser, initdb's helpers and apt live in sbin, which a minimal (CI or cron) PATH may lack
case ":$PATH:" in *:/usr/sbin:*) ;; *) PATH="$PATH:/usr/sbin:/sbin" ;; esac
INFRA="$ROOT/scripts/infra"
: "${HOME:=$(getent passwd "$(id -u)" | cut -d: -f6)}"
export HOME
LOCAL="${SHOP_LOCAL_DIR:-$ROOT/.local}"
CACHE="${SHOP_CACHE_DIR:-$HOME/.cache/shop-supergraph}"

T0=$(date +%s%N)
log() { printf '[infra %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
warn() { printf '[infra %s] WARNING: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() {
  printf '[infra %s] ERROR: %s\n' "$(date +%H:%M:%S)" "$*" >&2
  exit 1
}
elapsed() { echo "$((($(date +%s%N) - T0) / 1000000))ms"; }

# die with the tail of each given log file
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

# HTTP GET on loopback succeeds (2xx)
http_ok() { curl -fsS -o /dev/null --max-time 3 "http://127.0.0.1:$1$2" 2>/dev/null; }

# process exists and is not a zombie (reparented daemons are reaped lazily by some inits)
pid_running() {
  local stat
  kill -0 "$1" 2>/dev/null || return 1
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) } # the state letter follows "(comm) "
  [[ ${stat:0:1} != Z && ${stat:0:1} != X ]]
}

# pid stored in file $1, alive, and its command line contains $2: prints the pid
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

# SIGTERM, wait up to $3 seconds, then SIGKILL
terminate() {
  local name=$1 pid=$2 secs=$3
  kill -TERM "$pid" 2>/dev/null || return 0
  if ! wait_pid_exit "$pid" "$secs"; then
    warn "$name (pid $pid) did not stop within ${secs}s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    wait_pid_exit "$pid" 5 || true
  fi
}

# Start a daemon in its own session, output appended to $2, pid written to $1. 9>&-: daemons
# must not inherit (and keep holding) the lock file descriptor (see lock()).
spawn() {
  local pidfile=$1 logfile=$2
  shift 2
  mkdir -p "$(dirname "$pidfile")" "$(dirname "$logfile")"
  setsid nohup "$@" >>"$logfile" 2>&1 </dev/null 9>&- &
  local pid=$! i
  echo "$pid" >"$pidfile"
  # Until the forked shell has exec'd the command, /proc/<pid>/cmdline is still this script's,
  # and a pid check that matches on the command line (pidfile_alive) would report the server
  # as gone: wait (up to 2 s) for the exec so callers can poll readiness straight away.
  for ((i = 0; i < 20; i++)); do
    [[ $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) != "$(tr '\0' ' ' <"/proc/$$/cmdline")" ]] && break
    sleep 0.1
  done
}

# Stop the daemon whose pid $2 printed (a *_pid function), removing pid file $3.
stop_pidfile() {
  local name=$1 pidfn=$2 pidfile=$3 secs=${4:-15} pid
  if pid=$($pidfn); then
    log "$name: stopping (pid $pid)"
    terminate "$name" "$pid" "$secs"
  else
    log "$name: not running"
  fi
  rm -f "$pidfile"
}

# Poll command "$2..." every 0.2 s for up to $1 seconds; returns 1 on timeout.
wait_until() {
  local secs=$1 i
  shift
  for ((i = 0; i < secs * 5; i++)); do
    "$@" && return 0
    sleep 0.2
  done
  return 1
}

# For wait_until while a daemon starts: 0 once "$1" (a readiness check) passes, 1 while the pid
# function "$2" still finds the process, and die with its log $4 when it has exited.
ready_or_alive() {
  "$1" && return 0
  "$2" >/dev/null || die_with_log "$3: exited during start-up" "$4"
  return 1
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
  local apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get)
  local opts=(-y -q --no-install-recommends -o DPkg::Lock::Timeout=600)
  if ! "${apt[@]}" install "${opts[@]}" "$@"; then
    [[ $APT_UPDATED -eq 0 ]] || die "apt-get install $* failed"
    log "apt-get install failed; running apt-get update and retrying"
    "${apt[@]}" update -q -o DPkg::Lock::Timeout=600
    APT_UPDATED=1
    "${apt[@]}" install "${opts[@]}" "$@" || die "apt-get install $* failed"
  fi
}

# probe.js speaks the Kafka and MongoDB wire protocols (see that file)
have_node() { command -v node >/dev/null; }
probe() { node "$INFRA/probe.js" "$@"; }

# A server is switched off by configuration when its variable is "off" (or 0/false/no).
switched_off() { [[ ${!1:-on} =~ ^(off|0|false|no)$ ]]; }

STATUS_DOWN=0
status_line() {
  printf '%-10s %-5s pid %-8s port %-6s %s\n' "$1" "$2" "$3" "$4" "${5:-}"
  [[ $2 == up || $2 == off ]] || STATUS_DOWN=1
}

# Status of a server that configuration can switch off (variable $2):
#   optional_status <name> <switch variable> <pid function> <ready function> <port> <detail when up>
optional_status() {
  local name=$1 switch=$2 pidfn=$3 readyfn=$4 port=$5 detail=$6 pid
  if pid=$($pidfn) && $readyfn; then
    status_line "$name" up "$pid" "$port" "$detail"
  elif switched_off "$switch"; then
    status_line "$name" off "-" "$port" "$switch=off"
  else
    status_line "$name" down "${pid:--}" "$port"
  fi
}

# Serialise concurrent up/down/start/stop runs.
lock() {
  mkdir -p "$LOCAL"
  exec 9>"$LOCAL/.infra.lock"
  if ! flock -n 9; then
    log "waiting for another scripts/infra.sh to finish"
    flock -w 900 9 || die "timed out waiting for the lock $LOCAL/.infra.lock"
  fi
}

# Run a server script directly: scripts/infra/<name>.sh start|stop|status|logs
server_main() {
  local name=$1 cmd=${2:-status}
  case "$cmd" in
  start | stop) lock && "${name}_$cmd" ;;
  status) "${name}_status" && return "$STATUS_DOWN" ;;
  logs) "${name}_logs" ;;
  *) die "usage: scripts/infra/$name.sh start|stop|status|logs" ;;
  esac
}
