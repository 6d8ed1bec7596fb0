#!/usr/bin/env bash
# Regional authorities' Kafka principals: one SCRAM-SHA-512 user per region, `region-<region>`,
# allowed only READ + DESCRIBE on its own stream `trellis.region.<region>.v1` and on consumer
# groups starting with `region-<region>.` (StandardAuthorizer: everything else is denied).
# Passwords: .trellis/secrets/regions/<region>.password (generated once, never printed).
#
# Usage: tools/regional/setup.sh [region ...]      (default: TRELLIS_REGIONS or the eight regions)
#        tools/regional/setup.sh --force [region ...]  re-apply even when the stamp says done
#
# Idempotent and quick on re-runs: a stamp per region (cluster id + password hash + topic) under
# .trellis/regions/ skips regions already set up on this broker. Called by tools/trellis.sh after
# the topics are provisioned (start, test). Needs the broker running (tools/setup/kafka.sh start).
set -euo pipefail
TRELLIS_LOG_TAG=regional
source "$(dirname "${BASH_SOURCE[0]}")/../setup/common.sh"

KAFKA_SH="$TRELLIS_ROOT/tools/setup/kafka.sh"
STAMPS="$TRELLIS_HOME/regions"
SECRETS="$TRELLIS_SECRETS/regions"
DEFAULT_REGIONS="north-east north-west yorkshire midlands east london south-east south-west"

force=0
if [ "${1:-}" = --force ]; then force=1; shift; fi
regions=("$@")
if [ "${#regions[@]}" = 0 ]; then
  read -r -a regions <<<"${TRELLIS_REGIONS:+${TRELLIS_REGIONS//,/ }}"
  [ "${#regions[@]}" -gt 0 ] || read -r -a regions <<<"$DEFAULT_REGIONS"
fi

bash "$KAFKA_SH" status >/dev/null 2>&1 || die "Kafka is not running: tools/setup/kafka.sh start"
cluster="$(cat "$TRELLIS_HOME/kafka/cluster.id" 2>/dev/null || echo unknown)"
mkdir -p "$STAMPS" "$SECRETS"
chmod 700 "$SECRETS"

region_password() { # generated once: 32 hex chars
  local f="$SECRETS/$1.password"
  if [ ! -s "$f" ]; then
    (umask 077 && head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$f.tmp" && mv "$f.tmp" "$f")
  fi
  cat "$f"
}

t0=$(date +%s)
done_count=0
skipped=0
for region in "${regions[@]}"; do
  [[ "$region" =~ ^[a-z][a-z0-9-]*$ ]] || die "invalid region code '$region'"
  user="region-$region"
  topic="trellis.region.$region.v1"
  pw="$(region_password "$region")"
  stamp="$cluster $(printf '%s' "$pw" | sha256sum | cut -c1-16) $topic region-$region."
  if [ "$force" = 0 ] && [ "$(cat "$STAMPS/$region.stamp" 2>/dev/null || true)" = "$stamp" ]; then
    skipped=$((skipped + 1))
    continue
  fi
  bash "$KAFKA_SH" create-user "$user" "$pw"
  bash "$KAFKA_SH" acl grant-read "$user" "$topic" "region-$region."
  echo "$stamp" >"$STAMPS/$region.stamp"
  done_count=$((done_count + 1))
done
log "regional principals: $done_count set up, $skipped already in place ($(( $(date +%s) - t0 ))s); passwords in $SECRETS/"
