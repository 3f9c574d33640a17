/**
 * First boot: no replica exists yet. The component's restore gate must exit 0 and write no
 * file (so the app creates its database); the sidecar's health check must pass before the
 * app exists (the deployment waits for it before it starts the app), and replication must
 * start once the app writes: objects appear under the database's replica path.
 */
import { afterEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { cleanupAll } from "../support/procs";
import { createWorld, filesIn, report, waitForReplica } from "../support/scenario";
import { startWriter, stopAllWriters } from "../support/sqlite-writer";

afterEach(async () => {
    await stopAllWriters();
    await cleanupAll();
});

describe("real data path: first boot", () => {
    it("skips the restore without a replica, then replicates", async () => {
        const started = Date.now();
        const world = await createWorld("firstboot", { databases: ["first.db"] });
        const [db] = world.dbs;
        const replicaPath = (
            parse(world.rendered.config) as { dbs: { replica: { path: string } }[] }
        ).dbs[0].replica.path;
        expect(await world.s3.listObjects(world.bucket)).toEqual([]);

        const [gate] = await world.host.runRestoreGate();
        expect(gate.code, gate.output).toBe(0);
        expect(gate.output).toMatch(/no matching backups found/);
        expect(filesIn(world.dataDir)).toEqual([]);
        expect(await world.s3.listObjects(world.bucket)).toEqual([]);

        // The deployment's order: the sidecar starts (and must turn healthy) before the app
        // creates its database; its health check then lists the empty replica instead.
        const litestream = world.host.startReplicate();
        await litestream.waitForLine(/msg="initialized db"/, 10_000);
        const beforeApp = await world.host.runHealthcheck();
        expect(beforeApp.code, `health check before the app started:\n${beforeApp.output}`).toBe(0);
        expect(filesIn(world.dataDir).filter((f) => f.startsWith("first.db"))).toEqual([]);

        const writer = await startWriter(db);
        const uploaded = await litestream.waitForUpload("first.db");
        const objects = await world.s3.listObjects(world.bucket, `${replicaPath}/`);
        expect(objects.length).toBeGreaterThan(0);
        expect(objects.every((o) => o.key.endsWith(".ltx"))).toBe(true);
        await writer.waitForCommits(100);
        await writer.stop();
        const caughtUp = await waitForReplica(world, db, writer.lastSeq, 10_000);
        const afterApp = await world.host.runHealthcheck();
        expect(afterApp.code, `health check while replicating:\n${afterApp.output}`).toBe(0);
        await litestream.stop();
        expect(litestream.matching(/level=ERROR/)).toEqual([]);

        report("first boot", {
            restoreGateExit: gate.code ?? "signal",
            restoreGateMs: gate.durationMs,
            firstUploadAfterAppStartMs: uploaded.at - writer.commits[0].at,
            objects: objects.length,
            rowsWritten: writer.commits.length,
            rowsRestored: caughtUp.content.seqs.length,
            worstLossWindowMs: 0,
            durationMs: Date.now() - started,
        });
    });
});
