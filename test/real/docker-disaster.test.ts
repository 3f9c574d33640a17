/**
 * Real Docker engine, scenario (b): disaster. After a deploy with `local` storage has been
 * writing and replicating, the app and the sidecar are killed at once (SIGKILL) and the data
 * volume is removed with every container that mounts it; the S3 server and its volume stay.
 * The same program is deployed again with the same stack state (`pulumi up --refresh`): the
 * harness finds the network, the S3 server and its keys unchanged and recreates what is gone.
 *
 * Must hold: the app starts only after the restore container exited 0 (engine timestamps), and
 * its database then holds exactly the rows written before the loss, minus at most one sync
 * interval of the newest ones, contiguous and identical (seq and write time) to the lost ones.
 */
import { describe, expect, it } from "vitest";
import {
    DB_PATH,
    describeRun,
    inspectContainer,
    localArgs,
    readRows,
    readRowsLive,
    report,
    Rows,
    SYNC_INTERVAL_S,
    timestampNs,
    uniqueName,
    waitFor,
    useDockerHarness,
} from "../harness/fixtures";
import { docker } from "../harness/harness";

const CONTAINER = "docker:index/container:Container";

/** Allowance over one sync interval for the upload and the kill. */
const SLACK_S = 0.5;

const harness = useDockerHarness();

describe("docker: disaster, local storage", () => {
    it("restores the lost volume before the app starts, with every row up to one sync interval before the loss", async () => {
        const started = Date.now();
        const name = uniqueName("dk-disaster");
        const args = localArgs();
        const sidecar = `${name}-litestream`;
        const volume = `${name}-data`;

        const first = await harness.deploy(name, args);
        expect(first.errors, describeRun(harness)).toEqual([]);

        // Let the app write and Litestream replicate for a while.
        await waitFor(
            "60 rows",
            () => (readRowsLive(sidecar).count >= 60 ? true : undefined),
            60_000,
        );
        await waitFor(
            "a successful replica sync",
            () =>
                /ltx file uploaded|replica sync/.test(docker(["logs", sidecar])) ? true : undefined,
            10_000,
        );

        // The loss: app and sidecar die together, then the volume goes (which needs every
        // container that mounts it gone, the exited restore container too).
        docker(["kill", name, sidecar]);
        const before = readRows(harness, volume);
        docker(["rm", "-f", name, sidecar, `${name}-restore-0`]);
        docker(["volume", "rm", volume]);
        expect(before.contiguous).toBe(true);
        expect(before.count).toBeGreaterThanOrEqual(60);

        // The restored database, read the moment its restore container exited (before the
        // sidecar or the app touch it).
        let restored: Rows | undefined;
        harness.onCreated(async (created) => {
            if (created.dockerName === `${name}-restore-0`) {
                restored = readRows(harness, volume, { immutable: true });
            }
        });
        const second = await harness.deploy(name, args);
        harness.onCreated(undefined);
        expect(second.errors, describeRun(harness)).toEqual([]);
        expect(second.ok).toBe(true);

        // Like `pulumi up --refresh` on the same stack: the survivors were left alone.
        const action = (key: string) =>
            second.events
                .filter((e) => e.key === key)
                .map((e) => e.action)
                .join(",");
        expect(action(`${CONTAINER}::${name}-s3`)).toBe("adopt");
        expect(action(`docker:index/network:Network::${name}-network`)).toBe("adopt");
        expect(action(`docker:index/volume:Volume::${name}-s3-data`)).toBe("adopt");
        expect(action(`random:index/randomPassword:RandomPassword::${name}-s3-secret-key`)).toBe(
            "adopt",
        );
        expect(action(`docker:index/volume:Volume::${name}-data`)).toBe("gone,create");
        expect(action(`${CONTAINER}::${name}-restore-0`)).toBe("gone,create");
        expect(action(`${CONTAINER}::${name}-litestream`)).toBe("gone,create");
        expect(action(`${CONTAINER}::${name}-app`)).toBe("gone,create");

        // The restore ran and exited 0 before the sidecar and the app started.
        const restore = inspectContainer(`${name}-restore-0`);
        expect(restore.State.ExitCode).toBe(0);
        const app = inspectContainer(name);
        const side = inspectContainer(sidecar);
        expect(app.State.Running).toBe(true);
        expect(side.State.Health?.Status).toBe("healthy");
        expect(timestampNs(restore.State.FinishedAt)).toBeLessThan(
            timestampNs(app.State.StartedAt),
        );
        expect(timestampNs(restore.State.FinishedAt)).toBeLessThan(
            timestampNs(side.State.StartedAt),
        );

        // What came back: a prefix of what was lost, missing at most one sync interval.
        expect(restored, "the restore container's output was not read").toBeDefined();
        const after = restored!;
        expect(after.contiguous).toBe(true);
        expect(after.count).toBeGreaterThan(0);
        expect(after.count).toBeLessThanOrEqual(before.count);
        expect(after.rows).toEqual(before.rows.slice(0, after.count));
        const lastBefore = before.rows[before.count - 1].written_at;
        const lost = before.rows.slice(after.count);
        const lostSpan = lost.length ? lastBefore - lost[0].written_at : 0;
        expect(lostSpan).toBeLessThanOrEqual(SYNC_INTERVAL_S + SLACK_S);

        // The app went on from the restored rows, and they are replicated again.
        const appLog = docker(["logs", name]);
        expect(appLog).toContain(`db=${DB_PATH}`);
        expect(appLog).toContain(`next_seq=${after.maxSeq + 1}`);
        const live = await waitFor(
            "new rows after the restore",
            () => {
                const r = readRowsLive(sidecar);
                return r.count >= after.count + 10 ? r : undefined;
            },
            30_000,
        );
        expect(live.contiguous).toBe(true);
        expect(live.rows.slice(0, after.count)).toEqual(after.rows);
        expect(docker(["logs", sidecar])).not.toMatch(/sync error/);

        report("b disaster (local)", started, {
            first_deploy: `${(first.durationMs / 1000).toFixed(1)}s`,
            redeploy: `${(second.durationMs / 1000).toFixed(1)}s`,
            rows_before_loss: before.count,
            rows_after_restore: after.count,
            rows_lost: lost.length,
            lost_span_s: lostSpan.toFixed(2),
        });
    });
});
