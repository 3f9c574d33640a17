# Shared by the project's scripts (sourced, not run): the repository root, the per-user build
# cache, logging, timing, and reading versions from components/versions.ts.
#
# The cache (Go module and build caches, the built Pulumi toolchain) lives outside the clone,
# so that new clones, CI runs and repeated runs reuse it:
#   LITESTREAM_BACKUP_CACHE, else $XDG_CACHE_HOME/litestream-backup, else ~/.cache/litestream-backup

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CACHE="${LITESTREAM_BACKUP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/litestream-backup}"

# The Pulumi toolchain built here when no `pulumi` is installed: the CLI and the Node.js
# language host side by side in bin/, the plugins in an own PULUMI_HOME so that a Pulumi
# installed later never picks up a stand-in plugin.
TOOLCHAIN_DIR="$CACHE/pulumi"
TOOLCHAIN_BIN="$TOOLCHAIN_DIR/bin"
TOOLCHAIN_HOME="$TOOLCHAIN_DIR/home"

# Name of the calling script, for its log lines.
SCRIPT_NAME="${SCRIPT_NAME:-$(basename "$0" .sh)}"

log() { echo "$SCRIPT_NAME: $*" >&2; }
fail() {
  echo "$SCRIPT_NAME: ERROR: $*" >&2
  exit 1
}

# Seconds since the script started, for "took N s" lines.
elapsed() { echo "$((SECONDS - ${1:-0}))s"; }

# Reads `export const NAME = "value";` from components/versions.ts.
read_version() {
  local value
  value="$(sed -n -E "s/^[[:space:]]*export[[:space:]]+const[[:space:]]+$1[[:space:]]*(:[^=]*)?=[[:space:]]*[\"']([^\"']+)[\"'].*/\2/p" "$ROOT/components/versions.ts" | head -n 1)"
  [[ -n "$value" ]] || fail "could not read $1 from components/versions.ts"
  printf '%s' "$value"
}

# The Go environment every build here uses: caches in $CACHE, the local toolchain only.
go_env() {
  command -v go >/dev/null 2>&1 ||
    fail "Go is not installed: install Go 1.25 or later (https://go.dev/dl/), or install Pulumi with its installer so that nothing needs building"
  export GOMODCACHE="$CACHE/go/mod"
  export GOCACHE="$CACHE/go/cache"
  export GOPATH="$CACHE/go"
  # Module cache files are read-only by default, which makes removing the cache fail.
  export GOFLAGS="-modcacherw -buildvcs=false"
  export GOTOOLCHAIN=local
  export CGO_ENABLED=0
  mkdir -p "$GOMODCACHE" "$GOCACHE"
}

# A stamp of what a build is made of: files (contents), then extra words.
inputs_stamp() {
  local f
  {
    for f in "$@"; do
      if [[ -f "$f" ]]; then
        printf '%s ' "${f#"$ROOT"/}"
        sha256sum <"$f"
      else
        printf '%s\n' "$f"
      fi
    done
    go version 2>/dev/null || true
  } | sha256sum | cut -d' ' -f1
}

# stamped_build NAME STAMP COMMAND...: runs COMMAND unless STAMP is recorded for NAME in the
# caller's $STAMPS folder, and records it when COMMAND succeeds.
stamped_build() {
  local name="$1" stamp="$2" t=$SECONDS
  shift 2
  if [[ "$(cat "$STAMPS/$name" 2>/dev/null)" == "$stamp" ]]; then
    log "$name: up to date"
    return
  fi
  log "$name: building ..."
  "$@" || fail "$name: the build failed (see above)"
  echo "$stamp" >"$STAMPS/$name"
  log "$name: built in $(elapsed "$t")"
}

# Sets up the environment of the project's Pulumi CLI and sets PULUMI to it: the CLI named by
# LITESTREAM_BACKUP_PULUMI, else an installed `pulumi` on PATH, else the one
# scripts/pulumi-toolchain.sh built (with its own PULUMI_HOME). State goes to a file backend in
# the clone (.pulumi-state/) unless PULUMI_BACKEND_URL is set; the passphrase of the stacks'
# secrets is empty unless PULUMI_CONFIG_PASSPHRASE(_FILE) is set.
pulumi_env() {
  local p
  if [[ -n "${LITESTREAM_BACKUP_PULUMI:-}" ]]; then
    PULUMI="$LITESTREAM_BACKUP_PULUMI"
  elif [[ "${LITESTREAM_BACKUP_BUILD_PULUMI:-0}" != 1 ]] && p="$(command -v pulumi 2>/dev/null)" &&
    [[ "$(readlink -f "$p")" != "$(readlink -f "$TOOLCHAIN_BIN/pulumi" 2>/dev/null)" ]]; then
    PULUMI="$p"
  else
    PULUMI="$TOOLCHAIN_BIN/pulumi"
    [[ -x "$PULUMI" ]] || fail "no Pulumi CLI: run npm run deps (it builds one) or install Pulumi"
    export PULUMI_HOME="$TOOLCHAIN_HOME"
    export PULUMI_IGNORE_AMBIENT_PLUGINS=true
    # The plugins this program uses are installed; the other packages in node_modules (aws,
    # cloudflare) cannot be downloaded where this toolchain is needed, and trying costs 5 s of
    # retries on every command.
    export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
  fi
  export PULUMI_SKIP_UPDATE_CHECK=true
  export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$ROOT/.pulumi-state}"
  if [[ "$PULUMI_BACKEND_URL" == file://* ]]; then
    mkdir -p "${PULUMI_BACKEND_URL#file://}"
  fi
  if [[ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]]; then
    export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE-}"
  fi
  export PULUMI
}
