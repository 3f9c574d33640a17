/**
 * The verifier: restore drills that prove the replica restores, not only that uploads succeed.
 * One container a component (`<app>-verify`, from the Litestream image) runs a drill when it
 * starts and then every `verify.interval`; with `verify.onDeploy` a one-shot
 * (`<app>-verify-deploy`) runs one on every `pulumi up`. A drill, for each database:
 *
 * 1. Asks the sidecar, on its control socket (a volume shared by the two, ./paths.ts), for the
 *    database's position (its TXID: what it has cut locally) and its last successful replica
 *    sync. A sidecar that does not answer, is not replicating, or whose last successful sync is
 *    older than the freshness bound is waited for until the bound has passed since the drill
 *    saw that first, and then fails the drill: a stopped sidecar is caught once it has been
 *    down longer than the bound, not on a restart.
 * 2. Lists the replica (`litestream restore -dry-run -json`: the files a restore reads, their
 *    sizes and the newest TXID) and restores exactly that TXID (`-txid`) into its own scratch
 *    folder, never the app's volume (it does not mount it), with `-integrity-check full`:
 *    Litestream runs SQLite's `PRAGMA integrity_check` on the restored file and fails when it
 *    does not answer `ok`. The scratch folder is emptied after each database and at start.
 * 3. Freshness: the restored TXID must reach the position the sidecar had in step 1. When it
 *    does not yet (files still in flight), the replica's newest L0 file is listed until it
 *    does, for at most the bound after step 1; past that the replica is stale.
 *
 * The bound is the sidecar health check's: two sync intervals (a file waits at most one for
 * its upload, and an upload may start just after a tick) plus a minute for uploads and clock
 * steps (./healthcheck.ts). Why the socket and not a comparison of TXIDs read from the data
 * volume: a stopped sidecar leaves its local TXID where it was, so a drill that reads the
 * volume would find the replica "in sync" while the app writes unreplicated changes; the
 * sidecar's own answer (or its silence) tells. It costs one volume, which the sidecar mounts
 * for its socket (the socket's path changed with it, which replaced the sidecar once), and it
 * keeps the verifier off the app's volume.
 *
 * The outcome of the last drill (time, duration, bytes read, restored TXID, result and reason,
 * per database) is kept in the verifier's own folder: the health check prints it, the metrics
 * are made from it, and it is the body of the push monitor's ping.
 */
import { CONFIG_PATH, CONTROL_SOCKET_PATH, VERIFY_HELPER_PATH, VERIFY_STATE_DIR } from "./paths";
import { HealthcheckPlan } from "./healthcheck";
import { shellQuote } from "./shell";

/** The environment variable that carries `verify.heartbeatUrl` (a secret) to the verifier. */
export const VERIFY_HEARTBEAT_ENV = "VERIFY_HEARTBEAT_URL";

/** Seconds the replica listing before a restore may take (an unreachable endpoint retries). */
export const VERIFY_LIST_TIMEOUT_SECONDS = 120;

/** Seconds a push monitor's ping may take, each of its three tries. */
export const HEARTBEAT_TIMEOUT_SECONDS = 30;

/** Seconds between two tries of a push monitor's ping. */
export const HEARTBEAT_PAUSE_SECONDS = 5;

/** One database as the drill sees it. */
export interface VerifyDatabase {
    /** Absolute path, as the config names it. */
    path: string;
    /** The freshness bound in seconds: the sidecar health check's oldest acceptable sync. */
    maxSyncAgeSeconds: number;
}

/** Everything the verifier's script is made of. */
export interface VerifyScriptInput {
    databases: readonly VerifyDatabase[];
    /** Seconds between two drills of the service. */
    intervalSeconds: number;
    /** Seconds between two looks while waiting for the sidecar or for files in flight. */
    pollSeconds: number;
    /** Serve the outcome as Prometheus metrics on this port. */
    metricsPort?: number;
}

/**
 * How often a waiting drill looks again: half a sync interval, at least 1 s and at most 30 s.
 * Each look at the replica is one LIST request of its L0 files; the socket costs nothing.
 */
export function verifyPollSeconds(syncIntervalSeconds: number): number {
    return Math.min(30, Math.max(1, Math.round(syncIntervalSeconds / 2)));
}

/** A Prometheus label value: `\`, `"` and line breaks escaped. */
export function prometheusLabel(value: string): string {
    return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/**
 * The verifier's script, POSIX `sh` with the tools of the upstream Debian-slim image
 * (`litestream`, coreutils' `date`, `timeout` and `mktemp`, `sed`, `openssl`, and Perl for
 * ./verify-helper.ts). Modes:
 *
 * - `serve`: the container's command: a drill at start and every interval, and the metrics
 *   endpoint when a port is set;
 * - `once`: one drill now (by hand with `docker exec`, or the on-deploy one-shot), printing
 *   the outcome; exits 1 when it failed. It waits for a drill already running;
 * - `status`: the health check: prints the last outcome; exits 1 when the last drill failed,
 *   0 when it passed or none has finished yet.
 */
export function renderVerifyScript(input: VerifyScriptInput): string {
    const drills = input.databases
        .map(
            (db, i) =>
                `drill_db ${i} ${shellQuote(db.path)} ${db.maxSyncAgeSeconds} ${shellQuote(prometheusLabel(db.path))} || failed=1`,
        )
        .join("\n    ");
    return `#!/bin/sh
# Restore drills of litestream-backup: restore every database from the bucket into a scratch
# folder, check it, check that it is as fresh as the sidecar's last successful sync allows,
# and report. Usage: sh ${shellQuote("/etc/litestream-verify.sh")} serve | once | status
set -u
CONFIG=${shellQuote(CONFIG_PATH)}
SOCKET=${shellQuote(CONTROL_SOCKET_PATH)}
HELPER=${shellQuote(VERIFY_HELPER_PATH)}
STATE=${shellQuote(VERIFY_STATE_DIR)}
SCRATCH=$STATE/scratch
INTERVAL=${input.intervalSeconds}
POLL=${input.pollSeconds}
METRICS_PORT=${input.metricsPort ?? ""}
LIST_TIMEOUT=${VERIFY_LIST_TIMEOUT_SECONDS}
HEARTBEAT_PAUSE=${HEARTBEAT_PAUSE_SECONDS}

now() { date -u +%s; }
now_ms() { date -u +%s%3N; }
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
log() { printf '%s %s\\n' "$(iso "$(now)")" "$*"; }
# The last line of a command's output, for a reason on one line.
last_line() { printf '%s\\n' "$1" | sed '/^[[:space:]]*$/d' | tail -n 1; }

# Asks the sidecar about database $1 (bound $2 s). Sets p0 (its TXID, 0 when the database
# does not exist yet) and returns 0 when it is live; else sets why and returns 1.
sidecar_state() {
    list=$(timeout 15 litestream list -socket "$SOCKET" -timeout 5 2>&1) || {
        why="the Litestream sidecar does not answer on its control socket ($(last_line "$list"))"
        return 1
    }
    p0=$(timeout 15 perl "$HELPER" txid "$SOCKET" "$1" 2>&1) || {
        why="the Litestream sidecar did not give the position of $1 ($(last_line "$p0"))"
        return 1
    }
    [ "$p0" = 0 ] && return 0
    line=$(printf '%s\\n' "$list" | while IFS= read -r l; do
        case $l in "$1 ["*) printf '%s\\n' "$l" ;; esac
    done)
    case $line in
    "$1 [replicating] (last sync: never)")
        why="the Litestream sidecar has not synced $1 successfully since it started"
        return 1
        ;;
    "$1 [replicating] (last sync: "*")") ;;
    *)
        why="the Litestream sidecar is not replicating $1: \${line:-not in litestream list}"
        return 1
        ;;
    esac
    synced=\${line##*last sync: }
    synced=$(date -d "\${synced%)}" +%s) || { why="cannot read the last sync time: $line"; return 1; }
    age=$(($(now) - synced))
    if [ "$age" -gt "$2" ]; then
        why="the Litestream sidecar's last successful replica sync of $1 was \${age}s ago, more than \${2}s"
        return 1
    fi
    return 0
}

# The newest TXID in the replica's L0 files (hex, 16 digits), or 0 when there is none.
replica_newest() {
    out=$(timeout "$LIST_TIMEOUT" litestream ltx -config "$CONFIG" -level 0 "$1" 2>&1) || return 1
    newest=0
    for f in $(printf '%s\\n' "$out" | sed -n 's/^0[[:space:]][[:space:]]*[0-9a-f]*[[:space:]][[:space:]]*\\([0-9a-f]\\{16\\}\\)[[:space:]].*/\\1/p'); do
        [ $((0x$f)) -gt $((0x$newest)) ] && newest=$f
    done
    echo "$newest"
}

# One database: index, path, bound, metric label. Sets result (passed, skipped or failed),
# reason, txid, bytes, ms and appends the outcome to $STATE/drill.
drill_db() {
    i=$1 db=$2 bound=$3 label=$4
    started=$(now_ms)
    result=failed reason= txid= bytes=0 p0=
    first=$(now)
    while ! sidecar_state "$db" "$bound"; do
        if [ $(($(now) - first)) -ge "$bound" ]; then
            reason="$why, for at least \${bound}s"
            break
        fi
        sleep "$POLL"
    done
    t0=$(now)
    if [ -z "$reason" ]; then
        # A database the app has just created has no backup until the sidecar's first upload:
        # looked for again until the bound has passed.
        while :; do
            plan=$(timeout "$LIST_TIMEOUT" litestream restore -config "$CONFIG" -dry-run -json "$db" 2>&1)
            code=$?
            if [ "$code" -eq 0 ] || [ "$code" -eq 124 ] || [ "$p0" = 0 ]; then break; fi
            case $plan in
            *"no matching backup files available"*) [ $(($(now) - t0)) -ge "$bound" ] && break ;;
            *) break ;;
            esac
            sleep "$POLL"
        done
        if [ "$code" -eq 124 ]; then
            reason="the bucket did not answer within \${LIST_TIMEOUT}s (endpoint, network or DNS)"
        elif [ "$code" -ne 0 ]; then
            case $plan in
            *"no matching backup files available"*)
                if [ "$p0" = 0 ]; then
                    result=skipped reason="no database and no replica yet"
                else
                    reason="the bucket has held no backup of $db for at least \${bound}s, but the sidecar is at TXID $p0"
                fi
                ;;
            *) reason="its replica cannot be listed: $(last_line "$plan")" ;;
            esac
        else
            txid=$(printf '%s\\n' "$plan" | sed -n 's/^  "max_txid": "\\([0-9a-f]*\\)".*/\\1/p' | head -n 1)
            for size in $(printf '%s\\n' "$plan" | sed -n 's/^ *"size": \\([0-9]*\\).*/\\1/p'); do
                bytes=$((bytes + size))
            done
            rm -rf "$SCRATCH" && mkdir -p "$SCRATCH"
            out=$(litestream restore -config "$CONFIG" -o "$SCRATCH/$i.db" -txid "$txid" -integrity-check full "$db" 2>&1)
            code=$?
            if [ -z "$txid" ]; then
                reason="the restore plan names no TXID: $(last_line "$plan")"
            elif [ "$code" -ne 0 ]; then
                reason="the restore of TXID $txid failed: $(last_line "$out")"
            elif [ ! -s "$SCRATCH/$i.db" ]; then
                reason="the restore of TXID $txid left no database"
            elif [ "$p0" != 0 ] && [ $((0x$txid)) -lt "$p0" ]; then
                newest=$txid
                while [ $((0x$newest)) -lt "$p0" ]; do
                    if [ $(($(now) - t0)) -ge "$bound" ]; then
                        reason="the replica is stale: the sidecar was at TXID $p0 $(($(now) - t0))s ago and the bucket's newest is $newest (restored $txid), more than \${bound}s behind"
                        break
                    fi
                    sleep "$POLL"
                    newest=$(replica_newest "$db") || newest=0
                done
                [ -z "$reason" ] && result=passed
            else
                result=passed
            fi
            rm -rf "$SCRATCH" && mkdir -p "$SCRATCH"
        fi
    fi
    ms=$(($(now_ms) - started))
    case $result in
    passed) line="$db: passed: restored TXID $txid ($bytes bytes read) in \${ms} ms, integrity ok, sidecar at TXID $p0" ;;
    skipped) line="$db: passed: $reason" ;;
    *) line="$db: FAILED: $reason" ;;
    esac
    printf '%s\\n' "$line" >> "$STATE/drill.text"
    ok=1
    [ "$result" = failed ] && ok=0
    if [ "$ok" = 1 ]; then echo "$(now)" > "$STATE/success-$i"; fi
    success=$(cat "$STATE/success-$i" 2>/dev/null || echo 0)
    db_txid=0
    [ -n "$txid" ] && db_txid=$((0x$txid))
    seconds=$((ms / 1000)).$(printf '%03d' $((ms % 1000)))
    printf 'litestream_backup_verify_last_%s{database="%s"} %s\n' \
        result "$label" "$ok" \
        success_timestamp_seconds "$label" "$success" \
        duration_seconds "$label" "$seconds" \
        bytes_read "$label" "$bytes" \
        restored_txid "$label" "$db_txid" >> "$STATE/drill.metrics"
    printf 'time=%s database=%s result=%s duration_ms=%s bytes_read=%s restored_txid=%s sidecar_txid=%s reason=%s\n' \
        "$(iso "$first")" "$db" "$result" "$ms" "$bytes" "\${txid:-none}" "\${p0:-unknown}" "$reason" >> "$STATE/history"
    [ "$ok" = 1 ]
}

# Reports the drill to the push monitor in VERIFY_HEARTBEAT_URL, if set: $1 ok or fail, $2
# the body file, $3 the duration in ms. Never prints the URL (it is a secret).
heartbeat() {
    [ -n "\${VERIFY_HEARTBEAT_URL:-}" ] || return 0
    target=$(perl "$HELPER" target "$VERIFY_HEARTBEAT_URL" 2>&1) || { log "heartbeat not sent: $target"; return 0; }
    scheme=\${target%% *}
    rest=\${target#* }
    host=\${rest%% *}
    port=\${rest#* }
    request=$(mktemp)
    errors=$(mktemp)
    perl "$HELPER" heartbeat "$1" "$VERIFY_HEARTBEAT_URL" "$2" "$3" > "$request" || { rm -f "$request"; return 0; }
    for try in 1 2 3; do
        if [ "$scheme" = https ]; then
            # The certificate must name the host (an IPv4 address: its IP SAN, and no SNI).
            case $host in
            *[!0-9.]*) name="-servername $host -verify_hostname $host" ;;
            *) name="-verify_ip $host" ;;
            esac
            # shellcheck disable=SC2086 # $name is two flags and their values, without spaces
            answer=$(timeout ${HEARTBEAT_TIMEOUT_SECONDS} openssl s_client -quiet -connect "$host:$port" $name -verify_return_error < "$request" 2> "$errors" | head -n 1)
        else
            answer=$(timeout ${HEARTBEAT_TIMEOUT_SECONDS} perl "$HELPER" send "$host" "$port" < "$request" 2> "$errors" | head -n 1)
        fi
        case $answer in
        "HTTP/"*" 2"[0-9][0-9]*)
            log "heartbeat: $1 reported (\${answer%%[[:cntrl:]]*})"
            rm -f "$request" "$errors"
            return 0
            ;;
        esac
        [ "$try" -lt 3 ] && sleep "$HEARTBEAT_PAUSE"
    done
    log "heartbeat: $1 not reported after 3 tries: \${answer:-$(last_line "$(cat "$errors")")}"
    rm -f "$request" "$errors"
    return 0
}

# One drill of every database, under the lock; records the outcome, reports it.
drill() {
    mkdir -p "$STATE"
    until mkdir "$STATE/lock" 2>/dev/null; do
        holder=$(cat "$STATE/lock/pid" 2>/dev/null)
        if [ -n "$holder" ] && ! kill -0 "$holder" 2>/dev/null; then
            rm -rf "$STATE/lock"
            continue
        fi
        sleep 1
    done
    echo $$ > "$STATE/lock/pid"
    begun=$(now) begun_ms=$(now_ms)
    : > "$STATE/drill.text"
    : > "$STATE/drill.metrics"
    failed=0
    ${drills}
    took=$(($(now_ms) - begun_ms))
    if [ "$failed" = 0 ]; then verdict=passed; else verdict=FAILED; fi
    {
        echo "drill $verdict at $(iso "$begun") in $((took / 1000)).$(printf '%03d' $((took % 1000))) s"
        cat "$STATE/drill.text"
    } > "$STATE/last.tmp"
    mv "$STATE/last.tmp" "$STATE/last"
    {
        echo "# HELP litestream_backup_verify_last_result 1 when the last restore drill of the database passed, 0 when it failed."
        echo "# TYPE litestream_backup_verify_last_result gauge"
        echo "# HELP litestream_backup_verify_last_success_timestamp_seconds When a restore drill of the database last passed (Unix time; 0: never)."
        echo "# TYPE litestream_backup_verify_last_success_timestamp_seconds gauge"
        echo "# HELP litestream_backup_verify_last_duration_seconds How long the last restore drill of the database took."
        echo "# TYPE litestream_backup_verify_last_duration_seconds gauge"
        echo "# HELP litestream_backup_verify_last_bytes_read Bytes of replica files the last restore drill of the database read."
        echo "# TYPE litestream_backup_verify_last_bytes_read gauge"
        echo "# HELP litestream_backup_verify_last_restored_txid The TXID the last restore drill of the database restored (0: none)."
        echo "# TYPE litestream_backup_verify_last_restored_txid gauge"
        cat "$STATE/drill.metrics"
        echo "# HELP litestream_backup_verify_last_run_timestamp_seconds When the last restore drill started (Unix time)."
        echo "# TYPE litestream_backup_verify_last_run_timestamp_seconds gauge"
        echo "litestream_backup_verify_last_run_timestamp_seconds $begun"
    } > "$STATE/metrics.tmp"
    mv "$STATE/metrics.tmp" "$STATE/metrics"
    tail -n 1000 "$STATE/history" > "$STATE/history.tmp" && mv "$STATE/history.tmp" "$STATE/history"
    rm -rf "$STATE/lock"
    while IFS= read -r l; do log "$l"; done < "$STATE/last"
    if [ "$failed" = 0 ]; then heartbeat ok "$STATE/last" "$took"; else heartbeat fail "$STATE/last" "$took"; fi
    return "$failed"
}

case \${1:-} in
serve)
    rm -rf "$SCRATCH" "$STATE/lock"
    mkdir -p "$SCRATCH"
    pid=
    if [ -n "$METRICS_PORT" ]; then
        : > "$STATE/metrics"
        perl "$HELPER" metrics "$METRICS_PORT" "$STATE/metrics" &
        pid=$!
    fi
    trap 'rm -rf "$SCRATCH"; [ -n "$pid" ] && kill "$pid" 2>/dev/null; exit 0' TERM INT
    log "restore drills every \${INTERVAL}s\${METRICS_PORT:+, metrics on port $METRICS_PORT}"
    while :; do
        start=$(now)
        drill
        pause=$((start + INTERVAL - $(now)))
        [ "$pause" -lt 1 ] && pause=1
        sleep "$pause" &
        wait $!
    done
    ;;
once)
    drill
    ;;
status)
    if [ ! -f "$STATE/last" ]; then
        echo "no restore drill has finished yet"
        exit 0
    fi
    cat "$STATE/last"
    case $(head -n 1 "$STATE/last") in "drill passed"*) exit 0 ;; esac
    exit 1
    ;;
*)
    echo "usage: $0 serve | once | status" >&2
    exit 2
    ;;
esac
`;
}

/**
 * The verifier's health check: the outcome of its last drill, every 10 s, unhealthy at the
 * first failed drill (the script only reads a file, so a failure is never a flake). No start
 * period: before the first drill has finished the check passes ("no restore drill has
 * finished yet"), so a failed first drill shows at once instead of hiding in a start period.
 */
export function verifierHealthcheck(scriptPath: string): HealthcheckPlan {
    return {
        command: ["/bin/sh", scriptPath, "status"],
        intervalSeconds: 10,
        timeoutSeconds: 5,
        retries: 1,
        startPeriodSeconds: 0,
    };
}
