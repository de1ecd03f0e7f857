#!/usr/bin/env bash
# Checks the observability configuration in the repo (run by scripts/test.sh before Jest):
# both Prometheus scrape configs (local and docker-compose) pass `promtool check config`.
set -euo pipefail
cd "$(dirname "$0")/.."

configs=(observability/prometheus/prometheus.yml observability/prometheus/prometheus.compose.yml)
if ! command -v promtool >/dev/null; then
  # scripts/infra.sh up installs it (Debian's prometheus package) unless SHOP_METRICS_SERVER=off
  if [[ ${CI:-} == true ]]; then
    echo "promtool not found: cannot check ${configs[*]} (apt-get install prometheus)" >&2
    exit 1
  fi
  echo "promtool not found (apt-get install prometheus): ${configs[*]} not checked" >&2
  exit 0
fi
promtool check config "${configs[@]}"
