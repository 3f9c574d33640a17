/**
 * Volume loss: the data folder (the database, `-wal`, `-shm` and Litestream's own
 * `.<db>-litestream` folder) disappears together with the sidecar and the app. The
 * component's restore gate, run exactly as its restore container would run it, must bring the
 * database back:
 * 1. lost during writes: every row up to Litestream's last successful sync (from its log, as
 *    in the crash scenario), contiguous, identical to what the app had written;
 * 2. lost after the app stopped and the replica caught up: complete, same checksum.
 * Replication resumes on the restored database in between.
 */
import { copyFileSync, readdirSync, rmSync } from "node:fs";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { lastSuccessfulSync } from "../support/litestream";
import { cleanupAll, sleep } from "../support/procs";
import {
    createWorld,
    filesIn,
    report,
    STEADY_LOSS_BOUND_MS,
    waitForReplica,
    World,
} from "../support/scenario";
import {
    firstHole,
    lossWindowMs,
    holdOpen,
    readDatabase,
    startWriter,
    stopAllWriters,
} from "../support/sqlite-writer";

afterEach(async () => {
    await stopAllWriters();
    await cleanupAll();
});

/**
 * Removes everything in the data folder, as a lost volume does, after checking that the
 * database, its `-wal` and `-shm` and Litestream's folder were there. `release` closes the
 * connection that kept the WAL in place, before anything is restored.
 */
function loseVolume(world: World, release: () => void): void {
    expect(filesIn(world.dataDir)).toEqual(
        expect.arrayContaining([
            "volume.db",
            "volume.db-wal",
            "volume.db-shm",
            ".volume.db-litestream",
        ]),
    );
    for (const f of readdirSync(world.dataDir)) {
        rmSync(path.join(world.dataDir, f), { recursive: true, force: true });
    }
    release();
    for (const f of readdirSync(world.dataDir)) {
        rmSync(path.join(world.dataDir, f), { recursive: true, force: true });
    }
    expect(filesIn(world.dataDir)).toEqual([]);
}

/** Runs the restore gate and checks that it restored the database. */
async function runGate(world: World) {
    const [gate] = await world.host.runRestoreGate();
    expect(gate.args[0]).toBe("restore");
    expect(gate.args).toContain(world.host.configPath);
    expect(gate.code, gate.output).toBe(0);
    expect(filesIn(world.dataDir)).toContain("volume.db");
    return gate;
}

describe("real data path: volume loss", () => {
    it("restores a lost database through the component's restore gate", async () => {
        const started = Date.now();
        const world = await createWorld("volume", { databases: ["volume.db"] });
        const [db] = world.dbs;
        expect(world.host.restores).toHaveLength(1);

        // 1. Lost in the middle of writes.
        const writer = await startWriter(db);
        const litestream = world.host.startReplicate();
        await litestream.waitForUpload("volume.db");
        await writer.waitForCommits(200);
        const release1 = holdOpen(db);
        await sleep(Math.floor(Math.random() * 1_000));
        const lostAt = Date.now();
        await Promise.all([litestream.kill9(), writer.kill()]);
        // Keep what the app had written, to compare the restore with.
        const written = path.join(world.scratch, "written.db");
        for (const suffix of ["", "-wal"]) copyFileSync(db + suffix, written + suffix);
        expect(readDatabase(written).seqs.length).toBe(writer.commits.length);
        const { syncedBefore } = lastSuccessfulSync(litestream, "volume.db");
        expect(syncedBefore).toBeDefined();
        const required = writer.committedBy((syncedBefore as number) - 1);
        expect(required.length).toBeGreaterThan(100);
        loseVolume(world, release1);

        const gate1 = await runGate(world);
        const back = readDatabase(db);
        expect(back.integrity).toBe("ok");
        expect(firstHole(back.seqs)).toBeUndefined();
        const lastBack = back.seqs.at(-1) ?? 0;
        expect(lastBack).toBeGreaterThanOrEqual(required.at(-1)!.seq);
        // Exactly what the app wrote, up to the last restored row.
        expect(back.checksum).toBe(readDatabase(written, lastBack).checksum);
        const lossDuringWrites = lossWindowMs(writer.commits, lastBack, lostAt);
        expect(lossDuringWrites).toBeLessThan(STEADY_LOSS_BOUND_MS);

        // Replication resumes on the restored file; the app continues the sequence.
        const again = world.host.startReplicate();
        const writer2 = await startWriter(db);
        expect(writer2.firstSeq).toBe(lastBack + 1);
        await writer2.waitForCommits(150);
        const release2 = holdOpen(db);
        await writer2.stop();
        const catchUp = await waitForReplica(world, db, writer2.lastSeq, 15_000);
        expect(again.matching(/level=ERROR/)).toEqual([]);

        // 2. Lost after a clean stop and a caught-up replica: complete.
        const before = readDatabase(db);
        await again.kill9();
        loseVolume(world, release2);
        const gate2 = await runGate(world);
        const after = readDatabase(db);
        expect(after.integrity).toBe("ok");
        expect(firstHole(after.seqs)).toBeUndefined();
        expect(after.seqs).toEqual(before.seqs);
        expect(after.checksum).toBe(before.checksum);

        report("volume loss", {
            rowsWrittenBeforeLoss: writer.commits.length,
            rowsRestoredAfterLossDuringWrites: back.seqs.length,
            rowsRequired: required.length,
            worstLossWindowMs: lossDuringWrites,
            rowsBeforeCleanLoss: before.seqs.length,
            rowsRestoredAfterCleanLoss: after.seqs.length,
            catchUpMs: catchUp.elapsedMs,
            restoreGateMs: `${gate1.durationMs}/${gate2.durationMs}`,
            durationMs: Date.now() - started,
        });
    });
});
