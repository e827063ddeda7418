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

# The OS user the cluster runs as: postgres as root (PostgreSQL refuses root), else the caller.
pg_owner() { if [ "$(id -u)" = 0 ]; then echo postgres; else id -un; fi; }

# A directory of the cluster's alone: never reached through a symbolic link, owned by the cluster's
# user, mode 0700, so no other local user can plant, read or connect to anything in it (as root the
# cluster lives under /var/tmp, where anyone could have created the path first).
pg_private_dir() {
  local d="$1" owner; owner="$(pg_owner)"
  [ -L "$d" ] && die "$d is a symbolic link; refusing to keep PostgreSQL there"
  if [ ! -d "$d" ]; then
    mkdir -m 700 "$d" || die "cannot create $d"
    [ "$(id -u)" = 0 ] && chown "$owner:$owner" "$d"
  fi
  [ "$(stat -c %U "$d")" = "$owner" ] || die "$d belongs to $(stat -c %U "$d"), not $owner; refusing to keep PostgreSQL there"
  chmod 700 "$d"
}

# The conflux role's password: CONFLUX_POSTGRES_PASSWORD, else one generated once and kept in a 0600
# file of the state dir. Never a fixed one: any local user could log in with it.
pg_password() {
  if [ -n "${CONFLUX_POSTGRES_PASSWORD:-}" ]; then echo "$CONFLUX_POSTGRES_PASSWORD"; return; fi
  state_secret postgres-password
}

# Who may connect: the superuser only through the socket and only as the cluster's OS user (peer),
# every role by password (SCRAM) otherwise. Written at every start, so older clusters (trust) change too.
pg_auth_files() {
  local data; data="$(pg_dir)/data"
  printf '%s\n' \
    '# Written by scripts/services/postgres.sh at every start.' \
    'local all postgres peer map=owner' \
    'local all all scram-sha-256' \
    'host all all 127.0.0.1/32 scram-sha-256' \
    'host all all ::1/128 scram-sha-256' >"$data/pg_hba.conf"
  printf 'owner %s postgres\n' "$(pg_owner)" >"$data/pg_ident.conf"
  chmod 600 "$data/pg_hba.conf" "$data/pg_ident.conf"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$data/pg_hba.conf" "$data/pg_ident.conf"
  return 0
}

postgres_init() {
  local dir; dir="$(pg_dir)"
  pg_private_dir "$dir"
  pg_private_dir "$dir/data"
  pg_private_dir "$dir/run"
  [ -f "$dir/data/PG_VERSION" ] && return
  pg_as_owner "$(pg_bin)/initdb" -D "$dir/data" -U postgres --auth-local=peer --auth-host=scram-sha-256 \
    --encoding=UTF8 --locale=C.UTF-8 >"$LOG_DIR/postgres-initdb.log" 2>&1 \
    || die "initdb failed; see $LOG_DIR/postgres-initdb.log"
}

postgres_start() {
  is_running postgres && return
  port_open "$POSTGRES_PORT" && die "port $POSTGRES_PORT is taken by a process that is not ours; set CONFLUX_POSTGRES_PORT"
  postgres_init
  pg_auth_files
  say "starting PostgreSQL $POSTGRES_MAJOR on $HOST:$POSTGRES_PORT"
  local dir; dir="$(pg_dir)"
  if [ "$(id -u)" = 0 ]; then
    spawn postgres runuser -u postgres -- "$(pg_bin)/postgres" -D "$dir/data" -h "$HOST" -p "$POSTGRES_PORT" -k "$dir/run" \
      -c shared_buffers=64MB -c fsync=on -c max_connections=100 -c unix_socket_permissions=0700
  else
    spawn postgres "$(pg_bin)/postgres" -D "$dir/data" -h "$HOST" -p "$POSTGRES_PORT" -k "$dir/run" \
      -c shared_buffers=64MB -c fsync=on -c max_connections=100 -c unix_socket_permissions=0700
  fi
}

pg_psql() { pg_as_owner "$(pg_bin)/psql" -h "$(pg_dir)/run" -p "$POSTGRES_PORT" -U postgres -v ON_ERROR_STOP=1 -qAt "$@"; }

postgres_ready() {
  wait_until postgres "$READY_TIMEOUT" "$(pg_bin)/pg_isready" -q -h "$HOST" -p "$POSTGRES_PORT"
  if [ -z "$(pg_psql -d postgres -c "SELECT 1 FROM pg_roles WHERE rolname = '$POSTGRES_USER'")" ]; then
    pg_psql -d postgres -c "CREATE ROLE $POSTGRES_USER LOGIN CREATEDB" >/dev/null
  fi
  # Set at every start: a cluster made with an older (fixed) password takes the current one.
  # On stdin, not the command line, which every local user can read in the process list.
  local password; password="$(pg_password)"
  printf "ALTER ROLE %s PASSWORD '%s';\n" "$POSTGRES_USER" "${password//\'/\'\'}" | pg_psql -d postgres -f - >/dev/null
  if [ -z "$(pg_psql -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$POSTGRES_DB'")" ]; then
    pg_psql -d postgres -c "CREATE DATABASE $POSTGRES_DB OWNER $POSTGRES_USER" >/dev/null
  fi
}

postgres_env() {
  echo "DATABASE_URL=postgres://$POSTGRES_USER:$(pg_password)@$HOST:$POSTGRES_PORT/$POSTGRES_DB"
}
