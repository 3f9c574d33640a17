/**
 * Request-cost model of Litestream 0.5 replicating to S3-compatible storage: how many requests
 * of each S3 operation one replicated database makes, from the replication timing, Litestream's
 * timers and the write pattern. Pure: no Pulumi, no I/O. Nothing here is fitted to a
 * measurement; every number comes from Litestream 0.5.16's source (cited by file) or from the
 * S3 API.
 *
 * What drives the requests (Litestream 0.5.16), each a source below:
 *
 * - L0 uploads. `db.go` `monitor`: every monitor interval (`monitor-interval`, default 1 s) the
 *   WAL changes since the last tick become one level-0 (L0) LTX file, written locally. A
 *   checkpoint (PASSIVE once the WAL holds `min-checkpoint-page-count` frames, default 1,000,
 *   or at the first tick more than `checkpoint-interval`, default 1 min, after the last one,
 *   once changes were synced) writes Litestream's `_litestream_seq` row and adds one more L0
 *   file. `replica.go` `monitor`: every sync interval, each L0 file not yet uploaded is one
 *   PutObject; an idle replica waits for the next change and uploads it at once.
 * - Compaction. `store.go` `monitorCompactionLevel`, clock-aligned (`Truncate`), one monitor a
 *   level of `levels` (default 30 s, 5 min, 1 h): the files of the level below are merged into
 *   one file of this level (`compactor.go` `Compact`: one LIST of the source level, a GET of
 *   each source file except L0, which is read locally, one upload). The LIST is made whenever
 *   the source level is ahead of the oldest TXID of the newest file of this level
 *   (`Store.CompactDB`), so a level whose newest file spans several TXIDs lists the level below
 *   at every tick even when nothing is left to compact (a database that stopped being written).
 * - L0 retention. `db.go` `EnforceL0RetentionByTime`, every `l0-retention-check-interval`
 *   (default 15 s) and after each L1 compaction: a LIST of all of L1, a LIST of L0, and one
 *   DeleteObjects for the L0 files older than `l0-retention` (default 5 min) already in L1.
 * - Snapshots. Every snapshot interval (clock-aligned): a full snapshot (level 9) when the
 *   database changed, then snapshot retention, which lists L9 and every level and deletes what
 *   is older than the newest expired snapshot (`EnforceSnapshotRetention`,
 *   `EnforceRetentionByTXID`).
 *
 * `s3/replica_client.go`: every listing is ListObjectsV2 pages of 1,000 keys over the whole level
 * prefix; deletes are DeleteObjects batches of 1,000; an upload below the 5 MiB part size is
 * one PutObject, a larger one a multipart upload (create, one UploadPart a 5 MiB, complete).
 *
 * Consequences the model makes explicit: L1 to Ln files are kept as long as the snapshots
 * (retention plus one to two snapshot intervals), and every L1 listing reads all of them, so the
 * number of LIST pages grows with retention and shrinks with the L1 interval; and an idle
 * database still lists on every timer that has something to look at.
 *
 * Adding a source (for example a periodic restore check): a function of {@link ModelState}
 * in {@link REQUEST_SOURCES} for the steady state, its inputs on {@link CostModelInput}, and its
 * timer as an event kind in {@link simulateWindow}.
 */
import { parseGoDuration, SECOND_NS } from "./duration";
import { Timing } from "./timing";

/** Litestream's timers, in seconds, as the model reads them. */
export interface LitestreamTimerSeconds {
    /** `monitor-interval`: one L0 file per tick that saw changes. */
    monitorIntervalSeconds: number;
    /** `checkpoint-interval`: time-based checkpoint once changes were synced. */
    checkpointIntervalSeconds: number;
    /** `min-checkpoint-page-count`: PASSIVE checkpoint once the WAL holds this many frames. */
    minCheckpointPageN: number;
    /** `levels[].interval`: L1..Ln compaction intervals (clock-aligned). */
    compactionIntervalsSeconds: readonly number[];
    /** `l0-retention`: L0 files are kept this long after upload. */
    l0RetentionSeconds: number;
    /** `l0-retention-check-interval`: how often L0 retention runs (counted from the start). */
    l0RetentionCheckIntervalSeconds: number;
}

/** Litestream 0.5.16's defaults of the timers, with where they are defined. */
export const LITESTREAM_DEFAULT_TIMERS: LitestreamTimerSeconds = {
    /** `db.go` DefaultMonitorInterval. */
    monitorIntervalSeconds: 1,
    /** `db.go` DefaultCheckpointInterval. */
    checkpointIntervalSeconds: 60,
    /** `db.go` DefaultMinCheckpointPageN. */
    minCheckpointPageN: 1000,
    /** `compaction_level.go` DefaultCompactionLevels. */
    compactionIntervalsSeconds: [30, 300, 3600],
    /** `store.go` DefaultL0Retention. */
    l0RetentionSeconds: 300,
    /** `store.go` DefaultL0RetentionCheckInterval. */
    l0RetentionCheckIntervalSeconds: 15,
};

/** S3 limits the request counts depend on. */
export const S3_LIMITS = {
    /** S3 ListObjectsV2 default MaxKeys: keys a LIST page returns. */
    listPageSize: 1000,
    /** `s3/replica_client.go` MaxKeys: keys a DeleteObjects request deletes. */
    deleteBatchSize: 1000,
    /** `s3/replica_client.go` with the SDK's manager.DefaultUploadPartSize: multipart above this. */
    multipartPartBytes: 5 * 1024 * 1024,
} as const;

/**
 * `store.go` DefaultDBInitTimeout: compaction monitors retry a database that is not open yet
 * every second for this long, then wait for their next tick.
 */
const DB_INIT_TIMEOUT_SECONDS = 30;

/** WAL frames Litestream itself writes when it opens a database (its two tables). */
const OPEN_WAL_FRAMES = 4;

/** The snapshot level's number (`compaction_level.go` SnapshotLevel). */
const SNAPSHOT_LEVEL = 9;

/** The S3 operations Litestream 0.5 makes while replicating, as the S3 API names them. */
export const S3_OPERATIONS = [
    "PutObject",
    "CreateMultipartUpload",
    "UploadPart",
    "CompleteMultipartUpload",
    "GetObject",
    "ListObjectsV2",
    "DeleteObjects",
] as const;
export type S3Operation = (typeof S3_OPERATIONS)[number];

/** A number of requests (or a rate) for each operation. */
export type RequestCounts = Record<S3Operation, number>;

/** All operations at zero. */
export function zeroCounts(): RequestCounts {
    return Object.fromEntries(S3_OPERATIONS.map((op) => [op, 0])) as RequestCounts;
}

/** Sum of all operations. */
export function totalRequests(counts: RequestCounts): number {
    return S3_OPERATIONS.reduce((sum, op) => sum + counts[op], 0);
}

/** `counts` times `factor`, operation by operation. */
export function scaleCounts(counts: RequestCounts, factor: number): RequestCounts {
    return Object.fromEntries(
        S3_OPERATIONS.map((op) => [op, counts[op] * factor]),
    ) as RequestCounts;
}

/** How the app writes one database: commits evenly spaced in time. */
export interface WritePattern {
    /** Committed transactions a second; 0 for a database that is not written. */
    commitsPerSecond: number;
    /**
     * WAL frames (pages) each commit appends. An insert of a small row into a rowid table
     * appends its leaf page, plus the parent and page 1 whenever the leaf fills:
     * `1 + 2 / rowsPerPage`.
     */
    walFramesPerCommit: number;
    /**
     * LTX bytes a second of writes produces, to size the compacted files (LTX pages are
     * LZ4-compressed). Leave it out when every file stays under the 5 MiB part size.
     */
    ltxBytesPerSecond?: number;
}

/** What the model needs: the replication timing of one database and how it is written. */
export interface CostModelInput {
    syncIntervalSeconds: number;
    snapshotIntervalSeconds: number;
    /** Snapshot retention (`snapshot.retention`), which also bounds L1 to Ln. */
    retentionSeconds: number;
    /** False when Litestream's own deletion is off (append-only storage): no DeleteObjects. */
    retentionEnabled?: boolean;
    /** Litestream's timers; each one left out is Litestream's default. */
    timers?: Partial<LitestreamTimerSeconds>;
    writes: WritePattern;
    /**
     * For a database with no commits: its levels hold files from earlier writes, the newest
     * of each spanning several TXIDs (the usual state once writes stop), so every compaction
     * tick lists the level below. Default false: nothing is listed by the compaction monitors
     * (a database whose newest file at each level is a single TXID).
     */
    idleAfterWrites?: boolean;
    /** Databases replicated with these settings; default 1. */
    databases?: number;
    /** Size of a snapshot upload in bytes; leave it out when it stays under 5 MiB. */
    snapshotBytes?: number;
    /**
     * Other objects under a level's prefix, by level number (0 to 8, 9 for snapshots), that
     * sort after Litestream's files (leftovers, fillers): listings read them too.
     */
    otherKeys?: Partial<Record<number, number>>;
    /**
     * Age of the replica in seconds, for the listing sizes. Default: steady state, once the
     * oldest snapshot has expired and L1 to Ln stop growing.
     */
    replicaAgeSeconds?: number;
}

/** The sources of requests, as {@link RequestRates.bySource} names them. */
export type RequestSourceName = "l0Uploads" | "compaction" | "l0Retention" | "snapshots";

/** Rates per second of one database, and the intermediate quantities, for reports and tests. */
export interface RequestRates {
    /** Requests a second, all databases together. */
    perSecond: RequestCounts;
    /** The same, by source. */
    bySource: Record<RequestSourceName, RequestCounts>;
    /** L0 files created a second (change ticks plus checkpoints), one database. */
    l0FilesPerSecond: number;
    /** Checkpoints a second, one database. */
    checkpointsPerSecond: number;
    /** Upload bursts (syncs that upload something) a second, one database. */
    uploadsPerSecond: number;
    /** New files a second at each level (index = level, 1..n) and snapshots, one database. */
    compactedFilesPerSecond: { levels: number[]; snapshot: number };
    /** Files kept at each level (index = level) and snapshots at the replica age, one database. */
    filesKept: { levels: number[]; snapshot: number };
}

const P = S3_LIMITS;

/** LIST requests to read `files` keys of one prefix (an empty prefix is still one request). */
export function listPages(files: number): number {
    return Math.max(1, Math.ceil(files / P.listPageSize));
}

/** The requests one upload of `bytes` makes (unknown size: under the part size). */
export function uploadRequests(bytes: number | undefined): Partial<RequestCounts> {
    if (bytes === undefined || bytes < P.multipartPartBytes) return { PutObject: 1 };
    return {
        CreateMultipartUpload: 1,
        UploadPart: Math.ceil(bytes / P.multipartPartBytes),
        CompleteMultipartUpload: 1,
    };
}

function add(into: RequestCounts, what: Partial<RequestCounts>, times = 1): void {
    for (const op of S3_OPERATIONS) into[op] += (what[op] ?? 0) * times;
}

/** The timers of an input, Litestream's defaults where it gives none. */
export function timersOf(input: Pick<CostModelInput, "timers">): LitestreamTimerSeconds {
    return { ...LITESTREAM_DEFAULT_TIMERS, ...input.timers };
}

/**
 * L0 files and checkpoints a second for a write pattern (`db.go` monitor and
 * checkpointIfNeeded), with Litestream's default timers unless given.
 */
export function l0FileRate(
    writes: WritePattern,
    timers: Partial<LitestreamTimerSeconds> = {},
): { changeTicksPerSecond: number; checkpointsPerSecond: number } {
    const T = timersOf({ timers });
    const M = T.monitorIntervalSeconds;
    const r = Math.max(0, writes.commitsPerSecond);
    if (r === 0) return { changeTicksPerSecond: 0, checkpointsPerSecond: 0 };
    // Evenly spaced commits: every tick has changes when there is at least one commit a tick.
    const changeTicks = Math.min(r, 1 / M);
    const spacing = 1 / changeTicks;
    const framesPerChangeTick = (r * writes.walFramesPerCommit) / changeTicks;
    // PASSIVE checkpoint at the first tick whose WAL reached the threshold; the WAL restarts
    // with the one frame of Litestream's `_litestream_seq` row...
    const byFrames =
        framesPerChangeTick > 0
            ? Math.ceil((T.minCheckpointPageN - 1) / framesPerChangeTick) * spacing
            : Infinity;
    // ...or at the first tick more than the checkpoint interval after the last one, once
    // changes were synced: a commit rarer than that is checkpointed on the tick that cuts it.
    const CI = T.checkpointIntervalSeconds;
    const byTime = spacing > CI ? spacing : (Math.floor(CI / M) + 1) * M;
    return {
        changeTicksPerSecond: changeTicks,
        checkpointsPerSecond: 1 / Math.min(byFrames, byTime),
    };
}

/** Seconds of history L1 to Ln keep in steady state (`EnforceSnapshotRetention`). */
export function keptHistorySeconds(
    snapshotIntervalSeconds: number,
    retentionSeconds: number,
): number {
    // At a snapshot tick, the newest snapshot created before now - retention is deleted and
    // everything below its TXID with it: the levels keep `m` whole snapshot intervals then,
    // one more just before the next tick; on average half of one more.
    const m = Math.floor(retentionSeconds / snapshotIntervalSeconds) + 1;
    return m * snapshotIntervalSeconds + snapshotIntervalSeconds / 2;
}

/** Everything the steady-state sources read, for one database. */
export interface ModelState {
    input: CostModelInput;
    timers: LitestreamTimerSeconds;
    /** L0 files, change ticks and checkpoints a second. */
    f: number;
    ticks: number;
    checkpoints: number;
    /** Upload bursts a second. */
    u: number;
    /** Compacted files a second, by level (index 0 is unused). */
    a: number[];
    /** Snapshots a second. */
    a9: number;
    /** Files kept, by level (index 0 is unused), and snapshots kept. */
    kept: number[];
    keptSnapshot: number;
    /** LIST pages of a level (0 for L0 as an L1 tick sees it, 9 for snapshots). */
    pages: (level: number) => number;
    /** Uploads come at least once between two L0 retention runs. */
    frequent: boolean;
    /** L0 files a burst (one sync's uploads). */
    burst: number;
    /** Old snapshots and files are being deleted (the replica is older than its retention). */
    deleting: boolean;
    retentionEnabled: boolean;
    /** The compaction monitors list at every tick. */
    listsLevels: boolean;
}

/** One source of requests: its rate a second for one database. */
export interface RequestSource {
    name: RequestSourceName;
    perSecond: (s: ModelState) => Partial<RequestCounts>;
}

/** Every L0 file is one PutObject (L0 files are small). */
const l0Uploads: RequestSource = {
    name: "l0Uploads",
    perSecond: (s) => ({ PutObject: s.f }),
};

/** Compactions: the uploaded file, the reads of the source files, the listings. */
const compaction: RequestSource = {
    name: "compaction",
    perSecond: (s) => {
        const out = zeroCounts();
        const I = s.timers.compactionIntervalsSeconds;
        const bps = s.input.writes.ltxBytesPerSecond;
        const size = (perSecond: number) =>
            bps === undefined || perSecond === 0 ? undefined : bps / perSecond;
        for (let k = 1; k <= I.length; k++) {
            add(out, uploadRequests(size(s.a[k])), s.a[k]);
            // Each file of this level is read once by the level above (L0 is read locally).
            if (k < I.length) add(out, { GetObject: s.a[k] });
            // Every tick lists the level below (a real compaction or an attempt).
            if (s.listsLevels) add(out, { ListObjectsV2: s.pages(k - 1) / I[k - 1] });
        }
        return out;
    },
};

/** L0 retention: every check interval and after each L1 compaction. */
const l0Retention: RequestSource = {
    name: "l0Retention",
    perSecond: (s) => {
        const out = zeroCounts();
        const I1 = s.timers.compactionIntervalsSeconds[0];
        const C = s.timers.l0RetentionCheckIntervalSeconds;
        // Lists L1, then L0 up to the first file too recent to delete (L1 exists from the first
        // compaction of the initial file on).
        add(out, { ListObjectsV2: (1 / C + s.a[1]) * (s.pages(1) + 1) });
        if (s.ticks === 0 || !s.retentionEnabled) return out;
        if (s.frequent) {
            // A run deletes when an upload fell in the gap since the previous run (shifted by
            // the retention). The runs are two periodic series, L1 compactions and the timer;
            // each run of the sparser one splits a gap of the denser one into m and g - m
            // (m uniform in 0..g), and a gap of L holds an upload with probability min(1, L u).
            const g = Math.min(I1, C);
            const G = Math.max(I1, C);
            const split = g * s.u >= 1 ? 1 - 1 / (2 * g * s.u) : (g * s.u) / 2;
            add(out, { DeleteObjects: (1 / g - 1 / G) * Math.min(1, g * s.u) + (2 / G) * split });
        } else {
            // One run a burst deletes it, reading and deleting it in pages of 1,000.
            add(out, {
                DeleteObjects: s.u * listPages(s.burst),
                ListObjectsV2: s.u * (listPages(s.burst) - 1),
            });
        }
        return out;
    },
};

/** Snapshot ticks: the snapshot, retention's listings of every level, and its deletes. */
const snapshots: RequestSource = {
    name: "snapshots",
    perSecond: (s) => {
        const out = zeroCounts();
        const S9 = s.input.snapshotIntervalSeconds;
        const n = s.timers.compactionIntervalsSeconds.length;
        add(out, uploadRequests(s.input.snapshotBytes), s.a9);
        let pages = s.pages(SNAPSHOT_LEVEL);
        for (let k = 1; k <= n; k++) pages += s.pages(k);
        add(out, { ListObjectsV2: pages / S9 });
        if (s.deleting) {
            // Once snapshots expire: one a tick, and the files of L1 to Ln older than it.
            const batches = (perSecond: number) => {
                const perTick = perSecond * S9;
                return perTick >= 1 ? listPages(perTick) / S9 : perSecond;
            };
            let deletes = s.a9;
            for (let k = 1; k <= n; k++) deletes += batches(s.a[k]);
            add(out, { DeleteObjects: deletes });
        }
        return out;
    },
};

/** The sources the steady-state rates add up. */
export const REQUEST_SOURCES: readonly RequestSource[] = [
    l0Uploads,
    compaction,
    l0Retention,
    snapshots,
];

/** The intermediate quantities of the steady state, one database. */
export function modelState(input: CostModelInput): ModelState {
    const timers = timersOf(input);
    const retentionEnabled = input.retentionEnabled ?? true;
    const S = input.syncIntervalSeconds;
    const S9 = input.snapshotIntervalSeconds;
    const I = timers.compactionIntervalsSeconds;
    const { changeTicksPerSecond: ticks, checkpointsPerSecond: checkpoints } = l0FileRate(
        input.writes,
        timers,
    );
    const f = ticks + checkpoints;
    const written = ticks > 0;

    // Upload bursts: every sync tick when changes come at least once a sync interval; otherwise
    // the waiting replica uploads each change as soon as it is cut.
    const u = ticks >= 1 / S ? 1 / S : ticks;
    // A compaction tick compacts when the level below got a new file since the last tick.
    const a = [u];
    for (let k = 1; k <= I.length; k++) a.push(Math.min(1, I[k - 1] * a[k - 1]) / I[k - 1]);
    const a9 = written ? Math.min(1 / S9, ticks) : 0;

    const steady = keptHistorySeconds(S9, input.retentionSeconds);
    const age = input.replicaAgeSeconds ?? Infinity;
    const history = retentionEnabled ? Math.min(age, steady) : age;
    if (!Number.isFinite(history)) {
        throw new Error("replicaAgeSeconds is required when retention is disabled");
    }
    const kept = a.map((rate, k) => (k === 0 ? 0 : rate * history));
    const keptSnapshot = a9 * Math.min(history, input.retentionSeconds + S9 / 2);

    // Remote L0 files: an upload stays listed for the retention plus the wait for the next
    // retention run; frequent uploads keep that much of them, a burst every sync interval is
    // listed in full until it expires, then one file is left (the newest is kept).
    const I1 = I[0];
    const C = timers.l0RetentionCheckIntervalSeconds;
    const frequent = u * Math.min(I1, C) >= 1;
    const window = timers.l0RetentionSeconds + Math.min(I1, C) / 2;
    const burst = u > 0 ? f / u : 0;
    const burstShare = Math.min(1, u * window);
    const other = (level: number) => input.otherKeys?.[level] ?? 0;
    const l0Pages = frequent
        ? listPages(f * window + other(0))
        : burstShare * listPages(burst + other(0)) + (1 - burstShare) * listPages(1 + other(0));
    const pages = (level: number) =>
        level === 0
            ? l0Pages
            : listPages((level === SNAPSHOT_LEVEL ? keptSnapshot : kept[level]) + other(level));

    return {
        input,
        timers,
        f,
        ticks,
        checkpoints,
        u,
        a,
        a9,
        kept,
        keptSnapshot,
        pages,
        frequent,
        burst,
        deleting: retentionEnabled && history >= steady - S9 / 2,
        retentionEnabled,
        listsLevels: written || input.idleAfterWrites === true,
    };
}

/**
 * Steady-state request rates: what a replica makes a second, on average, for the given timing
 * and write pattern, all databases together, in total and by source.
 */
export function requestRates(input: CostModelInput): RequestRates {
    const databases = input.databases ?? 1;
    const state = modelState(input);
    const perSecond = zeroCounts();
    const bySource = {} as Record<RequestSourceName, RequestCounts>;
    for (const source of REQUEST_SOURCES) {
        const counts = zeroCounts();
        add(counts, source.perSecond(state));
        bySource[source.name] = scaleCounts(counts, databases);
        add(perSecond, bySource[source.name]);
    }
    return {
        perSecond,
        bySource,
        l0FilesPerSecond: state.f,
        checkpointsPerSecond: state.checkpoints,
        uploadsPerSecond: state.u,
        compactedFilesPerSecond: { levels: [0, ...state.a.slice(1)], snapshot: state.a9 },
        filesKept: { levels: state.kept, snapshot: state.keptSnapshot },
    };
}

/** Seconds in the month the prices are quoted for (R2 bills storage over 30 days). */
export const MONTH_SECONDS = 30 * 24 * 3600;

/** Requests a month in steady state, all databases together. */
export function requestsPerMonth(
    input: CostModelInput,
    monthSeconds = MONTH_SECONDS,
): RequestCounts {
    return scaleCounts(requestRates(input).perSecond, monthSeconds);
}

/**
 * Files a restore of the latest state reads (`replica.go` `CalcRestorePlan`: the latest
 * snapshot, then the file of any level that reaches furthest, level by level), worst case (just
 * before the clock-aligned ticks of every level and of the snapshot fall together) and on
 * average over the snapshot cycle. The L0 files read are those uploaded since the last L1
 * compaction. Each file is one GET, made one after the other (the LTX decoder opens its
 * inputs in turn), so on a network each costs a round trip.
 */
export function restoreFiles(input: CostModelInput): { worst: number; mean: number } {
    const s = modelState(input);
    const I = s.timers.compactionIntervalsSeconds;
    const S9 = input.snapshotIntervalSeconds;
    let worst = 1;
    let mean = 1;
    const count = (files: number) => {
        worst += files;
        mean += files / 2;
    };
    count(Math.max(0, Math.ceil(S9 / I[I.length - 1]) - 1));
    for (let k = 1; k < I.length; k++) count(Math.max(0, Math.ceil(I[k] / I[k - 1]) - 1));
    // L0 files uploaded since the last L1 compaction: the syncs of one L1 interval, each
    // shipping a sync interval of files (a sync interval longer than L1's still ships one).
    const S = input.syncIntervalSeconds;
    const tail = Math.ceil(I[0] / S - 1e-9) * S * s.f;
    worst += tail;
    mean += tail / 2;
    return { worst, mean };
}

/** A Go duration as seconds; throws on anything else. */
export function durationSeconds(text: string): number {
    const ns = parseGoDuration(text);
    if (ns === undefined) throw new Error(`not a Go duration: ${JSON.stringify(text)}`);
    return ns / SECOND_NS;
}

/** Litestream's timers as the rendered config sets them (defaults where it sets none). */
export function timersFromTiming(timing: Timing): LitestreamTimerSeconds {
    const t = timing.timers;
    if (t === undefined) return { ...LITESTREAM_DEFAULT_TIMERS };
    return {
        ...LITESTREAM_DEFAULT_TIMERS,
        monitorIntervalSeconds: durationSeconds(t.monitorInterval),
        checkpointIntervalSeconds: durationSeconds(t.checkpointInterval),
        compactionIntervalsSeconds: t.levels.map(durationSeconds),
        l0RetentionCheckIntervalSeconds: durationSeconds(t.l0RetentionCheckInterval),
    };
}

/** Model input from the component's timing (a preset or explicit intervals). */
export function costInputFromTiming(
    timing: Timing,
    writes: WritePattern,
    options: Omit<
        CostModelInput,
        "syncIntervalSeconds" | "snapshotIntervalSeconds" | "retentionSeconds" | "writes" | "timers"
    > = {},
): CostModelInput {
    return {
        syncIntervalSeconds: durationSeconds(timing.syncInterval),
        snapshotIntervalSeconds: durationSeconds(timing.snapshotInterval),
        retentionSeconds: durationSeconds(timing.retention),
        timers: timersFromTiming(timing),
        writes,
        ...options,
    };
}

// --- A window of a real run -----------------------------------------------------------------

/** Where a window lies: Litestream's start and the window, as epoch seconds. */
export interface RunWindow {
    /** When `litestream replicate` started (its tickers count from here). */
    startSeconds: number;
    /** Requests made after `fromSeconds` and up to `toSeconds` are counted. */
    fromSeconds: number;
    toSeconds: number;
    /** When the writes began (default: at the start); the database exists before the start. */
    writesFromSeconds?: number;
    /** When the writes stopped (default: never); the app keeps the database open. */
    writesUntilSeconds?: number;
    /**
     * When the database file was last written (its mtime, which Litestream's time-based
     * checkpoint compares against); default: when the writes began.
     */
    databaseModifiedSeconds?: number;
}

/** What the schedule makes in a window, one database. */
export interface WindowEstimate {
    requests: RequestCounts;
    /** L0 files Litestream cut in the window (TXIDs), uploaded or not. */
    l0FilesCreated: number;
    /** L0 files uploaded in the window. */
    l0FilesUploaded: number;
}

/** How much later than its tick an upload completes: a tie-break, not a latency. */
const UPLOAD_SETTLES_SECONDS = 0.001;

/**
 * An object's LastModified as a listing reports it: whole seconds (S3's ListObjectsV2, and
 * versitygw), so a file looks up to a second older than it is, and L0 retention, which
 * compares it with now minus the retention, deletes it up to a second early.
 */
function lastModified(uploadedAt: number): number {
    return Math.floor(uploadedAt + UPLOAD_SETTLES_SECONDS);
}

interface LtxFile {
    min: number;
    max: number;
    at: number;
    /** Cut by a tick that also checkpointed (its sync ends later than a plain cut's). */
    slow?: boolean;
}

/**
 * The requests of one database in a window of a run that started from an empty replica: the
 * same rules as `requestRates`, applied to the actual timer ticks of that window instead of
 * their averages (compaction and snapshot ticks are aligned to the clock, the monitor ticker
 * and L0 retention count from the start, the sync ticker from the first monitor tick, when the
 * replica starts). Used to put the model beside a measured window.
 */
export function simulateWindow(input: CostModelInput, run: RunWindow): WindowEstimate {
    const T = timersOf(input);
    const S = input.syncIntervalSeconds;
    const S9 = input.snapshotIntervalSeconds;
    const R = input.retentionSeconds;
    const retentionEnabled = input.retentionEnabled ?? true;
    const M = T.monitorIntervalSeconds;
    const I = T.compactionIntervalsSeconds;
    const n = I.length;
    const r = Math.max(0, input.writes.commitsPerSecond);
    const start = run.startSeconds;
    const writesFrom = run.writesFromSeconds ?? start;
    const writesUntil = run.writesUntilSeconds ?? Infinity;
    const end = run.toSeconds;
    const readyAt = start + M;

    const otherAt = (level: number) => input.otherKeys?.[level] ?? 0;
    const counts = zeroCounts();
    let created = 0;
    let uploaded = 0;
    const inWindow = (t: number) => t > run.fromSeconds && t <= run.toSeconds;
    const count = (t: number, what: Partial<RequestCounts>, times = 1) => {
        if (inWindow(t)) add(counts, what, times);
    };

    // Events: [time, order, kind, level]; order breaks ties (the WAL is cut before anything
    // reads it; at a shared boundary the monitors race, and the higher levels were seen to
    // finish first).
    type Kind = "db" | "monitor" | "initialUpload" | "sync" | "l0retention";
    const events: [number, number, Kind, number][] = [];
    const push = (t: number, order: number, kind: Kind, level = 0) => {
        if (t <= end) events.push([t, order, kind, level]);
    };
    for (let k = 1; start + k * M <= end; k++) push(start + k * M, 0, "db");
    // Each compaction monitor (and the snapshot monitor) tries at once, retries a database
    // that is not open yet every second for 30 s, then waits for its next clock-aligned tick.
    const monitorOrder = (level: number) => (level === SNAPSHOT_LEVEL ? 1 : 2 + n - level);
    for (const level of [SNAPSHOT_LEVEL, ...I.map((_, i) => i + 1)]) {
        const period = level === SNAPSHOT_LEVEL ? S9 : I[level - 1];
        const next = (t: number) => (Math.floor(t / period + 1e-9) + 1) * period;
        let t = start;
        let deadline: number | undefined;
        while (t <= end) {
            if (t >= readyAt) {
                push(t, monitorOrder(level), "monitor", level);
                deadline = undefined;
                t = next(t);
                continue;
            }
            // Not open yet: the snapshot monitor still enforces retention (it lists).
            if (level === SNAPSHOT_LEVEL) push(t, monitorOrder(level), "monitor", -1);
            // Retries drift a little later each time, so the one at the deadline times out.
            if (deadline === undefined || t < deadline - 1e-9) {
                deadline ??= t + DB_INIT_TIMEOUT_SECONDS;
                t += 1;
            } else {
                deadline = undefined;
                t = next(t);
            }
        }
    }
    // The replica starts inside the first monitor tick: it uploads what that tick cut (after
    // any monitor that retried at the same moment), then syncs on its own ticker.
    push(readyAt, 2 + n + 1, "initialUpload");
    for (let k = 1; readyAt + k * S <= end; k++) push(readyAt + k * S, 2 + n + 2, "sync");
    const C = T.l0RetentionCheckIntervalSeconds;
    for (let k = 1; start + k * C <= end; k++) push(start + k * C, 2 + n + 3, "l0retention");
    events.sort((x, y) => x[0] - y[0] || x[1] - y[1]);

    let txid = 0;
    let pending: LtxFile[] = [];
    const remote: LtxFile[][] = Array.from({ length: n + 1 }, () => []);
    const snapshots: LtxFile[] = [];
    const cached = new Set<number>([0]);
    // The replica's loop: "A" waits for its ticker; "B" (nothing was new at the last tick)
    // waits for the ticker or a change, whichever comes first.
    let replica: "A" | "B" = "A";
    let frames = OPEN_WAL_FRAMES;
    let lastCheckpoint = run.databaseModifiedSeconds ?? writesFrom;
    let syncedSinceCheckpoint = false;
    let firstTick = true;

    const commitsUpTo = (t: number) =>
        r === 0 || t < writesFrom ? 0 : Math.floor((Math.min(t, writesUntil) - writesFrom) * r) + 1;
    const cut = (t: number, slow = false) => {
        txid++;
        pending.push({ min: txid, max: txid, at: t, slow });
        if (inWindow(t)) created++;
    };
    const upload = (t: number, files = pending) => {
        for (const file of files) {
            remote[0].push({ min: file.min, max: file.max, at: lastModified(t) });
            count(t, { PutObject: 1 });
            if (inWindow(t)) uploaded++;
        }
        pending = pending.filter((f) => !files.includes(f));
    };
    const newest = (files: LtxFile[]) => files[files.length - 1];
    const deleteFiles = (
        t: number,
        files: LtxFile[],
        drop: (f: LtxFile) => boolean,
        keepLast: boolean,
    ) => {
        const last = newest(files);
        const gone = files.filter((f) => drop(f) && !(keepLast && f === last));
        if (gone.length > 0 && retentionEnabled) {
            count(t, { DeleteObjects: Math.ceil(gone.length / P.deleteBatchSize) });
            const set = new Set(gone);
            const left = files.filter((f) => !set.has(f));
            files.length = 0;
            files.push(...left);
        }
    };
    const l0Retention = (t: number) => {
        count(t, { ListObjectsV2: listPages(remote[1].length + otherAt(1)) });
        if (remote[1].length === 0) return;
        const maxL1 = newest(remote[1]).max;
        const l0 = remote[0];
        const firstRecent = l0.findIndex((f) => f.at > t - T.l0RetentionSeconds);
        const scanned = firstRecent < 0 ? l0.length : firstRecent + 1;
        count(t, { ListObjectsV2: listPages(scanned) });
        const old = firstRecent < 0 ? l0.slice() : l0.slice(0, firstRecent);
        const gone = old.filter((f) => f.max <= maxL1);
        // The newest file is kept when every file was old enough.
        if (firstRecent < 0 && gone.length > 0 && gone[gone.length - 1] === newest(l0)) gone.pop();
        if (gone.length > 0 && retentionEnabled) {
            count(t, { DeleteObjects: Math.ceil(gone.length / P.deleteBatchSize) });
            const set = new Set(gone);
            remote[0] = l0.filter((f) => !set.has(f));
        }
    };
    // The first look at a level reads its newest file from the bucket; later ones are cached.
    const lookUp = (t: number, level: number, files: LtxFile[]) => {
        if (cached.has(level)) return;
        count(t, { ListObjectsV2: listPages(files.length + otherAt(level)) });
        cached.add(level);
    };
    const compact = (t: number, level: number) => {
        const dst = remote[level];
        lookUp(t, level, dst);
        if (level > 1) lookUp(t, level - 1, remote[level - 1]);
        const srcMax = level === 1 ? txid : (newest(remote[level - 1])?.max ?? 0);
        if (srcMax <= (newest(dst)?.min ?? 0)) return;
        const src = remote[level - 1];
        count(t, { ListObjectsV2: listPages(src.length + otherAt(level - 1)) });
        const seek = (newest(dst)?.max ?? 0) + 1;
        const inputs = src.filter((f) => f.min >= seek);
        if (inputs.length === 0) return;
        if (level > 1) count(t, { GetObject: inputs.length });
        count(t, { PutObject: 1 });
        dst.push({ min: inputs[0].min, max: inputs[inputs.length - 1].max, at: lastModified(t) });
        cached.add(level);
        if (level === 1) l0Retention(t);
    };
    const enforceSnapshotRetention = (t: number) => {
        count(t, { ListObjectsV2: listPages(snapshots.length + otherAt(SNAPSHOT_LEVEL)) });
        const expired = snapshots.filter((s) => s.at < t - R);
        const newestExpired = expired.filter((s) => s !== newest(snapshots)).pop();
        deleteFiles(t, snapshots, (s) => s.at < t - R, true);
        const minTxid = newestExpired?.max ?? 0;
        for (let level = 1; level <= n; level++) {
            count(t, { ListObjectsV2: listPages(remote[level].length + otherAt(level)) });
            deleteFiles(t, remote[level], (f) => f.max < minTxid, true);
        }
    };
    const snapshot = (t: number) => {
        lookUp(t, SNAPSHOT_LEVEL, snapshots);
        if (txid > (newest(snapshots)?.max ?? 0)) {
            count(t, uploadRequests(input.snapshotBytes));
            snapshots.push({ min: 1, max: txid, at: lastModified(t) });
        }
        enforceSnapshotRetention(t);
    };

    for (const [t, , kind, level] of events) {
        switch (kind) {
            case "db": {
                const commits = commitsUpTo(t) - commitsUpTo(t - M);
                let changed = false;
                if (firstTick || commits > 0) {
                    // The first tick cuts the whole database; later ticks the new WAL frames.
                    cut(t);
                    frames += commits * input.writes.walFramesPerCommit;
                    syncedSinceCheckpoint = true;
                    changed = true;
                }
                const byFrames = frames >= T.minCheckpointPageN;
                const byTime =
                    syncedSinceCheckpoint &&
                    t - lastCheckpoint > T.checkpointIntervalSeconds &&
                    frames > 1;
                let slow = false;
                if (byFrames || byTime) {
                    // The checkpoint writes `_litestream_seq` into the restarted WAL: one more file.
                    cut(t, true);
                    slow = true;
                    frames = 1;
                    lastCheckpoint = t;
                    syncedSinceCheckpoint = false;
                    for (const f of pending) if (f.at === t) f.slow = true;
                }
                // A replica waiting for a change is woken by the cut's notification, unless its
                // ticker (a few ms after the monitor's) fires first: a tick that checkpointed
                // ends later, and its files wait for the next sync.
                if (!firstTick && replica === "B" && changed && !slow) {
                    upload(t);
                    replica = "A";
                }
                firstTick = false;
                break;
            }
            case "monitor":
                if (level === -1) {
                    for (let k = 0; k <= n; k++) count(t, { ListObjectsV2: 1 });
                } else if (level === SNAPSHOT_LEVEL) snapshot(t);
                else compact(t, level);
                break;
            case "initialUpload":
                // The replica's first sync reads its position from the bucket first.
                count(t, { ListObjectsV2: listPages(remote[0].length + otherAt(0)) });
                upload(t);
                replica = "A";
                break;
            case "sync": {
                // A tick that checkpointed at this instant is still running when the ticker
                // fires (a few ms after the monitor's): with older files waiting, the replica
                // ships those at once and this tick's wait for the next sync; with only this
                // tick's files, it waits for their notification and ships them.
                const ready = pending.filter((f) => !(f.slow && f.at === t));
                if (replica === "A") {
                    if (ready.length > 0) upload(t, ready);
                    else if (pending.length > 0) upload(t);
                    else replica = "B";
                } else {
                    upload(t, ready);
                    replica = "A";
                }
                break;
            }
            case "l0retention":
                l0Retention(t);
                break;
        }
    }
    const databases = input.databases ?? 1;
    return {
        requests: scaleCounts(counts, databases),
        l0FilesCreated: created * databases,
        l0FilesUploaded: uploaded * databases,
    };
}

// --- Prices ----------------------------------------------------------------------------------

/** One billing class of a provider's request prices. */
export interface RequestPriceClass {
    name: string;
    /** US dollars a million requests. */
    usdPerMillion: number;
    operations: S3Operation[];
    /** Requests a month included for free (account-wide), if any. */
    freePerMonth?: number;
}

/** A provider's list prices for requests. */
export interface ProviderRequestPrices {
    provider: string;
    classes: RequestPriceClass[];
    /** Operations the provider does not charge for. */
    freeOperations: S3Operation[];
}

/** Cost of `counts` at list prices, before any free allowance, by class and in total. */
export function priceRequests(
    counts: RequestCounts,
    prices: ProviderRequestPrices,
): { totalUsd: number; byClass: { name: string; requests: number; usd: number }[] } {
    const byClass = prices.classes.map((c) => {
        const requests = c.operations.reduce((sum, op) => sum + counts[op], 0);
        return { name: c.name, requests, usd: (requests * c.usdPerMillion) / 1e6 };
    });
    return { totalUsd: byClass.reduce((sum, c) => sum + c.usd, 0), byClass };
}

// --- Restore drills --------------------------------------------------------------------------

/**
 * Levels Litestream 0.5.16's restore plan (`replica.go` `CalcRestorePlan`) lists below the
 * snapshot level: 8 down to 0. Those above the config's compaction levels are empty, one
 * request each.
 */
const RESTORE_PLAN_LEVELS = 9;

/** Where a drill falls: when the snapshot it restores from was taken, and when it runs (epoch s). */
export interface DrillPosition {
    snapshotAtSeconds: number;
    atSeconds: number;
}

/** E[floor(U(0, span) / period)]: whole periods in a span drawn uniformly from [0, span]. */
function expectedWholePeriods(span: number, period: number): number {
    if (span <= 0) return 0;
    const n = Math.floor(span / period);
    return ((period * (n * (n - 1))) / 2 + n * (span - n * period)) / span;
}

/**
 * The requests of one restore drill of one database (the verifier, components/plan/verify.ts),
 * from Litestream 0.5.16's source:
 *
 * - `restore -dry-run -json` computes the restore plan: one LIST of the snapshot level, then of
 *   levels 8 to 0, each in pages of 1,000 keys (the kept files of each level, as the
 *   replication model counts them);
 * - `restore -txid <that TXID>` computes it again, and stops after the snapshot level when the
 *   snapshot alone reaches the TXID (a database idle since its snapshot); then one GetObject a
 *   file of the plan: the latest snapshot, and the files after it, the widest level first
 *   (`restoreCandidateBetter`): the whole periods of the top level since the snapshot, then at
 *   each level below the whole periods since the last file of the level above, and the L0 files
 *   after the last L1 file;
 * - the freshness check lists L0 once more when the database is written (a file in flight is
 *   waited for).
 *
 * Without `at`, the average over drills that fall anywhere in the snapshot interval; with it,
 * the drill at that moment of a run. The socket questions to the sidecar are no requests.
 */
export function drillRequests(input: CostModelInput, at?: DrillPosition): RequestCounts {
    const s = modelState({ ...input, databases: 1 });
    const I = s.timers.compactionIntervalsSeconds;
    const n = I.length;
    const S9 = input.snapshotIntervalSeconds;
    const written = s.f > 0;
    // Each level's share of its periods that got a file (1 for a busy database).
    const share = (level: number) => Math.min(1, s.a[level] * I[level - 1]);
    // Files read at levels 1..n (index = level), and L0.
    const files: number[] = [0];
    let l0: number;
    if (at === undefined) {
        for (let k = 1; k <= n; k++) {
            const span = k === n ? S9 : Math.min(S9, I[k]);
            files.push(share(k) * expectedWholePeriods(span, I[k - 1]));
        }
        l0 = s.f * (Math.min(S9, I[0]) / 2);
    } else {
        const lastBoundary = (period: number) =>
            Math.max(at.snapshotAtSeconds, Math.floor(at.atSeconds / period) * period);
        const boundaries = (from: number, period: number) =>
            Math.max(0, Math.floor(at.atSeconds / period) - Math.floor(from / period));
        for (let k = 1; k <= n; k++) {
            const from = k === n ? at.snapshotAtSeconds : lastBoundary(I[k]);
            files.push(share(k) * boundaries(from, I[k - 1]));
        }
        l0 = s.f * (at.atSeconds - lastBoundary(I[0]));
    }
    const after = files.reduce((sum, x) => sum + x, 0) + l0;
    const other = (level: number) => input.otherKeys?.[level] ?? 0;
    const window =
        s.timers.l0RetentionSeconds + Math.min(I[0], s.timers.l0RetentionCheckIntervalSeconds) / 2;
    const l0Kept = written ? Math.min(s.f * window, 1 + after) : 1;
    let plan = listPages(s.keptSnapshot + other(SNAPSHOT_LEVEL)) + listPages(l0Kept + other(0));
    for (let k = 1; k < RESTORE_PLAN_LEVELS; k++) {
        plan += k <= n ? listPages(s.kept[k] + other(k)) : 1;
    }
    const counts = zeroCounts();
    add(counts, {
        ListObjectsV2: plan + (after > 0 ? plan : 1) + (written ? 1 : 0),
        GetObject: 1 + after,
    });
    return counts;
}

/**
 * The requests of the verifier's drills a month, all databases together: one drill of each
 * database every `drillIntervalSeconds` (`verify.interval`).
 */
export function drillRequestsPerMonth(
    input: CostModelInput,
    drillIntervalSeconds: number,
    monthSeconds = MONTH_SECONDS,
): RequestCounts {
    const drills = (monthSeconds / drillIntervalSeconds) * (input.databases ?? 1);
    return scaleCounts(drillRequests(input), drills);
}
