#!/usr/bin/env bash
# `npm run pulumi -- <args>`: the project's Pulumi CLI with the project's backend and
# environment (scripts/lib/common.sh, pulumi_env), run in the repository root.
set -euo pipefail
SCRIPT_NAME=pulumi
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
pulumi_env
cd "$ROOT"
exec "$PULUMI" "$@"
