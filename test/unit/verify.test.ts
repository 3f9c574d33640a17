/**
 * The restore drills without Docker: the verifier's place in the plan, and its script run
 * under the real `sh` with the real Perl helper, a stand-in `litestream` that answers as
 * Litestream 0.5.16's `list`, `restore -dry-run -json`, `restore` and `ltx` do (the real ones
 * run in test/e2e/verify.test.ts), a control socket served here that answers `GET /txid` as
 * Litestream's server.go does, and push monitors served here over HTTP and HTTPS (the real
 * `openssl s_client`).
 */
import { execFile, execFileSync } from "node:child_process";
import {
    chmodSync,
    mkdirSync,
    mkdtempSync,
    readdirSync,
    readFileSync,
    rmSync,
    writeFileSync,
} from "node:fs";
import { createServer as createHttpServer, IncomingMessage, Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { createServer as createNetServer, Server as NetServer } from "node:net";
import { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveDatabases } from "../../components/litestream/databases";
import {
    ContainerPlan,
    deploymentPlan,
    LITESTREAM_CONFIG,
    PlanInput,
} from "../../components/plan/plan";
import {
    CONFIG_PATH,
    CONTROL_SOCKET_PATH,
    VERIFY_HELPER_PATH,
    VERIFY_STATE_DIR,
} from "../../components/plan/paths";
import {
    prometheusLabel,
    renderVerifyScript,
    verifierHealthcheck,
    verifyPollSeconds,
} from "../../components/plan/verify";
import { VERIFY_HELPER } from "../../components/plan/verify-helper";
import { gateFailureMessage } from "../../components/docker/gate";

const run = promisify(execFile);
const IMAGE = "litestream/litestream:0.5.16";

function input(overrides: Partial<PlanInput> = {}): PlanInput {
    return {
        appName: "meds",
        app: { dataDir: "/app/data" },
        databases: resolveDatabases("/app/data", ["meds.db"], "meds"),
        autoRestore: true,
        litestreamImage: IMAGE,
        syncInterval: "10s",
        verify: { enabled: true, intervalSeconds: 21600, onDeploy: false, heartbeat: false },
        ...overrides,
    };
}

function byKey(containers: ContainerPlan[]): Record<string, ContainerPlan> {
    return Object.fromEntries(containers.map((c) => [c.key, c]));
}

describe("the verifier in the plan", () => {
    it("runs after the healthy sidecar, beside the app, from the Litestream image", () => {
        const plan = deploymentPlan(input());
        expect(plan.containers.map((c) => [c.key, c.name, c.run])).toEqual([
            ["preflight", "meds-preflight", "once"],
            ["restore-0", "meds-restore-0", "once"],
            ["litestream", "meds-litestream", "service"],
            ["app", "meds", "service"],
            ["verify", "meds-verify", "service"],
        ]);
        const c = byKey(plan.containers);
        expect(c.verify.after).toEqual(["litestream"]);
        expect(c.app.after).not.toContain("verify");
        expect(c.verify.image).toBe(IMAGE);
        expect(c.verify.entrypoint).toEqual(["/bin/sh"]);
        expect(c.verify.command).toEqual(["/etc/litestream-verify.sh", "serve"]);
        expect(c.verify.user).toBe("0:0");
        expect(c.verify.credentials).toBe(true);
        expect(c.verify.healthcheck).toEqual(verifierHealthcheck("/etc/litestream-verify.sh"));
        expect(c.verify.waitHealthy).toBe(false);
        expect(c.verify.labels).toEqual({ "litestream-backup.role": "verify" });
        expect(c.verify.files.map((f) => f.path)).toEqual([
            CONFIG_PATH,
            "/etc/litestream-verify.sh",
            VERIFY_HELPER_PATH,
        ]);
        expect(c.verify.files[0].content).toEqual(LITESTREAM_CONFIG);
        expect(c.verify.files[2].content).toBe(VERIFY_HELPER);
    });

    it("never mounts the app's volume: only the control volume it shares with the sidecar", () => {
        const plan = deploymentPlan(input());
        const c = byKey(plan.containers);
        expect(c.verify.dataVolume).toBe(false);
        expect(c.verify.controlVolume).toBe(true);
        expect(c.litestream.controlVolume).toBe(true);
        expect(c.app.controlVolume).toBe(false);
        expect(c["restore-0"].controlVolume).toBe(false);
        expect(plan.controlVolumeName).toBe("meds-control");
        expect(plan.controlDir).toBe("/var/run/litestream");
        expect(CONTROL_SOCKET_PATH).toBe("/var/run/litestream/litestream.sock");
    });

    it("gets the push monitor's URL as a secret variable, and the sidecar Litestream's", () => {
        const plan = deploymentPlan(
            input({
                litestreamHeartbeat: true,
                verify: { enabled: true, intervalSeconds: 60, onDeploy: false, heartbeat: true },
            }),
        );
        const c = byKey(plan.containers);
        expect(c.verify.secretEnv).toEqual([
            { name: "VERIFY_HEARTBEAT_URL", secret: "verifyHeartbeatUrl" },
        ]);
        expect(c.litestream.secretEnv).toEqual([
            { name: "LITESTREAM_HEARTBEAT_URL", secret: "litestreamHeartbeatUrl" },
        ]);
        for (const key of ["preflight", "restore-0", "app"]) expect(c[key].secretEnv).toEqual([]);
        expect(JSON.stringify(plan)).not.toMatch(/https?:\/\//);
    });

    it("adds the drill on deploy, after the sidecar and before the verifier, every deploy", () => {
        const plan = deploymentPlan(
            input({
                verify: { enabled: true, intervalSeconds: 60, onDeploy: true, heartbeat: false },
            }),
        );
        const c = byKey(plan.containers);
        expect(plan.containers.map((x) => x.key)).toEqual([
            "preflight",
            "restore-0",
            "litestream",
            "app",
            "verify-deploy",
            "verify",
        ]);
        expect(c["verify-deploy"]).toMatchObject({
            name: "meds-verify-deploy",
            role: "verify-deploy",
            run: "once",
            after: ["litestream"],
            everyDeploy: true,
            command: ["/etc/litestream-verify.sh", "once"],
            dataVolume: false,
            controlVolume: true,
        });
        expect(c.verify.after).toEqual(["litestream", "verify-deploy"]);
        expect(c.app.after).toEqual(["restore-0", "litestream"]);
    });

    it("has no verifier when verify is off", () => {
        const off = deploymentPlan(
            input({
                verify: { enabled: false, intervalSeconds: 60, onDeploy: false, heartbeat: false },
            }),
        );
        expect(off.containers.map((c) => c.key)).not.toContain("verify");
        expect(deploymentPlan(input({ verify: undefined })).containers.map((c) => c.key)).toEqual([
            "preflight",
            "restore-0",
            "litestream",
            "app",
        ]);
    });

    it("bakes each database's freshness bound and the schedule into the script", () => {
        const plan = deploymentPlan(input({ metricsPort: 9090, syncInterval: "1s" }));
        const script = byKey(plan.containers).verify.files[1].content as string;
        expect(script).toContain("INTERVAL=21600\n");
        expect(script).toContain("POLL=1\n");
        expect(script).toContain("METRICS_PORT=9090\n");
        expect(script).toContain("drill_db 0 /app/data/meds.db 62 /app/data/meds.db || failed=1");
    });

    it("looks again every half sync interval, between 1 s and 30 s", () => {
        expect(verifyPollSeconds(1)).toBe(1);
        expect(verifyPollSeconds(10)).toBe(5);
        expect(verifyPollSeconds(3600)).toBe(30);
    });

    it("escapes a database path for a Prometheus label", () => {
        expect(prometheusLabel('/data/a"b\\c.db')).toBe('/data/a\\"b\\\\c.db');
    });

    it("names the database and the reason when the drill on deploy fails", () => {
        const message = gateFailureMessage(
            [
                {
                    role: "verify-deploy",
                    containerName: "meds-verify-deploy",
                    exitCode: 1,
                    logs: "2026-01-01T00:00:00Z drill FAILED at 2026-01-01T00:00:00Z in 0.2 s\n2026-01-01T00:00:00Z /app/data/meds.db: FAILED: the restore of TXID 0000000000000005 failed: Error: decode database: invalid LTX file\n",
                    urn: "urn:pulumi:prod::litestream-backup::x::meds-verify-deploy",
                },
            ],
            false,
        );
        expect(message).toBe(
            "The restore drill on deploy failed: container meds-verify-deploy exited with code 1. Its log ends with:\n" +
                "  2026-01-01T00:00:00Z drill FAILED at 2026-01-01T00:00:00Z in 0.2 s\n" +
                "  2026-01-01T00:00:00Z /app/data/meds.db: FAILED: the restore of TXID 0000000000000005 failed: Error: decode database: invalid LTX file\n" +
                "A replica exists but does not restore, is stale, or the bucket could not be reached: the lines above name each database and the reason. The app and the Litestream sidecar were left running; the verifier was not started or replaced. Fix the cause and run `pulumi up` again (the drill runs on every `pulumi up`).",
        );
    });
});

// --- The script under sh ---------------------------------------------------------------------

const dir = mkdtempSync(join(tmpdir(), "verify-"));
const bin = join(dir, "bin");
const state = join(dir, "state");
const socketPath = join(dir, "litestream.sock");
const helperPath = join(dir, "verify.pl");
const configPath = join(dir, "litestream.yml");
const DB = "/app/data/meds.db";
mkdirSync(bin);
writeFileSync(helperPath, VERIFY_HELPER);
writeFileSync(configPath, "# stand-in\n");

/**
 * Answers as Litestream 0.5.16 does, from the environment: `list` ($FAKE_LIST), `restore
 * -dry-run -json` ($FAKE_PLAN, exit $FAKE_PLAN_RC), `restore -o FILE` (writes FILE, or prints
 * $FAKE_RESTORE_ERROR and exits 1), `ltx -level 0` ($FAKE_LTX).
 */
writeFileSync(
    join(bin, "litestream"),
    `#!/bin/sh
case "$1" in
list) printf '%s' "$FAKE_LIST"; exit "\${FAKE_LIST_RC:-0}" ;;
ltx) printf '%s' "$FAKE_LTX"; exit 0 ;;
restore)
    for a in "$@"; do
        [ "$a" = -dry-run ] || continue
        # The first $FAKE_PLAN_MISSING answers: no backup yet.
        n=$(cat "$FAKE_COUNTER" 2>/dev/null || echo 0)
        echo $((n + 1)) > "$FAKE_COUNTER"
        if [ "$n" -lt "\${FAKE_PLAN_MISSING:-0}" ]; then echo "Error: no matching backup files available"; exit 1; fi
        printf '%s\\n' "$FAKE_PLAN"
        exit "\${FAKE_PLAN_RC:-0}"
    done
    out=
    while [ $# -gt 0 ]; do [ "$1" = -o ] && out=$2; shift; done
    if [ -n "\${FAKE_RESTORE_ERROR:-}" ]; then echo "$FAKE_RESTORE_ERROR"; exit 1; fi
    echo "SQLite format 3" > "$out.tmp" && mv "$out.tmp" "$out"
    echo "$out" >> "$FAKE_RESTORED"
    exit 0 ;;
esac
exit 2
`,
);
chmodSync(join(bin, "litestream"), 0o755);

/** The script with the container's paths replaced by the test's. */
function script(bound = 3, metricsPort?: number): string {
    const text = renderVerifyScript({
        databases: [{ path: DB, maxSyncAgeSeconds: bound }],
        intervalSeconds: 60,
        pollSeconds: 1,
        metricsPort,
    })
        .replace(`CONFIG=${CONFIG_PATH}`, `CONFIG=${configPath}`)
        .replace(`SOCKET=${CONTROL_SOCKET_PATH}`, `SOCKET=${socketPath}`)
        .replace(`HELPER=${VERIFY_HELPER_PATH}`, `HELPER=${helperPath}`)
        .replace(`STATE=${VERIFY_STATE_DIR}`, `STATE=${state}`)
        // No pause between a push monitor's tries: the tests that fail all three wait less.
        .replace("HEARTBEAT_PAUSE=5\n", "HEARTBEAT_PAUSE=0\n");
    const file = join(dir, "verify.sh");
    writeFileSync(file, text);
    return file;
}

/** The control socket: answers `GET /txid?path=...` with `txid`, or nothing when closed. */
let txid = 0;
let control: NetServer | undefined;
function openSocket(): Promise<void> {
    rmSync(socketPath, { force: true });
    control = createNetServer((conn) => {
        conn.once("data", (data) => {
            const line = data.toString().split("\r\n")[0];
            const ok = line.startsWith(
                `GET /txid?path=${encodeURIComponent(DB).replace(/%2F/g, "/")} `,
            );
            const body = ok ? `{"txid":${txid}}\n` : '{"error":"database not found"}\n';
            conn.end(
                `HTTP/1.1 ${ok ? "200 OK" : "404 Not Found"}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
            );
        });
    });
    return new Promise((resolve) => control!.listen(socketPath, resolve));
}
function closeSocket(): Promise<void> {
    return new Promise((resolve) => (control ? control.close(() => resolve()) : resolve()));
}

/** The push monitor: every request it got. */
const pings: { method: string; url: string; body: string }[] = [];
let monitor: Server;
let monitorPort = 0;
function record(
    req: IncomingMessage,
    res: { writeHead: (n: number) => void; end: (s: string) => void },
) {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
        pings.push({ method: req.method ?? "", url: req.url ?? "", body });
        res.writeHead(200);
        res.end("OK");
    });
}

const ago = (seconds: number) =>
    new Date(Date.now() - seconds * 1000).toISOString().replace(/\.\d+Z$/, "Z");

function planJson(maxTxid: string, sizes: number[]): string {
    return JSON.stringify(
        {
            source: DB,
            target_path: DB,
            replica: "s3",
            min_txid: "0000000000000001",
            max_txid: maxTxid,
            files: sizes.map((size, i) => ({
                level: i === 0 ? 9 : 0,
                name: "x.ltx",
                min_txid: "0000000000000001",
                max_txid: maxTxid,
                size,
                timestamp: "2026-01-01T00:00:00Z",
            })),
        },
        null,
        "  ",
    );
}

const LTX_HEADER = "level  min_txid          max_txid          size  created\n";
function ltxLine(max: string): string {
    return `0      ${max}  ${max}  735   2026-01-01T00:00:00Z\n`;
}

async function sh(
    mode: string,
    env: Record<string, string>,
    file = script(),
): Promise<{ code: number; output: string }> {
    try {
        const { stdout } = await run("/bin/sh", [file, mode], {
            env: {
                PATH: `${bin}:${process.env.PATH}`,
                FAKE_RESTORED: join(dir, "restored.log"),
                FAKE_COUNTER: join(dir, `counter-${++counter}`),
                ...env,
            },
            encoding: "utf8",
            timeout: 60_000,
        });
        return { code: 0, output: stdout };
    } catch (e) {
        const err = e as { code: number; stdout: string };
        return { code: err.code, output: err.stdout };
    }
}

let counter = 0;

const healthy = (seconds = 2) => `${DB} [replicating] (last sync: ${ago(seconds)})\n`;

beforeAll(async () => {
    monitor = createHttpServer(record);
    await new Promise<void>((resolve) => monitor.listen(0, "127.0.0.1", resolve));
    monitorPort = (monitor.address() as AddressInfo).port;
});

afterAll(async () => {
    await closeSocket();
    await new Promise((resolve) => monitor.close(resolve));
    rmSync(dir, { recursive: true, force: true });
});

describe("a drill (sh, stand-in litestream, the real Perl helper)", () => {
    it("passes when the replica restores to the sidecar's position, and keeps the outcome", async () => {
        await openSocket();
        txid = 10;
        rmSync(state, { recursive: true, force: true });
        const r = await sh("once", {
            FAKE_LIST: healthy(),
            FAKE_PLAN: planJson("000000000000000a", [4096, 735, 766]),
        });
        expect(r.code, r.output).toBe(0);
        expect(r.output).toMatch(/drill passed at \S+ in [0-9.]+ s/);
        expect(r.output).toMatch(
            new RegExp(
                `${DB}: passed: restored TXID 000000000000000a \\(5597 bytes read\\) in [0-9]+ ms, integrity ok, sidecar at TXID 10`,
            ),
        );
        const history = readFileSync(join(state, "history"), "utf8");
        expect(history).toMatch(
            /^time=\S+Z database=\/app\/data\/meds.db result=passed duration_ms=[0-9]+ bytes_read=5597 restored_txid=000000000000000a sidecar_txid=10 reason=\n$/,
        );
        const metrics = readFileSync(join(state, "metrics"), "utf8");
        expect(metrics).toContain(`litestream_backup_verify_last_result{database="${DB}"} 1\n`);
        expect(metrics).toContain(
            `litestream_backup_verify_last_bytes_read{database="${DB}"} 5597\n`,
        );
        expect(metrics).toContain(
            `litestream_backup_verify_last_restored_txid{database="${DB}"} 10\n`,
        );
        expect(metrics).toMatch(
            /litestream_backup_verify_last_success_timestamp_seconds\{database="[^"]+"\} [1-9][0-9]{9}\n/,
        );
        // The restore went to the scratch folder, which is empty again.
        expect(readFileSync(join(dir, "restored.log"), "utf8").trim()).toBe(
            join(state, "scratch", "0.db"),
        );
        expect(readdirSync(join(state, "scratch"))).toEqual([]);
        const status = await sh("status", {});
        expect(status.code).toBe(0);
        expect(status.output).toMatch(/^drill passed/);
    });

    it("passes with nothing to check before the app has created its database", async () => {
        txid = 0;
        const r = await sh("once", {
            FAKE_LIST: `${DB} [stopped] (last sync: never)\n`,
            FAKE_PLAN: "Error: no matching backup files available",
            FAKE_PLAN_RC: "1",
        });
        expect(r.code, r.output).toBe(0);
        expect(r.output).toContain(`${DB}: passed: no database and no replica yet`);
    });

    it("fails when the bucket holds no backup but the sidecar has replicated", async () => {
        txid = 42;
        const r = await sh("once", {
            FAKE_LIST: healthy(),
            FAKE_PLAN: "Error: no matching backup files available",
            FAKE_PLAN_RC: "1",
        });
        expect(r.code).toBe(1);
        expect(r.output).toContain(
            `${DB}: FAILED: the bucket has held no backup of ${DB} for at least 3s, but the sidecar is at TXID 42`,
        );
        const status = await sh("status", {});
        expect(status.code).toBe(1);
        expect(status.output).toMatch(/^drill FAILED at /);
        expect(readFileSync(join(state, "metrics"), "utf8")).toContain(
            `litestream_backup_verify_last_result{database="${DB}"} 0\n`,
        );
    });

    it("waits for the first upload of a database the app has just created", async () => {
        txid = 1;
        const r = await sh("once", {
            FAKE_LIST: healthy(),
            FAKE_PLAN: planJson("0000000000000001", [4096]),
            FAKE_PLAN_MISSING: "1",
        });
        expect(r.code, r.output).toBe(0);
        expect(r.output).toContain("restored TXID 0000000000000001");
    });

    it("fails with Litestream's reason when the restore fails, and leaves no scratch file", async () => {
        txid = 10;
        const r = await sh("once", {
            FAKE_LIST: healthy(),
            FAKE_PLAN: planJson("000000000000000a", [4096]),
            FAKE_RESTORE_ERROR:
                "Error: decode database: decode header: decode header for input 0: unmarshal header: invalid LTX file",
        });
        expect(r.code).toBe(1);
        expect(r.output).toContain(
            `${DB}: FAILED: the restore of TXID 000000000000000a failed: Error: decode database: decode header: decode header for input 0: unmarshal header: invalid LTX file`,
        );
        expect(readdirSync(join(state, "scratch"))).toEqual([]);
    });

    it("waits for files in flight, and passes once the replica has the sidecar's position", async () => {
        txid = 12;
        const r = await sh("once", {
            FAKE_LIST: healthy(),
            FAKE_PLAN: planJson("000000000000000a", [4096]),
            FAKE_LTX: LTX_HEADER + ltxLine("000000000000000a") + ltxLine("000000000000000c"),
        });
        expect(r.code, r.output).toBe(0);
        expect(r.output).toContain("restored TXID 000000000000000a");
    });

    it("fails a replica that stays behind the sidecar for longer than the bound", async () => {
        txid = 12;
        const started = Date.now();
        const r = await sh("once", {
            FAKE_LIST: healthy(),
            FAKE_PLAN: planJson("000000000000000a", [4096]),
            FAKE_LTX: LTX_HEADER + ltxLine("000000000000000a"),
        });
        expect(r.code).toBe(1);
        expect(r.output).toMatch(
            /FAILED: the replica is stale: the sidecar was at TXID 12 [0-9]+s ago and the bucket's newest is 000000000000000a \(restored 000000000000000a\), more than 3s behind/,
        );
        expect(Date.now() - started).toBeGreaterThanOrEqual(3000);
    });

    it("fails when the sidecar's last successful sync is older than the bound", async () => {
        txid = 10;
        const r = await sh("once", {
            FAKE_LIST: healthy(600),
            FAKE_PLAN: planJson("000000000000000a", [4096]),
        });
        expect(r.code).toBe(1);
        expect(r.output).toMatch(
            /FAILED: the Litestream sidecar's last successful replica sync of \/app\/data\/meds.db was 6[0-9][0-9]s ago, more than 3s, for at least 3s/,
        );
    });

    it("fails when the sidecar does not answer for longer than the bound, not at once", async () => {
        await closeSocket();
        const started = Date.now();
        const r = await sh("once", {
            FAKE_LIST:
                "Error: failed to connect to control socket: dial unix: connect: no such file or directory",
            FAKE_LIST_RC: "1",
        });
        expect(r.code).toBe(1);
        expect(r.output).toContain(
            `${DB}: FAILED: the Litestream sidecar does not answer on its control socket (Error: failed to connect to control socket: dial unix: connect: no such file or directory), for at least 3s`,
        );
        expect(Date.now() - started).toBeGreaterThanOrEqual(3000);
        await openSocket();
    });

    it("goes on when the sidecar answers again within the bound", async () => {
        txid = 10;
        await closeSocket();
        const file = script(10);
        const pending = sh(
            "once",
            { FAKE_LIST: healthy(), FAKE_PLAN: planJson("000000000000000a", [4096]) },
            file,
        );
        await new Promise((resolve) => setTimeout(resolve, 1500));
        await openSocket();
        const r = await pending;
        expect(r.code, r.output).toBe(0);
    });

    it("says when no drill has finished yet, and is healthy then", async () => {
        rmSync(state, { recursive: true, force: true });
        expect(await sh("status", {})).toEqual({
            code: 0,
            output: "no restore drill has finished yet\n",
        });
    });
});

describe("reporting to a push monitor", () => {
    const ok = () => ({ FAKE_LIST: healthy(), FAKE_PLAN: planJson("000000000000000a", [4096]) });

    it("posts the outcome to the URL on success and to <url>/fail with the reason on failure", async () => {
        txid = 10;
        pings.length = 0;
        const url = `http://127.0.0.1:${monitorPort}/ping/5f1e0c3a`;
        const passed = await sh("once", { ...ok(), VERIFY_HEARTBEAT_URL: url });
        expect(passed.code).toBe(0);
        const failed = await sh("once", {
            ...ok(),
            FAKE_RESTORE_ERROR:
                "Error: operation error S3: GetObject, StatusCode: 403, AccessDenied",
            VERIFY_HEARTBEAT_URL: url,
        });
        expect(failed.code).toBe(1);
        expect(pings.map((p) => [p.method, p.url])).toEqual([
            ["POST", "/ping/5f1e0c3a"],
            ["POST", "/ping/5f1e0c3a/fail"],
        ]);
        expect(pings[0].body).toMatch(/^drill passed at /);
        expect(pings[1].body).toMatch(/^drill FAILED at /);
        expect(pings[1].body).toContain("AccessDenied");
        // The URL is a secret: the script's output names only the result.
        for (const out of [passed.output, failed.output]) {
            expect(out).not.toContain("5f1e0c3a");
            expect(out).toMatch(/heartbeat: (ok|fail) reported \(HTTP\/1.1 200 OK\)/);
        }
    });

    it("keeps a ping URL's query after /fail", async () => {
        pings.length = 0;
        const url = `http://127.0.0.1:${monitorPort}/ping/abc/?create=1`;
        await sh("once", { ...ok(), FAKE_RESTORE_ERROR: "Error: boom", VERIFY_HEARTBEAT_URL: url });
        expect(pings.map((p) => p.url)).toEqual(["/ping/abc/fail?create=1"]);
    });

    it("speaks Uptime Kuma's push query to a Kuma push URL", async () => {
        pings.length = 0;
        const url = `http://127.0.0.1:${monitorPort}/api/push/Tk3nA?status=up&msg=OK&ping=`;
        await sh("once", { ...ok(), VERIFY_HEARTBEAT_URL: url });
        await sh("once", { ...ok(), FAKE_RESTORE_ERROR: "Error: boom", VERIFY_HEARTBEAT_URL: url });
        expect(pings.map((p) => p.method)).toEqual(["GET", "GET"]);
        expect(pings[0].url).toMatch(
            /^\/api\/push\/Tk3nA\?status=up&msg=drill%20passed%20at%20[^&]+&ping=[0-9]+$/,
        );
        expect(pings[1].url).toMatch(
            /^\/api\/push\/Tk3nA\?status=down&msg=drill%20FAILED%20at%20[^&]+&ping=[0-9]+$/,
        );
    });

    it("does not fail the drill when the monitor does not answer", async () => {
        const r = await sh("once", { ...ok(), VERIFY_HEARTBEAT_URL: "http://127.0.0.1:1/ping/x" });
        expect(r.code).toBe(0);
        expect(r.output).toMatch(
            /heartbeat: ok not reported after 3 tries: cannot connect to 127.0.0.1:1/,
        );
        expect(r.output).not.toContain("/ping/x");
    }, 60_000);

    describe("over HTTPS (openssl s_client, certificate and host name checked)", () => {
        const tls = join(dir, "tls");
        let server: Server;
        let port = 0;
        beforeAll(async () => {
            mkdirSync(tls, { recursive: true });
            for (const [name, cn, san] of [
                ["good", "localhost", "DNS:localhost,IP:127.0.0.1"],
                ["other", "other.example", "DNS:other.example"],
            ]) {
                execFileSync(
                    "openssl",
                    [
                        "req",
                        "-x509",
                        "-newkey",
                        "ec",
                        "-pkeyopt",
                        "ec_paramgen_curve:P-256",
                        "-nodes",
                        "-keyout",
                        join(tls, `${name}.key`),
                        "-out",
                        join(tls, `${name}.crt`),
                        "-days",
                        "1",
                        "-subj",
                        `/CN=${cn}`,
                        "-addext",
                        `subjectAltName=${san}`,
                    ],
                    { stdio: "ignore" },
                );
            }
            server = createHttpsServer(
                {
                    key: readFileSync(join(tls, "good.key")),
                    cert: readFileSync(join(tls, "good.crt")),
                },
                record,
            );
            await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
            port = (server.address() as AddressInfo).port;
        });
        afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

        it("reports to a monitor whose certificate is trusted and names the host", async () => {
            pings.length = 0;
            const r = await sh("once", {
                ...ok(),
                VERIFY_HEARTBEAT_URL: `https://localhost:${port}/ping/tls`,
                SSL_CERT_FILE: join(tls, "good.crt"),
            });
            expect(r.output).toMatch(/heartbeat: ok reported \(HTTP\/1.1 200 OK\)/);
            expect(pings.map((p) => [p.method, p.url])).toEqual([["POST", "/ping/tls"]]);
        });

        it("checks an IP address against the certificate's IP names", async () => {
            pings.length = 0;
            const r = await sh("once", {
                ...ok(),
                VERIFY_HEARTBEAT_URL: `https://127.0.0.1:${port}/ping/ip`,
                SSL_CERT_FILE: join(tls, "good.crt"),
            });
            expect(r.output).toMatch(/heartbeat: ok reported \(HTTP\/1.1 200 OK\)/);
            expect(pings.map((p) => p.url)).toEqual(["/ping/ip"]);
        });

        it("refuses a certificate it does not trust", async () => {
            pings.length = 0;
            const r = await sh("once", {
                ...ok(),
                VERIFY_HEARTBEAT_URL: `https://localhost:${port}/ping/tls`,
                SSL_CERT_FILE: join(tls, "other.crt"),
            });
            expect(r.code).toBe(0);
            expect(r.output).toMatch(/heartbeat: ok not reported after 3 tries: .*verif/i);
            expect(pings).toEqual([]);
        }, 60_000);
    });
});

describe("the metrics endpoint (the Perl helper)", () => {
    it("serves the last outcome at /metrics and nothing else", async () => {
        const file = join(dir, "metrics.txt");
        writeFileSync(file, 'litestream_backup_verify_last_result{database="/a.db"} 1\n');
        const port = await new Promise<number>((resolve) => {
            const probe = createNetServer().listen(0, "127.0.0.1", () => {
                const p = (probe.address() as AddressInfo).port;
                probe.close(() => resolve(p));
            });
        });
        const child = execFile("perl", [helperPath, "metrics", String(port), file]);
        try {
            let metrics: Response | undefined;
            for (let i = 0; i < 50 && metrics === undefined; i++) {
                metrics = await fetch(`http://127.0.0.1:${port}/metrics`).catch(() => undefined);
                if (metrics === undefined) await new Promise((r) => setTimeout(r, 100));
            }
            expect(metrics?.status).toBe(200);
            expect(metrics?.headers.get("content-type")).toContain("text/plain; version=0.0.4");
            expect(await metrics?.text()).toBe(
                'litestream_backup_verify_last_result{database="/a.db"} 1\n',
            );
            expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(404);
        } finally {
            child.kill();
        }
    });
});
