/**
 * The gate over one-shot containers (the preflight, the restores and the ownership step): what
 * comes after them is created only once each exited 0, and a failure stops the deploy with its
 * reason.
 *
 * Why one-shot containers rather than, say, the sidecar's `replicate -restore-if-db-not-exists`
 * with a health check and `wait`:
 * - A failed step must stop the deploy with its reason. A one-shot container records its exit
 *   code and log; the sidecar variant exits 1 (measured: `restore failed: ... 403
 *   SignatureDoesNotMatch`), restarts under `unless-stopped`, and `wait` reports only "not
 *   healthy in time", without the reason.
 * - A restore takes as long as the database is large. `attach` waits for the container to exit
 *   however long it takes; `wait` gives up after `waitTimeout`, so a large restore would fail
 *   the deploy for no fault.
 *
 * The docker provider (kreuzwerker/terraform-provider-docker) waits for an `attach`ed container
 * to exit and records `exitCode`, but does not fail on a non-zero one. So the image of whatever
 * comes after is derived from the exit codes (plus explicit `dependsOn`): a non-zero code
 * throws, naming the step and quoting its log, and nothing after it is created. A step that
 * left no exit code failed too: the provider records one for every container it ran to the
 * end, so a missing one means it did not finish. The one exception is a mocked run (a unit test
 * of a program that uses the component), where nothing runs and a mock that returns only the
 * inputs records no exit code; an exit code the mock does return is judged as in a real run.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { isMockedRun } from "../mocked-run";
import { Role } from "../plan/plan";

/** What one one-shot container left behind. */
export interface OneShotOutcome {
    role: Role;
    /** The database a restore was for. */
    database?: string;
    /** Docker name of the container. */
    containerName: string;
    /** Its exit code; undefined when the provider recorded none. */
    exitCode: number | undefined;
    /** Its output (`logs: true`). */
    logs: string | undefined;
    /** Its URN, for `pulumi up --replace`. */
    urn: string;
}

/** Lines of a step's log quoted in the error. */
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
 * Whether a step failed: it exited with a non-zero code, or it left no exit code in a real run
 * (fail closed: nothing recorded is no proof that it succeeded). In a mocked run (`mockedRun`)
 * a missing exit code means only that the mock records none, since no container ran; a
 * recorded code counts as in a real run.
 */
export function oneShotFailed(outcome: OneShotOutcome, mockedRun: boolean): boolean {
    if (outcome.exitCode === undefined) return !mockedRun;
    return outcome.exitCode !== 0;
}

function exited(o: OneShotOutcome): string {
    return `container ${o.containerName} exited with ${o.exitCode === undefined ? "no recorded exit code" : `code ${o.exitCode}`}`;
}

/**
 * The error message for the failed steps (see {@link oneShotFailed}), or undefined when every
 * one exited 0.
 */
export function gateFailureMessage(
    outcomes: readonly OneShotOutcome[],
    mockedRun: boolean,
): string | undefined {
    const failed = outcomes.filter((o) => oneShotFailed(o, mockedRun));
    if (failed.length === 0) return undefined;
    const replace = failed.map((o) => ` --replace '${o.urn}'`).join("");
    if (failed.some((o) => o.role === "preflight")) {
        const parts = failed.map(
            (o) =>
                `The preflight check of the bucket failed: ${exited(o)}. Its log ends with:\n${logTail(o.logs)}`,
        );
        return (
            `${parts.join("\n")}\n` +
            "The credential cannot list the replica, or the bucket could not be reached " +
            "(credentials, endpoint, network). Nothing was restored, and the Litestream sidecar " +
            "and the app were left as they were. Fix the cause and run `pulumi up` again: the " +
            "check runs again when the credential, the config or the image changes; after a fix " +
            `outside the stack (a firewall, the bucket) run \`pulumi up${replace}\`.`
        );
    }
    if (failed.some((o) => o.role === "verify-deploy")) {
        const parts = failed.map(
            (o) =>
                `The restore drill on deploy failed: ${exited(o)}. Its log ends with:\n${logTail(o.logs)}`,
        );
        return (
            `${parts.join("\n")}\n` +
            "A replica exists but does not restore, is stale, or the bucket could not be reached: " +
            "the lines above name each database and the reason. The app and the Litestream " +
            "sidecar were left running; the verifier was not started or replaced. Fix the cause " +
            "and run `pulumi up` again (the drill runs on every `pulumi up`)."
        );
    }
    if (failed.some((o) => o.role === "ownership")) {
        const parts = failed.map(
            (o) =>
                `Giving the data volume to \`app.user\` failed: ${exited(o)}. Its log ends with:\n${logTail(o.logs)}`,
        );
        return (
            `${parts.join("\n")}\n` +
            "The data directory or a database file could not be given to the app's user. The " +
            "Litestream sidecar and the app were not started. Fix the cause, then run the step " +
            `again with \`pulumi up${replace}\`.`
        );
    }
    const parts = failed.map(
        (o) =>
            `Restoring database ${o.database ?? "?"} failed: ${exited(o)}. Its log ends with:\n${logTail(o.logs)}`,
    );
    return (
        `${parts.join("\n")}\n` +
        "A replica exists but could not be restored, or the bucket could not be reached " +
        "(credentials, endpoint, network). The Litestream sidecar and the app were not started, " +
        "so nothing overwrites the backup. Fix the cause, then run the restore again with " +
        `\`pulumi up${replace}\`.`
    );
}

/**
 * An output that resolves (to true) once every container exited 0, and throws the gate's
 * error otherwise. Anything whose input is built from it is created only after them.
 */
export function gatePassed(
    containers: readonly { container: docker.Container; role: Role; database?: string }[],
): pulumi.Output<true> {
    const outcomes = containers.map(({ container, role, database }) =>
        pulumi
            .all([container.name, container.exitCode, container.containerLogs, container.urn])
            .apply(([containerName, exitCode, logs, urn]): OneShotOutcome => ({
                role,
                database,
                containerName,
                exitCode,
                logs,
                urn,
            })),
    );
    return pulumi.all(outcomes).apply((all): true => {
        const mockedRun = isMockedRun();
        const message = gateFailureMessage(all, mockedRun);
        if (message !== undefined) {
            const index = all.findIndex((o) => oneShotFailed(o, mockedRun));
            throw quietResourceError(message, containers[index].container);
        }
        return true;
    });
}

/**
 * A ResourceError, shown against `resource` without a stack, that stays cheap to format. The
 * SDK's program runner formats every uncaught error with `util.inspect` (in colour) for its
 * trace span, even one it reports by message only. Node 20's inspect, given a stack whose
 * frames point into `node_modules` (every error thrown inside an Output's apply has the SDK's
 * frames), built an ever longer string until "Invalid string length": 32 s of a failing
 * `pulumi up` here, mostly garbage collection. The stack is not shown anyway, so it is only the
 * message; and the `resource` it carries, and the `promise` the SDK sets on its way out, are
 * kept off the enumerable properties that inspect walks.
 */
export function quietResourceError(
    message: string,
    resource: pulumi.Resource,
): pulumi.ResourceError {
    const error = new pulumi.ResourceError(message, resource, true);
    Object.defineProperty(error, "stack", { value: `ResourceError: ${message}`, writable: true });
    Object.defineProperty(error, "resource", { enumerable: false });
    Object.defineProperty(error, "promise", {
        enumerable: false,
        writable: true,
        value: undefined,
    });
    return error;
}
