#!/usr/bin/env bash
# Debian's chromium for the console's browser tests (apps/console/test, playwright-core with an
# explicit executablePath: Playwright never downloads a browser). Skipped when already installed.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
TRELLIS_LOG_TAG=chromium
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
is_root || die "chromium is needed for the console's browser tests: apt-get install -y chromium"
log "installing Debian package chromium"
# DPkg::Lock::Timeout: waits for another apt run (e.g. the PostgreSQL setup) instead of failing
apt-get -o DPkg::Lock::Timeout=300 update -qq
DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq chromium >/dev/null
log "$(chromium --version 2>/dev/null | tail -1)"
