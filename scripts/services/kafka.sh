# Kafka broker in KRaft combined mode (broker + controller in one JVM), from Maven Central jars.

kafka_home() { echo "$CACHE_DIR/kafka-$KAFKA_VERSION"; }

kafka_install() {
  ensure_java
  [ -f "$(kafka_home)/.complete" ] && return
  ensure_maven
  say "downloading Kafka $KAFKA_VERSION jars"
  local dest; dest="$(kafka_home)"
  rm -rf "$dest"; mkdir -p "$dest"
  mvn -q -B -C -f "$SERVICES_DIR/maven/kafka.pom.xml" -Dkafka.version="$KAFKA_VERSION" \
    dependency:copy-dependencies -DoutputDirectory="$dest" >"$LOG_DIR/maven-kafka.log" 2>&1 \
    || die "download of Kafka $KAFKA_VERSION failed; see $LOG_DIR/maven-kafka.log"
  verify_checksums "$dest" "kafka-$KAFKA_VERSION"
  touch "$dest/.complete"
}

kafka_config() {
  local dir="$STATE_DIR/kafka"
  mkdir -p "$dir/data"
  cat >"$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$HOST:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$HOST:$KAFKA_PORT,CONTROLLER://$HOST:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$HOST:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$dir/data
num.partitions=1
default.replication.factor=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
log.segment.bytes=16777216
PROPS
  log4j2_console_config "$dir/log4j2.properties"
  cat >>"$dir/log4j2.properties" <<PROPS
logger.kafka.name = kafka
logger.kafka.level = WARN
logger.apache.name = org.apache.kafka
logger.apache.level = WARN
logger.started.name = kafka.server.KafkaRaftServer
logger.started.level = INFO
PROPS
  echo "$dir"
}

kafka_java() {
  "$JAVA" "${KAFKA_JVM_OPTS[@]}" "$@"
}

KAFKA_JVM_OPTS=()
kafka_jvm_opts() {
  KAFKA_JVM_OPTS=(-Xms128m -Xmx512m -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$STATE_DIR/kafka/log4j2.properties" \
    -cp "$(kafka_home)/*")
}

kafka_start() {
  is_running kafka && return
  port_open "$KAFKA_PORT" && die "port $KAFKA_PORT is taken by a process that is not ours; set CONFLUX_KAFKA_PORT"
  local dir; dir="$(kafka_config)"
  kafka_jvm_opts
  if [ ! -f "$dir/data/meta.properties" ]; then
    local cluster_id
    cluster_id="$(kafka_java kafka.tools.StorageTool random-uuid 2>>"$LOG_DIR/kafka-format.log" | tail -n 1)"
    kafka_java kafka.tools.StorageTool format -t "$cluster_id" -c "$dir/server.properties" >>"$LOG_DIR/kafka-format.log" 2>&1 \
      || die "formatting the Kafka storage failed; see $LOG_DIR/kafka-format.log"
  fi
  say "starting Kafka $KAFKA_VERSION on $HOST:$KAFKA_PORT"
  spawn kafka "$JAVA" "${KAFKA_JVM_OPTS[@]}" kafka.Kafka "$dir/server.properties"
}

kafka_started() { port_open "$KAFKA_PORT" && grep -q "Kafka Server started" "$LOG_DIR/kafka.log"; }
kafka_ready() { wait_until kafka "$READY_TIMEOUT" kafka_started; }

kafka_env() {
  echo "KAFKA_BROKERS=$HOST:$KAFKA_PORT"
}

# A log4j2 config that logs INFO and above to stdout (which spawn sends to the service's log);
# Kafka Connect in bench/peers uses it too.
log4j2_console_config() {
  cat >"$1" <<PROPS
status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRefs = stdout
rootLogger.appenderRef.stdout.ref = STDOUT
PROPS
}
