/**
 * Real Docker engine, scenario (c): first deploy against an existing, empty bucket
 * (`s3-compatible`, on an S3 server the test runs and joins to the component's network the
 * moment the program creates it). The restore gate finds no replica and exits 0, the sidecar
 * turns healthy on a database that does not exist yet, the app starts with an empty database,
 * and replication begins: objects appear in the bucket.
 */
import { describe, expect, it } from "vitest";
import {
    DB_FILE,
    describeRun,
    inspectContainer,
    readRowsLive,
    report,
    s3CompatibleArgs,
    TestS3Server,
    timestampNs,
    uniqueName,
    waitFor,
    useDockerHarness,
} from "../harness/fixtures";
import { docker } from "../harness/harness";

const harness = useDockerHarness();

describe("docker: first deploy with an empty bucket (s3-compatible)", () => {
    it("passes the restore gate, starts the app on a new database and begins replicating", async () => {
        const started = Date.now();
        const name = uniqueName("dk-empty");
        const server = new TestS3Server(harness, `${name}-ext-s3`);
        await server.start();
        expect(await server.list("")).toEqual([]);
        harness.onCreated(async (created) => {
            if (created.dockerName === `${name}-network`) server.attachTo(created.dockerName);
        });

        const result = await harness.deploy(name, s3CompatibleArgs(server));
        expect(result.errors, describeRun(harness)).toEqual([]);
        expect(result.ok).toBe(true);
        expect(result.outputs!.endpoint).toBe(server.endpoint);
        expect(result.outputs!.bucketName).toBe(server.bucket);
        // Nothing of the storage is created for s3-compatible: only the Docker side.
        expect(result.registered.map((r) => r.type).sort()).toEqual(
            [
                "docker:index/container:Container",
                "docker:index/container:Container",
                "docker:index/container:Container",
                "docker:index/network:Network",
                "docker:index/volume:Volume",
                "litestream-backup:index:LitestreamBackup",
                "pulumi:providers:docker",
            ].sort(),
        );

        // The gate: no replica, exit 0, and the program read that from the container.
        const restoreSpec = result.registered.find((r) => r.name === `${name}-restore-0`);
        expect(restoreSpec?.inputs.attach).toBe(true);
        const restore = inspectContainer(`${name}-restore-0`);
        expect(restore.State.ExitCode).toBe(0);
        const restoreLog = docker(["logs", `${name}-restore-0`]);
        expect(restoreLog).toMatch(/no matching backups found/);

        // The app created a new database: its first row is 1.
        const app = inspectContainer(name);
        expect(app.State.Running).toBe(true);
        expect(timestampNs(restore.State.FinishedAt)).toBeLessThan(
            timestampNs(app.State.StartedAt),
        );
        expect(docker(["logs", name])).toContain("next_seq=1 ");
        const side = inspectContainer(`${name}-litestream`);
        expect(side.State.Health?.Status).toBe("healthy");

        // Replication begins.
        const prefix = `${name}/${DB_FILE}/`;
        const objects = await waitFor(
            `objects under ${prefix}`,
            async () => {
                const keys = await server.list(prefix);
                return keys.some((k) => k.endsWith(".ltx")) ? keys : undefined;
            },
            20_000,
        );
        const rows = await waitFor(
            "20 rows",
            () => {
                const r = readRowsLive(`${name}-litestream`);
                return r.count >= 20 ? r : undefined;
            },
            30_000,
        );
        expect(rows.contiguous).toBe(true);
        expect(rows.rows[0].seq).toBe(1);

        report("c first deploy, empty bucket (s3-compatible)", started, {
            deploy: `${(result.durationMs / 1000).toFixed(1)}s`,
            rows: rows.count,
            objects: objects.length,
        });
    });
});
