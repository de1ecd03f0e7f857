# Helpers sourced by start.sh and test.sh.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOCAL="$ROOT/.local"
mkdir -p "$LOCAL"

# every node, npm and npx below is Node 24 (scripts/node.sh), whichever npm launched us
source "$ROOT/scripts/node.sh"
use_node24 || exit 1

log() { printf '\033[1m[%s] %s\033[0m\n' "$(date +%H:%M:%S)" "$*"; }

docker_available() {
  [ "${SHOP_INFRA:-}" != "local" ] && command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1
}

# npm ci when node_modules is missing or older than the lock file; npm rebuild when they were
# built by a Node with another ABI (native addons would fail to load); fast otherwise.
ensure_node_modules() {
  local stamp="$ROOT/node_modules/.shop-installed" abi
  abi="node-abi=$(node -p process.versions.modules)"
  if [ ! -f "$stamp" ] || [ "$ROOT/package-lock.json" -nt "$stamp" ]; then
    log "installing npm dependencies (npm ci)"
    (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error)
  elif [ "$(cat "$stamp")" != "$abi" ]; then
    log "node_modules were built for another Node ($(cat "$stamp" || true)); npm rebuild for $abi"
    (cd "$ROOT" && npm rebuild --loglevel=error)
  else
    return 0
  fi
  echo "$abi" >"$stamp"
}
