/**
 * The hand-restore command on Kubernetes (`restoreCommand` output): a `kubectl exec` into the
 * running Litestream sidecar, which has the config, the credential in its environment and the
 * data volume, so the command holds no credential and needs nothing on the machine but kubectl.
 */
import { DatabaseReplica } from "../litestream/databases";
import { CONFIG_PATH } from "../plan/paths";
import { shellQuote } from "../plan/shell";

/** Everything the command is made of. */
export interface KubectlRestoreInput {
    namespace: string;
    pod: string;
    /** The sidecar's container name. */
    container: string;
    databases: readonly DatabaseReplica[];
}

/**
 * One `kubectl exec ... litestream restore` line a database, to a point in time when the
 * `-timestamp` placeholder is filled in (remove `-timestamp ...` for the latest state). It
 * restores next to the live database, as `<db>.restored` on the data volume, and never
 * overwrites (Litestream refuses an existing output file).
 */
export function renderKubectlRestoreCommand(input: KubectlRestoreInput): string {
    return input.databases
        .map((db) =>
            [
                "kubectl",
                `--namespace ${shellQuote(input.namespace)}`,
                `exec ${shellQuote(input.pod)}`,
                `-c ${shellQuote(input.container)}`,
                "-- litestream restore",
                `-config ${CONFIG_PATH}`,
                "-integrity-check full -timestamp YYYY-MM-DDTHH:MM:SSZ",
                `-o ${shellQuote(`${db.path}.restored`)}`,
                shellQuote(db.path),
            ].join(" "),
        )
        .join("\n");
}
