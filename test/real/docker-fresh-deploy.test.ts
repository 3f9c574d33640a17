/**
 * Real Docker engine, scenario (a): a fresh deploy with `local` storage. The real program
 * (`new LitestreamBackup`) runs under the harness mocks, which create what it registers on
 * the engine: the network, both volumes, the S3 server (healthy before anything reads the
 * bucket), the restore gate (nothing to restore yet, exit 0), the Litestream sidecar (healthy
 * before the app), and the app. The app writes, Litestream replicates, and the objects appear
 * in the bucket, listed through the S3 API.
 */
import { describe, expect, it } from "vitest";
import {
    containerIp,
    DB_FILE,
    describeRun,
    inspectContainer,
    listObjects,
    localArgs,
    readRowsLive,
    report,
    timestampNs,
    uniqueName,
    waitFor,
    useDockerHarness,
} from "../harness/fixtures";
import { docker } from "../harness/harness";
import { TEST_LABEL } from "../harness/mapping";

const CONTAINER = "docker:index/container:Container";

const harness = useDockerHarness();

describe("docker: fresh deploy, local storage", () => {
    it("starts the S3 server, the restore gate, a healthy sidecar and the app, and replicates", async () => {
        const started = Date.now();
        const name = uniqueName("dk-fresh");
        const result = await harness.deploy(name, localArgs());
        expect(result.errors, describeRun(harness)).toEqual([]);
        expect(result.ok).toBe(true);
        const out = result.outputs!;

        expect(out.appContainerName).toBe(name);
        expect(out.litestreamContainerName).toBe(`${name}-litestream`);
        expect(out.volumeName).toBe(`${name}-data`);
        expect(out.endpoint).toBe(`http://${name}-s3:7070`);

        // The order the program declares, which the harness checked before each create.
        expect(result.dependencies[`${CONTAINER}::${name}-restore-0`]).toEqual([
            `${CONTAINER}::${name}-s3`,
        ]);
        expect(result.dependencies[`${CONTAINER}::${name}-litestream`]).toEqual([
            `${CONTAINER}::${name}-s3`,
            `${CONTAINER}::${name}-restore-0`,
        ]);
        expect(result.dependencies[`${CONTAINER}::${name}-app`]).toEqual([
            `${CONTAINER}::${name}-restore-0`,
            `${CONTAINER}::${name}-litestream`,
        ]);

        // The restore gate ran against the empty bucket and let the deploy go on.
        const restore = inspectContainer(`${name}-restore-0`);
        expect(restore.State.Status).toBe("exited");
        expect(restore.State.ExitCode).toBe(0);
        expect(docker(["logs", `${name}-restore-0`]) + "").toMatch(/no matching backups found/);

        // The S3 server and the sidecar turned healthy; the app runs.
        expect(inspectContainer(`${name}-s3`).State.Health?.Status).toBe("healthy");
        const sidecar = inspectContainer(`${name}-litestream`);
        expect(sidecar.State.Health?.Status).toBe("healthy");
        const app = inspectContainer(name);
        expect(app.State.Running).toBe(true);

        // Created in order: restore finished, then the sidecar started and passed its health
        // check, then the app started.
        const firstHealthy = (sidecar.State.Health?.Log ?? []).find((l) => l.ExitCode === 0);
        expect(firstHealthy).toBeDefined();
        expect(timestampNs(restore.State.FinishedAt)).toBeLessThan(
            timestampNs(sidecar.State.StartedAt),
        );
        expect(timestampNs(firstHealthy!.End)).toBeLessThan(timestampNs(app.State.StartedAt));

        // The app writes; Litestream uploads; the objects are in the bucket.
        const rows = await waitFor(
            "25 rows from the app",
            () => {
                const r = readRowsLive(`${name}-litestream`);
                return r.count >= 25 ? r : undefined;
            },
            30_000,
        );
        expect(rows.contiguous).toBe(true);
        const prefix = `${name}/${DB_FILE}/`;
        const objects = await waitFor(
            `objects under ${prefix}`,
            async () => {
                const keys = await listObjects({
                    endpoint: `http://${containerIp(`${name}-s3`, `${name}-network`)}:7070`,
                    accessKeyId: out.accessKeyId,
                    secretAccessKey: out.secretAccessKey,
                    bucket: out.bucketName,
                    prefix,
                });
                return keys.length > 0 ? keys : undefined;
            },
            20_000,
        );
        expect(objects.every((k) => k.startsWith(prefix))).toBe(true);
        expect(objects.some((k) => k.endsWith(".ltx"))).toBe(true);
        const logs = docker(["logs", `${name}-litestream`]);
        expect(logs).toMatch(/replicating to/);
        expect(logs).not.toMatch(/sync error/);

        // Every object carries the component's labels and the run's label.
        for (const c of [name, `${name}-litestream`, `${name}-restore-0`, `${name}-s3`]) {
            const labels = inspectContainer(c).Config.Labels ?? {};
            expect(labels["litestream-backup.component"], c).toBe(name);
            expect(labels[TEST_LABEL], c).toBe(harness.runId);
        }
        const volumes = docker(["volume", "ls", "-q", "--filter", `label=${harness.labelFilter}`]);
        expect(volumes.trim().split("\n").sort()).toEqual([`${name}-data`, `${name}-s3-data`]);
        for (const v of [`${name}-data`, `${name}-s3-data`]) {
            const labels = JSON.parse(docker(["volume", "inspect", v]))[0].Labels;
            expect(labels["litestream-backup.component"], v).toBe(name);
        }
        const network = JSON.parse(docker(["network", "inspect", `${name}-network`]))[0];
        expect(network.Labels[TEST_LABEL]).toBe(harness.runId);
        expect(network.Labels["litestream-backup.component"]).toBe(name);

        report("a fresh deploy (local)", started, {
            deploy: `${(result.durationMs / 1000).toFixed(1)}s`,
            rows: rows.count,
            objects: objects.length,
        });
    });
});
