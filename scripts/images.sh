#!/usr/bin/env bash
# Builds, locally, the Docker images the real tests use (no registry can be reached):
#   litestream-backup-test/base:bookworm        Debian bookworm (debootstrap minbase + sqlite3,
#                                               ca-certificates, python3, busybox), imported
#   litestream-backup-test/litestream:<LITESTREAM_VERSION>   base + .deps/bin/litestream
#   litestream-backup-test/versitygw:<VERSITYGW_VERSION>     base + .deps/bin/versitygw
#   litestream-backup-test/app:1                base + test/images/app/writer.py
# Versions come from components/versions.ts; binaries from scripts/binaries.sh.
#
# Idempotent: every image carries the label litestream-backup.inputs=<sha256 of its inputs>
# (recipe, Dockerfile, files, parent image id); an image whose label matches is reused.
# The debootstrap rootfs is kept in .deps/rootfs/ (git-ignored) so a rebuild of the base
# image after `docker system prune` only needs the import.
#
# Environment (optional):
#   DEBIAN_MIRROR    Debian mirror for debootstrap (default: from the apt sources)
#   FORCE_REBUILD=1  rebuild all images (and the rootfs)
# Runs scripts/docker-engine.sh first. Needs root for debootstrap (when the base is built).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

log() { echo "images: $*"; }
fail() { echo "images: ERROR: $*" >&2; exit 1; }

T0=$SECONDS
VERSIONS_FILE="components/versions.ts"
[[ -f "$VERSIONS_FILE" ]] || fail "$VERSIONS_FILE not found (repo root: $ROOT)"
read_version() {
  local value
  value="$(sed -n -E "s/^[[:space:]]*export[[:space:]]+const[[:space:]]+$1[[:space:]]*(:[^=]*)?=[[:space:]]*[\"']([^\"']+)[\"'].*/\2/p" "$VERSIONS_FILE" | head -n 1)"
  [[ -n "$value" ]] || fail "could not read $1 from $VERSIONS_FILE"
  printf '%s' "$value"
}
LITESTREAM_VERSION="$(read_version LITESTREAM_VERSION)"
LITESTREAM_VERSION="${LITESTREAM_VERSION#v}" # 0.5.16
VERSITYGW_VERSION="$(read_version VERSITYGW_VERSION)"
VERSITYGW_VERSION="v${VERSITYGW_VERSION#v}" # v1.8.0

PREFIX="litestream-backup-test"
BASE_IMAGE="$PREFIX/base:bookworm"
LITESTREAM_IMAGE="$PREFIX/litestream:$LITESTREAM_VERSION"
VERSITYGW_IMAGE="$PREFIX/versitygw:$VERSITYGW_VERSION"
APP_IMAGE="$PREFIX/app:1"
LABEL="litestream-backup.inputs"
DEPS="$ROOT/.deps"
BIN="$DEPS/bin"
FORCE_REBUILD="${FORCE_REBUILD:-0}"

# Legacy builder: no buildx plugin is needed, and FROM a local-only image never pulls.
export DOCKER_BUILDKIT=0

bash "$ROOT/scripts/docker-engine.sh"

sha() { sha256sum | cut -d' ' -f1; }
image_label() { docker image inspect -f "{{index .Config.Labels \"$LABEL\"}}" "$1" 2>/dev/null || true; }
image_id() { docker image inspect -f '{{.Id}}' "$1"; }
up_to_date() { [[ "$FORCE_REBUILD" != 1 && "$(image_label "$1")" == "$2" ]]; }
SUMMARY=()
note() { SUMMARY+=("$(printf '%-46s %s' "$1" "$2")"); log "$1: $2"; }

# --- base image ------------------------------------------------------------------------------
SUITE=bookworm
INCLUDE=sqlite3,ca-certificates,python3,busybox

# The first Debian (not -security/-updates) mirror of the machine's apt sources.
debian_mirror() {
  local m=""
  shopt -s nullglob
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    # deb822: blank-line separated stanzas with Types/URIs/Suites fields.
    m="$(awk -v suite="$SUITE" '
      BEGIN { RS=""; FS="\n" }
      {
        types=""; uris=""; suites=""
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^Types:/)  { types=$i;  sub(/^Types:[ \t]*/, "", types) }
          if ($i ~ /^URIs:/)   { uris=$i;   sub(/^URIs:[ \t]*/, "", uris) }
          if ($i ~ /^Suites:/) { suites=$i; sub(/^Suites:[ \t]*/, "", suites) }
          if ($i ~ /^Enabled:[ \t]*no/) { types="" }
        }
        if (types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " suite " ")) {
          split(uris, u, " "); print u[1]; exit
        }
      }' "$f")"
    [[ -n "$m" ]] && break
  done
  if [[ -z "$m" ]]; then
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
      [[ -f "$f" ]] || continue
      m="$(awk -v suite="$SUITE" '$1 == "deb" {
          i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
          if ($(i+1) == suite) { print $i; exit } }' "$f")"
      [[ -n "$m" ]] && break
    done
  fi
  shopt -u nullglob
  printf '%s' "${m:-http://deb.debian.org/debian}"
}

# Everything that shapes the rootfs is in this function; its text is part of the hash.
build_rootfs() { # $1 = target dir (must not exist), $2 = mirror
  local dir="$1" mirror="$2"
  debootstrap --variant=minbase --include="$INCLUDE" "$SUITE" "$dir" "$mirror" \
    >"$dir.debootstrap.log" 2>&1 || {
    tail -n 30 "$dir.debootstrap.log" >&2
    fail "debootstrap failed (full log: $dir.debootstrap.log)"
  }
  # Smaller, and nothing of this machine in the image (docker mounts its own files).
  rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/cache/apt/*.bin \
    "$dir"/var/lib/apt/lists/* "$dir"/var/log/* "$dir"/tmp/* "$dir"/var/tmp/* \
    "$dir"/debootstrap
  : >"$dir/etc/resolv.conf"
  echo localhost >"$dir/etc/hostname"
  printf 'deb %s %s main\n' "$mirror" "$SUITE" >"$dir/etc/apt/sources.list"
  chroot "$dir" python3 -c 'import sqlite3; sqlite3.connect(":memory:").execute("select 1")'
  chroot "$dir" sqlite3 -version >/dev/null
  chroot "$dir" busybox true
}

BASE_INPUTS="$(
  {
    echo "suite=$SUITE variant=minbase include=$INCLUDE"
    declare -f build_rootfs
    echo 'import: ENV PATH, CMD ["/bin/bash"]'
  } | sha
)"
ROOTFS="$DEPS/rootfs/$SUITE"

ensure_base() {
  if up_to_date "$BASE_IMAGE" "$BASE_INPUTS"; then
    note "$BASE_IMAGE" "reused"
    return
  fi
  local t=$SECONDS
  if [[ "$FORCE_REBUILD" == 1 || "$(cat "$ROOTFS.inputs" 2>/dev/null)" != "$BASE_INPUTS" || ! -x "$ROOTFS/usr/bin/python3" ]]; then
    [[ "$(id -u)" == 0 ]] || fail "building the base rootfs needs root (debootstrap)"
    if ! command -v debootstrap >/dev/null 2>&1; then
      log "installing debootstrap"
      DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 apt-get install -y -qq debootstrap </dev/null >/dev/null ||
        { DEBIAN_FRONTEND=noninteractive apt-get update -qq </dev/null &&
          DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 apt-get install -y -qq debootstrap </dev/null >/dev/null; } ||
        fail "apt-get install -y debootstrap failed"
    fi
    local mirror="${DEBIAN_MIRROR:-$(debian_mirror)}"
    log "debootstrap $SUITE from $mirror into $ROOTFS (about a minute) ..."
    mkdir -p "$(dirname "$ROOTFS")"
    rm -rf "$ROOTFS.tmp" "$ROOTFS" "$ROOTFS.inputs"
    build_rootfs "$ROOTFS.tmp" "$mirror"
    mv "$ROOTFS.tmp" "$ROOTFS"
    mv "$ROOTFS.tmp.debootstrap.log" "$ROOTFS.debootstrap.log"
    echo "$BASE_INPUTS" >"$ROOTFS.inputs"
    log "rootfs ready ($(du -sh "$ROOTFS" | cut -f1)) in $((SECONDS - t))s"
  else
    log "rootfs $ROOTFS is up to date, importing it"
  fi
  tar --numeric-owner -C "$ROOTFS" -c . |
    docker import \
      --change "LABEL $LABEL=$BASE_INPUTS" \
      --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change 'CMD ["/bin/bash"]' \
      - "$BASE_IMAGE" >/dev/null || fail "docker import of $ROOTFS failed"
  note "$BASE_IMAGE" "built in $((SECONDS - t))s"
}

# --- binaries from scripts/binaries.sh -----------------------------------------------------------
ensure_binaries() {
  local f
  # Idempotent and quick when done: skips binaries that already report the wanted versions.
  bash "$ROOT/scripts/binaries.sh" >&2 || fail "scripts/binaries.sh failed"
  for f in "$BIN/litestream" "$BIN/versitygw"; do
    [[ -x "$f" ]] || fail "$f is missing (run: bash scripts/binaries.sh)"
  done
}

# --- derived images --------------------------------------------------------------------------
# build_image NAME DOCKERFILE_DIR FILE... : context = the Dockerfile dir's files + FILEs.
build_image() {
  local name="$1" dir="$2"
  shift 2
  local parent_id inputs ctx t=$SECONDS f
  parent_id="$(image_id "$BASE_IMAGE")"
  inputs="$(
    {
      echo "parent=$parent_id"
      for f in "$dir"/* "$@"; do
        printf '%s ' "$(basename "$f")"
        sha256sum <"$f"
      done
    } | sha
  )"
  if up_to_date "$name" "$inputs"; then
    note "$name" "reused"
    return
  fi
  ctx="$(mktemp -d "$DEPS/build-ctx.XXXXXX")"
  cp -a "$dir"/. "$ctx"/
  for f in "$@"; do cp -l "$f" "$ctx/" 2>/dev/null || cp "$f" "$ctx/"; done
  if ! docker build -q --label "$LABEL=$inputs" --build-arg "BASE_IMAGE=$BASE_IMAGE" \
    -t "$name" "$ctx" >"$ctx.log" 2>&1; then
    cat "$ctx.log" >&2
    rm -rf "$ctx" "$ctx.log"
    fail "docker build of $name failed"
  fi
  rm -rf "$ctx" "$ctx.log"
  note "$name" "built in $((SECONDS - t))s"
}

mkdir -p "$DEPS"
ensure_base
ensure_binaries
build_image "$LITESTREAM_IMAGE" "$ROOT/test/images/litestream" "$BIN/litestream"
build_image "$VERSITYGW_IMAGE" "$ROOT/test/images/versitygw" "$BIN/versitygw"
build_image "$APP_IMAGE" "$ROOT/test/images/app"

# Smoke checks (cheap): each image starts and its main program answers.
docker run --rm "$LITESTREAM_IMAGE" version >/dev/null || fail "$LITESTREAM_IMAGE: litestream version failed"
docker run --rm "$VERSITYGW_IMAGE" --version >/dev/null || fail "$VERSITYGW_IMAGE: versitygw --version failed"
docker run --rm --entrypoint sh "$LITESTREAM_IMAGE" -c 'sqlite3 -version >/dev/null' ||
  fail "$LITESTREAM_IMAGE: no sh/sqlite3"
docker run --rm -e MAX_ROWS=2 -e WRITE_INTERVAL=0 -e DB_PATH=/tmp/t.db "$APP_IMAGE" >/dev/null ||
  fail "$APP_IMAGE: writer.py failed"

# Drop the untagged images left behind by rebuilds (only ours: they carry the label).
if printf '%s\n' "${SUMMARY[@]}" | grep -q ' built in '; then
  docker image prune -f --filter "label=$LABEL" >/dev/null 2>&1 || true
fi

log "done in $((SECONDS - T0))s:"
printf '  %s\n' "${SUMMARY[@]}"
