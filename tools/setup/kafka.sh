#!/usr/bin/env bash
# The local Apache Kafka broker: KRaft, one node (broker + controller), SASL SCRAM-SHA-512 and ACLs.
# Jars come from Maven Central through tools/kafka/pom.xml (fetched once into .trellis/kafka/libs),
# state and logs live under .trellis/kafka, the passwords under .trellis/secrets.
#
# Usage: tools/setup/kafka.sh <command>
#   start                         fetch jars if needed, format once, start, wait until a real client call works
#   stop                          SIGTERM, wait for a clean shutdown
#   status                        exit 0 when running and answering, 3 otherwise
#   restart
#   create-user NAME [PASSWORD]   SCRAM-SHA-512 credentials for principal User:NAME (password generated
#                                 into .trellis/secrets/kafka-user-NAME.password when not given); prints nothing secret
#   delete-user NAME              revoke (password replaced by an unknown one; see cmd_delete_user for why
#                                 the credentials are not deleted)
#   acl grant-read NAME TOPIC GROUP_PREFIX
#                                 read-only: READ+DESCRIBE on TOPIC (literal, or a prefix when it ends in '*')
#                                 and READ+DESCRIBE on consumer groups starting with GROUP_PREFIX
#   acl revoke-all NAME           remove every ACL of User:NAME
#   acl list [NAME]
#   tool CLASS ARGS...            run a Kafka tool class with the admin client config (e.g. kafka.admin.ConfigCommand)
#   client-config                 print the path of the admin client properties (SASL as User:trellis)
#   wipe                          stop and delete all broker data (re-formatted on next start)
#   fetch                         only resolve the jars
#
# `start` is idempotent and safe to run concurrently (a lock under .trellis/kafka). When 9092/9093
# are held by another Trellis checkout's broker (a CI clone on a developer machine), it stops that
# one first. Kafka 4.1 (tools/kafka/pom.xml). A log dir written by an older broker (the 3.9 this
# setup ran before) is upgraded in place on the first start: same topics, offsets, users and ACLs,
# then its metadata version is raised to 4.1; if the new broker cannot start on it, it is wiped and
# formatted afresh, once (local data is disposable: topics are re-provisioned).
# Variables: TRELLIS_KAFKA_HEAP (default "-Xmx512m -Xms512m"), TRELLIS_KAFKA_START_TIMEOUT,
# TRELLIS_KAFKA_PORT / TRELLIS_KAFKA_CONTROLLER_PORT (9092 / 9093; with TRELLIS_HOME pointing
# elsewhere, a second broker beside the shared one, e.g. to try a new version).
set -euo pipefail
TRELLIS_LOG_TAG=kafka
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

KAFKA_DIR="$TRELLIS_HOME/kafka"
LIBS="$KAFKA_DIR/libs"
DATA="$KAFKA_DIR/data"
CONF="$KAFKA_DIR/server.properties"
CLIENT_CONF="$KAFKA_DIR/client.properties"
PIDFILE="$KAFKA_DIR/kafka.pid"
LOGFILE="$KAFKA_DIR/kafka.log"
SRC="$TRELLIS_ROOT/tools/kafka"
KAFKA_PORT="${TRELLIS_KAFKA_PORT:-9092}"
CONTROLLER_PORT="${TRELLIS_KAFKA_CONTROLLER_PORT:-9093}"
BOOTSTRAP="127.0.0.1:$KAFKA_PORT"
TOOL_JAVA_OPTS=(-Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto
  "-Dlog4j2.configurationFile=$SRC/tools-log4j2.yaml")
# The Kafka version whose log dir this is (written after each successful start).
DATA_VERSION="$KAFKA_DIR/data.version"

ensure_java() {
  if command -v java >/dev/null 2>&1 && command -v mvn >/dev/null 2>&1; then return 0; fi
  is_root || die "Java 17 and Maven are needed for the local Kafka broker: apt-get install -y openjdk-17-jre-headless maven"
  log "installing Java 17 and Maven (Debian packages)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless maven >/dev/null
}

# Jars: resolved once per pom.xml content (a stamp holds its hash), into a temp dir then renamed.
ensure_libs() {
  local want have
  want="$(sha256sum "$SRC/pom.xml" | cut -c1-64)"
  have="$(cat "$LIBS/.stamp" 2>/dev/null || true)"
  [ "$want" = "$have" ] && return 0
  ensure_java
  log "fetching Kafka jars from Maven Central (tools/kafka/pom.xml)"
  local tmp="$KAFKA_DIR/libs.tmp.$$"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  if ! mvn -q -B -Dstyle.color=never -f "$SRC/pom.xml" dependency:copy-dependencies \
    -DoutputDirectory="$tmp" >"$KAFKA_DIR/mvn.log" 2>&1; then
    tail -n 40 "$KAFKA_DIR/mvn.log" >&2
    die "mvn could not resolve tools/kafka/pom.xml (see $KAFKA_DIR/mvn.log)"
  fi
  echo "$want" >"$tmp/.stamp"
  rm -rf "$LIBS"
  mv "$tmp" "$LIBS"
  log "$(ls "$LIBS"/*.jar | wc -l) jars in $LIBS"
}

kjava() { java "${TOOL_JAVA_OPTS[@]}" -cp "$LIBS/*" "$@"; }

render_config() {
  local kpw cpw
  kpw="$(ensure_secret kafka)"
  cpw="$(ensure_secret kafka-controller)"
  mkdir -p "$KAFKA_DIR"
  (
    umask 077
    sed -e "s#@DATA_DIR@#$DATA#g" -e "s#@PORT@#$KAFKA_PORT#g" -e "s#@CONTROLLER_PORT@#$CONTROLLER_PORT#g" -e "s#@KAFKA_PASSWORD@#$kpw#g" -e "s#@CONTROLLER_PASSWORD@#$cpw#g" \
      "$SRC/server.properties.template" >"$CONF.tmp"
    mv "$CONF.tmp" "$CONF"
    cat >"$CLIENT_CONF.tmp" <<PROPS
security.protocol=SASL_PLAINTEXT
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="trellis" password="$kpw";
PROPS
    mv "$CLIENT_CONF.tmp" "$CLIENT_CONF"
  )
  write_infra_env
}

# Format the log dir once (cluster id + the super user's SCRAM credentials in the metadata log).
# When the password secret no longer matches the one the data was formatted with, start afresh.
ensure_formatted() {
  local kpw stamp
  kpw="$(ensure_secret kafka)"
  stamp="$(printf '%s' "$kpw$(ensure_secret kafka-controller)" | sha256sum | cut -c1-64)"
  if [ -f "$DATA/meta.properties" ]; then
    if [ "$(cat "$KAFKA_DIR/formatted.stamp" 2>/dev/null)" = "$stamp" ]; then return 0; fi
    log "credentials changed since the log dir was formatted: wiping $DATA"
    rm -rf "$DATA" "$DATA_VERSION"
  fi
  local cluster_id
  cluster_id="$(kjava kafka.tools.StorageTool random-uuid)"
  log "formatting $DATA (cluster id $cluster_id)"
  mkdir -p "$DATA"
  kjava kafka.tools.StorageTool format -t "$cluster_id" -c "$CONF" --ignore-formatted \
    --add-scram "SCRAM-SHA-512=[name=trellis,password=$kpw]" >/dev/null
  echo "$stamp" >"$KAFKA_DIR/formatted.stamp"
  echo "$cluster_id" >"$KAFKA_DIR/cluster.id"
  kafka_version >"$DATA_VERSION"
}

# The pid in the pid file, only when it is still our broker (guards against pid reuse).
running_pid() {
  local pid
  pid="$(cat "$PIDFILE" 2>/dev/null || true)"
  [ -n "$pid" ] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "kafka.Kafka $CONF" || return 1
  echo "$pid"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# A real authenticated client call: list topics as User:trellis.
client_ok() {
  timeout 60 java "${TOOL_JAVA_OPTS[@]}" -cp "$LIBS/*" org.apache.kafka.tools.TopicCommand \
    --bootstrap-server "$BOOTSTRAP" --command-config "$CLIENT_CONF" --list >/dev/null 2>&1
}

cmd_start() {
  mkdir -p "$KAFKA_DIR"
  exec 8>"$KAFKA_DIR/.lock"
  flock 8
  start_locked
}

start_locked() {
  local pid
  if pid="$(running_pid)"; then
    log "already running (pid $pid)"
    render_config
    return 0
  fi
  if port_open "$KAFKA_PORT" || port_open "$CONTROLLER_PORT"; then
    # Another Trellis checkout's broker (e.g. a CI clone on a developer's machine): stop it, once.
    local other
    # (3.9 brokers ran with tools/kafka/log4j.properties, 4.x ones with tools/kafka/log4j2.yaml)
    other="$(pgrep -f 'tools/kafka/log4j(2\.yaml|\.properties) .*kafka\.Kafka /' | head -1 || true)"
    if [ -n "$other" ] && [ -z "${KAFKA_TOOK_OVER:-}" ]; then
      log "ports held by another Trellis checkout's broker (pid $other: $(tr '\0' ' ' <"/proc/$other/cmdline" | grep -o '/[^ ]*/server.properties')): stopping it"
      stop_pid "$other"
      PIDFILE="$KAFKA_DIR/kafka.pid" KAFKA_TOOK_OVER=1 start_locked
      return
    fi
    die "127.0.0.1:$KAFKA_PORT or :$CONTROLLER_PORT is taken by another process (not $PIDFILE). Stop it first (another checkout's broker? run its tools/setup/kafka.sh stop)."
  fi
  ensure_libs
  render_config
  ensure_formatted
  log "starting broker (log: $LOGFILE)"
  local t0; t0=$(date +%s)
  : >"$LOGFILE"
  # setsid: its own session, so a Ctrl-C in the terminal reaches it only through `kafka.sh stop`.
  KAFKA_HEAP="${TRELLIS_KAFKA_HEAP:--Xmx512m -Xms512m}"
  # shellcheck disable=SC2086
  setsid nohup java $KAFKA_HEAP -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true \
    "-Dlog4j2.configurationFile=$SRC/log4j2.yaml" -Dkafka.logs.dir="$KAFKA_DIR" \
    -cp "$LIBS/*" kafka.Kafka "$CONF" >>"$LOGFILE" 2>&1 </dev/null 8>&- &
  echo $! >"$PIDFILE"
  local deadline=$(( $(date +%s) + ${TRELLIS_KAFKA_START_TIMEOUT:-120} ))
  until port_open "$KAFKA_PORT"; do
    running_pid >/dev/null || { startup_failed; return; }
    [ "$(date +%s)" -lt "$deadline" ] || die "broker did not open $KAFKA_PORT in time (see $LOGFILE)"
    sleep 0.5
  done
  local opened; opened=$(date +%s)
  until client_ok; do
    running_pid >/dev/null || { startup_failed; return; }
    # Self-repair: a broker that is up but keeps refusing User:trellis has lost its SCRAM users
    # (see cmd_delete_user). Local data is disposable (topics are re-provisioned): start afresh, once.
    if [ "$(( $(date +%s) - opened ))" -ge 20 ] && [ -z "${KAFKA_REPAIRED:-}" ] &&
      grep -q "invalid credentials with SASL mechanism SCRAM-SHA-512" "$LOGFILE"; then
      log "the broker refuses User:trellis although its password is unchanged: wiping and re-formatting the local data"
      stop_pid "$(cat "$PIDFILE")"
      rm -rf "$DATA" "$KAFKA_DIR/formatted.stamp" "$DATA_VERSION"
      KAFKA_REPAIRED=1 start_locked
      return
    fi
    [ "$(date +%s)" -lt "$deadline" ] || die "broker does not answer authenticated clients (see $LOGFILE)"
    sleep 1
  done
  finish_upgrade
  log "ready: Kafka $(kafka_version) on $BOOTSTRAP (SASL_PLAINTEXT SCRAM-SHA-512, ACLs) in $(( $(date +%s) - t0 ))s, pid $(cat "$PIDFILE")"
}

# The version that last ran on the log dir: data.version, or "3.9" for a log dir from before it
# was recorded (this setup ran Kafka 3.9 until then).
data_version() {
  if [ -s "$DATA_VERSION" ]; then cat "$DATA_VERSION"; elif [ -f "$DATA/meta.properties" ]; then echo 3.9; fi
}
release() { cut -d. -f1,2 <<<"$1"; } # 4.1.1 -> 4.1

# The broker died while starting. On a log dir an older Kafka wrote (in-place upgrade), start
# afresh once: wipe, format, start. Otherwise (or the second time) show the log and fail.
startup_failed() {
  local from; from="$(data_version)"
  rm -f "$PIDFILE"
  if [ -n "$from" ] && [ "$(release "$from")" != "$(release "$(kafka_version)")" ] && [ -z "${KAFKA_REPAIRED:-}" ]; then
    tail -n 20 "$LOGFILE" >&2
    log "Kafka $(kafka_version) cannot start on the log dir of Kafka $from: wiping and formatting afresh"
    rm -rf "$DATA" "$KAFKA_DIR/formatted.stamp" "$DATA_VERSION"
    KAFKA_REPAIRED=1 start_locked
    return
  fi
  tail -n 40 "$LOGFILE" >&2
  die "broker exited during start-up (see $LOGFILE)"
}

# After a start on a log dir of an older release: raise the cluster's metadata version to this
# release's (until then the upgraded broker keeps the old one, as a rolling upgrade would), and
# record the version that runs on the log dir.
finish_upgrade() {
  local from now; from="$(data_version)"; now="$(kafka_version)"
  if [ -n "$from" ] && [ "$(release "$from")" != "$(release "$now")" ]; then
    log "log dir of Kafka $from upgraded in place: raising the metadata version to $(release "$now")"
    kjava org.apache.kafka.tools.FeatureCommand --bootstrap-server "$BOOTSTRAP" \
      --command-config "$CLIENT_CONF" upgrade --release-version "$(release "$now")" >/dev/null ||
      log "could not raise the metadata version (the broker runs on the old one)"
  fi
  echo "$now" >"$DATA_VERSION"
}

kafka_version() { ls "$LIBS" | sed -n 's/^kafka_2\.13-\(.*\)\.jar$/\1/p'; }

cmd_stop() {
  mkdir -p "$KAFKA_DIR"
  exec 8>"$KAFKA_DIR/.lock"
  flock 8
  local pid
  if ! pid="$(running_pid)"; then
    rm -f "$PIDFILE"
    log "not running"
    return 0
  fi
  log "stopping broker (pid $pid)"
  local t0; t0=$(date +%s)
  stop_pid "$pid"
  log "stopped in $(( $(date +%s) - t0 ))s"
}

stop_pid() { # SIGTERM (controlled shutdown), wait up to 60 s, then SIGKILL
  local pid="$1" i
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 120); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "no clean shutdown after 60 s: killing pid $pid"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$PIDFILE"
}

cmd_status() {
  local pid
  if pid="$(running_pid)"; then
    if client_ok; then
      log "running (pid $pid) and answering on $BOOTSTRAP"
      return 0
    fi
    log "running (pid $pid) but not answering on $BOOTSTRAP"
    return 3
  fi
  log "stopped"
  return 3
}

need_running() {
  running_pid >/dev/null || die "the broker is not running: tools/setup/kafka.sh start"
  [ -f "$CLIENT_CONF" ] || render_config
}

valid_name() {
  [[ "$1" =~ ^[A-Za-z0-9._-]+$ ]] || die "invalid principal name '$1' (letters, digits, . _ -)"
}

cmd_create_user() {
  local name="${1:?usage: kafka.sh create-user NAME [PASSWORD]}" pw="${2:-}"
  valid_name "$name"
  [ "$name" != trellis ] || die "User:trellis is the platform super user, set at format time"
  need_running
  if [ -z "$pw" ]; then pw="$(ensure_secret "kafka-user-$name")"; fi
  kjava kafka.admin.ConfigCommand --bootstrap-server "$BOOTSTRAP" --command-config "$CLIENT_CONF" \
    --alter --entity-type users --entity-name "$name" \
    --add-config "SCRAM-SHA-512=[iterations=8192,password=$pw]" >/dev/null
  # The controller commits first, the broker learns of it a moment later: return once it has.
  local i
  for i in 1 2 3 4 5 6 7 8 9 10; do
    kjava kafka.admin.ConfigCommand --bootstrap-server "$BOOTSTRAP" --command-config "$CLIENT_CONF" \
      --describe --entity-type users --entity-name "$name" 2>/dev/null | grep -q 'SCRAM-SHA-512=iterations=8192' && break
    sleep 0.5
  done
  log "SCRAM-SHA-512 credentials set for User:$name"
}

# Revokes a principal by replacing its credentials with a random password nobody holds.
# Deliberately NOT `--delete-config SCRAM-SHA-512`: in Kafka 3.9.1 (KRaft) a
# RemoveUserScramCredentialRecord in the metadata log makes the broker lose EVERY SCRAM user when
# it next restarts (reproduced here: create + delete a user, restart, User:trellis is refused).
cmd_delete_user() {
  local name="${1:?usage: kafka.sh delete-user NAME}"
  valid_name "$name"
  [ "$name" != trellis ] || die "refusing to revoke the platform super user"
  need_running
  kjava kafka.admin.ConfigCommand --bootstrap-server "$BOOTSTRAP" --command-config "$CLIENT_CONF" \
    --alter --entity-type users --entity-name "$name" \
    --add-config "SCRAM-SHA-512=[iterations=8192,password=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')]" >/dev/null
  rm -f "$TRELLIS_SECRETS/kafka-user-$name.password"
  log "User:$name revoked (credentials replaced by an unknown random password)"
}

acl_cmd() { # AclCommand moved to org.apache.kafka.tools in Kafka 4.0
  local cls=org.apache.kafka.tools.AclCommand
  case "$(kafka_version)" in 3.*) cls=kafka.admin.AclCommand ;; esac
  kjava "$cls" --bootstrap-server "$BOOTSTRAP" --command-config "$CLIENT_CONF" "$@"
}

cmd_acl() {
  local sub="${1:-}"
  shift || true
  need_running
  case "$sub" in
    grant-read)
      local name="${1:?usage: kafka.sh acl grant-read NAME TOPIC GROUP_PREFIX}" topic="${2:?topic}" group="${3:?group prefix}"
      valid_name "$name"
      local topic_pattern=literal
      if [[ "$topic" == *'*' ]]; then topic="${topic%\*}"; topic_pattern=prefixed; fi
      acl_cmd --add --allow-principal "User:$name" --operation Read --operation Describe \
        --topic "$topic" --resource-pattern-type "$topic_pattern" >/dev/null
      acl_cmd --add --allow-principal "User:$name" --operation Read --operation Describe \
        --group "$group" --resource-pattern-type prefixed >/dev/null
      # Wait until the broker's authorizer (which answers the listing) holds both bindings.
      local i listing
      for i in 1 2 3 4 5 6 7 8 9 10; do
        listing="$(acl_cmd --list --principal "User:$name" 2>/dev/null || true)"
        grep -q "resourceType=TOPIC, name=$topic, patternType=${topic_pattern^^}" <<<"$listing" &&
          grep -q "resourceType=GROUP, name=$group, patternType=PREFIXED" <<<"$listing" && break
        sleep 0.5
      done
      log "User:$name may read topic $topic ($topic_pattern) with groups '$group*'"
      ;;
    revoke-all)
      local name="${1:?usage: kafka.sh acl revoke-all NAME}"
      valid_name "$name"
      # AclCommand removes exact bindings: list the principal's, then remove each one.
      local rtype rname rpattern op perm flag who
      acl_cmd --list --principal "User:$name" | awk '
        /resourceType=/ { match($0, /resourceType=[A-Z_]+, name=.*, patternType=[A-Z]+/)
          split(substr($0, RSTART, RLENGTH), p, /, (name|patternType)=/); sub(/resourceType=/, "", p[1]); next }
        /operation=/ { match($0, /operation=[A-Z_]+/); op = substr($0, RSTART + 10, RLENGTH - 10)
          match($0, /permissionType=[A-Z]+/); perm = substr($0, RSTART + 15, RLENGTH - 15)
          n = split(tolower(op), w, "_"); camel = ""; for (i = 1; i <= n; i++) camel = camel toupper(substr(w[i], 1, 1)) substr(w[i], 2)
          print p[1] "\t" p[2] "\t" tolower(p[3]) "\t" camel "\t" perm }' |
        while IFS=$'\t' read -r rtype rname rpattern op perm; do
          case "$rtype" in
            TOPIC) flag=(--topic "$rname") ;; GROUP) flag=(--group "$rname") ;;
            TRANSACTIONAL_ID) flag=(--transactional-id "$rname") ;; CLUSTER) flag=(--cluster) ;; *) continue ;;
          esac
          if [ "$perm" = DENY ]; then who=--deny-principal; else who=--allow-principal; fi
          acl_cmd --remove --force "$who" "User:$name" --operation "$op" "${flag[@]}" \
            --resource-pattern-type "$rpattern" >/dev/null
        done
      log "removed the ACLs of User:$name"
      ;;
    list)
      if [ -n "${1:-}" ]; then acl_cmd --list --principal "User:$1"; else acl_cmd --list; fi
      ;;
    *) die "usage: kafka.sh acl grant-read|revoke-all|list ..." ;;
  esac
}

cmd="${1:-}"
shift || true
case "$cmd" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  restart) cmd_stop && cmd_start ;;
  status) cmd_status ;;
  create-user) cmd_create_user "$@" ;;
  delete-user) cmd_delete_user "$@" ;;
  acl) cmd_acl "$@" ;;
  tool)
    need_running
    cls="${1:?usage: kafka.sh tool CLASS ARGS...}"
    shift
    kjava "$cls" "$@"
    ;;
  client-config) render_config >/dev/null && echo "$CLIENT_CONF" ;;
  fetch) ensure_libs ;;
  wipe)
    cmd_stop
    rm -rf "$DATA" "$KAFKA_DIR/formatted.stamp" "$KAFKA_DIR/cluster.id" "$DATA_VERSION"
    log "data wiped"
    ;;
  *)
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
    [ -z "$cmd" ] || exit 2
    ;;
esac
