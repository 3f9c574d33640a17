#!/usr/bin/env bash
# Test hosts for the end-to-end tests of a server move: two extra Docker engines on this
# machine, "a" and "b", each reached over SSH as `ssh://root@127.0.0.1:<port>`, as a stack's
# `docker.host` would reach a real server. The machine's own Docker engine is never touched.
#
#   scripts/test-hosts.sh up [IMAGE...]   start both hosts; load the IMAGEs of the main engine
#                                         into each (no registry is reached)
#   scripts/test-hosts.sh crash a|b       power cut: every process of that host killed at once
#                                         (engine, containerd, containers, its sshd); its
#                                         containers and volumes stay on its disk
#   scripts/test-hosts.sh start a|b       boot that host again after a crash: same disk, so
#                                         Docker restarts its `unless-stopped` containers
#   scripts/test-hosts.sh status          what runs, and the hosts file
#   scripts/test-hosts.sh down            remove everything `up` made, and check that the
#                                         machine is as it was (also after a crashed run)
#
# Each host is a Docker engine (Debian's dockerd) in namespaces of its own: a network namespace
# (its own iptables, so its engine keeps `--iptables=true` and containers resolve each other by
# name), a PID namespace (killing its init kills everything of the host, which is how `crash`
# plays a dead server) and a private mount namespace (every overlay and namespace mount of the
# engine lives and dies there; tmpfs over /etc/docker, /run/docker and /run/containerd hides the
# main engine's files from it). Its own data root, exec root, pid file, socket, containerd,
# bridge (`--bip`), address pools and cgroup parent. A veth joins each host to a bridge on this
# machine: the machine is .1 of the subnet, "a" .2, "b" .3, with no route anywhere else, so a
# server the tests run on the bridge address (the S3 server) is reached by both hosts.
#
# SSH: Debian's openssh-server (installed when missing, without starting its service), one
# sshd a host on 127.0.0.1, its own config and host key, key-only root login with a key pair
# made here, and `SetEnv DOCKER_HOST=unix://<that host's socket>` so that the docker provider's
# `ssh ... docker system dial-stdio` reaches that host's engine.
#
# Everything made is recorded in <state>/manifest before it is made; `down` removes what is
# recorded (processes by pid and start time), then checks: no process of the hosts alive, no
# interface or cgroup of theirs, no mount under the state folder in any mount namespace, the
# state folder gone. It prints what is left and exits 1 when something is.
#
# Environment (optional):
#   TEST_HOSTS_NAME    prefix of interfaces and cgroups, and the state folder's name (default lsbth)
#   TEST_HOSTS_NET     first two octets of the private /16 used (default 10.203): bridge
#                      <net>.0.0/24, host "a" bridge <net>.16.1/24 and pool <net>.64.0/19,
#                      host "b" <net>.17.1/24 and <net>.96.0/19
#   TEST_HOSTS_DIR     state folder (default /var/lib/litestream-backup-test-hosts/<name>)
#   TEST_HOSTS_TIMEOUT seconds to wait for an engine or sshd (default 60)
set -euo pipefail
SCRIPT_NAME=test-hosts
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

NAME="${TEST_HOSTS_NAME:-lsbth}"
NET="${TEST_HOSTS_NET:-10.203}"
STATE="${TEST_HOSTS_DIR:-/var/lib/litestream-backup-test-hosts/$NAME}"
TIMEOUT="${TEST_HOSTS_TIMEOUT:-60}"
MANIFEST="$STATE/manifest"
HOSTS_FILE="$STATE/hosts.json"
BRIDGE="${NAME}0"
HOSTS=(a b)
SSH_USER=root

[[ "$NAME" =~ ^[a-z][a-z0-9]{1,8}$ ]] || fail "TEST_HOSTS_NAME must be 2 to 9 lowercase letters or digits (interface names are short): got '$NAME'"
[[ "$NET" =~ ^10\.[0-9]{1,3}$ ]] || fail "TEST_HOSTS_NET must be the first two octets of a 10.x.0.0/16, e.g. 10.203: got '$NET'"

host_index() { case "$1" in a) echo 0 ;; b) echo 1 ;; *) fail "unknown host '$1': use a or b" ;; esac; }
host_addr() { echo "$NET.0.$(($(host_index "$1") + 2))"; }
host_dir() { echo "$STATE/$1"; }
host_socket() { echo "$STATE/$1/docker.sock"; }
host_link() { echo "$NAME-$1"; }
host_cgroup() { echo "$NAME-$1"; }
bridge_addr() { echo "$NET.0.1"; }
hdocker() { docker -H "unix://$(host_socket "$1")" "${@:2}"; }

# --- the manifest: what was made, so that `down` can remove it -----------------------------
record() { echo "$*" >>"$MANIFEST"; }

# A process is identified by its pid and its start time (field 22 of /proc/<pid>/stat), so that
# a pid reused by another process is never signalled.
start_time() { awk '{print $22}' "/proc/$1/stat" 2>/dev/null || true; }
proc_alive() { # pid starttime
  local state
  [[ "$(start_time "$1")" == "$2" ]] || return 1
  state="$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" || return 1
  [[ -n "$state" && "$state" != Z && "$state" != X ]]
}
record_proc() { record "proc $1 $2 $(start_time "$2")"; }

# Processes recorded under a label, still alive: "pid starttime" lines.
live_procs() {
  [[ -f "$MANIFEST" ]] || return 0
  local kind label pid st
  while read -r kind label pid st; do
    [[ "$kind" == proc && ( -z "${1:-}" || "$label" == "$1" ) ]] || continue
    if proc_alive "$pid" "$st"; then echo "$pid $st"; fi
  done <"$MANIFEST"
}

# Children of a process (one level).
children() { cat /proc/"$1"/task/*/children 2>/dev/null | tr ' ' '\n' | sed '/^$/d' || true; }

# SIGKILL recorded processes of a label and the children of each, then wait until they are gone.
kill_label() {
  local pid st child pids=()
  while read -r pid st; do
    [[ -n "$pid" ]] || continue
    for child in $(children "$pid"); do kill -9 "$child" 2>/dev/null || true; done
    kill -9 "$pid" 2>/dev/null || true
    pids+=("$pid:$st")
  done < <(live_procs "$1")
  local deadline=$((SECONDS + 20)) p
  for p in "${pids[@]}"; do
    while proc_alive "${p%%:*}" "${p##*:}" && ((SECONDS < deadline)); do sleep 0.1; done
  done
}

# --- packages --------------------------------------------------------------------------------
apt_install() {
  export DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 NEEDRESTART_MODE=a
  # policy-rc.d exit 101: the package's service is not started (no sshd on port 22). A
  # policy-rc.d the machine already has is left as it is.
  local policy=/usr/sbin/policy-rc.d made_policy=0
  if [[ ! -e "$policy" ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    made_policy=1
  fi
  local rc=0
  apt-get install -y -qq -o Dpkg::Use-Pty=0 "$@" </dev/null >/dev/null 2>&1 || {
    apt-get update -qq </dev/null >/dev/null 2>&1 || true
    apt-get install -y -qq -o Dpkg::Use-Pty=0 "$@" </dev/null >/dev/null || rc=$?
  }
  ((made_policy)) && rm -f "$policy"
  return $rc
}

ensure_packages() {
  local missing=()
  [[ -x /usr/sbin/sshd ]] || missing+=(openssh-server)
  command -v ssh-keygen >/dev/null 2>&1 || missing+=(openssh-client)
  command -v ip >/dev/null 2>&1 || missing+=(iproute2)
  command -v unshare >/dev/null 2>&1 && command -v nsenter >/dev/null 2>&1 || missing+=(util-linux)
  command -v tini >/dev/null 2>&1 || missing+=(tini)
  command -v flock >/dev/null 2>&1 || missing+=(util-linux)
  if ((${#missing[@]} > 0)); then
    local t0=$SECONDS
    log "installing ${missing[*]} (Debian packages; no service is started)"
    apt_install "${missing[@]}" || fail "apt-get install ${missing[*]} failed: install them and run again"
    log "installed in $(elapsed "$t0")"
  fi
  command -v dockerd >/dev/null 2>&1 || fail "dockerd is missing: run scripts/docker-engine.sh first (it installs Debian's docker.io)"
}

# --- checks before anything is made ----------------------------------------------------------
check_free() {
  if ip route show | grep -q "^$NET\."; then
    fail "addresses $NET.x.x are routed on this machine already ($(ip route show | grep "^$NET\." | head -n1)): run 'scripts/test-hosts.sh down', or set TEST_HOSTS_NET to a free 10.x"
  fi
  if ip link show "$BRIDGE" >/dev/null 2>&1; then
    fail "interface $BRIDGE exists already: run 'scripts/test-hosts.sh down' first"
  fi
}

free_port() {
  local port used
  used="$(ss -Htln 2>/dev/null | awk '{print $4}' | sed 's/.*://' | sort -u)"
  for _ in $(seq 1 200); do
    port=$((20000 + RANDOM % 10000))
    grep -qx "$port" <<<"$used" || { echo "$port"; return 0; }
  done
  fail "no free TCP port found on 127.0.0.1 between 20000 and 29999"
}

# --- network ---------------------------------------------------------------------------------
make_bridge() {
  record "link $BRIDGE"
  ip link add "$BRIDGE" type bridge
  ip addr add "$(bridge_addr)/24" dev "$BRIDGE"
  ip link set "$BRIDGE" up
}

# Joins the host's network namespace (that of pid $2) to the bridge: veth <name>-<h> on this
# side, eth0 with the host's address inside. No default route: nothing but the subnet is
# reachable from the host.
wire_host() {
  local h="$1" pid="$2" link inner
  link="$(host_link "$h")"
  inner="${link}i"
  record "link $link"
  ip link add "$link" type veth peer name "$inner"
  ip link set "$inner" netns "$pid"
  ip link set "$link" master "$BRIDGE" up
  nsenter -t "$pid" -n ip link set lo up
  nsenter -t "$pid" -n ip link set "$inner" name eth0
  nsenter -t "$pid" -n ip addr add "$(host_addr "$h")/24" dev eth0
  nsenter -t "$pid" -n ip link set eth0 up
}

# --- engines ---------------------------------------------------------------------------------
engine_flags() {
  local h="$1" i
  i="$(host_index "$h")"
  local d
  d="$(host_dir "$h")"
  printf '%s\n' \
    --config-file "$d/daemon.json" \
    --data-root "$d/data" \
    --exec-root "$d/exec" \
    --pidfile "$d/exec/docker.pid" \
    -H "unix://$(host_socket "$h")" \
    --storage-driver overlay2 \
    --bip "$NET.$((16 + i)).1/24" \
    --default-address-pool "base=$NET.$((64 + 32 * i)).0/19,size=24" \
    --cgroup-parent "/$(host_cgroup "$h")" \
    --iptables=true \
    --userland-proxy=false
}

# Starts the engine of host $1 in new network, PID and mount namespaces and waits until it
# answers. A booting host starts with an empty exec root, as after a reboot.
start_engine() {
  local h="$1" d flags
  d="$(host_dir "$h")"
  rm -rf "$d/exec"
  mkdir -p "$d/data" "$d/exec"
  [[ -f "$d/daemon.json" ]] || echo '{}' >"$d/daemon.json"
  flags="$(engine_flags "$h" | tr '\n' ' ')"
  # The init (tini, PID 1 of the namespace) reaps orphans; the shell under it waits for the
  # network, hides the main engine's files, then becomes dockerd.
  # shellcheck disable=SC2016
  local inner='
    while [ ! -e "$0/net-ready" ]; do sleep 0.1; done
    for m in /etc/docker /run/docker /run/containerd; do
      mkdir -p "$m" && mount -t tmpfs -o mode=0755 tmpfs "$m" || exit 1
    done
    exec dockerd "$@"'
  rm -f "$d/net-ready"
  # shellcheck disable=SC2086
  setsid unshare --net --pid --fork --mount --propagation private --mount-proc \
    tini -- sh -c "$inner" "$d" $flags </dev/null >>"$d/dockerd.log" 2>&1 8>&- &
  local outer=$! init=""
  for _ in $(seq 1 50); do
    init="$(children "$outer" | head -n1)"
    [[ -n "$init" ]] && break
    sleep 0.1
  done
  [[ -n "$init" ]] || fail "host $h: its namespaces did not start; see $d/dockerd.log"
  record_proc "unshare-$h" "$outer"
  record_proc "init-$h" "$init"
  wire_host "$h" "$init"
  touch "$d/net-ready"
  local deadline=$((SECONDS + TIMEOUT))
  until hdocker "$h" info >/dev/null 2>&1; do
    if ! kill -0 "$init" 2>/dev/null || ((SECONDS > deadline)); then
      tail -n 20 "$d/dockerd.log" | sed 's/^/    /' >&2
      fail "host $h: dockerd did not answer within ${TIMEOUT}s; see $d/dockerd.log, then run 'scripts/test-hosts.sh down'"
    fi
    sleep 0.3
  done
}

# --- sshd ------------------------------------------------------------------------------------
make_keys() {
  local s="$STATE/ssh"
  mkdir -p "$s"
  chmod 700 "$s"
  ssh-keygen -q -t ed25519 -N '' -C "$NAME-host-key" -f "$s/host_key"
  ssh-keygen -q -t ed25519 -N '' -C "$NAME-client" -f "$s/id_ed25519"
  cp "$s/id_ed25519.pub" "$s/authorized_keys"
  chmod 600 "$s/authorized_keys"
}

write_sshd_config() {
  local h="$1" port="$2" s="$STATE/ssh"
  cat >"$s/sshd_$h.conf" <<EOF
# sshd of test host $h: key-only root login on loopback, its engine as DOCKER_HOST.
ListenAddress 127.0.0.1:$port
HostKey $s/host_key
PidFile $s/sshd_$h.pid
AuthorizedKeysFile $s/authorized_keys
AllowUsers $SSH_USER
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
UseDNS no
PrintMotd no
X11Forwarding no
AllowTcpForwarding no
SetEnv DOCKER_HOST=unix://$(host_socket "$h")
EOF
}

ssh_opts() {
  printf '%s\n' -i "$STATE/ssh/id_ed25519" -o IdentitiesOnly=yes -o StrictHostKeyChecking=no \
    -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o BatchMode=yes
}

start_sshd() {
  local h="$1" port
  port="$(cat "$STATE/ssh/port_$h")"
  # sshd needs its privilege separation folder; a made one is removed by `down`.
  if [[ ! -d /run/sshd ]]; then
    record "dir /run/sshd"
    mkdir -p /run/sshd
    chmod 755 /run/sshd
  fi
  setsid /usr/sbin/sshd -D -f "$STATE/ssh/sshd_$h.conf" -E "$STATE/ssh/sshd_$h.log" </dev/null >/dev/null 2>&1 8>&- &
  record_proc "sshd-$h" "$!"
  local deadline=$((SECONDS + TIMEOUT)) opts
  mapfile -t opts < <(ssh_opts)
  until ssh "${opts[@]}" -p "$port" "$SSH_USER@127.0.0.1" docker info --format '{{.Name}}' >/dev/null 2>&1; do
    ((SECONDS < deadline)) || fail "host $h: ssh to 127.0.0.1:$port did not reach its engine within ${TIMEOUT}s; see $STATE/ssh/sshd_$h.log"
    sleep 0.3
  done
}

write_hosts_file() {
  local opts json_opts
  mapfile -t opts < <(ssh_opts)
  json_opts="$(printf '"%s",' "${opts[@]}")"
  {
    echo "{"
    echo "  \"name\": \"$NAME\","
    echo "  \"bridge\": { \"interface\": \"$BRIDGE\", \"address\": \"$(bridge_addr)\" },"
    echo "  \"sshKey\": \"$STATE/ssh/id_ed25519\","
    echo "  \"sshOpts\": [${json_opts%,}],"
    echo "  \"hosts\": {"
    local h sep=","
    for h in "${HOSTS[@]}"; do
      [[ "$h" == "${HOSTS[-1]}" ]] && sep=""
      echo "    \"$h\": { \"address\": \"$(host_addr "$h")\", \"socket\": \"unix://$(host_socket "$h")\", \"ssh\": \"ssh://$SSH_USER@127.0.0.1:$(cat "$STATE/ssh/port_$h")\" }$sep"
    done
    echo "  }"
    echo "}"
  } >"$HOSTS_FILE"
}

load_images() {
  (($# > 0)) || return 0
  local t0=$SECONDS tar="$STATE/images.tar" h
  docker image inspect "$@" >/dev/null 2>&1 || fail "an image to load is missing in the main engine ($*): run scripts/images.sh"
  docker save -o "$tar" "$@"
  for h in "${HOSTS[@]}"; do hdocker "$h" load -q -i "$tar" >/dev/null; done
  rm -f "$tar"
  log "loaded $# image(s) into ${HOSTS[*]} in $(elapsed "$t0")"
}

# --- commands --------------------------------------------------------------------------------
# One command at a time: a lock on this script itself (no lock file is left behind). Every
# process started here closes the lock's descriptor (8>&-), or it would hold the lock.
lock() {
  exec 8<"${BASH_SOURCE[0]}"
  flock -w 120 8 || fail "another scripts/test-hosts.sh has been running for 2 minutes: wait for it, or stop it"
}

cmd_up() {
  local t0=$SECONDS
  [[ "$(id -u)" == 0 ]] || fail "needs root (namespaces, interfaces, a Docker engine): run it as root"
  ensure_packages
  bash "$ROOT/scripts/docker-engine.sh" >/dev/null
  lock
  if [[ -f "$MANIFEST" ]]; then
    fail "test hosts '$NAME' are up already (or a run crashed): run 'scripts/test-hosts.sh down' first"
  fi
  check_free
  [[ -d "$(dirname "$STATE")" ]] || NEW_PARENT=1
  mkdir -p "$STATE"
  ((${NEW_PARENT:-0})) && record "dir $(dirname "$STATE")"
  record "dir $STATE"
  # Everything below is recorded before it is made: a failure from here on is undone.
  trap 'rc=$?; if ((rc != 0)); then log "up failed: removing what was made"; cmd_down_locked || true; fi' EXIT
  make_bridge
  make_keys
  local h
  for h in "${HOSTS[@]}"; do
    record "cgroup $(host_cgroup "$h")"
    free_port >"$STATE/ssh/port_$h"
    write_sshd_config "$h" "$(cat "$STATE/ssh/port_$h")"
  done
  for h in "${HOSTS[@]}"; do
    local t1=$SECONDS
    start_engine "$h"
    start_sshd "$h"
    log "host $h: engine at unix://$(host_socket "$h") ($(host_addr "$h")), ssh://$SSH_USER@127.0.0.1:$(cat "$STATE/ssh/port_$h"), up in $(elapsed "$t1")"
  done
  write_hosts_file
  load_images "$@"
  trap - EXIT
  log "up in $(elapsed "$t0"): hosts file $HOSTS_FILE"
}

cmd_crash() {
  local h="$1" t0=$SECONDS
  host_index "$h" >/dev/null
  lock
  [[ -f "$MANIFEST" ]] || fail "test hosts '$NAME' are not up: run 'scripts/test-hosts.sh up'"
  kill_label "sshd-$h"
  # SIGKILL to the PID namespace's init: the kernel kills every process in it, containers
  # included, at once; its network namespace (and the veth) and its mounts go with them.
  kill_label "init-$h"
  kill_label "unshare-$h"
  log "host $h crashed (every process killed) in $(elapsed "$t0"); its disk is kept: 'scripts/test-hosts.sh start $h' boots it again"
}

cmd_start() {
  local h="$1" t0=$SECONDS
  host_index "$h" >/dev/null
  lock
  [[ -f "$MANIFEST" ]] || fail "test hosts '$NAME' are not up: run 'scripts/test-hosts.sh up'"
  [[ -z "$(live_procs "init-$h")" ]] || fail "host $h is running: crash it first ('scripts/test-hosts.sh crash $h')"
  start_engine "$h"
  start_sshd "$h"
  log "host $h booted in $(elapsed "$t0")"
}

# Whether an sshd other than the hosts' runs (zombies do not count).
other_sshd() {
  local pid state
  for pid in $(pgrep -x sshd 2>/dev/null); do
    state="$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" || continue
    [[ -n "$state" && "$state" != Z && "$state" != X ]] && return 0
  done
  return 1
}

# Cgroup folders under a parent, deepest first (rmdir removes empty cgroup folders only).
cgroup_dirs() {
  local c
  for c in /sys/fs/cgroup/*/"$1" /sys/fs/cgroup/"$1"; do
    [[ -d "$c" ]] && find "$c" -depth -type d
  done 2>/dev/null || true
}

cmd_down_locked() {
  local t0=$SECONDS
  if [[ ! -f "$MANIFEST" ]]; then
    log "nothing recorded in $MANIFEST: nothing to remove"
  else
    local kind label rest
    # Processes first: sshds, then every host's namespace init (its whole host dies with it).
    while read -r kind label rest; do
      [[ "$kind" == proc ]] && kill_label "$label"
    done < <(grep '^proc sshd-' "$MANIFEST"; grep '^proc init-' "$MANIFEST"; grep '^proc unshare-' "$MANIFEST") || true
    # Then what they leave: interfaces (a veth goes with its namespace already), cgroups, folders.
    while read -r kind label rest; do
      case "$kind" in
      link) ip link del "$label" 2>/dev/null || true ;;
      cgroup) cgroup_dirs "$label" | while read -r c; do rmdir "$c" 2>/dev/null || true; done ;;
      esac
    done < <(tac "$MANIFEST")
    local dirs
    dirs="$(awk '$1 == "dir" {print $2}' "$MANIFEST" | tac)"
    local d
    while read -r d; do
      [[ -n "$d" ]] || continue
      if [[ "$d" == /run/sshd ]]; then
        # Another sshd may have started since: leave the folder to it (ours are dead by now;
        # one not reaped yet is a zombie, which does not count).
        MADE_RUN_SSHD=1
        other_sshd || rmdir /run/sshd 2>/dev/null || true
      elif [[ "$d" != "$STATE" ]]; then
        rmdir "$d" 2>/dev/null || true # the parent of the state folder, when made here and empty
      else
        rm -rf --one-file-system "$d"
      fi
    done <<<"$dirs"
  fi
  verify_clean
  log "down in $(elapsed "$t0"): nothing of the test hosts is left"
}

# Exit 1, listing what is left, unless the machine holds nothing of the hosts.
verify_clean() {
  local left=()
  local h
  for h in "${HOSTS[@]}"; do
    ip link show "$(host_link "$h")" >/dev/null 2>&1 && left+=("interface $(host_link "$h")")
    [[ -n "$(cgroup_dirs "$(host_cgroup "$h")")" ]] && left+=("cgroup $(host_cgroup "$h")")
  done
  ip link show "$BRIDGE" >/dev/null 2>&1 && left+=("interface $BRIDGE")
  [[ -e "$STATE" ]] && left+=("folder $STATE")
  if ((${MADE_RUN_SSHD:-0})) && [[ -d /run/sshd ]] && ! other_sshd; then left+=("folder /run/sshd"); fi
  local f
  for f in /proc/[0-9]*/mountinfo; do
    if grep -qF " $STATE/" "$f" 2>/dev/null; then
      left+=("a mount under $STATE seen by pid $(basename "$(dirname "$f")")")
      break
    fi
  done
  local p
  for p in /proc/[0-9]*; do
    if tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -qF -- "$STATE/"; then
      left+=("process $(basename "$p"): $(tr '\0' ' ' <"$p/cmdline" | cut -c1-120)")
    fi
  done
  if ((${#left[@]} > 0)); then
    printf '    left: %s\n' "${left[@]}" >&2
    fail "the test hosts were not fully removed (above): remove those by hand"
  fi
}

cmd_down() {
  [[ "$(id -u)" == 0 ]] || fail "needs root: run it as root"
  lock
  cmd_down_locked
}

cmd_status() {
  if [[ ! -f "$MANIFEST" ]]; then
    echo "test hosts '$NAME': down"
    return 0
  fi
  local h
  for h in "${HOSTS[@]}"; do
    local engine="down" sshd="down"
    [[ -n "$(live_procs "init-$h")" ]] && engine="$(hdocker "$h" info --format '{{.ServerVersion}}, {{.Containers}} containers ({{.ContainersRunning}} running)' 2>/dev/null || echo 'not answering')"
    [[ -n "$(live_procs "sshd-$h")" ]] && sshd="127.0.0.1:$(cat "$STATE/ssh/port_$h")"
    echo "host $h ($(host_addr "$h")): engine $engine; sshd $sshd"
  done
  echo "hosts file: $HOSTS_FILE"
}

case "${1:-}" in
up) shift; cmd_up "$@" ;;
down) cmd_down ;;
crash) [[ $# == 2 ]] || fail "usage: scripts/test-hosts.sh crash a|b"; cmd_crash "$2" ;;
start) [[ $# == 2 ]] || fail "usage: scripts/test-hosts.sh start a|b"; cmd_start "$2" ;;
status) cmd_status ;;
*) fail "usage: scripts/test-hosts.sh up [IMAGE...] | crash a|b | start a|b | status | down" ;;
esac
