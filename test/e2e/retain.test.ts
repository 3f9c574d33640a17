/**
 * `storage.retainOnDelete` through the real `pulumi up` and `pulumi destroy`: with the local
 * S3 server, the destroy removes every container, the data volume and the network, and keeps
 * the server's volume with the replica in it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docker, objectsWithLabel, removeWithLabel, replicaFiles, waitFor } from "./support/docker";
import { record } from "./support/record";
import { E2EProject, E2EStack } from "./support/stack";

const STACK = `e2e-retain-${process.pid}`;
const APP = `e2e-retain-${process.pid}`;
const DB = "/app/data/app.db";

let project: E2EProject;
let stack: E2EStack;

beforeAll(async () => {
    project = new E2EProject("retain");
    stack = await project.stack(STACK, {
        storage: {
            provider: "local",
            retainOnDelete: true,
            localImage: "litestream-backup-test/versitygw:v1.8.0",
        },
        app: {
            name: APP,
            image: "litestream-backup-test/app:1",
            dataDir: "/app/data",
            databases: ["app.db"],
            envs: { DB_PATH: DB },
        },
        replication: { syncInterval: "1s" },
        litestream: { image: "litestream-backup-test/litestream:0.5.16" },
    });
});

afterAll(async () => {
    if (objectsWithLabel("container", `litestream-backup.stack=${STACK}`).length > 0) {
        await stack?.pulumi(["destroy", "--yes", "--skip-preview"]);
    }
    removeWithLabel(`litestream-backup.stack=${STACK}`);
    project?.remove();
});

describe("retainOnDelete with the local S3 server", () => {
    it("keeps the server's volume, with the replica in it, when the stack is destroyed", async () => {
        const up = await stack.up();
        const files = await waitFor("replica files", () => {
            const f = replicaFiles(`${APP}-litestream`, DB);
            return f.length > 0 ? f : undefined;
        });
        const destroy = await stack.destroy();
        const label = `litestream-backup.stack=${STACK}`;
        expect(objectsWithLabel("container", label)).toEqual([]);
        expect(objectsWithLabel("network", label)).toEqual([]);
        expect(objectsWithLabel("volume", label)).toEqual([`${APP}-s3-data`]);
        // The replica's files are still on it: the bucket's folder under the posix backend.
        const kept = docker([
            "run",
            "--rm",
            "--network",
            "none",
            "-v",
            `${APP}-s3-data:/data:ro`,
            "--entrypoint",
            "find",
            "litestream-backup-test/base:bookworm",
            "/data",
            "-path",
            "*/app.db/*",
            "-type",
            "f",
        ])
            .split("\n")
            .filter((l) => l !== "");
        expect(kept.length).toBeGreaterThanOrEqual(files.length);
        record("retainOnDelete: up then destroy", {
            upSeconds: up.seconds,
            destroySeconds: destroy.seconds,
            replicaFiles: files.length,
            filesKept: kept.length,
        });
    });
});
