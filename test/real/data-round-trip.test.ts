/**
 * Round trip: two databases replicated at once by the component's Litestream config; each is
 * restored to a new path and must hold the same rows, the same content checksum and pass
 * `PRAGMA integrity_check`. While the writers run, restores at random moments measure the
 * loss window of steady replication.
 */
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { cleanupAll } from "../support/procs";
import {
    createWorld,
    report,
    restoreAndRead,
    sampleLossWindows,
    STEADY_LOSS_BOUND_MS,
    waitForReplica,
} from "../support/scenario";
import { firstHole, readDatabase, startWriter, stopAllWriters } from "../support/sqlite-writer";

afterEach(async () => {
    await stopAllWriters();
    await cleanupAll();
});

describe("real data path: round trip", () => {
    it("restores two databases replicated at once, row for row", async () => {
        const started = Date.now();
        const world = await createWorld("roundtrip", { databases: ["orders.db", "users.db"] });
        const config = parse(world.rendered.config) as { dbs: { path: string }[] };
        expect(config.dbs.map((d) => d.path)).toEqual(world.dbs);

        const writers = await Promise.all(world.dbs.map((db) => startWriter(db)));
        for (const w of writers) expect(w.journalMode).toBe("wal");
        const litestream = world.host.startReplicate();
        for (const db of world.dbs) {
            await litestream.waitForUpload(path.basename(db));
        }
        const windows = await Promise.all(
            world.dbs.map((db, i) => sampleLossWindows(world, db, writers[i], 6)),
        );
        await Promise.all(writers.map((w) => w.stop()));

        const catchUp = await Promise.all(
            world.dbs.map((db, i) => waitForReplica(world, db, writers[i].lastSeq, 10_000)),
        );
        await litestream.stop();
        expect(litestream.matching(/level=ERROR/)).toEqual([]);

        // Independently of the YAML: the replicas are where the component's contract puts
        // them, `<storage.path, default the component name>/<database>/` in the bucket (a
        // config that both replicates and restores elsewhere would otherwise pass).
        for (const db of world.dbs) {
            const prefix = `roundtrip/${db.split("/").pop()}/`;
            const objects = await world.s3.listObjects(world.bucket, prefix);
            expect(objects.length, `objects under ${prefix}`).toBeGreaterThan(0);
        }

        for (const [i, db] of world.dbs.entries()) {
            const writer = writers[i];
            expect(writer.errors).toEqual([]);
            expect(writer.commits.length).toBeGreaterThan(200);
            const source = readDatabase(db);
            const restored = await restoreAndRead(world, db);
            expect(restored.code, restored.output).toBe(0);
            const content = restored.content!;
            expect(content.integrity).toBe("ok");
            expect(content.seqs.length).toBe(writer.commits.length);
            expect(firstHole(content.seqs)).toBeUndefined();
            expect(content.seqs).toEqual(source.seqs);
            expect(content.checksum).toBe(source.checksum);
            for (const w of windows[i]) expect(w).toBeLessThan(STEADY_LOSS_BOUND_MS);
            report(`round trip ${db.split("/").pop()}`, {
                rowsWritten: writer.commits.length,
                rowsRestored: content.seqs.length,
                worstLossWindowMs: Math.max(...windows[i]),
                lossWindowSamplesMs: windows[i].join("/"),
                lossAfterStop: writer.commits.length - content.seqs.length,
                catchUpAfterStopMs: catchUp[i].elapsedMs,
                restoreMs: restored.durationMs,
                durationMs: Date.now() - started,
            });
        }
    });
});
