#!/usr/bin/env bash
# Builds pulumi-resource-docker, a stand-in for the official @pulumi/docker 5.2.0 plugin: the upstream
# Terraform docker provider bridged with pulumi-terraform-bridge (see README.md). Not needed where
# Pulumi's installer downloads the official plugin.
#
# Usage: bash build.sh <output-binary-path>
#        bash build.sh --tidy     maintainers only: refresh go.mod/go.sum after changing versions
#
# Work files (module copies, generated schema) go to $CACHE/build/docker-provider, never into the
# repository. Nothing is rebuilt when <output> exists, reports the wanted version and was built from
# the same inputs (their hash is kept in <output>.inputs).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck disable=SC2034 # read by provider-build.sh
PROVIDER_NAME=docker-provider
# shellcheck source-path=SCRIPTDIR source=../provider-build.sh
source "$HERE/../provider-build.sh"
WANT_VERSION=5.2.0
UPSTREAM_PATH=github.com/terraform-providers/terraform-provider-docker # as its go.mod names itself
SDK_PATH=github.com/hashicorp/terraform-plugin-sdk/v2                  # replaced by Pulumi's fork

MODE=build
case "${1:-}" in
  "") die "usage: bash build.sh <output-binary-path>   (or: bash build.sh --tidy)" ;;
  --tidy) MODE=tidy ;;
  -*) die "unknown option $1; usage: bash build.sh <output-binary-path>" ;;
  *) OUT=$1 ;;
esac

BUILD_FLAGS=(-tags no_compose -trimpath -ldflags "-s -w")

# The upstream and the SDK fork come from the module cache at the versions go.mod's replace lines
# name: `replace <path> => <module> <version>`.
replaced() { # <path> -> "<module> <version>"
  awk -v p="$1" '$1 == "replace" && $2 == p && $3 == "=>" { print $4, $5; exit }' "$HERE/go.mod"
}
read -r UPSTREAM_MOD UPSTREAM_VER <<<"$(replaced "$UPSTREAM_PATH")"
read -r SDK_MOD SDK_VER <<<"$(replaced "$SDK_PATH")"
[ -n "${UPSTREAM_VER:-}" ] || die "go.mod has no 'replace $UPSTREAM_PATH => <module> <version>' line"
[ -n "${SDK_VER:-}" ] || die "go.mod has no 'replace $SDK_PATH => <module> <version>' line"

inputs_hash() {
  (
    cd "$HERE"
    find provider cmd -name '*.go' | LC_ALL=C sort | xargs sha256sum
    sha256sum go.mod go.sum build.sh ../provider-build.sh
    go env GOVERSION GOOS GOARCH
  ) | sha256sum | cut -d' ' -f1
}

if [ "$MODE" = build ]; then
  case "$OUT" in /*) ;; *) OUT=$PWD/$OUT ;; esac
  HASH=$(inputs_hash)
  if [ -x "$OUT" ] && [ -f "$OUT.inputs" ] && [ "$(cat "$OUT.inputs")" = "$HASH" ] &&
     [ "$("$OUT" -version 2>/dev/null || true)" = "$WANT_VERSION" ]; then
    echo "build.sh: $OUT is up to date (version $WANT_VERSION, inputs $HASH); nothing to do"
    exit 0
  fi
  echo "build.sh: building pulumi-resource-docker $WANT_VERSION -> $OUT"
fi
echo "build.sh: upstream $UPSTREAM_MOD@$UPSTREAM_VER, SDK fork $SDK_MOD@$SDK_VER, $(go env GOVERSION), work dir $WORK"

# --- sources -----------------------------------------------------------------------------------
module_dir() { # <module> <version> -> its directory in the module cache (downloads it if needed)
  local json
  json=$(go mod download -json "$1@$2") || { echo "$json" >&2; return 1; }
  sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' <<<"$json"
}

step "copy the upstream provider and the SDK fork, add our shim and stub"
UPSTREAM_SRC=$(module_dir "$UPSTREAM_MOD" "$UPSTREAM_VER") || die "cannot download $UPSTREAM_MOD@$UPSTREAM_VER"
SDK_SRC=$(module_dir "$SDK_MOD" "$SDK_VER") || die "cannot download $SDK_MOD@$SDK_VER"
[ -d "$UPSTREAM_SRC" ] && [ -d "$SDK_SRC" ] || die "module cache lacks $UPSTREAM_MOD or $SDK_MOD"
rm -rf "$WORK/src"
mkdir -p "$WORK/src"
cp -R "$UPSTREAM_SRC" "$WORK/src/terraform-provider-docker"
cp -R "$SDK_SRC" "$WORK/src/terraform-plugin-sdk"
chmod -R u+w "$WORK/src"

# The constructors sit in the upstream's internal/provider, which no other module may import.
mkdir -p "$WORK/src/terraform-provider-docker/shim"
cat >"$WORK/src/terraform-provider-docker/shim/shim.go" <<'EOF'
// Written by litestream-backup's tools/pulumi-engine/docker-provider/build.sh into a build-time copy
// of the upstream module; not part of the upstream. Exposes the provider constructors to the bridge.
package shim

import (
	pfprovider "github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-sdk/v2/helper/schema"

	"github.com/terraform-providers/terraform-provider-docker/internal/provider"
)

// NewSDKv2Provider returns the upstream's SDKv2 provider (most resources and data sources).
func NewSDKv2Provider(version string) *schema.Provider { return provider.New(version)() }

// NewFrameworkProvider returns the upstream's Plugin Framework provider (the rest).
func NewFrameworkProvider(version string) pfprovider.Provider {
	return provider.NewFrameworkProvider(version)()
}
EOF

# terraform-plugin-go v0.31.0 (required by the upstream) adds GenerateResourceConfig to
# tfprotov5.ProviderServer; Pulumi's SDKv2 fork predates it. Pulumi never calls it.
if ! grep -q 'GenerateResourceConfig(' "$WORK/src/terraform-plugin-sdk/helper/schema/"*.go; then
  cat >"$WORK/src/terraform-plugin-sdk/helper/schema/grpc_provider_generate_resource_config.go" <<'EOF'
// Written by litestream-backup's tools/pulumi-engine/docker-provider/build.sh into a build-time copy
// of Pulumi's SDKv2 fork; not part of the fork. Stubs a method newer terraform-plugin-go requires.
package schema

import (
	"context"

	"github.com/hashicorp/terraform-plugin-go/tfprotov5"
)

// GenerateResourceConfig is not supported: it only serves Terraform's config generation.
func (s *GRPCProviderServer) GenerateResourceConfig(_ context.Context, req *tfprotov5.GenerateResourceConfigRequest) (*tfprotov5.GenerateResourceConfigResponse, error) {
	return &tfprotov5.GenerateResourceConfigResponse{
		Diagnostics: []*tfprotov5.Diagnostic{{
			Severity: tfprotov5.DiagnosticSeverityError,
			Summary:  "GenerateResourceConfig is not supported",
			Detail:   "This build of the SDK does not generate configuration for " + req.TypeName + ".",
		}},
	}, nil
}
EOF
fi

# Our wrapper module, with the two replace lines pointed at the copies above.
rm -rf "$WORK/wrapper"
mkdir -p "$WORK/wrapper"
(cd "$HERE" && find go.mod go.sum provider cmd -name go.mod -o -name go.sum -o -name '*.go' | tar -cf - -T -) |
  tar -xf - -C "$WORK/wrapper"
cd "$WORK/wrapper"
go mod edit \
  -replace "$UPSTREAM_PATH=$WORK/src/terraform-provider-docker" \
  -replace "$SDK_PATH=$WORK/src/terraform-plugin-sdk"
step_done

if [ "$MODE" = tidy ]; then
  step "go mod tidy (writes $HERE/go.mod and go.sum)"
  echo '{}' >cmd/pulumi-resource-docker/schema.json
  echo '{}' >cmd/pulumi-resource-docker/bridge-metadata.json
  go mod tidy
  go mod edit \
    -replace "$UPSTREAM_PATH=$UPSTREAM_MOD@$UPSTREAM_VER" \
    -replace "$SDK_PATH=$SDK_MOD@$SDK_VER"
  # With directory replacements tidy records no sums for the two replaced modules: add them.
  for mv in "$UPSTREAM_MOD $UPSTREAM_VER" "$SDK_MOD $SDK_VER"; do
    set -- $mv
    json=$(go mod download -json "$1@$2")
    sum=$(sed -n 's/^[[:space:]]*"Sum": "\(.*\)",\{0,1\}$/\1/p' <<<"$json")
    gomodsum=$(sed -n 's/^[[:space:]]*"GoModSum": "\(.*\)",\{0,1\}$/\1/p' <<<"$json")
    printf '%s %s %s\n%s %s/go.mod %s\n' "$1" "$2" "$sum" "$1" "$2" "$gomodsum" >>go.sum
  done
  LC_ALL=C sort -u go.sum -o go.sum
  cp go.mod go.sum "$HERE/"
  step_done
  echo "build.sh: updated $HERE/go.mod and $HERE/go.sum"
  exit 0
fi

# --- build -------------------------------------------------------------------------------------
step "download Go modules"
go list -deps "${BUILD_FLAGS[@]:0:2}" ./provider ./cmd/pulumi-tfgen-docker >/dev/null
step_done

step "compile pulumi-tfgen-docker"
mkdir -p "$WORK/bin"
go build "${BUILD_FLAGS[@]}" -o "$WORK/bin/pulumi-tfgen-docker" ./cmd/pulumi-tfgen-docker
step_done

step "generate schema.json and bridge-metadata.json"
rm -f cmd/pulumi-resource-docker/schema.json cmd/pulumi-resource-docker/bridge-metadata.json
(
  cd "$WORK" # tfgen may leave log files in its working directory
  PULUMI_DOCKER_UPSTREAM_DIR="$WORK/src/terraform-provider-docker" \
    "$WORK/bin/pulumi-tfgen-docker" schema --out "$WORK/wrapper/cmd/pulumi-resource-docker" --skip-examples \
    >"$WORK/tfgen.log" 2>&1
) || { tail -n 30 "$WORK/tfgen.log" >&2; die "tfgen failed; full log: $WORK/tfgen.log"; }
[ -s cmd/pulumi-resource-docker/schema.json ] && [ -s cmd/pulumi-resource-docker/bridge-metadata.json ] ||
  die "tfgen wrote no schema.json/bridge-metadata.json; log: $WORK/tfgen.log"
echo "    schema: $WORK/wrapper/cmd/pulumi-resource-docker/schema.json (tfgen log: $WORK/tfgen.log)"
step_done

step "compile pulumi-resource-docker"
mkdir -p "$(dirname "$OUT")"
go build "${BUILD_FLAGS[@]}" -o "$OUT.tmp" ./cmd/pulumi-resource-docker
got=$("$OUT.tmp" -version 2>/dev/null || true)
[ "$got" = "$WANT_VERSION" ] || { rm -f "$OUT.tmp"; die "built plugin reports version '$got', want $WANT_VERSION"; }
mv -f "$OUT.tmp" "$OUT"
echo "$HASH" >"$OUT.inputs"
step_done

echo "build.sh: built $OUT ($(du -h "$OUT" | cut -f1), version $WANT_VERSION) in $(( $(date +%s) - BUILD_T0 ))s"
