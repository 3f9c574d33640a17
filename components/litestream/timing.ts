import { ReplicationArgs, ReplicationPreset } from "../args";

/** Litestream timing settings, as Go durations. */
export interface Timing {
    syncInterval: string;
    snapshotInterval: string;
    retention: string;
}

/** The presets of the README table. */
export const PRESETS: Record<ReplicationPreset, Timing> = {
    [ReplicationPreset.Personal]: {
        syncInterval: "1h",
        snapshotInterval: "24h",
        retention: "168h",
    },
    [ReplicationPreset.Active]: { syncInterval: "10s", snapshotInterval: "1h", retention: "72h" },
    [ReplicationPreset.Critical]: { syncInterval: "1s", snapshotInterval: "6h", retention: "720h" },
};

/** The preset used when none is given. */
export const DEFAULT_PRESET = ReplicationPreset.Active;

/** The preset's timing with each explicitly given interval in its place. */
export function resolveTiming(replication: ReplicationArgs | undefined): Timing {
    const preset = PRESETS[replication?.preset ?? DEFAULT_PRESET];
    return {
        syncInterval: replication?.syncInterval ?? preset.syncInterval,
        snapshotInterval: replication?.snapshotInterval ?? preset.snapshotInterval,
        retention: replication?.retention ?? preset.retention,
    };
}
