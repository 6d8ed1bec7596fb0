#!/usr/bin/env bash
# Builds Trellis images without Docker or a container registry: buildah, rootful, `vfs` storage and
# `chroot` isolation (no daemon, no overlay or user namespaces needed — works inside a container).
#
#   sudo bash tools/docker/build-local.sh [--rebuild-base] [--base-only] [--report-only] [app ...]
#   (default: router; --report-only: step 3 for already built images, TRELLIS_IMAGE_TAG=<tag>)
#
# 1. A local Node 24 base image, localhost/trellis-base/node:24-bookworm-minbase: a Debian bookworm
#    rootfs from debootstrap (--variant=minbase, from the apt mirror), slimmed as bookworm-slim is
#    (no apt lists, docs, man pages, locales), plus the node binary tools/setup installed
#    (.trellis/node) and the npm on PATH, in the official image's layout (/usr/local/bin/node,
#    /usr/local/lib/node_modules/npm). Built once; --rebuild-base rebuilds it.
# 2. Each app's image from its committed Dockerfile, unchanged: the pinned base is overridden with
#    --build-arg NODE_IMAGE=<local base>. The context is `git archive HEAD` (committed code only).
#    When this machine reaches the registry through a TLS-intercepting proxy, its CA bundle is
#    mounted for the build's RUN steps only (npm's cafile via a mounted global npmrc): neither ends
#    up in a layer.
#
# 3. Per app, into dist/images/ (TRELLIS_IMAGE_REPORT_DIR): <app>.sbom.cdx.json (its npm packages)
#    and <app>.runtime-root.sbom.cdx.json (node + Debian libraries), copied from the image itself,
#    <app>.vuln.json (tools/docker/vuln-report.ts on both SBOMs, with the data in .trellis/vuln-data
#    that tools/docker/vuln-data.sh prepared and this host's apt lists, refreshed first, for the
#    Debian packages; a source without data is reported as such; not another pass over the cached
#    stages, minutes each on vfs), and a line of sizes.tsv: app, image, bytes of its files,
#    gzip-compressed bytes of its layers (what a registry stores), build seconds. Then the app's own build layers are removed (disk).
#
# Not part of `npm test` (minutes per image, GBs of vfs layers). Needs: apt-get install -y buildah
# debootstrap. Boot proof of a built image: tools/docker/boot-image.sh. docs/images.md.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BASE_IMAGE="${TRELLIS_LOCAL_BASE:-localhost/trellis-base/node:24-bookworm-minbase}"
WORK="${TRELLIS_BUILD_DIR:-/var/tmp/trellis-build-local}"
CA_BUNDLE="${TRELLIS_BUILD_CA:-/etc/ssl/certs/ca-certificates.crt}"
OUT="${TRELLIS_IMAGE_REPORT_DIR:-$ROOT/dist/images}"
B=(buildah --storage-driver vfs)
rebuild_base=false
base_only=false
report_only=false
apps=()
for arg in "$@"; do
  case "$arg" in
    --rebuild-base) rebuild_base=true ;;
    --base-only) base_only=true ;;
    --report-only) report_only=true ;;
    -h | --help) sed -n '2,20p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) apps+=("$arg") ;;
  esac
done
[ ${#apps[@]} -gt 0 ] || apps=(router)

die() { echo "build-local: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "run as root (rootful buildah with vfs storage)"
for tool in buildah debootstrap git; do
  command -v "$tool" >/dev/null || die "$tool missing: apt-get install -y buildah debootstrap"
done
for app in "${apps[@]}"; do
  [ -f "$ROOT/apps/$app/Dockerfile" ] || die "no apps/$app/Dockerfile"
done

# --- 1. the base --------------------------------------------------------------------------------
build_base() {
  local node_bin npm_dir rootfs ctr
  node_bin="$(readlink -f "$ROOT/.trellis/bin/node" 2>/dev/null || true)"
  [ -x "$node_bin" ] || die "no .trellis/bin/node: run tools/trellis.sh setup first"
  # the npm the setup runs (its bin/npm-cli.js), wherever it is installed
  npm_dir="$(cd "$ROOT" && source tools/env.sh && readlink -f "$(command -v npm)")"
  npm_dir="$(dirname "$(dirname "$npm_dir")")"
  [ -f "$npm_dir/bin/npm-cli.js" ] || die "npm not found at $npm_dir"
  rootfs="$WORK/rootfs"
  rm -rf "$rootfs" && mkdir -p "$WORK"
  echo "build-local: debootstrap bookworm minbase → $rootfs"
  debootstrap --variant=minbase bookworm "$rootfs" http://deb.debian.org/debian >"$WORK/debootstrap.log"
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/cache/apt/*.bin \
    "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* \
    "$rootfs"/usr/share/info/* "$rootfs"/var/log/*.log
  find "$rootfs"/usr/share/locale -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
  install -D -m 0755 "$node_bin" "$rootfs/usr/local/bin/node"
  mkdir -p "$rootfs/usr/local/lib/node_modules"
  cp -a "$npm_dir" "$rootfs/usr/local/lib/node_modules/npm"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
  ctr="$("${B[@]}" from scratch)"
  "${B[@]}" copy "$ctr" "$rootfs" / >/dev/null
  "${B[@]}" config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --env NODE_VERSION="$("$node_bin" --version | tr -d v)" --cmd node \
    --label org.opencontainers.image.description="Trellis local base: debootstrap bookworm minbase + node + npm" \
    "$ctr"
  "${B[@]}" commit --rm "$ctr" "$BASE_IMAGE" >/dev/null
  rm -rf "$rootfs"
}
if $rebuild_base || ! "${B[@]}" inspect --type image "$BASE_IMAGE" >/dev/null 2>&1; then
  build_base
fi
if $base_only; then
  "${B[@]}" images
  exit 0
fi

# --- 2. the apps --------------------------------------------------------------------------------
ctx="$WORK/context"
rm -rf "$ctx" && mkdir -p "$ctx"
git -C "$ROOT" archive HEAD | tar -x -C "$ctx"
tag="${TRELLIS_IMAGE_TAG:-$(git -C "$ROOT" rev-parse --short HEAD)}"
mounts=()
if [ -f "$CA_BUNDLE" ]; then
  printf 'cafile=/usr/local/etc/trellis-build-ca.crt\n' >"$WORK/npmrc"
  mounts=(-v "$CA_BUNDLE:/usr/local/etc/trellis-build-ca.crt:ro" -v "$WORK/npmrc:/usr/local/etc/npmrc:ro")
fi
# --layers: the deps stage (npm ci) and the distroless runtime root are built once and reused by
# every app of the run (same manifests, same context).
build=("${B[@]}" build --layers --isolation chroot --build-arg NODE_IMAGE="$BASE_IMAGE" "${mounts[@]}")
# buildah 1.28 sometimes prints `Successfully tagged` (or a failed step's `subprocess exited with
# status`) and then sits idle holding the storage lock: a build still running 30 s after either is
# ended (by its pid); it succeeded only if it tagged.
build_image() {
  local log="$WORK/build.log" pid ended=""
  : >"$log"
  "${build[@]}" "$@" > >(tee -a "$log") 2>&1 &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    if [ -z "$ended" ] && grep -qE '^(Successfully tagged|subprocess exited with status)' "$log"; then
      ended=$(date +%s)
    fi
    if [ -n "$ended" ] && [ $(($(date +%s) - ended)) -ge 30 ]; then kill "$pid" 2>/dev/null || true; fi
    sleep 2
  done
  if grep -q '^subprocess exited with status' "$log"; then wait "$pid" 2>/dev/null; return 1; fi
  wait "$pid" 2>/dev/null || grep -q '^Successfully tagged' "$log"
}
# SBOMs from the image itself, sizes: bytes of its files and its layers gzip-compressed
report_image() {
  local app="$1" image="$2" secs="$3" ctr mnt bytes gz
  ctr="$("${B[@]}" from "$image")"
  mnt="$("${B[@]}" mount "$ctr")"
  [ ! -f "$mnt/usr/share/trellis/sbom.cdx.json" ] || cp "$mnt/usr/share/trellis/sbom.cdx.json" "$OUT/$app.sbom.cdx.json"
  cp "$mnt/usr/share/trellis/base.sbom.cdx.json" "$OUT/$app.runtime-root.sbom.cdx.json"
  bytes=$(du -sb "$mnt" | cut -f1)
  "${B[@]}" rm "$ctr" >/dev/null
  rm -rf "$WORK/oci" && "${B[@]}" push --quiet --compression-format gzip "$image" "oci:$WORK/oci:$app" >/dev/null
  gz=$(find "$WORK/oci/blobs" -type f -size +1k -printf '%s\n' | awk '{s+=$1} END {print s}')
  rm -rf "$WORK/oci"
  printf '%s\t%s\t%s\t%s\t%ss\n' "$app" "$image" "$bytes" "$gz" "$secs" | tee -a "$OUT/sizes.tsv"
}
# the vulnerability report of the image's own SBOMs (what the Dockerfile's `sbom` stage runs, plus
# the runtime root's node and Debian packages)
# (the console has no npm SBOM: its report is <app>.runtime-root.vuln.json)
scan_image() {
  local app="$1" sboms=()
  [ ! -f "$OUT/$app.sbom.cdx.json" ] || sboms+=("$OUT/$app.sbom.cdx.json")
  sboms+=("$OUT/$app.runtime-root.sbom.cdx.json")
  (cd "$ROOT" && source tools/env.sh && node -r @swc-node/register tools/docker/vuln-report.ts "${sboms[@]}") || true
}
# vfs stores every layer as a full copy of the filesystem: an app's own build steps cost GBs. The
# cache the next app reuses is the shared stages' images (deps = stage 1, runtime-root = stage 3:
# the `--> <id>` after each of their steps in the build log); whatever else the app's build added
# (its build and runtime steps, untagged) is removed once its image is tagged and reported.
shared_stage_ids() {
  awk '/^\[[0-9]+\/[0-9]+\] STEP/ { split($1, s, /[][\/]/); stage = s[2] }
       /^--> / && (stage == 1 || stage == 3) { print $NF }' "$1"
}
remove_app_layers() {
  local keep="$1" removed=1 id short
  # buildah 1.28 on vfs leaves a working container (a full copy) per cached step of a build that
  # was ended; a boot proof's container (boot-image.sh, trellis-boot-*) is left alone
  for id in $("${B[@]}" containers --all --format '{{.ContainerID}} {{.ContainerName}}' | awk '$2 !~ /^trellis-boot-/ { print $1 }'); do
    "${B[@]}" rm "$id" >/dev/null 2>&1 || true
  done
  # children before parents: repeat until a pass removes nothing
  while [ "$removed" = 1 ]; do
    removed=0
    for id in $("${B[@]}" images --all --quiet --no-trunc --filter dangling=true); do
      id="${id#sha256:}"
      short="${id:0:11}"
      grep -qE "^(sha256:)?($id|$short)\$" <<<"$keep" && continue
      "${B[@]}" rmi "$id" >/dev/null 2>&1 && removed=1
    done
  done
}
mkdir -p "$OUT"
# the scan's data as of today: the apt lists (the Debian archive check) and the newest Node release
# notes of the project's Node line (npm); a refresh that fails leaves the data as it was
apt-get update -qq >/dev/null 2>&1 || echo "build-local: apt-get update failed; the Debian check uses the lists as they are" >&2
(cd "$ROOT" && source tools/env.sh && bash tools/docker/vuln-data.sh --node-release) ||
  echo "build-local: no Node release notes; the report says so" >&2
for app in "${apps[@]}"; do
  image="localhost/trellis/$app:$tag"
  if $report_only; then report_image "$app" "$image" 0; scan_image "$app"; continue; fi
  echo "build-local: $app → $image"
  keep="$("${B[@]}" images --all --quiet --no-trunc)"
  start=$(date +%s)
  build_image -f "apps/$app/Dockerfile" -t "$image" "$ctx"
  secs=$(($(date +%s) - start))
  keep="$keep"$'\n'"$(shared_stage_ids "$WORK/build.log")"
  report_image "$app" "$image" "$secs"
  scan_image "$app"
  remove_app_layers "$keep"
  echo "build-local: $app: layer storage $(du -sh /var/lib/containers/storage | cut -f1) after removing its build layers"
done
"${B[@]}" images
