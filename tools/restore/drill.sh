#!/usr/bin/env bash
# Restore drill (docs/operations.md, "Backup and restore"): back up a PostgreSQL database while
# acknowledged writes keep arriving, destroy it, restore the backup into a NEW database and prove
# that nothing acknowledged before the backup point was lost and that the outbox/inbox are
# consistent (every table's row count equal to the backup point's, transactions whole, the relay
# resuming exactly where it stood, outbox sequences ahead of every restored row).
#
# It never writes to, drops or restores over the source database: the database it destroys is a
# scratch copy of the service schemas ("the live stand-in"), named trellis_drill_<stamp>_live, and
# the restore goes to trellis_drill_<stamp>_restored. Both are dropped at the end (--keep keeps
# them). Only names matching that pattern are ever dropped.
#
#   bash tools/restore/drill.sh [--source-db trellis] [--schemas identity,gateway,...] [--keep]
#
# Connection: PG* variables (loaded from .trellis/infra.env when present); the role needs
# CREATEDB. Tools: psql, pg_dump, pg_restore of the server's major version.
# --tamper (tests only) deletes one restored row before the checks, which must then fail.
set -euo pipefail
export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

log() { printf '[drill] %s\n' "$*"; }
die() { printf '[drill] FAILED: %s\n' "$*" >&2; exit 1; }

if [ -f "$ROOT/.trellis/infra.env" ] && [ -z "${PGHOST:-}" ]; then
  set -a; source "$ROOT/.trellis/infra.env"; set +a
fi

SOURCE_DB="${PGDATABASE:-trellis}"
SCHEMAS=""
KEEP=0
TAMPER=0
while [ $# -gt 0 ]; do
  case "$1" in
    --source-db) SOURCE_DB="$2"; shift 2 ;;
    --schemas) SCHEMAS="$2"; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --tamper) TAMPER=1; shift ;;
    *) die "unknown argument $1 (see the header of $0)" ;;
  esac
done

STAMP="$(date -u +%Y%m%d%H%M%S)_$$"
LIVE="trellis_drill_${STAMP}_live"
RESTORED="trellis_drill_${STAMP}_restored"
WORK="$(mktemp -d /tmp/trellis-drill.XXXXXX)"
DRILL_TOPIC="trellis.drill.restore.v1"
WRITER_PID=""

q() { # q DB SQL: one query, unaligned tuples
  local db="$1"; shift
  psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" -c "$1"
}

drop_drill_db() {
  [[ "$1" =~ ^trellis_drill_[0-9]{14}_[0-9]+_(live|restored)$ ]] || die "refusing to drop $1"
  # FORCE cannot terminate an autovacuum worker for a non-superuser ("must be a member of the role
  # whose process is being terminated"); a plain DROP asks autovacuum to leave by itself
  local i
  for i in 1 2 3 4 5; do
    q "$SOURCE_DB" "DROP DATABASE IF EXISTS \"$1\" WITH (FORCE)" >/dev/null 2>&1 && return 0
    q "$SOURCE_DB" "DROP DATABASE IF EXISTS \"$1\"" >/dev/null 2>&1 && return 0
    sleep 1
  done
  q "$SOURCE_DB" "DROP DATABASE IF EXISTS \"$1\" WITH (FORCE)" >/dev/null
}

cleanup() {
  local status=$?
  [ -z "$WRITER_PID" ] || kill "$WRITER_PID" 2>/dev/null || true
  if [ "$KEEP" = 0 ]; then
    drop_drill_db "$LIVE" || true
    drop_drill_db "$RESTORED" || true
    rm -rf "$WORK"
  else
    log "kept: databases $LIVE (if not destroyed) and $RESTORED, files in $WORK"
  fi
  exit "$status"
}
trap cleanup EXIT

create_db() { # a new empty database with the source's extensions
  q "$SOURCE_DB" "CREATE DATABASE \"$1\"" >/dev/null
  local ext
  for ext in $EXTENSIONS; do
    q "$1" "CREATE EXTENSION IF NOT EXISTS \"$ext\" SCHEMA public" >/dev/null
  done
}

# --- what to back up ---------------------------------------------------------------------------
if [ -z "$SCHEMAS" ]; then
  apps="$(for f in "$ROOT"/apps/*/prisma/schema.prisma; do basename "$(dirname "$(dirname "$f")")"; done | paste -sd, -)"
  SCHEMAS="$(q "$SOURCE_DB" "SELECT string_agg(nspname, ',' ORDER BY nspname) FROM pg_namespace
    WHERE nspname = ANY(string_to_array('$apps', ','))
      AND EXISTS (SELECT 1 FROM pg_class c WHERE c.relnamespace = pg_namespace.oid AND c.relkind = 'r')")"
fi
[ -n "$SCHEMAS" ] || die "no service schema with tables in $SOURCE_DB (run the migrations first)"
IFS=, read -r -a SCHEMA_LIST <<<"$SCHEMAS"
schema_args=()
for s in "${SCHEMA_LIST[@]}"; do schema_args+=(-n "$s"); done
EXTENSIONS="$(q "$SOURCE_DB" "SELECT string_agg(extname, ' ') FROM pg_extension WHERE extname <> 'plpgsql'")"
# Where the acknowledged writes go: the first schema with both an outbox and an inbox.
WRITE_SCHEMA="$(q "$SOURCE_DB" "SELECT table_schema FROM information_schema.tables
  WHERE table_name = 'outbox_events' AND table_schema = ANY(string_to_array('$SCHEMAS', ','))
    AND table_schema IN (SELECT table_schema FROM information_schema.tables WHERE table_name = 'inbox_events')
  ORDER BY table_schema LIMIT 1")"
[ -n "$WRITE_SCHEMA" ] || die "none of $SCHEMAS has outbox_events and inbox_events"
log "source $SOURCE_DB (read only), schemas $SCHEMAS; acknowledged writes into $WRITE_SCHEMA"

# --- the live stand-in: a copy of the service schemas ------------------------------------------
t0=$(date +%s%N)
create_db "$LIVE"
pg_dump -Fc "${schema_args[@]}" -d "$SOURCE_DB" -f "$WORK/seed.dump"
pg_restore --exit-on-error --no-owner -d "$LIVE" "$WORK/seed.dump"
log "live stand-in $LIVE ready in $(( ($(date +%s%N) - t0) / 1000000 )) ms"

# --- acknowledged writes: an outbox row and its inbox row in one transaction each ---------------
writer() {
  local i=0 id
  while [ ! -e "$WORK/stop" ]; do
    i=$((i + 1))
    id="$(cat /proc/sys/kernel/random/uuid)"
    if psql -X -q -v ON_ERROR_STOP=1 -d "$LIVE" -1 \
      -c "INSERT INTO \"$WRITE_SCHEMA\".outbox_events (id, topic, key, ce_type, ce_source, ce_time, payload)
          VALUES ('$id', '$DRILL_TOPIC', 'drill-$i', 'uk.nhs.trellis.drill.v1', '/drill', now(), '\\x00')" \
      -c "INSERT INTO \"$WRITE_SCHEMA\".inbox_events (consumer_group, event_id, topic, partition, \"offset\")
          VALUES ('trellis.drill', '$id', '$DRILL_TOPIC', 0, $i)" >/dev/null 2>"$WORK/writer.err"; then
      echo "$id" >>"$WORK/acked"   # acknowledged: COMMIT returned
    else
      echo "writer: $(cat "$WORK/writer.err")" >&2
      return 1
    fi
  done
}
: >"$WORK/acked"
writer &
WRITER_PID=$!
acked() { wc -l <"$WORK/acked"; }
wait_acked() { # wait_acked N: until N writes are acknowledged (the writer must stay alive)
  while [ "$(acked)" -lt "$1" ]; do
    kill -0 "$WRITER_PID" 2>/dev/null || die "the writer stopped"
    sleep 0.05
  done
}
wait_acked 10

# --- backup, with the backup point's manifest taken in the same snapshot ------------------------
tables="$(q "$LIVE" "SELECT string_agg(format('%I.%I', table_schema, table_name), ' ' ORDER BY 1, 2)
  FROM information_schema.tables WHERE table_type = 'BASE TABLE'
   AND table_schema = ANY(string_to_array('$SCHEMAS', ','))")"
counts_sql=""
for t in $tables; do
  counts_sql+="SELECT '$t', count(*) FROM $t UNION ALL "
done
counts_sql="${counts_sql% UNION ALL } ORDER BY 1;"
coproc SNAP { psql -X -q -At -v ON_ERROR_STOP=1 -d "$LIVE"; }
# bash unsets SNAP_PID once it has reaped the coprocess: keep the pid while it is sure to be set
snap_pid=$SNAP_PID
acked_before="$(acked)"   # read BEFORE the snapshot: all of these committed before it
printf '%s\n' "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;" "SELECT pg_export_snapshot();" >&"${SNAP[1]}"
read -r snapshot <&"${SNAP[0]}"
t_backup=$(date +%s%N)
manifest_sql() { # the checks' queries, run at the backup point and on the restored database
  printf '%s\n' "$counts_sql"
  printf "SELECT 'drill-id', id FROM \"%s\".outbox_events WHERE topic = '%s' ORDER BY id;\n" "$WRITE_SCHEMA" "$DRILL_TOPIC"
  local s
  for s in "${SCHEMA_LIST[@]}"; do
    if [ -n "$(q "$LIVE" "SELECT 1 FROM information_schema.tables WHERE table_schema = '$s' AND table_name = 'outbox_events'")" ]; then
      printf "SELECT 'unsent $s', count(*) FROM \"%s\".outbox_events WHERE sent_at IS NULL;\n" "$s"
      printf "SELECT 'max-seq $s', coalesce(max(seq), 0) FROM \"%s\".outbox_events;\n" "$s"
    fi
  done
  printf "SELECT 'constraints', count(*) FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = ANY(string_to_array('%s', ','));\n" "$SCHEMAS"
  printf "SELECT 'indexes', count(*) FROM pg_indexes WHERE schemaname = ANY(string_to_array('%s', ','));\n" "$SCHEMAS"
}
manifest_sql >"$WORK/manifest.sql"
{ cat "$WORK/manifest.sql"; echo "SELECT '__end__';"; } >&"${SNAP[1]}"
: >"$WORK/manifest"
while read -r line <&"${SNAP[0]}"; do
  [ "$line" = "__end__" ] && break
  echo "$line" >>"$WORK/manifest"
done
pg_dump -Fc --snapshot="$snapshot" "${schema_args[@]}" -d "$LIVE" -f "$WORK/backup.dump"
printf '%s\n' "COMMIT;" '\q' >&"${SNAP[1]}"
wait "$snap_pid" 2>/dev/null || true
backup_ms=$(( ($(date +%s%N) - t_backup) / 1000000 ))
backup_bytes=$(stat -c %s "$WORK/backup.dump")

# writes keep coming after the backup point (a logical backup cannot hold them)
wait_acked $((acked_before + 10))
touch "$WORK/stop"
wait "$WRITER_PID" || die "the writer failed"
WRITER_PID=""
acked_total="$(acked)"
log "backup: ${backup_bytes} bytes in ${backup_ms} ms; acknowledged writes: $acked_before before the backup point, $acked_total in all"

# --- destroy -----------------------------------------------------------------------------------
drop_drill_db "$LIVE"
[ -z "$(q "$SOURCE_DB" "SELECT 1 FROM pg_database WHERE datname = '$LIVE'")" ] || die "$LIVE still exists"
log "destroyed $LIVE"

# --- restore into a new database ---------------------------------------------------------------
t_restore=$(date +%s%N)
create_db "$RESTORED"
pg_restore --exit-on-error --no-owner -d "$RESTORED" "$WORK/backup.dump"
restore_ms=$(( ($(date +%s%N) - t_restore) / 1000000 ))
log "restored into $RESTORED in ${restore_ms} ms"
if [ "$TAMPER" = 1 ]; then
  q "$RESTORED" "DELETE FROM \"$WRITE_SCHEMA\".inbox_events WHERE event_id = (SELECT event_id FROM \"$WRITE_SCHEMA\".inbox_events WHERE consumer_group = 'trellis.drill' LIMIT 1)" >/dev/null
  log "tampered: one restored inbox row deleted (--tamper)"
fi

# --- proofs ------------------------------------------------------------------------------------
failures=0
check() { # check NAME CONDITION-RESULT(0/1) DETAIL
  if [ "$2" = 0 ]; then log "ok   $1"; else log "FAIL $1: $3"; failures=$((failures + 1)); fi
}
psql -X -q -At -v ON_ERROR_STOP=1 -d "$RESTORED" -f "$WORK/manifest.sql" >"$WORK/restored"
diff -u "$WORK/manifest" "$WORK/restored" >"$WORK/manifest.diff" && d=0 || d=1
check "row counts of all $(wc -w <<<"$tables") tables, outbox unsent counts, max seq, constraints and indexes equal the backup point's" \
  "$d" "$(head -20 "$WORK/manifest.diff")"

grep '^drill-id|' "$WORK/restored" | cut -d'|' -f2 | sort >"$WORK/restored-ids"
head -n "$acked_before" "$WORK/acked" | sort >"$WORK/acked-before"
missing="$(comm -23 "$WORK/acked-before" "$WORK/restored-ids" | wc -l)"
check "every write acknowledged before the backup point is restored ($acked_before)" \
  "$([ "$missing" = 0 ] && echo 0 || echo 1)" "$missing missing"
restored_writes="$(wc -l <"$WORK/restored-ids")"
unknown="$(sort "$WORK/acked" | comm -13 - "$WORK/restored-ids" | wc -l)"
check "no restored write that was never acknowledged" "$([ "$unknown" = 0 ] && echo 0 || echo 1)" "$unknown unknown ids"

split="$(q "$RESTORED" "SELECT count(*) FROM \"$WRITE_SCHEMA\".outbox_events o
  FULL JOIN (SELECT * FROM \"$WRITE_SCHEMA\".inbox_events WHERE consumer_group = 'trellis.drill') i
    ON i.event_id = o.id::text
  WHERE (o.topic = '$DRILL_TOPIC' OR o.id IS NULL) AND (o.id IS NULL OR i.event_id IS NULL)")"
check "outbox and inbox rows of each transaction restored together" \
  "$([ "$split" = 0 ] && echo 0 || echo 1)" "$split outbox rows without their inbox row or the reverse"

seq_ok=0
for s in "${SCHEMA_LIST[@]}"; do
  grep -q "^max-seq $s|" "$WORK/restored" || continue
  # the next outbox row (as a relay-visible insert would get it) lands after every restored row
  next="$(psql -X -q -At -v ON_ERROR_STOP=1 -d "$RESTORED" <<SQL
BEGIN;
WITH before AS (SELECT coalesce(max(seq), 0) AS seq FROM "$s".outbox_events)
INSERT INTO "$s".outbox_events (id, topic, ce_type, ce_source, ce_time, payload)
  VALUES (gen_random_uuid(), '$DRILL_TOPIC', 'uk.nhs.trellis.drill.v1', '/drill', now(), '\\x00')
  RETURNING (seq > (SELECT seq FROM before))::int;
ROLLBACK;
SQL
)"
  [ "$(grep -E '^[01]$' <<<"$next" | tail -1)" = 1 ] || { seq_ok=1; log "outbox sequence of $s is behind its rows"; }
done
check "outbox sequences continue after the restored rows (new events keep their order)" "$seq_ok" "see above"

lost_after=$((acked_total - restored_writes))
echo
if [ "$failures" = 0 ]; then
  log "PASSED: tables $(wc -w <<<"$tables"), acknowledged before backup point $acked_before (all restored), after it $lost_after (not in a logical backup: WAL archiving covers them in production), backup ${backup_ms} ms ${backup_bytes} bytes, restore ${restore_ms} ms"
else
  die "$failures check(s) failed (files in $WORK with --keep)"
fi
