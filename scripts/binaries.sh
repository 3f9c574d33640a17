#!/usr/bin/env bash
# Installs the real test dependencies, executables in .deps/bin/ (git-ignored):
#   - litestream  at LITESTREAM_VERSION from components/versions.ts
#   - versitygw   at VERSITYGW_VERSION  from components/versions.ts
# Both are built from Go modules, static (CGO_ENABLED=0), with the Go caches in the per-user
# cache (scripts/lib/common.sh), so that new clones and CI reuse them. Idempotent: a binary
# that already reports the wanted version is not rebuilt. Run by `npm run deps` (scripts/deps.sh)
# and by scripts/images.sh; works from any cwd.
set -euo pipefail

SCRIPT_NAME=binaries
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$ROOT"

VERSIONS_FILE="components/versions.ts"
[[ -f "$VERSIONS_FILE" ]] || fail "$VERSIONS_FILE not found (repo root: $ROOT)"

LITESTREAM_VERSION="$(read_version LITESTREAM_VERSION)"   # e.g. 0.5.16 (no "v")
LITESTREAM_VERSION="${LITESTREAM_VERSION#v}"
VERSITYGW_VERSION="$(read_version VERSITYGW_VERSION)"     # e.g. v1.8.0
VERSITYGW_VERSION="v${VERSITYGW_VERSION#v}"

go_env

DEPS="$ROOT/.deps"
BIN="$DEPS/bin"
mkdir -p "$BIN"
export GOBIN="$BIN"

log "repo root $ROOT, $(go version)"

# --- litestream ------------------------------------------------------------------------------
litestream_installed_version() {
  [[ -x "$BIN/litestream" ]] || return 0
  "$BIN/litestream" version 2>/dev/null | tr -d '[:space:]' || true
}

have="$(litestream_installed_version)"
if [[ "${have#v}" == "$LITESTREAM_VERSION" ]]; then
  log "litestream $LITESTREAM_VERSION already installed ($BIN/litestream), skipping"
else
  log "building litestream v$LITESTREAM_VERSION (installed: ${have:-none}) ..."
  start=$SECONDS
  go install "github.com/benbjohnson/litestream/cmd/litestream@v$LITESTREAM_VERSION" \
    || fail "go install github.com/benbjohnson/litestream/cmd/litestream@v$LITESTREAM_VERSION failed"
  have="$(litestream_installed_version)"
  [[ "${have#v}" == "$LITESTREAM_VERSION" ]] \
    || fail "$BIN/litestream version printed '${have}', expected $LITESTREAM_VERSION"
  log "litestream built in $((SECONDS - start))s: $BIN/litestream version -> $have"
fi

# --- versitygw ---------------------------------------------------------------------------------
# `versitygw --version` prints "Version  : <main.Version>" (set by ldflags, as upstream's Makefile
# does; a plain `go install` would print "git").
versitygw_installed_version() {
  [[ -x "$BIN/versitygw" ]] || return 0
  "$BIN/versitygw" --version 2>/dev/null | sed -n -E 's/^Version[[:space:]]*:[[:space:]]*//p' | tr -d '[:space:]' || true
}

have="$(versitygw_installed_version)"
if [[ "$have" == "$VERSITYGW_VERSION" ]]; then
  log "versitygw $VERSITYGW_VERSION already installed ($BIN/versitygw), skipping"
else
  log "building versitygw $VERSITYGW_VERSION (installed: ${have:-none}) ..."
  start=$SECONDS
  go install \
    -ldflags "-X=main.Version=$VERSITYGW_VERSION -X=main.Build=gomod -X=main.BuildTime=none" \
    "github.com/versity/versitygw/cmd/versitygw@$VERSITYGW_VERSION" \
    || fail "go install github.com/versity/versitygw/cmd/versitygw@$VERSITYGW_VERSION failed"
  have="$(versitygw_installed_version)"
  [[ "$have" == "$VERSITYGW_VERSION" ]] \
    || fail "$BIN/versitygw --version printed '${have}', expected $VERSITYGW_VERSION"
  log "versitygw built in $((SECONDS - start))s: $BIN/versitygw --version -> $have"
fi

log "done: $BIN/litestream ($LITESTREAM_VERSION), $BIN/versitygw ($VERSITYGW_VERSION)"
