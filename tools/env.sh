# Sourced by every Trellis script: puts the project's Node 24 first on PATH and names local state.
# Usage: source tools/env.sh
_trellis_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# A TRELLIS_HOME inherited from another checkout's shell must not point this one at its state.
[ "${TRELLIS_ROOT:-}" = "$_trellis_root" ] || unset TRELLIS_HOME
TRELLIS_ROOT="$_trellis_root"
unset _trellis_root
TRELLIS_HOME="${TRELLIS_HOME:-$TRELLIS_ROOT/.trellis}"
TRELLIS_NODE_VERSION="24.22.3"
export TRELLIS_ROOT TRELLIS_HOME TRELLIS_NODE_VERSION
export PATH="$TRELLIS_HOME/bin:$TRELLIS_ROOT/node_modules/.bin:$PATH"
# Nx cache per checkout (git-ignored), so a fresh clone really runs every check.
export NX_CACHE_DIRECTORY="$TRELLIS_HOME/nx-cache"
export NX_NO_CLOUD=true NX_DAEMON=false NX_TUI=false NX_SKIP_NX_CACHE="${NX_SKIP_NX_CACHE:-}"
export CHECKPOINT_DISABLE=1 PRISMA_HIDE_UPDATE_MESSAGE=1
export TZ=UTC
