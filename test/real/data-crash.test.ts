/**
 * Crash: `kill -9` Litestream during continuous writes. The replica at that moment must hold
 * every row committed up to the last successful sync, read from Litestream's own log, with
 * no hole. Litestream is then started again while the writer goes on; after the writer
 * stops, the replica catches up and the restore holds every row, contiguous.
 *
 * The last successful sync, from the log: `ltx file uploaded ... maxTXID=X` is the last file
 * that reached the bucket. Litestream logs `replica sync ... txid.db=D` with the database's
 * position at that moment; the last such line with D < X was logged before the WAL was cut
 * into transaction X, so every row committed before that line's time is in X or earlier.
 * That bound is sound but may fall up to one sync short of X's content, so the loss window
 * at the crash is also held to the steady-state bound.
 */
import { afterEach, describe, expect, it } from "vitest";
import { lastSuccessfulSync } from "../support/litestream";
import { cleanupAll, sleep } from "../support/procs";
import {
    createWorld,
    report,
    restoreAndRead,
    STEADY_LOSS_BOUND_MS,
    waitForReplica,
} from "../support/scenario";
import {
    firstHole,
    lossWindowMs,
    readDatabase,
    startWriter,
    stopAllWriters,
} from "../support/sqlite-writer";

afterEach(async () => {
    await stopAllWriters();
    await cleanupAll();
});

describe("real data path: crash", () => {
    it("loses nothing that was synced when Litestream is killed, and catches up after", async () => {
        const started = Date.now();
        const world = await createWorld("crash", { databases: ["crash.db"] });
        const [db] = world.dbs;
        const writer = await startWriter(db);
        const first = world.host.startReplicate();
        await first.waitForUpload("crash.db");
        await sleep(3_000 + Math.floor(Math.random() * 1_000));

        const killAt = Date.now();
        await first.kill9();
        expect(first.proc.exitSignal).toBe("SIGKILL");

        // What the bucket holds at the crash (nothing writes to it now).
        const atCrash = await restoreAndRead(world, db);
        expect(atCrash.code, atCrash.output).toBe(0);
        const crashSeqs = atCrash.content!.seqs;
        expect(firstHole(crashSeqs)).toBeUndefined();
        expect(atCrash.content!.integrity).toBe("ok");

        const { lastUploaded, syncedBefore } = lastSuccessfulSync(first, "crash.db");
        expect(lastUploaded).toBeGreaterThanOrEqual(3);
        expect(syncedBefore).toBeDefined();
        const mustHave = writer.commits.filter((c) => c.at < (syncedBefore as number));
        expect(mustHave.length).toBeGreaterThan(50);
        expect(crashSeqs.at(-1)).toBeGreaterThanOrEqual(mustHave.at(-1)!.seq);
        const lossAtCrash = lossWindowMs(writer.commits, crashSeqs.at(-1) ?? 0, killAt);
        expect(lossAtCrash).toBeLessThan(STEADY_LOSS_BOUND_MS);

        // Down for two seconds while the app keeps writing, then back.
        await sleep(2_000);
        const second = world.host.startReplicate();
        await second.waitForUpload("crash.db");
        await sleep(3_000);
        await writer.stop();
        const catchUp = await waitForReplica(world, db, writer.lastSeq, 15_000);
        await second.stop();
        expect(second.matching(/level=ERROR/)).toEqual([]);

        expect(writer.errors).toEqual([]);
        const source = readDatabase(db);
        const restored = await restoreAndRead(world, db);
        expect(restored.code, restored.output).toBe(0);
        const content = restored.content!;
        expect(content.integrity).toBe("ok");
        expect(firstHole(content.seqs)).toBeUndefined();
        expect(content.seqs.length).toBe(writer.commits.length);
        expect(content.checksum).toBe(source.checksum);
        report("crash", {
            rowsWritten: writer.commits.length,
            rowsAtCrash: writer.committedBy(killAt).length,
            rowsRestoredAtCrash: crashSeqs.length,
            rowsRequiredAtCrash: mustHave.length,
            worstLossWindowMs: lossAtCrash,
            rowsRestoredFinal: content.seqs.length,
            catchUpAfterStopMs: catchUp.elapsedMs,
            durationMs: Date.now() - started,
        });
    });
});
