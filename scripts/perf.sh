#!/usr/bin/env bash
# The performance report (`make perf`): the same services as `make test`, then
# BenchmarkPerf (sizes, scenarios, floor, targets) and, when COMPANIES is set,
# BenchmarkManyCompanies. Figures, JSON and plots go to OUT (default .tmp/perf).
#
#   make perf                                  1,000 and 10,000 people (a few minutes)
#   make perf PEOPLE=1000,10000,100000,200000  the issue's sizes
#   make perf LIMITED=1 PEOPLE=10000           at the contract's 10 req/s, strict server
#   make perf COMPANIES=1000                   1,000 companies of 1,000 people at once
#   make perf COMPANIES=1000 WORKERS=2         the same on two workers
set -euo pipefail
cd "$(dirname "$0")/.."
export ROSTERSYNC_PERF_PEOPLE=${PEOPLE:-1000,10000}
export ROSTERSYNC_PERF_RATE_LIMITED=${LIMITED:-0}
export ROSTERSYNC_PERF_OUT=${OUT:-$PWD/.tmp/perf}
export ROSTERSYNC_PERF_COMPANIES=${COMPANIES:-}
export ROSTERSYNC_PERF_COMPANY_PEOPLE=${COMPANY_PEOPLE:-1000}
export ROSTERSYNC_PERF_WORKERS=${WORKERS:-1}
bench='^BenchmarkPerf$'
[[ -n $ROSTERSYNC_PERF_COMPANIES ]] && bench='^BenchmarkManyCompanies$'
exec scripts/test.sh --bench -bench "$bench" -benchtime 1x -timeout 0 ./internal/e2e
