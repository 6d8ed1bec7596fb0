#!/usr/bin/env bash
# A second, disposable Kafka 4.1 broker (KRaft, SCRAM-SHA-512, ACL authorizer: the settings of
# ../server.properties.template) on other ports and in its own directory, to prove the event stack
# on Kafka 4 without touching the shared 3.9 broker (docs/events.md, "The Kafka client"):
#
#   bash tools/kafka/kafka4/trial.sh start     jars from Maven Central (pom.xml here), format, start
#   bash tools/kafka/kafka4/trial.sh env       KAFKA_BROKERS=... KAFKA_SASL_PASSWORD=... for the proofs
#   bash tools/kafka/kafka4/trial.sh stop      stop it (data kept); `wipe` also deletes the data
#
#   env $(bash tools/kafka/kafka4/trial.sh env) TRELLIS_EVENTS_CLIENT=platformatic \
#     npx jest -c jest.int.config.cjs libs/events/test
#
# Ports: TRELLIS_KAFKA4_PORT (19092) and TRELLIS_KAFKA4_CONTROLLER_PORT (19093). State in
# .trellis/kafka4 (git-ignored). Needs Java 17 and Maven, as tools/setup/kafka.sh.
set -euo pipefail
TRELLIS_LOG_TAG=kafka4
source "$(dirname "${BASH_SOURCE[0]}")/../../setup/common.sh"

SRC="$TRELLIS_ROOT/tools/kafka"
DIR="$TRELLIS_HOME/kafka4"
LIBS="$DIR/libs"
DATA="$DIR/data"
CONF="$DIR/server.properties"
PIDFILE="$DIR/kafka.pid"
PORT="${TRELLIS_KAFKA4_PORT:-19092}"
CONTROLLER_PORT="${TRELLIS_KAFKA4_CONTROLLER_PORT:-19093}"
JAVA_OPTS=(-Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC "-Dlog4j2.configurationFile=$SRC/kafka4/log4j2.yaml")

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

running_pid() {
  local pid
  pid="$(cat "$PIDFILE" 2>/dev/null || true)"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "kafka.Kafka $CONF" || return 1
  echo "$pid"
}

secret() { # a password kept in the trial's own directory (never the shared broker's)
  local f="$DIR/$1.password"
  [ -s "$f" ] || (umask 077 && openssl rand -hex 16 >"$f")
  cat "$f"
}

ensure_libs() {
  local want
  want="$(sha256sum "$SRC/kafka4/pom.xml" | cut -c1-64)"
  [ "$(cat "$LIBS/.stamp" 2>/dev/null || true)" = "$want" ] && return 0
  command -v mvn >/dev/null && command -v java >/dev/null || die "Java 17 and Maven are needed (see tools/setup/kafka.sh)"
  log "fetching Kafka 4 jars from Maven Central (tools/kafka/kafka4/pom.xml)"
  rm -rf "$LIBS.tmp"
  mvn -q -B -Dstyle.color=never -f "$SRC/kafka4/pom.xml" dependency:copy-dependencies \
    -DoutputDirectory="$LIBS.tmp" >"$DIR/mvn.log" 2>&1 || { tail -n 30 "$DIR/mvn.log" >&2; die "mvn failed"; }
  echo "$want" >"$LIBS.tmp/.stamp"
  rm -rf "$LIBS"
  mv "$LIBS.tmp" "$LIBS"
}

cmd_start() {
  mkdir -p "$DIR"
  if running_pid >/dev/null; then log "already running on 127.0.0.1:$PORT"; return 0; fi
  if port_open "$PORT" || port_open "$CONTROLLER_PORT"; then
    die "127.0.0.1:$PORT or :$CONTROLLER_PORT is taken: choose TRELLIS_KAFKA4_PORT / TRELLIS_KAFKA4_CONTROLLER_PORT"
  fi
  ensure_libs
  local kpw cpw
  kpw="$(secret kafka)"
  cpw="$(secret controller)"
  (umask 077 && sed -e "s#@DATA_DIR@#$DATA#g" -e "s#@PORT@#$PORT#g" -e "s#@CONTROLLER_PORT@#$CONTROLLER_PORT#g" \
    -e "s#@KAFKA_PASSWORD@#$kpw#g" -e "s#@CONTROLLER_PASSWORD@#$cpw#g" "$SRC/server.properties.template" >"$CONF")
  if [ ! -f "$DATA/meta.properties" ]; then
    local id
    id="$(java "${JAVA_OPTS[@]}" -cp "$LIBS/*" kafka.tools.StorageTool random-uuid)"
    log "formatting $DATA (cluster id $id)"
    java "${JAVA_OPTS[@]}" -cp "$LIBS/*" kafka.tools.StorageTool format -t "$id" -c "$CONF" \
      --add-scram "SCRAM-SHA-512=[name=trellis,password=$kpw]" >/dev/null
  fi
  setsid nohup java -Xmx512m -Xms512m "-Dlog4j2.configurationFile=$SRC/kafka4/log4j2.yaml" \
    -cp "$LIBS/*" kafka.Kafka "$CONF" >"$DIR/kafka.log" 2>&1 </dev/null &
  echo $! >"$PIDFILE"
  local deadline=$(( $(date +%s) + 120 ))
  until port_open "$PORT"; do
    running_pid >/dev/null || { tail -n 30 "$DIR/kafka.log" >&2; die "broker exited (see $DIR/kafka.log)"; }
    [ "$(date +%s)" -lt "$deadline" ] || die "broker did not open $PORT in time"
    sleep 0.5
  done
  log "Kafka 4 trial broker on 127.0.0.1:$PORT (log: $DIR/kafka.log)"
}

cmd_stop() {
  local pid
  if pid="$(running_pid)"; then
    kill "$pid"
    while kill -0 "$pid" 2>/dev/null; do sleep 0.5; done
    log "stopped"
  fi
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  wipe) cmd_stop; rm -rf "$DATA" ;;
  env) printf 'KAFKA_BROKERS=127.0.0.1:%s KAFKA_SASL_MECHANISM=scram-sha-512 KAFKA_SASL_USERNAME=trellis KAFKA_SASL_PASSWORD=%s\n' "$PORT" "$(secret kafka)" ;;
  *) die "usage: $0 start|stop|wipe|env" ;;
esac
