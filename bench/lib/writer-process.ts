/**
 * The test library's SQLite writer (test/support/sqlite-writer.ts `startWriter`) in a process
 * of its own, so that the benchmark can `kill -9` it together with Litestream. It relays each
 * commit (`c <seq> <commit time ms>`) on stdout as the writer records it.
 *
 * Usage: node --import tsx bench/lib/writer-process.ts <db> <intervalMs> <payloadBytes>
 */
import { startWriter } from "../../test/support/sqlite-writer";

async function main(): Promise<void> {
    const [db, intervalMs, payloadBytes] = process.argv.slice(2);
    const writer = await startWriter(db, {
        intervalMs: Number(intervalMs),
        payloadBytes: Number(payloadBytes),
    });
    process.stdout.write(`ready ${writer.journalMode} ${writer.firstSeq}\n`);
    let relayed = 0;
    let errors = 0;
    setInterval(() => {
        let out = "";
        for (; relayed < writer.commits.length; relayed++) {
            const c = writer.commits[relayed];
            out += `c ${c.seq} ${c.at}\n`;
        }
        for (; errors < writer.errors.length; errors++)
            out += `e ${JSON.stringify(writer.errors[errors])}\n`;
        if (out) process.stdout.write(out);
    }, 5);
}

main().catch((err) => {
    process.stderr.write(`${String(err)}\n`);
    process.exit(1);
});
