# Go toolchain and Go-built servers (FerretDB, Jaeger), sourced by their scripts.
GO_FALLBACK_VERSION=1.24.6 # only when no usable `go` (>= 1.21) is installed; scripts/jaeger needs 1.24.6

GO=""
find_go() {
  [[ -n $GO ]] && return 0
  local g v maj min
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
  *) die "go: unsupported architecture $(uname -m) for the Go toolchain" ;;
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

# Build package $4 of our small module scripts/$2 into binary $3, unless the binary exists and
# was built from the same go.mod/go.sum/*.go (checksum kept in $3.stamp).
#   go_build_cached <name> <module dir under scripts/> <binary> <package> <what, for the log>
go_build_cached() {
  local name=$1 dir="$ROOT/scripts/$2" bin=$3 pkg=$4 what=$5 stamp f
  local sources=("$dir/go.mod" "$dir/go.sum")
  for f in "$dir"/*.go; do [[ -f $f ]] && sources+=("$f"); done # scripts/jaeger has none
  stamp=$(cat "${sources[@]}" | cksum | cut -d' ' -f1)
  if [[ -x $bin && -f $bin.stamp && $(cat "$bin.stamp") == "$stamp" ]]; then
    return 0
  fi
  ensure_go
  log "$name: building $what from scripts/$2 with $($GO env GOVERSION)"
  mkdir -p "$(dirname "$bin")"
  (cd "$dir" && CGO_ENABLED=0 "$GO" build -trimpath -ldflags="-s -w" -o "$bin.tmp" "$pkg") \
    >"$CACHE/$name-build.log" 2>&1 || die_with_log "$name: go build failed" "$CACHE/$name-build.log"
  mv -f "$bin.tmp" "$bin"
  echo "$stamp" >"$bin.stamp"
}
