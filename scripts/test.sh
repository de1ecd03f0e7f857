#!/usr/bin/env bash
# The full test suite: starts the infrastructure it needs, installs and generates what is
# missing, checks the schema, lint, formatting and types, then runs every Jest test against
# the real servers. Ends with a plain "N passed, N failed" line.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
# CI reads the last line; a step that fails before Jest still ends with a summary.
trap 'echo "0 passed, 1 failed (a step before the tests failed; see above)"' ERR

if docker_available; then
  log "Docker engine found: starting infrastructure with docker compose"
  export SHOP_INFRA=docker
  bash scripts/infra.sh up
else
  log "no Docker engine: starting local servers"
  bash scripts/infra.sh up
fi

ensure_node_modules
log "generating code"
bash scripts/generate.sh
log "schema check"
npm run --silent schema:check
log "lint and format"
npm run --silent lint
log "type check"
npm run --silent typecheck
log "observability config check"
bash scripts/check-observability.sh

log "helm chart: lint, render, validate"; bash scripts/check-helm.sh
log "jest"
results="$LOCAL/jest-results.json"
rm -f "$results"
trap - ERR
set +e
npx jest --ci --json --outputFile="$results" "$@"
status=$?
set -e
[ -f "$results" ] || { echo "0 passed, 1 failed (jest produced no results)"; exit 1; }
node -e '
  const r = require(process.argv[1]);
  const failed = r.numFailedTests + r.numRuntimeErrorTestSuites;
  console.log(`${r.numPassedTests} passed, ${failed} failed`);
  if (r.numTotalTests === 0) { console.error("no tests ran"); process.exit(1); }
' "$results" || status=1
exit "$status"
