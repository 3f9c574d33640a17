/**
 * Storage outage: the S3 server stops for 30 s while the app writes, then comes back on the
 * same port with the same data. The replica as it was when the server stopped (a copy of the
 * server's data folder, served again at the end) must hold every row committed before the
 * outage minus one sync interval; after the server returns Litestream must catch up on its
 * own, and the final restore must hold every row up to the stop, contiguous.
 */
import { afterEach, describe, expect, it } from "vitest";
import { cleanupAll, sleep } from "../support/procs";
import { createWorld, report, restoreAndRead, waitForReplica } from "../support/scenario";
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

const OUTAGE_MS = 30_000;
const SYNC_INTERVAL_MS = 1_000;
/** An upload in flight when the server stops may not land: allowance for its duration. */
const UPLOAD_SLACK_MS = 100;

describe("real data path: storage outage", () => {
    it("keeps what was synced before a 30 s outage and catches up after it", async () => {
        const started = Date.now();
        const world = await createWorld("outage", { databases: ["outage.db"] });
        const [db] = world.dbs;
        const writer = await startWriter(db);
        const litestream = world.host.startReplicate();
        await litestream.waitForUpload("outage.db");
        await sleep(3_000 + Math.floor(Math.random() * 1_000));

        const outageStart = Date.now();
        await world.s3.stop();
        const atOutageData = world.s3.copyData();
        await sleep(OUTAGE_MS - (Date.now() - outageStart));
        const restartAt = Date.now();
        await world.s3.start();
        const rowsAtRestart = writer.lastSeq;

        // Litestream catches up by itself: no restart, no signal.
        const catchUp = await waitForReplica(world, db, rowsAtRestart, 120_000);
        const caughtUpAt = restartAt + catchUp.elapsedMs;
        expect(firstHole(catchUp.content.seqs)).toBeUndefined();
        await sleep(2_000);
        await writer.stop();
        const final = await waitForReplica(world, db, writer.lastSeq, 15_000);
        await litestream.stop();
        expect(writer.errors).toEqual([]);

        const source = readDatabase(db);
        const restored = await restoreAndRead(world, db);
        expect(restored.code, restored.output).toBe(0);
        const content = restored.content!;
        expect(content.integrity).toBe("ok");
        expect(firstHole(content.seqs)).toBeUndefined();
        expect(content.seqs.length).toBe(writer.commits.length);
        expect(content.checksum).toBe(source.checksum);

        // The replica as it stood when the server went away.
        await world.s3.stop();
        await world.s3.withData(atOutageData).start();
        const atOutage = await restoreAndRead(world, db);
        expect(atOutage.code, atOutage.output).toBe(0);
        const outageSeqs = atOutage.content!.seqs;
        expect(firstHole(outageSeqs)).toBeUndefined();
        const required = writer.committedBy(outageStart - SYNC_INTERVAL_MS - UPLOAD_SLACK_MS);
        expect(required.length).toBeGreaterThan(100);
        expect(outageSeqs.at(-1)).toBeGreaterThanOrEqual(required.at(-1)!.seq);
        const lossAtOutage = lossWindowMs(writer.commits, outageSeqs.at(-1) ?? 0, outageStart);
        // The longest any row waited to be in the bucket: the first row the bucket lacked
        // when the server stopped waited until Litestream caught up.
        const firstUnsynced = writer.commits.find((c) => c.seq > (outageSeqs.at(-1) ?? 0));
        const worstExposure = firstUnsynced ? caughtUpAt - firstUnsynced.at : 0;

        const errors = litestream.matching(/level=ERROR/);
        report("storage outage", {
            rowsWritten: writer.commits.length,
            rowsBeforeOutage: writer.committedBy(outageStart).length,
            rowsInReplicaAtOutage: outageSeqs.length,
            lossWindowAtOutageStartMs: lossAtOutage,
            worstLossWindowMs: worstExposure,
            catchUpAfterRestartMs: catchUp.elapsedMs,
            rowsRestored: content.seqs.length,
            catchUpAfterStopMs: final.elapsedMs,
            errorLines: errors.length,
            durationMs: Date.now() - started,
        });
        for (const line of errors) console.log(`[data] storage outage log: ${line}`);
        expect(lossAtOutage).toBeLessThanOrEqual(SYNC_INTERVAL_MS + UPLOAD_SLACK_MS + 1_000);
    });
});
