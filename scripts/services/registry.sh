# Apicurio Registry: a real schema registry that serves the Confluent API under /apis/ccompat/v7.

registry_home() { echo "$CACHE_DIR/apicurio-registry-$REGISTRY_VERSION"; }

registry_install() {
  ensure_java
  local home; home="$(registry_home)"
  [ -f "$home/.complete" ] && return
  ensure_maven
  say "downloading Apicurio Registry $REGISTRY_VERSION (about 160 MB, once)"
  local tmp="$CACHE_DIR/tmp-apicurio"
  rm -rf "$tmp" "$home"; mkdir -p "$tmp" "$home"
  mvn -q -B -C dependency:copy -Dartifact="io.apicurio:apicurio-registry-app:$REGISTRY_VERSION:tar.gz:all" \
    -DoutputDirectory="$tmp" >"$LOG_DIR/maven-registry.log" 2>&1 \
    || die "download of Apicurio Registry failed; see $LOG_DIR/maven-registry.log"
  # Checked before it is unpacked: the archive holds the code that runs.
  verify_checksums "$tmp" "apicurio-registry-$REGISTRY_VERSION"
  tar xzf "$tmp"/*.tar.gz -C "$home" || die "could not unpack Apicurio Registry"
  rm -rf "$tmp"
  touch "$home/.complete"
}

registry_start() {
  is_running registry && return
  port_open "$REGISTRY_PORT" && die "port $REGISTRY_PORT is taken by a process that is not ours; set CONFLUX_REGISTRY_PORT"
  port_open "$REGISTRY_MANAGEMENT_PORT" && die "port $REGISTRY_MANAGEMENT_PORT is taken by a process that is not ours; set CONFLUX_REGISTRY_MANAGEMENT_PORT"
  say "starting Apicurio Registry $REGISTRY_VERSION on $HOST:$REGISTRY_PORT"
  # Storage is in memory: schemas live as long as the process, which is what tests want.
  spawn registry "$JAVA" -Xms64m -Xmx512m \
    -Dquarkus.http.host="$HOST" -Dquarkus.http.port="$REGISTRY_PORT" \
    -Dquarkus.management.host="$HOST" -Dquarkus.management.port="$REGISTRY_MANAGEMENT_PORT" \
    -Dapicurio.rules.global.compatibility=BACKWARD \
    -Dapicurio.ccompat.legacy-id-mode.enabled=true \
    -Dquarkus.log.level=WARN -Dquarkus.log.category.\"io.quarkus\".level=INFO \
    -jar "$(registry_home)/quarkus-run.jar"
}

registry_probe() { curl -fsS -m 5 "http://$HOST:$REGISTRY_PORT/apis/ccompat/v7/subjects"; }

registry_ready() {
  wait_until registry "$READY_TIMEOUT" registry_probe
  # Make the global rule explicit through the Confluent API too, so clients see Confluent-like answers.
  curl -fsS -m 5 -X PUT -H 'Content-Type: application/vnd.schemaregistry.v1+json' \
    -d '{"compatibility":"BACKWARD"}' "http://$HOST:$REGISTRY_PORT/apis/ccompat/v7/config" >/dev/null \
    || die "could not set the registry's global compatibility; log: $LOG_DIR/registry.log"
}

registry_env() {
  echo "SCHEMA_REGISTRY_URL=http://$HOST:$REGISTRY_PORT/apis/ccompat/v7"
}
