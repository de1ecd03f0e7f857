#!/usr/bin/env bash
# Checks the Helm chart offline: `helm lint` and `helm template` with the default and the
# production values, then every rendered object is decoded strictly into the Kubernetes API's
# own Go types (deploy/checker), failing on an unknown field or a wrong type.
# Helm (deploy/helm-tool, a Go module with Helm as a tool dependency) and the checker are built
# once into ${SHOP_CACHE_DIR:-$HOME/.cache/shop-supergraph}; later runs take a second.
# Usage: scripts/check-helm.sh            lint, render, validate
#        scripts/check-helm.sh --tools    only build the tools and print the checker's path
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
: "${HOME:=$(getent passwd "$(id -u)" | cut -d: -f6)}"
CACHE="${SHOP_CACHE_DIR:-$HOME/.cache/shop-supergraph}"
HELM_VERSION=v3.19.0 # keep in step with deploy/helm-tool/go.mod
KUBE_VERSION=1.34.0 # the Kubernetes the chart is rendered for (k8s.io/api in deploy/checker)
CHART="$ROOT/deploy/helm/shop-supergraph"
log() { printf '[check-helm %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# the same places scripts/infra/go.sh looks: a minimal PATH may lack the machine's Go
command -v go >/dev/null || PATH="$PATH:/usr/local/go/bin:$CACHE/go/bin"
command -v go >/dev/null || { echo "check-helm: needs Go (>= 1.25): install it or run scripts/infra.sh up" >&2; exit 1; }
export GOFLAGS=-mod=mod GOTOOLCHAIN=local

HELM="$CACHE/helm-$HELM_VERSION/helm"
if [ ! -x "$HELM" ]; then
  log "building Helm $HELM_VERSION (first run only, a few minutes)"
  mkdir -p "$(dirname "$HELM")"
  (cd "$ROOT/deploy/helm-tool" && go build -trimpath \
    -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" \
    -o "$HELM.tmp" helm.sh/helm/v3/cmd/helm)
  mv "$HELM.tmp" "$HELM"
fi

# the checker is rebuilt whenever its sources change
sum=$(cat "$ROOT"/deploy/checker/go.mod "$ROOT"/deploy/checker/go.sum "$ROOT"/deploy/checker/*.go | sha256sum | cut -c1-12)
CHECKER="$CACHE/manifest-check-$sum/manifest-check"
if [ ! -x "$CHECKER" ]; then
  log "building the manifest checker"
  mkdir -p "$(dirname "$CHECKER")"
  (cd "$ROOT/deploy/checker" && go build -trimpath -o "$CHECKER.tmp" .)
  mv "$CHECKER.tmp" "$CHECKER"
fi
if [ "${1:-}" = "--tools" ]; then
  echo "$CHECKER"
  exit 0
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for values in values.yaml values-production.yaml; do
  log "$values: helm lint, helm template, strict decoding"
  "$HELM" lint --strict --quiet "$CHART" -f "$CHART/$values" >"$out/lint.txt" 2>&1 || { cat "$out/lint.txt"; exit 1; }
  "$HELM" template shop "$CHART" -f "$CHART/$values" --kube-version "$KUBE_VERSION" >"$out/$values"
  "$CHECKER" "$out/$values"
done
