# Node.js 24 LTS for every entry point (sourced by scripts/lib.sh and .ci/run).
#
# A fresh machine may have only an older Node (the one `npm start` / `npm test` were launched
# with). The npm registry serves Node itself as the platform package node-linux-<arch>, so we
# `npm pack` the pinned version (no download site needed), unpack it into the cache outside the
# repo, and put its bin first on PATH. npm_config_nodedir points node-gyp at the headers in that
# folder, so native addons (better-sqlite3) build for this Node without a header download.
SHOP_NODE_VERSION=24.22.3

use_node24() {
  : "${HOME:=$(getent passwd "$(id -u)" | cut -d: -f6)}"
  local cache="${SHOP_CACHE_DIR:-$HOME/.cache/shop-supergraph}"
  local dir="$cache/node-$SHOP_NODE_VERSION"
  local want="v$SHOP_NODE_VERSION"
  if [[ ${SHOP_NODE_DIR:-} == "$dir" && $(command -v node) == "$dir/bin/node" ]]; then
    return 0 # an outer script already set this shell up (and said so)
  fi
  if [[ $("$dir/bin/node" --version 2>/dev/null) != "$want" ]]; then
    node24_install "$cache" "$dir" || return 1
  fi
  export PATH="$dir/bin:$PATH"
  export npm_config_nodedir="$dir"
  export SHOP_NODE_DIR="$dir"
  hash -r
  echo "node: $want ($dir/bin/node)"
}

node24_install() {
  local cache=$1 dir=$2 arch pkg tgz tmp
  case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "node: no node-linux package for $(uname -m); install Node $SHOP_NODE_VERSION yourself" >&2 && return 1 ;;
  esac
  pkg="node-linux-$arch@$SHOP_NODE_VERSION"
  command -v npm >/dev/null || { echo "node: npm is needed to fetch $pkg" >&2 && return 1; }
  mkdir -p "$cache/node"
  tgz="$cache/node/node-linux-$arch-$SHOP_NODE_VERSION.tgz"
  if [[ ! -s $tgz ]] || ! tar -tzf "$tgz" >/dev/null 2>&1; then
    echo "node: fetching $pkg from the npm registry (~52 MB, once)"
    (cd "$cache/node" && npm pack "$pkg" --silent >/dev/null) || {
      echo "node: npm pack $pkg failed" >&2
      return 1
    }
  fi
  tmp=$(mktemp -d "$cache/node-unpack.XXXXXX")
  tar -xzf "$tgz" -C "$tmp" && rm -rf "$dir" && mv "$tmp/package" "$dir"
  rm -rf "$tmp"
  [[ $("$dir/bin/node" --version 2>/dev/null) == "v$SHOP_NODE_VERSION" ]] || {
    echo "node: $dir/bin/node does not run as v$SHOP_NODE_VERSION" >&2
    return 1
  }
}
