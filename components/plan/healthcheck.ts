/**
 * The Litestream sidecar's health check: pure functions that give the POSIX `sh` script and
 * the settings that run it (Docker health check, Compose `healthcheck`, Kubernetes probes).
 *
 * Why this check (measured with litestream v0.5.16 against versitygw v1.8.0, see
 * README, "The sidecar's health check"): `litestream status` reads local state only and exits 0 with wrong
 * credentials and with an unreachable endpoint, so it cannot be the check. Litestream itself
 * records the time of its last successful replica sync (the value behind its `heartbeat-url`),
 * and from 0.5.13 on it records it on every sync interval even when the database is idle. The
 * control socket (`litestream list`) reports that time. So, per database:
 *
 * - the file exists: healthy when Litestream lists it as `replicating` and its last successful
 *   sync is younger than {@link maxSyncAgeSeconds}. Wrong credentials show `last sync: never`
 *   at once; an unreachable endpoint blocks the socket's answer (the check times out); a
 *   credential revoked later turns the check unhealthy once the last sync gets too old. This
 *   makes no request to the bucket.
 * - the file does not exist yet (first deploy: the app has not created it; the restore gate
 *   ran before the sidecar started): nothing to replicate, so the check proves instead that the
 *   replica can be listed with these credentials: `litestream ltx`, one ListObjectsV2 request
 *   a check a missing database (measured on the server's request log).
 *
 * The check needs the control socket, so the rendered config must hold
 * `socket: { enabled: true, path: CONTROL_SOCKET_PATH }`.
 */
import { DatabaseReplica } from "../litestream/databases";
import { parseGoDuration, SECOND_NS } from "../litestream/duration";
import { MAX_MONITOR_INTERVAL_SECONDS } from "../litestream/timing";
import { CLAIM_COMMAND_TIMEOUT_SECONDS, OWNER_CHECK_INTERVAL_SECONDS } from "./claim";
import {
    CONFIG_PATH,
    CONTROL_SOCKET_PATH,
    HEALTHCHECK_SCRIPT_PATH,
    SIDECAR_SCRIPT_PATH,
    SIDECAR_STATE_DIR,
} from "./paths";
import { shellQuote } from "./shell";

/** How long the script waits for the control socket to answer. */
const SOCKET_TIMEOUT_SECONDS = 5;

/**
 * How long the script lets `litestream ltx` run for a missing database. The AWS SDK retries a
 * refused connection for minutes (measured: 230 s, 10 attempts), so it is cut short.
 */
const LIST_TIMEOUT_SECONDS = 10;

/** One database as the health check sees it. */
export interface HealthcheckDatabase {
    /** Absolute path inside the sidecar. */
    path: string;
    /** Oldest acceptable last successful sync, in seconds. */
    maxSyncAgeSeconds: number;
}

/**
 * The oldest acceptable last successful sync for a sync interval: two intervals (a sync may
 * start just after a tick and take a while) plus a minute for uploads and clock steps.
 * "10s" gives 80 s, "1s" 62 s, "1h" 7260 s.
 */
export function maxSyncAgeSeconds(syncIntervalSeconds: number): number {
    return Math.ceil(2 * syncIntervalSeconds + 60);
}

/**
 * Pairs each database path with the oldest acceptable sync for the sync interval the config
 * is rendered with (the same timing, so the threshold matches what runs).
 */
export function healthcheckDatabases(
    databases: readonly DatabaseReplica[],
    syncInterval: string,
): HealthcheckDatabase[] {
    const ns = parseGoDuration(syncInterval);
    if (ns === undefined) throw new RangeError(`${syncInterval} is not a Go duration`);
    return databases.map((db) => ({
        path: db.path,
        maxSyncAgeSeconds: maxSyncAgeSeconds(ns / SECOND_NS),
    }));
}

/**
 * The health check script. POSIX `sh` with `date -d`, `timeout` and `litestream` on the PATH,
 * as in the upstream Debian-slim image. Prints why it is unhealthy (Docker keeps the output in
 * `docker inspect`'s health log) and exits 1; exits 0 when every database is healthy.
 */
export function renderHealthcheckScript(
    databases: readonly HealthcheckDatabase[],
    paths: { stateDir: string; sidecarScript: string } = {
        stateDir: SIDECAR_STATE_DIR,
        sidecarScript: SIDECAR_SCRIPT_PATH,
    },
): string {
    const checks = databases
        .map((db) => `check ${shellQuote(db.path)} ${db.maxSyncAgeSeconds} || healthy=1`)
        .join("\n");
    return `#!/bin/sh
# Health check of the Litestream sidecar, written by litestream-backup.
# Healthy when this volume owns the replica, every database is replicating and its last
# successful replica sync is recent, or, for a database the app has not created yet, when the
# replica can be listed.
state=${shellQuote(paths.stateDir)}
if [ -e "$state/refused" ]; then
    cat "$state/refused"
    exit 1
fi
if [ ! -e "$state/litestream.pid" ]; then
    echo "not replicating yet: checking that this volume owns the replica $(cat "$state/error" 2>/dev/null)"
    exit 1
fi
# A newer claim of the replica by another deployment stops Litestream (the sidecar script's
# check), looked for at most once every ${OWNER_CHECK_INTERVAL_SECONDS}s.
stamp=$state/owner-checked
if [ ! -e "$stamp" ] || [ $(($(date +%s) - $(stat -c %Y "$stamp"))) -ge ${OWNER_CHECK_INTERVAL_SECONDS} ]; then
    touch "$stamp"
    if ! sh ${shellQuote(paths.sidecarScript)} check; then
        cat "$state/refused" 2>/dev/null
        exit 1
    fi
fi
list=$(litestream list -socket ${shellQuote(CONTROL_SOCKET_PATH)} -timeout ${SOCKET_TIMEOUT_SECONDS} 2>&1) || {
    echo "litestream did not answer on its control socket: $list"
    exit 1
}
now=$(date +%s)

check() {
    db=$1
    max_age=$2
    if [ ! -e "$db" ]; then
        out=$(timeout ${LIST_TIMEOUT_SECONDS} litestream ltx -config ${shellQuote(CONFIG_PATH)} "$db" 2>&1) || {
            echo "$db: not created yet, and its replica cannot be listed: \${out:-no answer within ${LIST_TIMEOUT_SECONDS}s}"
            return 1
        }
        return 0
    fi
    line=$(printf '%s\\n' "$list" | while IFS= read -r l; do
        case $l in "$db ["*) printf '%s\\n' "$l" ;; esac
    done)
    case $line in
    "$db [replicating] (last sync: never)")
        echo "$db: no successful replica sync yet"
        return 1
        ;;
    "$db [replicating] (last sync: "*")") ;;
    *)
        echo "$db: not replicating: \${line:-not in litestream list}"
        return 1
        ;;
    esac
    synced=\${line##*last sync: }
    synced=$(date -d "\${synced%)}" +%s) || return 1
    age=$((now - synced))
    if [ "$age" -gt "$max_age" ]; then
        echo "$db: last successful replica sync \${age}s ago, more than \${max_age}s"
        return 1
    fi
    return 0
}

healthy=0
${checks}
exit $healthy
`;
}

/** How a target runs a health check: a command, how often, and when it counts. */
export interface HealthcheckPlan {
    /** Exec form: the program and its arguments (no shell in between). */
    command: string[];
    intervalSeconds: number;
    timeoutSeconds: number;
    /** Consecutive failures that make the container unhealthy. */
    retries: number;
    /** Seconds after the start during which failures do not count. */
    startPeriodSeconds: number;
}

/**
 * How long the sidecar has for its first successful sync: five minutes for the sync itself,
 * which uploads the whole database when the replica is behind (a large database replicated for
 * the first time), plus the longest monitor interval the component sets. Litestream opens a
 * database, and its replica records a first sync, only at the database's first monitor tick
 * (db.go `monitor` -> `init` -> `Replica.Start`): one sync interval after the start, up to
 * 4 min (../litestream/timing.ts).
 */
export const FIRST_SYNC_ALLOWANCE_SECONDS = 300 + MAX_MONITOR_INTERVAL_SECONDS;

/**
 * The sidecar's health check: every 10 s, so a deploy that waits for it sees the first successful
 * sync within about 10 s of it; failures count only after {@link FIRST_SYNC_ALLOWANCE_SECONDS}.
 * No `startInterval`: the Docker client library refuses it below API 1.44 ("specify
 * health-check start interval" requires API version 1.44), so a host on Docker 20.10 to 24
 * (Debian 12's docker.io is 20.10) could not create the container.
 */
export function sidecarHealthcheck(databaseCount: number): HealthcheckPlan {
    return {
        command: ["/bin/sh", HEALTHCHECK_SCRIPT_PATH],
        intervalSeconds: 10,
        timeoutSeconds:
            SOCKET_TIMEOUT_SECONDS +
            LIST_TIMEOUT_SECONDS * databaseCount +
            2 * CLAIM_COMMAND_TIMEOUT_SECONDS +
            5,
        retries: 3,
        startPeriodSeconds: FIRST_SYNC_ALLOWANCE_SECONDS,
    };
}

/**
 * How long `pulumi up` waits for the sidecar to turn healthy: the first-sync allowance. A
 * restored database is in sync already and turns healthy at its first monitor tick.
 */
export const SIDECAR_WAIT_TIMEOUT_SECONDS = FIRST_SYNC_ALLOWANCE_SECONDS;
