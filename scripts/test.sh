#!/usr/bin/env bash
# npm test: every test, against the real dependencies. Installs what the real and end-to-end
# tests need first (Litestream, the S3 server and the Pulumi toolchain built from source, the
# Docker engine, local images); each step is quick when already done. Extra arguments go to
# vitest.
#
# The Kubernetes end-to-end test needs the throwaway cluster of scripts/k8s-cluster.sh, whose
# build takes about 11 minutes on 2 cores with empty caches (0.2 s when done). It starts once
# deps and images are done (the build installs Debian packages, and two apt runs at once fail
# on dpkg's lock), in the background and at a lower priority, so that it overlaps the unit,
# real and first end-to-end tests; the test's own `k8s-cluster.sh build` waits for it (the
# build holds a lock). Its output goes to .e2e/k8s-build.log. Whatever is still building when
# vitest ends is stopped.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/deps.sh
bash scripts/images.sh

mkdir -p .e2e
K8S_BUILD_LOG=.e2e/k8s-build.log
K8S_BUILD_PID=
if [[ "$(id -u)" == 0 && "${LITESTREAM_BACKUP_SKIP_K8S_BUILD:-0}" != 1 ]]; then
  echo "test: building the test cluster in the background (log: $K8S_BUILD_LOG)" >&2
  setsid nice -n 10 bash scripts/k8s-cluster.sh build >"$K8S_BUILD_LOG" 2>&1 &
  K8S_BUILD_PID=$!
fi
stop_build() {
  if [[ -n "$K8S_BUILD_PID" ]] && kill -0 "$K8S_BUILD_PID" 2>/dev/null; then
    echo "test: stopping the unfinished cluster build (pid $K8S_BUILD_PID)" >&2
    kill -TERM -- "-$K8S_BUILD_PID" 2>/dev/null || true
    wait "$K8S_BUILD_PID" 2>/dev/null || true
  fi
}
trap stop_build EXIT

rc=0
npx vitest run "$@" || rc=$?
exit "$rc"
