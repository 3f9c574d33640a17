/**
 * A dev-like stack whose app runs as 1000:1000 (`app.user`) through the real `pulumi up`: a
 * fresh deploy, the app writing and the replica in the bucket; then the loss of every
 * container that mounts the volume and of the volume itself, and `pulumi up --refresh`: the
 * database is restored, given to the app's user before the sidecar and the app start, and the
 * app writes again; then the same stack without `app.user` (the app as root, files made
 * root's) and with it again, as a stack that adopts it. The owner and mode of the data
 * directory, the database, its `-wal` and Litestream's folder are recorded before and after.
 */
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
    countRows,
    docker,
    mustInspect,
    objectsWithLabel,
    removeWithLabel,
    replicaFiles,
    waitFor,
} from "./support/docker";
import { check, E2EProject, E2EStack, ROOT } from "./support/stack";
import { record } from "./support/record";

const STACK = `e2e-nonroot-${process.pid}`;
const APP = `e2e-nonroot-${process.pid}`;
const SIDECAR = `${APP}-litestream`;
const DATA_DIR = "/app/data";
const DB = `${DATA_DIR}/app.db`;
const USER = "1000:1000";
/** The test app writes a row every 0.5 s (WRITE_INTERVAL below). */
const WRITE_INTERVAL_S = 0.5;
/** Litestream ships new WAL frames every second (replication.syncInterval below). */
const SYNC_INTERVAL_S = 1;

/** Rows the app may lose to a crash: one sync interval of writes, plus the row in flight. */
const ALLOWED_LOSS = Math.ceil(SYNC_INTERVAL_S / WRITE_INTERVAL_S) + 1;

/** What the ownership is checked on: the directory, the database, its WAL, Litestream's folder. */
const PATHS = [DATA_DIR, DB, `${DB}-wal`, `${DATA_DIR}/.app.db-litestream`];

let project: E2EProject;
let stack: E2EStack;

/** `stat -c '%u:%g %a %n'` of each path, read in the sidecar (which mounts the volume). */
function stats(): string[] {
    return docker(["exec", SIDECAR, "stat", "-c", "%u:%g %a %n", ...PATHS])
        .split("\n")
        .filter((l) => l !== "");
}

/** Paths on the volume that are not the app user's (`find ! -user`), relative to dataDir. */
function notTheAppUsers(): string[] {
    const [uid, gid] = USER.split(":");
    return docker([
        "exec",
        SIDECAR,
        "find",
        DATA_DIR,
        "(",
        "!",
        "-user",
        uid,
        "-o",
        "!",
        "-group",
        gid,
        ")",
    ])
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => path.posix.relative(DATA_DIR, l));
}

/** The real uid and gid of the app's process (pid 1 in its container). */
function appProcessIds(): string {
    const status = docker(["exec", APP, "cat", "/proc/1/status"]);
    const uid = /^Uid:\s+(\d+)/m.exec(status)?.[1];
    const gid = /^Gid:\s+(\d+)/m.exec(status)?.[1];
    return `${uid}:${gid}`;
}

beforeAll(async () => {
    // Builds or reuses the three local images named below (quick when they exist).
    await check("bash", [path.join(ROOT, "scripts", "images.sh")]);
    project = new E2EProject("nonroot");
    stack = await project.stack(STACK, {
        storage: { provider: "local", localImage: "litestream-backup-test/versitygw:v1.8.0" },
        app: {
            name: APP,
            image: "litestream-backup-test/app:1",
            dataDir: DATA_DIR,
            databases: ["app.db"],
            envs: { DB_PATH: DB, WRITE_INTERVAL: String(WRITE_INTERVAL_S) },
            user: USER,
        },
        replication: { preset: "active", syncInterval: `${SYNC_INTERVAL_S}s` },
        litestream: { image: "litestream-backup-test/litestream:0.5.16" },
    });
});

afterAll(async () => {
    const label = `litestream-backup.stack=${STACK}`;
    if (stack && objectsWithLabel("container", label).length > 0) {
        const destroy = await stack.pulumi(["destroy", "--yes", "--skip-preview"]);
        record("nonroot: destroy", { seconds: destroy.seconds, code: destroy.code });
    }
    removeWithLabel(label);
    project?.remove();
});

describe("an app that runs as 1000:1000 through the real pulumi up", () => {
    it("deploys fresh: the app runs as the user and writes, the files are its own, the replica fills", async () => {
        const up = await stack.up();
        const app = mustInspect(APP);
        const step = mustInspect(`${APP}-ownership`);
        expect(mustInspect(SIDECAR).State.Health?.Status).toBe("healthy");
        expect(app.State.Running).toBe(true);
        expect(app.Config.User).toBe(USER);
        expect(appProcessIds()).toBe(USER);
        expect(mustInspect(SIDECAR).Config.User).toBe("0:0");
        expect(step.State.ExitCode).toBe(0);
        expect(Date.parse(step.State.FinishedAt)).toBeLessThanOrEqual(
            Date.parse(app.State.StartedAt),
        );
        const rows = await waitFor("10 rows", () => {
            const r = countRows(SIDECAR, DB);
            return r.count >= 10 ? r : undefined;
        });
        expect(rows.contiguous).toBe(true);
        const files = await waitFor("replica files", () => {
            const f = replicaFiles(SIDECAR, DB);
            return f.length > 0 ? f : undefined;
        });
        const lines = await waitFor("Litestream's folder", () => {
            try {
                return stats();
            } catch {
                return undefined;
            }
        });
        for (const line of lines) expect(line).toMatch(/^1000:1000 /);
        expect(notTheAppUsers()).toEqual([]);
        expect(docker(["logs", APP])).not.toMatch(/readonly database/);
        record("nonroot: fresh up", {
            seconds: up.seconds,
            rows: rows.count,
            replicaFiles: files.length,
            appProcess: appProcessIds(),
            ownershipLog: docker(["logs", `${APP}-ownership`]).trim(),
            stat: lines.join(" | "),
        });
    });

    it("changes nothing on a second up (the step and the app's user make no diff)", async () => {
        const app = mustInspect(APP);
        const preview = await stack.expectNoChanges("--diff");
        expect(mustInspect(APP).State.StartedAt).toBe(app.State.StartedAt);
        record("nonroot: second preview", { seconds: preview.seconds });
    });

    it("restores a lost volume as the app's files (pulumi up --refresh), and the app writes again", async () => {
        const volume = `${APP}-data`;
        // Some history first: a minute of writes, over many LTX files.
        await waitFor("60 rows", () => (countRows(SIDECAR, DB).count >= 60 ? true : undefined));
        const statBefore = stats();
        const users = docker(["ps", "-a", "--filter", `volume=${volume}`, "--format", "{{.Names}}"])
            .split("\n")
            .filter((n) => n !== "");
        expect(users.sort()).toEqual([APP, SIDECAR, `${APP}-ownership`, `${APP}-restore-0`].sort());
        const before = countRows(SIDECAR, DB);
        docker(["rm", "-f", ...users]);
        docker(["volume", "rm", volume]);
        const up = await stack.up("--refresh");

        const restore = mustInspect(`${APP}-restore-0`);
        const step = mustInspect(`${APP}-ownership`);
        const sidecar = mustInspect(SIDECAR);
        const app = mustInspect(APP);
        expect(restore.State.ExitCode).toBe(0);
        expect(step.State.ExitCode).toBe(0);
        // restore, then the ownership step, then the sidecar, then the app.
        expect(Date.parse(restore.State.FinishedAt)).toBeLessThanOrEqual(
            Date.parse(step.State.StartedAt),
        );
        expect(Date.parse(step.State.FinishedAt)).toBeLessThanOrEqual(
            Date.parse(sidecar.State.StartedAt),
        );
        expect(Date.parse(restore.State.FinishedAt)).toBeLessThanOrEqual(
            Date.parse(app.State.StartedAt),
        );
        expect(docker(["logs", `${APP}-restore-0`])).toMatch(/post-restore integrity check passed/);
        // The restore wrote the database as root; the step gave it to the app's user.
        const stepLog = docker(["logs", `${APP}-ownership`]).trim();
        expect(stepLog).toMatch(/^0:0 644 -> 1000:1000 644 \/app\/data\/app\.db$/m);
        expect(stepLog).toMatch(/^0:0 755 -> 1000:1000 755 \/app\/data$/m);

        const after = countRows(SIDECAR, DB);
        expect(after.contiguous).toBe(true);
        expect(after.count).toBeGreaterThanOrEqual(before.count - ALLOWED_LOSS);
        const writing = await waitFor("the app writing again", () => {
            const r = countRows(SIDECAR, DB);
            return r.count >= after.count + 10 ? r : undefined;
        });
        expect(writing.contiguous).toBe(true);
        const appNow = mustInspect(APP);
        expect(appNow.State.Running).toBe(true);
        expect(appNow.State.StartedAt).toBe(app.State.StartedAt);
        expect(appProcessIds()).toBe(USER);
        expect(docker(["logs", APP])).not.toMatch(/readonly database/);

        const statAfter = stats();
        for (const line of statAfter) expect(line).toMatch(/^1000:1000 /);
        // The only file that may not be the user's is an L0 file Litestream fetched from the
        // replica, inside its own folder (the app never writes there).
        const others = notTheAppUsers();
        for (const p of others)
            expect(p).toMatch(/^\.app\.db-litestream\/ltx\/0\/[0-9a-f-]+\.ltx$/);
        record("nonroot: disaster, up --refresh", {
            seconds: up.seconds,
            rowsBefore: before.count,
            rowsAfterRestore: after.count,
            rowsSoonAfter: writing.count,
            allowedLoss: ALLOWED_LOSS,
            statBefore: statBefore.join(" | "),
            ownershipLog: stepLog.split("\n").join(" | "),
            statAfter: statAfter.join(" | "),
            notTheAppUsers: others.join(" ") || "none",
        });
    });
    it("keeps the app's user when app.user is removed: the provider reads an unset user as no change", async () => {
        const before = mustInspect(APP);
        const rm = await stack.pulumi(["config", "rm", "--path", "litestream-backup:app.user"]);
        expect(rm.code, rm.stderr).toBe(0);
        const up = await stack.up();
        const after = mustInspect(APP);
        expect(after.Id).toBe(before.Id);
        expect(after.Config.User).toBe(USER);
        expect(objectsWithLabel("container", `litestream-backup.stack=${STACK}`)).not.toContain(
            `${APP}-ownership`,
        );
        record("nonroot: app.user removed", { seconds: up.seconds, appUser: after.Config.User });
    });

    it("takes over a stack whose root app made the files: app.user 0:0, then 1000:1000", async () => {
        // "0:0": the app runs as root whatever its image's user, and needs no step.
        await stack.setConfig("app.user", "0:0");
        const asRoot = await stack.up();
        expect(mustInspect(APP).Config.User).toBe("0:0");
        expect(appProcessIds()).toBe("0:0");
        expect(objectsWithLabel("container", `litestream-backup.stack=${STACK}`)).not.toContain(
            `${APP}-ownership`,
        );
        // What a stack that never had app.user holds: everything root's.
        docker(["exec", SIDECAR, "chown", "-R", "0:0", DATA_DIR]);
        const atChown = countRows(SIDECAR, DB).count;
        const rootRows = await waitFor("the root app writing", () => {
            const r = countRows(SIDECAR, DB);
            return r.count >= atChown + 5 ? r : undefined;
        });
        const statRoot = stats();
        for (const line of statRoot) expect(line).toMatch(/^0:0 /);

        const sidecarBefore = mustInspect(SIDECAR);
        const restoreBefore = mustInspect(`${APP}-restore-0`);
        await stack.setConfig("app.user", USER);
        const up = await stack.up();
        const app = mustInspect(APP);
        // Only the app is replaced; the Litestream containers are the same as without app.user.
        expect(mustInspect(SIDECAR).Id, up.stdout).toBe(sidecarBefore.Id);
        expect(mustInspect(SIDECAR).State.StartedAt).toBe(sidecarBefore.State.StartedAt);
        expect(mustInspect(`${APP}-restore-0`).Id).toBe(restoreBefore.Id);
        expect(app.Config.User).toBe(USER);
        expect(appProcessIds()).toBe(USER);
        const stepLog = docker(["logs", `${APP}-ownership`]).trim();
        for (const p of PATHS) {
            expect(stepLog).toMatch(new RegExp(`^0:0 \\d+ -> 1000:1000 \\d+ ${p}( |$)`, "m"));
        }
        const rowsThen = countRows(SIDECAR, DB).count;
        const writing = await waitFor("the app writing as the user", () => {
            const r = countRows(SIDECAR, DB);
            return r.count >= rowsThen + 10 ? r : undefined;
        });
        expect(writing.contiguous).toBe(true);
        expect(mustInspect(APP).State.StartedAt).toBe(app.State.StartedAt);
        expect(docker(["logs", APP])).not.toMatch(/readonly database/);
        const statAfter = stats();
        for (const line of statAfter) expect(line).toMatch(/^1000:1000 /);
        record("nonroot: root stack takes app.user", {
            upAsRootSeconds: asRoot.seconds,
            upWithUserSeconds: up.seconds,
            rowsAsRoot: rootRows.count,
            rowsAsUser: writing.count,
            statRoot: statRoot.join(" | "),
            ownershipLog: stepLog.split("\n").join(" | "),
            statAfter: statAfter.join(" | "),
        });
    });
});
