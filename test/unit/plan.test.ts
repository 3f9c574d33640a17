/**
 * The deployment plan, without mocks: which containers, in which order, with what; the
 * preflight script's text and verdicts, run under the real `sh` with a stand-in `litestream`
 * that answers as Litestream 0.5.16's `ltx` does; and the ownership script, run under the real
 * `sh` and `stat` with a stand-in `chown` that records what it is asked to change.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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
import { renderOwnershipScript } from "../../components/plan/ownership";
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

describe("deploymentPlan with app.user", () => {
    const plan = deploymentPlan(
        input({ app: { dataDir: "/app/data", command: ["meds", "serve"], user: "1000:1000" } }),
    );
    const c = byKey(plan.containers);

    it("gives the volume to the user after the restores and before the sidecar", () => {
        expect(plan.containers.map((x) => [x.key, x.name, x.run, x.role])).toEqual([
            ["preflight", "meds-preflight", "once", "preflight"],
            ["restore-0", "meds-restore-0", "once", "restore"],
            ["restore-1", "meds-restore-1", "once", "restore"],
            ["ownership", "meds-ownership", "once", "ownership"],
            ["litestream", "meds-litestream", "service", "litestream"],
            ["app", "meds", "service", "app"],
        ]);
        expect(c.ownership.after).toEqual(["preflight", "restore-0", "restore-1"]);
        expect(c.litestream.after).toEqual(["preflight", "restore-0", "restore-1", "ownership"]);
        expect(c.app.after).toEqual(["restore-0", "restore-1", "ownership", "litestream"]);
    });

    it("runs the step as root from the Litestream image, on the volume, with no credential", () => {
        expect(c.ownership).toMatchObject({
            image: IMAGE,
            user: "0:0",
            entrypoint: ["/bin/sh", "-c"],
            dataVolume: true,
            credentials: false,
            appEnv: false,
            files: [],
            ports: [],
            waitHealthy: false,
            labels: { "litestream-backup.role": "ownership" },
        });
        expect(c.ownership.command).toEqual([
            renderOwnershipScript("/app/data", input().databases, { uid: 1000, gid: 1000 }),
        ]);
    });

    it("runs the app as the user, and leaves the Litestream containers as they are", () => {
        expect(c.app.user).toBe("1000:1000");
        const without = byKey(deploymentPlan(input()).containers);
        for (const key of ["preflight", "restore-0", "restore-1"]) {
            expect(c[key], key).toEqual(without[key]);
        }
        // The sidecar differs only in what it waits for.
        const { after: withAfter, ...sidecar } = c.litestream;
        const { after: withoutAfter, ...sidecarWithout } = without.litestream;
        expect(sidecar).toEqual(sidecarWithout);
        expect(withAfter).toEqual([...withoutAfter, "ownership"]);
    });

    it("is today's plan without app.user: no step, the image's user", () => {
        const without = deploymentPlan(input());
        expect(without.containers.map((x) => x.key)).not.toContain("ownership");
        expect(byKey(without.containers).app.user).toBeUndefined();
    });

    it("needs no step for root: the app runs as 0, nothing is chowned", () => {
        for (const user of ["0", "0:0", "0:1000"]) {
            const root = byKey(
                deploymentPlan(input({ app: { dataDir: "/app/data", user } })).containers,
            );
            expect(Object.keys(root), user).toEqual([
                "preflight",
                "restore-0",
                "restore-1",
                "litestream",
                "app",
            ]);
            expect(root.app.user).toBe(user);
        }
    });

    it("still gives the volume to the user without autoRestore (a new volume is root's)", () => {
        const none = byKey(
            deploymentPlan(
                input({ autoRestore: false, app: { dataDir: "/app/data", user: "1000" } }),
            ).containers,
        );
        expect(Object.keys(none)).toEqual(["preflight", "ownership", "litestream", "app"]);
        expect(none.ownership.after).toEqual(["preflight"]);
        expect(none.litestream.after).toEqual(["preflight", "ownership"]);
        expect(none.app.after).toEqual(["ownership", "litestream"]);
        expect(none.ownership.command?.[0]).toContain("chown -h 1000 ");
    });
});

describe("the ownership script", () => {
    const databases = resolveDatabases("/app/data", ["meds.db", "audit/2026/log.db"], "meds");

    it("gives dataDir, each folder down to a database, its files and Litestream's folder", () => {
        expect(renderOwnershipScript("/app/data/", databases, { uid: 1000, gid: 1000 }))
            .toMatchInlineSnapshot(`
              "set -eu
              # Ownership step of litestream-backup: the data directory and the database files become 1000:1000's.
              own() {
                  was=$(stat -c '%u:%g %a' "$1")
                  chown -h 1000:1000 "$1"
                  echo "$was -> $(stat -c '%u:%g %a %n' "$1")"
              }
              own_if() {
                  if [ -e "$1" ] || [ -L "$1" ]; then own "$1"; fi
              }
              own_tree() {
                  if [ -d "$1" ] && [ ! -L "$1" ]; then
                      was=$(stat -c '%u:%g %a' "$1")
                      chown -R -h 1000:1000 "$1"
                      echo "$was -> $(stat -c '%u:%g %a %n' "$1") (and all in it)"
                  fi
              }
              mkdir -p /app/data/.meds.db-litestream /app/data/audit/2026/.log.db-litestream
              own /app/data
              own_if /app/data/.litestream-backup-claim
              own_if /app/data/meds.db
              own_if /app/data/meds.db-wal
              own_if /app/data/meds.db-shm
              own_tree /app/data/.meds.db-litestream
              own /app/data/audit
              own /app/data/audit/2026
              own_if /app/data/audit/2026/log.db
              own_if /app/data/audit/2026/log.db-wal
              own_if /app/data/audit/2026/log.db-shm
              own_tree /app/data/audit/2026/.log.db-litestream
              "
            `);
    });

    it("changes only the owner for a bare uid, and quotes odd paths", () => {
        const script = renderOwnershipScript(
            "/srv/my data",
            resolveDatabases("/srv/my data", ["it's.db"], "x"),
            { uid: 65532 },
        );
        expect(script).toContain('chown -h 65532 "$1"');
        expect(script).toContain("own '/srv/my data'\n");
        expect(script).toContain("own_if '/srv/my data/it'\\''s.db'\n");
        expect(script).toContain("own_tree '/srv/my data/.it'\\''s.db-litestream'\n");
    });

    const dir = mkdtempSync(join(tmpdir(), "ownership-"));
    const bin = join(dir, "bin");
    const data = join(dir, "data");
    execFileSync("mkdir", ["-p", bin, data]);
    // `chown` records its arguments (changing owners needs root); `stat` is the real one.
    writeFileSync(
        join(bin, "chown"),
        '#!/bin/sh\necho "$*" >> "$CHOWN_LOG"\n[ -z "$CHOWN_FAIL" ] || [ "${*##* }" != "$CHOWN_FAIL" ] || { echo "chown: $CHOWN_FAIL: Operation not permitted" >&2; exit 1; }\n',
    );
    chmodSync(join(bin, "chown"), 0o755);
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    function run(env: Record<string, string> = {}): {
        code: number;
        output: string;
        chowns: string[];
    } {
        const log = join(dir, `chown-${Math.random()}.log`);
        writeFileSync(log, "");
        const script = renderOwnershipScript(
            data,
            resolveDatabases(data, ["meds.db", "audit/2026/log.db"], "meds"),
            { uid: 1000, gid: 1000 },
        );
        const chowns = () =>
            readFileSync(log, "utf8")
                .split("\n")
                .filter((l) => l !== "");
        try {
            const output = execFileSync("/bin/sh", ["-c", script], {
                env: { PATH: `${bin}:${process.env.PATH}`, CHOWN_LOG: log, ...env },
                encoding: "utf8",
                stdio: ["ignore", "pipe", "pipe"],
            });
            return { code: 0, output, chowns: chowns() };
        } catch (e) {
            const err = e as { status: number; stdout: string };
            return { code: err.status, output: err.stdout, chowns: chowns() };
        }
    }

    it("creates Litestream's folders, owns what exists and skips files not there yet", () => {
        // One database restored, the other not created yet (its folder does not exist).
        writeFileSync(join(data, "meds.db"), "");
        writeFileSync(join(data, "meds.db-wal"), "");
        const result = run();
        expect(result.code).toBe(0);
        expect(result.chowns).toEqual([
            `-h 1000:1000 ${data}`,
            `-h 1000:1000 ${data}/meds.db`,
            `-h 1000:1000 ${data}/meds.db-wal`,
            `-R -h 1000:1000 ${data}/.meds.db-litestream`,
            `-h 1000:1000 ${data}/audit`,
            `-h 1000:1000 ${data}/audit/2026`,
            `-R -h 1000:1000 ${data}/audit/2026/.log.db-litestream`,
        ]);
        // One line a changed path: owner and mode before, and after (the stand-in changed none).
        const lines = result.output.split("\n").filter((l) => l !== "");
        expect(lines).toHaveLength(7);
        // The volume is never left empty, even on a first deploy (see ownership.ts).
        expect(existsSync(join(data, "audit", "2026", ".log.db-litestream"))).toBe(true);
        expect(lines[2]).toMatch(/^(\d+:\d+ \d+) -> \1 .*\/data\/meds\.db-wal$/);
        expect(lines[3]).toMatch(
            / \d+:\d+ 7\d\d .*\/data\/\.meds\.db-litestream \(and all in it\)$/,
        );
    });

    it("stops with a non-zero exit at the first chown that fails", () => {
        writeFileSync(join(data, "meds.db"), "");
        const result = run({ CHOWN_FAIL: `${data}/meds.db` });
        expect(result.code).not.toBe(0);
        expect(result.chowns).toEqual([`-h 1000:1000 ${data}`, `-h 1000:1000 ${data}/meds.db`]);
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

describe("the gate's message when the ownership step fails", () => {
    it("names the step, quotes its log, and gives the command that runs it again", () => {
        const message = gateFailureMessage(
            [
                {
                    role: "ownership",
                    containerName: "meds-ownership",
                    exitCode: 1,
                    logs: "chown: changing ownership of '/app/data': Read-only file system\n",
                    urn: "urn:x",
                },
            ],
            false,
        );
        expect(message).toBe(
            [
                "Giving the data volume to `app.user` failed: container meds-ownership exited with code 1. Its log ends with:",
                "  chown: changing ownership of '/app/data': Read-only file system",
                "The data directory or a database file could not be given to the app's user. " +
                    "The Litestream sidecar and the app were not started. " +
                    "Fix the cause, then run the step again with `pulumi up --replace 'urn:x'`.",
            ].join("\n"),
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
