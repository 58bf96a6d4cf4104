#!/usr/bin/env bash
# Builds the pinned tools into bin/ from source (never a prebuilt download).
# Each tool has a stamp, bin/.NAME.version; a tool whose stamp matches is not
# touched, so a warm run only reads stamps. A binary without a stamp (built by
# hand, or half-written by an interrupted build) is adopted only if its embedded
# build info names the pinned version, else it is rebuilt.
set -euo pipefail

cd "$(dirname "$0")/.."
BIN=$PWD/bin
mkdir -p "$BIN"

# name  package  version
TOOLS=(
  "temporal      github.com/temporalio/cli/cmd/temporal              v1.5.1"
  "mailpit       github.com/axllent/mailpit                          v1.27.11"
  "staticcheck   honnef.co/go/tools/cmd/staticcheck                  v0.8.2"
  "workflowcheck go.temporal.io/sdk/contrib/tools/workflowcheck      v0.6.0"
)
# temporal v1.5.1 is the newest CLI that builds from the module proxy here
# (v1.9.1 fails); its `--version` prints 0.0.0-DEV (Server 1.29.1), so the
# version is checked from the build info instead.

# built_version BINARY PACKAGE: the module version BINARY was built from, if it
# was built from PACKAGE.
built_version() {
  go version -m "$1" 2>/dev/null | awk -v pkg="$2" '
    $1 == "path" && $2 != pkg { exit }
    $1 == "mod" { print $3; exit }'
}

total=$SECONDS
built=0
for line in "${TOOLS[@]}"; do
  read -r name pkg version <<<"$line"
  stamp=$BIN/.$name.version
  want="$pkg@$version"
  if [[ -x $BIN/$name && -f $stamp && $(<"$stamp") == "$want" ]]; then
    continue
  fi
  if [[ -x $BIN/$name && $(built_version "$BIN/$name" "$pkg") == "$version" ]]; then
    echo "$want" >"$stamp"
    echo "tools: bin/$name is already $version"
    continue
  fi
  rm -f "$stamp"
  echo "tools: building bin/$name ($want) ..."
  t0=$SECONDS
  GOBIN=$BIN go install "$want"
  echo "$want" >"$stamp"
  echo "tools: built bin/$name in $((SECONDS - t0))s"
  built=$((built + 1))
done
echo "tools: up to date in $((SECONDS - total))s ($built built)"
