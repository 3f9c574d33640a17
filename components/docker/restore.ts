/**
 * The restore gate: one one-shot `litestream restore` container a database, run before the
 * Litestream sidecar and the app, and the check that turns a failed restore into a failed
 * deploy.
 *
 * Why one-shot containers rather than the sidecar's `replicate -restore-if-db-not-exists`
 * with a health check and `wait`:
 * - A failed restore must stop the deploy with its reason. A one-shot container records its
 *   exit code and log; the sidecar variant exits 1 (measured: `restore failed: ... 403
 *   SignatureDoesNotMatch`), restarts under `unless-stopped`, and `wait` reports only "not
 *   healthy in time", without the reason.
 * - A restore takes as long as the database is large. `attach` waits for the container to
 *   exit however long it takes; `wait` gives up after `waitTimeout`, so a large restore would
 *   fail the deploy for no fault.
 * - `restore` has `-integrity-check full`; the replicate flag has no integrity check.
 *
 * The docker provider (kreuzwerker/terraform-provider-docker) waits for an `attach`ed
 * container to exit and records `exitCode`, but does not fail on a non-zero one. So the
 * sidecar's and the app's images are derived from every restore's exit code (plus explicit
 * `dependsOn`): a non-zero code throws, naming the database and quoting the restore's log,
 * and neither container is created. A restore that left no exit code failed too: the provider
 * records one for every container it ran to the end, so a missing one means the restore did not
 * finish. The one exception is a mocked run (a unit test of a program that uses the component),
 * where nothing runs and a mock that returns only the inputs records no exit code; an exit code
 * the mock does return is judged as in a real run.
 *
 * `-if-replica-exists` turns only "no backup at this path" into exit 0 (first deploy). It
 * does not hide a failure to reach the replica: measured with v0.5.16 against versitygw, a
 * wrong secret (403 SignatureDoesNotMatch), an unknown key id (404), a missing bucket (404
 * NoSuchBucket) and a refused connection (after 10 attempts, 230 s) each exit 1, because only
 * `ErrTxNotAvailable` is mapped to "no matching backups found" (cmd/litestream/restore.go).
 * A corrupt replica exits 1 too, and leaves no database behind (restore writes `<db>.tmp` and
 * renames it, and removes the file when the integrity check fails), so the next run retries.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { DatabaseReplica } from "../litestream/databases";
import { isMockedRun } from "../mocked-run";
import { CONFIG_PATH } from "./paths";
import { shellQuote } from "./shell";

/** The restore container's command for one database (the image's entrypoint is litestream). */
export function restoreCommandArgs(dbPath: string): string[] {
    return [
        "restore",
        "-config",
        CONFIG_PATH,
        "-if-db-not-exists",
        "-if-replica-exists",
        "-integrity-check",
        "full",
        dbPath,
    ];
}

/** What one restore container left behind. */
export interface RestoreOutcome {
    /** Database path inside the containers. */
    database: string;
    /** Docker name of the restore container. */
    containerName: string;
    /** Its exit code; undefined when the provider recorded none. */
    exitCode: number | undefined;
    /** Its output (`logs: true`). */
    logs: string | undefined;
    /** Its URN, for `pulumi up --replace`. */
    urn: string;
}

/** Lines of the restore's log quoted in the error. */
const LOG_TAIL_LINES = 20;

/** The last lines of a log, each indented, long lines cut. */
function logTail(logs: string | undefined): string {
    const lines = (logs ?? "").split("\n").filter((l) => l.trim() !== "");
    if (lines.length === 0) return "  (no output)";
    return lines
        .slice(-LOG_TAIL_LINES)
        .map((l) => `  ${l.length > 500 ? `${l.slice(0, 500)}...` : l}`)
        .join("\n");
}

/**
 * Whether a restore failed: it exited with a non-zero code, or it left no exit code in a real
 * run (fail closed: nothing recorded is no proof that the restore succeeded). In a mocked run
 * (`mockedRun`) a missing exit code means only that the mock records none, since no container
 * ran; a recorded code counts as in a real run.
 */
export function restoreFailed(outcome: RestoreOutcome, mockedRun: boolean): boolean {
    if (outcome.exitCode === undefined) return !mockedRun;
    return outcome.exitCode !== 0;
}

/**
 * The error message for the failed restores (see {@link restoreFailed}), or undefined when
 * every restore exited 0 (restored the database, found it present, or found no replica yet).
 */
export function restoreFailureMessage(
    outcomes: readonly RestoreOutcome[],
    mockedRun: boolean,
): string | undefined {
    const failed = outcomes.filter((o) => restoreFailed(o, mockedRun));
    if (failed.length === 0) return undefined;
    const parts = failed.map(
        (o) =>
            `Restoring database ${o.database} failed: container ${o.containerName} exited with ` +
            `${o.exitCode === undefined ? "no recorded exit code" : `code ${o.exitCode}`}. ` +
            `Its log ends with:\n${logTail(o.logs)}`,
    );
    const replace = failed.map((o) => ` --replace '${o.urn}'`).join("");
    return (
        `${parts.join("\n")}\n` +
        "A replica exists but could not be restored, or the bucket could not be reached " +
        "(credentials, endpoint, network). The Litestream sidecar and the app were not started, " +
        "so nothing overwrites the backup. Fix the cause, then run the restore again with " +
        `\`pulumi up${replace}\`.`
    );
}

/** The Docker objects and settings every restore container shares with the sidecar. */
export interface RestoreGateArgs {
    /** Component name; children are `${name}-restore-<n>`. */
    name: string;
    /** Docker name of the restore container of database `index`. */
    containerName: (index: number) => string;
    databases: readonly DatabaseReplica[];
    image: pulumi.Input<string>;
    config: pulumi.Input<string>;
    /** Credential environment, secret. */
    envs: pulumi.Output<string[]>;
    volumes: pulumi.Input<docker.types.input.ContainerVolume[]>;
    networksAdvanced: pulumi.Input<docker.types.input.ContainerNetworksAdvanced[]>;
    labels: (database: DatabaseReplica) => docker.types.input.ContainerLabel[];
    /** Resources the bucket needs before it is read. */
    dependsOn: pulumi.Resource[];
    opts: { parent: pulumi.Resource; provider: docker.Provider };
}

/** The restore containers and the output that fails when any of them failed. */
export interface RestoreGate {
    containers: docker.Container[];
    /**
     * Resolves (to true) once every restore exited 0 (or, in a mocked run, recorded no exit
     * code); throws the restore error otherwise.
     * Anything built from it is created only after a successful restore.
     */
    passed: pulumi.Output<true>;
}

/** Creates one restore container a database and the gate over their exit codes. */
export function createRestoreGate(args: RestoreGateArgs): RestoreGate {
    const containers = args.databases.map(
        (db, index) =>
            new docker.Container(
                `${args.name}-restore-${index}`,
                {
                    name: args.containerName(index),
                    image: args.image,
                    command: restoreCommandArgs(db.path),
                    uploads: [{ file: CONFIG_PATH, content: args.config }],
                    envs: args.envs,
                    volumes: args.volumes,
                    networksAdvanced: args.networksAdvanced,
                    labels: args.labels(db),
                    // Root, like the sidecar, whatever the image's default user.
                    user: "0:0",
                    attach: true,
                    logs: true,
                    mustRun: false,
                    restart: "no",
                },
                {
                    ...args.opts,
                    dependsOn: args.dependsOn,
                    // The Docker name is fixed: the old container must go before the new one.
                    deleteBeforeReplace: true,
                },
            ),
    );
    const outcomes = containers.map((c, index) =>
        pulumi
            .all([c.name, c.exitCode, c.containerLogs, c.urn])
            .apply(([containerName, exitCode, logs, urn]): RestoreOutcome => ({
                database: args.databases[index].path,
                containerName,
                exitCode,
                logs,
                urn,
            })),
    );
    const passed = pulumi.all(outcomes).apply((all): true => {
        const mockedRun = isMockedRun();
        const message = restoreFailureMessage(all, mockedRun);
        if (message !== undefined) {
            const failed = containers[all.findIndex((o) => restoreFailed(o, mockedRun))];
            throw new pulumi.ResourceError(message, failed, true);
        }
        return true;
    });
    return { containers, passed };
}

/** Everything the hand-restore command is made of. */
export interface RestoreCommandInput {
    /** Docker host given to the provider; undefined for the local engine. */
    host: string | undefined;
    network: string;
    volume: string;
    dataDir: string;
    image: string;
    bucket: string;
    endpoint: string | undefined;
    region: string;
    databases: readonly DatabaseReplica[];
}

/** The replica URL Litestream reads without a config file. */
export function replicaUrl(
    bucket: string,
    replicaPath: string,
    endpoint: string | undefined,
    region: string,
): string {
    const query = [
        ...(endpoint === undefined ? [] : [`endpoint=${encodeQueryValue(endpoint)}`]),
        `region=${encodeQueryValue(region)}`,
    ];
    return `s3://${bucket}/${replicaPath}?${query.join("&")}`;
}

/** Percent-encodes a query value, keeping `:` and `/` readable (Go's parser accepts them). */
function encodeQueryValue(value: string): string {
    return encodeURIComponent(value).replace(/%3A/gi, ":").replace(/%2F/gi, "/");
}

/**
 * One `docker run ... litestream restore` line a database, to restore by hand, to a point in
 * time when the `-timestamp` placeholder is filled in (remove `-timestamp ...` for the latest
 * state). It restores next to the live database, as `<db>.restored`, and never overwrites
 * (Litestream refuses an existing output file). The credential is read from the variables
 * `LITESTREAM_ACCESS_KEY_ID` and `LITESTREAM_SECRET_ACCESS_KEY` of the shell that runs it:
 * the command holds no credential value.
 */
export function renderRestoreCommand(input: RestoreCommandInput): string {
    const docker =
        input.host === undefined || input.host === ""
            ? "docker"
            : `docker -H ${shellQuote(input.host)}`;
    return input.databases
        .map((db) =>
            [
                docker,
                "run --rm",
                `--network ${shellQuote(input.network)}`,
                `-v ${shellQuote(`${input.volume}:${input.dataDir}`)}`,
                "-e LITESTREAM_ACCESS_KEY_ID -e LITESTREAM_SECRET_ACCESS_KEY",
                shellQuote(input.image),
                "restore -integrity-check full -timestamp YYYY-MM-DDTHH:MM:SSZ",
                `-o ${shellQuote(`${db.path}.restored`)}`,
                shellQuote(replicaUrl(input.bucket, db.replicaPath, input.endpoint, input.region)),
            ].join(" "),
        )
        .join("\n");
}
