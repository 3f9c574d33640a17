/**
 * The sidecar's health check script: its thresholds from the sync interval, its text, and
 * its verdicts, run under the real `sh` with a stand-in `litestream` on the PATH that answers
 * as Litestream 0.5.16 does (the real binary's answers are in the README, "The sidecar's health check").
 */
import { execFileSync } from "node:child_process";
import {
    chmodSync,
    existsSync,
    mkdtempSync,
    readFileSync,
    renameSync,
    rmSync,
    statSync,
    utimesSync,
    writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
    FIRST_SYNC_ALLOWANCE_SECONDS,
    healthcheckDatabases,
    maxSyncAgeSeconds,
    renderHealthcheckScript,
    SIDECAR_WAIT_TIMEOUT_SECONDS,
    sidecarHealthcheck,
} from "../../components/plan/healthcheck";
import { shellQuote } from "../../components/plan/shell";
import { dockerHealthcheck } from "../../components/docker/deployment";
import { durationSeconds } from "../../components/litestream/cost";
import { resolveDatabases } from "../../components/litestream/databases";
import { MAX_MONITOR_INTERVAL_SECONDS, resolveTiming } from "../../components/litestream/timing";
import { ReplicationPreset } from "../../components/args";

describe("thresholds", () => {
    it("allows two sync intervals plus a minute since the last successful sync", () => {
        expect(maxSyncAgeSeconds(1)).toBe(62);
        expect(maxSyncAgeSeconds(10)).toBe(80);
        expect(maxSyncAgeSeconds(3600)).toBe(7260);
        expect(maxSyncAgeSeconds(0.5)).toBe(61);
    });

    it("takes each database's threshold from the sync interval of the config", () => {
        const databases = resolveDatabases("/app/data", ["meds.db", "audit/log.db"], "meds");
        for (const [preset, age] of [
            [ReplicationPreset.Personal, 7260],
            [ReplicationPreset.Active, 80],
            [ReplicationPreset.Critical, 62],
        ] as const) {
            const { syncInterval } = resolveTiming({ preset });
            expect(healthcheckDatabases(databases, syncInterval)).toEqual([
                { path: "/app/data/meds.db", maxSyncAgeSeconds: age },
                { path: "/app/data/audit/log.db", maxSyncAgeSeconds: age },
            ]);
        }
        expect(healthcheckDatabases(databases, "1m30s")[0].maxSyncAgeSeconds).toBe(240);
    });

    it("refuses a sync interval that is not a Go duration", () => {
        const databases = resolveDatabases("/data", ["a.db"], "p");
        expect(() => healthcheckDatabases(databases, "ten seconds")).toThrow(/not a Go duration/);
    });

    it("gives a timeout that covers the socket, one listing a database and the claims' check", () => {
        expect(sidecarHealthcheck(1)).toEqual({
            command: ["/bin/sh", "/etc/litestream-healthcheck.sh"],
            intervalSeconds: 10,
            timeoutSeconds: 60,
            retries: 3,
            startPeriodSeconds: 540,
        });
        expect(sidecarHealthcheck(3).timeoutSeconds).toBe(80);
    });

    it("becomes a Docker health check with durations in the form the provider reads back", () => {
        expect(dockerHealthcheck(sidecarHealthcheck(1))).toEqual({
            tests: ["CMD", "/bin/sh", "/etc/litestream-healthcheck.sh"],
            interval: "10s",
            timeout: "1m0s",
            retries: 3,
            startPeriod: "9m0s",
        });
    });

    it("waits for the first sync one monitor tick longer than for the sync itself", () => {
        // Litestream opens a database, and records a first sync, at its first monitor tick:
        // up to 4 min after the start (personal preset), then five minutes for the upload.
        const longest = Math.max(
            ...Object.values(ReplicationPreset).map((preset) =>
                durationSeconds(resolveTiming({ preset }).timers!.monitorInterval),
            ),
        );
        expect(longest).toBe(MAX_MONITOR_INTERVAL_SECONDS);
        expect(FIRST_SYNC_ALLOWANCE_SECONDS).toBe(300 + MAX_MONITOR_INTERVAL_SECONDS);
        expect(SIDECAR_WAIT_TIMEOUT_SECONDS).toBe(540);
        expect(sidecarHealthcheck(1).startPeriodSeconds).toBe(540);
        expect(dockerHealthcheck(sidecarHealthcheck(1)).startPeriod).toBe("9m0s");
    });
});

describe("the script", () => {
    it("is a plain sh script that checks each database with its threshold", () => {
        const script = renderHealthcheckScript([
            { path: "/app/data/meds.db", maxSyncAgeSeconds: 80 },
            { path: "/app/data/it's here.db", maxSyncAgeSeconds: 7260 },
        ]);
        expect(script).toMatchInlineSnapshot(`
          "#!/bin/sh
          # Health check of the Litestream sidecar, written by litestream-backup.
          # Healthy when this volume owns the replica, every database is replicating and its last
          # successful replica sync is recent, or, for a database the app has not created yet, when the
          # replica can be listed.
          state=/tmp/litestream-backup
          if [ -e "$state/refused" ]; then
              cat "$state/refused"
              exit 1
          fi
          if [ ! -e "$state/litestream.pid" ]; then
              echo "not replicating yet: checking that this volume owns the replica $(cat "$state/error" 2>/dev/null)"
              exit 1
          fi
          # A newer claim of the replica by another deployment stops Litestream (the sidecar script's
          # check), looked for at most once every 60s.
          stamp=$state/owner-checked
          if [ ! -e "$stamp" ] || [ $(($(date +%s) - $(stat -c %Y "$stamp"))) -ge 60 ]; then
              touch "$stamp"
              if ! sh /etc/litestream-sidecar.sh check; then
                  cat "$state/refused" 2>/dev/null
                  exit 1
              fi
          fi
          list=$(litestream list -socket /var/run/litestream/litestream.sock -timeout 5 2>&1) || {
              echo "litestream did not answer on its control socket: $list"
              exit 1
          }
          now=$(date +%s)

          check() {
              db=$1
              max_age=$2
              if [ ! -e "$db" ]; then
                  out=$(timeout 10 litestream ltx -config /etc/litestream.yml "$db" 2>&1) || {
                      echo "$db: not created yet, and its replica cannot be listed: \${out:-no answer within 10s}"
                      return 1
                  }
                  return 0
              fi
              line=$(printf '%s\\n' "$list" | while IFS= read -r l; do
                  case $l in "$db ["*) printf '%s\\n' "$l" ;; esac
              done)
              case $line in
              "$db [replicating] (last sync: never)")
                  echo "$db: no successful replica sync yet"
                  return 1
                  ;;
              "$db [replicating] (last sync: "*")") ;;
              *)
                  echo "$db: not replicating: \${line:-not in litestream list}"
                  return 1
                  ;;
              esac
              synced=\${line##*last sync: }
              synced=$(date -d "\${synced%)}" +%s) || return 1
              age=$((now - synced))
              if [ "$age" -gt "$max_age" ]; then
                  echo "$db: last successful replica sync \${age}s ago, more than \${max_age}s"
                  return 1
              fi
              return 0
          }

          healthy=0
          check /app/data/meds.db 80 || healthy=1
          check '/app/data/it'\\''s here.db' 7260 || healthy=1
          exit $healthy
          "
        `);
    });

    it("quotes for sh only what needs it", () => {
        expect(shellQuote("/app/data/meds.db")).toBe("/app/data/meds.db");
        expect(shellQuote("a b")).toBe("'a b'");
        expect(shellQuote("it's")).toBe(`'it'\\''s'`);
        expect(shellQuote("s3://b/p?endpoint=x&region=y")).toBe("'s3://b/p?endpoint=x&region=y'");
    });
});

describe("the script's verdicts (sh, stand-in litestream)", () => {
    const dir = mkdtempSync(join(tmpdir(), "healthcheck-"));
    const bin = join(dir, "bin");
    const present = join(dir, "meds.db");
    const spaced = join(dir, "my data.db");
    const missing = join(dir, "not-yet.db");
    execFileSync("mkdir", ["-p", bin]);
    writeFileSync(present, "");
    writeFileSync(spaced, "");
    // Answers `list` and `ltx` from the environment, like the real commands' outputs.
    writeFileSync(
        join(bin, "litestream"),
        [
            "#!/bin/sh",
            'case "$1" in',
            '  list) printf "%s" "$FAKE_LIST"; exit "${FAKE_LIST_RC:-0}" ;;',
            '  ltx) printf "%s" "$FAKE_LTX"; exit "${FAKE_LTX_RC:-0}" ;;',
            "esac",
            "exit 2",
            "",
        ].join("\n"),
    );
    chmodSync(join(bin, "litestream"), 0o755);
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    const ago = (seconds: number) =>
        new Date(Date.now() - seconds * 1000).toISOString().replace(/\.\d+Z$/, "Z");

    // The sidecar's state: Litestream runs, and the claims were checked a moment ago.
    const state = join(dir, "state");
    const sidecar = join(dir, "sidecar.sh");
    execFileSync("mkdir", ["-p", state]);
    writeFileSync(join(state, "litestream.pid"), "42\n");
    writeFileSync(join(state, "owner-checked"), "");
    // The sidecar script's `check`: exit 0, or refuse as the real one does.
    writeFileSync(
        sidecar,
        [
            'if [ -n "${FAKE_REFUSE:-}" ]; then',
            `  echo "$FAKE_REFUSE" > ${shellQuote(join(state, "refused"))}`,
            "  exit 1",
            "fi",
            `echo checked >> ${shellQuote(join(state, "checks"))}`,
            "",
        ].join("\n"),
    );

    function run(
        databases: { path: string; maxSyncAgeSeconds: number }[],
        env: Record<string, string>,
    ): { code: number; output: string } {
        const script = join(dir, "check.sh");
        writeFileSync(
            script,
            renderHealthcheckScript(databases, { stateDir: state, sidecarScript: sidecar }),
        );
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

    const one = [{ path: present, maxSyncAgeSeconds: 80 }];

    it("is healthy when the last successful sync is recent", () => {
        const list = `${present} [replicating] (last sync: ${ago(5)})\n`;
        expect(run(one, { FAKE_LIST: list })).toEqual({ code: 0, output: "" });
    });

    it("is unhealthy before the first successful sync (wrong credentials)", () => {
        const list = `${present} [replicating] (last sync: never)\n`;
        expect(run(one, { FAKE_LIST: list })).toEqual({
            code: 1,
            output: `${present}: no successful replica sync yet\n`,
        });
    });

    it("is unhealthy when the last successful sync is too old (credential revoked, bucket gone)", () => {
        const list = `${present} [replicating] (last sync: ${ago(200)})\n`;
        const result = run(one, { FAKE_LIST: list });
        expect(result.code).toBe(1);
        expect(result.output).toMatch(
            new RegExp(
                `^${present}: last successful replica sync (200|201)s ago, more than 80s\\n$`,
            ),
        );
    });

    it("is unhealthy when Litestream does not answer (endpoint unreachable blocks the socket)", () => {
        const answer =
            'Error: failed to connect to control socket: Get "http://localhost/list": context deadline exceeded';
        expect(run(one, { FAKE_LIST: answer, FAKE_LIST_RC: "1" })).toEqual({
            code: 1,
            output: `litestream did not answer on its control socket: ${answer}\n`,
        });
    });

    it("is unhealthy when the database is not replicating", () => {
        // One timestamp for the list and the verdict, so that a second ticking in between
        // does not tell them apart.
        const line = `${present} [stopped] (last sync: ${ago(5)})`;
        expect(run(one, { FAKE_LIST: `${line}\n` })).toEqual({
            code: 1,
            output: `${present}: not replicating: ${line}\n`,
        });
        expect(run(one, { FAKE_LIST: "No databases configured\n" })).toEqual({
            code: 1,
            output: `${present}: not replicating: not in litestream list\n`,
        });
    });

    it("does not take another database's line for this one", () => {
        const list = `/x${present} [replicating] (last sync: ${ago(1)})\n`;
        expect(run(one, { FAKE_LIST: list }).code).toBe(1);
    });

    it("lists the replica of a database the app has not created yet", () => {
        const databases = [{ path: missing, maxSyncAgeSeconds: 80 }];
        const list = `${missing} [replicating] (last sync: never)\n`;
        expect(
            run(databases, {
                FAKE_LIST: list,
                FAKE_LTX: "level  min_txid  max_txid  size  created\n",
            }),
        ).toEqual({ code: 0, output: "" });
        const denied =
            "Error: operation error S3: ListObjectsV2, https response error StatusCode: 403, api error SignatureDoesNotMatch";
        expect(run(databases, { FAKE_LIST: list, FAKE_LTX: denied, FAKE_LTX_RC: "1" })).toEqual({
            code: 1,
            output: `${missing}: not created yet, and its replica cannot be listed: ${denied}\n`,
        });
        expect(run(databases, { FAKE_LIST: list, FAKE_LTX_RC: "124" })).toEqual({
            code: 1,
            output: `${missing}: not created yet, and its replica cannot be listed: no answer within 10s\n`,
        });
    });

    it("checks every database, and fails when one fails", () => {
        const databases = [
            { path: present, maxSyncAgeSeconds: 80 },
            { path: spaced, maxSyncAgeSeconds: 7260 },
        ];
        const fresh = `${present} [replicating] (last sync: ${ago(3)})\n${spaced} [replicating] (last sync: ${ago(3600)})\n`;
        expect(run(databases, { FAKE_LIST: fresh })).toEqual({ code: 0, output: "" });
        const oneNever = `${present} [replicating] (last sync: ${ago(3)})\n${spaced} [replicating] (last sync: never)\n`;
        expect(run(databases, { FAKE_LIST: oneNever })).toEqual({
            code: 1,
            output: `${spaced}: no successful replica sync yet\n`,
        });
    });

    describe("ownership of the replica (the sidecar script's state)", () => {
        const list = `${present} [replicating] (last sync: ${ago(5)})\n`;
        const stamp = join(state, "owner-checked");
        const reset = () => {
            rmSync(join(state, "refused"), { force: true });
            rmSync(join(state, "checks"), { force: true });
            rmSync(join(state, "error"), { force: true });
            writeFileSync(stamp, "");
        };

        it("is unhealthy while the sidecar has not started Litestream, with the reason", () => {
            reset();
            renameSync(join(state, "litestream.pid"), join(state, "pid.away"));
            try {
                writeFileSync(join(state, "error"), "Error: dial tcp: connection refused");
                expect(run(one, { FAKE_LIST: list })).toEqual({
                    code: 1,
                    output: "not replicating yet: checking that this volume owns the replica Error: dial tcp: connection refused\n",
                });
            } finally {
                renameSync(join(state, "pid.away"), join(state, "litestream.pid"));
                reset();
            }
        });

        it("is unhealthy, saying why, once the sidecar refused to replicate", () => {
            reset();
            writeFileSync(join(state, "refused"), "NOT REPLICATING: another deployment owns it\n");
            expect(run(one, { FAKE_LIST: list })).toEqual({
                code: 1,
                output: "NOT REPLICATING: another deployment owns it\n",
            });
            reset();
        });

        it("looks at the claims at most once a minute", () => {
            reset();
            expect(run(one, { FAKE_LIST: list }).code).toBe(0);
            expect(existsSync(join(state, "checks"))).toBe(false);
            const old = new Date(Date.now() - 61_000);
            utimesSync(stamp, old, old);
            expect(run(one, { FAKE_LIST: list }).code).toBe(0);
            expect(readFileSync(join(state, "checks"), "utf8")).toBe("checked\n");
            expect(statSync(stamp).mtimeMs).toBeGreaterThan(Date.now() - 10_000);
            expect(run(one, { FAKE_LIST: list }).code).toBe(0);
            expect(readFileSync(join(state, "checks"), "utf8")).toBe("checked\n");
            reset();
        });

        it("is unhealthy when another deployment claimed the replica", () => {
            reset();
            const old = new Date(Date.now() - 61_000);
            utimesSync(stamp, old, old);
            const reason = "NOT REPLICATING: another deployment owns this stack's replica";
            expect(run(one, { FAKE_LIST: list, FAKE_REFUSE: reason })).toEqual({
                code: 1,
                output: `${reason}\n`,
            });
            reset();
        });
    });
});
