/**
 * Real Docker engine, scenario (d): broken credentials while a replica exists, with
 * `s3-compatible` storage on an S3 server the test runs (joined to the component's network the
 * moment the program creates it).
 *
 * 1. A deploy with the right key seeds the replica.
 * 2. Wrong secret, database present (no restore needed): the credential is an input of the
 *    restore container and the sidecar, so both are replaced (`deleteBeforeReplace`: the old
 *    sidecar stops and makes its last sync). The new restore skips (the database exists), the
 *    new sidecar cannot sync and turns `unhealthy`, and the deploy fails in the provider's
 *    wait. The app keeps running: it only depends on them and takes none of its inputs from
 *    them, so a credential mistake (or any change to the replication settings) does not take
 *    the app down; it stops the backups, and says so. The sidecar's wait is shortened from
 *    300 s to 45 s, and its start period from 5 min to 0, through the component's
 *    `transformations` (as a user adjusts a child); everything else is the program's.
 * 3. The server is lost with its volume, and the deploy runs again with the wrong secret: the
 *    restore exits 1, the deploy fails at the restore gate with the database and Litestream's
 *    error in the message, and neither the sidecar nor the app exists: nothing runs on an
 *    empty database.
 * 4. With the right secret again, the same `pulumi up` restores the data and starts the app,
 *    with every row written before the credential broke; rows written while the sidecar could
 *    not sync never reached the replica.
 */
import type * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import {
    DATA_DIR,
    DB_FILE,
    DB_PATH,
    describeRun,
    inspectContainer,
    containerExists,
    readRows,
    readRowsLive,
    report,
    Rows,
    s3CompatibleArgs,
    TestS3Server,
    timestampNs,
    uniqueName,
    waitFor,
    LITESTREAM_IMAGE,
    useDockerHarness,
} from "../harness/fixtures";
import { docker, HEALTHY_STATE_ERROR } from "../harness/harness";

const CONTAINER = "docker:index/container:Container";

const harness = useDockerHarness();

/** Shortens the sidecar's wait and start period (the only change made to the program). */
function quickSidecarWait(sidecarName: string): pulumi.ResourceTransformation {
    return (a) => {
        if (a.type !== CONTAINER || a.name !== sidecarName) return undefined;
        const props = a.props as Record<string, unknown>;
        return {
            props: {
                ...props,
                waitTimeout: 45,
                healthcheck: {
                    ...(props.healthcheck as Record<string, unknown>),
                    startPeriod: "0s",
                },
            },
            opts: a.opts,
        };
    };
}

describe("docker: broken credentials with an existing replica (s3-compatible)", () => {
    it("fails visibly at the sidecar's health, then at the restore gate, and never runs the app on an empty database", async () => {
        const started = Date.now();
        const name = uniqueName("dk-creds");
        const sidecar = `${name}-litestream`;
        const restoreName = `${name}-restore-0`;
        const volume = `${name}-data`;
        const server = new TestS3Server(harness, `${name}-ext-s3`);
        await server.start();
        harness.onCreated(async (created) => {
            if (created.dockerName === `${name}-network`) server.attachTo(created.dockerName);
        });
        const wrongSecret = `${server.secretAccessKey.slice(0, -4)}0000`;
        expect(wrongSecret).not.toBe(server.secretAccessKey);

        // 1. Seed the replica.
        const seed = await harness.deploy(name, s3CompatibleArgs(server));
        expect(seed.errors, describeRun(harness)).toEqual([]);
        await waitFor(
            "40 rows",
            () => (readRowsLive(sidecar).count >= 40 ? true : undefined),
            60_000,
        );
        const prefix = `${name}/${DB_FILE}/`;
        const seeded = await waitFor(
            "replica objects",
            async () => {
                const keys = await server.list(prefix);
                return keys.some((k) => k.endsWith(".ltx")) ? keys : undefined;
            },
            20_000,
        );

        // 2. Wrong secret, the database is there: the sidecar turns unhealthy and the deploy
        // fails; the running app is left alone (it takes no input from the replaced sidecar or
        // restore container), so a credential mistake stops backups, not the app.
        const beforeSwitch = readRowsLive(sidecar);
        const t2 = Date.now();
        const unhealthy = await harness.deploy(name, s3CompatibleArgs(server, wrongSecret), {
            transformations: [quickSidecarWait(`${name}-litestream`)],
        });
        const d2 = Date.now() - t2;
        expect(unhealthy.ok).toBe(false);
        const waitError = unhealthy.errors.find((e) => e.includes(HEALTHY_STATE_ERROR));
        expect(waitError, unhealthy.errors.join("\n---\n")).toBeDefined();
        expect(waitError).toContain(`${name}-litestream [${CONTAINER}]`);
        const action = (result: typeof unhealthy, key: string) =>
            result.events.filter((e) => e.key === key).map((e) => e.action);
        expect(action(unhealthy, `${CONTAINER}::${restoreName}`)).toEqual(["replace", "create"]);
        expect(action(unhealthy, `${CONTAINER}::${name}-app`)).toEqual([]);
        expect(action(unhealthy, `${CONTAINER}::${sidecar}`)).toEqual(["delete", "create", "fail"]);
        expect(docker(["logs", restoreName])).toMatch(/already exists/);
        expect(inspectContainer(restoreName).State.ExitCode).toBe(0);
        const side = inspectContainer(sidecar);
        expect(side.State.Health?.Status).toBe("unhealthy");
        const lastCheck = side.State.Health?.Log?.at(-1);
        expect(lastCheck?.ExitCode).toBe(1);
        expect(lastCheck?.Output).toContain(`${DB_PATH}: no successful replica sync yet`);
        expect(docker(["logs", sidecar])).toMatch(/SignatureDoesNotMatch|StatusCode: 403/);
        expect(inspectContainer(name).State.Running).toBe(true);
        expect(unhealthy.registered.map((r) => r.name)).not.toContain(`${name}-app`);

        // 3. The server is lost with its volume; deploy with the wrong secret.
        docker(["kill", name]);
        docker(["kill", sidecar]);
        const before: Rows = readRows(harness, volume);
        docker(["rm", "-f", name, sidecar, restoreName]);
        docker(["volume", "rm", volume]);
        const t3 = Date.now();
        const gated = await harness.deploy(name, s3CompatibleArgs(server, wrongSecret));
        const d3 = Date.now() - t3;
        expect(gated.ok).toBe(false);
        const gateError = gated.errors.find((e) =>
            e.includes(
                `Restoring database ${DB_PATH} failed: container ${restoreName} exited with code 1`,
            ),
        );
        expect(gateError, gated.errors.join("\n---\n")).toBeDefined();
        expect(gateError).toMatch(/SignatureDoesNotMatch|StatusCode: 403/);
        expect(gateError).toContain(
            "The Litestream sidecar and the app were not started, so nothing overwrites the backup.",
        );
        expect(inspectContainer(restoreName).State.ExitCode).toBe(1);
        expect(containerExists(sidecar)).toBe(false);
        expect(containerExists(name)).toBe(false);
        expect(gated.registered.map((r) => r.name)).not.toContain(`${name}-app`);
        expect(gated.registered.map((r) => r.name)).not.toContain(sidecar);
        // The new volume stays empty: nothing created a database on it.
        const listing = docker([
            "run",
            "--rm",
            "--network",
            "none",
            "--label",
            harness.labelFilter,
            "-v",
            `${volume}:${DATA_DIR}`,
            "--entrypoint",
            "ls",
            LITESTREAM_IMAGE,
            "-A",
            DATA_DIR,
        ]).trim();
        expect(listing).toBe("");
        // The replica is untouched.
        const afterGate = await server.list(prefix);
        expect(afterGate).toEqual(expect.arrayContaining(seeded));

        // 4. The right secret again: the restore container is replaced and runs, the app
        // starts on the restored data.
        const t4 = Date.now();
        const fixed = await harness.deploy(name, s3CompatibleArgs(server));
        const d4 = Date.now() - t4;
        expect(fixed.errors, describeRun(harness)).toEqual([]);
        expect(action(fixed, `${CONTAINER}::${restoreName}`)).toEqual(["replace", "create"]);
        const restore = inspectContainer(restoreName);
        expect(restore.State.ExitCode).toBe(0);
        const app = inspectContainer(name);
        expect(timestampNs(restore.State.FinishedAt)).toBeLessThan(
            timestampNs(app.State.StartedAt),
        );
        const restoredMax = Number(/next_seq=(\d+) /.exec(docker(["logs", name]))?.[1] ?? 0) - 1;
        // Every row written before the credential broke is back (the old sidecar made a last
        // sync when it was replaced); rows written while the sidecar could not sync are the
        // ones a broken credential costs, and they were never in the replica.
        expect(restoredMax).toBeGreaterThanOrEqual(beforeSwitch.maxSeq);
        expect(restoredMax).toBeLessThanOrEqual(before.maxSeq);
        const live = await waitFor(
            "rows after the restore",
            () => {
                const r = readRowsLive(sidecar);
                return r.count >= restoredMax + 5 ? r : undefined;
            },
            30_000,
        );
        expect(live.contiguous).toBe(true);
        expect(live.rows.slice(0, restoredMax)).toEqual(before.rows.slice(0, restoredMax));

        report("d broken credentials (s3-compatible)", started, {
            seed_deploy: `${(seed.durationMs / 1000).toFixed(1)}s`,
            unhealthy_deploy: `${(d2 / 1000).toFixed(1)}s`,
            gated_deploy: `${(d3 / 1000).toFixed(1)}s`,
            fixed_deploy: `${(d4 / 1000).toFixed(1)}s`,
            rows_before_credential_broke: beforeSwitch.count,
            rows_before_loss: before.count,
            rows_after_restore: restoredMax,
            replica_objects_seeded: seeded.length,
        });
        console.log(
            `[docker scenario] d: restore gate error as pulumi up prints it:\n${gateError}`,
        );
        console.log(`[docker scenario] d: sidecar wait error:\n${waitError}`);
    });
});
