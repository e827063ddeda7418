#!/usr/bin/env bash
# Installs the peers conflux is compared with into the services cache, once (a second run does nothing):
#   Kafka Connect 4.3.1 (worker classpath)                   $CACHE_DIR/peers/connect-4.3.1
#   plugin.path with one folder per plugin                    $CACHE_DIR/peers/plugins
#     mongo-kafka-connect    MongoDB Kafka connector 2.0.1 (classifier all: one self-contained jar)
#     debezium-connector-jdbc  Debezium JDBC sink 3.6.0.Final (the plugin archive, with its JDBC drivers)
#     apicurio-converter     with --avro only: Apicurio's Kafka Connect converter (Avro through the Schema
#                            Registry), the version of the registry we run; the JSON run needs only Kafka's JsonConverter
# Prints PEERS_JAVA, PEERS_CONNECT_HOME and PEERS_PLUGIN_PATH as KEY=value.
#   bench/peers/install.sh [--avro]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../../scripts/services/lib.sh
source "$here/../../scripts/services/lib.sh"

PEERS_DIR="$CACHE_DIR/peers"
CONNECT_HOME="$PEERS_DIR/connect-4.3.1"
PLUGIN_PATH="$PEERS_DIR/plugins"

# Unpacks a plugin archive fetched by maven_fetch into its own plugin folder, once.
unpack_plugin() {
  local fetched="$1" dest="$2"
  [ -f "$dest/.complete" ] && return
  rm -rf "$dest"; mkdir -p "$dest"
  tar xzf "$fetched"/*.tar.gz -C "$dest" || die "could not unpack $(ls "$fetched")"
  touch "$dest/.complete"
}

ensure_java
maven_fetch "$here/maven/connect.pom.xml" "$CONNECT_HOME"
maven_fetch "$here/maven/mongo-connector.pom.xml" "$PLUGIN_PATH/mongo-kafka-connect"
if [ "${1:-}" = --avro ]; then
  # Like maven_fetch, plus the version as a property, as kafka.sh does for the broker.
  dest="$PLUGIN_PATH/apicurio-converter"
  if [ ! -f "$dest/.complete" ]; then
    ensure_maven
    say "downloading Apicurio's converter $REGISTRY_VERSION into $dest"
    rm -rf "$dest"; mkdir -p "$dest"
    mvn -q -B -f "$here/maven/avro-converter.pom.xml" -Dapicurio.version="$REGISTRY_VERSION" \
      dependency:copy-dependencies -DoutputDirectory="$dest" >"$LOG_DIR/maven-peers-avro-converter.log" 2>&1 \
      || die "download of Apicurio's converter $REGISTRY_VERSION failed; see $LOG_DIR/maven-peers-avro-converter.log"
    touch "$dest/.complete"
  fi
fi
maven_fetch "$here/maven/jdbc-sink.pom.xml" "$PEERS_DIR/downloads/debezium-connector-jdbc"
unpack_plugin "$PEERS_DIR/downloads/debezium-connector-jdbc" "$PLUGIN_PATH/debezium-connector-jdbc"

echo "PEERS_JAVA=$JAVA"
echo "PEERS_CONNECT_HOME=$CONNECT_HOME"
echo "PEERS_PLUGIN_PATH=$PLUGIN_PATH"
