import { Scalar, stringify } from "yaml";
import { DatabaseReplica } from "./databases";
import { Timing } from "./timing";

/** Where the replicas go, as plain values (no credential: those travel in the environment). */
export interface ConfigTarget {
    bucket: string;
    /** S3 API endpoint, written into the config; leave it out for AWS S3, found from the region. */
    endpoint?: string;
    region: string;
}

/**
 * The environment variable that carries `litestream.heartbeatUrl` (a secret) to the sidecar.
 * The config refers to it (`heartbeat-url: "${LITESTREAM_HEARTBEAT_URL}"`): Litestream expands
 * `${VAR}` in its config file before it reads it, so the URL is never in the file. Other
 * containers that read the config (restores, preflight, verifier) lack the variable, read an
 * empty URL and ping nothing.
 */
export const HEARTBEAT_URL_ENV = "LITESTREAM_HEARTBEAT_URL";

/** Everything the Litestream 0.5 config is made from. */
export interface ConfigInput {
    target: ConfigTarget;
    databases: readonly DatabaseReplica[];
    timing: Timing;
    /** False turns Litestream's own deletion off (append-only storage expires objects itself). */
    retentionEnabled: boolean;
    /** Port of the Prometheus endpoint, served on all interfaces of the sidecar. */
    metricsPort?: number;
    /**
     * Path of Litestream's control socket. The sidecar's health check asks it for each
     * database's last successful sync: the only 0.5 signal that tells a working replica from
     * an unreachable one (the metrics look the same).
     */
    socketPath?: string;
    /**
     * Litestream's own heartbeat: pings the URL in {@link HEARTBEAT_URL_ENV} while every
     * database syncs, every `interval` (Litestream's 5m when unset).
     */
    heartbeat?: { interval?: string };
}

/**
 * Renders the Litestream 0.5 config. Litestream ignores keys it does not know, so a wrong
 * key means no backup and no error: this writes only keys that 0.5.13 and later read
 * (cmd/litestream/main.go `Config`, `DBConfig`, `ReplicaConfig`), and never a credential.
 */
export function renderLitestreamConfig(input: ConfigInput): string {
    const config: Record<string, unknown> = {};
    if (input.metricsPort !== undefined) {
        config.addr = `:${input.metricsPort}`;
    }
    if (input.socketPath !== undefined) {
        config.socket = { enabled: true, path: input.socketPath };
    }
    if (input.heartbeat !== undefined) {
        const url = new Scalar(`\${${HEARTBEAT_URL_ENV}}`);
        url.type = Scalar.QUOTE_DOUBLE;
        config["heartbeat-url"] = url;
        if (input.heartbeat.interval !== undefined) {
            config["heartbeat-interval"] = input.heartbeat.interval;
        }
    }
    config.snapshot = {
        interval: input.timing.snapshotInterval,
        retention: input.timing.retention,
    };
    if (!input.retentionEnabled) {
        config.retention = { enabled: false };
    }
    config.dbs = input.databases.map((db) => ({
        path: db.path,
        replica: {
            type: "s3",
            bucket: input.target.bucket,
            path: db.replicaPath,
            ...(input.target.endpoint !== undefined ? { endpoint: input.target.endpoint } : {}),
            region: input.target.region,
            "sync-interval": input.timing.syncInterval,
        },
    }));
    return stringify(config, { lineWidth: 0 });
}
