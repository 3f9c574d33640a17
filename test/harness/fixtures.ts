/**
 * What the docker scenarios share besides the harness: the component's args for the local
 * test images, reading the app's rows off a volume, listing the bucket through the S3 API,
 * `docker inspect`, and an S3 server the test runs itself (for `s3-compatible`).
 *
 * Test-side actions go through the `docker` CLI with a minimal environment; every container a
 * test starts carries the run's label, so the harness's cleanup removes it too.
 */
import { ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { randomBytes } from "node:crypto";
import type { LitestreamBackupArgs } from "../../components";
import { afterAll } from "vitest";
import { ContainerInfo, docker, DockerHarness, dockerRaw } from "./harness";
import { TEST_LABEL } from "./mapping";
import { untar } from "./tar";

export const LITESTREAM_IMAGE = "litestream-backup-test/litestream:0.5.16";
export const VERSITYGW_IMAGE = "litestream-backup-test/versitygw:v1.8.0";
export const APP_IMAGE = "litestream-backup-test/app:1";
export const DATA_DIR = "/app/data";
export const DB_FILE = "app.db";
export const DB_PATH = `${DATA_DIR}/${DB_FILE}`;
/** Seconds between the app's rows. */
export const WRITE_INTERVAL_S = 0.2;
export const SYNC_INTERVAL = "1s";
export const SYNC_INTERVAL_S = 1;

/** A component name unique to this run: `<prefix>-<6 hex>` (all Docker names derive from it). */
/**
 * The harness of one test file: made when the file loads, and after its tests it removes
 * everything it created on the engine (also done on exit and on SIGINT/SIGTERM).
 */
export function useDockerHarness(): DockerHarness {
    const harness = new DockerHarness();
    afterAll(async () => {
        await harness.cleanup();
        harness.dispose();
    });
    return harness;
}

export function uniqueName(prefix: string): string {
    return `${prefix}-${randomBytes(3).toString("hex")}`;
}

/** The app part of the args: the test writer with a fast write interval. */
function appArgs(): LitestreamBackupArgs["app"] {
    return {
        image: APP_IMAGE,
        dataDir: DATA_DIR,
        databases: [DB_FILE],
        envs: { DB_PATH, WRITE_INTERVAL: String(WRITE_INTERVAL_S), LOG_EVERY: "50" },
    };
}

/** Args with the `local` storage provider, on the test images. */
export function localArgs(): LitestreamBackupArgs {
    return {
        storage: {
            provider: "local" as LitestreamBackupArgs["storage"]["provider"],
            localImage: VERSITYGW_IMAGE,
        },
        app: appArgs(),
        replication: { syncInterval: SYNC_INTERVAL },
        litestream: { image: LITESTREAM_IMAGE },
    };
}

/** Args with `s3-compatible` storage, an existing bucket on a server the test runs. */
export function s3CompatibleArgs(
    server: TestS3Server,
    secretAccessKey?: string,
): LitestreamBackupArgs {
    return {
        storage: {
            provider: "s3-compatible" as LitestreamBackupArgs["storage"]["provider"],
            endpoint: server.endpoint,
            bucketName: server.bucket,
            accessKeyId: server.accessKeyId,
            secretAccessKey: secretAccessKey ?? server.secretAccessKey,
        },
        app: appArgs(),
        replication: { syncInterval: SYNC_INTERVAL },
        litestream: { image: LITESTREAM_IMAGE },
    };
}

export function sleep(ms: number): Promise<void> {
    return new Promise((r) => setTimeout(r, ms));
}

/** Polls `probe` until it returns a value (not undefined), or throws after `timeoutMs`. */
export async function waitFor<T>(
    what: string,
    probe: () => Promise<T | undefined> | T | undefined,
    timeoutMs: number,
    everyMs = 500,
): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    for (;;) {
        try {
            const value = await probe();
            if (value !== undefined) return value;
        } catch (err) {
            last = err;
        }
        if (Date.now() > deadline) {
            throw new Error(
                `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ""}`,
            );
        }
        await sleep(everyMs);
    }
}

/** `docker inspect` of a container; undefined when it does not exist. */
export function inspectContainer(name: string): ContainerInfo & {
    NetworkSettings: { Networks: Record<string, { IPAddress: string }> };
} {
    return JSON.parse(docker(["inspect", "--type", "container", name]))[0];
}

export function containerExists(name: string): boolean {
    try {
        docker(["inspect", "--type", "container", name]);
        return true;
    } catch {
        return false;
    }
}

/** A docker timestamp (RFC 3339, nanoseconds) as nanoseconds since the epoch. */
export function timestampNs(ts: string): bigint {
    const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(ts);
    if (!m) throw new Error(`not a docker timestamp: ${ts}`);
    const seconds = BigInt(Date.parse(`${m[1]}${m[3]}`)) / 1000n;
    const fraction = BigInt((m[2] ?? "").padEnd(9, "0").slice(0, 9) || "0");
    return seconds * 1_000_000_000n + fraction;
}

/** One row of the app's table. */
export interface Row {
    seq: number;
    written_at: number;
}

/** What a database holds. */
export interface Rows {
    rows: Row[];
    count: number;
    maxSeq: number;
    /** Every seq from 1 to maxSeq is there exactly once. */
    contiguous: boolean;
}

function summarize(rows: Row[]): Rows {
    const maxSeq = rows.length ? rows[rows.length - 1].seq : 0;
    const contiguous = rows.every((r, i) => r.seq === i + 1);
    return { rows, count: rows.length, maxSeq, contiguous };
}

/**
 * The app's rows, read with the sqlite3 CLI of the Litestream image in a throw-away container
 * that mounts the volume (no network). `immutable` reads the file alone, without creating
 * `-wal`/`-shm` files: for a just-restored database nothing else has opened yet.
 */
export function readRows(
    harness: DockerHarness,
    volume: string,
    options: { immutable?: boolean } = {},
): Rows {
    const target = options.immutable ? `file:${DB_PATH}?immutable=1` : DB_PATH;
    const out = docker([
        "run",
        "--rm",
        "--network",
        "none",
        "--label",
        harness.labelFilter,
        "-v",
        `${volume}:${DATA_DIR}`,
        "--entrypoint",
        "sqlite3",
        LITESTREAM_IMAGE,
        "-cmd",
        ".timeout 5000",
        "-json",
        target,
        "SELECT seq, written_at FROM rows ORDER BY seq",
    ]).trim();
    return summarize(out === "" ? [] : (JSON.parse(out) as Row[]));
}

/** The app's rows read live, through the sidecar's sqlite3 (the app keeps writing). */
export function readRowsLive(sidecar: string): Rows {
    const out = docker([
        "exec",
        sidecar,
        "sqlite3",
        "-cmd",
        ".timeout 5000",
        "-json",
        DB_PATH,
        "SELECT seq, written_at FROM rows ORDER BY seq",
    ]).trim();
    return summarize(out === "" ? [] : (JSON.parse(out) as Row[]));
}

/** The IP address of a container on a network (the host reaches bridge networks). */
export function containerIp(container: string, network: string): string {
    const ip = inspectContainer(container).NetworkSettings.Networks[network]?.IPAddress;
    if (!ip) throw new Error(`${container} has no address on ${network}`);
    return ip;
}

/** Keys of the objects under `prefix`, listed through the S3 API (ListObjectsV2). */
export async function listObjects(options: {
    endpoint: string;
    accessKeyId: string;
    secretAccessKey: string;
    bucket: string;
    prefix: string;
}): Promise<string[]> {
    const client = new S3Client({
        endpoint: options.endpoint,
        region: "us-east-1",
        forcePathStyle: true,
        credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey },
        maxAttempts: 1,
    });
    try {
        const keys: string[] = [];
        let token: string | undefined;
        do {
            const page = await client.send(
                new ListObjectsV2Command({
                    Bucket: options.bucket,
                    Prefix: options.prefix,
                    ContinuationToken: token,
                }),
            );
            for (const o of page.Contents ?? []) keys.push(o.Key ?? "");
            token = page.IsTruncated ? page.NextContinuationToken : undefined;
        } while (token);
        return keys;
    } finally {
        client.destroy();
    }
}

/** A file inside a container, read back with `docker cp <container>:<path> -` (a tar). */
export function readFileFromContainer(container: string, path: string): string {
    const archive = dockerRaw(["cp", `${container}:${path}`, "-"]);
    const files = untar(archive);
    const base = path.slice(path.lastIndexOf("/") + 1);
    const content = files.get(base);
    if (content === undefined) {
        throw new Error(`docker cp of ${container}:${path} held ${[...files.keys()].join(", ")}`);
    }
    return content.toString("utf8");
}

/**
 * An S3 server (the versitygw test image) that the test runs itself, for `s3-compatible`
 * storage: an existing bucket with its own root keys, on the default bridge. `attachTo`
 * connects it to the component's network, where the component's containers reach it by its
 * container name (`endpoint`).
 */
export class TestS3Server {
    readonly bucket = "existing-bucket";
    readonly accessKeyId = `TEST${randomBytes(8).toString("hex").toUpperCase()}`;
    readonly secretAccessKey = randomBytes(20).toString("hex");
    readonly endpoint: string;

    constructor(
        private readonly harness: DockerHarness,
        readonly containerName: string,
    ) {
        this.endpoint = `http://${containerName}:7070`;
    }

    /** Starts the server with an empty bucket and waits until it answers. */
    async start(): Promise<void> {
        docker([
            "run",
            "-d",
            "--name",
            this.containerName,
            "--label",
            this.harness.labelFilter,
            "-e",
            `ROOT_ACCESS_KEY_ID=${this.accessKeyId}`,
            "-e",
            `ROOT_SECRET_ACCESS_KEY=${this.secretAccessKey}`,
            "-e",
            `BUCKET=${this.bucket}`,
            "--entrypoint",
            "/bin/sh",
            VERSITYGW_IMAGE,
            "-c",
            'mkdir -p "/data/$BUCKET" && exec versitygw --port :7070 --health /health --quiet posix /data',
        ]);
        await waitFor(
            `${this.containerName} to answer /health`,
            () => {
                try {
                    docker([
                        "exec",
                        this.containerName,
                        "busybox",
                        "wget",
                        "-q",
                        "-O",
                        "/dev/null",
                        "http://127.0.0.1:7070/health",
                    ]);
                    return true;
                } catch {
                    return undefined;
                }
            },
            30_000,
            250,
        );
    }

    /** Connects the server to a network (the component's). */
    attachTo(network: string): void {
        docker(["network", "connect", network, this.containerName]);
    }

    /** Objects under `prefix`, listed through its S3 API from the host. */
    async list(prefix: string, network = "bridge"): Promise<string[]> {
        return listObjects({
            endpoint: `http://${containerIp(this.containerName, network)}:7070`,
            accessKeyId: this.accessKeyId,
            secretAccessKey: this.secretAccessKey,
            bucket: this.bucket,
            prefix,
        });
    }
}

/** Everything of this run on the engine, one line each (for failure messages). */
export function describeRun(harness: DockerHarness): string {
    return docker([
        "ps",
        "-a",
        "--filter",
        `label=${TEST_LABEL}=${harness.runId}`,
        "--format",
        "{{.Names}}\t{{.Status}}",
    ]);
}

/** A line for the report: a scenario's duration and counts. */
export function report(scenario: string, startedAt: number, facts: Record<string, unknown>): void {
    const parts = Object.entries(facts).map(
        ([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`,
    );
    console.log(
        `[docker scenario] ${scenario}: ${((Date.now() - startedAt) / 1000).toFixed(1)}s ${parts.join(" ")}`,
    );
}
