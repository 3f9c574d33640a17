#!/usr/bin/env bash
# Makes sure `docker compose` is Docker Compose v2 at 2.23.1 or later: the first release that
# reads top-level `configs:` with inline `content:`, which the `composeFile` output uses.
#
# When `docker compose version` already answers with such a release, nothing is done. Otherwise,
# on Debian and its derivatives, Debian trixie's `docker-compose` package (Compose v2, one Go
# binary that needs only libc 2.34 or later, so it runs on bookworm too) is fetched with
# `apt-get download` through a private sources list and private package lists under the
# per-user cache (scripts/lib/common.sh), so the machine's apt sources and state stay as they
# were. Its plugin binary is unpacked with `dpkg-deb -x` and copied to
# ${DOCKER_CONFIG:-~/.docker}/cli-plugins/docker-compose, the per-user plugin folder that the
# Docker CLI searches first. The .deb stays in the cache, so a reinstall needs no network.
#
# Environment (optional):
#   DEBIAN_MIRROR   mirror to fetch trixie from (default: the one apt uses for this release)
#   COMPOSE_SUITE   Debian suite to take the package from (default: trixie)
# Idempotent; quick when done. Needs no root (apt-get download runs as any user).
set -euo pipefail
SCRIPT_NAME=compose-plugin
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
T0=$SECONDS

MIN_VERSION=2.23.1
SUITE="${COMPOSE_SUITE:-trixie}"
PLUGIN_DIR="${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins"
PLUGIN="$PLUGIN_DIR/docker-compose"
WORK="$CACHE/compose"

# Whether version $1 is at least $2.
at_least() { [[ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n 1)" == "$2" ]]; }

# The version a compose binary reports, without a leading v; empty when it does not answer.
version_of() { "$@" version --short 2>/dev/null | sed 's/^v//' || true; }

if command -v docker >/dev/null 2>&1; then
  v="$(version_of docker compose)"
  if [[ -n "$v" ]] && at_least "$v" "$MIN_VERSION"; then
    log "docker compose $v answers (2.23.1 or later needed): nothing to do"
    exit 0
  fi
  [[ -n "$v" ]] && log "docker compose is $v, older than $MIN_VERSION: installing a newer one"
fi

if [[ -e "$PLUGIN" ]] && ! cmp -s "$PLUGIN" "$WORK/docker-compose" 2>/dev/null; then
  v="$(version_of "$PLUGIN")"
  if [[ -n "$v" ]] && at_least "$v" "$MIN_VERSION"; then
    log "$PLUGIN is Compose $v: nothing to do"
    exit 0
  fi
  fail "$PLUGIN is not ours and is Compose ${v:-of unknown version}: replace it with Compose $MIN_VERSION or later, or remove it and run this again"
fi

command -v apt-get >/dev/null 2>&1 && command -v dpkg-deb >/dev/null 2>&1 ||
  fail "no apt-get here: install Docker Compose $MIN_VERSION or later (https://docs.docker.com/compose/install/)"

mkdir -p "$WORK"
deb="$(find "$WORK" -maxdepth 1 -name 'docker-compose_*.deb' -print | sort -V | tail -n 1)"
if [[ -z "$deb" ]]; then
  t=$SECONDS
  # The mirror apt uses for this machine's release, so the same (possibly internal) mirror
  # serves the other suite.
  codename="$(. /etc/os-release && echo "${VERSION_CODENAME:-}")"
  mirror="${DEBIAN_MIRROR:-$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 2>/dev/null |
    awk -v s="$codename" '$2 == s { print $1; exit }')}"
  mirror="${mirror:-http://deb.debian.org/debian/}"
  apt_dir="$WORK/apt"
  rm -rf "$apt_dir"
  mkdir -p "$apt_dir/lists/partial"
  printf 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s %s main\n' \
    "$mirror" "$SUITE" >"$apt_dir/sources.list"
  # Everything apt reads or writes is redirected into $apt_dir; the machine's own sources,
  # package lists and caches are neither read nor changed.
  apt_opts=(
    -o "Dir::Etc::sourcelist=$apt_dir/sources.list"
    -o "Dir::Etc::sourceparts=-"
    -o "Dir::State::Lists=$apt_dir/lists"
    -o "Dir::Cache::pkgcache="
    -o "Dir::Cache::srcpkgcache="
    -o "APT::Get::List-Cleanup=0"
    -o "Acquire::Languages=none"
    -o "Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false"
    -o "Acquire::IndexTargets::deb::DEP-11-icons::DefaultEnabled=false"
  )
  log "fetching Debian $SUITE's docker-compose from $mirror ..."
  apt-get -qq "${apt_opts[@]}" update >"$apt_dir/update.log" 2>&1 || {
    tail -n 5 "$apt_dir/update.log" >&2
    fail "apt-get update of $SUITE from $mirror failed (above): set DEBIAN_MIRROR to a reachable Debian mirror, or install Docker Compose $MIN_VERSION or later"
  }
  (cd "$WORK" && apt-get -qq "${apt_opts[@]}" download docker-compose >"$apt_dir/download.log" 2>&1) || {
    tail -n 5 "$apt_dir/download.log" >&2
    fail "apt-get download docker-compose from $SUITE failed (above): install Docker Compose $MIN_VERSION or later"
  }
  rm -rf "$apt_dir"
  deb="$(find "$WORK" -maxdepth 1 -name 'docker-compose_*.deb' -print | sort -V | tail -n 1)"
  [[ -n "$deb" ]] || fail "apt-get download left no docker-compose .deb in $WORK"
  log "downloaded $(basename "$deb") in $(elapsed "$t")"
else
  log "using the cached $(basename "$deb")"
fi

unpacked="$WORK/unpacked"
rm -rf "$unpacked"
dpkg-deb -x "$deb" "$unpacked" || fail "dpkg-deb -x $deb failed: remove it and run this again"
binary="$unpacked/usr/libexec/docker/cli-plugins/docker-compose"
[[ -x "$binary" ]] || fail "$(basename "$deb") has no usr/libexec/docker/cli-plugins/docker-compose: install Docker Compose $MIN_VERSION or later"
v="$(version_of "$binary")"
[[ -n "$v" ]] && at_least "$v" "$MIN_VERSION" ||
  fail "$(basename "$deb") holds Compose ${v:-that does not run here}, not $MIN_VERSION or later: install Docker Compose $MIN_VERSION or later"
cp "$binary" "$WORK/docker-compose.tmp"
mv -f "$WORK/docker-compose.tmp" "$WORK/docker-compose"
rm -rf "$unpacked"

mkdir -p "$PLUGIN_DIR"
# A copy, written under another name and renamed, so a concurrent `docker compose` never runs a
# half-written file.
cp "$WORK/docker-compose" "$PLUGIN.tmp.$$"
mv -f "$PLUGIN.tmp.$$" "$PLUGIN"
if command -v docker >/dev/null 2>&1; then
  got="$(version_of docker compose)"
  [[ "$got" == "$v" ]] ||
    fail "installed Compose $v as $PLUGIN, but docker compose answers ${got:-nothing}: check DOCKER_CONFIG and the Docker CLI's plugin folders"
fi
log "Docker Compose $v installed as $PLUGIN in $(elapsed "$T0")"
