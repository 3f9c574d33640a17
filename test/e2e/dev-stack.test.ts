/**
 * The dev stack (Pulumi.dev.yaml: local S3 server, demo app, Litestream) through the real
 * `pulumi up`, one scenario after another on one stack: a fresh deploy, an `up` that changes
 * nothing, secrets in the state, a sync-interval change, the loss of the app, sidecar and
 * volume, and the destroy. Only the app's name (and with it every Docker object's name) is the
 * test's own, so the stack can run beside a user's dev stack.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
    countRows,
    docker,
    mustInspect,
    objectsWithLabel,
    removeWithLabel,
    replicaFiles,
    sleep,
    waitFor,
} from "./support/docker";
import { check, E2EProject, E2EStack, ROOT } from "./support/stack";
import { record } from "./support/record";

const STACK = `e2e-dev-${process.pid}`;
const APP = `e2e-dev-${process.pid}`;
const DB = "/app/data/demo.db";
/** The demo app writes a row every 2 s (Pulumi.dev.yaml). */
const WRITE_INTERVAL_S = 2;

const devConfig = (
    parse(readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8")) as {
        config: Record<string, Record<string, unknown>>;
    }
).config;

let project: E2EProject;
let stack: E2EStack;
let sidecar: string;
let syncSeconds = 1;

/** Rows the app may lose to a crash: one sync interval of writes, plus the row in flight. */
function allowedLoss(): number {
    return Math.ceil(syncSeconds / WRITE_INTERVAL_S) + 1;
}

beforeAll(async () => {
    await check("bash", [path.join(ROOT, "scripts", "stack-images.sh"), "dev"]);
    project = new E2EProject("dev");
    const config: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(devConfig)) {
        config[key.replace(/^litestream-backup:/, "")] = value;
    }
    config.app = { ...(config.app as object), name: APP };
    // The scenario below changes it from 1s (the dev stack's own value) to 2s.
    config.replication = { ...(config.replication as object), syncInterval: "1s" };
    stack = await project.stack(STACK, config);
    sidecar = `${APP}-litestream`;
});

afterAll(async () => {
    if (objectsWithLabel("container", `litestream-backup.stack=${STACK}`).length > 0) {
        await stack?.pulumi(["destroy", "--yes", "--skip-preview"]);
    }
    removeWithLabel(`litestream-backup.stack=${STACK}`);
    project?.remove();
});

describe("the dev stack through the real pulumi up", () => {
    it("deploys fresh: sidecar healthy, app writing, objects in the bucket", async () => {
        const up = await stack.up();
        expect(mustInspect(sidecar).State.Health?.Status).toBe("healthy");
        expect(mustInspect(APP).State.Running).toBe(true);
        const rows = await waitFor("3 rows", () => {
            const r = countRows(sidecar, DB);
            return r.count >= 3 ? r : undefined;
        });
        const files = await waitFor("replica files", () => {
            const f = replicaFiles(sidecar, DB);
            return f.length > 0 ? f : undefined;
        });
        expect(rows.contiguous).toBe(true);
        record("dev: fresh up", {
            seconds: up.seconds,
            rows: rows.count,
            replicaFiles: files.length,
        });
    });

    it("changes nothing on a second up: clean preview, no container restarted", async () => {
        const before = { app: mustInspect(APP), sidecar: mustInspect(sidecar) };
        const preview = await stack.expectNoChanges("--diff");
        const up = await stack.up();
        expect(up.stdout).not.toMatch(/[+~-]\s+\d+ to (create|update|delete|replace)/);
        const after = { app: mustInspect(APP), sidecar: mustInspect(sidecar) };
        expect(after.app.Id).toBe(before.app.Id);
        expect(after.app.State.StartedAt).toBe(before.app.State.StartedAt);
        expect(after.sidecar.Id).toBe(before.sidecar.Id);
        expect(after.sidecar.State.StartedAt).toBe(before.sidecar.State.StartedAt);
        record("dev: second up", {
            previewSeconds: preview.seconds,
            upSeconds: up.seconds,
            rows: countRows(sidecar, DB).count,
        });
    });

    it("keeps every credential out of the state export, the outputs, the config and the labels", async () => {
        const outputs = await stack.outputs();
        const secret = String(outputs.secretAccessKey);
        const keyId = String(outputs.accessKeyId);
        expect(secret.length).toBeGreaterThanOrEqual(20);
        const exported = await stack.pulumi(["stack", "export"]);
        expect(exported.code).toBe(0);
        expect(exported.stdout).not.toContain(secret);
        expect(exported.stdout).not.toContain(`LITESTREAM_SECRET_ACCESS_KEY=${secret}`);
        const plainOutputs = await stack.pulumi(["stack", "output", "--json"]);
        expect(plainOutputs.stdout).not.toContain(secret);
        expect(plainOutputs.stdout).not.toContain(keyId);
        expect(String(outputs.litestreamConfig)).not.toContain(secret);
        const config = docker(["exec", sidecar, "cat", "/etc/litestream.yml"]);
        expect(config).not.toContain(secret);
        expect(config).not.toContain(keyId);
        for (const name of [APP, sidecar]) {
            const labels = JSON.stringify(mustInspect(name).Config.Labels);
            expect(labels).not.toContain(secret);
        }
        // The credential does reach Litestream, through its environment only.
        expect(mustInspect(sidecar).Config.Env).toContain(`LITESTREAM_SECRET_ACCESS_KEY=${secret}`);
        expect(mustInspect(APP).Config.Env?.join("\n")).not.toContain(secret);
    });

    it("replaces only the sidecar on a sync-interval change, losing no committed row", async () => {
        const appBefore = mustInspect(APP);
        const sidecarBefore = mustInspect(sidecar);
        await stack.setConfig("replication.syncInterval", "2s");
        const committed = countRows(sidecar, DB);
        const up = await stack.up();
        syncSeconds = 2;
        const appAfter = mustInspect(APP);
        const sidecarAfter = mustInspect(sidecar);
        expect(sidecarAfter.Id, up.stdout).not.toBe(sidecarBefore.Id);
        expect(sidecarAfter.State.Health?.Status).toBe("healthy");
        expect(appAfter.Id, up.stdout).toBe(appBefore.Id);
        expect(appAfter.State.StartedAt).toBe(appBefore.State.StartedAt);
        expect(docker(["exec", sidecar, "cat", "/etc/litestream.yml"])).toMatch(
            /sync-interval: 2s/,
        );
        // Two sync intervals later the replica holds every row committed before the change.
        await sleep(2 * syncSeconds * 1000 + 1000);
        docker(["exec", sidecar, "rm", "-f", "/tmp/check.db"]);
        docker([
            "exec",
            sidecar,
            "litestream",
            "restore",
            "-config",
            "/etc/litestream.yml",
            "-o",
            "/tmp/check.db",
            DB,
        ]);
        const restored = countRows(sidecar, "/tmp/check.db");
        docker(["exec", sidecar, "rm", "-f", "/tmp/check.db"]);
        expect(restored.contiguous).toBe(true);
        expect(restored.count).toBeGreaterThanOrEqual(committed.count);
        record("dev: sync interval 1s -> 2s", {
            seconds: up.seconds,
            rowsCommittedBefore: committed.count,
            rowsInReplicaAfter: restored.count,
        });
    });

    it("restores a lost app, sidecar and volume before the app starts (pulumi up --refresh)", async () => {
        const volume = `${APP}-data`;
        const users = docker(["ps", "-a", "--filter", `volume=${volume}`, "--format", "{{.Names}}"])
            .split("\n")
            .filter((n) => n !== "");
        const before = countRows(sidecar, DB);
        docker(["rm", "-f", ...users]);
        docker(["volume", "rm", volume]);
        const up = await stack.up("--refresh");
        const restore = mustInspect(`${APP}-restore-0`);
        const app = mustInspect(APP);
        expect(restore.State.ExitCode).toBe(0);
        expect(Date.parse(restore.State.FinishedAt)).toBeLessThanOrEqual(
            Date.parse(app.State.StartedAt),
        );
        const logs = docker(["logs", `${APP}-restore-0`]);
        expect(logs).toMatch(/restor/i);
        const after = countRows(sidecar, DB);
        expect(after.contiguous).toBe(true);
        expect(after.count).toBeGreaterThanOrEqual(before.count - allowedLoss());
        const writing = await waitFor("the app writing again", () => {
            const r = countRows(sidecar, DB);
            return r.count > after.count ? r : undefined;
        });
        record("dev: disaster, up --refresh", {
            seconds: up.seconds,
            rowsBefore: before.count,
            rowsAfterRestore: after.count,
            rowsSoonAfter: writing.count,
        });
    });

    it("leaves nothing of the stack on destroy (local storage, retainOnDelete false)", async () => {
        const destroy = await stack.destroy();
        const label = `litestream-backup.stack=${STACK}`;
        expect(objectsWithLabel("container", label)).toEqual([]);
        expect(objectsWithLabel("volume", label)).toEqual([]);
        expect(objectsWithLabel("network", label)).toEqual([]);
        record("dev: destroy", { seconds: destroy.seconds });
    });
});
