/**
 * A stack with two databases (one in a sub-folder) on `s3-compatible` storage, a versitygw
 * server this test runs on the Docker bridge's gateway address, deployed by the real
 * `pulumi up`: both databases replicate and both restore; a broken credential on the running
 * stack fails `pulumi up` within a minute, naming the cause, and leaves the app running; with
 * the volume lost as well, the gate keeps the app from starting on empty databases until the
 * credential is fixed.
 */
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanupAll } from "../support/procs";
import { S3Server, startS3Server } from "../support/s3-server";
import {
    bridgeGateway,
    countRows,
    docker,
    inspect,
    mustInspect,
    objectsWithLabel,
    removeWithLabel,
    RowCount,
    waitFor,
} from "./support/docker";
import { record } from "./support/record";
import { E2EProject, E2EStack, s3CompatibleStorage } from "./support/stack";

const STACK = `e2e-s3c-${process.pid}`;
const APP = `e2e-s3c-${process.pid}`;
const SIDECAR = `${APP}-litestream`;
const BUCKET = "e2e-backups";
const PREFIX = "shop";
const DATA = "/app/data";
const DATABASES = ["a.db", "sub/b.db"];
const WRITE_INTERVAL_S = 0.5;
const SYNC_INTERVAL_S = 1;
/** Rows a crash may lose: one sync interval of writes, plus the row in flight. */
const ALLOWED_LOSS = Math.ceil(SYNC_INTERVAL_S / WRITE_INTERVAL_S) + 1;

let s3: S3Server;
let project: E2EProject;
let stack: E2EStack;

/** Two writers, one a database; SIGTERM stops both (sh as PID 1 ignores it otherwise). */
const COMMAND = [
    "sh",
    "-c",
    'trap "kill $(jobs -p) 2>/dev/null; wait; exit 0" TERM; ' +
        DATABASES.map((db) => `DB_PATH=${DATA}/${db} python3 /app/writer.py &`).join(" ") +
        " wait",
];

function rows(): RowCount[] {
    return DATABASES.map((db) => countRows(SIDECAR, `${DATA}/${db}`));
}

/** Containers that mount the data volume (so that it can be removed). */
function volumeUsers(): string[] {
    return docker(["ps", "-a", "--filter", `volume=${APP}-data`, "--format", "{{.Names}}"])
        .split("\n")
        .filter((n) => n !== "");
}

function loseAppAndVolume(): void {
    docker(["rm", "-f", ...volumeUsers()]);
    docker(["volume", "rm", `${APP}-data`]);
}

beforeAll(async () => {
    s3 = await startS3Server(bridgeGateway());
    await s3.createBucket(BUCKET);
    project = new E2EProject("s3c");
    stack = await project.stack(STACK, {
        storage: s3CompatibleStorage(s3, BUCKET, PREFIX),
        app: {
            name: APP,
            image: "litestream-backup-test/app:1",
            dataDir: DATA,
            databases: DATABASES,
            command: COMMAND,
            envs: { WRITE_INTERVAL: String(WRITE_INTERVAL_S) },
        },
        replication: { preset: "active", syncInterval: `${SYNC_INTERVAL_S}s` },
        litestream: { image: "litestream-backup-test/litestream:0.5.16" },
    });
    await stack.setConfig("storage.accessKeyId", s3.root.accessKeyId, true);
    await stack.setConfig("storage.secretAccessKey", s3.root.secretAccessKey, true);
});

afterAll(async () => {
    if (objectsWithLabel("container", `litestream-backup.stack=${STACK}`).length > 0) {
        await stack?.pulumi(["destroy", "--yes", "--skip-preview"]);
    }
    removeWithLabel(`litestream-backup.stack=${STACK}`);
    project?.remove();
    await cleanupAll();
});

describe("two databases on s3-compatible storage through the real pulumi up", () => {
    it("replicates both databases", async () => {
        const up = await stack.up();
        const counts = await waitFor("rows in both databases", () => {
            const r = rows();
            return r.every((x) => x.count >= 4) ? r : undefined;
        });
        for (const db of DATABASES) {
            const objects = await waitFor(`objects of ${db}`, async () => {
                const o = await s3.listObjects(BUCKET, `${PREFIX}/${db}/`);
                return o.length > 0 ? o : undefined;
            });
            expect(objects.every((o) => o.key.startsWith(`${PREFIX}/${db}/`))).toBe(true);
        }
        await stack.expectNoChanges();
        record("s3-compatible: fresh up, two databases", {
            seconds: up.seconds,
            rowsA: counts[0].count,
            rowsB: counts[1].count,
        });
    });

    it("restores both databases after the app, sidecar and volume are lost", async () => {
        const before = rows();
        loseAppAndVolume();
        const up = await stack.up("--refresh");
        const app = mustInspect(APP);
        for (const index of [0, 1]) {
            const restore = mustInspect(`${APP}-restore-${index}`);
            expect(restore.State.ExitCode).toBe(0);
            expect(Date.parse(restore.State.FinishedAt)).toBeLessThanOrEqual(
                Date.parse(app.State.StartedAt),
            );
        }
        const after = rows();
        for (const index of [0, 1]) {
            expect(after[index].contiguous, DATABASES[index]).toBe(true);
            expect(after[index].count, DATABASES[index]).toBeGreaterThanOrEqual(
                before[index].count - ALLOWED_LOSS,
            );
        }
        record("s3-compatible: disaster, up --refresh", {
            seconds: up.seconds,
            rowsBeforeA: before[0].count,
            rowsAfterA: after[0].count,
            rowsBeforeB: before[1].count,
            rowsAfterB: after[1].count,
        });
    });

    it("fails pulumi up within 60 s on a broken credential, naming the cause, app untouched", async () => {
        const appBefore = mustInspect(APP);
        const sidecarBefore = mustInspect(SIDECAR);
        await stack.setConfig("storage.secretAccessKey", "not-the-secret-key-of-this-bucket", true);
        const up = await stack.pulumi(["up", "--yes", "--skip-preview"]);
        const output = up.stdout + up.stderr;
        expect(up.code, output).not.toBe(0);
        expect(up.seconds).toBeLessThan(60);
        expect(output).toContain("The preflight check of the bucket failed");
        expect(output).toMatch(/SignatureDoesNotMatch|403/);
        const appAfter = mustInspect(APP);
        const sidecarAfter = mustInspect(SIDECAR);
        expect(appAfter.Id).toBe(appBefore.Id);
        expect(appAfter.State.Running).toBe(true);
        expect(sidecarAfter.Id).toBe(sidecarBefore.Id);
        expect(sidecarAfter.State.Running).toBe(true);
        record("s3-compatible: broken credential, up fails", { seconds: up.seconds });
    });

    it("keeps the app from starting on empty databases when the volume is lost too", async () => {
        const before = rows();
        loseAppAndVolume();
        const failed = await stack.pulumi(["up", "--yes", "--skip-preview", "--refresh"]);
        expect(failed.code).not.toBe(0);
        expect(failed.stdout + failed.stderr).toContain("The preflight check of the bucket failed");
        expect(inspect(APP)).toBeUndefined();
        expect(inspect(SIDECAR)).toBeUndefined();

        await stack.setConfig("storage.secretAccessKey", s3.root.secretAccessKey, true);
        const fixed = await stack.up();
        const after = rows();
        for (const index of [0, 1]) {
            expect(after[index].contiguous).toBe(true);
            expect(after[index].count).toBeGreaterThanOrEqual(before[index].count - ALLOWED_LOSS);
        }
        record("s3-compatible: volume lost with a broken credential, then fixed", {
            failedSeconds: failed.seconds,
            fixedSeconds: fixed.seconds,
            rowsBeforeA: before[0].count,
            rowsAfterA: after[0].count,
            rowsBeforeB: before[1].count,
            rowsAfterB: after[1].count,
        });
    });

    it("leaves the existing bucket and its backups on destroy", async () => {
        await stack.destroy();
        expect(objectsWithLabel("container", `litestream-backup.stack=${STACK}`)).toEqual([]);
        for (const db of DATABASES) {
            expect((await s3.listObjects(BUCKET, `${PREFIX}/${db}/`)).length).toBeGreaterThan(0);
        }
        expect(path.basename(s3.dataDir)).toBe("data");
    });
});
