#!/usr/bin/env bash
# `npm run up`: deploys the local `dev` stack (Pulumi.dev.yaml: a local S3 server, the demo app,
# Litestream) on this machine's Docker engine with the real `pulumi up`, installing what it needs:
#   1. a Docker engine that answers (scripts/docker-engine.sh);
#   2. a Pulumi CLI and plugins (scripts/pulumi-toolchain.sh: the installed `pulumi`, or one built
#      from Go modules);
#   3. the images the stack runs: present, else pulled, else (no registry answers) built here
#      from Go-built binaries and tagged with the official names, said on the terminal;
#   4. the stack `dev` in the project's backend (scripts/lib/common.sh, pulumi_env);
#   5. `pulumi up --yes` (extra arguments go to it: `npm run up -- --refresh`).
# Then it prints how to watch the app, the replica and the containers.
set -euo pipefail
SCRIPT_NAME=up
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
T0=$SECONDS
STACK="${LITESTREAM_BACKUP_STACK:-dev}"
cd "$ROOT"

[[ -d node_modules/@pulumi/pulumi ]] || fail "node_modules is missing: run npm ci first"

step() { log "== $*"; }

step "Docker engine"
t=$SECONDS
bash scripts/docker-engine.sh
log "Docker engine ready in $(elapsed "$t")"

step "Pulumi toolchain"
if grep -q '^  litestream-backup:kubernetes:' "Pulumi.$STACK.yaml" 2>/dev/null; then
  bash scripts/pulumi-toolchain.sh kubernetes
else
  bash scripts/pulumi-toolchain.sh
fi

step "images of the stack"
t=$SECONDS
bash scripts/stack-images.sh "$STACK"
log "images ready in $(elapsed "$t")"

step "stack $STACK"
pulumi_env
log "Pulumi CLI $PULUMI ($("$PULUMI" version)), backend $PULUMI_BACKEND_URL"
if ! "$PULUMI" stack select "$STACK" >/dev/null 2>&1; then
  "$PULUMI" stack init "$STACK" >&2 || fail "pulumi stack init $STACK failed"
fi

step "pulumi up --stack $STACK --yes $*"
t=$SECONDS
"$PULUMI" up --stack "$STACK" --yes "$@" ||
  fail "pulumi up failed (above); fix the cause and run npm run up again, or npm run down to remove the stack"
log "pulumi up took $(elapsed "$t"); all of npm run up took $(elapsed "$T0")"

app="$("$PULUMI" stack output --stack "$STACK" appContainerName)"
sidecar="$("$PULUMI" stack output --stack "$STACK" litestreamContainerName)"
# The database paths, from the rendered Litestream config (an output without credentials).
mapfile -t dbs < <("$PULUMI" stack output --stack "$STACK" litestreamConfig |
  node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{for(const db of require("yaml").parse(s).dbs)console.log(db.path)})')
{
  echo
  echo "The $STACK stack is up: ${#dbs[@]} database(s) replicated. To watch it:"
  echo "  docker logs -f $app    # the app"
  echo "  docker exec $sidecar litestream list    # each database and its last successful sync"
  for db in "${dbs[@]}"; do
    echo "  docker exec $sidecar litestream ltx -config /etc/litestream.yml $db    # its replica's files in the bucket"
    echo "  docker exec $sidecar sqlite3 $db .tables    # what the app wrote (the demo: SELECT count(*) FROM rows)"
  done
  echo "  docker ps --filter label=litestream-backup.stack=$STACK    # the stack's containers and their health"
  echo "  npm run pulumi -- stack output --stack $STACK    # the outputs, restoreCommand among them"
  echo "  npm run down    # destroy the stack"
} >&2
