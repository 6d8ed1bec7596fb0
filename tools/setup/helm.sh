#!/usr/bin/env bash
# Builds Helm from the Go module proxy into .trellis/bin/helm (cached: skipped when present).
# Helm is not on npm or Debian; `go install` from the module proxy is the supported route here.
# Usage: tools/setup/helm.sh            (build if missing; takes a few minutes cold on 2 cores)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../env.sh"
HELM_VERSION="${TRELLIS_HELM_VERSION:-v3.22.0}"
bin="$TRELLIS_HOME/bin/helm"
if [ -x "$bin" ] && "$bin" version --short 2>/dev/null | grep -q "^${HELM_VERSION}"; then
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  for d in /usr/local/go/bin /usr/lib/go/bin; do [ -x "$d/go" ] && PATH="$d:$PATH"; done
fi
if ! command -v go >/dev/null 2>&1; then
  echo "[helm] Go toolchain not found: install Go (>= 1.26) to build Helm $HELM_VERSION" >&2
  exit 1
fi
mkdir -p "$TRELLIS_HOME/bin" "$TRELLIS_HOME/go"
export GOPATH="$TRELLIS_HOME/go/path" GOCACHE="$TRELLIS_HOME/go/cache" GOMODCACHE="$TRELLIS_HOME/go/path/pkg/mod"
export GOBIN="$TRELLIS_HOME/go/bin" GOFLAGS="${GOFLAGS:--buildvcs=false}" CGO_ENABLED=0
echo "[helm] building helm $HELM_VERSION with $(go version | awk '{print $3}') (cached under $TRELLIS_HOME/go)"
start=$(date +%s)
lock="$TRELLIS_HOME/go/.install.lock"
(
  flock 9
  if ! [ -x "$GOBIN/helm" ] || ! "$GOBIN/helm" version --short 2>/dev/null | grep -q "^${HELM_VERSION}"; then
    go install -trimpath -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=${HELM_VERSION}" \
      "helm.sh/helm/v3/cmd/helm@${HELM_VERSION}"
  fi
) 9>"$lock"
ln -sf "$GOBIN/helm" "$bin"
echo "[helm] $("$bin" version --short) in $(( $(date +%s) - start ))s"
