/**
 * Restore time (RTO): a database of a given size is generated, replicated with the component's
 * config until Litestream has uploaded it, and then, alternately, restored with
 * `litestream restore` and downloaded object by object with @aws-sdk/client-s3 from the same
 * server: the objects the restore read, found in the server's access log.
 */
import { GetObjectCommand } from "@aws-sdk/client-s3";
import Database from "better-sqlite3";
import { randomBytes } from "node:crypto";
import {
    createWriteStream,
    existsSync,
    openSync,
    fsyncSync,
    closeSync,
    rmSync,
    statSync,
} from "node:fs";
import * as path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { restoreTo, runLitestream } from "../test/support/litestream";
import { readDatabase } from "../test/support/sqlite-writer";
import { logOffset, requestsBetween } from "./lib/access-log";
import { BenchWorld, removeDatabase } from "./lib/world";

/** Rows of the generated database: the test writer's table, with a random (incompressible) filler. */
export function generateDatabase(
    file: string,
    targetBytes: number,
): { rows: number; bytes: number } {
    removeDatabase(file);
    const db = new Database(file);
    db.pragma("journal_mode = OFF");
    db.pragma("synchronous = OFF");
    db.exec(
        "CREATE TABLE rows (seq INTEGER PRIMARY KEY, written_at INTEGER NOT NULL, payload TEXT NOT NULL)",
    );
    const insert = db.prepare("INSERT INTO rows (seq, written_at, payload) VALUES (?, ?, ?)");
    const batch = db.transaction((from: number, n: number) => {
        const now = Date.now();
        for (let i = 0; i < n; i++) {
            insert.run(from + i, now, randomBytes(150).toString("base64"));
        }
    });
    let rows = 0;
    // About 235 bytes a row on disk; check the file as it grows.
    while (statSync(file).size < targetBytes) {
        const n = Math.max(
            1000,
            Math.min(50_000, Math.ceil((targetBytes - statSync(file).size) / 235)),
        );
        batch(rows + 1, n);
        rows += n;
    }
    db.pragma("journal_mode = WAL");
    db.close();
    return { rows, bytes: statSync(file).size };
}

/** What the replica holds once uploaded. */
export interface ReplicaState {
    objects: number;
    bytes: number;
    replicateMs: number;
}

/** Runs Litestream until the database's snapshot and its first L0 file are both uploaded. */
export async function replicateFully(world: BenchWorld): Promise<ReplicaState> {
    const started = Date.now();
    const litestream = world.host.startReplicate();
    await litestream.waitForLine(/msg="snapshot complete"/, 600_000);
    await litestream.waitForLine(/msg="ltx file uploaded".* level=0 /, 600_000);
    const replicateMs = Date.now() - started;
    await litestream.stop();
    const objects = await world.s3.listObjects(world.bucket, `${world.prefix}/`);
    return {
        objects: objects.length,
        bytes: objects.reduce((sum, o) => sum + o.size, 0),
        replicateMs,
    };
}

/** One timed restore and the objects it read. */
export interface RestoreRun {
    ms: number;
    keys: string[];
    gets: number;
}

let n = 0;

/** `litestream restore -config <config> -o <file> <db>`, timed; the restored file is checked once. */
export async function timedRestore(world: BenchWorld, check: boolean): Promise<RestoreRun> {
    const file = path.join(world.scratch, `rto-${++n}.db`);
    const from = logOffset(world.s3.accessLog);
    const started = performance.now();
    const r = await restoreTo(world.host.configPath, world.db, file, world.host.keys);
    const ms = performance.now() - started;
    if (r.code !== 0) throw new Error(`restore failed:\n${r.output}`);
    const gets = requestsBetween(
        world.s3.accessLog,
        from,
        logOffset(world.s3.accessLog),
        world.bucket,
    ).filter((q) => q.operation === "GetObject");
    if (check) {
        const content = readDatabase(file, 0);
        if (content.integrity !== "ok") throw new Error(`restored database: ${content.integrity}`);
    }
    for (const suffix of ["", "-wal", "-shm"]) rmSync(file + suffix, { force: true });
    return { ms, keys: [...new Set(gets.map((g) => g.key))], gets: gets.length };
}

/**
 * The restore gate's own command (components/docker/restore.ts: `-if-db-not-exists
 * -if-replica-exists -integrity-check full`), restoring to the database path, timed.
 */
export async function timedGate(world: BenchWorld): Promise<number> {
    removeDatabase(world.db);
    const args = world.host.restoreArgs(world.host.restores[0]);
    const started = performance.now();
    const r = await runLitestream(args, world.host.keys, 600_000);
    const ms = performance.now() - started;
    if (r.code !== 0 || !existsSync(world.db)) throw new Error(`restore gate failed:\n${r.output}`);
    removeDatabase(world.db);
    return ms;
}

/** Downloads `keys` in parallel to files (fsynced), as a plain S3 client would; timed. */
export async function timedDownload(world: BenchWorld, keys: string[]): Promise<number> {
    const client = world.s3.client();
    const files = keys.map((_, i) => path.join(world.scratch, `download-${++n}-${i}`));
    const started = performance.now();
    await Promise.all(
        keys.map(async (key, i) => {
            const out = await client.send(new GetObjectCommand({ Bucket: world.bucket, Key: key }));
            await pipeline(out.Body as Readable, createWriteStream(files[i]));
            const fd = openSync(files[i], "r+");
            fsyncSync(fd);
            closeSync(fd);
        }),
    );
    const ms = performance.now() - started;
    for (const f of files) rmSync(f, { force: true });
    return ms;
}
