# MongoDB wire-compatible test server: mongo-java-server, extended by the Java sources in mongo/ so that its
# change streams behave as MongoDB documents them, answering as the primary of the replica set rs0.
# PoppyDB (de.caluga:poppydb) is not served by Maven Central here, so this is the server we use.

mongo_home() { echo "$CACHE_DIR/mongo-java-server-$MONGO_SERVER_VERSION"; }

mongo_install() {
  ensure_java
  [ -f "$(mongo_home)/.complete" ] && return
  ensure_maven
  say "downloading mongo-java-server $MONGO_SERVER_VERSION"
  local dest; dest="$(mongo_home)"
  rm -rf "$dest"; mkdir -p "$dest"
  mvn -q -B -C -f "$SERVICES_DIR/maven/mongo.pom.xml" -Dmongo.server.version="$MONGO_SERVER_VERSION" \
    dependency:copy-dependencies -DoutputDirectory="$dest" >"$LOG_DIR/maven-mongo.log" 2>&1 \
    || die "download of mongo-java-server failed; see $LOG_DIR/maven-mongo.log"
  verify_checksums "$dest" "mongo-java-server-$MONGO_SERVER_VERSION"
  touch "$dest/.complete"
}

# Compiles scripts/services/mongo/*.java into the cache, once per version of the sources.
mongo_classes() {
  local sources hash dest javac
  sources=("$SERVICES_DIR"/mongo/*.java)
  hash="$(cat "${sources[@]}" | sha256sum | cut -c1-16)"
  dest="$CACHE_DIR/mongo-test-server-classes/$MONGO_SERVER_VERSION-$hash"
  if [ ! -f "$dest/.complete" ]; then
    javac="$(dirname "$JAVA")/javac"
    [ -x "$javac" ] || die "no javac next to $JAVA: the MongoDB test server needs a JDK 21+ (set CONFLUX_JAVA_HOME)"
    rm -rf "$dest"; mkdir -p "$dest"
    "$javac" -nowarn -d "$dest" -cp "$(mongo_home)/*" "${sources[@]}" >"$LOG_DIR/mongo-javac.log" 2>&1 \
      || die "compiling the MongoDB test server failed; see $LOG_DIR/mongo-javac.log"
    touch "$dest/.complete"
  fi
  echo "$dest"
}

mongo_start() {
  is_running mongo && return
  port_open "$MONGO_PORT" && die "port $MONGO_PORT is taken by a process that is not ours; set CONFLUX_MONGO_PORT"
  say "starting mongo-java-server $MONGO_SERVER_VERSION on $HOST:$MONGO_PORT"
  local classes; classes="$(mongo_classes)"
  spawn mongo "$JAVA" -Xms32m -Xmx1g -cp "$classes:$(mongo_home)/*" \
    MongoTestServer "$HOST" "$MONGO_PORT" "$MONGO_OPLOG_MAX_ENTRIES" "$MONGO_TOPOLOGY" "$MONGO_VERSION"
}

mongo_ready() { wait_until mongo "$READY_TIMEOUT" port_open "$MONGO_PORT"; }

mongo_env() {
  if [ "$MONGO_TOPOLOGY" = standalone ]; then
    echo "MONGODB_URI=mongodb://$HOST:$MONGO_PORT/"
  else
    echo "MONGODB_URI=mongodb://$HOST:$MONGO_PORT/?replicaSet=rs0"
  fi
  echo "MONGODB_TEST_SERVER=mongo-java-server"
}
