/**
 * Data-loss window (RPO): the writer and Litestream run the component's config; at a random
 * moment both are killed with SIGKILL; the replica is restored; the window is the crash time
 * minus the commit time of the last restored row.
 */
import Database from "better-sqlite3";
import { rmSync } from "node:fs";
import * as path from "node:path";
import { restoreTo } from "../test/support/litestream";
import { sleep } from "../test/support/procs";
import { firstHole, readDatabase } from "../test/support/sqlite-writer";
import { relayedCommits, startWriterProcess } from "./lib/children";
import { uniform } from "./lib/stats";
import { BenchWorld, resetWorld } from "./lib/world";

/** One crash and what its restore brought back. */
export interface CrashSample {
    /** ms after Litestream's first upload at which the crash came. */
    crashAfterFirstUploadMs: number;
    /** Crash time minus the commit time of the last restored row. */
    lossWindowMs: number;
    /** Crash time minus the time Litestream logged its last L0 upload. */
    sinceLastUploadMs: number;
    rowsCommitted: number;
    rowsRestored: number;
    /** Restored rows form 1..n with no hole and pass `PRAGMA integrity_check`. */
    contiguous: boolean;
    integrity: string;
    writerErrors: number;
}

let restores = 0;

/**
 * One crash cycle on a fresh database and replica: the writer starts (50 rows/s), Litestream
 * starts, and `delayMs` after its first L0 upload both get SIGKILL.
 */
export async function crashCycle(world: BenchWorld, delayMs: number): Promise<CrashSample> {
    await resetWorld(world);
    const writer = startWriterProcess(world.db);
    await writer.waitForLine(/^ready /, 30_000);
    const litestream = world.host.startReplicate();
    // The first upload comes at the database's first monitor tick (up to 4 min).
    const first = await litestream.waitForLine(
        /msg="ltx file uploaded"/,
        60_000 + world.timing.timers.monitorIntervalSeconds * 1000,
    );
    await sleep(Math.max(0, first.at + delayMs - Date.now()));

    const crashAt = Date.now();
    await Promise.all([litestream.proc.kill9(), writer.kill9()]);

    const commits = relayedCommits(writer);
    const uploads = litestream
        .events("ltx file uploaded")
        .filter((r) => r.fields.level === "0" && r.line.at <= crashAt)
        .map((r) => r.time);
    const lastUpload = Math.max(...uploads);

    const file = path.join(world.scratch, `restored-${++restores}.db`);
    const restored = await restoreTo(world.host.configPath, world.db, file, world.host.keys);
    if (restored.code !== 0) {
        throw new Error(`restore after the crash failed:\n${restored.output}`);
    }
    const content = readDatabase(file);
    const db = new Database(file, { readonly: true });
    const last = db.prepare("SELECT seq, written_at FROM rows ORDER BY seq DESC LIMIT 1").get() as
        { seq: number; written_at: number } | undefined;
    db.close();
    for (const suffix of ["", "-wal", "-shm"]) rmSync(file + suffix, { force: true });
    // The writer records when each commit returned; a row whose record did not reach us before
    // the kill (never the case so far) falls back to the time written into the row.
    const lastCommitAt = last ? (commits.get(last.seq) ?? last.written_at) : NaN;
    const errors = writer.lines.filter((l) => l.text.startsWith("e ")).length;
    return {
        crashAfterFirstUploadMs: crashAt - first.at,
        lossWindowMs: crashAt - lastCommitAt,
        sinceLastUploadMs: crashAt - lastUpload,
        rowsCommitted: commits.size,
        rowsRestored: content.seqs.length,
        contiguous: firstHole(content.seqs) === undefined,
        integrity: content.integrity,
        writerErrors: errors,
    };
}

/** `count` crash cycles, each at a random delay in [minMs, maxMs) after the first upload. */
export async function crashSeries(
    world: BenchWorld,
    count: number,
    minMs: number,
    maxMs: number,
    progress: (i: number, s: CrashSample) => void = () => undefined,
): Promise<CrashSample[]> {
    const samples: CrashSample[] = [];
    for (let i = 0; i < count; i++) {
        const sample = await crashCycle(world, uniform(minMs, maxMs));
        samples.push(sample);
        progress(i, sample);
    }
    return samples;
}
