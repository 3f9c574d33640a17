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
# shellcheck disable=SC2034 # read by provider-build.sh
PROVIDER_NAME=kubernetes-provider
# shellcheck source-path=SCRIPTDIR source=../provider-build.sh
source "$HERE/../provider-build.sh"
# The provider module is served only at a pseudo-version, the commit tagged v4.25.0.
WANT_VERSION=4.25.0
PROVIDER_PATH=github.com/pulumi/pulumi-kubernetes/provider/v4
VERSION_VAR=$PROVIDER_PATH/pkg/version.Version

case "${1:-}" in
  "") die "usage: bash build.sh <output-binary-path>" ;;
  -*) die "unknown option $1; usage: bash build.sh <output-binary-path>" ;;
  *) OUT=$1 ;;
esac
case "$OUT" in /*) ;; *) OUT=$PWD/$OUT ;; esac

LDFLAGS="-s -w -X $VERSION_VAR=$WANT_VERSION"

inputs_hash() {
  (
    cd "$HERE"
    find cmd -name '*.go' | LC_ALL=C sort | xargs sha256sum
    sha256sum go.mod go.sum build.sh ../provider-build.sh
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
