/**
 * Request cost: a config replicates one database under a fixed write load (the test writer,
 * one row a second, as the cost targets assume) or none at all (idle); after a warm-up, the
 * server's access log is read over a window and the requests counted by operation. The cost
 * model estimates the same window from the same config, Litestream's start time and the write
 * pattern.
 */
import { PutObjectCommand } from "@aws-sdk/client-s3";
import Database from "better-sqlite3";
import { utimesSync } from "node:fs";
import {
    CostModelInput,
    RequestCounts,
    S3_OPERATIONS,
    simulateWindow,
    WindowEstimate,
    WritePattern,
    zeroCounts,
} from "../components/litestream/cost";
import { sleep } from "../test/support/procs";
import { startWriter } from "../test/support/sqlite-writer";
import { countByOperation, logOffset, requestsBetween } from "./lib/access-log";
import { BenchWorld, checkTimersTaken, localL0MaxTxid, modelInput, resetWorld } from "./lib/world";

/** The write load of every request window: one row a second, the cost targets' pattern. */
export const WRITER_INTERVAL_MS = 1000;
export const WRITER_PAYLOAD_BYTES = 200;

/** How long before Litestream starts an idle database was last written. */
const IDLE_DATABASE_AGE_SECONDS = 86_400;

/**
 * The write pattern the model gets for that load, derived from SQLite's page layout, not from
 * a measurement: a row of the test writer is its payload (`row-<seq>-` + filler, ~210 bytes)
 * plus about 17 bytes of cell header, rowid, integer column and cell pointer, so 18 fit in the
 * 4,088 usable bytes of a 4 KiB leaf page; each commit appends its leaf to the WAL, and every
 * 18th also the new leaf's parent and page 1 (the page count changes).
 */
export function writerPattern(
    intervalMs = WRITER_INTERVAL_MS,
    payloadBytes = WRITER_PAYLOAD_BYTES,
): WritePattern {
    const rowBytes = payloadBytes + 10 + 17;
    const rowsPerPage = Math.floor((4096 - 8) / rowBytes);
    return { commitsPerSecond: 1000 / intervalMs, walFramesPerCommit: 1 + 2 / rowsPerPage };
}

/** How one window runs. */
export interface WindowPlan {
    warmupMs: number;
    windowMs: number;
    /** The window is cut into this many equal slices, for the spread of the rate. */
    slices: number;
    /** Foreign objects put under the L1 prefix first (to see listings grow with L1). */
    otherKeys?: number;
    /**
     * No writes: the database (100 rows) was last written a day before Litestream starts,
     * and nothing writes it after.
     */
    idle?: boolean;
}

export interface RequestWindow {
    label: string;
    /** Litestream's start (its "initialized db" log line), the window and the first commit, ms. */
    startMs: number;
    fromMs: number;
    toMs: number;
    writesFromMs: number;
    /** When the database file was last written before Litestream started (idle windows). */
    databaseModifiedMs?: number;
    idle: boolean;
    measured: RequestCounts;
    /** Requests the server answered with an error status, any operation. */
    errors: number;
    /** Per-slice totals (the window cut into equal slices), for the spread. */
    sliceTotals: number[];
    /** L0 files Litestream cut in the window (local TXIDs). */
    l0FilesCreated: number;
    model: WindowEstimate;
    input: CostModelInput;
    otherKeys: number;
}

/** Puts `n` small objects under the L1 prefix that Litestream does not parse as its files. */
async function seedForeignL1Keys(world: BenchWorld, n: number): Promise<void> {
    const client = world.s3.client();
    for (let i = 0; i < n; i += 50) {
        await Promise.all(
            Array.from({ length: Math.min(50, n - i) }, (_, j) =>
                client.send(
                    new PutObjectCommand({
                        Bucket: world.bucket,
                        Key: `${world.prefix}/0001/zz-filler-${String(i + j).padStart(6, "0")}`,
                        Body: "x",
                    }),
                ),
            ),
        );
    }
}

/** The test writer's table with 100 rows, closed, its file dated `ageSeconds` back. */
function createIdleDatabase(file: string, ageSeconds: number): number {
    const db = new Database(file);
    db.pragma("journal_mode = WAL");
    db.exec(
        "CREATE TABLE IF NOT EXISTS rows (seq INTEGER PRIMARY KEY, written_at INTEGER NOT NULL, payload TEXT NOT NULL)",
    );
    const insert = db.prepare("INSERT INTO rows (seq, written_at, payload) VALUES (?, ?, ?)");
    for (let seq = 1; seq <= 100; seq++) insert.run(seq, Date.now(), "x".repeat(200));
    db.close();
    const modified = Date.now() - ageSeconds * 1000;
    utimesSync(file, modified / 1000, modified / 1000);
    return modified;
}

/**
 * Runs one world: the writer (or an idle database), Litestream, warm-up, then the window in
 * equal slices.
 */
export async function requestWindow(
    label: string,
    world: BenchWorld,
    plan: WindowPlan,
): Promise<RequestWindow> {
    await resetWorld(world);
    const otherKeys = plan.otherKeys ?? 0;
    if (otherKeys > 0) await seedForeignL1Keys(world, otherKeys);
    let databaseModifiedMs: number | undefined;
    let writesFromMs: number;
    const writer = plan.idle
        ? undefined
        : await startWriter(world.db, {
              intervalMs: WRITER_INTERVAL_MS,
              payloadBytes: WRITER_PAYLOAD_BYTES,
          });
    if (writer) {
        await writer.waitForCommits(1);
        writesFromMs = writer.commits[0].at;
    } else {
        databaseModifiedMs = createIdleDatabase(world.db, IDLE_DATABASE_AGE_SECONDS);
        writesFromMs = databaseModifiedMs;
    }
    const litestream = world.host.startReplicate();
    await litestream.waitForLine(/msg="initialized db"/, 30_000);
    const startMs = litestream.events("initialized db")[0].time;
    await checkTimersTaken(litestream, world.timing);

    await sleep(Math.max(0, startMs + plan.warmupMs - Date.now()));
    const log = world.s3.accessLog;
    const fromMs = Date.now();
    const offsets = [logOffset(log)];
    const txidFrom = localL0MaxTxid(world.db);
    for (let i = 1; i <= plan.slices; i++) {
        await sleep(Math.max(0, fromMs + (i * plan.windowMs) / plan.slices - Date.now()));
        offsets.push(logOffset(log));
    }
    const toMs = Date.now();
    const txidTo = localL0MaxTxid(world.db);
    await litestream.stop();
    await writer?.stop();

    const requests = requestsBetween(log, offsets[0], offsets[plan.slices], world.bucket);
    const byOp = countByOperation(requests);
    const measured = zeroCounts();
    for (const op of S3_OPERATIONS) measured[op] = byOp[op] ?? 0;
    const unexpected = Object.keys(byOp).filter(
        (op) => !(S3_OPERATIONS as readonly string[]).includes(op),
    );
    if (unexpected.length > 0)
        throw new Error(`${label}: unexpected operations ${unexpected.join(", ")}`);
    const sliceTotals = offsets
        .slice(1)
        .map((to, i) => requestsBetween(log, offsets[i], to, world.bucket).length);

    const input = modelInput(
        world.timing,
        plan.idle ? { commitsPerSecond: 0, walFramesPerCommit: 1 } : writerPattern(),
        { idleAfterWrites: plan.idle, otherKeys: otherKeys > 0 ? { 1: otherKeys } : undefined },
    );
    const model = simulateWindow(input, {
        startSeconds: startMs / 1000,
        fromSeconds: fromMs / 1000,
        toSeconds: toMs / 1000,
        writesFromSeconds: writesFromMs / 1000,
        databaseModifiedSeconds:
            databaseModifiedMs === undefined ? undefined : databaseModifiedMs / 1000,
    });
    return {
        label,
        startMs,
        fromMs,
        toMs,
        writesFromMs,
        databaseModifiedMs,
        idle: plan.idle ?? false,
        measured,
        errors: requests.filter((r) => r.status >= 400).length,
        sliceTotals,
        l0FilesCreated: txidTo - txidFrom,
        model,
        input,
        otherKeys,
    };
}
