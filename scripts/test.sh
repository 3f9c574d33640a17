#!/usr/bin/env bash
# npm test: every test, against the real dependencies. Installs what the real and end-to-end
# tests need first (Litestream, the S3 server and the Pulumi toolchain built from source, the
# Docker engine, local images); each step is quick when already done. Extra arguments go to
# vitest.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/deps.sh
bash scripts/images.sh
exec npx vitest run "$@"
