# Shared helpers for scripts/services/*.sh. Sourced, never run.
# Layout:
#   $CONFLUX_CACHE_DIR  downloads (jars, tarballs), reused across runs and checkouts
#   $CONFLUX_STATE_DIR  data, logs and pid files of the running services (git-ignored)

ROOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SERVICES_DIR="$ROOT_DIR/scripts/services"
CACHE_DIR="${CONFLUX_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/conflux}"
STATE_DIR="${CONFLUX_STATE_DIR:-$ROOT_DIR/.services}"
LOG_DIR="$STATE_DIR/logs"
PID_DIR="$STATE_DIR/pids"
HOST=127.0.0.1

KAFKA_VERSION="${CONFLUX_KAFKA_VERSION:-4.3.1}"
KAFKA_PORT="${CONFLUX_KAFKA_PORT:-19092}"
KAFKA_CONTROLLER_PORT="${CONFLUX_KAFKA_CONTROLLER_PORT:-19093}"
# Listeners with authentication (SASL SCRAM, no TLS) and with TLS (no authentication), for the security tests.
KAFKA_SASL_PORT="${CONFLUX_KAFKA_SASL_PORT:-19094}"
KAFKA_SSL_PORT="${CONFLUX_KAFKA_SSL_PORT:-19095}"
KAFKA_SASL_USER=conflux
REGISTRY_VERSION="${CONFLUX_REGISTRY_VERSION:-3.3.3}"
REGISTRY_PORT="${CONFLUX_REGISTRY_PORT:-18081}"
# Quarkus serves health and metrics on a separate management port.
REGISTRY_MANAGEMENT_PORT="${CONFLUX_REGISTRY_MANAGEMENT_PORT:-18082}"
MONGO_SERVER_VERSION="${CONFLUX_MONGO_SERVER_VERSION:-1.47.0}"
MONGO_PORT="${CONFLUX_MONGO_PORT:-27117}"
# Changes the MongoDB test server keeps for change streams; resuming from before them fails with code 286.
MONGO_OPLOG_MAX_ENTRIES="${CONFLUX_MONGO_OPLOG_MAX_ENTRIES:-200000}"
# replicaset (default), or standalone: answers as a standalone mongod, which has no change streams.
MONGO_TOPOLOGY="${CONFLUX_MONGO_TOPOLOGY:-replicaset}"
# The MongoDB version the test server reports (4.4 or 7.0); 7.0 adds $changeStreamSplitLargeEvent.
MONGO_VERSION="${CONFLUX_MONGO_VERSION:-4.4}"
POSTGRES_MAJOR=15
POSTGRES_PORT="${CONFLUX_POSTGRES_PORT:-15432}"
POSTGRES_DB=warehouse
POSTGRES_USER=conflux

READY_TIMEOUT="${CONFLUX_READY_TIMEOUT:-180}"

mkdir -p "$CACHE_DIR" "$LOG_DIR" "$PID_DIR"

say() { printf '[services] %s\n' "$*" >&2; }
die() { printf '[services] ERROR: %s\n' "$*" >&2; exit 1; }

# Java 21+ is needed by Apicurio 3.x; Kafka and the Mongo test server run on it too.
find_java21() {
  local candidate
  if [ -n "${CONFLUX_JAVA_HOME:-}" ]; then echo "$CONFLUX_JAVA_HOME/bin/java"; return; fi
  for candidate in /usr/lib/jvm/temurin-2[5-9]-* /usr/lib/jvm/temurin-21-* /usr/lib/jvm/java-2[1-9]-openjdk-* /usr/lib/jvm/java-21-*; do
    if [ -x "$candidate/bin/java" ]; then echo "$candidate/bin/java"; return; fi
  done
  return 1
}

ensure_java() {
  if JAVA="$(find_java21)"; then export JAVA; return; fi
  say "no Java 21+ under /usr/lib/jvm; installing openjdk-21 from apt"
  apt_install openjdk-21-jdk-headless || apt_install openjdk-17-jdk-headless
  JAVA="$(find_java21)" || die "no Java 21+ available (needed by the Schema Registry); set CONFLUX_JAVA_HOME"
  export JAVA
}

apt_updated=""
apt_install() {
  command -v apt-get >/dev/null || die "apt-get not found; install $* by hand"
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  if [ -z "$apt_updated" ]; then $sudo apt-get update -qq >&2 || true; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >&2
}

ensure_maven() {
  command -v mvn >/dev/null && return
  apt_install maven
}

# A secret generated once into a 0600 file of the state dir (never a fixed one), printed on stdout.
state_secret() {
  local file="$STATE_DIR/$1"
  [ -L "$file" ] && die "$file is a symbolic link; refusing to use it"
  if [ ! -s "$file" ]; then
    (umask 077 && od -An -tx1 -N16 /dev/urandom | tr -d ' \n' >"$file") || die "cannot write $file"
  fi
  chmod 600 "$file"
  cat "$file"
}

# Checks the files of a download against the SHA-256 sums pinned in scripts/services/checksums/<name>.sha256
# (sha256sum's format, paths relative to dir) and refuses a mismatch: the files are removed and the install
# stops. A version without pinned sums (set by a CONFLUX_*_VERSION) is used with a warning.
verify_checksums() {
  local dir="$1" name="$2" sums="$SERVICES_DIR/checksums/$2.sha256"
  if [ ! -f "$sums" ]; then
    say "WARNING: no pinned SHA-256 sums for $name (scripts/services/checksums/$name.sha256); its download is not verified"
    return 0
  fi
  if ! (cd "$dir" && sha256sum --quiet --strict -c "$sums") >"$LOG_DIR/checksums-$name.log" 2>&1; then
    rm -rf "$dir"
    die "the download of $name does not match its pinned SHA-256 sums (see $LOG_DIR/checksums-$name.log); removed it. If the version changed on purpose, pin its sums in $sums"
  fi
}

# Copies the dependencies of a throwaway pom into a cache folder, once.
maven_fetch() {
  local pom="$1" dest="$2"
  [ -f "$dest/.complete" ] && return
  ensure_maven
  say "downloading $(basename "$pom" .pom.xml) jars into $dest"
  rm -rf "$dest"; mkdir -p "$dest"
  mvn -q -B -C -f "$pom" dependency:copy-dependencies -DoutputDirectory="$dest" >"$LOG_DIR/maven-$(basename "$pom").log" 2>&1 \
    || die "maven download failed for $pom; see $LOG_DIR/maven-$(basename "$pom").log"
  touch "$dest/.complete"
}

pid_file() { echo "$PID_DIR/$1.pid"; }

is_running() {
  local f; f="$(pid_file "$1")"
  [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null
}

port_open() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

# Starts a detached process in its own session so that `down` can stop it and its children.
spawn() {
  local name="$1"; shift
  local log="$LOG_DIR/$name.log"
  : >"$log"
  # The daemon keeps none of the caller's other descriptors: an inherited lock (flock) or pipe
  # would stay held, or keep a caller's $(...) waiting, for as long as the service runs.
  setsid bash -c 'for fd in /proc/$$/fd/*; do n=${fd##*/}; [ "$n" -gt 2 ] && eval "exec $n>&-"; done; exec "$@"' spawn "$@" \
    >>"$log" 2>&1 < /dev/null &
  echo $! >"$(pid_file "$name")"
}

# wait_until <service> <timeout> <command...>: polls until the command succeeds.
wait_until() {
  local name="$1" timeout="$2"; shift 2
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    if ! is_running "$name"; then
      tail -n 30 "$LOG_DIR/$name.log" >&2 || true
      die "$name exited during start-up; log: $LOG_DIR/$name.log"
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      tail -n 30 "$LOG_DIR/$name.log" >&2 || true
      die "$name not ready after ${timeout}s; log: $LOG_DIR/$name.log"
    fi
    sleep 0.5
  done
}

stop_service() {
  local name="$1" f pid
  f="$(pid_file "$name")"
  [ -f "$f" ] || return 0
  pid="$(cat "$f")"
  if kill -0 "$pid" 2>/dev/null; then
    say "stopping $name (pid $pid)"
    # PostgreSQL's SIGTERM (smart shutdown) waits for every client to disconnect; SIGINT (fast
    # shutdown) rolls back open transactions, disconnects the clients and stops cleanly.
    local sig=TERM; [ "$name" = postgres ] && sig=INT
    kill -"$sig" -- "-$pid" 2>/dev/null || kill -"$sig" "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + 30))
    while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.2; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  rm -f "$f"
}
