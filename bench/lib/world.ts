/**
 * A benchmark world: an S3 server (versitygw, the test library's), a bucket, a data folder and
 * the component rendered under mocks against them, with the sidecar's config mapped onto this
 * host. Like test/support/scenario.ts `createWorld`, but for any preset: the benchmarks run the
 * component's own Litestream config, never a hand-written one.
 */
import { DeleteObjectsCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { existsSync, readdirSync, rmSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { ReplicationArgs, ReplicationPreset } from "../../components";
import {
    CostModelInput,
    durationSeconds,
    LITESTREAM_DEFAULT_TIMERS,
    LitestreamTimerSeconds,
    WritePattern,
} from "../../components/litestream/cost";
import { Litestream } from "../../test/support/litestream";
import { renderWithComponent, Rendered, s3CompatibleArgs } from "../../test/support/program";
import { sleep, tempDir } from "../../test/support/procs";
import { S3Server, startS3Server } from "../../test/support/s3-server";
import { HostDeployment, sidecarSpec } from "../../test/support/scenario";

/** The replication settings the rendered config holds, in seconds. */
export interface RenderedTiming {
    syncIntervalSeconds: number;
    snapshotIntervalSeconds: number;
    retentionSeconds: number;
    retentionEnabled: boolean;
    /** Litestream's timers: the config's, or Litestream's defaults where it sets none. */
    timers: LitestreamTimerSeconds;
}

export interface BenchWorld {
    name: string;
    s3: S3Server;
    bucket: string;
    dataDir: string;
    scratch: string;
    rendered: Rendered;
    host: HostDeployment;
    /** Host path of the one database. */
    db: string;
    dbName: string;
    /** Key prefix of its replica. */
    prefix: string;
    timing: RenderedTiming;
}

/** The cost model's input for a world's rendered timing, written as `writes`. */
export function modelInput(
    timing: RenderedTiming,
    writes: WritePattern,
    extra: Partial<CostModelInput> = {},
): CostModelInput {
    return {
        syncIntervalSeconds: timing.syncIntervalSeconds,
        snapshotIntervalSeconds: timing.snapshotIntervalSeconds,
        retentionSeconds: timing.retentionSeconds,
        retentionEnabled: timing.retentionEnabled,
        timers: timing.timers,
        writes,
        ...extra,
    };
}

/** Reads the timing back from the rendered YAML (what Litestream will actually use). */
export function renderedTiming(config: string): RenderedTiming {
    const parsed = parse(config) as {
        snapshot: { interval: string; retention: string };
        retention?: { enabled?: boolean };
        levels?: { interval: string }[];
        "l0-retention"?: string;
        "l0-retention-check-interval"?: string;
        dbs: {
            "monitor-interval"?: string;
            "checkpoint-interval"?: string;
            "min-checkpoint-page-count"?: number;
            replica: { "sync-interval": string };
        }[];
    };
    const d = LITESTREAM_DEFAULT_TIMERS;
    const db = parsed.dbs[0];
    const seconds = (value: string | undefined, fallback: number) =>
        value === undefined ? fallback : durationSeconds(value);
    return {
        syncIntervalSeconds: durationSeconds(db.replica["sync-interval"]),
        snapshotIntervalSeconds: durationSeconds(parsed.snapshot.interval),
        retentionSeconds: durationSeconds(parsed.snapshot.retention),
        retentionEnabled: parsed.retention?.enabled ?? true,
        timers: {
            monitorIntervalSeconds: seconds(db["monitor-interval"], d.monitorIntervalSeconds),
            checkpointIntervalSeconds: seconds(
                db["checkpoint-interval"],
                d.checkpointIntervalSeconds,
            ),
            minCheckpointPageN: db["min-checkpoint-page-count"] ?? d.minCheckpointPageN,
            compactionIntervalsSeconds:
                parsed.levels?.map((l) => durationSeconds(l.interval)) ??
                d.compactionIntervalsSeconds,
            l0RetentionSeconds: seconds(parsed["l0-retention"], d.l0RetentionSeconds),
            l0RetentionCheckIntervalSeconds: seconds(
                parsed["l0-retention-check-interval"],
                d.l0RetentionCheckIntervalSeconds,
            ),
        },
    };
}

/**
 * Checks that a running Litestream took the timers it logs at start from the config: one
 * compaction monitor a level at the config's intervals, the snapshot monitor, and the L0
 * retention monitor (`store.go` logs them; the monitor and checkpoint intervals are not
 * logged, and show in the request counts instead). A key Litestream did not read would run
 * its default here.
 */
export async function checkTimersTaken(
    litestream: Litestream,
    timing: RenderedTiming,
): Promise<void> {
    const want = [
        ...timing.timers.compactionIntervalsSeconds.map((s, i) => [i + 1, s] as const),
        [9, timing.snapshotIntervalSeconds] as const,
    ];
    // The monitors start on goroutines of their own and log in any order.
    const deadline = Date.now() + 30_000;
    while (
        (litestream.events("starting compaction monitor").length < want.length ||
            litestream.events("starting L0 retention monitor").length === 0) &&
        Date.now() < deadline
    ) {
        await sleep(50);
    }
    const monitors = litestream
        .events("starting compaction monitor")
        .map((r) => [Number(r.fields.level), durationSeconds(r.fields.interval)] as const)
        .sort((a, b) => a[0] - b[0]);
    const retention = litestream.events("starting L0 retention monitor")[0];
    const took =
        retention !== undefined &&
        JSON.stringify(monitors) === JSON.stringify(want) &&
        durationSeconds(retention.fields.interval) ===
            timing.timers.l0RetentionCheckIntervalSeconds &&
        durationSeconds(retention.fields.retention) === timing.timers.l0RetentionSeconds;
    if (!took) {
        throw new Error(
            `Litestream runs other timers than the config sets: compaction monitors ${JSON.stringify(monitors)} (want ${JSON.stringify(want)}), L0 retention ${retention?.line.text ?? "not started"}`,
        );
    }
}

/**
 * Renders the component (`s3-compatible` storage on a local versitygw) with `replication`,
 * for one database `dbName`. Renders run one at a time (the mocks are per process).
 */
export async function createBenchWorld(
    name: string,
    options: { replication: ReplicationArgs; dbName?: string; s3?: S3Server },
): Promise<BenchWorld> {
    const s3 = options.s3 ?? (await startS3Server());
    const bucket = `${name}-bench`;
    await s3.createBucket(bucket);
    const dataDir = tempDir(`${name}-data`);
    const dbName = options.dbName ?? `${name}.db`;
    const rendered = await renderWithComponent(name, {
        ...s3CompatibleArgs({
            endpoint: s3.endpoint,
            bucket,
            accessKeyId: s3.root.accessKeyId,
            secretAccessKey: s3.root.secretAccessKey,
            dataDir,
            databases: [dbName],
        }),
        replication: options.replication,
    });
    const command = sidecarSpec(rendered).command;
    const i = command.indexOf("-config");
    const containerConfig = i >= 0 ? command[i + 1] : "/etc/litestream.yml";
    const host = new HostDeployment(rendered, containerConfig, tempDir(`${name}-etc`));
    const replica = (parse(rendered.config) as { dbs: { replica: { path: string } }[] }).dbs[0]
        .replica.path;
    return {
        name,
        s3,
        bucket,
        dataDir,
        scratch: tempDir(`${name}-scratch`),
        rendered,
        host,
        db: path.join(dataDir, dbName),
        dbName,
        prefix: replica,
        timing: renderedTiming(rendered.config),
    };
}

/** The preset's replication args, as a user writes them. */
export function presetArgs(preset: ReplicationPreset): ReplicationArgs {
    return { preset };
}

/** Removes the database, its WAL files and Litestream's local state. */
export function removeDatabase(db: string): void {
    for (const suffix of ["", "-wal", "-shm"]) rmSync(db + suffix, { force: true });
    const meta = path.join(path.dirname(db), `.${path.basename(db)}-litestream`);
    rmSync(meta, { recursive: true, force: true });
}

/** Deletes every object of the replica, so that the next run starts from nothing. */
export async function clearReplica(world: BenchWorld): Promise<void> {
    const client = world.s3.client();
    for (;;) {
        const page = await client.send(
            new ListObjectsV2Command({ Bucket: world.bucket, Prefix: `${world.prefix}/` }),
        );
        const keys = (page.Contents ?? []).map((o) => ({ Key: o.Key ?? "" }));
        if (keys.length === 0) return;
        await client.send(
            new DeleteObjectsCommand({ Bucket: world.bucket, Delete: { Objects: keys } }),
        );
    }
}

/** Fresh database and replica. */
export async function resetWorld(world: BenchWorld): Promise<void> {
    removeDatabase(world.db);
    await clearReplica(world);
}

/** Highest TXID of the local L0 files Litestream cut (each L0 file is one TXID). */
export function localL0MaxTxid(db: string): number {
    const dir = path.join(path.dirname(db), `.${path.basename(db)}-litestream`, "ltx", "0");
    if (!existsSync(dir)) return 0;
    let max = 0;
    for (const name of readdirSync(dir)) {
        const m = /^([0-9a-f]{16})-([0-9a-f]{16})\.ltx$/.exec(name);
        if (m) max = Math.max(max, parseInt(m[2], 16));
    }
    return max;
}
