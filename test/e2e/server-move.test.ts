/**
 * A dead server replaced by a new one, through the real `pulumi up` over `ssh://`. Two test
 * hosts (scripts/test-hosts.sh: Docker engines in namespaces of their own, each reached as
 * `ssh://root@127.0.0.1:<port>` through its own sshd) and an S3 server on the address of the
 * bridge that joins them, so both hosts reach the bucket:
 *
 * 1. the stack deploys over ssh to host A; the app writes, the replica fills;
 * 2. host A dies (every process killed, its disk kept); `docker.host` points at host B; the
 *    README's procedure ("The old server is gone") brings the app up on B with its data,
 *    restored before the app starts;
 * 3. host A boots again, and Docker restarts its old containers: the old sidecar refuses to
 *    replicate into the replica B now owns, and the replica keeps B's timeline;
 * 4. the clean-up the refusal prints, run over ssh, leaves A with nothing of the stack;
 * 5. a planned move back to A while B runs: one `pulumi up`, B emptied first.
 */
import Database from "better-sqlite3";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanupAll, depsBinary, tempDir } from "../support/procs";
import { S3Server, startS3Server } from "../support/s3-server";
import { ContainerInfo, docker, RowCount, sleep, waitFor } from "./support/docker";
import { record } from "./support/record";
import { check, E2EProject, E2EStack, ROOT, run, s3CompatibleStorage } from "./support/stack";

const STACK = `e2e-move-${process.pid}`;
const APP = `e2e-move-${process.pid}`;
const SIDECAR = `${APP}-litestream`;
const VOLUME = `${APP}-data`;
const BUCKET = "e2e-move";
const PREFIX = "shop";
const DATA = "/app/data";
const DB = `${DATA}/app.db`;
const WRITE_INTERVAL_S = 0.5;
const SYNC_INTERVAL_S = 1;
/** Rows a crash may lose: one sync interval of writes, plus the row in flight. */
const ALLOWED_LOSS = Math.ceil(SYNC_INTERVAL_S / WRITE_INTERVAL_S) + 1;
const LITESTREAM_IMAGE = "litestream-backup-test/litestream:0.5.16";
const APP_IMAGE = "litestream-backup-test/app:1";
const TEST_HOSTS = path.join(ROOT, "scripts", "test-hosts.sh");
const PROVIDER_URN = `urn:pulumi:${STACK}::litestream-backup::litestream-backup:index:LitestreamBackup$pulumi:providers:docker::litestream-backup-docker`;

type HostName = "a" | "b";
interface Hosts {
    bridge: { address: string };
    sshKey: string;
    sshOpts: string[];
    hosts: Record<HostName, { socket: string; ssh: string }>;
}

let hosts: Hosts;
let s3: S3Server;
let project: E2EProject;
let stack: E2EStack;
/** Rows on B when the stack had moved there, and just before A booted again. */
let rowsOnB = 0;
/** Objects in the claims' replica after the first deploy. */
let claimObjects = 0;

/** `docker` against a test host's engine. */
function on(host: HostName, args: string[]): string {
    return docker(["-H", hosts.hosts[host].socket, ...args]);
}

function inspectOn(host: HostName, name: string): ContainerInfo | undefined {
    try {
        return (
            JSON.parse(on(host, ["inspect", "--type", "container", name])) as ContainerInfo[]
        )[0];
    } catch {
        return undefined;
    }
}

function mustInspectOn(host: HostName, name: string): ContainerInfo {
    const info = inspectOn(host, name);
    if (!info) throw new Error(`container ${name} does not exist on host ${host}`);
    return info;
}

/** Containers, volumes and networks of the stack on a host. */
function stackObjects(host: HostName): string[] {
    const label = `label=litestream-backup.stack=${STACK}`;
    const containers = on(host, ["ps", "-a", "--filter", label, "--format", "{{.Names}}"]);
    const volumes = on(host, ["volume", "ls", "--filter", label, "--format", "{{.Name}}"]);
    const networks = on(host, ["network", "ls", "--filter", label, "--format", "{{.Name}}"]);
    return `${containers}\n${volumes}\n${networks}`.split("\n").filter((l) => l.trim() !== "");
}

function rowsOn(host: HostName): RowCount {
    const out = on(host, [
        "exec",
        SIDECAR,
        "sqlite3",
        "-cmd",
        ".timeout 5000",
        DB,
        "SELECT count(*), coalesce(max(seq), 0), coalesce(min(seq), 1) FROM rows",
    ]).trim();
    const [count, maxSeq, minSeq] = out.split("|").map(Number);
    return { count, maxSeq, contiguous: minSeq === 1 && count === maxSeq };
}

function testHosts(...args: string[]) {
    return run("bash", [TEST_HOSTS, ...args], { timeoutMs: 10 * 60_000 });
}

/** A row's time of writing, by its sequence number, on a host's database. */
function writtenAtOn(host: HostName, seq: number): string {
    return on(host, [
        "exec",
        SIDECAR,
        "sqlite3",
        "-cmd",
        ".timeout 5000",
        DB,
        `SELECT written_at FROM rows WHERE seq = ${seq}`,
    ]).trim();
}

/**
 * The database as a restore from the bucket gives it now (the real Litestream, on this
 * machine): its rows, and the time of writing of row `seq`.
 */
async function restoreFromBucket(seq = 1): Promise<RowCount & { writtenAt: string }> {
    const out = path.join(tempDir("move-restore"), "app.db");
    // Not execFileSync: the S3 server is a child of this process, and a blocked event loop
    // stops it from answering.
    await check(
        depsBinary("litestream"),
        [
            "restore",
            "-integrity-check",
            "full",
            "-o",
            out,
            `s3://${BUCKET}/${PREFIX}/app.db?endpoint=${s3.endpoint}&region=us-east-1`,
        ],
        {
            env: {
                PATH: "/usr/bin:/bin",
                AWS_ACCESS_KEY_ID: s3.root.accessKeyId,
                AWS_SECRET_ACCESS_KEY: s3.root.secretAccessKey,
            },
            timeoutMs: 120_000,
        },
    );
    const db = new Database(out, { readonly: true });
    try {
        const row = db
            .prepare("SELECT count(*) AS c, max(seq) AS mx, min(seq) AS mn FROM rows")
            .get() as { c: number; mx: number; mn: number };
        const at = db.prepare("SELECT written_at AS w FROM rows WHERE seq = ?").get(seq) as
            { w: number } | undefined;
        return {
            count: row.c,
            maxSeq: row.mx,
            contiguous: row.mn === 1 && row.c === row.mx,
            writtenAt: at === undefined ? "" : String(at.w),
        };
    } finally {
        db.close();
    }
}

/** Waits until the app on a host runs on its database and holds at least `rows` rows. */
function appServes(host: HostName, rows: number): Promise<RowCount> {
    return waitFor(
        `the app on host ${host} with ${rows} rows or more`,
        () => {
            if (!inspectOn(host, APP)?.State.Running) return undefined;
            const r = rowsOn(host);
            return r.count >= rows ? r : undefined;
        },
        180_000,
        250,
    );
}

beforeAll(async () => {
    // A run that crashed may have left hosts behind: `down` removes what it recorded.
    await testHosts("down");
    const up = await testHosts("up", LITESTREAM_IMAGE, APP_IMAGE);
    if (up.code !== 0) throw new Error(`scripts/test-hosts.sh up failed:\n${up.stderr}`);
    const hostsFile = /hosts file (\S+)/.exec(up.stderr)?.[1];
    if (!hostsFile) throw new Error(`no hosts file in:\n${up.stderr}`);
    hosts = JSON.parse(readFileSync(hostsFile, "utf8")) as Hosts;
    record("server move: test hosts up", { seconds: up.seconds });

    s3 = await startS3Server(hosts.bridge.address);
    await s3.createBucket(BUCKET);
    project = new E2EProject("move");
    stack = await project.stack(STACK, {
        storage: s3CompatibleStorage(s3, BUCKET, PREFIX),
        app: {
            name: APP,
            image: APP_IMAGE,
            dataDir: DATA,
            databases: ["app.db"],
            envs: { WRITE_INTERVAL: String(WRITE_INTERVAL_S) },
        },
        replication: { preset: "active", syncInterval: `${SYNC_INTERVAL_S}s` },
        litestream: { image: LITESTREAM_IMAGE },
        docker: { host: hosts.hosts.a.ssh, sshOpts: hosts.sshOpts },
    });
    await stack.setConfig("storage.accessKeyId", s3.root.accessKeyId, true);
    await stack.setConfig("storage.secretAccessKey", s3.root.secretAccessKey, true);
}, 900_000);

afterAll(async () => {
    // Whatever the state: the hosts go with everything on them, then the stack's state.
    const down = hosts === undefined ? undefined : await testHosts("down");
    if (down) {
        record("server move: test hosts down", { seconds: down.seconds, code: down.code });
        if (down.code !== 0) console.error(down.stderr);
    }
    project?.remove();
    await cleanupAll();
    if (down && down.code !== 0)
        throw new Error(`scripts/test-hosts.sh down failed:\n${down.stderr}`);
});

describe("a dead server replaced by a new one, through the real pulumi up over ssh://", () => {
    it("deploys over ssh:// to host A: the app writes and the replica fills", async () => {
        const up = await stack.up();
        const rows = await appServes("a", 4);
        expect(stackObjects("a").length).toBeGreaterThan(0);
        expect(stackObjects("b")).toEqual([]);
        // Nothing of the stack on this machine's own engine.
        expect(
            docker(["ps", "-a", "--filter", `label=litestream-backup.stack=${STACK}`, "-q"]).trim(),
        ).toBe("");
        const replica = await waitFor("the replica in the bucket", async () => {
            const o = await s3.listObjects(BUCKET, `${PREFIX}/app.db/`);
            return o.length > 0 ? o : undefined;
        });
        claimObjects = (await s3.listObjects(BUCKET, `${PREFIX}/.litestream-backup-owner/`)).length;
        expect(claimObjects).toBeGreaterThan(0);
        expect(on("a", ["logs", SIDECAR])).toContain("this volume claimed the replica");
        await stack.expectNoChanges();
        record("server move: up over ssh to host A", {
            seconds: up.seconds,
            rows: rows.count,
            replicaObjects: replica.length,
        });
    });

    it("host A dies; the documented procedure brings the app up on host B with its data", async () => {
        await sleep(5_000);
        const before = rowsOn("a");
        const crash = await testHosts("crash", "a");
        expect(crash.code, crash.stderr).toBe(0);

        await stack.setConfig("docker.host", hosts.hosts.b.ssh);
        // Step 1: the plain `pulumi up` stops at the first delete on the dead server, having
        // changed nothing.
        const failed = await stack.pulumi(["up", "--yes", "--skip-preview"]);
        const failedOutput = failed.stdout + failed.stderr;
        expect(failed.code, failedOutput).not.toBe(0);
        expect(failedOutput).toContain("Error pinging Docker server");
        expect(failedOutput).toContain(hosts.hosts.a.ssh);
        expect(stackObjects("b")).toEqual([]);

        // `--refresh` reads every object through the provider in the state: the dead server.
        const refreshed = await stack.pulumi(["up", "--yes", "--skip-preview", "--refresh"]);
        expect(refreshed.code).not.toBe(0);
        expect(refreshed.stdout + refreshed.stderr).toContain("Error pinging Docker server");

        // Step 2: forget the dead server's objects.
        const forget = await stack.pulumi([
            "state",
            "delete",
            "--target-dependents",
            "--yes",
            PROVIDER_URN,
        ]);
        expect(forget.code, forget.stdout + forget.stderr).toBe(0);

        // Step 3: `pulumi up` deploys on B, restoring before the app starts.
        const start = Date.now();
        const up = await stack.up();
        const after = await appServes("b", before.count - ALLOWED_LOSS);
        const serving = (Date.now() - start) / 1000;
        const restore = mustInspectOn("b", `${APP}-restore-0`);
        const app = mustInspectOn("b", APP);
        expect(restore.State.ExitCode).toBe(0);
        expect(on("b", ["logs", `${APP}-restore-0`])).toContain(
            "post-restore integrity check passed",
        );
        expect(Date.parse(restore.State.FinishedAt)).toBeLessThanOrEqual(
            Date.parse(app.State.StartedAt),
        );
        expect(after.contiguous).toBe(true);
        expect(after.count).toBeGreaterThanOrEqual(before.count - ALLOWED_LOSS);
        // B's claim is the newest now.
        const claims = await s3.listObjects(BUCKET, `${PREFIX}/.litestream-backup-owner/`);
        expect(claims.length).toBeGreaterThan(claimObjects);
        rowsOnB = after.count;
        record("server move: host A dead, moved to host B", {
            failedUpSeconds: failed.seconds,
            failedRefreshSeconds: refreshed.seconds,
            stateDeleteSeconds: forget.seconds,
            upSeconds: up.seconds,
            upToServingSeconds: Number(serving.toFixed(1)),
            rowsOnABeforeCrash: before.count,
            rowsOnBWhenServing: after.count,
        });
    });

    it("host A boots again: its old sidecar refuses to replicate, and the replica keeps B's timeline", async () => {
        await sleep(5_000);
        const bBefore = rowsOn("b");
        const boot = await testHosts("start", "a");
        expect(boot.code, boot.stderr).toBe(0);
        // Docker restarted the old containers by itself.
        const refusal = await waitFor(
            "the old sidecar's refusal",
            () => {
                const logs = on("a", ["logs", SIDECAR]);
                return logs.includes("NOT REPLICATING") ? logs : undefined;
            },
            120_000,
        );
        expect(refusal).toContain("another deployment owns this stack's replica");
        expect(refusal).toContain(`docker volume rm ${VOLUME}`);
        const health = await waitFor(
            "the old sidecar's health check to say why",
            () => {
                const log = inspectOn("a", SIDECAR)?.State.Health?.Log ?? [];
                const last = log[log.length - 1];
                return last?.ExitCode === 1 && last.Output.includes("NOT REPLICATING")
                    ? last
                    : undefined;
            },
            60_000,
        );
        const staleApp = inspectOn("a", APP);
        // Long enough for a writer to have uploaded over many sync intervals.
        await sleep(15_000);
        const bAfter = rowsOn("b");
        // The replica holds B's rows: the last row B had before A booted, as B wrote it (A's
        // stale database has no such row, or another one under that number).
        const restored = await restoreFromBucket(bBefore.maxSeq);
        expect(restored.contiguous).toBe(true);
        expect(restored.count).toBeGreaterThanOrEqual(bBefore.count);
        const onB = Number(writtenAtOn("b", bBefore.maxSeq));
        expect(Math.abs(Number(restored.writtenAt) - onB)).toBeLessThan(0.01);
        expect(mustInspectOn("b", SIDECAR).State.Health?.Status).toBe("healthy");
        record("server move: host A back", {
            bootSeconds: boot.seconds,
            staleAppRunning: String(staleApp?.State.Running ?? false),
            healthOutput: health.Output.split("\n")[0],
            rowsOnBBefore: bBefore.count,
            rowsOnBAfter: bAfter.count,
            rowsRestoredFromBucket: restored.count,
            rowsOnBWhenMoved: rowsOnB,
        });
    });

    it("the clean-up the refusal prints, run over ssh, leaves host A with nothing of the stack", async () => {
        const cleanup = /Remove this copy \(the newer data is in the bucket\): (.*)$/m.exec(
            on("a", ["logs", SIDECAR]),
        )?.[1];
        expect(cleanup).toBeDefined();
        const port = new URL(hosts.hosts.a.ssh).port;
        const ssh = await check("ssh", [
            ...hosts.sshOpts,
            "-p",
            port,
            "root@127.0.0.1",
            cleanup as string,
        ]);
        expect(stackObjects("a")).toEqual([]);
        expect((await restoreFromBucket()).contiguous).toBe(true);
        record("server move: host A cleaned", { removed: ssh.split("\n").filter(Boolean).length });
    });

    it("moves back to host A while B runs: one pulumi up, B emptied first, no row lost", async () => {
        await sleep(3_000);
        const before = rowsOn("b");
        await stack.setConfig("docker.host", hosts.hosts.a.ssh);
        const start = Date.now();
        const up = await stack.up();
        const after = await appServes("a", before.count);
        const serving = (Date.now() - start) / 1000;
        expect(stackObjects("b")).toEqual([]);
        expect(after.contiguous).toBe(true);
        expect(after.count).toBeGreaterThanOrEqual(before.count);
        expect(on("a", ["logs", SIDECAR])).toContain("this volume claimed the replica");
        record("server move: planned move back to host A", {
            upSeconds: up.seconds,
            upToServingSeconds: Number(serving.toFixed(1)),
            rowsOnBBefore: before.count,
            rowsOnAWhenServing: after.count,
        });
    });

    it("destroys the stack on host A and leaves the replica", async () => {
        const destroyed = await stack.destroy();
        expect(stackObjects("a")).toEqual([]);
        expect((await s3.listObjects(BUCKET, `${PREFIX}/app.db/`)).length).toBeGreaterThan(0);
        record("server move: destroy", { seconds: destroyed.seconds });
    });
});
