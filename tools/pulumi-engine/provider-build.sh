# shellcheck shell=bash
# Shared by docker-provider/build.sh and kubernetes-provider/build.sh (sourced, not run): error
# and step reporting, the Go check, the per-user cache as Go's caches, the work folder
# $CACHE/build/<PROVIDER_NAME> and one build at a time in it.
#
# The caller sets HERE (its own folder, holding its go.mod) and PROVIDER_NAME before sourcing.

DIED=
die() { DIED=1; echo "build.sh: error: $*" >&2; exit 1; }

STEP=setup
STEP_T0=$(date +%s)
# shellcheck disable=SC2034 # read by the callers
BUILD_T0=$STEP_T0
step() { STEP=$1; STEP_T0=$(date +%s); echo "==> $STEP"; }
step_done() { echo "    ($STEP: $(( $(date +%s) - STEP_T0 ))s)"; }
# shellcheck disable=SC2154 # rc is set inside the trap
trap 'rc=$?; [ "$rc" -eq 0 ] || [ -n "$DIED" ] || echo "build.sh: error: step \"$STEP\" failed (exit $rc); see the output above" >&2' EXIT

# --- tools and environment -------------------------------------------------------------------
command -v go >/dev/null 2>&1 || die "Go is not installed (need Go >= the go line of $HERE/go.mod; measured with 1.26.8)"
command -v sha256sum >/dev/null 2>&1 || die "sha256sum is not installed (coreutils)"
NEED_GO=$(awk '$1 == "go" { print $2; exit }' "$HERE/go.mod")
HAVE_GO=$(GOTOOLCHAIN=local go env GOVERSION | sed 's/^go//')
[ "$(printf '%s\n%s\n' "$NEED_GO" "$HAVE_GO" | sort -V | head -n1)" = "$NEED_GO" ] ||
  die "Go $HAVE_GO is too old: go.mod needs Go >= $NEED_GO"

CACHE=${LITESTREAM_BACKUP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/litestream-backup}
WORK=$CACHE/build/$PROVIDER_NAME
export GOMODCACHE=$CACHE/go/mod GOCACHE=$CACHE/go/cache
export GOFLAGS="-modcacherw -buildvcs=false -p=2" GOTOOLCHAIN=local GOWORK=off CGO_ENABLED=0
mkdir -p "$WORK" "$GOMODCACHE" "$GOCACHE"

# One build at a time per cache: the work directory is shared.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$WORK/.lock"
  flock -n 9 || { echo "build.sh: waiting for another build.sh using $WORK"; flock 9; }
fi
