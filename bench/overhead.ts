/**
 * Write overhead: the same writer (bench/lib/throughput-writer.ts, back-to-back autocommit
 * inserts) on a fresh database, alone (A) and while Litestream replicates it with the
 * component's config (B), in alternating runs A, B, A, B, ...
 */
import Database from "better-sqlite3";
import { startTsChild } from "./lib/children";
import { BenchWorld, resetWorld } from "./lib/world";

export interface OverheadRun {
    arm: "without" | "with";
    insertsPerSecond: number;
    inserts: number;
    errors: number;
    slowestCommitMs: number;
    synchronous: number;
    /** Size of the WAL when the writer stopped inserting (before it closed the database). */
    walBytes: number;
    /** L0 files Litestream uploaded during the run (arm "with"). */
    uploads?: number;
    /** Times Litestream logged "forcing truncate checkpoint" (its WAL passed ~500 MB). */
    forcedTruncates?: number;
    litestreamErrors?: number;
}

/** The test writer's table, created in WAL mode, so that both arms start from the same file. */
function createEmptyDatabase(file: string): void {
    const db = new Database(file);
    db.pragma("journal_mode = WAL");
    db.exec(
        "CREATE TABLE IF NOT EXISTS rows (seq INTEGER PRIMARY KEY, written_at INTEGER NOT NULL, payload TEXT NOT NULL)",
    );
    db.close();
}

/** One run of `durationMs`, with or without Litestream. */
export async function overheadRun(
    world: BenchWorld,
    withLitestream: boolean,
    durationMs: number,
): Promise<OverheadRun> {
    await resetWorld(world);
    createEmptyDatabase(world.db);
    const litestream = withLitestream ? world.host.startReplicate() : undefined;
    if (litestream) await litestream.waitForLine(/msg="ltx file uploaded"/, 60_000);
    const writer = startTsChild("throughput", "throughput-writer.ts", [
        world.db,
        String(durationMs),
        "200",
    ]);
    await writer.exited;
    const line = writer.lines.find((l) => l.text.startsWith("{"));
    if (writer.exitCode !== 0 || !line)
        throw new Error(`throughput writer failed:\n${writer.output()}`);
    const result = JSON.parse(line.text) as {
        inserts: number;
        errors: number;
        elapsedMs: number;
        slowestCommitMs: number;
        walBytes: number;
        synchronous: number;
    };
    let uploads: number | undefined;
    let forcedTruncates: number | undefined;
    let litestreamErrors: number | undefined;
    if (litestream) {
        await litestream.stop();
        uploads = litestream.matching(/msg="ltx file uploaded".* level=0 /).length;
        forcedTruncates = litestream.matching(/msg="forcing truncate checkpoint"/).length;
        litestreamErrors = litestream.matching(/level=ERROR/).length;
    }
    return {
        arm: withLitestream ? "with" : "without",
        insertsPerSecond: (result.inserts * 1000) / result.elapsedMs,
        inserts: result.inserts,
        errors: result.errors,
        slowestCommitMs: result.slowestCommitMs,
        synchronous: result.synchronous,
        walBytes: result.walBytes,
        uploads,
        forcedTruncates,
        litestreamErrors,
    };
}

/** `pairs` runs of each arm, alternating A, B, A, B, ... */
export async function overheadSeries(
    world: BenchWorld,
    pairs: number,
    durationMs: number,
    progress: (r: OverheadRun) => void = () => undefined,
): Promise<OverheadRun[]> {
    const runs: OverheadRun[] = [];
    for (let i = 0; i < 2 * pairs; i++) {
        const run = await overheadRun(world, i % 2 === 1, durationMs);
        runs.push(run);
        progress(run);
    }
    return runs;
}
