#!/usr/bin/env bash
# Ensures PostgreSQL is installed, running on 127.0.0.1:5432 and holds the `trellis` role and
# database with the extensions the services use. Idempotent: re-running only re-checks.
#
# As root (the CI and dev machines): Debian's `postgresql` package is installed when missing and
# its cluster (<ver>/main) is started with pg_ctlcluster; settings for tests go to conf.d.
# As another user: a private cluster under .trellis/postgres is used (needs the server binaries).
set -euo pipefail
TRELLIS_LOG_TAG=postgres
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

PG_PORT=5432
CONF_NAME="trellis.conf"
tuning() {
  cat <<'CONF'
# Managed by tools/setup/postgres.sh: settings for local development and integration tests.
listen_addresses = '127.0.0.1'
max_connections = 400
shared_buffers = 256MB
work_mem = 8MB
maintenance_work_mem = 64MB
# Durable enough for tests: a crash of the OS may lose the last commits, a crash of a process not.
synchronous_commit = off
wal_level = replica
max_wal_size = 1GB
checkpoint_timeout = 15min
log_min_duration_statement = -1
timezone = 'UTC'
CONF
}

pg_version() {
  ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -1
}

install_if_missing() {
  if [ -n "$(pg_version)" ] && [ -x "/usr/lib/postgresql/$(pg_version)/bin/postgres" ]; then
    return 0
  fi
  if ! is_root; then
    die "PostgreSQL server binaries are missing. Install them as root:
  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql
then re-run this script."
  fi
  log "installing Debian package postgresql"
  # "policy-rc.d denied execution of start" is expected in containers: we start the cluster below.
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
}

psql_admin() { # runs SQL as the superuser against database $1
  export PGOPTIONS="-c client_min_messages=warning"
  local db="$1"; shift
  if [ "$MODE" = system ]; then
    runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -h /var/run/postgresql -p "$PG_PORT" -d "$db" "$@"
  else
    psql -X -q -v ON_ERROR_STOP=1 -h "$PRIV_SOCK" -p "$PG_PORT" -U postgres -d "$db" "$@"
  fi
}

ready() {
  if [ "$MODE" = system ]; then
    "$BIN/pg_isready" -q -h /var/run/postgresql -p "$PG_PORT"
  else
    "$BIN/pg_isready" -q -h "$PRIV_SOCK" -p "$PG_PORT"
  fi
}

start_system_cluster() {
  local ver="$1" conf_dir="/etc/postgresql/$1/main"
  if [ ! -d "$conf_dir" ]; then
    log "creating cluster $ver/main"
    pg_createcluster "$ver" main --port "$PG_PORT" >/dev/null
  fi
  local want; want="$(tuning)"
  local restart=0
  mkdir -p "$conf_dir/conf.d"
  if [ "$(cat "$conf_dir/conf.d/$CONF_NAME" 2>/dev/null)" != "$want" ]; then
    printf '%s\n' "$want" >"$conf_dir/conf.d/$CONF_NAME"
    chown postgres:postgres "$conf_dir/conf.d/$CONF_NAME"
    restart=1
  fi
  # Password logins over TCP on loopback (Debian's default pg_hba already has this line).
  if ! grep -Eq '^host\s+all\s+all\s+127\.0\.0\.1/32\s+scram-sha-256' "$conf_dir/pg_hba.conf"; then
    echo "host all all 127.0.0.1/32 scram-sha-256" >>"$conf_dir/pg_hba.conf"
    restart=1
  fi
  local status; status="$(pg_lsclusters -h "$ver" main 2>/dev/null | awk '{print $4}')"
  if [ "$status" = online ]; then
    if [ "$restart" = 1 ]; then
      log "restarting cluster $ver/main to apply settings"
      pg_ctlcluster "$ver" main restart
    fi
  else
    log "starting cluster $ver/main"
    pg_ctlcluster "$ver" main start
  fi
}

start_private_cluster() {
  local data="$TRELLIS_HOME/postgres/data"
  mkdir -p "$PRIV_SOCK"
  if [ ! -f "$data/PG_VERSION" ]; then
    log "initialising a private cluster in $data"
    local pwfile; pwfile="$(mktemp)"
    ensure_secret postgres-superuser >"$pwfile"
    "$BIN/initdb" -D "$data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
      --pwfile="$pwfile" -E UTF8 --locale=C.UTF-8 >/dev/null
    rm -f "$pwfile"
  fi
  tuning >"$data/$CONF_NAME"
  grep -q "include_if_exists = '$CONF_NAME'" "$data/postgresql.conf" ||
    echo "include_if_exists = '$CONF_NAME'" >>"$data/postgresql.conf"
  if ! "$BIN/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    log "starting private cluster"
    "$BIN/pg_ctl" -D "$data" -l "$TRELLIS_HOME/postgres/postgres.log" -w \
      -o "-p $PG_PORT -k $PRIV_SOCK" start >/dev/null
  fi
}

install_if_missing
VER="$(pg_version)"
BIN="/usr/lib/postgresql/$VER/bin"
PRIV_SOCK="$TRELLIS_HOME/postgres/run"
if is_root; then MODE=system; start_system_cluster "$VER"; else MODE=private; start_private_cluster; fi

wait_for "PostgreSQL" 60 ready || die "PostgreSQL $VER did not become ready (see its log)"

PW="$(ensure_secret postgres)"
# Role and database: created once; the password is (re)set every run so that a fresh .trellis/
# (e.g. a new clone on the same machine) still matches the cluster.
psql_admin postgres -v pw="$PW" <<'SQL'
SELECT format('CREATE ROLE trellis LOGIN CREATEDB PASSWORD %L', :'pw')
  WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'trellis') \gexec
SELECT format('ALTER ROLE trellis LOGIN CREATEDB PASSWORD %L', :'pw') \gexec
SELECT 'CREATE DATABASE trellis OWNER trellis ENCODING ''UTF8'' TEMPLATE template0'
  WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'trellis') \gexec
SQL
psql_admin trellis <<'SQL'
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
CREATE EXTENSION IF NOT EXISTS fuzzystrmatch WITH SCHEMA public;
CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA public;
CREATE EXTENSION IF NOT EXISTS btree_gist WITH SCHEMA public;
SQL

write_infra_env
# Prove a password login over TCP, as the services will connect.
PGPASSWORD="$PW" psql -X -q -h 127.0.0.1 -p "$PG_PORT" -U trellis -d trellis -tAc \
  "SELECT 1 FROM pg_extension WHERE extname = 'pgcrypto'" | grep -q 1 ||
  die "cannot log in as trellis over TCP"
log "ready: PostgreSQL $VER on 127.0.0.1:$PG_PORT, database trellis (mode: $MODE)"
