#!/usr/bin/env bash
# Makes a Pulumi CLI and the plugins this program needs available, for `npm run up`, `npm run
# pulumi` and the end-to-end tests.
#
# A `pulumi` already on PATH (installed with Pulumi's installer) is used as it is: nothing is
# built, and that CLI downloads the official plugins itself. Without one, this builds, from
# Go modules and the sources in tools/pulumi-engine/ (see its README):
#   - the official Pulumi CLI at PULUMI_VERSION, with a small Node.js language host beside it;
#   - a docker provider bridged from the Terraform provider @pulumi/docker wraps;
#   - a stand-in for the random provider (RandomString, RandomPassword);
# and installs both plugins, at the versions the npm SDKs in node_modules ask for, into a
# PULUMI_HOME of its own ($CACHE/pulumi/home), so that they never shadow official plugins.
#
# Idempotent: each piece carries a stamp of its inputs and is rebuilt only when they change;
# with the Go caches in $CACHE (scripts/lib/common.sh) a new clone takes seconds.
# Usage: pulumi-toolchain.sh [kubernetes]: the kubernetes provider (a long first build) only
# when asked for, by the tests and by stacks that deploy on Kubernetes.
# Environment: LITESTREAM_BACKUP_BUILD_PULUMI=1 builds even when a `pulumi` is on PATH.
set -euo pipefail
SCRIPT_NAME=pulumi-toolchain
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

PULUMI_VERSION=3.248.0
T0=$SECONDS

installed_pulumi() {
  local p
  p="$(command -v pulumi 2>/dev/null || true)"
  [[ -n "$p" && "$(readlink -f "$p")" != "$(readlink -f "$TOOLCHAIN_BIN/pulumi" 2>/dev/null)" ]] || return 1
  "$p" version >/dev/null 2>&1 || return 1
  printf '%s' "$p"
}

if [[ "${LITESTREAM_BACKUP_BUILD_PULUMI:-0}" != 1 ]] && p="$(installed_pulumi)"; then
  log "using the installed $p ($("$p" version)); it fetches its plugins from Pulumi's registry"
  exit 0
fi

[[ -d "$ROOT/node_modules/@pulumi/pulumi" ]] || fail "node_modules is missing: run npm ci first"
go_env
ENGINE="$ROOT/tools/pulumi-engine"
STAMPS="$TOOLCHAIN_DIR/stamps"
mkdir -p "$TOOLCHAIN_BIN" "$TOOLCHAIN_HOME" "$STAMPS" "$TOOLCHAIN_DIR/plugins"

# The version an npm package's plugin has: its "pulumi" block, else its own version.
npm_plugin_version() {
  node -e 'const p = require(process.argv[1]); console.log((p.pulumi && p.pulumi.version) || p.version)' \
    "$ROOT/node_modules/@pulumi/$1/package.json"
}

ENGINE_SOURCES=("$ENGINE/go.mod" "$ENGINE/go.sum" "$ENGINE/tools.go")

build_cli() {
  (cd "$ENGINE" && go build -trimpath \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION" \
    -o "$TOOLCHAIN_BIN/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
  [[ "$("$TOOLCHAIN_BIN/pulumi" version)" == "v$PULUMI_VERSION" ]]
}
stamped_build pulumi-cli "$(inputs_stamp "${ENGINE_SOURCES[@]}" "$PULUMI_VERSION")" build_cli

build_language_host() {
  (cd "$ENGINE" && go build -trimpath -ldflags "-s -w" -o "$TOOLCHAIN_BIN/pulumi-language-nodejs" ./language-nodejs)
}
stamped_build language-host "$(inputs_stamp "${ENGINE_SOURCES[@]}" "$ENGINE"/language-nodejs/*.go)" build_language_host

# --- plugins ---------------------------------------------------------------------------------
export PULUMI_HOME="$TOOLCHAIN_HOME" PULUMI_SKIP_UPDATE_CHECK=true PULUMI_IGNORE_AMBIENT_PLUGINS=true

# install_plugin NAME VERSION FILE STAMP: installs FILE as the resource plugin NAME@VERSION.
install_plugin() {
  local name="$1" version="$2" file="$3" stamp="$4" key="plugin-$1"
  if [[ "$(cat "$STAMPS/$key" 2>/dev/null)" == "$stamp" && -d "$PULUMI_HOME/plugins/resource-$name-v$version" ]]; then
    log "plugin $name $version: installed"
    return
  fi
  "$TOOLCHAIN_BIN/pulumi" plugin rm resource "$name" "$version" --yes >/dev/null 2>&1 || true
  "$TOOLCHAIN_BIN/pulumi" plugin install resource "$name" "$version" --file "$file" >&2 ||
    fail "pulumi plugin install resource $name $version --file $file failed"
  echo "$stamp" >"$STAMPS/$key"
  log "plugin $name $version: installed from $file"
}

RANDOM_VERSION="$(npm_plugin_version random)"
RANDOM_BIN="$TOOLCHAIN_DIR/plugins/random/pulumi-resource-random"
RANDOM_STAMP="$(inputs_stamp "${ENGINE_SOURCES[@]}" "$ENGINE"/random-provider/*.go "$RANDOM_VERSION")"
build_random() {
  mkdir -p "$(dirname "$RANDOM_BIN")"
  (cd "$ENGINE" && go build -trimpath -ldflags "-s -w" -o "$RANDOM_BIN" ./random-provider)
  tar -C "$(dirname "$RANDOM_BIN")" -czf "$TOOLCHAIN_DIR/plugins/random.tar.gz" pulumi-resource-random
}
stamped_build random-provider "$RANDOM_STAMP" build_random
install_plugin random "$RANDOM_VERSION" "$TOOLCHAIN_DIR/plugins/random.tar.gz" "$RANDOM_STAMP"

DOCKER_VERSION="$(npm_plugin_version docker)"
DOCKER_BIN="$TOOLCHAIN_DIR/plugins/docker/pulumi-resource-docker"
mapfile -t DOCKER_SOURCES < <(find "$ENGINE/docker-provider" "$ENGINE/provider-build.sh" -type f | LC_ALL=C sort)
DOCKER_STAMP="$(inputs_stamp "${DOCKER_SOURCES[@]}" "$DOCKER_VERSION")"
stamped_build docker-provider "$DOCKER_STAMP" bash "$ENGINE/docker-provider/build.sh" "$DOCKER_BIN"
built_version="$("$DOCKER_BIN" -version 2>/dev/null || true)"
[[ "$built_version" == "$DOCKER_VERSION" ]] ||
  fail "the docker provider built here is $built_version, but @pulumi/docker asks for $DOCKER_VERSION: keep @pulumi/docker at $built_version (package.json), or bridge the upstream that $DOCKER_VERSION wraps (tools/pulumi-engine/docker-provider)"
install_plugin docker "$DOCKER_VERSION" "$DOCKER_BIN" "$DOCKER_STAMP"

# --- kubernetes provider ----------------------------------------------------------------------
# Only when asked for: Pulumi's own provider code, built from Go modules
# (tools/pulumi-engine/kubernetes-provider) at the one version the module proxy serves.
WANT_KUBERNETES=0
for arg in "$@"; do
  case "$arg" in
  kubernetes) WANT_KUBERNETES=1 ;;
  *) fail "unknown argument $arg (the optional plugin is: kubernetes)" ;;
  esac
done
if ((WANT_KUBERNETES)) && [[ -d "$ROOT/node_modules/@pulumi/kubernetes" ]]; then
  KUBERNETES_VERSION="$(npm_plugin_version kubernetes)"
  KUBERNETES_BUILDS="$(sed -n 's/^WANT_VERSION=//p' "$ENGINE/kubernetes-provider/build.sh")"
  [[ "$KUBERNETES_BUILDS" == "$KUBERNETES_VERSION" ]] ||
    fail "the kubernetes provider built here is $KUBERNETES_BUILDS, but @pulumi/kubernetes asks for $KUBERNETES_VERSION: keep @pulumi/kubernetes at $KUBERNETES_BUILDS (package.json), or build the provider module of $KUBERNETES_VERSION (tools/pulumi-engine/kubernetes-provider)"
  KUBERNETES_BIN="$TOOLCHAIN_DIR/plugins/kubernetes/pulumi-resource-kubernetes"
  mapfile -t KUBERNETES_SOURCES < <(find "$ENGINE/kubernetes-provider" "$ENGINE/provider-build.sh" -type f | LC_ALL=C sort)
  KUBERNETES_STAMP="$(inputs_stamp "${KUBERNETES_SOURCES[@]}" "$KUBERNETES_VERSION")"
  stamped_build kubernetes-provider "$KUBERNETES_STAMP" bash "$ENGINE/kubernetes-provider/build.sh" "$KUBERNETES_BIN"
  [[ "$("$KUBERNETES_BIN" -version 2>/dev/null || true)" == "$KUBERNETES_VERSION" ]] ||
    fail "$KUBERNETES_BIN does not report $KUBERNETES_VERSION: remove it and run this again"
  install_plugin kubernetes "$KUBERNETES_VERSION" "$KUBERNETES_BIN" "$KUBERNETES_STAMP"
fi
# --- end of kubernetes provider ---------------------------------------------------------------

log "ready in $(elapsed "$T0"): $TOOLCHAIN_BIN/pulumi $("$TOOLCHAIN_BIN/pulumi" version), plugins docker $DOCKER_VERSION and random $RANDOM_VERSION in $PULUMI_HOME"
