/**
 * Restore drills through the real `pulumi up`: a stack on `s3-compatible` storage (a versitygw
 * server this test runs on the Docker bridge's gateway), the verifier drilling every minute,
 * and a heartbeat receiver (an HTTP server of this test on the same address) standing in for
 * a push monitor. A healthy stack passes its drills and pings; each way a backup can go bad
 * is caught by the next drill, with the reason in the verifier's health output and a
 * `/fail` ping: replica objects deleted, one replica object overwritten with garbage, the
 * sidecar stopped for longer than the freshness bound, the credential replaced by one without
 * read access (which also fails `pulumi up` through the drill on deploy). No drill touches the
 * app's database file, and none leaves a scratch file behind.
 */
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { createServer, IncomingMessage, Server } from "node:http";
import { AddressInfo } from "node:net";
import * as path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanupAll } from "../support/procs";
import { S3Server, startS3Server } from "../support/s3-server";
import {
    bridgeGateway,
    docker,
    health,
    inspect,
    mustInspect,
    objectsWithLabel,
    removeWithLabel,
    sleep,
    waitFor,
} from "./support/docker";
import { record } from "./support/record";
import { E2EProject, E2EStack, s3CompatibleStorage } from "./support/stack";

const exec = promisify(execFile);
const STACK = `e2e-verify-${process.pid}`;
const APP = `e2e-verify-${process.pid}`;
const SIDECAR = `${APP}-litestream`;
const VERIFIER = `${APP}-verify`;
const DEPLOY_DRILL = `${APP}-verify-deploy`;
const BUCKET = "e2e-verify";
const PREFIX = "drills";
/**
 * The database's replica. The claims' replica beside it (components/plan/claim.ts) is not what
 * these faults are about: it is left alone (test/e2e/server-move.test.ts covers it).
 */
const REPLICA = `${PREFIX}/app.db/`;
const DATA = "/app/data";
const DB = `${DATA}/app.db`;
const SYNC_INTERVAL_S = 1;
/** Two sync intervals plus a minute: the sidecar health check's and the drill's bound. */
const BOUND_S = 2 * SYNC_INTERVAL_S + 60;
const METRICS_PORT = 9090;
const LITESTREAM_IMAGE = "litestream-backup-test/litestream:0.5.16";
const PING_ID = randomUUID();
const LITESTREAM_PING_ID = randomUUID();

/** One request the heartbeat receiver got. */
interface Ping {
    at: number;
    method: string;
    path: string;
    body: string;
}

let s3: S3Server;
let receiver: Server;
let heartbeatUrl: string;
let litestreamHeartbeatUrl: string;
const pings: Ping[] = [];
let project: E2EProject;
let stack: E2EStack;

/** The outcome of the verifier's last drill, as its health check prints it. */
function lastDrill(
    container = VERIFIER,
): { at: number; passed: boolean; text: string } | undefined {
    let text: string;
    try {
        text = docker(["exec", container, "cat", "/var/lib/litestream-verify/last"]);
    } catch {
        return undefined;
    }
    const match = /^drill (passed|FAILED) at (\S+) in ([0-9.]+) s/.exec(text);
    if (!match) return undefined;
    return { at: Date.parse(match[2]), passed: match[1] === "passed", text };
}

/**
 * Waits for the first drill that started after `since` (ms) and returns it. A drill's time has
 * whole seconds, so only one from the next whole second on is surely after `since`: one in the
 * same second may have started just before it (before the fault it is to see).
 */
function nextDrill(since: number, timeoutMs = 240_000) {
    return waitFor(
        `a drill started after ${new Date(since).toISOString()}`,
        () => {
            const last = lastDrill();
            return last !== undefined && last.at >= Math.ceil(since / 1000) * 1000
                ? last
                : undefined;
        },
        timeoutMs,
        2_000,
    );
}

/** The last health check's output of a container. */
function healthOutput(name: string): string {
    const log = mustInspect(name).State.Health?.Log ?? [];
    return log[log.length - 1]?.Output ?? "";
}

function pingsSince(since: number, suffix: "" | "/fail"): Ping[] {
    return pings.filter(
        (p) => p.at >= since && p.path === `/ping/${PING_ID}${suffix}` && p.method === "POST",
    );
}

/** Every object of the replica, with its content. */
async function replicaObjects(): Promise<{ key: string; body: Buffer }[]> {
    const client = s3.client();
    const objects = await s3.listObjects(BUCKET, REPLICA);
    return Promise.all(
        objects.map(async (o) => {
            const out = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: o.key }));
            return { key: o.key, body: Buffer.from(await out.Body!.transformToByteArray()) };
        }),
    );
}

async function putObjects(objects: { key: string; body: Buffer }[]): Promise<void> {
    const client = s3.client();
    for (const o of objects) {
        await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: o.key, Body: o.body }));
    }
}

/**
 * A drill by hand, the README's command; its output and exit code. Asynchronous: the drill
 * pings this process's receiver, which must answer meanwhile.
 */
async function drillByHand(): Promise<{ code: number; output: string }> {
    try {
        const { stdout } = await exec("docker", [
            "exec",
            VERIFIER,
            "sh",
            "/etc/litestream-verify.sh",
            "once",
        ]);
        return { code: 0, output: stdout };
    } catch (e) {
        const err = e as { code: number; stdout: string };
        return { code: err.code, output: err.stdout };
    }
}

/** inode, size and mtime (ns) of the database and its WAL, read in the sidecar. */
function databaseStat(): string {
    return docker([
        "exec",
        SIDECAR,
        "stat",
        "-c",
        "%n inode=%i size=%s mtime=%y",
        DB,
        `${DB}-wal`,
    ]).trim();
}

/** Every file on the data volume, read in the sidecar. */
function volumeFiles(): string {
    return docker(["exec", SIDECAR, "find", DATA, "-maxdepth", "1"]).trim();
}

function scratchFiles(): string {
    return docker([
        "exec",
        VERIFIER,
        "find",
        "/var/lib/litestream-verify/scratch",
        "-mindepth",
        "1",
    ]).trim();
}

async function expectCaught(label: string, since: number, reason: RegExp): Promise<void> {
    const drill = await nextDrill(since);
    expect(drill.passed, drill.text).toBe(false);
    expect(drill.text).toMatch(reason);
    const unhealthy = await waitFor(
        `${VERIFIER} unhealthy`,
        () => (health(VERIFIER) === "unhealthy" ? healthOutput(VERIFIER) : undefined),
        60_000,
    );
    expect(unhealthy).toMatch(reason);
    const fail = await waitFor("a /fail ping", () => pingsSince(since, "/fail")[0], 60_000);
    expect(fail.body).toMatch(reason);
    expect(scratchFiles()).toBe("");
    record(`verify: ${label}`, {
        detectedAfterSeconds:
            Math.round((drill.at - since) / 1000) +
            Number(/in ([0-9.]+) s/.exec(drill.text)?.[1] ?? 0),
        drillSeconds: Number(/in ([0-9.]+) s/.exec(drill.text)?.[1] ?? 0),
        reason: drill.text.split("\n")[1] ?? "",
    });
}

/** A drill by hand that must pass, and the verifier healthy again. */
async function expectRecovered(): Promise<void> {
    const drill = await waitFor(
        "a passing drill",
        async () => {
            const r = await drillByHand();
            return r.code === 0 ? r : undefined;
        },
        240_000,
        5_000,
    );
    expect(drill.output).toContain("drill passed");
    await waitFor(
        `${VERIFIER} healthy`,
        () => (health(VERIFIER) === "healthy" ? true : undefined),
        60_000,
    );
}

function read(req: IncomingMessage): Promise<string> {
    return new Promise((resolve) => {
        let body = "";
        req.on("data", (d: Buffer) => (body += d.toString()));
        req.on("end", () => resolve(body));
    });
}

beforeAll(async () => {
    const gateway = bridgeGateway();
    s3 = await startS3Server(gateway);
    await s3.createBucket(BUCKET);
    receiver = createServer((req, res) => {
        void read(req).then((body) => {
            pings.push({ at: Date.now(), method: req.method ?? "", path: req.url ?? "", body });
            res.writeHead(200, { "Content-Type": "text/plain" });
            res.end("OK");
        });
    });
    await new Promise<void>((resolve) => receiver.listen(0, gateway, resolve));
    const port = (receiver.address() as AddressInfo).port;
    heartbeatUrl = `http://${gateway}:${port}/ping/${PING_ID}`;
    litestreamHeartbeatUrl = `http://${gateway}:${port}/litestream/${LITESTREAM_PING_ID}`;

    project = new E2EProject("verify");
    stack = await project.stack(STACK, {
        storage: s3CompatibleStorage(s3, BUCKET, PREFIX),
        app: {
            name: APP,
            image: "litestream-backup-test/app:1",
            dataDir: DATA,
            databases: ["app.db"],
            envs: { DB_PATH: DB, WRITE_INTERVAL: "0.5" },
        },
        replication: { preset: "active", syncInterval: `${SYNC_INTERVAL_S}s` },
        litestream: {
            image: LITESTREAM_IMAGE,
            metricsPort: METRICS_PORT,
            heartbeatInterval: "1m",
        },
        verify: { interval: "1m", onDeploy: true },
    });
    await stack.setConfig("storage.accessKeyId", s3.root.accessKeyId, true);
    await stack.setConfig("storage.secretAccessKey", s3.root.secretAccessKey, true);
    await stack.setConfig("verify.heartbeatUrl", heartbeatUrl, true);
    await stack.setConfig("litestream.heartbeatUrl", litestreamHeartbeatUrl, true);
});

afterAll(async () => {
    if (objectsWithLabel("container", `litestream-backup.stack=${STACK}`).length > 0) {
        await stack?.pulumi(["destroy", "--yes", "--skip-preview"]);
    }
    removeWithLabel(`litestream-backup.stack=${STACK}`);
    project?.remove();
    await new Promise((resolve) => receiver?.close(resolve));
    await cleanupAll();
});

describe("restore drills through the real pulumi up", () => {
    it("deploys a verifier whose drills pass and ping the push monitor", async () => {
        const started = Date.now();
        const up = await stack.up();
        const deployDrill = mustInspect(DEPLOY_DRILL);
        expect(deployDrill.State.ExitCode).toBe(0);
        expect(docker(["logs", DEPLOY_DRILL])).toMatch(/drill passed/);
        const first = await nextDrill(started);
        expect(first.passed, first.text).toBe(true);
        await waitFor(`${VERIFIER} healthy`, () =>
            health(VERIFIER) === "healthy" ? true : undefined,
        );
        expect(healthOutput(VERIFIER)).toMatch(/^drill passed/);
        const ok = await waitFor("a success ping", () => pingsSince(started, "")[0], 60_000);
        expect(ok.body).toMatch(/drill passed/);
        expect(pingsSince(started, "/fail")).toEqual([]);

        // The verifier reaches the sidecar's socket, and nothing of the app's.
        const mounts = mustInspect(VERIFIER).Mounts.map((m) => `${m.Name}:${m.Destination}`);
        expect(mounts).toEqual([`${APP}-control:/var/run/litestream`]);

        // Its metrics, beside Litestream's, on the component's network.
        const metrics = docker([
            "run",
            "--rm",
            "--network",
            `${APP}-network`,
            "--entrypoint",
            "busybox",
            LITESTREAM_IMAGE,
            "wget",
            "-qO-",
            `http://${VERIFIER}:${METRICS_PORT}/metrics`,
        ]);
        expect(metrics).toContain(`litestream_backup_verify_last_result{database="${DB}"} 1`);
        expect(metrics).toMatch(
            /litestream_backup_verify_last_success_timestamp_seconds\{database="[^"]+"\} [1-9][0-9]+/,
        );
        expect(metrics).toMatch(/litestream_backup_verify_last_duration_seconds\{[^}]+\} [0-9.]+/);

        // The push monitors' URLs are secrets: in no output, file, label or log.
        const outputs = await stack.pulumi(["stack", "output", "--json"]);
        const all = await stack.outputs();
        for (const secret of [PING_ID, LITESTREAM_PING_ID]) {
            expect(outputs.stdout).not.toContain(secret);
            expect(up.stdout + up.stderr).not.toContain(secret);
            expect(String(all.litestreamConfig)).not.toContain(secret);
            expect(String(all.composeFile)).not.toContain(secret);
            for (const name of [VERIFIER, DEPLOY_DRILL, SIDECAR]) {
                expect(JSON.stringify(mustInspect(name).Config.Labels)).not.toContain(secret);
                // Litestream itself logs its heartbeat URL when a ping fails (store.go); none
                // failed here.
                expect(docker(["logs", name])).not.toContain(secret);
            }
            for (const file of readdirSync(project.stateDir, { recursive: true })) {
                const full = path.join(project.stateDir, String(file));
                if (statSync(full).isFile())
                    expect(readFileSync(full, "utf8")).not.toContain(secret);
            }
        }
        expect(String(all.litestreamConfig)).toContain(
            'heartbeat-url: "${LITESTREAM_HEARTBEAT_URL}"',
        );
        expect(all.verifyContainerName).toBe(VERIFIER);

        // Litestream's own heartbeat: a GET every minute while the database syncs.
        const litestreamPing = await waitFor(
            "Litestream's own heartbeat",
            () => pings.find((p) => p.path === `/litestream/${LITESTREAM_PING_ID}`),
            150_000,
        );
        expect(litestreamPing.method).toBe("GET");

        const preview = await stack.pulumi(["preview"]);
        expect(preview.stdout).toMatch(/verify-deploy/);
        record("verify: healthy stack", {
            upSeconds: up.seconds,
            firstDrillSeconds: Number(/in ([0-9.]+) s/.exec(first.text)?.[1] ?? 0),
            litestreamHeartbeatAfterSeconds: Math.round((litestreamPing.at - started) / 1000),
        });
    });

    it("leaves the app's database file alone and no scratch file behind", async () => {
        // The app stops writing; Litestream's last checkpoint comes within a minute of its
        // last synced change, then the file rests.
        docker(["stop", APP]);
        await sleep(70_000);
        const before = { stat: databaseStat(), files: volumeFiles() };
        const drill = await drillByHand();
        expect(drill.code, drill.output).toBe(0);
        const after = { stat: databaseStat(), files: volumeFiles() };
        expect(after).toEqual(before);
        expect(scratchFiles()).toBe("");
        docker(["start", APP]);
        record("verify: database untouched", {
            stat: before.stat.replace(/\n/g, "; "),
            drillSeconds: Number(/in ([0-9.]+) s/.exec(drill.output)?.[1] ?? 0),
        });
    });

    it("catches replica objects deleted from the bucket", async () => {
        // Deleted again and again (a lifecycle rule gone wrong, say) until a drill has seen it:
        // a young replica deleted once can heal itself, when the sidecar, after a failed sync,
        // finds the bucket empty and uploads its local files again from TXID 1.
        const since = Date.now();
        let deleting = true;
        const deleteAll = async () => {
            for (const o of await s3.listObjects(BUCKET, REPLICA)) {
                await s3.tryDelete(BUCKET, o.key, s3.root);
            }
        };
        const deleter = (async () => {
            while (deleting) {
                await deleteAll();
                await sleep(250);
            }
        })();
        try {
            await expectCaught(
                "objects deleted",
                since,
                /has held no backup|cannot be listed|restore of TXID .* failed/,
            );
        } finally {
            deleting = false;
            await deleter;
        }
        // The repair: files the sidecar uploaded while the deleter ran are gone, so the replica
        // has holes that putting the old objects back would not fill. Started afresh (emptied,
        // and the sidecar restarted), the sidecar uploads its database again.
        await deleteAll();
        docker(["restart", SIDECAR]);
        await waitFor(`${SIDECAR} healthy`, () =>
            health(SIDECAR) === "healthy" ? true : undefined,
        );
        await expectRecovered();
    });

    it("catches one replica object overwritten with garbage", async () => {
        const objects = await s3.listObjects(BUCKET, `${REPLICA}0009/`);
        const snapshot = objects[objects.length - 1];
        expect(snapshot).toBeDefined();
        const [original] = (await replicaObjects()).filter((o) => o.key === snapshot.key);
        const since = Date.now();
        await putObjects([{ key: snapshot.key, body: Buffer.alloc(original.body.length, 0x5a) }]);
        await expectCaught("object overwritten", since, /restore of TXID .* failed/);
        await putObjects([original]);
        await expectRecovered();
    });

    it("catches the sidecar stopped for longer than the freshness bound", async () => {
        const since = Date.now();
        docker(["stop", SIDECAR]);
        await expectCaught(
            "sidecar stopped",
            since,
            new RegExp(`does not answer on its control socket.*for at least ${BOUND_S}s`),
        );
        docker(["start", SIDECAR]);
        await waitFor(`${SIDECAR} healthy`, () =>
            health(SIDECAR) === "healthy" ? true : undefined,
        );
        await expectRecovered();
    });

    it("fails pulumi up through the drill on deploy when the credential cannot read, app running", async () => {
        const appBefore = mustInspect(APP);
        // A credential that cannot read the database's replica (a policy scoped to another
        // prefix, say). One that can read nothing at all does not get this far: the sidecar
        // cannot read the replica's claims and does not replicate (README, "one writer per
        // replica"), and `pulumi up` waits for it in vain.
        const noRead = await s3.createNoReadUser(BUCKET, REPLICA);
        await stack.setConfig("storage.accessKeyId", noRead.accessKeyId, true);
        await stack.setConfig("storage.secretAccessKey", noRead.secretAccessKey, true);
        const since = Date.now();
        const failed = await stack.pulumi(["up", "--yes", "--skip-preview"]);
        const output = failed.stdout + failed.stderr;
        expect(failed.code, output).not.toBe(0);
        expect(output).toContain("The restore drill on deploy failed");
        expect(output).toContain(`${DB}: FAILED`);
        expect(output).toMatch(/AccessDenied|403/);
        const appAfter = mustInspect(APP);
        expect(appAfter.Id).toBe(appBefore.Id);
        expect(appAfter.State.Running).toBe(true);
        await waitFor(
            "a /fail ping from the drill on deploy",
            () => pingsSince(since, "/fail")[0],
            60_000,
        );
        record("verify: drill on deploy fails pulumi up", {
            seconds: failed.seconds,
            reason: /\/app\/data\/app\.db: FAILED: [^\n]*/.exec(output)?.[0] ?? "",
        });

        // Without the drill on deploy the up passes; the verifier gets the credential and its
        // next drill fails.
        await stack.setConfig("verify.onDeploy", "false");
        const sinceService = Date.now();
        await stack.up();
        expect(inspect(DEPLOY_DRILL)).toBeUndefined();
        await expectCaught("credential without read access", sinceService, /AccessDenied|403/);

        await stack.setConfig("storage.accessKeyId", s3.root.accessKeyId, true);
        await stack.setConfig("storage.secretAccessKey", s3.root.secretAccessKey, true);
        await stack.setConfig("verify.onDeploy", "true");
        const sinceFix = Date.now();
        const fixed = await stack.up();
        expect(mustInspect(DEPLOY_DRILL).State.ExitCode).toBe(0);
        const after = await nextDrill(sinceFix);
        expect(after.passed, after.text).toBe(true);
        record("verify: credential fixed", { seconds: fixed.seconds });
    });

    it("destroys the verifier with the stack", async () => {
        await stack.destroy();
        expect(objectsWithLabel("container", `litestream-backup.stack=${STACK}`)).toEqual([]);
        expect(objectsWithLabel("volume", `litestream-backup.stack=${STACK}`)).toEqual([]);
    });
});
