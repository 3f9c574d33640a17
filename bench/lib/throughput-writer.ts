/**
 * The write-overhead writer: the test writer's table, row and connection settings (WAL,
 * `busy_timeout` 5000 ms, one autocommit INSERT a row with its sequence number, commit time and
 * a 200-byte filler), but back to back instead of at a set rate, for a fixed time. Prints one
 * JSON line with the count.
 *
 * Usage: node --import tsx bench/lib/throughput-writer.ts <db> <durationMs> <payloadBytes>
 */
import Database from "better-sqlite3";
import { existsSync, statSync } from "node:fs";

const [dbPath, durationMs, payloadBytes] = process.argv.slice(2);
const db = new Database(dbPath, { timeout: 5000 });
const journalMode = db.pragma("journal_mode = WAL", { simple: true });
db.pragma("busy_timeout = 5000");
db.exec(
    "CREATE TABLE IF NOT EXISTS rows (seq INTEGER PRIMARY KEY, written_at INTEGER NOT NULL, payload TEXT NOT NULL)",
);
const insert = db.prepare("INSERT INTO rows (seq, written_at, payload) VALUES (?, ?, ?)");
const filler = "x".repeat(Number(payloadBytes));
let seq = ((db.prepare("SELECT max(seq) AS m FROM rows").get() as { m: number | null }).m ?? 0) + 1;
let inserts = 0;
let errors = 0;
let slowest = 0;
const start = Date.now();
const end = start + Number(durationMs);
for (let now = start; now < end;) {
    try {
        insert.run(seq, now, `row-${seq}-${filler}`);
        seq++;
        inserts++;
    } catch {
        errors++;
    }
    const after = Date.now();
    slowest = Math.max(slowest, after - now);
    now = after;
}
const elapsedMs = Date.now() - start;
// Before closing: the last connection's close checkpoints and removes the WAL.
const wal = `${dbPath}-wal`;
const walBytes = existsSync(wal) ? statSync(wal).size : 0;
process.stdout.write(
    `${JSON.stringify({
        inserts,
        errors,
        elapsedMs,
        slowestCommitMs: slowest,
        walBytes,
        journalMode,
        synchronous: db.pragma("synchronous", { simple: true }),
    })}\n`,
);
db.close();
