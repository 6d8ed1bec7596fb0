#!/usr/bin/env bash
# Debian's wrk (4.1.0): the load generator of the peer benchmark (tools/bench/peers/hapi, which runs
# this script when wrk is missing). Not part of `tools/trellis.sh setup`: only the bench needs it.
# Skipped when already installed.
# Usage: tools/setup/wrk.sh
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
TRELLIS_LOG_TAG=wrk
if command -v wrk >/dev/null 2>&1; then
  exit 0
fi
is_root || die "wrk is needed for the peer benchmark: apt-get install -y wrk (as root)"
log "installing Debian package wrk"
# DPkg::Lock::Timeout: waits for another apt run (e.g. the PostgreSQL setup) instead of failing
apt-get -o DPkg::Lock::Timeout=300 update -qq
DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq wrk >/dev/null
command -v wrk >/dev/null 2>&1 || die "apt-get installed no wrk binary"
log "$(wrk --version 2>&1 | head -1 || true)"
