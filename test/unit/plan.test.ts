/**
 * The deployment plan, without mocks: which containers, in which order, with what; and the
 * preflight script's text and verdicts, run under the real `sh` with a stand-in `litestream`
 * that answers as Litestream 0.5.16's `ltx` does.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { gateFailureMessage } from "../../components/docker/gate";
import { resolveDatabases } from "../../components/litestream/databases";
import {
    APP_IMAGE,
    ContainerPlan,
    deploymentPlan,
    LITESTREAM_CONFIG,
    PlanInput,
} from "../../components/plan/plan";
import { renderPreflightScript } from "../../components/plan/preflight";

const IMAGE = "litestream/litestream:0.5.16";

function input(overrides: Partial<PlanInput> = {}): PlanInput {
    return {
        appName: "meds",
        app: { dataDir: "/app/data", command: ["meds", "serve"], ports: [{ internal: 8080 }] },
        databases: resolveDatabases("/app/data", ["meds.db", "audit/log.db"], "meds"),
        autoRestore: true,
        litestreamImage: IMAGE,
        syncInterval: "10s",
        ...overrides,
    };
}

function byKey(containers: ContainerPlan[]): Record<string, ContainerPlan> {
    return Object.fromEntries(containers.map((c) => [c.key, c]));
}

describe("deploymentPlan", () => {
    const plan = deploymentPlan(input());
    const c = byKey(plan.containers);

    it("runs the preflight, one restore a database, the sidecar, then the app", () => {
        expect(plan.containers.map((x) => [x.key, x.name, x.run])).toEqual([
            ["preflight", "meds-preflight", "once"],
            ["restore-0", "meds-restore-0", "once"],
            ["restore-1", "meds-restore-1", "once"],
            ["litestream", "meds-litestream", "service"],
            ["app", "meds", "service"],
        ]);
        expect(c.preflight.after).toEqual([]);
        expect(c["restore-0"].after).toEqual(["preflight"]);
        expect(c.litestream.after).toEqual(["preflight", "restore-0", "restore-1"]);
        expect(c.app.after).toEqual(["restore-0", "restore-1", "litestream"]);
        expect(plan.volumeName).toBe("meds-data");
        expect(plan.networkName).toBe("meds-network");
        expect(plan.dataDir).toBe("/app/data");
    });

    it("lists every container only after what it names in `after`", () => {
        const seen = new Set<string>();
        for (const x of plan.containers) {
            for (const key of x.after) expect(seen.has(key), `${x.key} after ${key}`).toBe(true);
            seen.add(x.key);
        }
    });

    it("gives the credential and the config to the Litestream containers only", () => {
        for (const key of ["preflight", "restore-0", "restore-1", "litestream"]) {
            expect(c[key].credentials, key).toBe(true);
            expect(c[key].user, key).toBe("0:0");
            expect(c[key].image, key).toBe(IMAGE);
            expect(c[key].files.find((f) => f.path === "/etc/litestream.yml")?.content).toEqual(
                LITESTREAM_CONFIG,
            );
        }
        expect(c.app.credentials).toBe(false);
        expect(c.app.appEnv).toBe(true);
        expect(c.app.image).toEqual(APP_IMAGE);
        expect(c.app.files).toEqual([]);
    });

    it("mounts the data volume everywhere but in the preflight, which only lists the bucket", () => {
        expect(plan.containers.filter((x) => x.dataVolume).map((x) => x.key)).toEqual([
            "restore-0",
            "restore-1",
            "litestream",
            "app",
        ]);
    });

    it("restores each database with the restore command, labelled with the database", () => {
        expect(c["restore-1"].command).toEqual([
            "restore",
            "-config",
            "/etc/litestream.yml",
            "-if-db-not-exists",
            "-if-replica-exists",
            "-integrity-check",
            "full",
            "/app/data/audit/log.db",
        ]);
        expect(c["restore-1"].labels).toEqual({
            "litestream-backup.role": "restore",
            "litestream-backup.database": "/app/data/audit/log.db",
        });
        expect(c["restore-1"].database?.replicaPath).toBe("meds/audit/log.db");
    });

    it("waits for the sidecar's health check, whose script has the sync interval's threshold", () => {
        expect(c.litestream.waitHealthy).toBe(true);
        expect(c.litestream.healthcheck?.command).toEqual([
            "/bin/sh",
            "/etc/litestream-healthcheck.sh",
        ]);
        const script = c.litestream.files.find((f) => f.path === "/etc/litestream-healthcheck.sh");
        expect(script?.content).toContain("check /app/data/meds.db 80 || healthy=1");
        expect(c.litestream.stopGraceSeconds).toBe(40);
        expect(c.app.waitHealthy).toBe(false);
    });

    it("publishes the app's ports, an internal port alone on the same host port", () => {
        expect(c.app.ports).toEqual([{ internal: 8080, external: 8080 }]);
        expect(c.app.command).toEqual(["meds", "serve"]);
    });

    it("has no restore without autoRestore; the sidecar then follows the preflight alone", () => {
        const none = byKey(deploymentPlan(input({ autoRestore: false })).containers);
        expect(Object.keys(none)).toEqual(["preflight", "litestream", "app"]);
        expect(none.litestream.after).toEqual(["preflight"]);
        expect(none.app.after).toEqual(["litestream"]);
    });
});

describe("the preflight script", () => {
    const databases = resolveDatabases("/app/data", ["meds.db", "it's.db"], "meds");

    it("lists each database's replica with the sidecar's config, cut short after 20 s", () => {
        expect(renderPreflightScript(databases)).toMatchInlineSnapshot(`
          "#!/bin/sh
          # Preflight of litestream-backup: can this credential list every database's replica?
          check() {
              out=$(timeout 20 litestream ltx -config /etc/litestream.yml "$1" 2>&1)
              code=$?
              if [ "$code" -eq 124 ]; then
                  echo "$1: the bucket did not answer within 20s (endpoint, network or DNS): \${out:-no output}"
                  exit 1
              fi
              if [ "$code" -ne 0 ]; then
                  echo "$1: its replica cannot be listed with this credential: $out"
                  exit 1
              fi
              echo "$1: replica listed"
          }
          check /app/data/meds.db
          check '/app/data/it'\\''s.db'
          "
        `);
    });

    const dir = mkdtempSync(join(tmpdir(), "preflight-"));
    const bin = join(dir, "bin");
    execFileSync("mkdir", ["-p", bin]);
    // `ltx` answers from the environment; `timeout` is the real one from coreutils.
    writeFileSync(
        join(bin, "litestream"),
        '#!/bin/sh\n[ "$1" = ltx ] || exit 2\nsleep "${FAKE_SLEEP:-0}"\nprintf "%s" "$FAKE_LTX"\nexit "${FAKE_LTX_RC:-0}"\n',
    );
    chmodSync(join(bin, "litestream"), 0o755);
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    // A 1 s limit instead of 20 s, so the test waits a second, not twenty.
    function run(env: Record<string, string>): { code: number; output: string } {
        const script = join(dir, "preflight.sh");
        writeFileSync(script, renderPreflightScript(databases.slice(0, 1), 1));
        try {
            const output = execFileSync("/bin/sh", [script], {
                env: { PATH: `${bin}:${process.env.PATH}`, ...env },
                encoding: "utf8",
            });
            return { code: 0, output };
        } catch (e) {
            const err = e as { status: number; stdout: string };
            return { code: err.status, output: err.stdout };
        }
    }

    it("passes when the replica lists, empty (first deploy) or not", () => {
        expect(run({ FAKE_LTX: "" })).toEqual({
            code: 0,
            output: "/app/data/meds.db: replica listed\n",
        });
    });

    it("fails with Litestream's error when the credential is refused", () => {
        const error =
            "Error: operation error S3: ListObjectsV2, https response error StatusCode: 403, api error SignatureDoesNotMatch";
        expect(run({ FAKE_LTX: error, FAKE_LTX_RC: "1" })).toEqual({
            code: 1,
            output: `/app/data/meds.db: its replica cannot be listed with this credential: ${error}\n`,
        });
    });

    it("fails with the timeout's reason when the bucket does not answer", () => {
        // The real `timeout` sends TERM after the limit and exits 124.
        const result = run({ FAKE_SLEEP: "5" });
        expect(result.code).toBe(1);
        expect(result.output).toMatch(
            /^\/app\/data\/meds\.db: the bucket did not answer within 1s/,
        );
    });
});

describe("the gate's message when the preflight fails", () => {
    it("names the check, quotes its log, and says that nothing was touched", () => {
        const message = gateFailureMessage(
            [
                {
                    role: "preflight",
                    containerName: "meds-preflight",
                    exitCode: 1,
                    logs: "/app/data/meds.db: its replica cannot be listed with this credential: 403\n",
                    urn: "urn:x",
                },
            ],
            false,
        );
        expect(message).toBe(
            [
                "The preflight check of the bucket failed: container meds-preflight exited with code 1. Its log ends with:",
                "  /app/data/meds.db: its replica cannot be listed with this credential: 403",
                "The credential cannot list the replica, or the bucket could not be reached (credentials, endpoint, network). " +
                    "Nothing was restored, and the Litestream sidecar and the app were left as they were. " +
                    "Fix the cause and run `pulumi up` again: the check runs again when the credential, the config or the image changes; " +
                    "after a fix outside the stack (a firewall, the bucket) run `pulumi up --replace 'urn:x'`.",
            ].join("\n"),
        );
    });
});

describe("the gate's error", () => {
    it("stays cheap to format: a stack of the message only, resource and promise not walked", async () => {
        const { quietResourceError } = await import("../../components/docker/gate");
        const resource = { urn: "urn:x" } as unknown as import("@pulumi/pulumi").Resource;
        const error = quietResourceError("The preflight check of the bucket failed", resource);
        (error as unknown as { promise: unknown }).promise = Promise.resolve(resource);
        expect(error.resource).toBe(resource);
        expect(error.hideStack).toBe(true);
        expect(error.stack).toBe("ResourceError: The preflight check of the bucket failed");
        const { inspect } = await import("node:util");
        const text = inspect(error, { colors: true });
        expect(text).not.toContain("urn:x");
        expect(text).not.toContain("Promise");
        expect(text.length).toBeLessThan(300);
    });
});
