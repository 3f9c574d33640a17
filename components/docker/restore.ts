/**
 * The hand-restore command (`restoreCommand` output): a `docker run ... litestream restore`
 * line a database, for a restore to a point in time next to the live database.
 */
import { DatabaseReplica } from "../litestream/databases";
import { shellQuote } from "../plan/shell";

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
