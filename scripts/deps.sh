#!/usr/bin/env bash
# `npm run deps`: builds what the real and end-to-end tests run, all from Go modules, with the
# Go caches in the per-user cache (scripts/lib/common.sh): Litestream and the S3 server
# (scripts/binaries.sh, into .deps/bin), then the Pulumi toolchain with the kubernetes provider
# (scripts/pulumi-toolchain.sh: nothing to build when a `pulumi` is installed), then Docker Compose v2 for the Compose export's
# tests (scripts/compose-plugin.sh: nothing to do when a recent `docker compose` answers).
# Idempotent; quick when done.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/binaries.sh
bash scripts/pulumi-toolchain.sh kubernetes
bash scripts/compose-plugin.sh
