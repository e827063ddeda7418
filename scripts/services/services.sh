#!/usr/bin/env bash
# Local test services for conflux: Kafka, a Schema Registry, a MongoDB-compatible server, PostgreSQL.
#
#   scripts/services/services.sh up [service...]     install what is missing, start what is down, wait until ready
#   scripts/services/services.sh down [service...]   stop the processes this script started (and nothing else)
#   scripts/services/services.sh status              one line per service
#   scripts/services/services.sh env                 connection settings as KEY=value
#
# Services: kafka registry mongo postgres. Ports, cache and state directories are overridable
# with CONFLUX_* variables (see lib.sh).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$here/lib.sh"
for f in kafka registry mongo postgres; do source "$here/$f.sh"; done

ALL=(postgres mongo kafka registry)

cmd="${1:-status}"; shift || true
services=("$@"); [ ${#services[@]} -gt 0 ] || services=("${ALL[@]}")
for s in "${services[@]}"; do
  case "$s" in kafka|registry|mongo|postgres) ;; *) die "unknown service '$s' (known: ${ALL[*]})";; esac
done

case "$cmd" in
  up)
    for s in "${services[@]}"; do "${s}_install"; done
    # Start all first, then wait: the JVMs warm up in parallel.
    for s in "${services[@]}"; do "${s}_start"; done
    for s in "${services[@]}"; do "${s}_ready"; say "$s ready"; done
    for s in "${services[@]}"; do "${s}_env"; done
    ;;
  down)
    for s in "${services[@]}"; do stop_service "$s"; done
    ;;
  status)
    for s in "${services[@]}"; do
      if is_running "$s"; then echo "$s running (pid $(cat "$(pid_file "$s")"))"; else echo "$s stopped"; fi
    done
    ;;
  env)
    for s in "${services[@]}"; do "${s}_env"; done
    ;;
  *) die "unknown command '$cmd' (up, down, status, env)";;
esac
