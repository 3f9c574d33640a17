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
 * With `timing.timers`, it also sets the timers that decide the request bill (timing.ts says
 * why each value; cost.ts counts what they cost).
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
    const timers = input.timing.timers;
    if (timers !== undefined) {
        // Replaces Litestream's L1/L2/L3 at 30 s, 5 min, 1 h (store.go runs one compaction
        // monitor per entry). Costs: a restore may read more small L0 files (up to one L1
        // interval of them). Saves: every L1 compaction lists all of L1, which holds the whole
        // retention; fewer, longer levels make fewer and shorter listings (timing.ts has the
        // numbers per preset).
        config.levels = timers.levels.map((interval) => ({ interval }));
        // Saves two listings every 15 s (L1 and L0), the larger part of an idle database's
        // bill. Costs: after writes stop, compacted L0 files wait up to this long to be deleted;
        // while writes go on each L1 compaction deletes them.
        config["l0-retention-check-interval"] = timers.l0RetentionCheckInterval;
    }
    if (!input.retentionEnabled) {
        config.retention = { enabled: false };
    }
    config.dbs = input.databases.map((db) => ({
        path: db.path,
        ...(timers !== undefined
            ? {
                  // Saves: one L0 file, and one PUT, a tick with changes instead of one a
                  // second. Costs: changes are cut on this beat, never slower than the sync
                  // interval, and the replica (started inside the first tick) syncs just
                  // after each cut, so the loss window stays one sync interval; the sidecar
                  // reports its first sync one tick after it starts.
                  "monitor-interval": timers.monitorInterval,
                  // Saves one L0 file a checkpoint (Litestream writes its `_litestream_seq`
                  // row after each). Costs: a slowly written WAL is copied into the database
                  // file less often; 1,000 pages still trigger a checkpoint at once.
                  "checkpoint-interval": timers.checkpointInterval,
              }
            : {}),
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
