/**
 * Restore drills: the verifier's own script, as the component renders it (paths mapped onto
 * this host), drills a database of a given size that the component's config replicates, with
 * the real Litestream and versitygw. Timed, and its requests counted on the server's access
 * log against the cost model's `drillRequests` for the same moment. The drill uses a credential
 * of its own (read and write, no delete), so that its requests are told apart from the
 * sidecar's, which keeps replicating meanwhile (the drill asks it for its position).
 *
 * Two cases: the database idle since its snapshot (the plan is the snapshot alone), and the
 * same database written by the test writer for a while (the snapshot, then the compacted and L0
 * files after it).
 */
import { chmodSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import {
    drillRequests,
    RequestCounts,
    S3_OPERATIONS,
    zeroCounts,
} from "../components/litestream/cost";
import { VERIFY_HELPER_PATH, VERIFY_SCRIPT_PATH, VERIFY_STATE_DIR } from "../components/plan/paths";
import { litestreamEnv } from "../test/support/litestream";
import { depsBinary, runProc, sleep, tempDir } from "../test/support/procs";
import { startWriter } from "../test/support/sqlite-writer";
import { logOffset, requestsBetween } from "./lib/access-log";
import { BenchWorld, modelInput } from "./lib/world";
import { writerPattern } from "./requests";
import { generateDatabase } from "./rto";

/** One drill: how long it took, what it read, and its requests beside the model's. */
export interface DrillRun {
    label: string;
    /** Wall time of `sh <script> once`, ms. */
    ms: number;
    /** The drill's own time, as it reports it, ms. */
    reportedMs: number;
    bytesRead: number;
    measured: RequestCounts;
    model: RequestCounts;
    secondsSinceSnapshot: number;
}

export interface DrillResult {
    sizeMiB: number;
    dbBytes: number;
    runs: DrillRun[];
}

/** The verifier's script and helper from the rendered component, mapped onto this host. */
function hostScript(world: BenchWorld): { script: string; env: Record<string, string> } {
    const verifier = world.rendered.resources.find(
        (r) =>
            r.type === "docker:index/container:Container" &&
            (r.inputs.command as string[] | undefined)?.[0] === VERIFY_SCRIPT_PATH,
    );
    if (!verifier) throw new Error("the rendered component has no verifier");
    const uploads = verifier.inputs.uploads as { file: string; content: string }[];
    const content = (file: string) => uploads.find((u) => u.file === file)?.content ?? "";
    const dir = tempDir(`${world.name}-verify`);
    const helper = path.join(dir, "litestream-verify.pl");
    writeFileSync(helper, content(VERIFY_HELPER_PATH));
    const script = path.join(dir, "litestream-verify.sh");
    writeFileSync(
        script,
        world.host
            .mapPaths(content(VERIFY_SCRIPT_PATH))
            .split(VERIFY_HELPER_PATH)
            .join(helper)
            .split(VERIFY_STATE_DIR)
            .join(path.join(dir, "state")),
    );
    chmodSync(script, 0o755);
    const bin = path.dirname(depsBinary("litestream"));
    return { script, env: { PATH: `${bin}:${process.env.PATH ?? ""}` } };
}

/** Counts only the requests signed with `accessKeyId`: the drill's, not the sidecar's. */
function requestsOf(world: BenchWorld, from: number, to: number, accessKeyId: string) {
    const counts = zeroCounts();
    for (const r of requestsBetween(world.s3.accessLog, from, to, world.bucket)) {
        if (r.requester !== accessKeyId) continue;
        if ((S3_OPERATIONS as readonly string[]).includes(r.operation)) {
            counts[r.operation as keyof RequestCounts]++;
        }
    }
    return counts;
}

/**
 * Replicates a `sizeMiB` database with the world's config and drills it `runs` times idle,
 * then `runs` times after writing for `writeSeconds`.
 */
export async function drillBench(
    world: BenchWorld,
    sizeMiB: number,
    runs: number,
    writeSeconds: number,
    log: (message: string) => void,
): Promise<DrillResult> {
    const generated = generateDatabase(world.db, sizeMiB * 1024 * 1024);
    const keys = await world.s3.createAppendOnlyUser(world.bucket);
    const { script, env } = hostScript(world);
    const litestream = world.host.startReplicate();
    const result: DrillResult = { sizeMiB, dbBytes: generated.bytes, runs: [] };
    try {
        await litestream.waitForLine(/msg="snapshot complete"/, 600_000);
        await litestream.waitForLine(/msg="ltx file uploaded".* level=0 /, 600_000);
        const startedAt = litestream.events("initialized db")[0].time / 1000;
        const snapshotAt = litestream.events("snapshot complete")[0].time / 1000;
        const drill = async (label: string, written: boolean) => {
            const from = logOffset(world.s3.accessLog);
            const at = Date.now() / 1000;
            const started = performance.now();
            const r = await runProc("verify", "/bin/sh", [script, "once"], {
                env: { ...env, ...litestreamEnv(keys) },
                timeoutMs: 600_000,
            });
            const ms = performance.now() - started;
            if (r.code !== 0) throw new Error(`drill failed:\n${r.output}`);
            await sleep(500); // the access log is written after the answer
            const measured = requestsOf(
                world,
                from,
                logOffset(world.s3.accessLog),
                keys.accessKeyId,
            );
            const reported = /in ([0-9.]+) s/.exec(r.output);
            const bytes = /\(([0-9]+) bytes read\)/.exec(r.output);
            const input = modelInput(
                world.timing,
                written ? writerPattern() : { commitsPerSecond: 0, walFramesPerCommit: 1 },
                { replicaAgeSeconds: at - startedAt },
            );
            const run: DrillRun = {
                label,
                ms,
                reportedMs: reported ? Number(reported[1]) * 1000 : ms,
                bytesRead: bytes ? Number(bytes[1]) : 0,
                measured,
                model: drillRequests(input, { snapshotAtSeconds: snapshotAt, atSeconds: at }),
                secondsSinceSnapshot: at - snapshotAt,
            };
            log(
                `  ${label}: ${Math.round(ms)} ms, ${run.bytesRead} bytes read, measured ${JSON.stringify(
                    { List: measured.ListObjectsV2, Get: measured.GetObject },
                )}, model ${JSON.stringify({
                    List: +run.model.ListObjectsV2.toFixed(1),
                    Get: +run.model.GetObject.toFixed(1),
                })}`,
            );
            result.runs.push(run);
        };
        for (let i = 0; i < runs; i++) await drill(`idle ${i + 1}`, false);
        const writer = await startWriter(world.db, { intervalMs: 20, payloadBytes: 200 });
        await sleep(writeSeconds * 1000);
        for (let i = 0; i < runs; i++) await drill(`written ${i + 1}`, true);
        await writer.stop();
    } finally {
        await litestream.stop();
    }
    return result;
}
