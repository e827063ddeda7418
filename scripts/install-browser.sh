#!/usr/bin/env bash
# Installs Debian's Chromium for the browser tests, once. Playwright's own browser download is
# not used: playwright-core drives the system Chromium at /usr/bin/chromium.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then exit 0; fi
command -v apt-get >/dev/null || { echo "[browser] apt-get not found: install Chromium at /usr/bin/chromium by hand" >&2; exit 1; }
sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
echo "[browser] installing chromium from apt" >&2
$sudo apt-get update -qq >&2 || true
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium >&2
