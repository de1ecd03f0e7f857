# Helpers sourced by start.sh and test.sh.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOCAL="$ROOT/.local"
mkdir -p "$LOCAL"

log() { printf '\033[1m[%s] %s\033[0m\n' "$(date +%H:%M:%S)" "$*"; }

docker_available() {
  [ "${SHOP_INFRA:-}" != "local" ] && command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1
}

# npm ci when node_modules is missing or older than the lock file; fast otherwise.
ensure_node_modules() {
  local stamp="$ROOT/node_modules/.shop-installed"
  if [ ! -f "$stamp" ] || [ "$ROOT/package-lock.json" -nt "$stamp" ]; then
    log "installing npm dependencies (npm ci)"
    (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error)
    touch "$stamp"
  fi
}
