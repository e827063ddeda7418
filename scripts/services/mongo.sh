# MongoDB wire-compatible test server with change streams: mongo-java-server with its oplog enabled.
# PoppyDB (de.caluga:poppydb) is not served by Maven Central here, so this is the server we use.

mongo_home() { echo "$CACHE_DIR/mongo-java-server-$MONGO_SERVER_VERSION"; }

mongo_install() {
  ensure_java
  [ -f "$(mongo_home)/.complete" ] && return
  ensure_maven
  say "downloading mongo-java-server $MONGO_SERVER_VERSION"
  local dest; dest="$(mongo_home)"
  rm -rf "$dest"; mkdir -p "$dest"
  mvn -q -B -f "$SERVICES_DIR/maven/mongo.pom.xml" -Dmongo.server.version="$MONGO_SERVER_VERSION" \
    dependency:copy-dependencies -DoutputDirectory="$dest" >"$LOG_DIR/maven-mongo.log" 2>&1 \
    || die "download of mongo-java-server failed; see $LOG_DIR/maven-mongo.log"
  touch "$dest/.complete"
}

mongo_start() {
  is_running mongo && return
  port_open "$MONGO_PORT" && die "port $MONGO_PORT is taken by a process that is not ours; set CONFLUX_MONGO_PORT"
  say "starting mongo-java-server $MONGO_SERVER_VERSION on $HOST:$MONGO_PORT"
  spawn mongo "$JAVA" -Xms32m -Xmx384m -cp "$(mongo_home)/*" \
    "$SERVICES_DIR/mongo/MongoTestServer.java" "$HOST" "$MONGO_PORT"
}

mongo_ready() { wait_until mongo "$READY_TIMEOUT" port_open "$MONGO_PORT"; }

mongo_env() {
  echo "MONGODB_URI=mongodb://$HOST:$MONGO_PORT/?directConnection=true"
  echo "MONGODB_TEST_SERVER=mongo-java-server"
}
