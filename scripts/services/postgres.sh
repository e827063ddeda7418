# PostgreSQL 15 from Debian's packages, in its own data directory and port (never the system cluster).

pg_bin() { echo "/usr/lib/postgresql/$POSTGRES_MAJOR/bin"; }
# As root, PostgreSQL runs as the `postgres` user, who cannot reach a checkout inside a private directory
# (a 0700 home, `mktemp -d`). The cluster then lives in a directory of its own, named after the state dir.
pg_dir() {
  if [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -x "$STATE_DIR" 2>/dev/null; then
    echo "${CONFLUX_POSTGRES_DIR:-/var/tmp/conflux-postgres-$(printf '%s' "$STATE_DIR" | sha256sum | cut -c1-12)}"
  else
    echo "${CONFLUX_POSTGRES_DIR:-$STATE_DIR/postgres}"
  fi
}

# PostgreSQL refuses to run as root: as root we run it as the `postgres` system user.
pg_as_owner() {
  # From /: the postgres user may not be allowed into the current directory.
  if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

postgres_install() {
  [ -x "$(pg_bin)/postgres" ] && return
  say "installing PostgreSQL $POSTGRES_MAJOR from apt"
  apt_install "postgresql-$POSTGRES_MAJOR" || die "apt-get install postgresql-$POSTGRES_MAJOR failed"
  [ -x "$(pg_bin)/postgres" ] || die "PostgreSQL $POSTGRES_MAJOR binaries not found in $(pg_bin)"
}

postgres_init() {
  local dir; dir="$(pg_dir)"
  [ -f "$dir/data/PG_VERSION" ] && return
  mkdir -p "$dir/data" "$dir/run"
  [ "$(id -u)" = 0 ] && chown -R postgres:postgres "$dir"
  chmod 700 "$dir/data"
  pg_as_owner "$(pg_bin)/initdb" -D "$dir/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
    --encoding=UTF8 --locale=C.UTF-8 >"$LOG_DIR/postgres-initdb.log" 2>&1 \
    || die "initdb failed; see $LOG_DIR/postgres-initdb.log"
}

postgres_start() {
  is_running postgres && return
  port_open "$POSTGRES_PORT" && die "port $POSTGRES_PORT is taken by a process that is not ours; set CONFLUX_POSTGRES_PORT"
  postgres_init
  say "starting PostgreSQL $POSTGRES_MAJOR on $HOST:$POSTGRES_PORT"
  local dir; dir="$(pg_dir)"
  if [ "$(id -u)" = 0 ]; then
    spawn postgres runuser -u postgres -- "$(pg_bin)/postgres" -D "$dir/data" -h "$HOST" -p "$POSTGRES_PORT" -k "$dir/run" \
      -c shared_buffers=64MB -c fsync=on -c max_connections=100
  else
    spawn postgres "$(pg_bin)/postgres" -D "$dir/data" -h "$HOST" -p "$POSTGRES_PORT" -k "$dir/run" \
      -c shared_buffers=64MB -c fsync=on -c max_connections=100
  fi
}

pg_psql() { pg_as_owner "$(pg_bin)/psql" -h "$(pg_dir)/run" -p "$POSTGRES_PORT" -U postgres -v ON_ERROR_STOP=1 -qAt "$@"; }

postgres_ready() {
  wait_until postgres "$READY_TIMEOUT" "$(pg_bin)/pg_isready" -q -h "$HOST" -p "$POSTGRES_PORT"
  if [ -z "$(pg_psql -d postgres -c "SELECT 1 FROM pg_roles WHERE rolname = '$POSTGRES_USER'")" ]; then
    pg_psql -d postgres -c "CREATE ROLE $POSTGRES_USER LOGIN CREATEDB PASSWORD '$POSTGRES_PASSWORD'" >/dev/null
  fi
  if [ -z "$(pg_psql -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$POSTGRES_DB'")" ]; then
    pg_psql -d postgres -c "CREATE DATABASE $POSTGRES_DB OWNER $POSTGRES_USER" >/dev/null
  fi
}

postgres_env() {
  echo "DATABASE_URL=postgres://$POSTGRES_USER:$POSTGRES_PASSWORD@$HOST:$POSTGRES_PORT/$POSTGRES_DB"
}
