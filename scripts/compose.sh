#!/usr/bin/env bash
# `npm run compose -- --stack <name> [--out <dir>] [--show-secrets] [--no-check]`: writes the
# stack's deployment as a Docker Compose stack, for `docker compose up -d` or a Portainer stack:
#   <dir>/compose.yaml   the stack's `composeFile` output (no credential in it)
#   <dir>/.env           the variables it refers to: a template with empty values (an existing
#                        .env is kept), or with --show-secrets the values of the `composeEnv`
#                        output (the bucket credential, the app's secret values), mode 0600
# <dir> defaults to .compose/<stack> (git-ignored). Then `docker compose config` checks the file
# (Docker Compose 2.23.1 or later, installed by scripts/compose-plugin.sh when missing), with
# placeholders for the variables unless .env holds the values; --no-check skips that.
# The stack must have been deployed (`npm run pulumi -- up --stack <name>`): set
# `docker.deploy: false` in its config to create only the bucket and credential.
set -euo pipefail
SCRIPT_NAME=compose
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
T0=$SECONDS

usage="usage: npm run compose -- --stack <name> [--out <dir>] [--show-secrets] [--no-check]"
STACK=""
OUT=""
SHOW_SECRETS=0
CHECK=1
while (($# > 0)); do
  case "$1" in
  --stack) STACK="${2:?$usage}"; shift 2 ;;
  --out) OUT="${2:?$usage}"; shift 2 ;;
  --show-secrets) SHOW_SECRETS=1; shift ;;
  --no-check) CHECK=0; shift ;;
  -h | --help) echo "$usage"; exit 0 ;;
  *) fail "unknown argument $1: $usage" ;;
  esac
done
[[ -n "$STACK" ]] || fail "no stack given: $usage"
cd "$ROOT"
OUT="${OUT:-.compose/$STACK}"
[[ -d node_modules/tsx ]] || fail "node_modules is missing: run npm ci first"

pulumi_env
log "reading the outputs of stack $STACK ($PULUMI_BACKEND_URL)"
show=()
((SHOW_SECRETS)) && show=(--show-secrets)
# Kept in memory, never in a file: with --show-secrets they hold the credential.
outputs="$("$PULUMI" stack output --stack "$STACK" --json "${show[@]}")" ||
  fail "pulumi stack output --stack $STACK failed (above): check the stack name (npm run pulumi -- stack ls)"

check_dir=""
trap '[[ -n "$check_dir" ]] && rm -rf "$check_dir"' EXIT
files_args=(--out "$OUT" --stack "$STACK" "${show[@]}")
if ((CHECK)); then
  check_dir="$(mktemp -d)"
  files_args+=(--check-env "$check_dir/placeholders.env")
fi
printf '%s' "$outputs" | node_modules/.bin/tsx scripts/compose-files.ts "${files_args[@]}"

if ((CHECK)); then
  bash scripts/compose-plugin.sh >/dev/null 2>"$check_dir/plugin.log" || {
    cat "$check_dir/plugin.log" >&2
    fail "no Docker Compose 2.23.1 or later to check the file with (above): install it, or pass --no-check"
  }
  env_file="$check_dir/placeholders.env"
  ((SHOW_SECRETS)) && env_file="$OUT/.env"
  # --quiet: `config` would print the file with the variables filled in.
  docker compose -f "$OUT/compose.yaml" --env-file "$env_file" config --quiet ||
    fail "docker compose config rejected $OUT/compose.yaml (above): report it with the stack's composeFile output"
  log "docker compose config accepts $OUT/compose.yaml ($(docker compose version --short))"
fi

log "done in $(elapsed "$T0"). To run it on this Docker host:"
fill=""
((SHOW_SECRETS)) || fill="  # fill in the empty values of $OUT/.env first (or run this again with --show-secrets)
"
cat >&2 <<EOF
${fill}  cd $OUT
  docker compose up -d   # restores, then the Litestream sidecar until healthy, then the app
  docker compose ps      # the one-shots show Exited (0), the sidecar (healthy)
In Portainer: Stacks > Add stack > Web editor, paste compose.yaml, and enter the variables of .env
under Environment variables (README, "Deploy through Compose or Portainer").
EOF
