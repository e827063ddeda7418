#!/usr/bin/env bash
# A Kafka Connect 4.3.1 distributed worker against the local services, driven over its REST API.
#
#   bench/peers/connect.sh up [ID] [--avro]   install the peers if missing (with --avro also Apicurio's Avro
#                                            converter, see install.sh), start a worker, wait until its REST API answers
#   bench/peers/connect.sh down      stop the worker this script started (and nothing else)
#
# ID (default "bench") names the worker's group and its internal topics, so each run starts from
# nothing. Prints PEERS_CONNECT_URL and PEERS_CONNECT_PID as KEY=value.
# The JVM runs as Kafka's own bin/connect-distributed.sh launches it: heap -Xms256M -Xmx2G
# (KAFKA_HEAP_OPTS there) and the G1 options of kafka-run-class.sh (KAFKA_JVM_PERFORMANCE_OPTS).
# Port: CONFLUX_PEERS_CONNECT_PORT, default 18083 (conflux's worker uses 8083). Brokers: KAFKA_BROKERS, else the local Kafka.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../../scripts/services/lib.sh
source "$here/../../scripts/services/lib.sh"
source "$SERVICES_DIR/kafka.sh"

PORT="${CONFLUX_PEERS_CONNECT_PORT:-18083}"
NAME=peers-connect
HEAP_OPTS=(-Xms256M -Xmx2G)
PERFORMANCE_OPTS=(-server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true)

worker_config() {
  local id="$1" dir="$STATE_DIR/$NAME" plugins="$2"
  mkdir -p "$dir"
  cat >"$dir/worker.properties" <<PROPS
bootstrap.servers=${KAFKA_BROKERS:-$HOST:$KAFKA_PORT}
group.id=conflux-peers-$id
config.storage.topic=_conflux-peers-$id-configs
offset.storage.topic=_conflux-peers-$id-offsets
status.storage.topic=_conflux-peers-$id-status
config.storage.replication.factor=1
offset.storage.replication.factor=1
status.storage.replication.factor=1
listeners=http://$HOST:$PORT
rest.advertised.host.name=$HOST
rest.advertised.port=$PORT
plugin.path=$plugins
key.converter=org.apache.kafka.connect.json.JsonConverter
value.converter=org.apache.kafka.connect.json.JsonConverter
PROPS
  log4j2_console_config "$dir/log4j2.properties"
  echo "$dir"
}

rest_ready() { curl -fsS -m 5 "http://$HOST:$PORT/connectors" >/dev/null; }

cmd="${1:-}"
case "$cmd" in
  up)
    id="${2:-bench}"
    avro=()
    [ "${3:-}" = --avro ] && avro=(--avro)
    if ! is_running "$NAME"; then
      port_open "$PORT" && die "port $PORT is taken by a process that is not ours; set CONFLUX_PEERS_CONNECT_PORT"
      installed="$(bash "$here/install.sh" "${avro[@]}")"
      eval "$(grep '^PEERS_' <<<"$installed")"
      dir="$(worker_config "$id" "$PEERS_PLUGIN_PATH")"
      say "starting Kafka Connect 4.3.1 (distributed, group conflux-peers-$id) on $HOST:$PORT"
      spawn "$NAME" "$PEERS_JAVA" "${HEAP_OPTS[@]}" "${PERFORMANCE_OPTS[@]}" \
        -Dlog4j2.configurationFile="$dir/log4j2.properties" -cp "$PEERS_CONNECT_HOME/*" \
        org.apache.kafka.connect.cli.ConnectDistributed "$dir/worker.properties"
    fi
    wait_until "$NAME" "$READY_TIMEOUT" rest_ready
    echo "PEERS_CONNECT_URL=http://$HOST:$PORT"
    echo "PEERS_CONNECT_PID=$(cat "$(pid_file "$NAME")")"
    echo "PEERS_CONNECT_LOG=$LOG_DIR/$NAME.log"
    ;;
  down) stop_service "$NAME" ;;
  *) die "usage: connect.sh up [ID] [--avro] | down" ;;
esac
