#!/usr/bin/env bash
# Makes sure the Docker engine has every image a stack runs: `bash scripts/stack-images.sh <stack>`
# reads Pulumi.<stack>.yaml (the app image, litestream.image, and for `local` storage the S3
# server's image, with the component's defaults from components/versions.ts).
#
# An image that is present is used. A missing one is pulled. When no registry answers (a machine
# without one), the images this project can build are built here from Go-built binaries
# (scripts/images.sh) and tagged with the official name, and the terminal says so: Litestream
# and versitygw at the versions of components/versions.ts, and a `python:*` tag for the demo app
# (Debian bookworm's python3). Any other missing image is an error that says what to do.
set -euo pipefail
SCRIPT_NAME=stack-images
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
STACK="${1:?usage: stack-images.sh <stack>}"
cd "$ROOT"
FILE="Pulumi.$STACK.yaml"
[[ -f "$FILE" ]] || fail "$FILE not found"

LITESTREAM_VERSION="$(read_version LITESTREAM_VERSION)"
VERSITYGW_VERSION="$(read_version VERSITYGW_VERSION)"
LITESTREAM_IMAGE="litestream/litestream:${LITESTREAM_VERSION#v}"
VERSITYGW_IMAGE="versity/versitygw:v${VERSITYGW_VERSION#v}"
LOCAL_PREFIX="litestream-backup-test"

# The images the stack's config names, one a line.
mapfile -t IMAGES < <(node -e '
  const { parse } = require("yaml");
  const config = parse(require("fs").readFileSync(process.argv[1], "utf8")).config ?? {};
  const get = (key) => config[`litestream-backup:${key}`] ?? {};
  const images = [get("app").image, get("litestream").image ?? process.argv[2]];
  if ((get("storage").provider ?? "local") === "local") images.push(get("storage").localImage ?? process.argv[3]);
  for (const image of images) if (typeof image === "string") console.log(image);
' "$FILE" "$LITESTREAM_IMAGE" "$VERSITYGW_IMAGE")

built=0
build_local() {
  if ((built == 0)); then
    log "building the local images (scripts/images.sh) ..."
    bash scripts/images.sh >&2 || fail "scripts/images.sh failed"
    built=1
  fi
}

# stand_in IMAGE SOURCE WHAT: tags the local SOURCE as IMAGE, saying so.
stand_in() {
  local image="$1" source="$2" what="$3"
  build_local
  docker tag "$source" "$image"
  log "WARNING: no registry answered, so $image is a LOCAL STAND-IN, not the official image:"
  log "         $what, tagged from $source."
  log "         Remove it with \`docker rmi $image\` once a registry answers; the next run pulls the official one."
}

for image in "${IMAGES[@]}"; do
  if docker image inspect "$image" >/dev/null 2>&1; then
    log "$image: present"
    continue
  fi
  if docker pull "$image" >/dev/null 2>&1; then
    log "$image: pulled"
    continue
  fi
  case "$image" in
  "$LITESTREAM_IMAGE")
    stand_in "$image" "$LOCAL_PREFIX/litestream:${LITESTREAM_VERSION#v}" \
      "Litestream v${LITESTREAM_VERSION#v} built from Go modules on Debian bookworm (sh, sqlite3), as upstream's image"
    ;;
  "$VERSITYGW_IMAGE")
    stand_in "$image" "$LOCAL_PREFIX/versitygw:v${VERSITYGW_VERSION#v}" \
      "versitygw v${VERSITYGW_VERSION#v} built from Go modules on Debian bookworm"
    ;;
  python:*)
    stand_in "$image" "$LOCAL_PREFIX/base:bookworm" \
      "Debian bookworm with its python3 (3.11) and sqlite3, enough for the demo app"
    ;;
  *)
    fail "$image is not on this Docker engine and could not be pulled: pull or load it (docker load), or build it, then run again"
    ;;
  esac
done
