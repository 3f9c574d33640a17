/**
 * Restore chain: what the compaction levels do to a restore. A database of a given size,
 * written once a second, is replicated for the length of the request windows by a preset's
 * config and, beside it, by the same preset with Litestream's own timer defaults
 * (`replication.litestreamDefaults`). Each is killed 3 s before one of its L1 ticks, when the
 * most L0 files wait to be compacted (the restore's worst case for the L0 part), and restored,
 * timed, in rotation with the others. The restore reads the latest snapshot, then the fewest
 * files that cover the rest, one after the other.
 */
import { restoreFiles } from "../components/litestream/cost";
import { Litestream } from "../test/support/litestream";
import { sleep } from "../test/support/procs";
import { startWriter, Writer } from "../test/support/sqlite-writer";
import { checkTimersTaken, BenchWorld } from "./lib/world";
import { writerPattern, WRITER_INTERVAL_MS, WRITER_PAYLOAD_BYTES } from "./requests";
import { timedRestore } from "./rto";

/** How long before an L1 tick replication stops. */
const BEFORE_L1_TICK_MS = 3000;

export interface ChainRun {
    label: string;
    preset: string;
    arm: "component" | "defaults";
    world: BenchWorld;
    litestream: Litestream;
    writer: Writer;
}

export interface ChainResult {
    label: string;
    preset: string;
    arm: "component" | "defaults";
    dbBytes: number;
    /** How long Litestream ran, and when it stopped relative to its next L1 tick. */
    replicatedMs: number;
    stoppedBeforeL1Ms: number;
    /** Objects one restore read (GETs, from the server's log), and their keys by level. */
    gets: number;
    byLevel: Record<string, number>;
    restoreMs: number[];
    /** The model's count of files a restore reads: worst case and mean over the cycle. */
    modelFiles: { worst: number; mean: number };
}

/** Starts the writer and Litestream on a database that exists already (generated). */
export async function startChain(
    label: string,
    preset: string,
    arm: ChainRun["arm"],
    world: BenchWorld,
): Promise<ChainRun> {
    const writer = await startWriter(world.db, {
        intervalMs: WRITER_INTERVAL_MS,
        payloadBytes: WRITER_PAYLOAD_BYTES,
    });
    await writer.waitForCommits(1);
    const litestream = world.host.startReplicate();
    await litestream.waitForLine(/msg="initialized db"/, 30_000);
    await checkTimersTaken(litestream, world.timing);
    return { label, preset, arm, world, litestream, writer };
}

/** Waits until `BEFORE_L1_TICK_MS` before the next L1 tick (or not), then kills Litestream. */
export async function stopChain(
    run: ChainRun,
    alignToL1: boolean,
): Promise<{ replicatedMs: number; stoppedBeforeL1Ms: number }> {
    const periodMs = run.world.timing.timers.compactionIntervalsSeconds[0] * 1000;
    const nextTick = (t: number) => (Math.floor(t / periodMs) + 1) * periodMs;
    let stopAt = Date.now();
    if (alignToL1) {
        stopAt = nextTick(Date.now() + BEFORE_L1_TICK_MS + 1000) - BEFORE_L1_TICK_MS;
        await sleep(Math.max(0, stopAt - Date.now()));
    }
    // SIGKILL, as when the server is lost: the replica holds what the syncs shipped.
    const stoppedAt = Date.now();
    await run.litestream.kill9();
    await run.writer.stop();
    const started = run.litestream.events("initialized db")[0].time;
    return {
        replicatedMs: stoppedAt - started,
        stoppedBeforeL1Ms: nextTick(stoppedAt) - stoppedAt,
    };
}

/** Times `rounds` restores of each replica, in rotation; the first of each is checked. */
export async function timeChainRestores(
    runs: (ChainRun & { stop: { replicatedMs: number; stoppedBeforeL1Ms: number } })[],
    rounds: number,
    dbBytes: number,
): Promise<ChainResult[]> {
    const results: ChainResult[] = runs.map((run) => ({
        label: run.label,
        preset: run.preset,
        arm: run.arm,
        dbBytes,
        ...run.stop,
        gets: 0,
        byLevel: {},
        restoreMs: [],
        modelFiles: restoreFiles({
            syncIntervalSeconds: run.world.timing.syncIntervalSeconds,
            snapshotIntervalSeconds: run.world.timing.snapshotIntervalSeconds,
            retentionSeconds: run.world.timing.retentionSeconds,
            timers: run.world.timing.timers,
            writes: writerPattern(),
        }),
    }));
    // One untimed restore each: page cache, the objects read, and the restored file's check.
    for (const [i, run] of runs.entries()) {
        const first = await timedRestore(run.world, true);
        results[i].gets = first.gets;
        for (const key of first.keys) {
            const level = /\/(\d{4})\/[^/]+$/.exec(key)?.[1] ?? "?";
            const name = level === "0009" ? "snapshot" : `L${Number(level)}`;
            results[i].byLevel[name] = (results[i].byLevel[name] ?? 0) + 1;
        }
    }
    for (let round = 0; round < rounds; round++) {
        for (let k = 0; k < runs.length; k++) {
            const i = (round + k) % runs.length;
            results[i].restoreMs.push((await timedRestore(runs[i].world, false)).ms);
        }
    }
    return results;
}
