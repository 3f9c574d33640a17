/**
 * The sidecar's start script (one writer per replica): its paths, and its decisions, run under
 * the real `sh` with stand-ins for `litestream` and `sqlite3` on the PATH that keep the claims'
 * replica in a folder. What the real Litestream does with it is in test/e2e/server-move.test.ts.
 */
import { execFileSync, spawnSync } from "node:child_process";
import {
    chmodSync,
    existsSync,
    mkdirSync,
    mkdtempSync,
    readFileSync,
    rmSync,
    writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import {
    claimFilePath,
    ownerReplica,
    OWNER_SYNC_INTERVAL,
    renderSidecarScript,
} from "../../components/plan/claim";

describe("the claims' replica", () => {
    it("lives beside the databases' replicas, and the volume's claim beside the databases", () => {
        expect(ownerReplica("shop")).toEqual({
            path: "/tmp/litestream-backup/owner/owner.db",
            relativePath: ".litestream-backup-owner",
            replicaPath: "shop/.litestream-backup-owner",
        });
        expect(claimFilePath("/app/data/")).toBe("/app/data/.litestream-backup-claim");
        expect(OWNER_SYNC_INTERVAL).toBe("1s");
    });
});

describe("the start script (sh, stand-in litestream and sqlite3)", () => {
    const dir = mkdtempSync(join(tmpdir(), "claim-"));
    const bin = join(dir, "bin");
    const data = join(dir, "data");
    const state = join(dir, "state");
    /** The claims' replica of the stand-in: the newest TXID and the newest claim's row. */
    const bucket = join(dir, "bucket");
    const script = join(dir, "sidecar.sh");
    const log = join(dir, "calls");
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    mkdirSync(bin, { recursive: true });
    writeFileSync(
        join(bin, "litestream"),
        [
            "#!/bin/sh",
            `b=${bucket}`,
            `echo "litestream $*" >> ${log}`,
            'case "$1" in',
            '  ltx) echo "level  min_txid  max_txid  size  created"',
            '       [ -f "$b/txid" ] && echo "0  $(cat "$b/txid")  $(cat "$b/txid")  612  2026-12-01T00:00:00Z"',
            "       exit 0 ;;",
            '  restore) [ -f "$b/owner" ] || exit 0',
            '       while [ $# -gt 0 ]; do [ "$1" = -o ] && cp "$b/owner" "$2"; shift; done',
            "       exit 0 ;;",
            '  replicate) case "$*" in',
            // The claim: the claim database becomes the newest claim, then -exec runs.
            '       *-exec*) n=$(( $(cat "$b/txid" 2>/dev/null || echo 0) + 1 ))',
            '                printf \'%016x\' "$n" > "$b/txid"',
            '                cp "$OWNER_DB" "$b/owner"',
            '                eval "$5" ;;',
            '       *) exit "${FAKE_REPLICATE_RC:-0}" ;;',
            "       esac ;;",
            "esac",
            "",
        ].join("\n"),
    );
    // sqlite3 on a "database" that is a text file holding the claim's row.
    writeFileSync(
        join(bin, "sqlite3"),
        [
            "#!/bin/sh",
            'case "$2" in',
            "  CREATE*) echo \"$2\" | sed -E \"s/.*VALUES \\('([^']*)', '([^']*)', '([^']*)'\\).*/\\1 \\2 \\3/\" > \"$1\" ;;",
            '  SELECT*) cat "$1" ;;',
            "esac",
            "",
        ].join("\n"),
    );
    chmodSync(join(bin, "litestream"), 0o755);
    chmodSync(join(bin, "sqlite3"), 0o755);
    const ownerDb = join(state, "owner", "owner.db");
    writeFileSync(
        script,
        renderSidecarScript({
            dataDir: data,
            preflightName: "meds-preflight",
            volumeName: "meds-data",
            controlVolumeName: "meds-control",
            networkName: "meds-network",
            paths: {
                stateDir: state,
                config: "/etc/litestream.yml",
                ownerConfig: "/etc/litestream-owner.yml",
                ownerDb,
            },
        }),
    );
    const env = { PATH: `${bin}:${process.env.PATH}`, OWNER_DB: ownerDb };
    const claimFile = join(data, ".litestream-backup-claim");

    beforeEach(() => {
        for (const d of [data, state, bucket]) {
            rmSync(d, { recursive: true, force: true });
            mkdirSync(d, { recursive: true });
        }
        rmSync(log, { force: true });
    });

    /** Runs the script; `run` never ends once it refuses, so it is cut after a few seconds. */
    function sidecar(mode: string, timeoutMs = 5_000) {
        const result = spawnSync("/bin/sh", [script, mode], {
            env,
            encoding: "utf8",
            timeout: timeoutMs,
        });
        const calls = existsSync(log) ? readFileSync(log, "utf8") : "";
        return { code: result.status, output: result.stdout, calls };
    }

    it("is a plain sh script", () => {
        execFileSync("/bin/sh", ["-n", script]);
    });

    it("claims the replica from a new volume, then replicates", () => {
        const result = sidecar("run");
        expect(result.code).toBe(0);
        const [token, txid] = readFileSync(claimFile, "utf8").trim().split(" ");
        expect(token).toMatch(/^[0-9a-f-]{36}$/);
        expect(txid).toBe("0000000000000001");
        expect(readFileSync(join(bucket, "owner"), "utf8")).toMatch(new RegExp(`^${token} `));
        expect(result.output).toContain("this volume claimed the replica (claim 0000000000000001)");
        expect(result.calls).toContain("litestream replicate -config /etc/litestream.yml");
    });

    it("replicates without a new claim when the volume's claim is the newest", () => {
        writeFileSync(claimFile, "T1 0000000000000003\n");
        writeFileSync(join(bucket, "txid"), "0000000000000003");
        writeFileSync(join(bucket, "owner"), "T1 abc 2026-12-01T00:00:00Z\n");
        const result = sidecar("run");
        expect(result.code).toBe(0);
        expect(result.output).toContain("this volume owns the replica (claim 0000000000000003)");
        expect(result.calls).not.toContain("-exec");
        expect(result.calls).toContain("litestream replicate -config /etc/litestream.yml");
    });

    it("refuses to replicate when another deployment claimed the replica after this volume", () => {
        writeFileSync(claimFile, "T1 0000000000000003\n");
        writeFileSync(join(bucket, "txid"), "0000000000000004");
        writeFileSync(join(bucket, "owner"), "T2 b7c1d2e3f4a5 2026-12-01T10:00:00Z\n");
        const result = sidecar("run", 3_000);
        expect(result.calls).not.toContain("replicate");
        const refused = readFileSync(join(state, "refused"), "utf8");
        expect(refused).toContain(
            "NOT REPLICATING: another deployment owns this stack's replica: it claimed it at 2026-12-01T10:00:00Z (container b7c1d2e3f4a5), after this volume did.",
        );
        expect(refused).toContain(
            "docker rm -f $(docker ps -aq --filter volume=meds-data --filter volume=meds-control) meds-preflight; docker volume rm meds-data meds-control; docker network rm meds-network",
        );
        expect(result.output).toContain("NOT REPLICATING");
        // The volume keeps its claim: it never takes the replica back by itself.
        expect(readFileSync(claimFile, "utf8")).toBe("T1 0000000000000003\n");
    });

    it("claims again when the bucket holds no claim (a new bucket or path)", () => {
        writeFileSync(claimFile, "T1 0000000000000003\n");
        const result = sidecar("run");
        expect(result.code).toBe(0);
        expect(readFileSync(claimFile, "utf8")).toMatch(/^[0-9a-f-]{36} 0000000000000001\n$/);
    });

    it("check: stops Litestream once another deployment's claim is the newest", () => {
        writeFileSync(claimFile, "T1 0000000000000003\n");
        writeFileSync(join(bucket, "txid"), "0000000000000003");
        writeFileSync(join(bucket, "owner"), "T1 abc 2026-12-01T00:00:00Z\n");
        const litestream = spawnSync("sh", ["-c", "sleep 30 >/dev/null 2>&1 & echo $!"], {
            encoding: "utf8",
        });
        const pid = Number(litestream.stdout.trim());
        writeFileSync(join(state, "litestream.pid"), `${pid}\n`);
        expect(sidecar("check").code).toBe(0);
        expect(sidecar("check").calls).not.toContain("restore");

        writeFileSync(join(bucket, "txid"), "0000000000000004");
        writeFileSync(join(bucket, "owner"), "T2 b7c1d2e3f4a5 2026-12-01T10:00:00Z\n");
        expect(sidecar("check").code).toBe(1);
        expect(readFileSync(join(state, "refused"), "utf8")).toContain("NOT REPLICATING");
        // Killed (a zombie until its new parent reaps it, or gone): SIGKILL is sent before
        // `check` returns, the process ends a moment later.
        const dead = () => {
            const stat = existsSync(`/proc/${pid}/stat`)
                ? readFileSync(`/proc/${pid}/stat`, "utf8")
                : "";
            return stat === "" || stat.split(" ")[2] === "Z";
        };
        const until = Date.now() + 5000;
        while (!dead() && Date.now() < until) {
            Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
        }
        expect(dead()).toBe(true);
    });
});
