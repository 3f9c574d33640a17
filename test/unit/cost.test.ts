/**
 * The request-cost model (components/litestream/cost.ts): pure functions, exact numbers for
 * inputs simple enough to count by hand, and the steady-state rates against the tick-by-tick
 * schedule over a long window.
 */
import { describe, expect, it } from "vitest";
import {
    costInputFromTiming,
    CostModelInput,
    LITESTREAM_DEFAULT_TIMERS,
    drillRequests,
    drillRequestsPerMonth,
    keptHistorySeconds,
    l0FileRate,
    listPages,
    MONTH_SECONDS,
    priceRequests,
    requestRates,
    requestsPerMonth,
    RequestCounts,
    restoreFiles,
    S3_OPERATIONS,
    simulateWindow,
    timersFromTiming,
    totalRequests,
    uploadRequests,
    zeroCounts,
} from "../../components/litestream/cost";
import { PRESETS, resolveTiming } from "../../components/litestream/timing";
import { ReplicationPreset } from "../../components/args";

const HOUR = 3600;

function perHour(input: CostModelInput): RequestCounts {
    const rates = requestRates(input).perSecond;
    return Object.fromEntries(S3_OPERATIONS.map((op) => [op, rates[op] * HOUR])) as RequestCounts;
}

function expectCounts(actual: RequestCounts, expected: Partial<RequestCounts>): void {
    for (const op of S3_OPERATIONS) {
        const want = expected[op] ?? 0;
        expect(Math.abs(actual[op] - want), op).toBeLessThanOrEqual(1e-12 * Math.max(1, want));
    }
}

/** 50 one-page commits a second: the WAL reaches 1,000 frames every 20 ticks. */
const BUSY = { commitsPerSecond: 50, walFramesPerCommit: 1 };

describe("cost model: building blocks", () => {
    it("counts LIST pages of 1,000 keys, one for an empty prefix", () => {
        expect(listPages(0)).toBe(1);
        expect(listPages(1000)).toBe(1);
        expect(listPages(1001)).toBe(2);
        expect(listPages(86_400)).toBe(87);
    });

    it("uploads under 5 MiB as one PutObject and larger ones in 5 MiB parts", () => {
        expect(uploadRequests(undefined)).toEqual({ PutObject: 1 });
        expect(uploadRequests(5 * 1024 * 1024 - 1)).toEqual({ PutObject: 1 });
        expect(uploadRequests(12 * 1024 * 1024)).toEqual({
            CreateMultipartUpload: 1,
            UploadPart: 3,
            CompleteMultipartUpload: 1,
        });
    });

    it("cuts one L0 file a tick with changes, plus one a checkpoint", () => {
        expect(l0FileRate(BUSY)).toEqual({ changeTicksPerSecond: 1, checkpointsPerSecond: 1 / 20 });
        // One frame a second never reaches 1,000 frames first: the minute rule, at tick 61.
        expect(l0FileRate({ commitsPerSecond: 1, walFramesPerCommit: 1 })).toEqual({
            changeTicksPerSecond: 1,
            checkpointsPerSecond: 1 / 61,
        });
        // A commit every 10 minutes: each is cut, and checkpointed on the same tick.
        expect(l0FileRate({ commitsPerSecond: 1 / 600, walFramesPerCommit: 1 })).toEqual({
            changeTicksPerSecond: 1 / 600,
            checkpointsPerSecond: 1 / 600,
        });
        expect(l0FileRate({ commitsPerSecond: 0, walFramesPerCommit: 1 })).toEqual({
            changeTicksPerSecond: 0,
            checkpointsPerSecond: 0,
        });
    });

    it("keeps L1 to L3 for the retention plus one and a half snapshot intervals", () => {
        expect(keptHistorySeconds(HOUR, 72 * HOUR)).toBe(73.5 * HOUR);
        expect(keptHistorySeconds(6 * HOUR, 720 * HOUR)).toBe(729 * HOUR);
        expect(keptHistorySeconds(24 * HOUR, 168 * HOUR)).toBe(204 * HOUR);
    });

    it("reads the component's presets", () => {
        const input = costInputFromTiming(PRESETS[ReplicationPreset.Critical], BUSY);
        expect(input.syncIntervalSeconds).toBe(1);
        expect(input.snapshotIntervalSeconds).toBe(6 * HOUR);
        expect(input.retentionSeconds).toBe(720 * HOUR);
        expect(() =>
            costInputFromTiming(
                { syncInterval: "1d", snapshotInterval: "1h", retention: "1h" },
                BUSY,
            ),
        ).toThrow(/not a Go duration/);
    });
});

describe("cost model: steady-state requests", () => {
    it("counts a busy database synced every second, by hand", () => {
        // f = 1.05 L0 files/s; L1 every 30 s, L2 every 5 min, L3 and a snapshot every hour.
        // Kept history: 2 h + 30 min, so L1 holds 300 files (one LIST page).
        const counts = perHour({
            syncIntervalSeconds: 1,
            snapshotIntervalSeconds: HOUR,
            retentionSeconds: HOUR,
            writes: BUSY,
        });
        expectCounts(counts, {
            // 3,780 L0 + 120 L1 + 12 L2 + 1 L3 + 1 snapshot
            PutObject: 3914,
            // each L1 and L2 file read once by the level above
            GetObject: 132,
            // L1 ticks list L0 (120), L2 ticks list L1 (12), L3 ticks list L2 (1), 360 L0
            // retention runs list L1 and L0 (720), the snapshot tick lists L9, L1, L2, L3 (4)
            ListObjectsV2: 857,
            // three L0 retention runs a 30 s, with gaps m, 15, 15 - m between them: 120 x
            // (1 + 2 x 29/30) = 352 that find an upload to delete; + 4 at the snapshot tick
            DeleteObjects: 356,
        });
        expectCounts(
            requestsPerMonth({
                syncIntervalSeconds: 1,
                snapshotIntervalSeconds: HOUR,
                retentionSeconds: HOUR,
                writes: BUSY,
            }),
            {
                PutObject: 3914 * 720,
                GetObject: 132 * 720,
                ListObjectsV2: 857 * 720,
                DeleteObjects: 356 * 720,
            },
        );
        expect(MONTH_SECONDS).toBe(720 * HOUR);
    });

    it("uploads as many L0 files with an hourly sync, in one burst", () => {
        const rates = requestRates({
            syncIntervalSeconds: HOUR,
            snapshotIntervalSeconds: 24 * HOUR,
            retentionSeconds: 168 * HOUR,
            writes: BUSY,
        });
        expect(rates.l0FilesPerSecond).toBeCloseTo(1.05, 12);
        expect(rates.uploadsPerSecond).toBeCloseTo(1 / HOUR, 12);
        const counts = perHour({
            syncIntervalSeconds: HOUR,
            snapshotIntervalSeconds: 24 * HOUR,
            retentionSeconds: 168 * HOUR,
            writes: BUSY,
        });
        expectCounts(counts, {
            // 3,780 L0, one L1, L2, L3 an hour, a snapshot a day
            PutObject: 3783 + 1 / 24,
            GetObject: 2,
            // L1 ticks list L0: 4 pages while the 3,780-file burst waits out its 5 min 7.5 s,
            // 1 page otherwise (120 x 1.25625); L2 and L3 ticks (13); 241 retention runs (482);
            // the run that deletes the burst reads 3 more pages; 4 lists a day at the snapshot.
            ListObjectsV2: 150.75 + 13 + 482 + 3 + 4 / 24,
            // the burst in 4 batches, and a day's expired snapshot and L1 to L3 files
            DeleteObjects: 4 + 4 / 24,
        });
    });

    it("still lists every 15 s when the database is never written", () => {
        const counts = perHour({
            syncIntervalSeconds: 10,
            snapshotIntervalSeconds: HOUR,
            retentionSeconds: 72 * HOUR,
            writes: { commitsPerSecond: 0, walFramesPerCommit: 1 },
        });
        // 240 retention runs list L1 and L0; the snapshot tick lists four levels.
        expectCounts(counts, { ListObjectsV2: 484 });
    });

    it("lists all of L1, so listing grows with retention", () => {
        const critical = costInputFromTiming(PRESETS[ReplicationPreset.Critical], BUSY);
        const rates = requestRates(critical);
        // 729 h of L1 files, two a minute: 87,480 keys, 88 pages a listing.
        expect(rates.filesKept.levels[1]).toBeCloseTo(87_480, 6);
        const young = requestRates({ ...critical, replicaAgeSeconds: HOUR });
        expect(young.filesKept.levels[1]).toBeCloseTo(120, 6);
        expect(rates.perSecond.ListObjectsV2).toBeGreaterThan(30 * young.perSecond.ListObjectsV2);
        // Keys that are not Litestream's count as well.
        const filler = requestRates({
            ...critical,
            replicaAgeSeconds: HOUR,
            otherKeys: { 1: 2500 },
        });
        // 360 L0 retention runs, 12 L2 ticks and 1/6 snapshot tick an hour list L1: 3 pages now.
        expect((filler.perSecond.ListObjectsV2 - young.perSecond.ListObjectsV2) * HOUR).toBeCloseTo(
            (360 + 12 + 1 / 6) * 2,
            9,
        );
    });

    it("deletes nothing with retention off and needs the replica's age then", () => {
        const input: CostModelInput = {
            syncIntervalSeconds: 1,
            snapshotIntervalSeconds: HOUR,
            retentionSeconds: HOUR,
            retentionEnabled: false,
            writes: BUSY,
        };
        expect(() => requestRates(input)).toThrow(/replicaAgeSeconds/);
        expect(requestRates({ ...input, replicaAgeSeconds: HOUR }).perSecond.DeleteObjects).toBe(0);
    });

    it("multiplies by the number of databases and splits large uploads", () => {
        const one = requestRates({
            syncIntervalSeconds: 10,
            snapshotIntervalSeconds: HOUR,
            retentionSeconds: 72 * HOUR,
            writes: BUSY,
            snapshotBytes: 64 * 1024 * 1024,
        }).perSecond;
        const three = requestRates({
            syncIntervalSeconds: 10,
            snapshotIntervalSeconds: HOUR,
            retentionSeconds: 72 * HOUR,
            writes: BUSY,
            snapshotBytes: 64 * 1024 * 1024,
            databases: 3,
        }).perSecond;
        for (const op of S3_OPERATIONS) expect(three[op]).toBeCloseTo(3 * one[op], 12);
        // A 64 MiB snapshot an hour: 13 parts.
        expect(one.UploadPart * HOUR).toBeCloseTo(13, 9);
        expect(one.CreateMultipartUpload * HOUR).toBeCloseTo(1, 9);
    });
});

describe("cost model: a window of a run", () => {
    // An hour boundary, so that the clock-aligned ticks are easy to place.
    const HOUR_MARK = 1_800_000_000;

    it("counts the ticks of a window by hand", () => {
        // One commit a second from the start; the window is seconds 100 to 160 after the start.
        // DB ticks 101..160 cut 60 files, the minute checkpoint at tick 122 one more; each is
        // uploaded on its tick. L1 boundaries at +119.5 and +149.5: LIST L0, PUT L1, then L0
        // retention (LIST L1, LIST L0); ticker retention runs at 105, 120, 135, 150 list L1 and L0.
        const estimate = simulateWindow(
            {
                syncIntervalSeconds: 1,
                snapshotIntervalSeconds: HOUR,
                retentionSeconds: 72 * HOUR,
                writes: { commitsPerSecond: 1, walFramesPerCommit: 1 },
            },
            {
                startSeconds: HOUR_MARK + 0.5,
                fromSeconds: HOUR_MARK + 100.5,
                toSeconds: HOUR_MARK + 160.5,
            },
        );
        expect(estimate.l0FilesCreated).toBe(61);
        expect(estimate.l0FilesUploaded).toBe(61);
        expect(estimate.requests).toEqual({ ...zeroCounts(), PutObject: 63, ListObjectsV2: 14 });
    });

    it("uploads nothing between hourly syncs, but keeps listing", () => {
        const estimate = simulateWindow(
            {
                syncIntervalSeconds: HOUR,
                snapshotIntervalSeconds: 24 * HOUR,
                retentionSeconds: 168 * HOUR,
                writes: { commitsPerSecond: 1, walFramesPerCommit: 1 },
            },
            {
                startSeconds: HOUR_MARK + 0.5,
                fromSeconds: HOUR_MARK + 100.5,
                toSeconds: HOUR_MARK + 160.5,
            },
        );
        expect(estimate.l0FilesCreated).toBe(61);
        expect(estimate.l0FilesUploaded).toBe(0);
        // Two L1 attempts (LIST L0, nothing new uploaded) and four retention runs (LIST L1, L0).
        expect(estimate.requests).toEqual({ ...zeroCounts(), ListObjectsV2: 10 });
    });

    it.each([
        ["Litestream's defaults", 10, true],
        ["active", 10, false],
        ["critical", 1, false],
        ["personal", HOUR, false],
    ] as const)(
        "agrees with the steady-state rates over a long window: %s",
        (preset, sync, defaults) => {
            const timing = resolveTiming({
                preset: defaults ? undefined : (preset as ReplicationPreset),
                litestreamDefaults: defaults,
            });
            for (const writes of [
                { commitsPerSecond: 50, walFramesPerCommit: 1.12 },
                { commitsPerSecond: 1, walFramesPerCommit: 1 + 2 / 18 },
            ]) {
                const input: CostModelInput = {
                    syncIntervalSeconds: sync,
                    snapshotIntervalSeconds: HOUR,
                    retentionSeconds: 2 * HOUR,
                    timers: timersFromTiming(timing),
                    writes,
                };
                // The steady-state rates average over where the start falls between the
                // clock-aligned L1 ticks (the monitor, sync and retention tickers count from the
                // start); so does this, over twelve starts spread across one L1 interval.
                const I1 = input.timers!.compactionIntervalsSeconds![0];
                const total = zeroCounts();
                for (let k = 0; k < 12; k++) {
                    const start = HOUR_MARK + 0.25 + (I1 / 12) * k;
                    const window = simulateWindow(input, {
                        startSeconds: start,
                        fromSeconds: start + 4 * HOUR,
                        toSeconds: start + 10 * HOUR,
                    }).requests;
                    for (const op of S3_OPERATIONS) total[op] += window[op] / 12;
                }
                const steady = requestRates(input).perSecond;
                for (const op of [
                    "PutObject",
                    "GetObject",
                    "ListObjectsV2",
                    "DeleteObjects",
                ] as const) {
                    if (steady[op] === 0) {
                        expect(total[op], op).toBe(0);
                        continue;
                    }
                    const ratio = total[op] / (steady[op] * 6 * HOUR);
                    expect(ratio, op).toBeGreaterThan(0.97);
                    expect(ratio, op).toBeLessThan(1.03);
                }
            }
        },
    );

    it("syncs just after each monitor tick: the active preset, by hand", () => {
        // One commit a second from the start; ticks every 10 s, the replica's ticker from the
        // first tick, so each cut is uploaded at once. In the window (100, 160]: cuts at
        // 110..160, and the checkpoint at 140 (70 s after the one at 70; 1m5s is the limit).
        const estimate = simulateWindow(presetInput(ReplicationPreset.Active), {
            startSeconds: HOUR_MARK + 0.5,
            fromSeconds: HOUR_MARK + 100.5,
            toSeconds: HOUR_MARK + 160.5,
        });
        expect(estimate.l0FilesCreated).toBe(7);
        expect(estimate.l0FilesUploaded).toBe(7);
        expect(estimate.requests).toEqual({ ...zeroCounts(), PutObject: 7 });
    });

    it("uploads a checkpoint of an idle replica at the next sync, not at once", () => {
        // Writes stop at 100 s; the checkpoint comes at 140 s (70 s after the last), while the
        // replica waits for a change or its ticker, and the ticker wins: uploaded at 150 s.
        const input = presetInput(ReplicationPreset.Active);
        const run = (from: number, to: number) =>
            simulateWindow(input, {
                startSeconds: HOUR_MARK + 0.5,
                writesUntilSeconds: HOUR_MARK + 100.5,
                fromSeconds: HOUR_MARK + from,
                toSeconds: HOUR_MARK + to,
            });
        expect(run(130.5, 140.5)).toMatchObject({ l0FilesCreated: 1, l0FilesUploaded: 0 });
        expect(run(140.5, 150.5)).toMatchObject({ l0FilesCreated: 0, l0FilesUploaded: 1 });
    });

    it("leaves a checkpointing tick's files to the next sync when older files wait", () => {
        // personal: ticks every 4 min from the start, a checkpoint every 4th (1,000 frames),
        // the hourly sync with the 16th tick. The sync finds the files of ticks 2 to 15 (and
        // 3 checkpoints) waiting and ships them at once; the 16th tick, still checkpointing,
        // waits for the next hour.
        const start = HOUR_MARK + 0.5;
        const estimate = simulateWindow(presetInput(ReplicationPreset.Personal), {
            startSeconds: start,
            fromSeconds: start + 3800.5,
            toSeconds: start + 3850.5,
        });
        expect(estimate.l0FilesCreated).toBe(2);
        expect(estimate.l0FilesUploaded).toBe(14 + 3);
    });

    it("dates an upload to the whole second, as listings do", () => {
        // Litestream's defaults on active, started 0.223 s before a 30 s boundary: uploads
        // every 10 s at 1 + 10 k s (0.777 s past a whole second), L1 compactions at the
        // boundaries (0.223 s after the start, then every 30 s), the L0 retention timer every
        // 15 s from the start. Listed in whole seconds, each burst turns 5 min old on a
        // boundary, so the compaction there deletes it too: three runs in 30 s that delete,
        // against two with exact times.
        const input = presetInput(ReplicationPreset.Active, ONE_A_SECOND, true);
        input.syncIntervalSeconds = 10;
        const start = HOUR_MARK - 0.223;
        const estimate = simulateWindow(input, {
            startSeconds: start,
            fromSeconds: start + 600.5,
            toSeconds: start + 1200.5,
        });
        expect(estimate.requests.DeleteObjects).toBe(60);
    });

    it("opens a database at its first monitor tick, and compacts on the clock after that", () => {
        // personal, started 10 min before the hour: the first tick (4 min) cuts the database
        // and the replica uploads it, after listing L0 for its position; the second (8 min)
        // cuts the next 4 min, which wait for the hourly sync. The compaction monitors gave up
        // retrying after 30 s (the snapshot monitor listed L9 and L1 at each try), so nothing
        // compacts before the hour: then L1 reads its newest file from the bucket (LIST L1),
        // lists L0, compacts (PUT), and L0 retention lists L1 and L0 (the one file left is
        // the newest, which it keeps).
        const start = HOUR_MARK - 600 + 0.5;
        const estimate = simulateWindow(presetInput(ReplicationPreset.Personal), {
            startSeconds: start,
            fromSeconds: start,
            toSeconds: HOUR_MARK + 1,
        });
        expect(estimate.l0FilesCreated).toBe(2);
        expect(estimate.l0FilesUploaded).toBe(1);
        expect(estimate.requests).toEqual({
            ...zeroCounts(),
            PutObject: 1 + 1,
            ListObjectsV2: 1 + 30 * 2 + 1 + 1 + 2,
        });
    });

    it("lists every level at every tick once a database is idle with several TXIDs a file", () => {
        // A database last written a day before Litestream starts: the first tick cuts it and
        // checkpoints at once (two files), and nothing is written after. critical: once L1 and
        // L2 compacted them (at 150 s and at the hour), each 150 s tick lists L0 and each
        // hourly tick lists L1, for good.
        const input = presetInput(ReplicationPreset.Critical, {
            commitsPerSecond: 0,
            walFramesPerCommit: 1,
        });
        const start = HOUR_MARK + 0.5;
        const estimate = simulateWindow(input, {
            startSeconds: start,
            databaseModifiedSeconds: start - 86_400,
            fromSeconds: HOUR_MARK + HOUR + 1800,
            toSeconds: HOUR_MARK + HOUR + 1800 + 2 * HOUR,
        });
        expect(estimate.l0FilesCreated).toBe(0);
        expect(estimate.requests).toEqual({ ...zeroCounts(), ListObjectsV2: 48 + 2 });
        const steady = requestRates({ ...input, idleAfterWrites: true }).perSecond;
        // The steady state adds the 6-hourly L0 retention and snapshot ticks.
        expect(steady.ListObjectsV2 * 2 * HOUR).toBeCloseTo(48 + 2 + (2 + 3) / 3, 9);
    });
});

/** The bench writer's pattern at the targets' rate: one small row a second. */
const ONE_A_SECOND = { commitsPerSecond: 1, walFramesPerCommit: 1 + 2 / 18 };

function presetInput(preset: ReplicationPreset, writes = ONE_A_SECOND, defaults = false) {
    return costInputFromTiming(resolveTiming({ preset, litestreamDefaults: defaults }), writes);
}

describe("cost model: the component's timers", () => {
    it("reads the timers the config sets, and Litestream's defaults where it sets none", () => {
        expect(timersFromTiming(resolveTiming({ preset: ReplicationPreset.Critical }))).toEqual({
            ...LITESTREAM_DEFAULT_TIMERS,
            monitorIntervalSeconds: 1,
            checkpointIntervalSeconds: 60.5,
            compactionIntervalsSeconds: [150, 3600],
            l0RetentionCheckIntervalSeconds: 6 * HOUR,
        });
        expect(timersFromTiming(resolveTiming({ litestreamDefaults: true }))).toEqual(
            LITESTREAM_DEFAULT_TIMERS,
        );
        expect(presetInput(ReplicationPreset.Personal).timers?.monitorIntervalSeconds).toBe(240);
    });

    it("cuts one L0 file a monitor tick, and checkpoints on the tick after the interval", () => {
        // active: a tick every 10 s, a checkpoint at the 7th (70 s > 65 s).
        const active = timersFromTiming(resolveTiming({ preset: ReplicationPreset.Active }));
        expect(l0FileRate(ONE_A_SECOND, active)).toEqual({
            changeTicksPerSecond: 0.1,
            checkpointsPerSecond: 1 / 70,
        });
        // personal: a tick every 4 min holds 267 frames; the 4th reaches 1,000 first.
        const personal = timersFromTiming(resolveTiming({ preset: ReplicationPreset.Personal }));
        expect(l0FileRate(ONE_A_SECOND, personal)).toEqual({
            changeTicksPerSecond: 1 / 240,
            checkpointsPerSecond: 1 / 960,
        });
        // A commit an hour on personal: each on a tick of its own, and a checkpoint at the
        // first tick more than 1h2m after the last one (16 ticks, 64 min).
        expect(l0FileRate({ commitsPerSecond: 1 / HOUR, walFramesPerCommit: 1 }, personal)).toEqual(
            { changeTicksPerSecond: 1 / HOUR, checkpointsPerSecond: 1 / 3840 },
        );
    });

    it("counts the active preset written once a second, by hand", () => {
        // An hour: 360 ticks and 3600/70 checkpoints (L0); 12 L1 compactions (5 min), each
        // listing L0 (about 51 files, one page) and followed by L0 retention, as is the hourly
        // timer: 13 runs listing L1 (882 files over 73.5 h: one page) and L0; the snapshot tick
        // lists L9 and L1. Deletes: L0 retention finds files at 11 of the 12 L1 runs plus
        // twice 1 - 1/60 at the two runs around the timer's; the snapshot tick deletes one
        // snapshot and one batch of L1.
        expectCounts(perHour(presetInput(ReplicationPreset.Active)), {
            PutObject: 360 + 3600 / 70 + 12 + 1,
            ListObjectsV2: 12 + 13 * 2 + 2,
            DeleteObjects: 11 + 2 * (1 - 1 / 60) + 2,
        });
    });

    it("keeps an idle database under 20,000 requests a month on every preset", () => {
        const idle = { commitsPerSecond: 0, walFramesPerCommit: 1 };
        const month = (preset: ReplicationPreset, idleAfterWrites: boolean) =>
            totalRequests(
                requestsPerMonth(
                    costInputFromTiming(resolveTiming({ preset }), idle, { idleAfterWrites }),
                ),
            );
        // Worst case: every compaction tick lists the level below. critical: 24 L1 ticks and
        // one L2 tick an hour, L0 retention every 6 h (L1, L0), snapshot ticks every 6 h (L9,
        // L1, L2).
        expect(month(ReplicationPreset.Critical, true)).toBeCloseTo(
            720 * (24 + 1 + (2 + 3) / 6),
            6,
        );
        for (const preset of Object.values(ReplicationPreset)) {
            expect(month(preset, true)).toBeLessThanOrEqual(20_000);
            expect(month(preset, false)).toBeLessThan(month(preset, true));
        }
        // Litestream's defaults: L0 retention every 15 s alone lists 345,600 times; the hourly
        // snapshot tick lists L9 and three levels.
        expect(
            totalRequests(
                requestsPerMonth(
                    costInputFromTiming(resolveTiming({ litestreamDefaults: true }), idle),
                ),
            ),
        ).toBeCloseTo(345_600 + 4 * 720, 6);
    });

    it("splits the rates by source, and they add up", () => {
        const rates = requestRates(presetInput(ReplicationPreset.Critical));
        const sum = zeroCounts();
        for (const counts of Object.values(rates.bySource)) {
            for (const op of S3_OPERATIONS) sum[op] += counts[op];
        }
        for (const op of S3_OPERATIONS) expect(sum[op]).toBeCloseTo(rates.perSecond[op], 12);
        expect(Object.keys(rates.bySource)).toEqual([
            "l0Uploads",
            "compaction",
            "l0Retention",
            "snapshots",
        ]);
        expect(rates.bySource.l0Uploads.PutObject).toBeCloseTo(1 + 1 / 61, 12);
        // 729 h of L1 files, one every 150 s: 17,496 keys, 18 pages a listing.
        expect(rates.filesKept.levels[1]).toBeCloseTo(17_496, 6);
    });

    it("counts the files a restore reads after the snapshot", () => {
        // critical: 5 hourly L2 files, 23 L1 files of 150 s, then 150 s of L0 files (one a
        // second, one a checkpoint).
        const critical = restoreFiles(presetInput(ReplicationPreset.Critical));
        expect(critical.worst).toBeCloseTo(1 + 5 + 23 + 150 * (1 + 1 / 61), 9);
        // Litestream's defaults: 5 L3, 11 L2, 9 L1, 30 s of L0.
        const defaults = restoreFiles(presetInput(ReplicationPreset.Critical, ONE_A_SECOND, true));
        expect(defaults.worst).toBeCloseTo(1 + 5 + 11 + 9 + 30 * (1 + 1 / 61), 9);
        // active: 11 L1 files of 5 min, 30 L0 files of 10 s and their checkpoints.
        expect(restoreFiles(presetInput(ReplicationPreset.Active)).worst).toBeCloseTo(
            1 + 11 + 300 * (0.1 + 1 / 70),
            9,
        );
        // With a sync interval longer than L1's, one sync's files (Litestream's defaults on
        // personal: an hour of one-second files).
        expect(
            restoreFiles(presetInput(ReplicationPreset.Personal, ONE_A_SECOND, true)).worst,
        ).toBeCloseTo(1 + 23 + 11 + 9 + 3600 * (1 + 1 / 61), 9);
        // personal: 23 hourly L1 files, one hourly burst of L0 files.
        expect(restoreFiles(presetInput(ReplicationPreset.Personal)).worst).toBeCloseTo(
            1 + 23 + 3600 * (1 / 240 + 1 / 960),
            9,
        );
    });
});

describe("cost model: prices", () => {
    it("prices requests by class, free operations at zero", () => {
        const counts = {
            ...zeroCounts(),
            PutObject: 2_000_000,
            ListObjectsV2: 1_000_000,
            GetObject: 500_000,
            DeleteObjects: 10,
        };
        const priced = priceRequests(counts, {
            provider: "example",
            classes: [
                { name: "A", usdPerMillion: 4.5, operations: ["PutObject", "ListObjectsV2"] },
                { name: "B", usdPerMillion: 0.36, operations: ["GetObject"] },
            ],
            freeOperations: ["DeleteObjects"],
        });
        expect(priced.byClass).toEqual([
            { name: "A", requests: 3_000_000, usd: 13.5 },
            { name: "B", requests: 500_000, usd: 0.18 },
        ]);
        expect(priced.totalUsd).toBeCloseTo(13.68, 12);
    });
});

describe("cost model: restore drills", () => {
    const busy = { commitsPerSecond: 1, walFramesPerCommit: 1 };
    const idle = { commitsPerSecond: 0, walFramesPerCommit: 1 };

    it("lists ten levels twice and reads the snapshot and the files after it, by hand", () => {
        // A drill 95 s after a snapshot taken at 12:00:00, the database written every second:
        // the plan is the snapshot, the L1 files of 12:00:30, 12:01:00 and 12:01:30, and the L0
        // files of the 5 s after 12:01:30.
        const noon = Date.UTC(2026, 0, 1, 12) / 1000;
        const input = costInputFromTiming(PRESETS[ReplicationPreset.Active], busy, {
            replicaAgeSeconds: 95,
        });
        const drill = drillRequests(input, { snapshotAtSeconds: noon, atSeconds: noon + 95 });
        const l0 = l0FileRate(busy);
        expect(drill.GetObject).toBeCloseTo(
            1 + 3 + 5 * (l0.changeTicksPerSecond + l0.checkpointsPerSecond),
        );
        // Each plan: one page for each of the snapshot level, L3, L2, L1 and L0, and the five
        // empty levels 4 to 8; the freshness check lists L0 once more.
        expect(drill.ListObjectsV2).toBe(10 + 10 + 1);
        expect(totalRequests(drill)).toBe(drill.GetObject + drill.ListObjectsV2);
    });

    it("reads only the snapshot of a database idle since it, and lists the plan once more", () => {
        const input = costInputFromTiming(PRESETS[ReplicationPreset.Active], idle);
        const drill = drillRequests(input);
        expect(drill.GetObject).toBe(1);
        expect(drill.ListObjectsV2).toBe(10 + 1);
    });

    it("averages the files after the snapshot over the snapshot interval", () => {
        const input = costInputFromTiming(PRESETS[ReplicationPreset.Active], busy);
        const rates = l0FileRate(busy);
        const f = rates.changeTicksPerSecond + rates.checkpointsPerSecond;
        // 1 h snapshots: on average 5.5 whole five-minute L2 files, 4.5 L1 files, 15 s of L0.
        expect(drillRequests(input).GetObject).toBeCloseTo(1 + 5.5 + 4.5 + 15 * f, 5);
    });

    it("reads the component's levels: active's one level of 5 min, then 10 s L0 files", () => {
        const input = costInputFromTiming(
            resolveTiming({ preset: ReplicationPreset.Active }),
            busy,
        );
        const s = l0FileRate(
            busy,
            timersFromTiming(resolveTiming({ preset: ReplicationPreset.Active })),
        );
        const f = s.changeTicksPerSecond + s.checkpointsPerSecond;
        // 1 h snapshots: on average 5.5 whole five-minute L1 files, then 150 s of L0 files.
        expect(drillRequests(input).GetObject).toBeCloseTo(1 + 5.5 + 150 * f, 5);
        // A drill 7 min 30 s after a snapshot taken at 12:00:00: the L1 file of 12:05, then
        // the L0 files of the 2 min 30 s after it.
        const noon = Date.UTC(2026, 0, 1, 12) / 1000;
        const at = drillRequests(
            { ...input, replicaAgeSeconds: 450 },
            { snapshotAtSeconds: noon, atSeconds: noon + 450 },
        );
        expect(at.GetObject).toBeCloseTo(1 + 1 + 150 * f, 5);
        // Each plan: the snapshot level, L1, L0, and the seven empty levels 2 to 8.
        expect(at.ListObjectsV2).toBe(10 + 10 + 1);
    });

    it("adds a month of drills every interval, for every database", () => {
        const input = costInputFromTiming(PRESETS[ReplicationPreset.Active], busy, {
            databases: 2,
        });
        const one = drillRequests(input);
        const month = drillRequestsPerMonth(input, 6 * 3600);
        expect(month.GetObject).toBeCloseTo(one.GetObject * 120 * 2);
        expect(month.ListObjectsV2).toBeCloseTo(one.ListObjectsV2 * 120 * 2);
        // A small addition to what replication makes.
        expect(totalRequests(month) / totalRequests(requestsPerMonth(input))).toBeLessThan(0.01);
    });
});
