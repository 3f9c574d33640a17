#!/usr/bin/env bash
# A throwaway single-node Kubernetes for tests, on this machine only, bound to 127.0.0.1.
#
#   k8s-cluster.sh build              builds or installs what the cluster needs (idempotent)
#   k8s-cluster.sh up                 starts it, waits for the node to be Ready, prints the kubeconfig
#   k8s-cluster.sh down               stops it and undoes every host change `up` made, then checks
#   k8s-cluster.sh status             what runs, the node and the pods
#   k8s-cluster.sh env                prints `export KUBECONFIG=...`
#   k8s-cluster.sh load-image IMG...  copies local Docker images into the cluster's containerd
#
# No registry can be reached here, so everything comes from Go modules, Debian packages and this
# machine's Docker images:
#   - kube-apiserver, kube-controller-manager, kube-scheduler, kubelet and kubectl at
#     $K8S_VERSION from tools/kubernetes (a module that requires k8s.io/kubernetes), etcd from
#     tools/kubernetes/etcd, and the pod sandbox ("pause") program from tools/kubernetes/pause,
#     packed into an OCI image here;
#   - containerd, runc, the CNI plugins, conntrack, ebtables and socat from apt.
# All of it is cached outside the clone in $CACHE/k8s (scripts/lib/common.sh): bin/, images/,
# state/ (certificates and the containerd image store, kept between clusters), run/ (one
# cluster's data, removed by `down`), logs/ and record/ (see below).
#
# The cluster: etcd, kube-apiserver (https://127.0.0.1:$K8S_API_PORT, client certificates from
# an openssl CA, RBAC), kube-controller-manager (with its hostPath provisioner: the default
# StorageClass `hostpath` gives every PersistentVolumeClaim a directory under /tmp/hostpath_pv),
# kube-scheduler, a private containerd (own config, socket, root and state: Docker's containerd
# is never touched), a CNI bridge ($K8S_BRIDGE, pods in $K8S_POD_SUBNET, reachable from this
# machine only) and a kubelet for the node `localhost`. No kube-proxy and no cluster DNS: a
# Service's ClusterIP and DNS name do not answer; talk to pod IPs.
#
# Host changes, and how `down` undoes them. `up` writes down, in record/, what the host looked
# like and every process it starts, each before the change is made, so that `down` also cleans
# up after a crash or a killed `up`:
#   - processes: each PID with its start time (etcd, the control plane, containerd, the kubelet);
#     also the containerd shims of this containerd (found by its socket address) and every
#     process in the kubelet's `kubepods` cgroups: stopped by PID;
#   - mounts the kubelet and containerd make (volumes, rootfs, sandbox /dev/shm, network
#     namespaces), all under run/ or under directories `up` created: unmounted;
#   - directories created outside the ones they are given, by the kubelet
#     (/var/lib/kubelet/device-plugins, /var/log/containers), libcni (/var/lib/cni) and the
#     hostPath provisioner (/tmp/hostpath_pv), or by default (/var/log/pods,
#     /usr/libexec/kubernetes): removed when they did not exist before;
#   - the sockets this containerd's shims leave in /run/containerd/s: removed;
#   - sysctls the kubelet sets at start (kernel.panic=10, kernel.panic_on_oops=1,
#     vm.overcommit_memory=1, and the rest of its list) and any the CNI bridge sets: restored to
#     the recorded values (protectKernelDefaults cannot help: with it the kubelet refuses to start
#     on a host whose values differ);
#   - iptables and ip6tables chains the kubelet adds in every table (KUBE-FIREWALL,
#     KUBE-KUBELET-CANARY, KUBE-IPTABLES-HINT, ...), the chain LBK8S-FORWARD `up` adds so that
#     pods reach each other, and the rules that jump to them: removed when they did not exist
#     before;
#   - the CNI bridge interface, and the kubepods cgroups in every hierarchy: removed.
# `down` ends with a check of all of the above against the record, prints a short report and
# exits non-zero if anything is left. It is idempotent.
#
# Environment (optional): K8S_API_PORT (6443), K8S_ETCD_PORT (2379, and +1 for its peer port),
# K8S_READY_TIMEOUT (seconds to wait for the node, 180), K8S_KEEP_ON_FAILURE=1 (a failed `up`
# leaves what it started for inspection; the default is to run `down`).
# Needs root (it runs a kubelet). Measured on Debian 12 with cgroup v1 (v2 is untried).
set -euo pipefail
SCRIPT_NAME=k8s-cluster
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

K8S_VERSION=1.37.2
K8S_API_PORT="${K8S_API_PORT:-6443}"
K8S_ETCD_PORT="${K8S_ETCD_PORT:-2379}"
K8S_ETCD_PEER_PORT=$((K8S_ETCD_PORT + 1))
K8S_READY_TIMEOUT="${K8S_READY_TIMEOUT:-180}"
K8S_BRIDGE=lbk8s0
K8S_POD_SUBNET=10.244.0.0/24
K8S_SERVICE_SUBNET=10.96.0.0/24
NODE=localhost
PAUSE_IMAGE=localhost/litestream-backup/pause:1

K8S_TOOLS="$ROOT/tools/kubernetes"
K8S_DIR="$CACHE/k8s"
BIN="$K8S_DIR/bin"
STAMPS="$K8S_DIR/stamps"
IMAGES="$K8S_DIR/images"
STATE="$K8S_DIR/state"
PKI="$STATE/pki"
RUN="$K8S_DIR/run"
LOGS="$K8S_DIR/logs"
REC="$K8S_DIR/record"
KUBECONFIG_FILE="$STATE/admin.kubeconfig"
CTR_SOCK="$RUN/containerd/containerd.sock"
CONTAINERD_CONFIG="$RUN/containerd.toml"

# Created by the kubelet, the CNI plugins or the hostPath provisioner outside the directories
# they are given (measured by comparing the file system before and after a cluster's life).
HOST_DIRS=(/var/lib/kubelet /var/lib/kubelet/device-plugins /var/log/pods /var/log/containers
  /var/lib/cni /tmp/hostpath_pv /usr/libexec/kubernetes /run/containerd /run/containerd/s)
# The kubelet's kernel tunables (pkg/kubelet/cm/container_manager_linux.go), and what the CNI
# bridge plugin turns on for its gateway.
SYSCTLS=(kernel.panic kernel.panic_on_oops vm.overcommit_memory vm.panic_on_oom
  kernel.keys.root_maxkeys kernel.keys.root_maxbytes net.ipv4.ip_forward net.ipv6.conf.all.forwarding)
IPT_TABLES=(filter nat mangle raw security)

# --- small helpers ---------------------------------------------------------------------------
need_root() { [[ "$(id -u)" == 0 ]] || fail "$1 needs root (it runs a kubelet and changes host settings): run it as root"; }

# Start time of a process (clock ticks since boot), to never signal a recycled PID.
proc_start() { awk '{ sub(/^.*\) /, ""); print $20 }' "/proc/$1/stat" 2>/dev/null || true; }
alive() { # PID [START]
  local state
  state="$(awk '{ sub(/^.*\) /, ""); print $1 }' "/proc/$1/stat" 2>/dev/null)" || return 1
  [[ -n "$state" && "$state" != Z && "$state" != X ]] || return 1
  [[ -z "${2:-}" || "$(proc_start "$1")" == "$2" ]]
}

# Its discovery cache in run/, not in ~/.kube.
kubectl_() { "$BIN/kubectl" --kubeconfig "$KUBECONFIG_FILE" --cache-dir "$RUN/kubectl-cache" "$@"; }

# --- build ------------------------------------------------------------------------------------
APT_PACKAGES=(containerd runc containernetworking-plugins conntrack ebtables socat openssl)
KUBE_COMMANDS=(kube-apiserver kube-controller-manager kube-scheduler kubelet kubectl)

apt_missing() {
  local p
  for p in "${APT_PACKAGES[@]}"; do
    [[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" == "install ok installed" ]] || echo "$p"
  done
}

install_packages() {
  local missing
  mapfile -t missing < <(apt_missing)
  if ((${#missing[@]} == 0)); then
    log "packages: ${APT_PACKAGES[*]} installed"
    return
  fi
  need_root "installing ${missing[*]}"
  command -v apt-get >/dev/null 2>&1 || fail "${missing[*]} missing and apt-get is not available: install them"
  log "packages: installing ${missing[*]} ..."
  export DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 NEEDRESTART_MODE=a
  apt-get update -qq </dev/null || fail "apt-get update failed"
  apt-get install -y -qq -o Dpkg::Use-Pty=0 --no-install-recommends "${missing[@]}" </dev/null >/dev/null ||
    fail "apt-get install -y ${missing[*]} failed"
}

kube_ldflags() {
  local minor="${K8S_VERSION#*.}" p flags="-s -w"
  minor="${minor%%.*}"
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    flags+=" -X $p.gitVersion=v$K8S_VERSION -X $p.gitMajor=${K8S_VERSION%%.*} -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
  done
  printf '%s' "$flags"
}

build_kube() { # COMMAND
  (cd "$K8S_TOOLS" && go build -trimpath -ldflags "$(kube_ldflags)" -o "$BIN/$1.tmp" "k8s.io/kubernetes/cmd/$1") || return 1
  local got
  got="$("$BIN/$1.tmp" --version 2>/dev/null || "$BIN/$1.tmp" version --client 2>/dev/null || true)"
  [[ "$got" == *"v$K8S_VERSION"* ]] || { rm -f "$BIN/$1.tmp"; log "$1 reports '$got', not v$K8S_VERSION"; return 1; }
  mv -f "$BIN/$1.tmp" "$BIN/$1"
}

etcd_version() { awk '$1 == "require" && $2 == "go.etcd.io/etcd/server/v3" { print $3 }' "$K8S_TOOLS/etcd/go.mod"; }

build_etcd() {
  (cd "$K8S_TOOLS/etcd" && go build -trimpath -ldflags "-s -w" -o "$BIN/etcd.tmp" go.etcd.io/etcd/server/v3) || return 1
  "$BIN/etcd.tmp" --version | grep "etcd Version: $(etcd_version | sed 's/^v//')" >/dev/null || { rm -f "$BIN/etcd.tmp"; return 1; }
  mv -f "$BIN/etcd.tmp" "$BIN/etcd"
}

# The pod sandbox image as an OCI archive `ctr images import` reads: one uncompressed layer
# holding /pause, with fixed timestamps and owners so that the same program gives the same image.
build_pause() {
  local work sha_layer sha_config sha_manifest n_layer n_config n_manifest
  work="$(mktemp -d "$K8S_DIR/pause.XXXXXX")"
  mkdir -p "$work/rootfs" "$work/oci/blobs/sha256"
  (cd "$K8S_TOOLS" && go build -trimpath -ldflags "-s -w" -o "$work/rootfs/pause" ./pause) || { rm -rf "$work"; return 1; }
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$work/rootfs" -cf "$work/layer.tar" pause
  sha_layer="$(sha256sum <"$work/layer.tar" | cut -d' ' -f1)"
  n_layer="$(stat -c %s "$work/layer.tar")"
  mv "$work/layer.tar" "$work/oci/blobs/sha256/$sha_layer"
  printf '{"architecture":"amd64","os":"linux","config":{"Entrypoint":["/pause"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
    "$sha_layer" >"$work/config.json"
  sha_config="$(sha256sum <"$work/config.json" | cut -d' ' -f1)"
  n_config="$(stat -c %s "$work/config.json")"
  mv "$work/config.json" "$work/oci/blobs/sha256/$sha_config"
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' \
    "$sha_config" "$n_config" "$sha_layer" "$n_layer" >"$work/manifest.json"
  sha_manifest="$(sha256sum <"$work/manifest.json" | cut -d' ' -f1)"
  n_manifest="$(stat -c %s "$work/manifest.json")"
  mv "$work/manifest.json" "$work/oci/blobs/sha256/$sha_manifest"
  printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"}}]}' \
    "$sha_manifest" "$n_manifest" "$PAUSE_IMAGE" "${PAUSE_IMAGE##*:}" >"$work/oci/index.json"
  echo '{"imageLayoutVersion":"1.0.0"}' >"$work/oci/oci-layout"
  mkdir -p "$IMAGES"
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$work/oci" -cf "$IMAGES/pause.tar.tmp" oci-layout index.json blobs
  mv -f "$IMAGES/pause.tar.tmp" "$IMAGES/pause.tar"
  rm -rf "$work"
}

cmd_build() {
  local t0=$SECONDS c
  install_packages
  go_env
  [[ "$GOFLAGS" == *-p=* ]] || export GOFLAGS="$GOFLAGS -p=2" # the machine is shared
  export GOWORK=off
  mkdir -p "$BIN" "$STAMPS" "$IMAGES"
  # One build at a time per cache: two would race on the binaries and stamps.
  exec 8>"$K8S_DIR/.build.lock"
  flock -n 8 || { log "waiting for another build using $K8S_DIR"; flock 8; }
  for c in "${KUBE_COMMANDS[@]}"; do
    stamped_build "$c" "$(inputs_stamp "$K8S_TOOLS/go.mod" "$K8S_TOOLS/go.sum" "$K8S_VERSION" "$(kube_ldflags)" "$c")" build_kube "$c"
  done
  stamped_build etcd "$(inputs_stamp "$K8S_TOOLS/etcd/go.mod" "$K8S_TOOLS/etcd/go.sum")" build_etcd
  stamped_build pause-image "$(inputs_stamp "$K8S_TOOLS/go.mod" "$K8S_TOOLS/pause/main.go" "$PAUSE_IMAGE" "$(declare -f build_pause)")" build_pause
  exec 8>&-
  log "build: done in $(elapsed "$t0"): $BIN, $IMAGES/pause.tar"
}

# --- certificates and kubeconfigs -------------------------------------------------------------
# A CA made here signs every certificate; EC P-256 keys, for speed. The set is kept in state/pki
# and made again when the CA is missing or any certificate expires within a day.
leaf_cert() { # NAME SUBJECT EXTENSIONS
  local n="$1"
  openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -keyout "$PKI/$n.key" \
    -out "$PKI/$n.csr" -subj "$2" 2>/dev/null
  openssl x509 -req -in "$PKI/$n.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial -days 365 \
    -out "$PKI/$n.crt" -extfile <(printf '%s\n' "$3") 2>/dev/null
  rm -f "$PKI/$n.csr"
}

PKI_LEAVES=(apiserver apiserver-kubelet-client admin kubelet-client kubelet-serving controller-manager scheduler)

pki_valid() {
  local n
  [[ -f "$PKI/sa.key" && -f "$PKI/sa.pub" && -f "$PKI/ca.key" ]] || return 1
  for n in ca "${PKI_LEAVES[@]}"; do
    [[ -f "$PKI/$n.key" ]] && openssl x509 -checkend 86400 -noout -in "$PKI/$n.crt" >/dev/null 2>&1 || return 1
  done
}

make_pki() {
  pki_valid && return
  log "certificates: making a CA and certificates in $PKI"
  rm -rf "$PKI"
  mkdir -p "$PKI"
  chmod 700 "$PKI"
  openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -keyout "$PKI/ca.key" \
    -out "$PKI/ca.crt" -days 3650 -subj "/CN=litestream-backup test cluster CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  local client="keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth"
  local server="keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth"
  leaf_cert apiserver "/CN=kube-apiserver" "$server
subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,IP:${K8S_SERVICE_SUBNET%.*}.1"
  leaf_cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" "$client"
  leaf_cert admin "/O=system:masters/CN=litestream-backup-admin" "$client"
  leaf_cert kubelet-client "/O=system:nodes/CN=system:node:$NODE" "$client"
  leaf_cert kubelet-serving "/CN=$NODE" "$server
subjectAltName=DNS:$NODE,IP:127.0.0.1"
  leaf_cert controller-manager "/CN=system:kube-controller-manager" "$client"
  leaf_cert scheduler "/CN=system:kube-scheduler" "$client"
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$PKI/sa.key" 2>/dev/null
  openssl pkey -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
  pki_valid || fail "openssl did not make a valid certificate set in $PKI"
}

write_kubeconfig() { # FILE CERT-NAME
  local b64='base64 -w0'
  umask 077
  cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: litestream-backup-test
  cluster:
    server: https://127.0.0.1:$K8S_API_PORT
    certificate-authority-data: $($b64 <"$PKI/ca.crt")
users:
- name: $2
  user:
    client-certificate-data: $($b64 <"$PKI/$2.crt")
    client-key-data: $($b64 <"$PKI/$2.key")
contexts:
- name: litestream-backup-test
  context:
    cluster: litestream-backup-test
    user: $2
current-context: litestream-backup-test
EOF
  umask 022
}

# --- host record -------------------------------------------------------------------------------
# record/ holds what `down` needs, each part written before the change it covers:
#   pids              NAME PID START, one line a process, written as it starts
#   dirs              the HOST_DIRS that did not exist
#   sysctl.before     `sysctl -a`, one line a key; sysctl.restore: KEY VALUE of SYSCTLS
#   iptables.before   TOOL TABLE CHAIN of every chain
#   cgroups.before    the cgroup hierarchies that already had a kubepods cgroup
#   bridge.before     present when the bridge interface already existed
#   shim-sockets      the sockets of this containerd's shims (written by `down`)
IPT_TOOLS=()
for t in iptables ip6tables; do command -v "$t" >/dev/null 2>&1 && IPT_TOOLS+=("$t"); done
# Chains this cluster's pieces make: the kubelet's, the CNI plugins', this script's own.
OWN_CHAINS='^(KUBE-|CNI-|LBK8S-)'

ipt_chains() { # TOOL TABLE
  "$1-save" -t "$2" 2>/dev/null | sed -n 's/^:\([^ ]*\) .*/\1/p' || true
}

cgroup_mounts() { awk '$3 == "cgroup" || $3 == "cgroup2" { print $2 }' /proc/self/mounts; }

# Keys whose values move by themselves: not compared.
VOLATILE_SYSCTLS='^(fs\.(dentry-state|file-nr|inode-nr|inode-state|aio-nr|quota\.)|kernel\.(random\.|ns_last_pid|pty\.nr|perf_event_max_sample_rate|sched_domain)|net\.netfilter\.nf_conntrack_count|vm\.(stat_refresh|drop_caches))'
# One line a key, KEY<0x01>VALUE (keys such as kernel.core_modes print several lines).
sysctl_snapshot() {
  sysctl -a 2>/dev/null | grep -Ev "$VOLATILE_SYSCTLS" |
    awk -F' = ' '{ v[$1] = ($1 in v) ? v[$1] "|" $2 : $2 } END { for (k in v) print k "\x01" v[k] }' |
    LC_ALL=C sort -t$'\x01' -k1,1 || true
}

record_host() {
  local d t tbl m
  mkdir -p "$REC"
  : >"$REC/pids"
  : >"$REC/dirs"
  for d in "${HOST_DIRS[@]}"; do [[ -e "$d" ]] || echo "$d" >>"$REC/dirs"; done
  sysctl_snapshot >"$REC/sysctl.before"
  : >"$REC/sysctl.restore"
  for d in "${SYSCTLS[@]}"; do
    [[ -e "/proc/sys/${d//.//}" ]] && echo "$d $(sysctl -n "$d")" >>"$REC/sysctl.restore"
  done
  : >"$REC/iptables.before"
  for t in "${IPT_TOOLS[@]}"; do
    for tbl in "${IPT_TABLES[@]}"; do ipt_chains "$t" "$tbl" | sed "s/^/$t $tbl /" >>"$REC/iptables.before"; done
  done
  : >"$REC/cgroups.before"
  while read -r m; do [[ -d "$m/kubepods" ]] && echo "$m" >>"$REC/cgroups.before"; done < <(cgroup_mounts)
  if ip link show "$K8S_BRIDGE" >/dev/null 2>&1; then touch "$REC/bridge.before"; fi
  # Marks the record complete: `down` trusts only a complete one.
  date +%s >"$REC/recorded"
}

# --- processes ---------------------------------------------------------------------------------
start_proc() { # NAME BINARY ARGS...
  local name="$1" pid exe
  shift
  : >"$LOGS/$name.log"
  setsid "$@" </dev/null >>"$LOGS/$name.log" 2>&1 &
  pid=$!
  echo "$name $pid $(proc_start "$pid")" >>"$REC/pids"
  sleep 0.2
  exe="$(readlink "/proc/$pid/exe" 2>/dev/null || true)"
  [[ "$exe" == "$(readlink -f "$1")" ]] || { tail -n 20 "$LOGS/$name.log" >&2; fail "$name (pid $pid) did not start; log: $LOGS/$name.log"; }
  log "$name: started (pid $pid, log $LOGS/$name.log)"
}

recorded_pid() { awk -v n="$1" '$1 == n { print $2, $3 }' "$REC/pids" 2>/dev/null | tail -n 1; }

proc_alive() { # NAME
  local pid start
  read -r pid start <<<"$(recorded_pid "$1")"
  [[ -n "${pid:-}" ]] && alive "$pid" "$start"
}

# wait_until NAME TIMEOUT WHAT COMMAND...: polls COMMAND while NAME's process lives.
wait_until() {
  local name="$1" deadline=$((SECONDS + $2)) what="$3"
  shift 3
  until "$@" >/dev/null 2>&1; do
    proc_alive "$name" || { tail -n 30 "$LOGS/$name.log" >&2; fail "$name exited while waiting for $what; log: $LOGS/$name.log"; }
    ((SECONDS < deadline)) || { tail -n 30 "$LOGS/$name.log" >&2; fail "timed out waiting for $what; log: $LOGS/$name.log"; }
    sleep 1
  done
}

port_free() { [[ -z "$(ss -Htln "sport = :$1" 2>/dev/null)" ]]; }

# stop_pid NAME PID START SECONDS: TERM, then KILL after SECONDS.
stop_pid() {
  local name="$1" pid="$2" start="$3" i
  alive "$pid" "$start" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < $4 * 5; i++)); do alive "$pid" "$start" || { log "$name (pid $pid): stopped"; return 0; }; sleep 0.2; done
  kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 25; i++)); do alive "$pid" "$start" || { log "$name (pid $pid): killed"; return 0; }; sleep 0.2; done
  log "$name (pid $pid): still alive after SIGKILL"
}

# Processes of this cluster that a record may lack (a crash between fork and record): this
# cache's binaries, the containerd started with this config, the shims of that containerd, and
# everything in the kubelet's cgroups.
own_pids() {
  local p exe cmd m
  for p in /proc/[0-9]*; do
    p="${p#/proc/}"
    exe="$(readlink "/proc/$p/exe" 2>/dev/null)" || continue
    case "$exe" in "$BIN"/etcd | "$BIN"/kube-apiserver | "$BIN"/kube-controller-manager | "$BIN"/kube-scheduler | "$BIN"/kubelet)
      echo "$p"; continue ;;
    esac
    cmd="$(tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline")" || continue
    [[ "$cmd" == *"--config $CONTAINERD_CONFIG "* || "$cmd" == *"-address $CTR_SOCK "* ]] && echo "$p"
  done
  while read -r m; do
    [[ -d "$m/kubepods" ]] && find "$m/kubepods" -name cgroup.procs -exec cat {} + 2>/dev/null
  done < <(cgroup_mounts)
  true
}

# --- up ----------------------------------------------------------------------------------------
write_configs() {
  mkdir -p "$RUN/cni/net.d" "$RUN/cni/ipam" "$RUN/containerd" "$RUN/kubelet" "$RUN/pod-logs" "$RUN/apiserver"
  write_kubeconfig "$KUBECONFIG_FILE" admin
  write_kubeconfig "$RUN/kubelet.kubeconfig" kubelet-client
  write_kubeconfig "$RUN/controller-manager.kubeconfig" controller-manager
  write_kubeconfig "$RUN/scheduler.kubeconfig" scheduler

  # The bridge plugin with a fixed subnet: one node needs no IP address management beyond it.
  cat >"$RUN/cni/net.d/10-lbk8s.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "lbk8s",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$K8S_BRIDGE",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{ "subnet": "$K8S_POD_SUBNET" }]],
        "routes": [{ "dst": "0.0.0.0/0" }],
        "dataDir": "$RUN/cni/ipam"
      }
    }
  ]
}
EOF

  # Everything containerd writes goes under state/ (images, kept) and run/: socket, task state,
  # runc state, network namespaces (netns_mounts_under_state_dir). Root here lacks
  # CAP_SYS_RESOURCE, so oom_score_adj may only be raised (restrict_oom_score_adj).
  cat >"$CONTAINERD_CONFIG" <<EOF
version = 2
root = "$STATE/containerd"
state = "$RUN/containerd/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]

[grpc]
  address = "$CTR_SOCK"

[ttrpc]
  address = "$CTR_SOCK.ttrpc"

[debug]
  address = ""

[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = "$STATE/containerd-opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  netns_mounts_under_state_dir = true
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "$RUN/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$CNI_BIN_DIR"
    conf_dir = "$RUN/cni/net.d"
    max_conf_num = 1
EOF

  cat >"$RUN/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: 127.0.0.1
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
tlsCertFile: $PKI/kubelet-serving.crt
tlsPrivateKeyFile: $PKI/kubelet-serving.key
authentication:
  anonymous:
    enabled: false
  webhook:
    enabled: false
  x509:
    clientCAFile: $PKI/ca.crt
authorization:
  mode: AlwaysAllow
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
containerRuntimeEndpoint: unix://$CTR_SOCK
podLogsDir: $RUN/pod-logs
volumePluginDir: $RUN/volume-plugins
# No registry: an image removed by the garbage collector could not come back.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
# No eviction for disk: the disk is shared with builds and other test runs, and a dip under a
# threshold (1 % of a 252 GB disk was measured to happen mid-run) made the kubelet evict the
# pod and reclaim space by deleting images, the pause image too, which no registry can give
# back: the pod never came back. "0%" turns a signal off (kubelet eviction/helpers.go).
evictionHard:
  memory.available: 100Mi
  nodefs.available: "0%"
  nodefs.inodesFree: "0%"
  imagefs.available: "0%"
  imagefs.inodesFree: "0%"
serializeImagePulls: false
maxPods: 32
EOF
}

CNI_BIN_DIR=/usr/lib/cni

# Docker sets the FORWARD policy to DROP and loads br_netfilter, so traffic between two pods on
# the bridge is dropped unless a rule accepts it. Removed by `down` with the kubelet's chains.
allow_pod_traffic() {
  iptables -N LBK8S-FORWARD &&
    iptables -A LBK8S-FORWARD -i "$K8S_BRIDGE" -o "$K8S_BRIDGE" -j ACCEPT &&
    iptables -I FORWARD 1 -j LBK8S-FORWARD ||
    fail "could not add the iptables chain LBK8S-FORWARD (pod-to-pod traffic on $K8S_BRIDGE)"
}

cluster_healthy() {
  local n
  for n in etcd kube-apiserver kube-controller-manager kube-scheduler containerd kubelet; do proc_alive "$n" || return 1; done
  node_ready
}

node_ready() {
  [[ "$(kubectl_ get node "$NODE" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" == True ]]
}

api_ready() { kubectl_ get --raw=/readyz >/dev/null 2>&1; }
ctr_() { ctr -a "$CTR_SOCK" -n k8s.io "$@"; }
# Not `ctr ... | grep -q`: grep's early exit makes ctr fail with SIGPIPE, and pipefail reports it.
has_image() { [[ "$(ctr_ images ls -q "name==$1" 2>/dev/null)" == "$1" ]]; }

# Containers of an earlier cluster that stopped without `down` (its kubelet and API are gone).
remove_stale_containers() {
  local id
  for id in $(ctr_ tasks ls -q 2>/dev/null); do ctr_ tasks kill -s SIGKILL "$id" >/dev/null 2>&1 || true; ctr_ tasks rm -f "$id" >/dev/null 2>&1 || true; done
  for id in $(ctr_ containers ls -q 2>/dev/null); do ctr_ containers rm "$id" >/dev/null 2>&1 || true; done
}

UP_DONE=0
on_up_exit() {
  local rc=$?
  ((UP_DONE)) && return
  ((rc != 0)) || return
  if [[ "${K8S_KEEP_ON_FAILURE:-0}" == 1 ]]; then
    log "up failed; K8S_KEEP_ON_FAILURE=1: left running for inspection (logs in $LOGS); run: bash scripts/k8s-cluster.sh down"
  else
    log "up failed: tearing down what it started (logs stay in $LOGS)"
    (cmd_down) || true
  fi
  exit "$rc"
}

cmd_up() {
  need_root up
  local t0=$SECONDS t p
  if [[ -f "$REC/recorded" ]]; then
    if cluster_healthy; then
      log "already up"
      echo "$KUBECONFIG_FILE"
      return
    fi
    log "a cluster recorded in $REC is not healthy (crashed, or an up that did not finish): tearing it down first"
    (cmd_down) || fail "down failed to clean up the earlier cluster: see its report above"
  fi
  cmd_build
  for f in "${KUBE_COMMANDS[@]}" etcd; do [[ -x "$BIN/$f" ]] || fail "$BIN/$f is missing: run bash scripts/k8s-cluster.sh build"; done
  for p in "$K8S_ETCD_PORT" "$K8S_ETCD_PEER_PORT" "$K8S_API_PORT" 10250 10248; do
    port_free "$p" || fail "127.0.0.1:$p is in use: stop what listens there (ss -tlnp 'sport = :$p'), or set K8S_API_PORT / K8S_ETCD_PORT"
  done
  [[ ! -e "$RUN" ]] || rm -rf --one-file-system "$RUN"
  mkdir -p "$LOGS" "$STATE"
  trap on_up_exit EXIT
  record_host
  make_pki
  write_configs
  allow_pod_traffic

  t=$SECONDS
  start_proc etcd "$BIN/etcd" --name default --data-dir "$RUN/etcd" \
    --listen-client-urls "http://127.0.0.1:$K8S_ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$K8S_ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$K8S_ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$K8S_ETCD_PEER_PORT" \
    --initial-cluster "default=http://127.0.0.1:$K8S_ETCD_PEER_PORT" --listen-metrics-urls "" \
    --unsafe-no-fsync --log-level warn
  start_proc kube-apiserver "$BIN/kube-apiserver" \
    --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$K8S_API_PORT" \
    --endpoint-reconciler-type=none --etcd-servers="http://127.0.0.1:$K8S_ETCD_PORT" \
    --cert-dir="$RUN/apiserver" --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" \
    --client-ca-file="$PKI/ca.crt" --authorization-mode=Node,RBAC --allow-privileged=true \
    --kubelet-client-certificate="$PKI/apiserver-kubelet-client.crt" --kubelet-client-key="$PKI/apiserver-kubelet-client.key" \
    --kubelet-preferred-address-types=Hostname \
    --service-account-issuer=https://kubernetes.default.svc --service-account-key-file="$PKI/sa.pub" \
    --service-account-signing-key-file="$PKI/sa.key" --service-cluster-ip-range="$K8S_SERVICE_SUBNET" \
    --profiling=false --v=1
  wait_until kube-apiserver 120 "the API server (/readyz)" api_ready
  log "etcd and kube-apiserver: ready in $(elapsed "$t")"
  start_proc kube-controller-manager "$BIN/kube-controller-manager" \
    --kubeconfig="$RUN/controller-manager.kubeconfig" --bind-address=127.0.0.1 --secure-port=0 \
    --service-account-private-key-file="$PKI/sa.key" --root-ca-file="$PKI/ca.crt" \
    --use-service-account-credentials=true --leader-elect=false --enable-hostpath-provisioner=true \
    --flex-volume-plugin-dir="$RUN/volume-plugins" \
    --profiling=false --v=1
  start_proc kube-scheduler "$BIN/kube-scheduler" \
    --kubeconfig="$RUN/scheduler.kubeconfig" --bind-address=127.0.0.1 --secure-port=0 --leader-elect=false \
    --profiling=false --v=1

  t=$SECONDS
  start_proc containerd "$(command -v containerd)" --config "$CONTAINERD_CONFIG"
  wait_until containerd 60 "containerd's socket" ctr_ version
  remove_stale_containers
  if ! has_image "$PAUSE_IMAGE"; then
    ctr_ images import "$IMAGES/pause.tar" >/dev/null || fail "could not import $IMAGES/pause.tar into containerd"
  fi
  has_image "$PAUSE_IMAGE" || fail "containerd has no $PAUSE_IMAGE after importing $IMAGES/pause.tar"
  log "containerd: ready in $(elapsed "$t")"

  t=$SECONDS
  start_proc kubelet "$BIN/kubelet" --config="$RUN/kubelet.yaml" --kubeconfig="$RUN/kubelet.kubeconfig" \
    --root-dir="$RUN/kubelet" --cert-dir="$RUN/kubelet/pki" --hostname-override="$NODE" --v=1
  wait_until kubelet "$K8S_READY_TIMEOUT" "node $NODE to be Ready" node_ready
  log "kubelet: node $NODE Ready in $(elapsed "$t")"

  kubectl_ apply -f - >/dev/null <<EOF || fail "could not create the StorageClass hostpath"
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: hostpath
  annotations:
    storageclass.kubernetes.io/is-default-class: "true"
provisioner: kubernetes.io/host-path
reclaimPolicy: Delete
volumeBindingMode: Immediate
EOF
  wait_until kube-controller-manager 60 "the default ServiceAccount" kubectl_ -n default get serviceaccount default
  UP_DONE=1
  trap - EXIT
  log "up in $(elapsed "$t0"): $("$BIN/kubectl" version --client 2>/dev/null | head -n1), node $NODE Ready; export KUBECONFIG=$KUBECONFIG_FILE"
  echo "$KUBECONFIG_FILE"
}

# --- down --------------------------------------------------------------------------------------
own_mounts() { # mount points under run/, state/ and the directories `up` created, deepest first
  local prefixes=("$RUN" "$STATE") d
  if [[ -f "$REC/dirs" ]]; then while read -r d; do [[ -n "$d" ]] && prefixes+=("$d"); done <"$REC/dirs"; fi
  awk '{ print $5 }' /proc/self/mountinfo | while read -r m; do
    m="$(printf '%b' "${m//\\/\\0}")"
    for d in "${prefixes[@]}"; do
      if [[ "$m" == "$d" || "$m" == "$d/"* ]]; then echo "$m"; break; fi
    done
  done | awk '{ print length, $0 }' | sort -rn | cut -d' ' -f2-
}

unmount_own() {
  local m i
  for ((i = 0; i < 5; i++)); do
    mapfile -t mounts < <(own_mounts)
    ((${#mounts[@]})) || return 0
    for m in "${mounts[@]}"; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; done
  done
}

stop_all() {
  local name pid start p m i
  local -a pids pods
  # The kubelet first, so that it restarts nothing; then every pod through containerd.
  if [[ -f "$REC/pids" ]]; then
    read -r pid start <<<"$(recorded_pid kubelet)"
    [[ -n "${pid:-}" ]] && stop_pid kubelet "$pid" "$start" 15
  fi
  if proc_alive containerd 2>/dev/null && ctr_ version >/dev/null 2>&1; then
    remove_stale_containers
  fi
  # Shims and their containers that containerd did not stop, and anything left in the pods' cgroups.
  for ((i = 0; i < 3; i++)); do
    mapfile -t pids < <(own_pids | sort -u)
    for p in "${pids[@]}"; do
      [[ "$(readlink "/proc/$p/exe" 2>/dev/null)" == *containerd-shim* ]] && kill -KILL "$p" 2>/dev/null || true
    done
    mapfile -t pods < <(
      while read -r m; do [[ -d "$m/kubepods" ]] && find "$m/kubepods" -name cgroup.procs -exec cat {} + 2>/dev/null; done < <(cgroup_mounts) | sort -u
    )
    ((${#pods[@]} == 0)) || log "killing ${#pods[@]} processes left in the kubepods cgroups"
    for p in "${pods[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
    sleep 0.5
  done
  if [[ -f "$REC/pids" ]]; then
    for name in containerd kube-scheduler kube-controller-manager kube-apiserver etcd; do
      read -r pid start <<<"$(recorded_pid "$name")"
      [[ -n "${pid:-}" ]] && stop_pid "$name" "$pid" "$start" 10
    done
  fi
  # Whatever the record lacks.
  for ((i = 0; i < 3; i++)); do
    mapfile -t pids < <(own_pids | sort -u)
    ((${#pids[@]})) || break
    log "stopping unrecorded processes of this cluster: ${pids[*]}"
    for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
    sleep 1
  done
}

# The sockets of this containerd's shims in /run/containerd/s (containerd 1.6 puts them there
# whatever its state directory is); a killed shim leaves its socket behind.
note_shim_sockets() {
  local f
  for f in "$RUN"/containerd/state/io.containerd.runtime.v2.task/*/*/address; do
    [[ -f "$f" ]] && sed -n 's|^unix://||p' "$f" >>"$REC/shim-sockets"
  done
  true
}

ipt_cleanup() {
  local t tbl chain input
  for t in "${IPT_TOOLS[@]}"; do
    for tbl in "${IPT_TABLES[@]}"; do
      mapfile -t new < <(ipt_chains "$t" "$tbl" | grep -E "$OWN_CHAINS" | while read -r chain; do
        grep -qxF "$t $tbl $chain" "$REC/iptables.before" 2>/dev/null || echo "$chain"; done)
      ((${#new[@]})) || continue
      # One iptables-restore per table: the rules that jump to the chains, then the chains.
      input="*$tbl"$'\n'
      while read -r rule; do
        for chain in "${new[@]}"; do
          if [[ " $rule " == *" -j $chain "* || " $rule " == *" -g $chain "* ]]; then
            input+="-D ${rule#-A }"$'\n'
            break
          fi
        done
      done < <("$t-save" -t "$tbl" 2>/dev/null | grep '^-A ')
      for chain in "${new[@]}"; do input+="-F $chain"$'\n'; done
      for chain in "${new[@]}"; do input+="-X $chain"$'\n'; done
      input+="COMMIT"$'\n'
      printf '%s' "$input" | "$t-restore" --noflush || log "WARNING: $t-restore could not remove ${new[*]} from $tbl"
      log "$t: removed ${new[*]} from table $tbl"
    done
  done
}

restore_sysctls() {
  local key old now
  [[ -f "$REC/sysctl.restore" ]] || return 0
  while read -r key old; do
    now="$(sysctl -n "$key" 2>/dev/null)" || continue
    if [[ "$now" != "$old" ]]; then
      sysctl -q -w "$key=$old" >/dev/null && log "sysctl $key: $now -> $old (restored)"
    fi
  done <"$REC/sysctl.restore"
}

remove_cgroups() {
  local m
  while read -r m; do
    [[ -d "$m/kubepods" ]] || continue
    grep -qxF "$m" "$REC/cgroups.before" 2>/dev/null && continue
    find "$m/kubepods" -depth -type d -exec rmdir {} + 2>/dev/null || true
  done < <(cgroup_mounts)
}

remove_dirs() {
  local d
  [[ -f "$REC/dirs" ]] || return 0
  # Deepest first; a directory's content is the cluster's own (it did not exist before `up`),
  # except in /run/containerd, which every containerd 1.6 shares: there only empty ones go.
  while read -r d; do
    [[ -n "$d" && -e "$d" ]] || continue
    case "$d" in
      /run/containerd | /run/containerd/*) rmdir "$d" 2>/dev/null || log "$d is not empty (another containerd uses it): kept" ;;
      *) rm -rf --one-file-system "$d" ;;
    esac
  done < <(awk '{ print length, $0 }' "$REC/dirs" | sort -rn | cut -d' ' -f2-)
}

# --- the check at the end of down --------------------------------------------------------------
# One line a kind of change: what was checked, and what is left.
CHECKS=(processes mounts directories sysctls iptables network cgroups)
declare -A LEFT=() CHECKED=()
left() { LEFT[$1]+="${LEFT[$1]:+; }$2"; }

verify_host() {
  local name pid start m d t tbl chain key old now n
  local -a pids mounts
  # processes: the recorded ones, then any other of this cluster's (own_pids)
  n=0
  if [[ -f "$REC/pids" ]]; then
    while read -r name pid start; do
      n=$((n + 1))
      alive "$pid" "$start" && left processes "$name (pid $pid) still runs"
    done <"$REC/pids"
  fi
  mapfile -t pids < <(own_pids | sort -u)
  ((${#pids[@]} == 0)) || left processes "still running: ${pids[*]}"
  CHECKED[processes]="$n recorded stopped; no shim, pod or unrecorded process of the cluster"
  mapfile -t mounts < <(own_mounts)
  ((${#mounts[@]} == 0)) || left mounts "${mounts[*]}"
  CHECKED[mounts]="none under $RUN, $STATE or a directory up created"
  n=0
  if [[ -f "$REC/dirs" ]]; then
    while read -r d; do
      [[ -n "$d" ]] || continue
      case "$d" in /run/containerd | /run/containerd/*) continue ;; esac
      n=$((n + 1))
      [[ -e "$d" ]] && left directories "$d"
    done <"$REC/dirs"
  fi
  [[ ! -e "$RUN" ]] || left directories "$RUN"
  if [[ -f "$REC/shim-sockets" ]]; then
    while read -r d; do [[ -e "$d" ]] && left directories "shim socket $d"; done <"$REC/shim-sockets"
  fi
  CHECKED[directories]="$n created host directories gone; run/ and shim sockets gone"
  n=0
  if [[ -f "$REC/sysctl.restore" ]]; then
    while read -r key old; do
      n=$((n + 1))
      now="$(sysctl -n "$key" 2>/dev/null || true)"
      [[ "$now" == "$old" ]] || left sysctls "$key is $now, was $old"
    done <"$REC/sysctl.restore"
  fi
  if [[ -f "$REC/sysctl.before" ]]; then
    # Keys present before and after (interfaces come and go with Docker's containers).
    while read -r line; do left sysctls "$line"; done < <(
      LC_ALL=C join -t$'\x01' "$REC/sysctl.before" <(sysctl_snapshot) 2>/dev/null |
        awk -F'\x01' '$2 != $3 { print $1 ": " $2 " -> " $3 }' | LC_ALL=C sort
    )
  fi
  CHECKED[sysctls]="$n recorded keys as before; the rest of sysctl -a as before"
  for t in "${IPT_TOOLS[@]}"; do
    for tbl in "${IPT_TABLES[@]}"; do
      while read -r chain; do
        grep -qxF "$t $tbl $chain" "$REC/iptables.before" 2>/dev/null || left iptables "$t -t $tbl $chain"
      done < <(ipt_chains "$t" "$tbl" | grep -E "$OWN_CHAINS")
    done
  done
  CHECKED[iptables]="no new KUBE-*, CNI-* or LBK8S-* chain in ${IPT_TOOLS[*]} (${IPT_TABLES[*]})"
  if [[ ! -f "$REC/bridge.before" ]] && ip link show "$K8S_BRIDGE" >/dev/null 2>&1; then left network "interface $K8S_BRIDGE"; fi
  CHECKED[network]="no interface $K8S_BRIDGE"
  while read -r m; do
    [[ -d "$m/kubepods" ]] && ! grep -qxF "$m" "$REC/cgroups.before" 2>/dev/null && left cgroups "$m/kubepods"
  done < <(cgroup_mounts)
  CHECKED[cgroups]="no new kubepods cgroup"
  true
}

report() { # prints the check, returns 1 when anything is left
  local c rc=0
  for c in "${CHECKS[@]}"; do
    if [[ -n "${LEFT[$c]:-}" ]]; then
      printf '  %-12s LEFT: %s\n' "$c" "${LEFT[$c]}" >&2
      rc=1
    else
      printf '  %-12s ok: %s\n' "$c" "${CHECKED[$c]}" >&2
    fi
  done
  return "$rc"
}

cmd_down() {
  need_root down
  local t0=$SECONDS
  if [[ ! -f "$REC/recorded" ]]; then
    log "no cluster recorded in $REC: checking that nothing of one is left"
    mkdir -p "$REC"
  else
    stop_all
    note_shim_sockets
    unmount_own
    if [[ -f "$REC/shim-sockets" ]]; then
      while read -r s; do rm -f "$s"; done <"$REC/shim-sockets"
    fi
    if [[ ! -f "$REC/bridge.before" ]] && ip link show "$K8S_BRIDGE" >/dev/null 2>&1; then
      ip link delete "$K8S_BRIDGE" && log "removed interface $K8S_BRIDGE"
    fi
    ipt_cleanup
    restore_sysctls
    remove_cgroups
    remove_dirs
    [[ ! -e "$RUN" ]] || rm -rf --one-file-system "$RUN"
    # Pod and sandbox records of containerd's CRI plugin name containers that are gone now.
    rm -rf "$STATE/containerd/io.containerd.grpc.v1.cri/containers" "$STATE/containerd/io.containerd.grpc.v1.cri/sandboxes"
  fi
  LEFT=()
  CHECKED=()
  verify_host
  if [[ -f "$REC/recorded" ]]; then
    log "down: host check against the record made before up:"
  else
    log "down: host check (no record: only what no cluster of this cache may leave):"
  fi
  if ! report; then
    log "down: FAILED, something is left (above); the record stays in $REC: run down again after fixing the cause"
    return 1
  fi
  log "down: done in $(elapsed "$t0"), nothing of the cluster is left"
  rm -rf "$REC"
}

# --- status, env, load-image -------------------------------------------------------------------
cmd_status() {
  local name pid start
  if [[ ! -f "$REC/recorded" ]]; then
    log "down (nothing recorded in $REC)"
    return 1
  fi
  while read -r name pid start; do
    if alive "$pid" "$start"; then log "$name: running (pid $pid)"; else log "$name: NOT running (pid $pid)"; fi
  done <"$REC/pids"
  kubectl_ get nodes -o wide || return 1
  kubectl_ get pods -A -o wide
}

cmd_env() { echo "export KUBECONFIG=$KUBECONFIG_FILE"; }

# The name containerd stores a Docker image under (Docker Hub names get their implicit parts).
full_image_name() {
  local n="$1" first="${1%%/*}"
  [[ "$n" == *:* || "$n" == *@* ]] || n="$n:latest"
  if [[ "$n" != */* ]]; then
    n="docker.io/library/$n"
  elif [[ "$first" != *.* && "$first" != *:* && "$first" != localhost ]]; then
    n="docker.io/$n"
  fi
  printf '%s' "$n"
}

cmd_load_image() {
  need_root load-image
  (($#)) || fail "usage: k8s-cluster.sh load-image IMAGE..."
  proc_alive containerd && ctr_ version >/dev/null 2>&1 || fail "the cluster is not up: run bash scripts/k8s-cluster.sh up"
  command -v docker >/dev/null 2>&1 || fail "docker is not installed: load-image copies images from the local Docker engine"
  local img id full stamp t
  mkdir -p "$STATE/loaded-images"
  for img in "$@"; do
    t=$SECONDS
    id="$(docker image inspect -f '{{.Id}}' "$img" 2>/dev/null)" ||
      fail "no Docker image $img here: build it first (e.g. bash scripts/images.sh)"
    full="$(full_image_name "$img")"
    stamp="$STATE/loaded-images/$(printf '%s' "$full" | tr '/:@' '___')"
    if [[ "$(cat "$stamp" 2>/dev/null)" == "$id" ]] && has_image "$full"; then
      log "load-image: $img is loaded ($id)"
      continue
    fi
    docker save "$img" | ctr_ images import - >/dev/null || fail "could not import $img into the cluster's containerd"
    has_image "$full" || fail "containerd has no $full after importing $img"
    echo "$id" >"$stamp"
    log "load-image: $img loaded as $full in $(elapsed "$t")"
  done
}

# --- main ------------------------------------------------------------------------------------
cmd="${1:-}"
shift || true
case "$cmd" in
  build) cmd_build ;;
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) cmd_env ;;
  load-image) cmd_load_image "$@" ;;
  *) fail "usage: k8s-cluster.sh build|up|down|status|env|load-image IMAGE..." ;;
esac
