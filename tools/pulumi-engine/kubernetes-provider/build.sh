#!/usr/bin/env bash
# Builds pulumi-resource-kubernetes, a stand-in for the official @pulumi/kubernetes 4.25.0 plugin:
# Pulumi's own provider code from Go modules (see README.md). Not needed where Pulumi's installer
# downloads the official plugin.
#
# Usage: bash build.sh <output-binary-path>
#
# Work files (the provider's schema with its version set, the build copy of this module) go to
# $CACHE/build/kubernetes-provider, never into the repository. Nothing is rebuilt when <output>
# exists, was stamped with the wanted version and was built from the same inputs (their hash is
# kept in <output>.inputs).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# The provider module is served only at a pseudo-version, the commit tagged v4.25.0.
WANT_VERSION=4.25.0
PROVIDER_PATH=github.com/pulumi/pulumi-kubernetes/provider/v4
VERSION_VAR=$PROVIDER_PATH/pkg/version.Version

DIED=
die() { DIED=1; echo "build.sh: error: $*" >&2; exit 1; }

STEP=setup
STEP_T0=$(date +%s)
BUILD_T0=$STEP_T0
step() { STEP=$1; STEP_T0=$(date +%s); echo "==> $STEP"; }
step_done() { echo "    ($STEP: $(( $(date +%s) - STEP_T0 ))s)"; }
trap 'rc=$?; [ "$rc" -eq 0 ] || [ -n "$DIED" ] || echo "build.sh: error: step \"$STEP\" failed (exit $rc); see the output above" >&2' EXIT

case "${1:-}" in
  "") die "usage: bash build.sh <output-binary-path>" ;;
  -*) die "unknown option $1; usage: bash build.sh <output-binary-path>" ;;
  *) OUT=$1 ;;
esac
case "$OUT" in /*) ;; *) OUT=$PWD/$OUT ;; esac

# --- tools and environment -------------------------------------------------------------------
command -v go >/dev/null 2>&1 || die "Go is not installed (need Go >= the go line of $HERE/go.mod; measured with 1.26.8)"
command -v sha256sum >/dev/null 2>&1 || die "sha256sum is not installed (coreutils)"
NEED_GO=$(awk '$1 == "go" { print $2; exit }' "$HERE/go.mod")
HAVE_GO=$(GOTOOLCHAIN=local go env GOVERSION | sed 's/^go//')
[ "$(printf '%s\n%s\n' "$NEED_GO" "$HAVE_GO" | sort -V | head -n1)" = "$NEED_GO" ] ||
  die "Go $HAVE_GO is too old: go.mod needs Go >= $NEED_GO"

CACHE=${LITESTREAM_BACKUP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/litestream-backup}
WORK=$CACHE/build/kubernetes-provider
export GOMODCACHE=$CACHE/go/mod GOCACHE=$CACHE/go/cache
export GOFLAGS="-modcacherw -buildvcs=false -p=2" GOTOOLCHAIN=local GOWORK=off CGO_ENABLED=0
LDFLAGS="-s -w -X $VERSION_VAR=$WANT_VERSION"
mkdir -p "$WORK" "$GOMODCACHE" "$GOCACHE"

# One build at a time per cache: the work directory is shared.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$WORK/.lock"
  flock -n 9 || { echo "build.sh: waiting for another build.sh using $WORK"; flock 9; }
fi

inputs_hash() {
  (
    cd "$HERE"
    find cmd -name '*.go' | LC_ALL=C sort | xargs sha256sum
    sha256sum go.mod go.sum build.sh
    go env GOVERSION GOOS GOARCH
  ) | sha256sum | cut -d' ' -f1
}

# The version a binary was stamped with (-X, which -trimpath keeps out of `go version -m`).
stamped_version() { "$1" -version 2>/dev/null || true; }

HASH=$(inputs_hash)
if [ -x "$OUT" ] && [ -f "$OUT.inputs" ] && [ "$(cat "$OUT.inputs")" = "$HASH" ] &&
   [ "$(stamped_version "$OUT")" = "$WANT_VERSION" ]; then
  echo "build.sh: $OUT is up to date (version $WANT_VERSION, inputs $HASH); nothing to do"
  exit 0
fi
PROVIDER_VER=$(awk -v p="$PROVIDER_PATH" '($1 == p || ($1 == "require" && $2 == p)) { print $NF; exit }' "$HERE/go.mod")
[ -n "$PROVIDER_VER" ] || die "go.mod does not require $PROVIDER_PATH"
echo "build.sh: building pulumi-resource-kubernetes $WANT_VERSION from $PROVIDER_PATH@$PROVIDER_VER ($(go env GOVERSION)) -> $OUT"
echo "build.sh: work dir $WORK"

# --- sources -----------------------------------------------------------------------------------
step "download the provider module, copy this module and the provider's schema"
json=$(go mod download -json "$PROVIDER_PATH@$PROVIDER_VER") || { echo "$json" >&2; die "cannot download $PROVIDER_PATH@$PROVIDER_VER"; }
PROVIDER_SRC=$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' <<<"$json")
UPSTREAM_CMD=$PROVIDER_SRC/cmd/pulumi-resource-kubernetes
[ -f "$UPSTREAM_CMD/schema.json" ] && [ -f "$UPSTREAM_CMD/terraform-mapping.json" ] && [ -f "$UPSTREAM_CMD/generate.go" ] ||
  die "$UPSTREAM_CMD lacks schema.json, terraform-mapping.json or generate.go"
rm -rf "$WORK/wrapper"
mkdir -p "$WORK/wrapper"
(cd "$HERE" && { echo go.mod; echo go.sum; find cmd -name '*.go'; } | tar -cf - -T -) | tar -xf - -C "$WORK/wrapper"
CMD_DIR=$WORK/wrapper/cmd/pulumi-resource-kubernetes
cp "$UPSTREAM_CMD/schema.json" "$UPSTREAM_CMD/terraform-mapping.json" "$UPSTREAM_CMD/generate.go" "$CMD_DIR/"
chmod u+w "$CMD_DIR"/*
step_done

# The official release runs the provider's own generator (go:generate) before building: it sets
# the schema's version and compacts both files into the *-embed.json files main.go embeds.
step "generate schema-embed.json and terraform-mapping-embed.json (the provider's generate.go)"
(cd "$CMD_DIR" && VERSION=$WANT_VERSION go run ./generate.go) || die "generate.go failed"
rm -f "$CMD_DIR/generate.go" "$CMD_DIR/schema.json" "$CMD_DIR/terraform-mapping.json"
grep -q "\"version\":\"$WANT_VERSION\"" "$CMD_DIR/schema-embed.json" || die "schema-embed.json does not carry version $WANT_VERSION"
step_done

# --- build -------------------------------------------------------------------------------------
step "compile pulumi-resource-kubernetes"
mkdir -p "$(dirname "$OUT")"
(cd "$WORK/wrapper" && go build -trimpath -ldflags "$LDFLAGS" -o "$OUT.tmp" ./cmd/pulumi-resource-kubernetes)
got=$(stamped_version "$OUT.tmp")
[ "$got" = "$WANT_VERSION" ] || { rm -f "$OUT.tmp"; die "built plugin is stamped '$got', want $WANT_VERSION"; }
mv -f "$OUT.tmp" "$OUT"
echo "$HASH" >"$OUT.inputs"
step_done

echo "build.sh: built $OUT ($(du -h "$OUT" | cut -f1), version $WANT_VERSION) in $(( $(date +%s) - BUILD_T0 ))s"
