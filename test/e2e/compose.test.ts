/**
 * The Compose export end to end: a stack with `docker.deploy: false` through the real
 * `pulumi up` (it creates nothing on Docker), `npm run compose` writing compose.yaml and .env
 * from its outputs, and the real Docker Compose v2 running that file on the local engine:
 * restore first, a healthy sidecar, the app writing, objects in the bucket; then the volume
 * lost and the stack brought up again, restoring before the app starts.
 *
 * The bucket is on a versitygw S3 server that the test runs on the Docker bridge's address
 * (`s3-compatible` storage), where the Compose stack's containers reach it. Every name is the
 * test's own (pid), so it runs beside anything else on the engine.
 */
import { readFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { cleanupAll } from "../support/procs";
import { S3Server, startS3Server } from "../support/s3-server";
import {
    ContainerInfo,
    countRows,
    docker,
    health,
    mustInspect,
    objectsWithLabel,
    removeWithLabel,
    replicaFiles,
    RowCount,
    waitFor,
} from "./support/docker";
import { record } from "./support/record";
import { check, CliRun, E2EProject, E2EStack, ROOT, run } from "./support/stack";

const ID = `e2e-compose-${process.pid}`;
const APP = ID;
const SIDECAR = `${APP}-litestream`;
const RESTORE = `${APP}-restore-0`;
const PREFLIGHT = `${APP}-preflight`;
const VOLUME = `${APP}-data`;
const BUCKET = ID;
const DB = "/app/data/app.db";
/** The replica prefix: the component (named after the project) and the database. */
const REPLICA_PREFIX = "litestream-backup/app.db/";
/** The test app writes a row every WRITE_INTERVAL_S; Litestream syncs every SYNC_S. */
const WRITE_INTERVAL_S = 0.5;
const SYNC_S = 1;
const LABEL = `litestream-backup.stack=${ID}`;
const LOCAL = `${ID}-local`;
const LOCAL_LABEL = `litestream-backup.stack=${LOCAL}`;

let server: S3Server;
let project: E2EProject;
let stack: E2EStack;
let main: ComposeRun;
let composeFile: string;
let envFile: string;
/** The same export with `local` storage: the S3 server is a service of the file. */
let local: ComposeRun | undefined;

/** Rows a lost volume may cost: one sync interval of writes, plus the row in flight. */
function allowedLoss(): number {
    return Math.ceil(SYNC_S / WRITE_INTERVAL_S) + 1;
}

/** The address of this machine on Docker's default bridge: containers reach it, nothing else. */
function bridgeAddress(): string {
    const address = os.networkInterfaces().docker0?.find((a) => a.family === "IPv4")?.address;
    if (address === undefined) {
        throw new Error(
            "no IPv4 address on docker0: start the engine with bash scripts/docker-engine.sh",
        );
    }
    return address;
}

/** A Compose project run from one folder that `npm run compose` wrote. */
interface ComposeRun {
    project: string;
    dir: string;
}

/** `docker compose` on a project, with its file and env file. */
function compose(args: string[], on: ComposeRun = main): Promise<CliRun> {
    return run(
        "docker",
        [
            "compose",
            "-p",
            on.project,
            "-f",
            path.join(on.dir, "compose.yaml"),
            "--env-file",
            path.join(on.dir, ".env"),
            ...args,
        ],
        { timeoutMs: 600_000 },
    );
}

async function composeOk(args: string[], on: ComposeRun = main): Promise<CliRun> {
    const result = await compose(args, on);
    if (result.code !== 0) {
        throw new Error(
            `docker compose ${args.join(" ")} exited ${result.code}:\n${result.stderr}`,
        );
    }
    return result;
}

/** `npm run compose` against a stack of the test's project (its backend and passphrase). */
function npmRunCompose(stackName: string, out: string, ...extra: string[]): Promise<CliRun> {
    return run(
        "bash",
        [path.join(ROOT, "scripts", "compose.sh"), "--stack", stackName, "--out", out, ...extra],
        { env: project.env(), timeoutMs: 300_000 },
    );
}

function startedAt(c: ContainerInfo): number {
    return Date.parse(c.State.StartedAt);
}

function finishedAt(c: ContainerInfo): number {
    return Date.parse(c.State.FinishedAt);
}

/** Rows the app found when it started: writer.py logs `next_seq=N`, one past the last row. */
function rowsAtStart(): number {
    const match = /next_seq=(\d+)/.exec(docker(["logs", APP]));
    if (match === null) throw new Error(`no next_seq in the logs of ${APP}`);
    return Number(match[1]) - 1;
}

/** Checks the order of one `up`: preflight, then the restore, then the sidecar, then the app. */
function expectOrder(): { restore: ContainerInfo; app: ContainerInfo } {
    const preflight = mustInspect(PREFLIGHT);
    const restore = mustInspect(RESTORE);
    const sidecar = mustInspect(SIDECAR);
    const app = mustInspect(APP);
    expect(preflight.State.ExitCode).toBe(0);
    expect(restore.State.ExitCode).toBe(0);
    expect(finishedAt(preflight)).toBeLessThanOrEqual(startedAt(restore));
    expect(finishedAt(restore)).toBeLessThanOrEqual(startedAt(sidecar));
    expect(finishedAt(restore)).toBeLessThanOrEqual(startedAt(app));
    expect(sidecar.State.Health?.Status).toBe("healthy");
    expect(app.State.Running).toBe(true);
    return { restore, app };
}

beforeAll(async () => {
    await check("bash", [path.join(ROOT, "scripts", "compose-plugin.sh")]);
    await check("bash", [path.join(ROOT, "scripts", "images.sh")]);
    server = await startS3Server(bridgeAddress());
    await server.createBucket(BUCKET);
    project = new E2EProject("compose");
    main = { project: ID, dir: path.join(project.dir, "deploy") };
    composeFile = path.join(main.dir, "compose.yaml");
    envFile = path.join(main.dir, ".env");
    stack = await project.stack(ID, {
        storage: {
            provider: "s3-compatible",
            endpoint: server.endpoint,
            bucketName: BUCKET,
            region: "us-east-1",
        },
        app: {
            name: APP,
            image: "litestream-backup-test/app:1",
            dataDir: "/app/data",
            databases: ["app.db"],
            envs: { DB_PATH: DB, WRITE_INTERVAL: String(WRITE_INTERVAL_S), LOG_EVERY: "20" },
        },
        replication: { syncInterval: `${SYNC_S}s` },
        litestream: { image: "litestream-backup-test/litestream:0.5.16" },
        docker: { deploy: false },
    });
    await stack.setConfig("storage.accessKeyId", server.root.accessKeyId, true);
    await stack.setConfig("storage.secretAccessKey", server.root.secretAccessKey, true);
});

afterAll(async () => {
    for (const on of [main, local]) {
        if (on !== undefined) await compose(["down", "--volumes", "--remove-orphans"], on);
    }
    removeWithLabel(LABEL);
    removeWithLabel(LOCAL_LABEL);
    await cleanupAll();
    project?.remove();
});

describe("the Compose export, run by the real Docker Compose", () => {
    it("pulumi up creates nothing on Docker; npm run compose writes a file with no credential that docker compose config accepts", async () => {
        const up = await stack.up();
        expect(objectsWithLabel("container", LABEL)).toEqual([]);

        const written = await npmRunCompose(ID, main.dir, "--show-secrets");
        expect(written.code, written.stderr).toBe(0);
        expect(written.stderr).toContain("docker compose config accepts");
        const outputs = await stack.outputs();
        const file = readFileSync(composeFile, "utf8");
        expect(file).toBe(outputs.composeFile);
        for (const secret of [server.root.accessKeyId, server.root.secretAccessKey]) {
            expect(file).not.toContain(secret);
        }
        // A plain output: readable without --show-secrets.
        const plain = await stack.pulumi(["stack", "output", "composeFile"]);
        expect(plain.stdout.trim()).toBe(file.trim());
        const env = readFileSync(envFile, "utf8");
        expect(env).toContain(`LITESTREAM_SECRET_ACCESS_KEY=${server.root.secretAccessKey}`);
        expect(env).toContain(`APP_DB_PATH=${DB}`);

        const config = await compose(["config", "--quiet"]);
        expect(config.code, config.stderr).toBe(0);

        // Without --show-secrets: a template, which Compose refuses until it is filled.
        const templateDir = path.join(project.dir, "template");
        const template = await npmRunCompose(ID, templateDir);
        expect(template.code, template.stderr).toBe(0);
        const refused = await run("docker", [
            "compose",
            "-f",
            path.join(templateDir, "compose.yaml"),
            "--env-file",
            path.join(templateDir, ".env"),
            "config",
            "--quiet",
        ]);
        expect(refused.code).not.toBe(0);
        // Compose interpolates the services in Go's map order, which varies from run to run:
        // it names the first empty variable it meets, with the hint the file gives it.
        const missing = /required variable ([A-Z0-9_]+) is missing a value: (.+)/.exec(
            refused.stderr,
        );
        expect(missing, refused.stderr).not.toBeNull();
        const [, name, hint] = missing as RegExpExecArray;
        expect(readFileSync(path.join(templateDir, "compose.yaml"), "utf8")).toContain(
            `\${${name}:?${hint.trim()}}`,
        );
        expect(readFileSync(path.join(templateDir, ".env"), "utf8")).toMatch(
            new RegExp(`^${name}=$`, "m"),
        );
        record("compose: pulumi up and npm run compose", {
            upSeconds: up.seconds,
            composeSeconds: written.seconds,
        });
    });

    it("docker compose up -d: restore first, sidecar healthy, app writing, objects in the bucket", async () => {
        const up = await composeOk(["up", "-d"]);
        const { app } = expectOrder();
        expect(app.Config.Env).toContain(`DB_PATH=${DB}`);
        expect(app.Config.Labels).toMatchObject({
            "litestream-backup.stack": ID,
            "litestream-backup.role": "app",
        });
        const rows = await waitFor("10 rows", () => {
            const r = countRows(SIDECAR, DB);
            return r.count >= 10 ? r : undefined;
        });
        expect(rows.contiguous).toBe(true);
        const objects = await waitFor("replica objects in the bucket", async () => {
            const o = await server.listObjects(BUCKET, REPLICA_PREFIX);
            return o.length > 0 ? o : undefined;
        });
        // The health check script arrived with every `$` as written: Compose interpolated none.
        const raw = parse(readFileSync(composeFile, "utf8")) as {
            configs: Record<string, { content: string }>;
        };
        const script = docker(["exec", SIDECAR, "cat", "/etc/litestream-healthcheck.sh"]);
        expect(script).toBe(raw.configs["litestream-healthcheck.sh"].content.replace(/\$\$/g, "$"));
        expect(script).toContain("list=$(litestream list");
        record("compose: up -d", {
            seconds: up.seconds,
            rows: rows.count,
            objects: objects.length,
            sidecar: health(SIDECAR) ?? "none",
        });
    });

    it("restores a lost volume before the app starts, losing at most one sync interval", async () => {
        await waitFor("40 rows", () => (countRows(SIDECAR, DB).count >= 40 ? true : undefined));
        // A crash, not a shutdown: SIGKILL leaves Litestream no last sync, so what the replica
        // lacks is what the sync interval allows.
        const before: RowCount = countRows(SIDECAR, DB);
        await composeOk(["kill"]);
        const down = await composeOk(["down"]);
        docker(["volume", "rm", VOLUME]);
        const up = await composeOk(["up", "-d"]);
        const { restore } = expectOrder();
        expect(docker(["logs", RESTORE])).toMatch(/restor/i);
        expect(restore.State.ExitCode).toBe(0);
        const restored = rowsAtStart();
        expect(restored).toBeGreaterThanOrEqual(before.count - allowedLoss());
        const after = countRows(SIDECAR, DB);
        expect(after.contiguous).toBe(true);
        const writing = await waitFor("the app writing again", () => {
            const r = countRows(SIDECAR, DB);
            return r.count > after.count ? r : undefined;
        });
        record("compose: volume lost, up -d again", {
            downSeconds: down.seconds,
            upSeconds: up.seconds,
            rowsBefore: before.count,
            rowsRestored: restored,
            allowedLoss: allowedLoss(),
            rowsSoonAfter: writing.count,
        });
    });

    it("takes a new sync interval to the sidecar: docker compose up -d recreates it from the new file", async () => {
        const before = { sidecar: mustInspect(SIDECAR), app: mustInspect(APP) };
        await stack.setConfig("replication.syncInterval", "2s");
        await stack.up();
        const written = await npmRunCompose(ID, main.dir, "--show-secrets");
        expect(written.code, written.stderr).toBe(0);
        const committed = countRows(SIDECAR, DB);
        const up = await composeOk(["up", "-d"]);
        const sidecar = mustInspect(SIDECAR);
        expect(sidecar.Id).not.toBe(before.sidecar.Id);
        expect(sidecar.State.Health?.Status).toBe("healthy");
        expect(docker(["exec", SIDECAR, "cat", "/etc/litestream.yml"])).toMatch(
            /sync-interval: 2s/,
        );
        const rows = await waitFor("the app writing", () => {
            const r = countRows(SIDECAR, DB);
            return r.count > committed.count ? r : undefined;
        });
        expect(rows.contiguous).toBe(true);
        record("compose: sync interval 1s -> 2s, up -d", {
            seconds: up.seconds,
            rowsBefore: committed.count,
            rowsAfter: rows.count,
            // Compose recreates the services that depend on a recreated one.
            appRecreated: mustInspect(APP).Id === before.app.Id ? "no" : "yes",
        });
    });

    it("runs the local S3 server as a service of the file, healthy before the preflight", async () => {
        const localStack = await project.stack(LOCAL, {
            storage: { provider: "local", localImage: "litestream-backup-test/versitygw:v1.8.0" },
            app: {
                name: LOCAL,
                image: "litestream-backup-test/app:1",
                dataDir: "/app/data",
                databases: ["app.db"],
                envs: { DB_PATH: DB, WRITE_INTERVAL: String(WRITE_INTERVAL_S) },
            },
            replication: { syncInterval: `${SYNC_S}s` },
            litestream: { image: "litestream-backup-test/litestream:0.5.16" },
            docker: { deploy: false },
        });
        const pulumiUp = await localStack.up();
        expect(objectsWithLabel("container", LOCAL_LABEL)).toEqual([]);
        local = { project: LOCAL, dir: path.join(project.dir, "local") };
        const written = await npmRunCompose(LOCAL, local.dir, "--show-secrets");
        expect(written.code, written.stderr).toBe(0);
        const up = await composeOk(["up", "-d"], local);
        const s3 = mustInspect(`${LOCAL}-s3`);
        const preflight = mustInspect(`${LOCAL}-preflight`);
        expect(s3.State.Health?.Status).toBe("healthy");
        expect(startedAt(s3)).toBeLessThanOrEqual(startedAt(preflight));
        expect(preflight.State.ExitCode).toBe(0);
        expect(mustInspect(`${LOCAL}-restore-0`).State.ExitCode).toBe(0);
        expect(health(`${LOCAL}-litestream`)).toBe("healthy");
        const rows = await waitFor("5 rows", () => {
            const r = countRows(`${LOCAL}-litestream`, DB);
            return r.count >= 5 ? r : undefined;
        });
        const files = await waitFor("replica files on the local server", () => {
            const f = replicaFiles(`${LOCAL}-litestream`, DB);
            return f.length > 0 ? f : undefined;
        });
        record("compose: local storage, up -d", {
            pulumiUpSeconds: pulumiUp.seconds,
            upSeconds: up.seconds,
            rows: rows.count,
            replicaFiles: files.length,
        });
    });
});
