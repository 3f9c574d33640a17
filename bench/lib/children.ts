/** Node children of the benchmark (TypeScript through tsx), registered with the test library. */
import * as path from "node:path";
import { minimalEnv, Proc, ROOT, startProc } from "../../test/support/procs";

/** Starts `node --import tsx bench/lib/<script> ...args` with the minimal environment. */
export function startTsChild(label: string, script: string, args: string[]): Proc {
    return startProc(
        label,
        process.execPath,
        ["--import", "tsx", path.join(ROOT, "bench", "lib", script), ...args],
        { env: minimalEnv(), cwd: ROOT },
    );
}

/** The test writer in its own process (`writer-process.ts`): 50 rows/s by default. */
export function startWriterProcess(db: string, intervalMs = 20, payloadBytes = 200): Proc {
    return startTsChild("writer", "writer-process.ts", [
        db,
        String(intervalMs),
        String(payloadBytes),
    ]);
}

/** Commit times relayed by a writer process, by sequence number. */
export function relayedCommits(proc: Proc): Map<number, number> {
    const commits = new Map<number, number>();
    for (const line of proc.lines) {
        const m = /^c (\d+) (\d+)$/.exec(line.text);
        if (m) commits.set(Number(m[1]), Number(m[2]));
    }
    return commits;
}
