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
  kafka_tls "$dir/tls"
  # 0600: it holds the TLS key password.
  touch "$dir/server.properties" && chmod 600 "$dir/server.properties"
  cat >"$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$HOST:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$HOST:$KAFKA_PORT,CONTROLLER://$HOST:$KAFKA_CONTROLLER_PORT,SASL_PLAINTEXT://$HOST:$KAFKA_SASL_PORT,SSL://$HOST:$KAFKA_SSL_PORT
advertised.listeners=PLAINTEXT://$HOST:$KAFKA_PORT,SASL_PLAINTEXT://$HOST:$KAFKA_SASL_PORT,SSL://$HOST:$KAFKA_SSL_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,SSL:SSL
sasl.enabled.mechanisms=SCRAM-SHA-256,SCRAM-SHA-512
listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
ssl.keystore.type=PEM
ssl.keystore.location=$dir/tls/broker-keystore.pem
ssl.key.password=$(state_secret kafka-tls-key-password)
ssl.client.auth=none
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

# A CA of the state dir's own and a broker certificate it signed for $HOST (subjectAltName IP), once:
# the SSL listener serves it, clients trust the CA (KAFKA_SSL_CA). The broker key is PKCS#8, encrypted.
kafka_tls() {
  local tls="$1"
  [ -f "$tls/broker-keystore.pem" ] && return
  command -v openssl >/dev/null || apt_install openssl
  rm -rf "$tls"; (umask 077 && mkdir -p "$tls")
  local pass; pass="$(state_secret kafka-tls-key-password)"
  {
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 -subj "/CN=conflux test CA" \
      -keyout "$tls/ca.key" -out "$tls/ca.crt" &&
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=$HOST" -keyout "$tls/broker.key" -out "$tls/broker.csr" &&
    printf 'subjectAltName=IP:%s\n' "$HOST" >"$tls/broker.ext" &&
    openssl x509 -req -in "$tls/broker.csr" -CA "$tls/ca.crt" -CAkey "$tls/ca.key" -CAcreateserial -days 3650 \
      -extfile "$tls/broker.ext" -out "$tls/broker.crt" &&
    openssl pkcs8 -topk8 -v2 aes-256-cbc -in "$tls/broker.key" -passout "file:$STATE_DIR/kafka-tls-key-password" -out "$tls/broker.p8"
  } >"$LOG_DIR/kafka-tls.log" 2>&1 || die "creating the Kafka TLS certificates failed; see $LOG_DIR/kafka-tls.log"
  cat "$tls/broker.p8" "$tls/broker.crt" "$tls/ca.crt" >"$tls/broker-keystore.pem"
  rm -f "$tls/broker.key" "$tls/broker.csr" "$tls/broker.ext"
  chmod 644 "$tls/ca.crt"
}

# The SCRAM user of the SASL listener, with a generated password, set once per password. The tool's
# arguments come from a 0600 argument file (java @file), so the password is not in the process list.
kafka_scram_user() {
  local dir="$STATE_DIR/kafka" pass mark mechanism; pass="$(state_secret kafka-sasl-password)"
  mark="$(printf '%s' "$pass" | sha256sum | cut -c1-16)"
  [ "$(cat "$dir/.scram-user" 2>/dev/null)" = "$mark" ] && return
  kafka_jvm_opts
  # One mechanism per request: Kafka refuses two changes of one user's credentials in one.
  for mechanism in SCRAM-SHA-256 SCRAM-SHA-512; do
    (umask 077 && printf '%s\n' kafka.admin.ConfigCommand --bootstrap-server "$HOST:$KAFKA_PORT" --alter --entity-type users \
      --entity-name "$KAFKA_SASL_USER" --add-config "$mechanism=[password=$pass]" >"$dir/scram.args")
    (umask 077 && kafka_java "@$dir/scram.args" >"$LOG_DIR/kafka-scram.log" 2>&1) \
      || { rm -f "$dir/scram.args"; die "creating the Kafka SCRAM user failed; see $LOG_DIR/kafka-scram.log"; }
  done
  rm -f "$dir/scram.args"
  echo "$mark" >"$dir/.scram-user"
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
  port_open "$KAFKA_SASL_PORT" && die "port $KAFKA_SASL_PORT is taken by a process that is not ours; set CONFLUX_KAFKA_SASL_PORT"
  port_open "$KAFKA_SSL_PORT" && die "port $KAFKA_SSL_PORT is taken by a process that is not ours; set CONFLUX_KAFKA_SSL_PORT"
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
kafka_ready() {
  wait_until kafka "$READY_TIMEOUT" kafka_started
  kafka_scram_user
}

kafka_env() {
  echo "KAFKA_BROKERS=$HOST:$KAFKA_PORT"
  echo "KAFKA_SASL_BROKERS=$HOST:$KAFKA_SASL_PORT"
  echo "KAFKA_SASL_USERNAME=$KAFKA_SASL_USER"
  echo "KAFKA_SASL_PASSWORD=$(state_secret kafka-sasl-password)"
  echo "KAFKA_SSL_BROKERS=$HOST:$KAFKA_SSL_PORT"
  echo "KAFKA_SSL_CA=$STATE_DIR/kafka/tls/ca.crt"
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
