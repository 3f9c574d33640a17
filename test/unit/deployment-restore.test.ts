/**
 * The gate's pure parts: the restore command, the failure messages of the preflight and the
 * restores, and the hand-restore command.
 */
import { describe, expect, it } from "vitest";
import { resolveDatabases } from "../../components/litestream/databases";
import { renderRestoreCommand, replicaUrl } from "../../components/docker/restore";
import { gateFailureMessage, OneShotOutcome, oneShotFailed } from "../../components/docker/gate";
import { restoreCommandArgs } from "../../components/plan/restore";
import { planNames } from "../../components/plan/plan";

const URN =
    "urn:pulumi:prod::litestream-backup::litestream-backup:index:LitestreamBackup$docker:index/container:Container::meds-restore-0";

function outcome(overrides: Partial<OneShotOutcome>): OneShotOutcome {
    return {
        role: "restore",
        database: "/app/data/meds.db",
        containerName: "meds-restore-0",
        exitCode: 0,
        logs: "",
        urn: URN,
        ...overrides,
    };
}

describe("restoreCommandArgs", () => {
    it("restores only a missing database, only from an existing replica, with a full check", () => {
        expect(restoreCommandArgs("/app/data/meds.db")).toEqual([
            "restore",
            "-config",
            "/etc/litestream.yml",
            "-if-db-not-exists",
            "-if-replica-exists",
            "-integrity-check",
            "full",
            "/app/data/meds.db",
        ]);
    });
});

describe("gateFailureMessage of the restores", () => {
    it("lets the deploy go on when every restore exited 0 (restored, present, or no replica yet)", () => {
        expect(
            gateFailureMessage(
                [
                    outcome({ logs: 'level=INFO msg="no matching backups found"\n' }),
                    outcome({
                        database: "/app/data/b.db",
                        logs: 'msg="database already exists, skipping"',
                    }),
                ],
                false,
            ),
        ).toBeUndefined();
        expect(gateFailureMessage([], false)).toBeUndefined();
    });

    it("names each failed database, quotes its log and says how to run it again", () => {
        const message = gateFailureMessage(
            [
                outcome({
                    exitCode: 1,
                    logs: "Error: decode database: decode page 1: read page header 0: decompress block: lz4: invalid source or destination buffer too short\n",
                }),
                outcome({
                    database: "/app/data/b.db",
                    containerName: "meds-restore-1",
                    urn: `${URN.slice(0, -1)}1`,
                    exitCode: undefined,
                    logs: undefined,
                }),
                outcome({ database: "/app/data/ok.db" }),
            ],
            false,
        );
        expect(message).toBe(
            [
                "Restoring database /app/data/meds.db failed: container meds-restore-0 exited with code 1. Its log ends with:",
                "  Error: decode database: decode page 1: read page header 0: decompress block: lz4: invalid source or destination buffer too short",
                "Restoring database /app/data/b.db failed: container meds-restore-1 exited with no recorded exit code. Its log ends with:",
                "  (no output)",
                "A replica exists but could not be restored, or the bucket could not be reached (credentials, endpoint, network). " +
                    "The Litestream sidecar and the app were not started, so nothing overwrites the backup. " +
                    `Fix the cause, then run the restore again with \`pulumi up --replace '${URN}' --replace '${URN.slice(0, -1)}1'\`.`,
            ].join("\n"),
        );
    });

    it("fails closed in a real run: no recorded exit code is a failed restore", () => {
        expect(oneShotFailed(outcome({ exitCode: undefined }), false)).toBe(true);
        expect(oneShotFailed(outcome({ exitCode: 1 }), false)).toBe(true);
        expect(oneShotFailed(outcome({ exitCode: 0 }), false)).toBe(false);
        expect(gateFailureMessage([outcome({ exitCode: undefined })], false)).toContain(
            "Restoring database /app/data/meds.db failed: container meds-restore-0 exited with no recorded exit code.",
        );
    });

    it("in a mocked run, takes a missing exit code for a mock that records none, and still fails on a recorded one", () => {
        expect(oneShotFailed(outcome({ exitCode: undefined }), true)).toBe(false);
        expect(gateFailureMessage([outcome({ exitCode: undefined })], true)).toBeUndefined();
        expect(oneShotFailed(outcome({ exitCode: 0 }), true)).toBe(false);
        expect(oneShotFailed(outcome({ exitCode: 1 }), true)).toBe(true);
        const message = gateFailureMessage(
            [
                outcome({ exitCode: undefined }),
                outcome({
                    database: "/app/data/b.db",
                    containerName: "meds-restore-1",
                    exitCode: 137,
                }),
            ],
            true,
        );
        expect(message).toMatch(
            /^Restoring database \/app\/data\/b\.db failed: container meds-restore-1 exited with code 137\./,
        );
        expect(message).not.toContain("/app/data/meds.db");
    });

    it("quotes only the end of a long log, and cuts long lines", () => {
        const logs =
            Array.from({ length: 50 }, (_, i) => `line ${i}`).join("\n") + "\n" + "x".repeat(900);
        const message = gateFailureMessage([outcome({ exitCode: 1, logs })], false) ?? "";
        expect(message).not.toContain("line 30\n");
        expect(message).toContain("  line 31\n");
        expect(message).toContain(`  ${"x".repeat(500)}...\n`);
    });
});

describe("the hand-restore command", () => {
    const databases = resolveDatabases("/app/data", ["meds.db"], "meds");

    it("builds the replica URL Litestream reads without a config", () => {
        expect(replicaUrl("b", "meds/meds.db", "http://meds-s3:7070", "us-east-1")).toBe(
            "s3://b/meds/meds.db?endpoint=http://meds-s3:7070&region=us-east-1",
        );
        expect(replicaUrl("b", "meds/meds.db", undefined, "eu-central-1")).toBe(
            "s3://b/meds/meds.db?region=eu-central-1",
        );
    });

    it("mounts the volume, reads the credential from the caller's environment, never overwrites", () => {
        const command = renderRestoreCommand({
            host: "ssh://deploy@app.example.com",
            network: "meds-network",
            volume: "meds-data",
            dataDir: "/app/data",
            image: "litestream/litestream:0.5.16",
            bucket: "meds-backups",
            endpoint: undefined,
            region: "eu-central-1",
            databases,
        });
        expect(command).toBe(
            "docker -H ssh://deploy@app.example.com run --rm --network meds-network -v meds-data:/app/data " +
                "-e LITESTREAM_ACCESS_KEY_ID -e LITESTREAM_SECRET_ACCESS_KEY litestream/litestream:0.5.16 " +
                "restore -integrity-check full -timestamp YYYY-MM-DDTHH:MM:SSZ -o /app/data/meds.db.restored " +
                "'s3://meds-backups/meds/meds.db?region=eu-central-1'",
        );
        expect(command).not.toContain("\n");
    });
});

describe("planNames", () => {
    it("derives every container, volume and network name from the app's container name", () => {
        const names = planNames("meds");
        expect([
            names.app,
            names.litestream,
            names.preflight,
            names.volume,
            names.network,
            names.restore(0),
            names.restore(1),
        ]).toEqual([
            "meds",
            "meds-litestream",
            "meds-preflight",
            "meds-data",
            "meds-network",
            "meds-restore-0",
            "meds-restore-1",
        ]);
    });
});
