/**
 * One writer per replica: the sidecar replicates only while its volume owns the replica.
 *
 * Why: when a stack moves to a new server because the old one died, the old server may boot
 * again later, and Docker restarts its `unless-stopped` containers by itself: the old sidecar
 * would replicate the old server's stale database into the replica that the new server writes.
 * Measured with Litestream 0.5.16: the old sidecar logs `detected database behind replica`,
 * snapshots its stale database on top of the new timeline, and both sidecars then upload LTX
 * files under the same TXIDs; both stay healthy, and the next restore fails with `post-restore
 * integrity check: ... database disk image is malformed`. Litestream 0.5 has no lease on the
 * replica that the `replicate` command uses, so the component keeps one itself.
 *
 * How: a claim is a tiny SQLite database (`owner`: a random token, the claiming container, the
 * time) that Litestream replicates once, to `<storage path>/.litestream-backup-owner` beside
 * the databases' replicas; each claim is one more LTX file there, with the next TXID. The
 * sidecar's start script ({@link renderSidecarScript}):
 * - on a volume that never claimed (a first deploy, a lost volume, a new server): claims the
 *   replica, checks by restoring the claims that its own is the newest, and writes its token
 *   and the claim's TXID to `<dataDir>/.litestream-backup-claim` on the volume;
 * - on a volume that claimed before (a restart, a reboot, a replaced sidecar): restores the
 *   claims and replicates only when the newest is its own. When it is another's, it does not
 *   start Litestream: it says why in its log and in the health check, and waits.
 * While Litestream runs, the health check lists the claims at most once a minute (one
 * ListObjectsV2); a claim newer than the volume's own makes it stop Litestream (SIGKILL, no
 * last sync) and refuse in the same way. So a server that was only cut off while the stack
 * moved stops within a minute of getting its network back; what it uploaded in between is not
 * prevented, which is why a move to a new server deletes the old containers first when the old
 * server answers.
 *
 * Only Litestream's own commands are used (`replicate`, `restore`, `ltx`), with the sidecar's
 * credential: no other S3 client is needed in the image.
 */
import { DatabaseReplica } from "../litestream/databases";
import { CONFIG_PATH, OWNER_CONFIG_PATH, OWNER_DB_PATH, SIDECAR_STATE_DIR } from "./paths";
import { shellQuote } from "./shell";

/** Name of the claims' replica, beside the databases' replicas under the storage path. */
export const OWNER_REPLICA_NAME = ".litestream-backup-owner";

/** Name of the file, in `app.dataDir` on the volume, that holds the volume's claim. */
export const CLAIM_FILE_NAME = ".litestream-backup-claim";

/** The health check lists the claims at most this often. */
export const OWNER_CHECK_INTERVAL_SECONDS = 60;

/**
 * Seconds one listing or restore of the claims may take (an endpoint that does not answer is
 * retried by the S3 client for minutes). The health check runs at most two of them.
 */
export const CLAIM_COMMAND_TIMEOUT_SECONDS = 20;

/** Seconds the start script waits before it tries again to read or write the claims. */
export const CLAIM_RETRY_SECONDS = 10;

/**
 * Sync interval of the claim's one replication, whatever the preset: the claim is written
 * while the sidecar waits to start.
 */
export const OWNER_SYNC_INTERVAL = "1s";

/** Escapes a string for the inside of a double-quoted `sh` word. */
function doubleQuoted(value: string): string {
    return value.replace(/[\\$`"]/g, (c) => `\\${c}`);
}

/** The claims' replica, as the owner config replicates it. */
export function ownerReplica(storagePath: string): DatabaseReplica {
    return {
        path: OWNER_DB_PATH,
        relativePath: OWNER_REPLICA_NAME,
        replicaPath: `${storagePath}/${OWNER_REPLICA_NAME}`,
    };
}

/** Where the volume's claim is kept. */
export function claimFilePath(dataDir: string): string {
    return `${dataDir.replace(/\/+$/, "")}/${CLAIM_FILE_NAME}`;
}

/** What the start script names in its messages. */
export interface SidecarScriptInput {
    dataDir: string;
    /**
     * The one container that mounts neither volume; the clean-up command it prints finds the
     * others by the volume they mount (the data volume, or the control volume: the verifier).
     */
    preflightName: string;
    volumeName: string;
    controlVolumeName: string;
    networkName: string;
    /** Where the script finds its files; the sidecar's paths unless a test moves them. */
    paths?: { stateDir: string; config: string; ownerConfig: string; ownerDb: string };
}

/**
 * The sidecar's start script: POSIX `sh` with `litestream`, `sqlite3`, `timeout`, `awk` and
 * `sort` on the PATH, as in the upstream Debian-slim image. `run` claims or checks ownership
 * and then runs `litestream replicate` as its child, passing SIGTERM on (Litestream's last
 * sync); `check` is the health check's ownership test.
 */
export function renderSidecarScript(input: SidecarScriptInput): string {
    const paths = input.paths ?? {
        stateDir: SIDECAR_STATE_DIR,
        config: CONFIG_PATH,
        ownerConfig: OWNER_CONFIG_PATH,
        ownerDb: OWNER_DB_PATH,
    };
    const volume = shellQuote(input.volumeName);
    const control = shellQuote(input.controlVolumeName);
    // Filters on the same key match either.
    const cleanup =
        `docker rm -f $(docker ps -aq --filter volume=${volume} --filter volume=${control}) ${shellQuote(input.preflightName)}; ` +
        `docker volume rm ${volume} ${control}; docker network rm ${shellQuote(input.networkName)}`;
    return `#!/bin/sh
# Litestream sidecar of litestream-backup: replicates only while this volume owns the replica.
#   run            claim the replica (a new volume) or check that this volume owns it, then
#                  run \`litestream replicate\`
#   check          health check: stop Litestream when another deployment claimed the replica
#   wait-claim T   used by \`run\`: wait until a claim newer than T is in the bucket
set -u
state=${shellQuote(paths.stateDir)}
claim_file=${shellQuote(claimFilePath(input.dataDir))}
owner_config=${shellQuote(paths.ownerConfig)}
owner_db=${shellQuote(paths.ownerDb)}
refused=$state/refused
mkdir -p "$state"

log() { echo "litestream-backup: $*"; }

# TXID of the newest claim in the bucket, empty when there is none; fails when it cannot list.
latest_claim() {
    out=$(timeout ${CLAIM_COMMAND_TIMEOUT_SECONDS} litestream ltx -config "$owner_config" "$owner_db" 2>&1) || {
        echo "$out" >&2
        return 1
    }
    printf '%s\\n' "$out" | awk 'NR > 1 { print $3 }' | sort | tail -n 1
}

# "<token> <container> <time>" of the newest claim, empty when there is none.
current_owner() {
    rm -rf "$state/check"
    mkdir -p "$state/check"
    out=$(timeout ${CLAIM_COMMAND_TIMEOUT_SECONDS} litestream restore -config "$owner_config" -if-replica-exists -o "$state/check/owner.db" "$owner_db" 2>&1) || {
        echo "$out" >&2
        return 1
    }
    [ -e "$state/check/owner.db" ] || return 0
    sqlite3 "$state/check/owner.db" "SELECT token || ' ' || container || ' ' || claimed_at FROM owner"
}

# Keeps the volume's claim, owned like the data directory (the app's files, with app.user).
save_claim() {
    printf '%s %s\\n' "$1" "$2" >"$claim_file.tmp" &&
        chown "$(stat -c %u:%g "\${claim_file%/*}")" "$claim_file.tmp" &&
        mv "$claim_file.tmp" "$claim_file"
}

# Writes a claim of this volume and checks that it is the newest.
claim() {
    prev=$(latest_claim) || return 1
    token=$(cat /proc/sys/kernel/random/uuid)
    rm -rf "\${owner_db%/*}"
    mkdir -p "\${owner_db%/*}"
    sqlite3 "$owner_db" "CREATE TABLE owner (token TEXT, container TEXT, claimed_at TEXT); INSERT INTO owner VALUES ('$token', '$(cat /etc/hostname)', '$(date -u +%Y-%m-%dT%H:%M:%SZ)');" || return 1
    # Litestream uploads the new database as the newest claim; it stops once that is listed.
    litestream replicate -config "$owner_config" -exec "sh $0 wait-claim '$prev'" >"$state/claim.log" 2>&1
    owner=$(current_owner) || return 1
    if [ "\${owner%% *}" != "$token" ]; then
        echo "the claim did not become the newest (newest: \${owner:-none}); Litestream: $(tail -n 3 "$state/claim.log")" >&2
        return 1
    fi
    txid=$(latest_claim) || return 1
    save_claim "$token" "$txid" || return 1
    log "this volume claimed the replica (claim $txid)"
}

wait_claim() {
    i=0
    while [ "$i" -lt 120 ]; do
        sleep 0.5
        latest=$(latest_claim 2>/dev/null) && [ -n "$latest" ] && [ "$latest" != "$1" ] && return 0
        i=$((i + 1))
    done
    return 1
}

# Records why this sidecar does not replicate; $1 is the newest claim.
refuse() {
    set -- $1
    {
        echo "NOT REPLICATING: another deployment owns this stack's replica: it claimed it at \${3:-?} (container \${2:-?}), after this volume did."
        echo "This server's copy is stale: the stack runs elsewhere now (or a second stack uses the same bucket and path). Two writers on one replica corrupt it, so Litestream does not run here."
        echo "Remove this copy (the newer data is in the bucket): ${doubleQuoted(cleanup)}"
    } >"$refused"
}

# Waits, not replicating, until the container is stopped.
idle() {
    cat "$refused"
    trap 'exit 0' TERM INT
    while :; do
        sleep 3600 &
        wait $!
    done
}

run() {
    rm -f "$refused" "$state/litestream.pid" "$state/error"
    trap 'exit 0' TERM INT
    while :; do
        if [ -f "$claim_file" ]; then
            read -r token txid <"$claim_file"
            if owner=$(current_owner 2>"$state/error"); then
                if [ -z "$owner" ]; then
                    # No claim in the bucket (a new bucket or path): claim it again.
                    claim 2>"$state/error" && break
                elif [ "\${owner%% *}" = "$token" ]; then
                    log "this volume owns the replica (claim $txid)"
                    break
                else
                    refuse "$owner"
                    idle
                fi
            fi
        else
            claim 2>"$state/error" && break
        fi
        log "cannot read or write the replica's claim yet, trying again in ${CLAIM_RETRY_SECONDS}s: $(cat "$state/error")"
        sleep ${CLAIM_RETRY_SECONDS} &
        wait $!
    done
    rm -f "$state/error"
    litestream replicate -config ${shellQuote(paths.config)} &
    pid=$!
    echo "$pid" >"$state/litestream.pid"
    trap 'kill -TERM "$pid" 2>/dev/null' TERM INT
    code=0
    wait "$pid" || code=$?
    while kill -0 "$pid" 2>/dev/null; do
        code=0
        wait "$pid" || code=$?
    done
    # The health check saw a newer claim and stopped Litestream.
    [ -e "$refused" ] && idle
    exit "$code"
}

check() {
    [ -e "$refused" ] && return 1
    [ -f "$claim_file" ] || return 0
    read -r token txid <"$claim_file"
    # A bucket that does not answer shows in the last sync's age instead.
    latest=$(latest_claim 2>/dev/null) || return 0
    [ -z "$latest" ] || [ "$latest" = "$txid" ] && return 0
    owner=$(current_owner 2>/dev/null) || return 0
    if [ -z "$owner" ] || [ "\${owner%% *}" = "$token" ]; then
        save_claim "$token" "$latest"
        return 0
    fi
    refuse "$owner"
    kill -KILL "$(cat "$state/litestream.pid" 2>/dev/null)" 2>/dev/null
    return 1
}

case "\${1:-run}" in
run) run ;;
check) check ;;
wait-claim) wait_claim "\${2:-}" ;;
*) echo "usage: $0 run|check|wait-claim TXID" >&2; exit 2 ;;
esac
`;
}
