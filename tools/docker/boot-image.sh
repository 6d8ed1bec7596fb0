#!/usr/bin/env bash
# Boots one image built by tools/docker/build-local.sh from its own root filesystem and proves it
# serves: nothing from the host is visible to the process (buildah run, chroot isolation: only
# the image's files, plus the /etc/hosts and /etc/resolv.conf a container runtime mounts).
#
#   bash tools/docker/boot-image.sh <app> [image]      (image default: localhost/trellis/<app>:<HEAD>)
#
# Against the local PostgreSQL and Kafka (.trellis/infra.env) and the local ports table
# (deploy/local/ports.env), on free ports and a throwaway schema (dropped at the end):
#   1. service apps with a Prisma schema: the shipped migrate CLI applies the migrations;
#   2. the image's CMD runs as the image's user (uid 10001) from its WORKDIR;
#   3. passes when /health/ready answers 200 (and, for gRPC services, the shipped
#      grpc-health-check reports SERVING); prints the readiness body; SIGTERM, then checks the exit.
# Exit 0 when all of that holds. Not part of `npm test` (needs a built image). docs/images.md.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
app="${1:?usage: boot-image.sh <app> [image]}"
image="${2:-localhost/trellis/$app:$(git -C "$ROOT" rev-parse --short HEAD)}"
B=(buildah --storage-driver vfs)
die() { echo "boot-image: $app: $*" >&2; exit 1; }

set -a
# shellcheck disable=SC1091
source "$ROOT/.trellis/infra.env"
# shellcheck disable=SC1091
source "$ROOT/deploy/local/ports.env"
set +a
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
grpc_port="$(free_port)"
http_port="$(free_port)"
schema="${app//-/_}_boot$(date +%s)"
log="$(mktemp -t "boot-$app.XXXXXX.log")"

ctr="$("${B[@]}" from --name "trellis-boot-$app-$$" "$image")"
mnt="$("${B[@]}" mount "$ctr")"
pid=""
descendants() { local p; for p in $(ps -o pid= --ppid "$1"); do echo "$p"; descendants "$p"; done; }
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    for p in $(descendants "$pid") "$pid"; do kill "$p" 2>/dev/null || true; done
    wait "$pid" 2>/dev/null || true
  fi
  "${B[@]}" rm "$ctr" >/dev/null 2>&1 || true
  psql -q -c "DROP SCHEMA IF EXISTS \"$schema\" CASCADE" >/dev/null 2>&1 || true
}
trap cleanup EXIT

# what the process sees: the image's files only (no shell, no npm)
[ ! -e "$mnt/bin/sh" ] || die "the image has a shell (/bin/sh)"
[ ! -e "$mnt/usr/local/lib/node_modules/npm" ] || die "the image has npm"
workdir="$("${B[@]}" inspect --type container --format '{{.OCIv1.Config.WorkingDir}}' "$ctr")"
user="$("${B[@]}" inspect --type container --format '{{.OCIv1.Config.User}}' "$ctr")"
cmd="$("${B[@]}" inspect --type container --format '{{range .OCIv1.Config.Entrypoint}}{{.}} {{end}}{{range .OCIv1.Config.Cmd}}{{.}} {{end}}' "$ctr")"
echo "boot-image: $app: $image (user $user, workdir $workdir): $cmd"

envs=(--env "DATABASE_URL=$DATABASE_URL" --env "DATABASE_SCHEMA=$schema"
  --env "KAFKA_BROKERS=$KAFKA_BROKERS" --env "KAFKA_SASL_MECHANISM=$KAFKA_SASL_MECHANISM"
  --env "KAFKA_SASL_USERNAME=$KAFKA_SASL_USERNAME" --env "KAFKA_SASL_PASSWORD=$KAFKA_SASL_PASSWORD"
  --env "GRPC_PORT=$grpc_port" --env "HTTP_PORT=$http_port"
  # the root filesystem is not writable by the app: the development key rings go to /tmp (a
  # cluster mounts the key-ring Secrets instead)
  --env "GATEWAY_SIGNING_KEY_FILE=/tmp/gateway-signing-keys.json"
  --env "SERVICE_IDENTITY_KEY_FILE=/tmp/service-token-keys.json"
  --env "CITIZEN_IDP_KEYS_FILE=/tmp/citizen-idp-jwks.json")
while IFS='=' read -r key value; do
  case "$key" in '' | \#* | *_PORT | STAFF_DIRECTORY_FILE) continue ;; esac
  envs+=(--env "$key=$value")
done <"$ROOT/deploy/local/ports.env"
# consumer groups of its own, so the proof never takes partitions from a running stack or a test
for group in AUDIT_GROUP CONFORMANCE_GROUP GATEWAY_COMPLIANCE_GROUP IDENTITY_EVENTS_GROUP \
  INBOUND_EVENTS_GROUP NOTIFICATIONS_GROUP ROUTER_GROUP; do
  envs+=(--env "$group=trellis.boot-proof.$schema.${group,,}")
done
run=("${B[@]}" run --isolation chroot --network host "${envs[@]}" "$ctr" --)

if [ -d "$mnt/app/apps/$app/prisma" ]; then
  "${run[@]}" node tools/prisma/cli.js "$app" migrate-deploy --schema "$schema" >>"$log" 2>&1 ||
    { tail -n 30 "$log" >&2; die "migrate-deploy failed"; }
  echo "boot-image: $app: migrated schema $schema with the shipped CLI"
fi

# shellcheck disable=SC2086 # the image's ENTRYPOINT + CMD, word-split as the runtime does
"${run[@]}" $cmd >>"$log" 2>&1 &
pid=$!
start=$(date +%s)
deadline=$((start + ${BOOT_TIMEOUT:-240}))
ready=""
while :; do
  kill -0 "$pid" 2>/dev/null || { tail -n 40 "$log" >&2; die "exited during start-up"; }
  code="$(curl -s -o "$log.ready" -w '%{http_code}' "http://127.0.0.1:$http_port/health/ready" || true)"
  if [ "$code" = 200 ]; then ready="$(cat "$log.ready")"; break; fi
  [ "$(date +%s)" -lt "$deadline" ] || { tail -n 40 "$log" >&2; die "/health/ready not 200 (last $code)"; }
  sleep 1
done
echo "boot-image: $app: /health/ready 200 after $(($(date +%s) - start)) s: ${ready:0:300}"
# a gRPC service starts through libs/service-kit's runService (citizen-idp and the console serve HTTP only)
if [ -f "$mnt/app/tools/docker/grpc-health-check.js" ] && grep -q "runService" "$mnt/app/apps/$app/src/main.js" 2>/dev/null; then
  "${run[@]}" node tools/docker/grpc-health-check.js "127.0.0.1:$grpc_port" >>"$log" 2>&1 ||
    { tail -n 20 "$log" >&2; die "gRPC health not SERVING"; }
  echo "boot-image: $app: gRPC health SERVING (shipped grpc-health-check)"
fi
grep -q "Cannot find module" "$log" && die "a module is missing: $(grep -m1 'Cannot find module' "$log")"
# SIGTERM to the app's node process (a descendant of this buildah run), then wait for it to end
node_pid=""
main_js="$(echo "$cmd" | awk '{print $NF}')"
for p in $(descendants "$pid"); do
  case "$(ps -o args= -p "$p")" in *buildah*) ;; *"$main_js"*) node_pid="$p" ;; esac
done
[ -n "$node_pid" ] || die "no node process under buildah run $pid"
kill -TERM "$node_pid"
status=0
wait "$pid" || status=$?
pid=""
echo "boot-image: $app: SIGTERM to node ($node_pid): exit $status; $(grep -o '"msg":"shutdown complete"' "$log" || echo 'no shutdown log line')"
echo "boot-image: $app: log $log"
