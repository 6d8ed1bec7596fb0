#!/usr/bin/env bash
# The one entry point behind `npm start`, `npm test`, `npm run check|demo|stop`.
#
#   setup   Node 24, npm dependencies, PostgreSQL, Kafka, Helm; then code generation. Idempotent.
#   check   prettier --check, lint + typecheck of every project, buf lint + buf breaking.
#   test    setup, check, unit tests, topic provisioning, integration tests, chart tests.
#   start   setup, migrate, provision topics, seed, run every service; Ctrl-C stops everything.
#   services  only (re)start the services (after setup/migrate), as `start` does at its end.
#   stop    stop what `start` left running (and Kafka).
#   demo    the national journey walkthrough (tools/demo/journey.ts) against a running platform.
#
# Environment: TRELLIS_SKIP_CHECK=1 skips `check` inside `test` (local iteration only; CI never sets it).
#   TRELLIS_START_DETACH=1  `start` returns once the services are up (stop them with `stop`).
#   TRELLIS_KEEP_KAFKA=1    `stop` / Ctrl-C leave Kafka running.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source tools/env.sh
export SWC_NODE_PROJECT="${SWC_NODE_PROJECT:-$ROOT/tsconfig.base.json}"
export npm_config_update_notifier=false
RUN_DIR="$TRELLIS_HOME/run"
LOG_DIR="$TRELLIS_HOME/logs"
mkdir -p "$RUN_DIR" "$LOG_DIR"

bold() { if [ -t 1 ]; then printf '\033[1m%s\033[0m\n' "$*"; else printf '%s\n' "$*"; fi; }
section() { echo; bold "==== $* ===="; }
info() { printf '[trellis] %s\n' "$*"; }
fail() { printf '[trellis] ERROR: %s\n' "$*" >&2; exit 1; }
elapsed() { echo "$(( $(date +%s) - $1 ))s"; }

load_env_file() { # exports KEY=value lines of a file (no expansion of values)
  local f="$1" line
  [ -f "$f" ] || return 0
  while IFS= read -r line || [ -n "$line" ]; do
    [[ "$line" =~ ^[[:space:]]*(#|$) ]] && continue
    [[ "$line" =~ ^(export[[:space:]]+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$ ]] || continue
    export "${BASH_REMATCH[2]}=${BASH_REMATCH[3]}"
  done <"$f"
}

# Projects (by Nx name) that define a target; empty when none.
projects_with() { nx show projects --with-target "$1" | tr '\n' ' ' | sed 's/ *$//'; }

run_target() { # run-many a target over the projects that have it; skip quietly when none do
  local target="$1" projects
  projects="$(projects_with "$target")"
  if [ -z "$projects" ]; then
    info "no project has a '$target' target yet: skipped"
    return 0
  fi
  info "$target: $projects"
  nx run-many -t "$target" --outputStyle=stream
}

# ---------------------------------------------------------------------------------------------
npm_install_needed() {
  [ -d node_modules ] || return 0
  [ -f node_modules/.package-lock.json ] || return 0
  [ package-lock.json -nt node_modules/.package-lock.json ] && return 0
  [ package.json -nt node_modules/.package-lock.json ] && return 0
  local pj name
  for pj in apps/*/package.json libs/*/package.json; do
    [ -f "$pj" ] || continue
    name="$(sed -n 's/^ *"name": *"\([^"]*\)".*/\1/p' "$pj" | head -1)"
    [ -z "$name" ] || [ -e "node_modules/$name" ] || return 0
  done
  return 1
}

cmd_setup() {
  section "setup"
  local t0; t0=$(date +%s)
  # Long, independent jobs first, in the background: Helm (a Go build, minutes cold), PostgreSQL,
  # Kafka (a Maven fetch cold). Node and npm meanwhile in the foreground.
  local helm_log="$LOG_DIR/setup-helm.log" pg_log="$LOG_DIR/setup-postgres.log" kafka_log="$LOG_DIR/setup-kafka.log"
  bash tools/setup/helm.sh >"$helm_log" 2>&1 &
  local helm_pid=$!
  bash tools/setup/postgres.sh >"$pg_log" 2>&1 &
  local pg_pid=$!
  bash tools/setup/kafka.sh start >"$kafka_log" 2>&1 &
  local kafka_pid=$!

  bash tools/setup/node.sh
  info "node $(node --version), npm $(npm --version)"
  if npm_install_needed; then
    # `npm ci`: exactly the committed lock, or a refusal. The lock is complete for every platform
    # (tools/test/lockfile.spec.ts), so there is no `npm install` fallback: a lock that is out of
    # sync with a package.json is a bug to fix in the commit that changed the manifest, not here.
    # The registry serves every locked package (proved with an empty cache: docs/operations.md).
    info "installing npm dependencies (npm ci from package-lock.json)"
    local tn; tn=$(date +%s)
    # Bounded tries: npm 11 has been seen to hang on an idle registry socket.
    local attempt log="$LOG_DIR/npm-ci.log"
    for attempt in 1 2 3; do
      if flock /tmp/npm.lock timeout 900 npm ci --no-audit --no-fund --loglevel=error >"$log" 2>&1; then
        break
      fi
      cat "$log" >&2
      if grep -q 'EUSAGE' "$log"; then
        fail "package-lock.json does not match a package.json: run \`npm install\` and commit the lock"
      fi
      [ "$attempt" = 3 ] && fail "npm ci failed three times"
      info "npm ci timed out or failed (try $attempt); retrying"
    done
    info "npm ci done in $(elapsed "$tn")"
  else
    info "node_modules up to date"
  fi

  local failed=0 name pid log
  for name in postgres kafka helm; do
    case "$name" in
      postgres) pid=$pg_pid log=$pg_log ;;
      kafka) pid=$kafka_pid log=$kafka_log ;;
      helm) pid=$helm_pid log=$helm_log ;;
    esac
    if wait "$pid"; then
      grep -v '^go: downloading' "$log" || true
    else
      failed=1
      echo "---- $name setup failed ($log):" >&2
      tail -n 40 "$log" >&2
    fi
  done
  [ "$failed" = 0 ] || fail "setup failed"
  # after PostgreSQL's and Kafka's apt runs: the console's browser tests use Debian's chromium
  bash tools/setup/chromium.sh || fail "chromium setup failed"
  load_env_file "$TRELLIS_HOME/infra.env"

  run_target generate
  info "setup done in $(elapsed "$t0")"
}

# ---------------------------------------------------------------------------------------------
cmd_check() {
  section "check: format, lint, typecheck, contracts"
  local status=0 t0; t0=$(date +%s)
  info "prettier --check ."
  prettier --check . --log-level warn || { status=1; echo "[trellis] formatting: run npx prettier --write on the files above" >&2; }
  info "lint + typecheck (nx run-many)"
  local projects
  projects="$(projects_with lint) $(projects_with typecheck)"
  if [ -n "${projects// /}" ]; then
    nx run-many -t lint typecheck --outputStyle=stream || status=1
  fi
  if [ -f buf.yaml ]; then
    info "buf lint"
    buf lint || status=1
    if git rev-parse --verify -q main >/dev/null && git cat-file -e main:buf.yaml 2>/dev/null; then
      info "buf breaking --against .git#branch=main"
      buf breaking --against '.git#branch=main' || status=1
    else
      info "buf breaking skipped: branch main has no buf.yaml yet"
    fi
  fi
  if [ "$status" = 0 ]; then info "check passed in $(elapsed "$t0")"; else info "check FAILED"; fi
  return "$status"
}

# ---------------------------------------------------------------------------------------------
TOTAL_PASSED=0
TOTAL_FAILED=0
jest_run() { # jest_run NAME CONFIG [args...]: runs jest, adds its counts to the totals
  local name="$1" config="$2"
  shift 2
  local out="$TRELLIS_HOME/test-results/$name.json" rc=0
  mkdir -p "$TRELLIS_HOME/test-results"
  rm -f "$out"
  jest -c "$config" --ci --json --outputFile="$out" "$@" || rc=$?
  if [ -f "$out" ]; then
    local counts
    counts="$(node -e 'const r=require(process.argv[1]); process.stdout.write(`${r.numPassedTests} ${r.numFailedTests} ${r.numTotalTestSuites} ${r.numFailedTestSuites + r.numRuntimeErrorTestSuites}`)' "$out")"
    read -r p f s fs <<<"$counts"
    TOTAL_PASSED=$(( TOTAL_PASSED + p ))
    TOTAL_FAILED=$(( TOTAL_FAILED + f ))
    info "$name: $p passed, $f failed ($s suites, $fs failed)"
  fi
  return "$rc"
}

provision_topics() {
  if [ -f tools/events/provision.ts ]; then
    info "provisioning Kafka topics (tools/events/provision.ts)"
    node -r @swc-node/register tools/events/provision.ts
  else
    info "no tools/events/provision.ts yet: no topics provisioned"
  fi
  # Regional authorities' read-only principals on their streams (docs/regional-streams.md).
  if [ -f tools/regional/setup.sh ]; then bash tools/regional/setup.sh; fi
}

cmd_test() {
  local t0; t0=$(date +%s)
  cmd_setup
  if [ "${TRELLIS_SKIP_CHECK:-}" = 1 ]; then
    section "check: SKIPPED (TRELLIS_SKIP_CHECK=1)"
  else
    cmd_check || fail "check failed"
  fi
  local status=0
  section "unit tests (jest.unit.config.cjs)"
  jest_run unit jest.unit.config.cjs --passWithNoTests || status=1

  section "integration tests (jest.int.config.cjs: real PostgreSQL + Kafka)"
  load_env_file "$TRELLIS_HOME/infra.env"
  provision_topics || status=1
  jest_run integration jest.int.config.cjs || status=1

  if [ -f charts/test.sh ]; then
    section "chart tests (charts/test.sh)"
    bash charts/test.sh || status=1
  fi
  section "summary"
  info "total time $(elapsed "$t0")"
  echo "tests: $TOTAL_PASSED passed, $TOTAL_FAILED failed"
  return "$status"
}

# ---------------------------------------------------------------------------------------------
# Services: every app with src/main.ts, run with Node 24 + SWC, logs and pid files under .trellis.
apps_with_main() { # the gateway first: it issues the tokens and serves the JWKS the others use
  local d
  [ -f apps/gateway/src/main.ts ] && echo gateway
  for d in apps/*/; do
    { [ -f "$d/src/main.ts" ] || [ -f "$d/server/main.ts" ]; } && [ "$(basename "$d")" != gateway ] && basename "$d"
  done
  return 0
}

app_pid() { # pid of a running app started by us, else fails
  local pid
  pid="$(cat "$RUN_DIR/$1.pid" 2>/dev/null || true)"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -Eq "apps/$1/(src|server)/main.ts" && echo "$pid"
}

start_app() {
  local app="$1" upper; upper="$(echo "$app" | tr 'a-z-' 'A-Z_')"
  local grpc_var="${upper}_GRPC_PORT" http_var="${upper}_HTTP_PORT"
  local log="$LOG_DIR/$app.log"
  if app_pid "$app" >/dev/null; then
    info "$app already running (pid $(app_pid "$app"))"
    return 0
  fi
  # a web app (apps/console) is built first, then served by its own small server (server/main.ts)
  local entry="apps/$app/src/main.ts"
  if [ ! -f "$entry" ] && [ -f "apps/$app/server/main.ts" ]; then
    entry="apps/$app/server/main.ts"
    if [ -f "apps/$app/vite.config.ts" ]; then
      info "building $app (vite)"
      vite build --config "apps/$app/vite.config.ts" --logLevel warn >>"$log" 2>&1 || fail "$app build failed (log: $log)"
    fi
  fi
  (
    export SERVICE_NAME="$app" NODE_ENV="${NODE_ENV:-development}"
    [ -n "${!grpc_var:-}" ] && export GRPC_PORT="${!grpc_var}"
    [ -n "${!http_var:-}" ] && export HTTP_PORT="${!http_var}"
    # setsid: Ctrl-C reaches the services only through our trap (SIGTERM, then wait).
    exec setsid node --enable-source-maps -r @swc-node/register "$entry" >>"$log" 2>&1 </dev/null
  ) &
  echo $! >"$RUN_DIR/$app.pid"
  info "started $app (pid $!, log $log)"
}

stop_apps() {
  local f app pid pids=()
  for f in "$RUN_DIR"/*.pid; do
    [ -f "$f" ] || continue
    app="$(basename "$f" .pid)"
    if pid="$(app_pid "$app")"; then
      info "stopping $app (pid $pid)"
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid")
    fi
  done
  local deadline=$(( $(date +%s) + ${TRELLIS_STOP_TIMEOUT:-20} ))
  for pid in "${pids[@]}"; do
    while kill -0 "$pid" 2>/dev/null; do
      if [ "$(date +%s)" -ge "$deadline" ]; then
        info "pid $pid did not stop in time: SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        break
      fi
      sleep 0.2
    done
  done
  for f in "$RUN_DIR"/*.pid; do [ -f "$f" ] && rm -f "$f"; done
  return 0
}

ready_code() { # HTTP status of /health/ready, or 000
  node -e '
    const http = require("node:http");
    const req = http.get({ host: "127.0.0.1", port: Number(process.argv[1]), path: "/health/ready", timeout: 2000 },
      (res) => { process.stdout.write(String(res.statusCode)); res.resume(); });
    req.on("error", () => process.stdout.write("000"));
    req.on("timeout", () => { req.destroy(); });
  ' "$1" 2>/dev/null || echo 000
}

print_endpoints() {
  section "Trellis is running"
  printf '%-14s %-24s %-26s %s\n' SERVICE GRPC HTTP READY
  local app upper g h code
  for app in "$@"; do
    upper="$(echo "$app" | tr 'a-z-' 'A-Z_')"
    g="${upper}_GRPC_PORT"; h="${upper}_HTTP_PORT"
    code="-"
    [ -n "${!h:-}" ] && code="$(ready_code "${!h}")"
    printf '%-14s %-24s %-26s %s\n' "$app" "${!g:+127.0.0.1:${!g}}" "${!h:+http://127.0.0.1:${!h}}" "$code"
  done
  [ -n "${CONSOLE_HTTP_PORT:-}" ] && printf '%-14s %s\n' console "http://127.0.0.1:${CONSOLE_HTTP_PORT} (Trellis console; users in .trellis/demo/staff.json and citizens.json)"
  [ -n "${FRONTDOOR_GRPC_PORT:-}" ] && printf '%-14s %s\n' front-door "127.0.0.1:${FRONTDOOR_GRPC_PORT} (gateway gRPC door for local systems)"
  printf '%-14s %s\n' postgresql "127.0.0.1:5432 (database trellis; credentials in .trellis/infra.env)"
  printf '%-14s %s\n' kafka "127.0.0.1:9092 (SASL_PLAINTEXT SCRAM-SHA-512; credentials in .trellis/infra.env)"
  echo "Logs: $LOG_DIR/<service>.log   Stop: Ctrl-C (or npm run stop from another terminal)"
}

STOPPING=0
shutdown_all() {
  [ "$STOPPING" = 1 ] && return 0
  STOPPING=1
  trap '' PIPE INT # a closed stdout (e.g. `| tee` killed by the same Ctrl-C) must not abort the clean-up
  section "stopping"
  stop_apps
  stop_kafka
  info "stopped (PostgreSQL keeps running as a system service)"
}

cmd_start() {
  cmd_setup
  load_env_file "$TRELLIS_HOME/infra.env"
  load_env_file deploy/local/ports.env
  section "migrate"
  run_target migrate
  section "provision topics"
  provision_topics
  section "seed"
  run_target seed
  cmd_services
}

# Runs every service (no setup/migrate/seed): what `start` ends with; handy after a code change.
cmd_services() {
  load_env_file "$TRELLIS_HOME/infra.env"
  load_env_file deploy/local/ports.env
  section "start services"
  local apps
  mapfile -t apps < <(apps_with_main)
  trap 'shutdown_all; exit 130' INT
  trap 'shutdown_all; exit 143' TERM
  if [ "${#apps[@]}" = 0 ]; then
    info "no service has src/main.ts yet: only PostgreSQL and Kafka are running"
  fi
  local app
  for app in "${apps[@]}"; do start_app "$app"; done
  # Wait (max 90 s) until every service with an HTTP port answers /health/ready.
  local deadline=$(( $(date +%s) + ${TRELLIS_READY_TIMEOUT:-90} )) pending upper h
  while :; do
    pending=()
    for app in "${apps[@]}"; do
      app_pid "$app" >/dev/null || { tail -n 30 "$LOG_DIR/$app.log" >&2; shutdown_all; fail "$app exited during start-up (log: $LOG_DIR/$app.log)"; }
      upper="$(echo "$app" | tr 'a-z-' 'A-Z_')"; h="${upper}_HTTP_PORT"
      [ -z "${!h:-}" ] || [ "$(ready_code "${!h}")" = 200 ] || pending+=("$app")
    done
    [ "${#pending[@]}" = 0 ] && break
    if [ "$(date +%s)" -ge "$deadline" ]; then info "not ready yet: ${pending[*]} (continuing; see their logs)"; break; fi
    sleep 1
  done
  print_endpoints "${apps[@]}"
  if [ -n "${TRELLIS_START_DETACH:-}" ]; then
    trap - INT TERM
    info "detached (TRELLIS_START_DETACH): stop with npm run stop"
    return 0
  fi
  while :; do
    sleep 2 &
    wait $! || true
    for app in "${apps[@]}"; do
      if ! app_pid "$app" >/dev/null && [ -f "$RUN_DIR/$app.pid" ]; then
        info "$app exited (see $LOG_DIR/$app.log)"
        rm -f "$RUN_DIR/$app.pid"
      fi
    done
  done
}

stop_kafka() {
  if [ -n "${TRELLIS_KEEP_KAFKA:-}" ]; then info "Kafka left running (TRELLIS_KEEP_KAFKA)"; return 0; fi
  bash tools/setup/kafka.sh stop || true
}

cmd_stop() {
  section "stop"
  stop_apps
  stop_kafka
}

cmd_demo() {
  [ -f tools/demo/journey.ts ] || fail "no demo yet (tools/demo/journey.ts does not exist)"
  load_env_file "$TRELLIS_HOME/infra.env"
  load_env_file deploy/local/ports.env
  node -r @swc-node/register tools/demo/journey.ts "$@"
}

cmd="${1:-help}"
shift || true
case "$cmd" in
  setup) cmd_setup ;;
  check) cmd_check ;;
  test) cmd_test ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  demo) cmd_demo "$@" ;;
  services) cmd_services ;;
  *)
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
    [ "$cmd" = help ] || exit 2
    ;;
esac
