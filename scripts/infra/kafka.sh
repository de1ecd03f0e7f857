#!/usr/bin/env bash
# Kafka 3.9.1, single node KRaft (jars from Maven Central via scripts/kafka/pom.xml, cached), on
# 127.0.0.1:$KAFKA_PORT (9092) with its controller on $KAFKA_CONTROLLER_PORT (9093); data, config
# and logs in $SHOP_LOCAL_DIR/kafka. Topics checkout-events(3) order-events(3)
# checkout-events.dlq(1) order-events.dlq(1) are created explicitly (auto-create is off).
# Run directly: scripts/infra/kafka.sh start|stop|status|logs (or through scripts/infra.sh).
[[ -n ${INFRA:-} ]] || source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

KAFKA_PORT=${KAFKA_PORT:-9092}
KAFKA_CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-9093}
KAFKA_VERSION=3.9.1
KAFKA_TOPICS=(checkout-events:3 order-events:3 checkout-events.dlq:1 order-events.dlq:1)
KAFKA_DIR="$LOCAL/kafka"
KAFKA_LIBS="$CACHE/kafka-$KAFKA_VERSION/libs"

kafka_install() {
  command -v java >/dev/null || apt_install openjdk-17-jre-headless
  [[ -f $KAFKA_LIBS/.complete ]] && return 0
  command -v mvn >/dev/null || apt_install maven
  log "kafka: downloading Kafka $KAFKA_VERSION jars from Maven Central into $KAFKA_LIBS"
  rm -rf "$KAFKA_LIBS.tmp"
  mkdir -p "$KAFKA_LIBS.tmp"
  mvn -q -B -f "$ROOT/scripts/kafka/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$KAFKA_LIBS.tmp" >"$CACHE/kafka-mvn.log" 2>&1 ||
    die_with_log "kafka: mvn dependency:copy-dependencies failed" "$CACHE/kafka-mvn.log"
  ls "$KAFKA_LIBS.tmp/kafka_2.13-$KAFKA_VERSION.jar" "$KAFKA_LIBS.tmp/kafka-tools-$KAFKA_VERSION.jar" >/dev/null ||
    die "kafka: jars missing after mvn"
  rm -rf "$KAFKA_LIBS"
  mv "$KAFKA_LIBS.tmp" "$KAFKA_LIBS"
  touch "$KAFKA_LIBS/.complete"
}

# run a Kafka CLI class (StorageTool, TopicCommand)
kafka_tool() {
  java -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$ROOT/scripts/kafka/log4j-tools.properties" \
    -cp "$KAFKA_LIBS/*" "$@"
}

# the -D marker tells our broker apart from any other JVM; the port tells two of ours apart
kafka_pid() { pidfile_alive "$KAFKA_DIR/kafka.pid" "-Dshop.infra=kafka"; }

kafka_write_config() {
  mkdir -p "$KAFKA_DIR/data" "$KAFKA_DIR/logs"
  cat >"$KAFKA_DIR/server.properties" <<CONF
# written by scripts/infra/kafka.sh on every start; edit the script, not this file
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$KAFKA_DIR/data
num.partitions=3
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=10
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
num.network.threads=2
num.io.threads=4
log.retention.hours=24
log.segment.bytes=67108864
CONF
}

# topics as "name partitions leaderless" lines (empty output + failure when not answering)
kafka_topics() {
  if have_node; then
    probe kafka "$KAFKA_PORT" 2>/dev/null
  else
    kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:$KAFKA_PORT" \
      --describe --exclude-internal 2>/dev/null |
      awk '/^Topic:/ && /PartitionCount/ {for (i=1;i<=NF;i++) {if ($i=="Topic:") n=$(i+1); if ($i=="PartitionCount:") c=$(i+1)}; print n, c, 0}'
  fi
}

# all our topics exist and every partition has a leader
kafka_topics_ok() {
  local topics=$1 spec
  for spec in "${KAFKA_TOPICS[@]}"; do
    awk -v n="${spec%%:*}" '$1 == n && $2 > 0 && $3 == 0 {f=1} END {exit !f}' <<<"$topics" || return 1
  done
}

# Launch the JVM without waiting (infra.sh up starts it first: it is the slowest to boot).
kafka_spawn() {
  kafka_install
  kafka_pid >/dev/null && return 0
  port_open "$KAFKA_PORT" && die "kafka: port $KAFKA_PORT is taken by another process (not started by this script)"
  kafka_write_config
  if [[ ! -f $KAFKA_DIR/data/meta.properties ]]; then
    [[ -s $KAFKA_DIR/cluster.id ]] || kafka_tool kafka.tools.StorageTool random-uuid >"$KAFKA_DIR/cluster.id"
    log "kafka: formatting storage $KAFKA_DIR/data (cluster id $(cat "$KAFKA_DIR/cluster.id"))"
    kafka_tool kafka.tools.StorageTool format -t "$(cat "$KAFKA_DIR/cluster.id")" \
      -c "$KAFKA_DIR/server.properties" --ignore-formatted >"$KAFKA_DIR/format.log" 2>&1 ||
      die_with_log "kafka: storage format failed" "$KAFKA_DIR/format.log"
  fi
  log "kafka: starting on 127.0.0.1:$KAFKA_PORT (KRaft, controller on $KAFKA_CONTROLLER_PORT)"
  printf '\n===== %s start\n' "$(date -Is)" >>"$KAFKA_DIR/kafka.out"
  spawn "$KAFKA_DIR/kafka.pid" "$KAFKA_DIR/kafka.out" \
    java -Dshop.infra=kafka -Xms256m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -XX:+ExitOnOutOfMemoryError \
    -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$ROOT/scripts/kafka/log4j.properties" \
    -Dkafka.logs.dir="$KAFKA_DIR/logs" \
    -cp "$KAFKA_LIBS/*" kafka.Kafka "$KAFKA_DIR/server.properties"
}

kafka_create_missing_topics() {
  local topics=$1 spec name
  for spec in "${KAFKA_TOPICS[@]}"; do
    name=${spec%%:*}
    awk -v n="$name" '$1 == n {f=1} END {exit !f}' <<<"$topics" && continue
    log "kafka: creating topic $name (${spec##*:} partitions)"
    kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:$KAFKA_PORT" \
      --create --if-not-exists --topic "$name" --partitions "${spec##*:}" --replication-factor 1 \
      >>"$KAFKA_DIR/topics.log" 2>&1 || die_with_log "kafka: creating topic $name failed" "$KAFKA_DIR/topics.log"
  done
}

kafka_wait_ready() {
  local i topics="" created=0
  for ((i = 0; i < 600; i++)); do # 120 s
    if topics=$(kafka_topics); then # the broker answers metadata requests
      kafka_topics_ok "$topics" && return 0
      if [[ $created -eq 0 ]]; then
        created=1
        kafka_create_missing_topics "$topics"
        continue
      fi
    fi
    kafka_pid >/dev/null || die_with_log "kafka: exited during start-up" "$KAFKA_DIR/kafka.out" "$KAFKA_DIR/logs/server.log"
    sleep 0.2
  done
  die_with_log "kafka: not ready after 120s (topics: ${topics:-none})" "$KAFKA_DIR/logs/server.log"
}

kafka_start() {
  local pid
  if pid=$(kafka_pid) && kafka_topics_ok "$(kafka_topics || true)"; then
    log "kafka: already running (pid $pid)"
    return 0
  fi
  kafka_spawn
  kafka_wait_ready
}

kafka_stop() { stop_pidfile kafka kafka_pid "$KAFKA_DIR/kafka.pid" 60; }

kafka_status() {
  local pid
  if ! pid=$(kafka_pid); then
    status_line kafka down "-" "$KAFKA_PORT"
  elif kafka_topics_ok "$(kafka_topics || true)"; then
    status_line kafka up "$pid" "$KAFKA_PORT" "127.0.0.1:$KAFKA_PORT, topics ok"
  else
    status_line kafka down "$pid" "$KAFKA_PORT" "process alive but not ready (starting?)"
  fi
}

kafka_logs() { tail -n 50 "$KAFKA_DIR/logs/server.log"; }

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  set -euo pipefail
  server_main kafka "$@"
fi
