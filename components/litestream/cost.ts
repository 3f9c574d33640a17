/**
 * Request-cost model of Litestream 0.5 replicating to S3-compatible storage: how many requests
 * of each S3 operation one replicated database makes, from the replication timing and the write
 * pattern. Pure: no Pulumi, no I/O. Nothing here is fitted to a measurement; every number comes
 * from Litestream 0.5.16's source (cited by file) or from the S3 API.
 *
 * What drives the requests (Litestream 0.5.16):
 *
 * - `db.go` `monitor`: every second the WAL changes since the last tick become one level-0 (L0)
 *   LTX file, written locally. A checkpoint (PASSIVE once the WAL holds 1,000 frames, or after a
 *   minute with changes) writes Litestream's `_litestream_seq` row and adds one more L0 file.
 * - `replica.go` `monitor`: every sync interval, each L0 file not yet uploaded is one PutObject.
 *   The sync interval batches uploads in time but does not merge them: a busy database uploads
 *   the same number of L0 files whatever the interval. An idle replica waits for the next change
 *   and uploads it at once.
 * - `store.go` `monitorCompactionLevel`, clock-aligned (`Truncate`): every 30 s, 5 min and 1 h
 *   the files of the level below are merged into one L1, L2, L3 file (`compactor.go` `Compact`:
 *   one LIST of the source level, a GET of each source file except L0, which is read locally,
 *   one upload). The LIST is made whenever the source level is ahead of the newest file of the
 *   target level, so a database that was ever written lists each level at every tick even when
 *   nothing is left to compact. Every snapshot interval: a full snapshot (level 9) when the
 *   database changed, then snapshot retention, which lists L9, L1, L2, L3 and deletes what is
 *   older than the newest expired snapshot (`EnforceSnapshotRetention`, `EnforceRetentionByTXID`).
 * - `db.go` `EnforceL0RetentionByTime`, every 15 s and after each L1 compaction: a LIST of all
 *   of L1, a LIST of L0, and one DeleteObjects for the L0 files older than 5 min already in L1.
 * - `s3/replica_client.go`: every listing is ListObjectsV2 pages of 1,000 keys over the whole
 *   level prefix; deletes are DeleteObjects batches of 1,000; an upload below the 5 MiB part size
 *   is one PutObject, a larger one a multipart upload (create, one UploadPart a 5 MiB, complete).
 *
 * Consequences the model makes explicit: L1 files are kept as long as the snapshots (retention
 * plus one to two snapshot intervals), and every L1 listing reads all of them, so the number of
 * LIST pages grows with retention; and an idle database still lists its levels every 15 s.
 */
import { parseGoDuration, SECOND_NS } from "./duration";
import { Timing } from "./timing";

/** Litestream 0.5.16 defaults the request pattern depends on, with where they are defined. */
export const LITESTREAM_0_5 = {
    /** `db.go` DefaultMonitorInterval: one L0 file per tick that saw changes. */
    monitorIntervalSeconds: 1,
    /** `db.go` DefaultMinCheckpointPageN: PASSIVE checkpoint once the WAL holds this many frames. */
    minCheckpointPageN: 1000,
    /** `db.go` DefaultCheckpointInterval: checkpoint when changes were synced and the file is older. */
    checkpointIntervalSeconds: 60,
    /** `compaction_level.go` DefaultCompactionLevels: L1, L2, L3 intervals (clock-aligned). */
    compactionIntervalsSeconds: [30, 300, 3600] as readonly number[],
    /** `store.go` DefaultL0Retention: L0 files are kept this long after upload. */
    l0RetentionSeconds: 300,
    /** `store.go` DefaultL0RetentionCheckInterval: how often L0 retention runs (from start). */
    l0RetentionCheckIntervalSeconds: 15,
    /** S3 ListObjectsV2 default MaxKeys: keys a LIST page returns. */
    listPageSize: 1000,
    /** `s3/replica_client.go` MaxKeys: keys a DeleteObjects request deletes. */
    deleteBatchSize: 1000,
    /** `s3/replica_client.go` with the SDK's manager.DefaultUploadPartSize: multipart above this. */
    multipartPartBytes: 5 * 1024 * 1024,
} as const;

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
    /** Committed transactions a second; 0 for a database that is never written. */
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
    /** Snapshot retention (`snapshot.retention`), which also bounds L1 to L3. */
    retentionSeconds: number;
    /** False when Litestream's own deletion is off (append-only storage): no DeleteObjects. */
    retentionEnabled?: boolean;
    writes: WritePattern;
    /** Databases replicated with these settings; default 1. */
    databases?: number;
    /** Size of a snapshot upload in bytes; leave it out when it stays under 5 MiB. */
    snapshotBytes?: number;
    /**
     * Other objects under a level's prefix that sort after Litestream's files (leftovers,
     * fillers): listings read them too.
     */
    otherKeys?: { l0?: number; l1?: number; l2?: number; l3?: number; snapshot?: number };
    /**
     * Age of the replica in seconds, for the listing sizes. Default: steady state, once the
     * oldest snapshot has expired and L1 to L3 stop growing.
     */
    replicaAgeSeconds?: number;
}

/** Rates per second of one database, and the intermediate quantities, for reports and tests. */
export interface RequestRates {
    /** Requests a second, all databases together. */
    perSecond: RequestCounts;
    /** L0 files created a second (change ticks plus checkpoints), one database. */
    l0FilesPerSecond: number;
    /** Checkpoints a second, one database. */
    checkpointsPerSecond: number;
    /** Upload bursts (syncs that upload something) a second, one database. */
    uploadsPerSecond: number;
    /** New files a second at L1, L2, L3 and snapshots (level 9), one database. */
    compactedFilesPerSecond: { l1: number; l2: number; l3: number; snapshot: number };
    /** Files kept at L1, L2, L3 and level 9 at the evaluated replica age, one database. */
    filesKept: { l1: number; l2: number; l3: number; snapshot: number };
}

const T = LITESTREAM_0_5;

/** LIST requests to read `files` keys of one prefix (an empty prefix is still one request). */
export function listPages(files: number): number {
    return Math.max(1, Math.ceil(files / T.listPageSize));
}

/** The requests one upload of `bytes` makes (unknown size: under the part size). */
export function uploadRequests(bytes: number | undefined): Partial<RequestCounts> {
    if (bytes === undefined || bytes < T.multipartPartBytes) return { PutObject: 1 };
    return {
        CreateMultipartUpload: 1,
        UploadPart: Math.ceil(bytes / T.multipartPartBytes),
        CompleteMultipartUpload: 1,
    };
}

function add(into: RequestCounts, what: Partial<RequestCounts>, times = 1): void {
    for (const op of S3_OPERATIONS) into[op] += (what[op] ?? 0) * times;
}

/** L0 files and checkpoints a second for a write pattern (`db.go` monitor and checkpointIfNeeded). */
export function l0FileRate(writes: WritePattern): {
    changeTicksPerSecond: number;
    checkpointsPerSecond: number;
} {
    const tick = T.monitorIntervalSeconds;
    const r = Math.max(0, writes.commitsPerSecond);
    if (r === 0) return { changeTicksPerSecond: 0, checkpointsPerSecond: 0 };
    // Evenly spaced commits: every tick has changes when there is at least one commit a tick.
    const changeTicks = Math.min(r, 1 / tick);
    const framesPerChangeTick = (r * writes.walFramesPerCommit) / changeTicks;
    // PASSIVE checkpoint at the first tick whose WAL reached the threshold...
    const byFrames =
        framesPerChangeTick > 0
            ? Math.ceil(T.minCheckpointPageN / framesPerChangeTick) / changeTicks
            : Infinity;
    // ...or at the first tick more than a minute after the last one, once changes were synced.
    const byTime = Math.max(T.checkpointIntervalSeconds + tick, 1 / changeTicks);
    return {
        changeTicksPerSecond: changeTicks,
        checkpointsPerSecond: 1 / Math.min(byFrames, byTime),
    };
}

/** Seconds of history L1 to L3 keep in steady state (`EnforceSnapshotRetention`). */
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

/**
 * Steady-state request rates: what a replica makes a second, on average, for the given timing
 * and write pattern, all databases together.
 */
export function requestRates(input: CostModelInput): RequestRates {
    const databases = input.databases ?? 1;
    const retentionEnabled = input.retentionEnabled ?? true;
    const S = input.syncIntervalSeconds;
    const S9 = input.snapshotIntervalSeconds;
    const [I1, I2, I3] = T.compactionIntervalsSeconds;
    const { changeTicksPerSecond: ticks, checkpointsPerSecond: checkpoints } = l0FileRate(
        input.writes,
    );
    const f = ticks + checkpoints;
    const written = ticks > 0;

    // Upload bursts: every sync tick when changes come at least once a sync interval; otherwise
    // the waiting replica uploads each change as soon as it is cut.
    const u = ticks >= 1 / S ? 1 / S : ticks;
    // A compaction tick compacts when the level below got a new file since the last tick.
    const a1 = Math.min(1, I1 * u) / I1;
    const a2 = Math.min(1, I2 * a1) / I2;
    const a3 = Math.min(1, I3 * a2) / I3;
    const a9 = written ? Math.min(1 / S9, ticks) : 0;

    const steady = keptHistorySeconds(S9, input.retentionSeconds);
    const age = input.replicaAgeSeconds ?? Infinity;
    const history = retentionEnabled ? Math.min(age, steady) : age;
    if (!Number.isFinite(history)) {
        throw new Error("replicaAgeSeconds is required when retention is disabled");
    }
    const kept = {
        l1: a1 * history,
        l2: a2 * history,
        l3: a3 * history,
        snapshot: a9 * Math.min(history, input.retentionSeconds + S9 / 2),
    };
    const deleting = retentionEnabled && history >= steady - S9 / 2;

    const window = T.l0RetentionSeconds + T.l0RetentionCheckIntervalSeconds / 2;
    const other = { l0: 0, l1: 0, l2: 0, l3: 0, snapshot: 0, ...input.otherKeys };
    const rate = zeroCounts();

    // L0 uploads: one PutObject a file (L0 files are small).
    add(rate, { PutObject: f });
    // Compacted uploads and snapshots.
    const bps = input.writes.ltxBytesPerSecond;
    const size = (perSecond: number) =>
        bps === undefined || perSecond === 0 ? undefined : bps / perSecond;
    add(rate, uploadRequests(size(a1)), a1);
    add(rate, uploadRequests(size(a2)), a2);
    add(rate, uploadRequests(size(a3)), a3);
    add(rate, uploadRequests(input.snapshotBytes), a9);
    // Each L1 file is read once by the L2 compaction, each L2 file once by L3 (L0 is local).
    add(rate, { GetObject: a1 + a2 });

    // Remote L0 files: frequent uploads keep about five minutes of them; a burst every sync
    // interval is listed in full until it expires, then one file is left (the newest is kept).
    const frequent = T.l0RetentionCheckIntervalSeconds * u >= 1;
    const burst = u > 0 ? f / u : 0;
    const burstShare = Math.min(1, u * window);
    const l0Pages = frequent
        ? listPages(f * window + other.l0)
        : burstShare * listPages(burst + other.l0) + (1 - burstShare) * listPages(1 + other.l0);
    const pages1 = listPages(kept.l1 + other.l1);
    const pages2 = listPages(kept.l2 + other.l2);
    const pages3 = listPages(kept.l3 + other.l3);
    if (written) {
        // Every L1 tick lists L0 (a real compaction or an attempt), every L2 tick lists L1,
        // every L3 tick lists L2.
        add(rate, { ListObjectsV2: l0Pages / I1 + pages1 / I2 + pages2 / I3 });
    }
    // L0 retention: every 15 s and after each L1 compaction; lists L1, then L0 up to the first
    // file too recent to delete (L1 exists from the first compaction of the initial file on).
    const retentionRuns = 1 / T.l0RetentionCheckIntervalSeconds + a1;
    add(rate, { ListObjectsV2: retentionRuns * (pages1 + 1) });
    if (written && retentionEnabled) {
        if (frequent) {
            // A run deletes when an upload fell in the gap since the previous run (shifted by
            // the five minutes). Each 30 s holds three runs: after the L1 compaction at the
            // boundary and at the 15 s ticks m and m + 15 (m uniform in 0..15), so the gaps are
            // m, 15 and 15 - m, and a gap of L holds an upload with probability min(1, L u).
            const check = T.l0RetentionCheckIntervalSeconds;
            const shortGap = 1 - 1 / (2 * check * u); // E[min(1, m u)], m uniform in 0..15
            add(rate, { DeleteObjects: (Math.min(1, check * u) + 2 * shortGap) / I1 });
        } else {
            // One run a burst deletes it, reading and deleting it in pages of 1,000.
            add(rate, {
                DeleteObjects: u * listPages(burst),
                ListObjectsV2: u * (listPages(burst) - 1),
            });
        }
    }
    // Snapshot ticks: retention lists L9, L1, L2, L3 whether or not a snapshot was taken.
    add(rate, {
        ListObjectsV2: (listPages(kept.snapshot + other.snapshot) + pages1 + pages2 + pages3) / S9,
    });
    if (deleting) {
        // Once snapshots expire: one a tick, and the files of L1 to L3 older than it.
        const batches = (perSecond: number) => {
            const perTick = perSecond * S9;
            return perTick >= 1 ? listPages(perTick) / S9 : perSecond;
        };
        add(rate, { DeleteObjects: a9 + batches(a1) + batches(a2) + batches(a3) });
    }

    return {
        perSecond: scaleCounts(rate, databases),
        l0FilesPerSecond: f,
        checkpointsPerSecond: checkpoints,
        uploadsPerSecond: u,
        compactedFilesPerSecond: { l1: a1, l2: a2, l3: a3, snapshot: a9 },
        filesKept: kept,
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

/** A Go duration as seconds; throws on anything else. */
export function durationSeconds(text: string): number {
    const ns = parseGoDuration(text);
    if (ns === undefined) throw new Error(`not a Go duration: ${JSON.stringify(text)}`);
    return ns / SECOND_NS;
}

/** Model input from the component's timing (a preset or explicit intervals). */
export function costInputFromTiming(
    timing: Timing,
    writes: WritePattern,
    options: Omit<
        CostModelInput,
        "syncIntervalSeconds" | "snapshotIntervalSeconds" | "retentionSeconds" | "writes"
    > = {},
): CostModelInput {
    return {
        syncIntervalSeconds: durationSeconds(timing.syncInterval),
        snapshotIntervalSeconds: durationSeconds(timing.snapshotInterval),
        retentionSeconds: durationSeconds(timing.retention),
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
}

/** What the schedule makes in a window, one database. */
export interface WindowEstimate {
    requests: RequestCounts;
    /** L0 files Litestream cut in the window (TXIDs), uploaded or not. */
    l0FilesCreated: number;
    /** L0 files uploaded in the window. */
    l0FilesUploaded: number;
}

/** How much later than its tick an upload's LastModified is: a tie-break, not a latency. */
const UPLOAD_SETTLES_SECONDS = 0.001;

interface LtxFile {
    min: number;
    max: number;
    at: number;
}

/**
 * The requests of one database in a window of a run that started from an empty replica: the
 * same rules as `requestRates`, applied to the actual timer ticks of that window instead of
 * their averages (compaction and snapshot ticks are aligned to the clock, the sync ticker and
 * L0 retention count from the start). Used to put the model beside a measured window.
 */
export function simulateWindow(input: CostModelInput, run: RunWindow): WindowEstimate {
    const S = input.syncIntervalSeconds;
    const S9 = input.snapshotIntervalSeconds;
    const R = input.retentionSeconds;
    const retentionEnabled = input.retentionEnabled ?? true;
    const tick = T.monitorIntervalSeconds;
    const [I1, I2, I3] = T.compactionIntervalsSeconds;
    const r = Math.max(0, input.writes.commitsPerSecond);
    const writesFrom = run.writesFromSeconds ?? run.startSeconds;
    const end = run.toSeconds;

    const other = { l0: 0, l1: 0, l2: 0, l3: 0, snapshot: 0, ...input.otherKeys };
    const otherAt = [other.l0, other.l1, other.l2, other.l3];
    const counts = zeroCounts();
    let created = 0;
    let uploaded = 0;
    const count = (t: number, what: Partial<RequestCounts>, times = 1) => {
        if (t > run.fromSeconds && t <= run.toSeconds) add(counts, what, times);
    };

    // Events: [time, order, kind]; order breaks ties (the WAL is cut before anything reads it).
    type Kind = "db" | "startup" | "sync" | "l0retention" | "c1" | "c2" | "c3" | "snap";
    const events: [number, number, Kind][] = [];
    const push = (t: number, order: number, kind: Kind) => {
        if (t <= end) events.push([t, order, kind]);
    };
    for (let t = run.startSeconds + tick; t <= end; t += tick) push(t, 0, "db");
    // The compaction monitors start at once, find the database not ready (page size unknown
    // until the first sync) and retry a second later, before the first upload.
    push(run.startSeconds + tick, 1, "startup");
    for (let t = run.startSeconds + S; t <= end; t += S) push(t, 2, "sync");
    const check = T.l0RetentionCheckIntervalSeconds;
    for (let t = run.startSeconds + check; t <= end; t += check) push(t, 3, "l0retention");
    const aligned = (period: number, order: number, kind: Kind) => {
        const first = (Math.floor((run.startSeconds + tick) / period) + 1) * period;
        for (let t = first; t <= end; t += period) push(t, order, kind);
    };
    // At a shared boundary the monitors race; the higher levels were seen to finish first.
    aligned(S9, 4, "snap");
    aligned(I3, 5, "c3");
    aligned(I2, 6, "c2");
    aligned(I1, 7, "c1");
    events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);

    let txid = 0;
    let pending: number[] = [];
    const remote: LtxFile[][] = [[], [], [], []];
    const snapshots: LtxFile[] = [];
    let waitingForChange = true; // the replica starts waiting for the first change
    let frames = 0;
    let lastCheckpoint = run.startSeconds;
    let syncedSinceCheckpoint = false;
    let firstTick = true;

    const commitsIn = (from: number, to: number) => {
        if (r === 0 || to <= writesFrom) return 0;
        const n = (t: number) => (t < writesFrom ? 0 : Math.floor((t - writesFrom) * r) + 1);
        return n(to) - n(from);
    };
    const cut = (t: number) => {
        txid++;
        pending.push(txid);
        if (t > run.fromSeconds && t <= run.toSeconds) created++;
    };
    const upload = (t: number) => {
        for (const id of pending) {
            // An upload completes after the tick that started it: its LastModified is later
            // than any other timer firing at that same instant.
            remote[0].push({ min: id, max: id, at: t + UPLOAD_SETTLES_SECONDS });
            count(t, { PutObject: 1 });
            if (t > run.fromSeconds && t <= run.toSeconds) uploaded++;
        }
        pending = [];
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
            count(t, { DeleteObjects: Math.ceil(gone.length / T.deleteBatchSize) });
            const set = new Set(gone);
            const left = files.filter((f) => !set.has(f));
            files.length = 0;
            files.push(...left);
        }
    };
    const l0Retention = (t: number) => {
        count(t, { ListObjectsV2: listPages(remote[1].length + other.l1) });
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
            count(t, { DeleteObjects: Math.ceil(gone.length / T.deleteBatchSize) });
            const set = new Set(gone);
            remote[0] = l0.filter((f) => !set.has(f));
        }
    };
    const compact = (t: number, level: 1 | 2 | 3) => {
        const dst = remote[level];
        const srcMax = level === 1 ? txid : (newest(remote[level - 1])?.max ?? 0);
        if (srcMax <= (newest(dst)?.min ?? 0)) return;
        const src = remote[level - 1];
        count(t, { ListObjectsV2: listPages(src.length + otherAt[level - 1]) });
        const seek = (newest(dst)?.max ?? 0) + 1;
        const inputs = src.filter((f) => f.min >= seek);
        if (inputs.length === 0) return;
        if (level > 1) count(t, { GetObject: inputs.length });
        count(t, { PutObject: 1 });
        dst.push({ min: inputs[0].min, max: inputs[inputs.length - 1].max, at: t });
        if (level === 1) l0Retention(t);
    };
    const snapshot = (t: number) => {
        if (txid > (newest(snapshots)?.max ?? 0)) {
            count(t, uploadRequests(input.snapshotBytes));
            snapshots.push({ min: 1, max: txid, at: t });
        }
        count(t, { ListObjectsV2: listPages(snapshots.length + other.snapshot) });
        const expired = snapshots.filter((s) => s.at < t - R);
        const newestExpired = expired.filter((s) => s !== newest(snapshots)).pop();
        deleteFiles(t, snapshots, (s) => s.at < t - R, true);
        const minTxid = newestExpired?.max ?? 0;
        for (const level of [1, 2, 3]) {
            count(t, { ListObjectsV2: listPages(remote[level].length + otherAt[level]) });
            deleteFiles(t, remote[level], (f) => f.max < minTxid, true);
        }
    };

    for (const [t, , kind] of events) {
        switch (kind) {
            case "db": {
                const commits = commitsIn(t - tick, t);
                if (firstTick || commits > 0) {
                    // The first tick cuts the whole database; later ticks the new WAL frames.
                    cut(t);
                    frames += commits * input.writes.walFramesPerCommit;
                    if (!firstTick) syncedSinceCheckpoint = true;
                }
                const byFrames = frames >= T.minCheckpointPageN;
                const byTime =
                    syncedSinceCheckpoint &&
                    t - lastCheckpoint > T.checkpointIntervalSeconds &&
                    frames > 1;
                if (byFrames || byTime) {
                    // The checkpoint writes `_litestream_seq` into the restarted WAL: one more file.
                    cut(t);
                    frames = 1;
                    lastCheckpoint = t;
                    syncedSinceCheckpoint = false;
                }
                // A replica waiting for a change uploads as soon as the tick's sync notifies it
                // (on the first tick, after the startup monitors ran).
                if (!firstTick && waitingForChange && pending.length > 0) {
                    upload(t);
                    waitingForChange = false;
                }
                firstTick = false;
                break;
            }
            case "startup":
                compact(t, 1);
                compact(t, 2);
                compact(t, 3);
                snapshot(t);
                if (waitingForChange && pending.length > 0) {
                    upload(t);
                    waitingForChange = false;
                }
                break;
            case "sync":
                // The replica waits for the ticker; with nothing new it then waits for a change
                // (or the next tick, which syncs whatever is there).
                if (waitingForChange || pending.length > 0) {
                    upload(t);
                    waitingForChange = false;
                } else {
                    waitingForChange = true;
                }
                break;
            case "l0retention":
                l0Retention(t);
                break;
            case "c1":
                compact(t, 1);
                break;
            case "c2":
                compact(t, 2);
                break;
            case "c3":
                compact(t, 3);
                break;
            case "snap":
                snapshot(t);
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
 * Litestream 0.5.16's restore plan (`replica.go` `CalcRestorePlan`) lists the snapshot level
 * and then every level from 8 down to 0: ten listings, the empty levels 4 to 8 one request
 * each.
 */
const RESTORE_PLAN_EMPTY_LEVELS = 5;

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
 *   (`restoreCandidateBetter`): the whole hours since the snapshot from L3, the whole five
 *   minutes since the last hour from L2, the whole 30 s since the last five minutes from L1,
 *   and the L0 files after the last L1 file;
 * - the freshness check lists L0 once more when the database is written (a file in flight is
 *   waited for).
 *
 * Without `at`, the average over drills that fall anywhere in the snapshot interval; with it,
 * the drill at that moment of a run. The socket questions to the sidecar are no requests.
 */
export function drillRequests(input: CostModelInput, at?: DrillPosition): RequestCounts {
    const rates = requestRates({ ...input, databases: 1 });
    const kept = rates.filesKept;
    const [I1, I2, I3] = T.compactionIntervalsSeconds;
    const S9 = input.snapshotIntervalSeconds;
    const written = rates.l0FilesPerSecond > 0;
    const other = { l0: 0, l1: 0, l2: 0, l3: 0, snapshot: 0, ...input.otherKeys };
    // Each level's share of its periods that got a file (1 for a busy database).
    const share = (perSecond: number, period: number) => Math.min(1, perSecond * period);
    const c = rates.compactedFilesPerSecond;
    let files: { l3: number; l2: number; l1: number; l0: number };
    if (at === undefined) {
        files = {
            l3: share(c.l3, I3) * expectedWholePeriods(S9, I3),
            l2: share(c.l2, I2) * expectedWholePeriods(Math.min(S9, I3), I2),
            l1: share(c.l1, I1) * expectedWholePeriods(Math.min(S9, I2), I1),
            l0: rates.l0FilesPerSecond * (Math.min(S9, I1) / 2),
        };
    } else {
        const boundaries = (from: number, period: number) =>
            Math.max(0, Math.floor(at.atSeconds / period) - Math.floor(from / period));
        const lastBoundary = (period: number) =>
            Math.max(at.snapshotAtSeconds, Math.floor(at.atSeconds / period) * period);
        files = {
            l3: share(c.l3, I3) * boundaries(at.snapshotAtSeconds, I3),
            l2: share(c.l2, I2) * boundaries(lastBoundary(I3), I2),
            l1: share(c.l1, I1) * boundaries(lastBoundary(I2), I1),
            l0: rates.l0FilesPerSecond * (at.atSeconds - lastBoundary(I1)),
        };
    }
    const after = files.l3 + files.l2 + files.l1 + files.l0;
    const window = T.l0RetentionSeconds + T.l0RetentionCheckIntervalSeconds / 2;
    const l0Kept = written ? Math.min(rates.l0FilesPerSecond * window, 1 + after) : 1;
    const plan =
        listPages(kept.snapshot + other.snapshot) +
        listPages(kept.l3 + other.l3) +
        listPages(kept.l2 + other.l2) +
        listPages(kept.l1 + other.l1) +
        listPages(l0Kept + other.l0) +
        RESTORE_PLAN_EMPTY_LEVELS;
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
