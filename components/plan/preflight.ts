/**
 * The preflight: a one-shot check, run before the restores and the sidecar, that the
 * credential reaches every database's replica. A broken credential then fails `pulumi up` in
 * seconds, with the reason, instead of after the sidecar's health wait (5 minutes), and the
 * running sidecar and app are left as they are (the failure stops the deploy before either is
 * replaced).
 *
 * What it proves: for each database, `litestream ltx` lists the replica path with the config
 * and credential the sidecar gets (one ListObjectsV2 request). That catches a wrong or revoked
 * key (403), an unknown key id or bucket (404), and an endpoint that does not answer. A replica
 * that does not exist yet lists as empty, which passes (first deploy). It does not prove write
 * access: a credential that can list but not write is caught by the sidecar's health check
 * ("no successful replica sync yet"). Writing a probe object was left out on purpose: it would
 * leave objects under the replica prefix on every deploy (Litestream's CLI cannot delete one),
 * and an append-only credential could never clean them up.
 */
import { DatabaseReplica } from "../litestream/databases";
import { CONFIG_PATH } from "./paths";
import { shellQuote } from "./shell";

/**
 * Seconds the preflight lets one listing run. The AWS SDK retries a refused connection for
 * minutes (measured: 230 s), so an unreachable endpoint is cut short here.
 */
export const PREFLIGHT_LIST_TIMEOUT_SECONDS = 20;

/** Where the preflight script is uploaded in its container. */
export const PREFLIGHT_SCRIPT_PATH = "/etc/litestream-preflight.sh";

/**
 * The preflight script: POSIX `sh` with `timeout` and `litestream` on the PATH (the upstream
 * Debian-slim image). It stops at the first database whose replica cannot be listed, printing
 * the database and Litestream's error, and exits 1; exits 0 when every replica can be listed.
 */
export function renderPreflightScript(
    databases: readonly DatabaseReplica[],
    timeoutSeconds = PREFLIGHT_LIST_TIMEOUT_SECONDS,
): string {
    const checks = databases.map((db) => `check ${shellQuote(db.path)}`).join("\n");
    return `#!/bin/sh
# Preflight of litestream-backup: can this credential list every database's replica?
check() {
    out=$(timeout ${timeoutSeconds} litestream ltx -config ${shellQuote(CONFIG_PATH)} "$1" 2>&1)
    code=$?
    if [ "$code" -eq 124 ]; then
        echo "$1: the bucket did not answer within ${timeoutSeconds}s (endpoint, network or DNS): \${out:-no output}"
        exit 1
    fi
    if [ "$code" -ne 0 ]; then
        echo "$1: its replica cannot be listed with this credential: $out"
        exit 1
    fi
    echo "$1: replica listed"
}
${checks}
`;
}
