/**
 * The request-cost model (components/litestream/cost.ts): pure functions, exact numbers for
 * inputs simple enough to count by hand, and the steady-state rates against the tick-by-tick
 * schedule over a long window.
 */
import { describe, expect, it } from "vitest";
import {
    costInputFromTiming,
    CostModelInput,
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
    S3_OPERATIONS,
    simulateWindow,
    totalRequests,
    uploadRequests,
    zeroCounts,
} from "../../components/litestream/cost";
import { PRESETS } from "../../components/litestream/timing";
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
        expect(rates.filesKept.l1).toBeCloseTo(87_480, 6);
        const young = requestRates({ ...critical, replicaAgeSeconds: HOUR });
        expect(young.filesKept.l1).toBeCloseTo(120, 6);
        expect(rates.perSecond.ListObjectsV2).toBeGreaterThan(30 * young.perSecond.ListObjectsV2);
        // Keys that are not Litestream's count as well.
        const filler = requestRates({
            ...critical,
            replicaAgeSeconds: HOUR,
            otherKeys: { l1: 2500 },
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

    it("agrees with the steady-state rates over a long window", () => {
        const input: CostModelInput = {
            syncIntervalSeconds: 10,
            snapshotIntervalSeconds: HOUR,
            retentionSeconds: 2 * HOUR,
            writes: { commitsPerSecond: 50, walFramesPerCommit: 1.12 },
        };
        // The steady-state rates average over where the start falls between the clock-aligned
        // 30 s ticks (the sync and retention tickers count from the start); so does this, over
        // twelve starts spread across 30 s.
        const total = zeroCounts();
        for (let k = 0; k < 12; k++) {
            const start = HOUR_MARK + 0.25 + 2.5 * k;
            const window = simulateWindow(input, {
                startSeconds: start,
                fromSeconds: start + 4 * HOUR,
                toSeconds: start + 10 * HOUR,
            }).requests;
            for (const op of S3_OPERATIONS) total[op] += window[op] / 12;
        }
        const steady = requestRates(input).perSecond;
        for (const op of ["PutObject", "GetObject", "ListObjectsV2", "DeleteObjects"] as const) {
            const ratio = total[op] / (steady[op] * 6 * HOUR);
            expect(ratio, op).toBeGreaterThan(0.97);
            expect(ratio, op).toBeLessThan(1.03);
        }
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
