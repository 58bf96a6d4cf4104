#!/usr/bin/env bash
# `make demo`: everything on this machine, then a first sync you can look at.
#
# PostgreSQL (DATABASE_URL if it answers, else the local server's database
# rostersync, else a throw-away cluster), the Temporal dev server with its Web UI
# on :8233, Mailpit on :8025, the Justworks sandbox (300 people, seed 7), the
# worker; then the starter configures org "demo" and runs its first sync.
# Runs until Ctrl-C and stops all it started; DEMO_EXIT=1 exits after the sync.
# Secrets live in .tmp/ (gitignored) and are reused by later runs.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
trap 'exit 0' INT # Ctrl-C is how a demo ends

DEMO=$ROOT/.tmp/demo
mkdir -p "$DEMO/logs" .tmp/bin
chmod 700 "$DEMO"
LOGS=$DEMO/logs
rm -f "$LOGS"/*.log

scripts/tools.sh
log "building worker, starter and justworks-sandbox into .tmp/bin"
run go build -o .tmp/bin/ ./worker ./starter ./internal/sandbox/cmd/justworks-sandbox

# Secrets: made once, kept for later runs (stored credentials stay readable).
if [[ -z ${ROSTERSYNC_SECRET_KEY-} ]]; then
  [[ -s .tmp/demo.env ]] || (umask 077 && echo "ROSTERSYNC_SECRET_KEY=$(head -c32 /dev/urandom | base64)" >.tmp/demo.env)
  # shellcheck source=/dev/null
  source .tmp/demo.env
fi
export ROSTERSYNC_SECRET_KEY
[[ -s $DEMO/password ]] || (umask 077 && head -c18 /dev/urandom | base64 | tr -d '/+=' >"$DEMO/password")
[[ -s $DEMO/totp ]] || (umask 077 && head -c20 /dev/urandom | base32 | tr -d '=' >"$DEMO/totp")

# Ports: the usual ones, or free ones when taken.
TEMPORAL_PORT=$(port_or_free 7233)
UI_PORT=$(port_or_free 8233)
CODEC_PORT=$(port_or_free 8081)
METRICS_PORT=$(port_or_free 9090)
SANDBOX_PORT=$(port_or_free 8090)
SMTP_PORT=$(port_or_free 1025)
MAILPIT_PORT=$(port_or_free 8025)
WEB_URL=http://127.0.0.1:$UI_PORT

if [[ -n ${DATABASE_URL-} ]]; then
  start_postgres "$DATABASE_URL"
  export DATABASE_URL=$PG_URL
else
  start_postgres "$DEFAULT_PG_URL"
  exists=$(psql "$PG_URL" -Atqc "select 1 from pg_database where datname = 'rostersync'")
  [[ $exists == 1 ]] || psql "$PG_URL" -qc 'create database rostersync'
  export DATABASE_URL=${PG_URL/\/postgres\?//rostersync?}
fi
log "PostgreSQL: the demo uses $DATABASE_URL"

start_temporal "$TEMPORAL_PORT" "$UI_PORT" --ui-codec-endpoint "http://127.0.0.1:$CODEC_PORT"

log "Mailpit: SMTP :$SMTP_PORT, web :$MAILPIT_PORT"
spawn "$LOGS/mailpit.log" bin/mailpit --smtp "127.0.0.1:$SMTP_PORT" --listen "127.0.0.1:$MAILPIT_PORT" --disable-version-check
wait_port Mailpit "$MAILPIT_PORT" "$SPAWNED"

sandbox_flags=(--people 300 --seed 7 --username people-ops@demo.example
  --password-file "$DEMO/password" --totp-secret-file "$DEMO/totp")
HEAD_NAME=$(.tmp/bin/justworks-sandbox "${sandbox_flags[@]}" --print-head)
log "Justworks sandbox on :$SANDBOX_PORT (head: $HEAD_NAME)"
spawn "$LOGS/sandbox.log" .tmp/bin/justworks-sandbox --addr "127.0.0.1:$SANDBOX_PORT" "${sandbox_flags[@]}"
wait_port "the sandbox" "$SANDBOX_PORT" "$SPAWNED"

export TEMPORAL_ADDRESS=$TEMPORAL_ADDR TEMPORAL_NAMESPACE=default
export SMTP_ADDR=127.0.0.1:$SMTP_PORT SMTP_FROM=rostersync@demo.example
export ROSTERSYNC_WEB_URL=$WEB_URL
export ROSTERSYNC_CODEC_ADDR=127.0.0.1:$CODEC_PORT ROSTERSYNC_METRICS_ADDR=127.0.0.1:$METRICS_PORT
log "worker (codec :$CODEC_PORT, metrics :$METRICS_PORT)"
spawn "$LOGS/worker.log" .tmp/bin/worker
WORKER=$SPAWNED
wait_port "the worker's codec server" "$CODEC_PORT" "$WORKER" 120

starter() { run .tmp/bin/starter "$@"; }
log "configuring org demo"
starter org set --org demo --name "Demo Inc." --justworks-url "http://127.0.0.1:$SANDBOX_PORT" \
  --username people-ops@demo.example --password-file "$DEMO/password" --totp-secret-file "$DEMO/totp" \
  --head "$HEAD_NAME" --notify people-ops@demo.example --daily 06:30 --tz Europe/Berlin --as owner@demo.example
starter user set --org demo --email tech@demo.example --level technical_owner --as owner@demo.example
log "first sync"
starter sync --org demo --as tech@demo.example --wait

cat <<EOF

  Temporal Web  $WEB_URL/namespaces/default/workflows
  Mailpit       http://127.0.0.1:$MAILPIT_PORT
  Database      $DATABASE_URL
  Logs          $LOGS
  Sandbox login people-ops@demo.example, password and TOTP key in $DEMO/

EOF
# --- The people-ops console (internal/console, `starter serve`) -------------
# The demo owner signs in with a generated password, kept for later runs.
CONSOLE_PORT=$(port_or_free 8080)
CONSOLE_URL=http://localhost:$CONSOLE_PORT
[[ -s $DEMO/owner-console-password ]] || (umask 077 && head -c18 /dev/urandom | base64 | tr -d '/+=' >"$DEMO/owner-console-password")
starter user set --org demo --email owner@demo.example --level owner \
  --password-file "$DEMO/owner-console-password" --as owner@demo.example >/dev/null
log "console on :$CONSOLE_PORT"
export ROSTERSYNC_CONSOLE_ADDR=127.0.0.1:$CONSOLE_PORT ROSTERSYNC_CONSOLE_URL=$CONSOLE_URL
spawn "$LOGS/console.log" .tmp/bin/starter serve
wait_port "the console" "$CONSOLE_PORT" "$SPAWNED"
cat <<EOF
  Console       $CONSOLE_URL
                sign in as owner@demo.example, password $(cat "$DEMO/owner-console-password")

EOF
# ----------------------------------------------------------------------------
[[ ${DEMO_EXIT-} == 1 ]] && exit 0
log "running; Ctrl-C stops everything"
while kill -0 "$WORKER" 2>/dev/null; do sleep 1; done
die "the worker exited (see $LOGS/worker.log)"
