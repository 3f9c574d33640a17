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
import { durationSeconds } from "../../components/litestream/cost";
import { renderWithComponent, Rendered, s3CompatibleArgs } from "../../test/support/program";
import { tempDir } from "../../test/support/procs";
import { S3Server, startS3Server } from "../../test/support/s3-server";
import { HostDeployment, sidecarSpec } from "../../test/support/scenario";

/** The replication settings the rendered config holds, in seconds. */
export interface RenderedTiming {
    syncIntervalSeconds: number;
    snapshotIntervalSeconds: number;
    retentionSeconds: number;
    retentionEnabled: boolean;
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

/** Reads the timing back from the rendered YAML (what Litestream will actually use). */
export function renderedTiming(config: string): RenderedTiming {
    const parsed = parse(config) as {
        snapshot: { interval: string; retention: string };
        retention?: { enabled?: boolean };
        dbs: { replica: { "sync-interval": string } }[];
    };
    return {
        syncIntervalSeconds: durationSeconds(parsed.dbs[0].replica["sync-interval"]),
        snapshotIntervalSeconds: durationSeconds(parsed.snapshot.interval),
        retentionSeconds: durationSeconds(parsed.snapshot.retention),
        retentionEnabled: parsed.retention?.enabled ?? true,
    };
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
