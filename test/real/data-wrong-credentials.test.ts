/**
 * Wrong credentials: the component is given a secret that the server rejects. Litestream must
 * say so in its log (the specific error lines, not the absence of success), the sidecar's own
 * health check (its Docker `test`, run on this host) must fail, and the restore gate must
 * refuse to go on when a replica exists and the database is missing. A control run with the
 * right credential, on the same rendered config, first proves that the same health check
 * passes when replication works, so the failure is caused by the credential alone.
 *
 * The health check names container paths (/etc/litestream.yml, its script, and Litestream's
 * control socket /var/run/litestream/litestream.sock): those path strings, and only those, are
 * rewritten to files of the test folder (see HostDeployment in ../support/scenario.ts).
 */
import { readdirSync, rmSync } from "node:fs";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { cleanupAll, sleep } from "../support/procs";
import { createWorld, filesIn, report } from "../support/scenario";
import { startWriter, stopAllWriters } from "../support/sqlite-writer";

afterEach(async () => {
    await stopAllWriters();
    await cleanupAll();
});

describe("real data path: wrong credentials", () => {
    it("fails visibly: error lines in the log, a failing health check, a refusing restore gate", async () => {
        const started = Date.now();
        const world = await createWorld("wrongcreds", {
            databases: ["app.db"],
            keys: (s3) => ({ accessKeyId: s3.root.accessKeyId, secretAccessKey: "not-the-secret" }),
        });
        const [db] = world.dbs;
        expect(world.host.keys.secretAccessKey).toBe("not-the-secret");

        // Control: the right credential, same config, same health check.
        const writer = await startWriter(db);
        const good = world.host.startReplicate(world.s3.root);
        await good.waitForUpload("app.db");
        await sleep(1_500);
        const healthy = await world.host.runHealthcheck(world.s3.root);
        expect(healthy.code, `health check with the right credential:\n${healthy.output}`).toBe(0);
        await good.stop();
        const objectsBefore = await world.s3.listObjects(world.bucket);
        expect(objectsBefore.length).toBeGreaterThan(0);

        // The component's credential.
        const bad = world.host.startReplicate();
        const failure = await bad.waitForLine(
            /level=ERROR msg="(sync|monitor) error".*SignatureDoesNotMatch/,
            30_000,
        );
        await sleep(1_500);
        const unhealthy = await world.host.runHealthcheck();
        expect(unhealthy.code).not.toBe(0);
        expect(unhealthy.output).toMatch(
            /app\.db: (no successful replica sync yet|last successful replica sync \d+s ago)/,
        );
        expect(bad.matching(/msg="ltx file uploaded"/)).toEqual([]);
        expect(bad.matching(/msg="replica sync recovered"/)).toEqual([]);
        expect(await world.s3.listObjects(world.bucket)).toEqual(objectsBefore);
        await bad.stop();
        await writer.stop();

        // The volume is lost: the gate must not let an empty database start over the backup.
        for (const f of readdirSync(world.dataDir)) {
            rmSync(path.join(world.dataDir, f), { recursive: true, force: true });
        }
        const [gate] = await world.host.runRestoreGate();
        expect(gate.code).toBe(1);
        expect(gate.output).toMatch(/SignatureDoesNotMatch/);
        expect(filesIn(world.dataDir).filter((f) => f.startsWith("app.db"))).toEqual([]);

        console.log(`[data] wrong credentials log: ${failure.text}`);
        console.log(`[data] wrong credentials health check: ${unhealthy.output.trim()}`);
        console.log(
            `[data] wrong credentials restore gate: ${gate.output.trim().split("\n").at(-1)}`,
        );
        report("wrong credentials", {
            rowsWritten: writer.commits.length,
            rowsUploadedWithWrongKey: 0,
            firstErrorAfterStartMs: failure.at - bad.proc.lines[0].at,
            healthCheckExit: unhealthy.code ?? "signal",
            restoreGateExit: gate.code ?? "signal",
            restoreGateMs: gate.durationMs,
            durationMs: Date.now() - started,
        });
    });
});
