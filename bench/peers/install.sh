#!/usr/bin/env bash
# Installs the peers conflux is compared with into the services cache, once (a second run does nothing):
#   Kafka Connect 4.3.1 (worker classpath)                   $CACHE_DIR/peers/connect-4.3.1
#   plugin.path with one folder per plugin                    $CACHE_DIR/peers/plugins
#     mongo-kafka-connect    MongoDB Kafka connector 2.0.1 (classifier all: one self-contained jar)
#     debezium-connector-jdbc  Debezium JDBC sink 3.6.0.Final (the plugin archive, with its JDBC drivers)
#     apicurio-converter     with --avro only: Apicurio's Kafka Connect converter 2.6.13.Final (Avro through the
#                            registry's v2 API) with its dependencies; the JSON run needs only Kafka's JsonConverter.
#                            Not the registry's own 3.3.3 (REGISTRY_VERSION): that converter has no jar on Maven
#                            Central; 2.6.13.Final is the newest that does, and the 3.3.3 registry still serves v2.
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
  maven_fetch "$here/maven/avro-converter.pom.xml" "$PLUGIN_PATH/apicurio-converter"
fi
maven_fetch "$here/maven/jdbc-sink.pom.xml" "$PEERS_DIR/downloads/debezium-connector-jdbc"
unpack_plugin "$PEERS_DIR/downloads/debezium-connector-jdbc" "$PLUGIN_PATH/debezium-connector-jdbc"

echo "PEERS_JAVA=$JAVA"
echo "PEERS_CONNECT_HOME=$CONNECT_HOME"
echo "PEERS_PLUGIN_PATH=$PLUGIN_PATH"
