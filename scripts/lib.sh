# shellcheck shell=bash
# Shared helpers for scripts/*.sh: free ports, a PostgreSQL and a Temporal dev
# server for the length of one script, and a cleanup that stops whatever the
# script started (on success, on failure and on Ctrl-C). Source it; don't run it.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DEFAULT_PG_URL="postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
# Where to look for initdb/pg_ctl when they are not on PATH (unset to search the
# usual places; set to "" to pretend there are none).
PG_SEARCH_DIRS=${PG_SEARCH_DIRS-"/usr/lib/postgresql/*/bin /opt/homebrew/opt/postgresql@*/bin /usr/local/opt/postgresql@*/bin"}

# Logs and throw-away data of this run; the logs are tailed and kept on failure.
WORK=$(mktemp -d "${TMPDIR:-/tmp}/rostersync.XXXXXX")
LOGS=$WORK           # where services log; tailed on failure
STARTED_AT=$SECONDS
GROUPS_STARTED=()    # process-group ids (see spawn) stopped on exit
RUNNING=             # process group of the command run() waits for
ON_EXIT=()           # extra commands run on exit, last first

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
have() { command -v "$1" >/dev/null 2>&1; }

# spawn LOG CMD...: runs CMD in the background in its own process group (so a
# cleanup can stop it and everything it started), output to LOG; sets SPAWNED.
spawn() {
  local out=$1; shift
  if have setsid; then
    setsid "$@" >"$out" 2>&1 </dev/null &
  else
    "$@" >"$out" 2>&1 </dev/null &
  fi
  SPAWNED=$!
  GROUPS_STARTED+=("$SPAWNED")
}

# run CMD...: like running CMD in the foreground, but in its own process group
# and interruptible, so Ctrl-C (or a SIGINT/SIGTERM sent to the script alone)
# reaches the cleanup at once and the cleanup stops CMD and its children.
run() {
  if have setsid && [[ $(type -t "$1") == file ]]; then
    setsid "$@" </dev/null &
  else
    "$@" </dev/null &
  fi
  RUNNING=$!
  local rc=0
  wait "$RUNNING" || rc=$?
  RUNNING=
  return "$rc"
}

stop_group() {
  local pid=$1 i
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || return 0
  for i in $(seq 50); do
    kill -0 -- "-$pid" 2>/dev/null || kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$? i f
  trap - EXIT INT TERM
  set +e
  # Tail the logs before stopping, so they end with the failure, not the shutdown.
  if ((rc != 0)); then
    for f in "$LOGS"/*.log "$WORK"/pg/*.log; do
      [[ -s $f ]] || continue
      printf '\n--- last lines of %s ---\n' "$f" >&2
      tail -n 25 "$f" >&2
    done
  fi
  [[ -n $RUNNING ]] && stop_group "$RUNNING"
  for ((i = ${#GROUPS_STARTED[@]} - 1; i >= 0; i--)); do stop_group "${GROUPS_STARTED[i]}"; done
  for ((i = ${#ON_EXIT[@]} - 1; i >= 0; i--)); do eval "${ON_EXIT[i]}"; done
  if ((rc != 0)) && [[ -n $(ls -A "$LOGS" 2>/dev/null) ]]; then
    printf '\nlogs kept in %s\n' "$LOGS" >&2
    [[ $LOGS == "$WORK" ]] || rm -rf "$WORK"
  else
    rm -rf "$WORK"
  fi
  printf '%s after %ds (exit %d)\n' "$(basename "$0")" $((SECONDS - STARTED_AT)) "$rc" >&2
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
  if have python3; then
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
    return
  fi
  local p
  while :; do
    p=$((20000 + RANDOM % 40000))
    port_open 127.0.0.1 "$p" || { echo "$p"; return; }
  done
}

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# port_or_free P: P if nobody listens on it, else a free port.
port_or_free() {
  if port_open 127.0.0.1 "$1"; then free_port; else echo "$1"; fi
}

# wait_port NAME PORT PID [SECONDS]: until 127.0.0.1:PORT accepts connections;
# fails early if PID has exited.
wait_port() {
  local name=$1 port=$2 pid=$3 limit=${4:-60} i
  for ((i = 0; i < limit * 10; i++)); do
    port_open 127.0.0.1 "$port" && return 0
    kill -0 "$pid" 2>/dev/null || die "$name exited before it listened on :$port"
    sleep 0.1
  done
  die "$name did not listen on :$port within ${limit}s"
}

pg_answers() {
  if have pg_isready; then
    pg_isready -q -t 3 -d "$1"
  elif have psql; then
    psql "$1" -Atqc 'select 1' >/dev/null 2>&1
  else
    local hostport=${1#*@}; hostport=${hostport%%/*}
    port_open "${hostport%%:*}" "${hostport##*:}"
  fi
}

pg_bindir() {
  local d
  if have initdb && have pg_ctl; then dirname "$(command -v initdb)"; return; fi
  # shellcheck disable=SC2086 # the globs are meant to expand
  for d in $(printf '%s\n' $PG_SEARCH_DIRS | sort -V -r); do
    [[ -x $d/initdb && -x $d/pg_ctl ]] && { echo "$d"; return; }
  done
  return 1
}

# as_pg_user CMD...: initdb and postgres refuse to run as root.
as_pg_user() {
  if [[ $(id -u) != 0 ]]; then "$@"; return; fi
  id postgres >/dev/null 2>&1 || die "running as root, but there is no user 'postgres' to run PostgreSQL as"
  if have runuser; then
    runuser -u postgres -- "$@"
  else
    su postgres -s /bin/sh -c "$(printf '%q ' "$@")"
  fi
}

# start_postgres [URL]: uses URL (default: the local server on 5432) if it
# answers, else starts a throw-away cluster on a free port that is stopped and
# deleted on exit. Sets PG_URL to an admin URL (database postgres).
start_postgres() {
  local want=${1:-$DEFAULT_PG_URL}
  if pg_answers "$want"; then
    PG_URL=$want
    log "PostgreSQL: using ${PG_URL}"
    return
  fi
  local bin
  if ! bin=$(pg_bindir); then
    # shellcheck disable=SC2016 # the backquotes are meant literally
    echo 'PostgreSQL not found: install it with `sudo apt-get install -y postgresql` (Debian/Ubuntu) or `brew install postgresql@16` (macOS), or set DATABASE_URL to a server you can use' >&2
    exit 2
  fi
  local dir=$WORK/pg port t0=$SECONDS
  port=$(free_port)
  mkdir -p "$dir"
  chmod 755 "$WORK"
  [[ $(id -u) == 0 ]] && chown postgres "$dir"
  log "PostgreSQL: $want does not answer; starting a throw-away cluster on :$port ($bin)"
  (cd "$dir" && as_pg_user "$bin/initdb" -D "$dir/data" -U postgres -A trust --no-sync -E UTF8 --locale=C.UTF-8) >"$LOGS/initdb.log" 2>&1 ||
    die "initdb failed (see $LOGS/initdb.log)"
  ON_EXIT+=("(cd '$dir' && as_pg_user '$bin/pg_ctl' -D '$dir/data' -m immediate stop >/dev/null 2>&1); rm -rf '$dir'")
  (cd "$dir" && as_pg_user "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    start) >"$LOGS/pg_ctl.log" 2>&1 || die "PostgreSQL did not start"
  PG_URL="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
  log "PostgreSQL: ready at $PG_URL in $((SECONDS - t0))s"
}

# start_temporal PORT UI_PORT [start-dev flags...]: the pinned dev server, in
# memory, on PORT (""= a free one), with the Web UI on UI_PORT ("" = headless).
# Sets TEMPORAL_ADDR (host:port).
start_temporal() {
  local port=${1:-$(free_port)} ui=$2 t0=$SECONDS
  shift 2
  local args=(server start-dev --ip 127.0.0.1 --port "$port" --http-port "$(free_port)"
    --metrics-port "$(free_port)" --log-level warn
    --search-attribute RostersyncOrg=Keyword --search-attribute RostersyncOutcome=Keyword)
  if [[ -n $ui ]]; then args+=(--ui-port "$ui"); else args+=(--headless); fi
  TEMPORAL_ADDR=127.0.0.1:$port
  log "Temporal: starting the dev server on $TEMPORAL_ADDR${ui:+ (UI :$ui)}"
  spawn "$LOGS/temporal.log" "$ROOT/bin/temporal" "${args[@]}" "$@"
  local pid=$SPAWNED i
  for ((i = 0; i < 600; i++)); do
    if "$ROOT/bin/temporal" operator cluster health --address "$TEMPORAL_ADDR" >/dev/null 2>&1; then
      log "Temporal: ready at $TEMPORAL_ADDR in $((SECONDS - t0))s"
      return
    fi
    kill -0 "$pid" 2>/dev/null || die "the Temporal dev server exited (see $LOGS/temporal.log)"
    sleep 0.1
  done
  die "the Temporal dev server did not answer within 60s"
}

# chromium_path: ROSTERSYNC_CHROMIUM, or a Chromium/Chrome on PATH (the names
# internal/e2e looks for); fails when there is none.
chromium_path() {
  local c
  if [[ -n ${ROSTERSYNC_CHROMIUM:-} ]]; then
    command -v "$ROSTERSYNC_CHROMIUM" 2>/dev/null
    return
  fi
  for c in chromium chromium-browser google-chrome google-chrome-stable; do
    command -v "$c" 2>/dev/null && return
  done
  return 1
}

# ensure_chromium: the browser test (TestTemporalWebShowsDecodedHistory) needs
# Chromium. As root with apt-get, installs Debian's chromium (updating the
# package lists first if the package is unknown); otherwise stops at once
# with the command to run.
ensure_chromium() {
  local path t0=$SECONDS
  if path=$(chromium_path); then
    log "Chromium: $path"
    return
  fi
  [[ -z ${ROSTERSYNC_CHROMIUM:-} ]] || die "ROSTERSYNC_CHROMIUM=$ROSTERSYNC_CHROMIUM is not an executable"
  if have apt-get && [[ $(id -u) == 0 ]]; then
    log "Chromium: not installed; installing Debian's chromium (apt-get install -y chromium) ..."
    local apt_log=$LOGS/apt-chromium.log
    if DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >"$apt_log" 2>&1 ||
      { log "Chromium: updating the package lists (apt-get update) and trying again ..." &&
        DEBIAN_FRONTEND=noninteractive apt-get update -q >>"$apt_log" 2>&1 &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >>"$apt_log" 2>&1; }; then
      path=$(chromium_path) || die "apt-get installed chromium, but it is not on PATH (see $apt_log)"
      log "Chromium: installed $path ($("$path" --version 2>/dev/null || echo '?')) in $((SECONDS - t0))s"
      return
    fi
    tail -n 15 "$apt_log" >&2
    die "could not install chromium with apt-get (log above); install it yourself, or set ROSTERSYNC_CHROMIUM to a Chromium/Chrome binary"
  fi
  local cmd
  if have apt-get; then
    cmd="sudo apt-get install -y chromium"
  elif have brew; then
    cmd="brew install --cask chromium"
  elif have dnf; then
    cmd="sudo dnf install -y chromium"
  else
    cmd="install Chromium or Google Chrome with your package manager"
  fi
  printf 'error: the browser test needs Chromium, which is not installed, and this script can only install it as root with apt-get. Run:\n\n    %s\n\nthen run the tests again (or set ROSTERSYNC_CHROMIUM=/path/to/chromium).\n' "$cmd" >&2
  exit 2
}
