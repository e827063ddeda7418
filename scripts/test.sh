#!/usr/bin/env bash
# npm test: brings the local services up (installing them on first use), then runs every tap test
# (or the test files and directories given, e.g. scripts/test.sh test/integration/postgres-sink.test.ts).
# Set MONGODB_URI to a real replica set to run the MongoDB tests against it instead of the test server.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

services=(postgres kafka registry)
if [ -z "${MONGODB_URI:-}" ]; then services+=(mongo); fi

bash scripts/services/services.sh up "${services[@]}" >/dev/null
bash scripts/install-browser.sh
set -a
# shellcheck disable=SC1090
source <(bash scripts/services/services.sh env "${services[@]}")
set +a

# Paths given (npm run test:integration, or one test file) run alone; flags only add to the full run.
for arg in "$@"; do
  case "$arg" in -*) ;; *) exec npx tap "$@";; esac
done
exec npx tap "$@" test/unit test/integration test/e2e
