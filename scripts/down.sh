#!/usr/bin/env bash
# `npm run down`: destroys the local `dev` stack (`pulumi destroy --yes`; extra arguments go to
# it). The stack and its config stay, so `npm run up` brings it back. With `local` storage the
# S3 server's volume goes too (storage.retainOnDelete defaults to false there): its backups
# are gone.
set -euo pipefail
SCRIPT_NAME=down
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
T0=$SECONDS
STACK="${LITESTREAM_BACKUP_STACK:-dev}"
pulumi_env
cd "$ROOT"
"$PULUMI" stack select "$STACK" >/dev/null 2>&1 || fail "no stack $STACK in $PULUMI_BACKEND_URL: nothing to destroy"
"$PULUMI" destroy --stack "$STACK" --yes "$@" || fail "pulumi destroy failed (above); run npm run down again"
log "stack $STACK destroyed in $(elapsed "$T0")"
