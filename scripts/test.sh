#!/usr/bin/env bash
# The test command (`make test`): pinned tools (bin/temporal, bin/mailpit, the
# checkers), Chromium (installed as root with apt-get, else it stops with the
# command to run), PostgreSQL, a Temporal dev server, the static checks, then
# `go test` against those services.
#
#   scripts/test.sh [go test args]          e.g. scripts/test.sh -run TestApply ./internal/store
#   scripts/test.sh --bench [go test args]  benchmarks instead of checks + tests
#
# Env: ROSTERSYNC_TEST_DATABASE_URL or DATABASE_URL (a server to use instead of
# the local one or a throw-away cluster); CHECKS=0 skips gofmt/vet/staticcheck/
# workflowcheck.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

mode="test"
if [[ ${1-} == --bench ]]; then mode=bench; shift; fi
args=("$@")
# Default to every package unless the caller named some.
has_pkg=0 browser=0
for a in "${args[@]}"; do
  [[ $a == ./* || $a == *... ]] && has_pkg=1
  [[ $a == ./... || $a == ./internal/... || $a == ./internal/e2e* ]] && browser=1
done
((has_pkg)) || { args+=(./...); browser=1; }

# Set-up first, so a missing prerequisite stops the run before anything else.
[[ $mode == bench ]] || ((browser == 0)) || ensure_chromium
scripts/tools.sh

start_postgres "${ROSTERSYNC_TEST_DATABASE_URL:-${DATABASE_URL:-}}"
start_temporal "" ""
export ROSTERSYNC_TEST_DATABASE_URL=$PG_URL
export ROSTERSYNC_TEST_TEMPORAL_ADDRESS=$TEMPORAL_ADDR
export ROSTERSYNC_REQUIRE_SERVICES=1

failed=()
check_gofmt() {
  local files
  files=$(find . -name '*.go' -not -path './.tmp/*' -not -path './bin/*' -print0 | xargs -0r gofmt -l)
  [[ -z $files ]] || { printf 'not gofmt-ed:\n%s\n' "$files"; return 1; }
}
step() {
  local name=$1 t0=$SECONDS; shift
  log "$name"
  if run "$@"; then
    echo "    ok ($((SECONDS - t0))s)"
  else
    echo "    FAILED: $name ($((SECONDS - t0))s)"
    failed+=("$name")
  fi
}

if [[ $mode == bench ]]; then
  step "go test -bench" go test -run '^$' -bench . -benchmem "${args[@]}"
else
  if [[ ${CHECKS:-1} != 0 ]]; then
    step "gofmt -l" check_gofmt
    step "go vet" go vet ./...
    step "staticcheck" bin/staticcheck ./...
    if [[ -n $(find workflows -name '*.go' 2>/dev/null | head -1) ]]; then
      step "workflowcheck" bin/workflowcheck ./workflows/...
    fi
  fi
  step "go test" go test -count=1 -timeout 30m "${args[@]}"
fi

if ((${#failed[@]})); then
  printf 'FAILED: %s\n' "${failed[@]}" >&2
  exit 1
fi
log "all passed"
