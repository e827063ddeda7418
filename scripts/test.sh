#!/usr/bin/env bash
# npm test: brings the local services up (installing them on first use), then runs every tap test.
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

exec npx tap "$@" test/unit test/integration test/e2e
