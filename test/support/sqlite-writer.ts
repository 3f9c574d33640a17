/**
 * The app side of the real-data tests: writers that commit rows through a real SQLite driver
 * (better-sqlite3) in WAL mode with `busy_timeout`, one row a transaction at a steady rate,
 * each row carrying its sequence number and commit timestamp; and readers that check what a
 * restore brought back. A writer runs in a worker thread, so that a commit waiting on
 * Litestream's lock never stalls the test's own event loop, and records the time each
 * commit returned.
 */
import Database from "better-sqlite3";
import { createHash } from "node:crypto";
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import { ROOT } from "./procs";

/** One committed row: its sequence number and when the commit returned (ms epoch). */
export interface Commit {
    seq: number;
    at: number;
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.path, { timeout: workerData.busyTimeoutMs });
const mode = db.pragma("journal_mode = WAL", { simple: true });
db.pragma("busy_timeout = " + workerData.busyTimeoutMs);
db.exec("CREATE TABLE IF NOT EXISTS rows (seq INTEGER PRIMARY KEY, written_at INTEGER NOT NULL, payload TEXT NOT NULL)");
let seq = (db.prepare("SELECT max(seq) AS m FROM rows").get().m || 0) + 1;
const insert = db.prepare("INSERT INTO rows (seq, written_at, payload) VALUES (?, ?, ?)");
parentPort.postMessage({ type: "ready", mode, nextSeq: seq });
const start = Date.now();
let n = 0;
let timer;
let stopping = false;
function tick() {
    if (stopping) return;
    try {
        // Autocommit: each INSERT is its own transaction, durable in the WAL when run() returns.
        const writtenAt = Date.now();
        insert.run(seq, writtenAt, "row-" + seq + "-" + "x".repeat(workerData.payloadBytes));
        parentPort.postMessage({ type: "commit", seq, at: Date.now() });
        seq++;
    } catch (err) {
        parentPort.postMessage({ type: "error", message: String(err && err.message || err) });
    }
    n++;
    // Steady rate: schedule against the start time, so slow commits do not drift the rate.
    timer = setTimeout(tick, Math.max(0, start + n * workerData.intervalMs - Date.now()));
}
parentPort.on("message", (msg) => {
    if (msg === "stop") {
        stopping = true;
        clearTimeout(timer);
        db.close();
        parentPort.postMessage({ type: "stopped" });
    }
});
tick();
`;

export interface WriterOptions {
    /** Time between commits; default 20 ms (50 rows/s). */
    intervalMs?: number;
    /** `PRAGMA busy_timeout`; default 5000 ms. */
    busyTimeoutMs?: number;
    /** Filler per row, so that pages fill and checkpoints happen; default 200 bytes. */
    payloadBytes?: number;
}

/** A writer committing rows to one database until stopped. */
export class Writer {
    readonly commits: Commit[] = [];
    readonly errors: string[] = [];
    journalMode = "";
    firstSeq = 0;
    private stopped?: Promise<void>;

    constructor(
        readonly dbPath: string,
        private readonly worker: Worker,
    ) {}

    /** Sequence number of the last committed row (0 when none). */
    get lastSeq(): number {
        return this.commits.length ? this.commits[this.commits.length - 1].seq : this.firstSeq - 1;
    }

    /** Commits that returned at or before `time`. */
    committedBy(time: number): Commit[] {
        return this.commits.filter((c) => c.at <= time);
    }

    /** Waits until at least `count` rows were committed by this writer. */
    async waitForCommits(count: number, timeoutMs = 30_000): Promise<void> {
        const deadline = Date.now() + timeoutMs;
        while (this.commits.length < count) {
            if (Date.now() > deadline) {
                throw new Error(
                    `writer ${this.dbPath}: ${this.commits.length}/${count} commits after ${timeoutMs} ms`,
                );
            }
            await new Promise((r) => setTimeout(r, 20));
        }
    }

    /** Ends the writer at once, as a process that dies with its volume; no clean close. */
    async kill(): Promise<void> {
        live.delete(this);
        await this.worker.terminate();
    }

    /** Stops after the current commit and closes the database. */
    stop(): Promise<void> {
        if (!this.stopped) {
            this.stopped = new Promise<void>((resolve) => {
                // A worker that died or hangs is ended anyway.
                const timer = setTimeout(resolve, 10_000);
                this.worker.on("message", (msg: { type: string }) => {
                    if (msg.type === "stopped") {
                        clearTimeout(timer);
                        resolve();
                    }
                });
                this.worker.once("exit", () => {
                    clearTimeout(timer);
                    resolve();
                });
                this.worker.postMessage("stop");
            }).then(() => this.worker.terminate().then(() => undefined));
            live.delete(this);
        }
        return this.stopped;
    }
}

const live = new Set<Writer>();

/**
 * Opens (or creates) `dbPath` in WAL mode and commits a row every `intervalMs`, continuing
 * the sequence from the rows already there.
 */
export async function startWriter(dbPath: string, options: WriterOptions = {}): Promise<Writer> {
    const worker = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: {
            driver: path.join(ROOT, "node_modules", "better-sqlite3"),
            path: dbPath,
            intervalMs: options.intervalMs ?? 20,
            busyTimeoutMs: options.busyTimeoutMs ?? 5_000,
            payloadBytes: options.payloadBytes ?? 200,
        },
    });
    const writer = new Writer(dbPath, worker);
    live.add(writer);
    await new Promise<void>((resolve, reject) => {
        worker.once("error", reject);
        worker.on(
            "message",
            (msg: {
                type: string;
                seq: number;
                at: number;
                message: string;
                mode: string;
                nextSeq: number;
            }) => {
                if (msg.type === "ready") {
                    writer.journalMode = msg.mode;
                    writer.firstSeq = msg.nextSeq;
                    resolve();
                } else if (msg.type === "commit") {
                    writer.commits.push({ seq: msg.seq, at: msg.at });
                } else if (msg.type === "error") {
                    writer.errors.push(msg.message);
                }
            },
        );
    });
    return writer;
}

/** Stops every writer still running (for `afterEach`). */
export async function stopAllWriters(): Promise<void> {
    await Promise.all([...live].map((w) => w.stop()));
}

/**
 * Opens a second connection to `dbPath` and keeps it open until the returned function is
 * called, as an app with a connection pool does: the writer closing then leaves the `-wal`
 * and `-shm` files in place (SQLite removes them only when the last connection closes).
 */
export function holdOpen(dbPath: string): () => void {
    const db = new Database(dbPath, { readonly: true, fileMustExist: true });
    db.prepare("SELECT count(*) FROM rows").get();
    return () => db.close();
}

/** What a database file holds, read-only. */
export interface DatabaseContent {
    seqs: number[];
    /** SHA-256 over every row in `seq` order: equal content, equal checksum. */
    checksum: string;
    /** `PRAGMA integrity_check` result. */
    integrity: string;
    journalMode: string;
}

/** Reads every row of `dbPath` (up to row `upToSeq`, when given) and checks its integrity. */
export function readDatabase(dbPath: string, upToSeq = Number.MAX_SAFE_INTEGER): DatabaseContent {
    const db = new Database(dbPath, { readonly: true, fileMustExist: true });
    try {
        const rows = db
            .prepare("SELECT seq, written_at, payload FROM rows WHERE seq <= ? ORDER BY seq")
            .all(upToSeq) as { seq: number; written_at: number; payload: string }[];
        const hash = createHash("sha256");
        for (const r of rows) hash.update(`${r.seq}|${r.written_at}|${r.payload}\n`);
        const integrity = (db.pragma("integrity_check") as { integrity_check: string }[])
            .map((r) => r.integrity_check)
            .join("; ");
        return {
            seqs: rows.map((r) => r.seq),
            checksum: hash.digest("hex"),
            integrity,
            journalMode: db.pragma("journal_mode", { simple: true }) as string,
        };
    } finally {
        db.close();
    }
}

/** The first gap in a sorted sequence that should run 1..n, or undefined when contiguous. */
export function firstHole(seqs: number[]): number | undefined {
    for (let i = 0; i < seqs.length; i++) {
        if (seqs[i] !== i + 1) return i + 1;
    }
    return undefined;
}

/**
 * The data-loss window: how much commit time a restore lost, looking back from `until`.
 * 0 when every commit made by `until` is restored; otherwise the time between the last
 * commit made by `until` and the last restored commit (or the first commit, when nothing
 * at all came back).
 */
export function lossWindowMs(commits: Commit[], restoredMaxSeq: number, until = Infinity): number {
    const made = commits.filter((c) => c.at <= until);
    if (made.length === 0) return 0;
    const last = made[made.length - 1];
    if (last.seq <= restoredMaxSeq) return 0;
    const restored = made.filter((c) => c.seq <= restoredMaxSeq);
    const from = restored.length ? restored[restored.length - 1].at : made[0].at;
    return last.at - from;
}
