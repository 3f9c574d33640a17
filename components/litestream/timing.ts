import { ReplicationArgs, ReplicationPreset } from "../args";
import { shortGoDuration, parseGoDuration, SECOND_NS } from "./duration";

/**
 * Litestream's own timers that the component sets (Go durations). They decide how many
 * requests a replica makes; the user-facing intervals of {@link Timing} decide what a crash can
 * lose and how far back a restore reaches. Each key is one that Litestream 0.5.13 and later
 * read (cmd/litestream/main.go: `DBConfig.MonitorInterval` `monitor-interval`,
 * `DBConfig.CheckpointInterval` `checkpoint-interval`, `Config.Levels` `levels[].interval`,
 * `Config.L0RetentionCheckInterval` `l0-retention-check-interval`).
 */
export interface LitestreamTimers {
    /** Per database: how often the WAL is cut into an L0 file (one upload each). */
    monitorInterval: string;
    /** Per database: how long changes may wait in the WAL before a time-based checkpoint. */
    checkpointInterval: string;
    /** Compaction levels L1..Ln, each compacting the level below on its clock-aligned interval. */
    levels: string[];
    /** How often the timer that deletes compacted L0 files runs. */
    l0RetentionCheckInterval: string;
}

/** Litestream timing settings, as Go durations. */
export interface Timing {
    syncInterval: string;
    snapshotInterval: string;
    retention: string;
    /**
     * The component's settings of Litestream's internal timers; undefined when the config
     * leaves them to Litestream's defaults (`replication.litestreamDefaults`).
     */
    timers?: LitestreamTimers;
}

/** The user-facing intervals of a preset (the README table). */
export type PresetTiming = Omit<Timing, "timers">;

/** The presets of the README table. */
export const PRESETS: Record<ReplicationPreset, PresetTiming> = {
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

/**
 * The longest monitor interval the component sets. Litestream opens a database, and starts its
 * replica, only at the database's first monitor tick (db.go `monitor` waits a full tick before
 * its first `Sync`, which runs `init` and `Replica.Start`), so the sidecar reports its first
 * successful sync one monitor interval after it starts; the health check's start period adds
 * this much to its five minutes for the first sync (FIRST_SYNC_ALLOWANCE_SECONDS in
 * ../plan/healthcheck.ts).
 */
export const MAX_MONITOR_INTERVAL_SECONDS = 240;

/**
 * Compaction levels of each preset, in seconds (Litestream's default is 30 s, 5 min, 1 h).
 * What a level costs: every tick of level k lists all of level k-1, and every L1 compaction
 * is followed by a listing of all of L1 (db.go `Compact` -> `EnforceL0RetentionByTime`). L1 to
 * Ln keep every file until the snapshot before them expires (store.go
 * `EnforceSnapshotRetention`), so L1 holds about `retention / L1 interval` files, read in
 * pages of 1,000. What a level saves: a restore reads the latest snapshot, then the fewest
 * files that cover the rest (replica.go `CalcRestorePlan`), so the L1 interval bounds how many
 * small L0 files a restore reads one after the other, and the higher levels bound the L1 files.
 *
 * - `personal`: one level of 1 h. Uploads come once an hour anyway; a restore reads the daily
 *   snapshot, at most 23 hourly files and the last hour's L0 files.
 * - `active`: one level of 5 min. L1 holds about 880 files (one listing page) over 72 h; a
 *   restore reads the hourly snapshot, at most 11 L1 files and 30 L0 files (10 s each), fewer
 *   than with Litestream's defaults (51).
 * - `critical`: 2 min 30 s, then 1 h. With 720 h of retention, a 30 s L1 holds 87,000 files
 *   (88 pages), listed after each of its 86,400 compactions a month: 7.6 million LISTs. At
 *   150 s it holds 17,500 files (18 pages), compacted 17,280 times a month: 311,000 LISTs. The
 *   price: a restore may read up to 150 one-second L0 files instead of 30 (README, "Presets").
 *   Not shorter: at 120 s an idle database would list L0 21,600 times a month.
 */
export const PRESET_LEVELS_SECONDS: Record<ReplicationPreset, readonly number[]> = {
    [ReplicationPreset.Personal]: [3600],
    [ReplicationPreset.Active]: [300],
    [ReplicationPreset.Critical]: [150, 3600],
};

const seconds = (d: string) => (parseGoDuration(d) as number) / SECOND_NS;

/**
 * The WAL monitor interval for a sync interval: the sync interval itself, or the largest even
 * division of it not above {@link MAX_MONITOR_INTERVAL_SECONDS} ("1h" -> 4 min). Litestream
 * cuts one L0 file a monitor tick with changes and uploads each as its own PUT (db.go `monitor`,
 * replica.go `syncOnce`); at its default of 1 s a busy database makes 2.6 million PUTs a month
 * whatever the sync interval. A whole number of monitor ticks per sync keeps the replica's
 * ticker in step with the monitor's: the replica starts inside the first monitor tick (db.go
 * `init`), so each sync runs just after a cut and ships it, and the loss window stays one sync
 * interval.
 */
export function monitorIntervalSeconds(syncIntervalSeconds: number): number {
    const ticks = Math.ceil(syncIntervalSeconds / MAX_MONITOR_INTERVAL_SECONDS - 1e-9);
    // Milliseconds are as fine as a config needs (and Go durations parse them exactly).
    return Math.max(0.001, Math.round((syncIntervalSeconds / Math.max(1, ticks)) * 1000) / 1000);
}

/**
 * Litestream's timers for a resolved timing. Levels come from the preset; custom intervals
 * keep them sensible: L1 is never shorter than the monitor interval (it would list L0 with
 * nothing new to compact) nor longer than the snapshot interval, and a level that is not longer
 * than the one below it, or not shorter than the snapshot interval, is dropped.
 */
export function litestreamTimers(
    timing: PresetTiming,
    preset: ReplicationPreset = DEFAULT_PRESET,
): LitestreamTimers {
    const sync = seconds(timing.syncInterval);
    const snapshot = seconds(timing.snapshotInterval);
    const monitor = monitorIntervalSeconds(sync);
    const [first, ...rest] = PRESET_LEVELS_SECONDS[preset];
    const levels = [Math.min(Math.max(first, monitor), snapshot)];
    for (const interval of rest) {
        if (interval > levels[levels.length - 1] && interval < snapshot) levels.push(interval);
    }
    return {
        monitorInterval: shortGoDuration(monitor),
        // Litestream checkpoints at the first tick more than `checkpoint-interval` after the
        // last one (db.go `checkpointIfNeeded`), and each checkpoint adds one L0 file. Its
        // default of 1 min would checkpoint at every tick once ticks are a minute or longer,
        // doubling the uploads; at least a sync interval keeps it to one in several syncs (the
        // 1,000-page rule still bounds the WAL). Half a tick more puts the check between two
        // ticks, so that it fires on a known tick.
        checkpointInterval: shortGoDuration(Math.max(60, sync) + monitor / 2),
        levels: levels.map(shortGoDuration),
        // L0 retention also runs after every L1 compaction (db.go `Compact`), which is all a
        // database being written needs; the timer (default 15 s, two listings each run, 170,000
        // a month) only cleans up after writes stop, so it runs as rarely as snapshots, at
        // least hourly.
        l0RetentionCheckInterval: shortGoDuration(Math.max(3600, snapshot)),
    };
}

/**
 * The preset's timing with each explicitly given interval in its place, and Litestream's
 * timers set for it unless `litestreamDefaults` asks for Litestream's own.
 */
export function resolveTiming(replication: ReplicationArgs | undefined): Timing {
    const presetName = replication?.preset ?? DEFAULT_PRESET;
    const preset = PRESETS[presetName];
    const timing: PresetTiming = {
        syncInterval: replication?.syncInterval ?? preset.syncInterval,
        snapshotInterval: replication?.snapshotInterval ?? preset.snapshotInterval,
        retention: replication?.retention ?? preset.retention,
    };
    if (replication?.litestreamDefaults === true) return timing;
    return { ...timing, timers: litestreamTimers(timing, presetName) };
}
