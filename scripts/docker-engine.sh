#!/usr/bin/env bash
# Make sure a Docker engine answers `docker info`.
#
# Idempotent: when `docker info` already answers, nothing is done. Otherwise (as root,
# or through passwordless sudo) Debian's `docker.io` is installed if `dockerd` is missing
# (one `apt-get update`, then `apt-get install -y docker.io`), `dockerd` is started in the
# background (detached, logs to $DOCKERD_LOG) and the script waits, bounded, until
# `docker info` answers. Works without a TTY or systemd (CI=true, fresh machine, root).
#
# Environment (all optional):
#   DOCKERD_LOG              log file of the dockerd started here
#                            (default /var/log/dockerd-litestream-backup.log)
#   DOCKER_ENGINE_TIMEOUT    seconds to wait for `docker info` after a start (default 60)
#   DOCKERD_FLAGS            extra dockerd flags; when set, exactly these are used and
#                            the storage-driver / iptables fallbacks below are skipped
#
# Without DOCKERD_FLAGS, dockerd starts with --storage-driver=overlay2. When it exits
# before answering, the errors it logged pick the next try (at most 4 starts): iptables
# errors -> switch iptables to the legacy backend, then --iptables=false (containers then
# cannot resolve each other by name); storage-driver errors -> vfs; anything else -> one
# plain retry. A dockerd that stays up without answering within the timeout is a failure.
# On failure the log tail is printed and the exit status is 1.
#
# Tested on Debian 12 (docker.io 20.10.24, cgroup v1, kernel 6.18, /var/lib/docker on
# ext4): overlay2 and iptables-nft work; containers on a user-defined bridge resolve each
# other by name, the host reaches container IPs, and -p 127.0.0.1:PORT:PORT works.
set -euo pipefail

DOCKERD_LOG="${DOCKERD_LOG:-/var/log/dockerd-litestream-backup.log}"
DOCKER_ENGINE_TIMEOUT="${DOCKER_ENGINE_TIMEOUT:-60}"
PIDFILE=/var/run/docker.pid

log() { echo "docker-engine: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

engine_answers() { docker info >/dev/null 2>&1; }

# Alive and not a zombie (on some machines PID 1 reaps orphans late, so `kill -0`
# alone would report a dead dockerd as running).
is_alive() {
  local state
  state="$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" || return 1
  [[ -n "$state" && "$state" != Z && "$state" != X ]]
}

log_tail() {
  if [[ -f "$DOCKERD_LOG" ]]; then
    log "last lines of $DOCKERD_LOG:"
    tail -n 40 "$DOCKERD_LOG" | sed 's/^/    /' >&2
  fi
}

# Fast path: nothing to do.
if command -v docker >/dev/null 2>&1 && engine_answers; then
  log "engine already answers ($(docker info --format '{{.ServerVersion}}, storage {{.Driver}}' 2>/dev/null || echo ok))"
  exit 0
fi

if [[ "$(id -u)" != 0 ]]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    log "not root: re-running through sudo"
    exec sudo -n --preserve-env=DOCKERD_LOG,DOCKER_ENGINE_TIMEOUT,DOCKERD_FLAGS,CI \
      bash "$(readlink -f "${BASH_SOURCE[0]}")" "$@"
  fi
  die "docker info does not answer and this is not root (no passwordless sudo either): start a Docker engine, or run this script as root"
fi

if [[ -n "${DOCKER_HOST:-}" && "${DOCKER_HOST}" != "unix:///var/run/docker.sock" ]]; then
  log "note: DOCKER_HOST=${DOCKER_HOST} does not answer; starting a local engine on unix:///var/run/docker.sock and using it"
  export DOCKER_HOST=unix:///var/run/docker.sock
fi

# --- install --------------------------------------------------------------------------
if ! command -v dockerd >/dev/null 2>&1; then
  command -v apt-get >/dev/null 2>&1 || die "dockerd is missing and apt-get is not available: install a Docker engine"
  log "installing Debian's docker.io"
  export DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 NEEDRESTART_MODE=a
  apt-get update -qq </dev/null || die "apt-get update failed"
  apt-get install -y -qq -o Dpkg::Use-Pty=0 docker.io </dev/null >/dev/null || die "apt-get install -y docker.io failed"
  command -v dockerd >/dev/null 2>&1 || die "docker.io installed but dockerd is not on PATH"
fi
# The machine may already carry a docker CLI elsewhere on PATH (e.g. /usr/local/bin);
# docker.io brings /usr/bin/docker. Any of them talks to this engine (API negotiation).
command -v docker >/dev/null 2>&1 || die "no docker CLI on PATH after installing docker.io"

# --- one starter at a time ------------------------------------------------------------
# Concurrent callers (parallel CI steps) serialize here; the later ones then find the
# engine answering.
if command -v flock >/dev/null 2>&1; then
  exec 9>/var/run/docker-engine-litestream-backup.lock
  flock -w $((DOCKER_ENGINE_TIMEOUT * 3 + 60)) 9 || die "timed out waiting for another docker-engine.sh"
  if engine_answers; then
    log "engine answers (started by a concurrent caller)"
    exit 0
  fi
fi

# --- is a dockerd already there (still starting, or hung)? ----------------------------
wait_for_engine() { # $1 = pid of dockerd to watch; returns 0 answers, 1 died, 2 timeout
  local pid="$1" deadline=$((SECONDS + DOCKER_ENGINE_TIMEOUT))
  while ((SECONDS < deadline)); do
    engine_answers && return 0
    is_alive "$pid" || return 1
    sleep 0.5
  done
  engine_answers && return 0
  return 2
}

if [[ -f "$PIDFILE" ]]; then
  oldpid="$(cat "$PIDFILE" 2>/dev/null || true)"
  if [[ -n "$oldpid" ]] && is_alive "$oldpid" &&
    grep -q dockerd "/proc/$oldpid/comm" 2>/dev/null; then
    log "dockerd (pid $oldpid) is already running; waiting up to ${DOCKER_ENGINE_TIMEOUT}s for it to answer"
    if wait_for_engine "$oldpid"; then
      log "engine answers"
      exit 0
    fi
    log_tail
    die "an existing dockerd (pid $oldpid) does not answer docker info; stop it (kill $oldpid) and rerun"
  fi
  rm -f "$PIDFILE" # stale
fi

# --- start ----------------------------------------------------------------------------
# A containerd left behind by a dockerd that died (SIGKILL, OOM) keeps its socket and
# makes the next dockerd time out waiting for "its" containerd: stop it first.
stop_stale_containerd() {
  local f=/var/run/docker/containerd/containerd.pid cpid
  [[ -f "$f" ]] || return 0
  cpid="$(cat "$f" 2>/dev/null || true)"
  if [[ -n "$cpid" ]] && is_alive "$cpid" && grep -q containerd "/proc/$cpid/comm" 2>/dev/null; then
    log "stopping containerd (pid $cpid) left behind by a dead dockerd"
    kill "$cpid" 2>/dev/null || true
    for _ in $(seq 1 20); do is_alive "$cpid" || break; sleep 0.5; done
    if is_alive "$cpid"; then kill -9 "$cpid" 2>/dev/null || true; sleep 0.5; fi
  fi
  rm -f "$f"
}

mkdir -p "$(dirname "$DOCKERD_LOG")"
touch "$DOCKERD_LOG"
if [[ -n "${DOCKERD_FLAGS:-}" ]]; then
  flags="$DOCKERD_FLAGS"
  adapt=0
else
  flags="--storage-driver=overlay2"
  adapt=1
fi

switched_iptables=0
# At most 4 starts: overlay2, then (only when the log of the failed start says so)
# the legacy iptables backend, --iptables=false, the vfs storage driver.
for attempt in 1 2 3 4; do
  stop_stale_containerd
  log "starting dockerd $flags (log: $DOCKERD_LOG)"
  echo "===== $(date -u +%FT%TZ) docker-engine.sh: dockerd $flags" >>"$DOCKERD_LOG"
  offset=$(stat -c %s "$DOCKERD_LOG")
  # Detached from this shell (own session, no inherited stdio) so it outlives the
  # script and whatever process group runs it.
  # shellcheck disable=SC2086
  setsid dockerd $flags </dev/null >>"$DOCKERD_LOG" 2>&1 9>&- &
  pid=$!
  rc=0
  wait_for_engine "$pid" || rc=$?
  if ((rc == 0)); then
    log "engine answers: $(docker info --format '{{.ServerVersion}}, storage {{.Driver}}, cgroup v{{.CgroupVersion}}' 2>/dev/null) (dockerd pid $pid)"
    exit 0
  fi
  if ((rc == 2)); then
    log_tail
    die "dockerd (pid $pid, flags: $flags) did not answer docker info within ${DOCKER_ENGINE_TIMEOUT}s; it is left running (kill $pid to stop it)"
  fi
  log "dockerd $flags exited before answering; last lines:"
  tail -n 8 "$DOCKERD_LOG" | sed 's/^/    /' >&2
  ((adapt)) || break
  # Only the errors of this start (info lines mention overlayfs and iptables too).
  new_log="$(tail -c +$((offset + 1)) "$DOCKERD_LOG" | grep -iE 'level=(error|fatal)|^failed to start' || true)"
  if [[ "$flags" != *--iptables=false* ]] && grep -qiE 'iptables|ip6tables|xtables|nat table' <<<"$new_log"; then
    if ((!switched_iptables)) && [[ -x /usr/sbin/iptables-legacy ]] &&
      [[ "$(readlink -f "$(command -v iptables)")" == *nft* ]] && command -v update-alternatives >/dev/null 2>&1; then
      # Some kernels lack nf_tables but have the legacy x_tables (or the reverse).
      log "the failure mentions iptables: switching iptables/ip6tables to the legacy backend and retrying"
      update-alternatives --set iptables /usr/sbin/iptables-legacy >/dev/null
      update-alternatives --set ip6tables /usr/sbin/ip6tables-legacy >/dev/null 2>&1 || true
      switched_iptables=1
    else
      log "WARNING: the failure mentions iptables: retrying with --iptables=false." \
        "Containers then do NOT resolve each other by name on user-defined networks" \
        "(the embedded DNS needs iptables); host->container IP and 127.0.0.1 port publishing still work"
      flags="$flags --iptables=false"
    fi
  elif [[ "$flags" == *overlay2* ]] && grep -qiE 'overlay|graphdriver|storage.driver|driver not supported' <<<"$new_log"; then
    log "the failure mentions the storage driver: retrying with vfs (slow, large)"
    flags="${flags/overlay2/vfs}"
  elif ((attempt == 1)); then
    log "retrying once with the same flags"
  else
    break
  fi
done

log_tail
die "dockerd could not be started (last flags: $flags); see $DOCKERD_LOG"
