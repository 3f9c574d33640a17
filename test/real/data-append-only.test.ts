/**
 * appendOnly: the component with `storage.appendOnly: true` must render Litestream's
 * retention off. It runs here with a server user whose bucket policy allows list, get and
 * put and denies delete (versitygw enforces it). Replication and restore must work with that
 * key, no delete may ever reach the server (its access log), no object may disappear while
 * Litestream snapshots and compacts, and the key's own DeleteObject must be refused.
 *
 * Short snapshot and retention intervals (10 s) make Litestream snapshot three times and
 * compact level 1 (every 30 s) during the run: with retention on, it would delete.
 */
import { afterEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { cleanupAll, sleep } from "../support/procs";
import { createWorld, report, restoreAndRead, waitForReplica } from "../support/scenario";
import { S3Keys } from "../support/s3-server";
import { firstHole, readDatabase, startWriter, stopAllWriters } from "../support/sqlite-writer";

afterEach(async () => {
    await stopAllWriters();
    await cleanupAll();
});

const RUN_MS = 35_000;

describe("real data path: appendOnly", () => {
    it("replicates and restores with a key that cannot delete, and deletes nothing", async () => {
        const started = Date.now();
        let userKeys: S3Keys | undefined;
        const world = await createWorld("appendonly", {
            databases: ["ledger.db"],
            appendOnly: true,
            snapshotInterval: "10s",
            retention: "10s",
            keys: async (s3, bucket) => (userKeys = await s3.createAppendOnlyUser(bucket)),
        });
        const [db] = world.dbs;
        const config = parse(world.rendered.config) as { retention?: { enabled?: boolean } };
        expect(config.retention).toEqual({ enabled: false });
        expect(world.host.keys).toEqual(userKeys);
        expect(world.host.keys.accessKeyId).not.toBe(world.s3.root.accessKeyId);

        const writer = await startWriter(db, { intervalMs: 40 });
        const litestream = world.host.startReplicate();
        await litestream.waitForUpload("ledger.db");

        // Every listing must contain every key seen before: nothing is ever removed.
        const seen = new Set<string>();
        const counts: number[] = [];
        const until = Date.now() + RUN_MS;
        while (Date.now() < until) {
            const keys = (await world.s3.listObjects(world.bucket)).map((o) => o.key);
            const gone = [...seen].filter((k) => !keys.includes(k));
            expect(gone, "objects disappeared").toEqual([]);
            keys.forEach((k) => seen.add(k));
            counts.push(keys.length);
            await sleep(1_000);
        }
        await writer.stop();
        const caughtUp = await waitForReplica(world, db, writer.lastSeq, 15_000);
        await litestream.stop();

        // Litestream did snapshot and compact, and never needed a delete.
        expect(litestream.events("snapshot complete").length).toBeGreaterThanOrEqual(2);
        expect(litestream.events("compaction complete").length).toBeGreaterThanOrEqual(1);
        expect(litestream.matching(/level=ERROR|AccessDenied/)).toEqual([]);
        const deletes = world.s3.accessLogLines().filter((l) => / s3_DeleteObjects? /.test(l));
        expect(deletes).toEqual([]);
        expect(
            world.s3
                .accessLogLines()
                .filter(
                    (l) => l.includes(` s3_PutObject `) && l.includes(world.host.keys.accessKeyId),
                ).length,
        ).toBeGreaterThan(10);

        const source = readDatabase(db);
        const restored = await restoreAndRead(world, db);
        expect(restored.code, restored.output).toBe(0);
        const content = restored.content!;
        expect(content.integrity).toBe("ok");
        expect(firstHole(content.seqs)).toBeUndefined();
        expect(content.seqs.length).toBe(writer.commits.length);
        expect(content.checksum).toBe(source.checksum);

        // The key itself cannot delete; the object is still there afterwards.
        const victim = [...seen][0];
        const refused = await world.s3.tryDelete(world.bucket, victim, world.host.keys);
        expect(refused).toBe("AccessDenied");
        expect((await world.s3.listObjects(world.bucket)).map((o) => o.key)).toContain(victim);
        const objects = await world.s3.listObjects(world.bucket);

        report("appendOnly", {
            rowsWritten: writer.commits.length,
            rowsRestored: content.seqs.length,
            worstLossWindowMs: 0,
            catchUpAfterStopMs: caughtUp.elapsedMs,
            objectsFirst: counts[0],
            objectsLast: objects.length,
            deleteRequests: deletes.length,
            keyDeleteObject: refused ?? "allowed",
            durationMs: Date.now() - started,
        });
    });
});
