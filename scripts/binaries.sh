#!/usr/bin/env bash
# Installs the real test dependencies into .deps/ (git-ignored), executables in .deps/bin/:
#   - litestream  at LITESTREAM_VERSION from components/versions.ts
#   - versitygw   at VERSITYGW_VERSION  from components/versions.ts
# Both are built from Go modules, static (CGO_ENABLED=0), with the Go caches kept in .deps/go,
# so that repeated runs and CI on a fresh machine work. Idempotent: a binary that already
# reports the wanted version is not rebuilt. Usage: `npm run deps` (works from any cwd).
set -euo pipefail

fail() { echo "deps: ERROR: $*" >&2; exit 1; }
log() { echo "deps: $*"; }

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

VERSIONS_FILE="components/versions.ts"
[[ -f "$VERSIONS_FILE" ]] || fail "$VERSIONS_FILE not found (repo root: $ROOT)"

# Reads `export const NAME = "value";` from components/versions.ts (the single source of truth).
read_version() {
  local name="$1" value
  value="$(sed -n -E "s/^[[:space:]]*export[[:space:]]+const[[:space:]]+${name}[[:space:]]*(:[^=]*)?=[[:space:]]*[\"']([^\"']+)[\"'].*/\2/p" "$VERSIONS_FILE" | head -n 1)"
  [[ -n "$value" ]] || fail "could not read $name from $VERSIONS_FILE"
  printf '%s' "$value"
}

LITESTREAM_VERSION="$(read_version LITESTREAM_VERSION)"   # e.g. 0.5.16 (no "v")
LITESTREAM_VERSION="${LITESTREAM_VERSION#v}"
VERSITYGW_VERSION="$(read_version VERSITYGW_VERSION)"     # e.g. v1.8.0
VERSITYGW_VERSION="v${VERSITYGW_VERSION#v}"

command -v go >/dev/null 2>&1 || fail "go is not installed (needed to build litestream and versitygw)"

DEPS="$ROOT/.deps"
BIN="$DEPS/bin"
mkdir -p "$BIN" "$DEPS/go"

export GOPATH="$DEPS/go"
export GOMODCACHE="$DEPS/go/mod"
export GOCACHE="$DEPS/go/cache"
export GOBIN="$BIN"
export CGO_ENABLED=0
# Module cache files are read-only by default, which makes `rm -rf .deps` fail; keep them writable.
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-modcacherw"
# Use the local Go toolchain; do not download another one.
export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"

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
