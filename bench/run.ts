/**
 * `npm run bench`: data-loss window, restore time, write overhead and request cost of the
 * component's Litestream config, on the real Litestream and versitygw built by `npm run deps`.
 * Prints the tables and writes BENCHMARKS.md (and .bench/results.json).
 *
 * BENCH_QUICK=1 runs a smaller plan (a few minutes) and writes .bench/BENCHMARKS.quick.md;
 * BENCH_OUT=<file> sets where the report goes. BENCH_ONLY=drill measures only the restore
 * drills (a few minutes), prints their section and writes .bench/drill.json, leaving the
 * report alone.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { ReplicationPreset } from "../components";
import { costInputFromTiming } from "../components/litestream/cost";
import { PRESETS } from "../components/litestream/timing";
import { cleanupAll, ROOT } from "../test/support/procs";
import { startS3Server } from "../test/support/s3-server";
import { machineInfo } from "./lib/machine";
import { uniform } from "./lib/stats";
import { clearReplica, createBenchWorld, removeDatabase } from "./lib/world";
import { overheadSeries } from "./overhead";
import {
    BenchResults,
    headlines,
    Plan,
    PriceFile,
    renderMarkdown,
    RpoResult,
    RtoResult,
} from "./report";
import { drillBench } from "./drill";
import { drillSection } from "./report";
import { requestWindow, writerPattern } from "./requests";
import { crashCycle, crashSeries } from "./rpo";
import { generateDatabase, replicateFully, timedDownload, timedGate, timedRestore } from "./rto";

const QUICK = process.env.BENCH_QUICK === "1";
const MIN = 60_000;

const PLAN: Plan = QUICK
    ? {
          quick: true,
          rpo: [
              { label: ReplicationPreset.Critical, crashes: 5, delayMs: [2000, 6000] },
              { label: ReplicationPreset.Active, crashes: 3, delayMs: [10_000, 25_000] },
          ],
          personalLanes: 2,
          personalDelayMs: [10_000, 50_000],
          overheadPairs: 2,
          overheadMs: 3000,
          rtoSizesMiB: [16, 64],
          rtoRuns: 2,
          requestWarmupMs: 20_000,
          requestWindowMs: MIN,
          requestSlices: 3,
          foreignL1Keys: 2500,
      }
    : {
          quick: false,
          rpo: [
              { label: ReplicationPreset.Critical, crashes: 25, delayMs: [2000, 6000] },
              { label: ReplicationPreset.Active, crashes: 10, delayMs: [10_000, 25_000] },
          ],
          personalLanes: 5,
          personalDelayMs: [30_000, 600_000],
          overheadPairs: 5,
          overheadMs: 10_000,
          rtoSizesMiB: [64, 512],
          rtoRuns: 3,
          requestWarmupMs: MIN,
          requestWindowMs: 10 * MIN,
          requestSlices: 10,
          foreignL1Keys: 2500,
      };

function log(message: string): void {
    process.stdout.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

/** Writes the report of `results` where BENCH_OUT (or the mode's default) says. */
function writeReport(results: BenchResults): string {
    const outDir = path.join(ROOT, ".bench");
    const markdown = renderMarkdown(results);
    const out =
        process.env.BENCH_OUT ??
        (results.plan.quick
            ? path.join(outDir, "BENCHMARKS.quick.md")
            : path.join(ROOT, "BENCHMARKS.md"));
    writeFileSync(out, markdown);
    process.stdout.write(`\n${markdown}\n`);
    log(
        `headline ratios:\n${headlines(results)
            .map((l) => `  ${l.replace(/\*\*/g, "")}`)
            .join("\n")}`,
    );
    return out;
}

/** The restore drills alone: a 64 MiB database (16 MiB quick), printed and saved. */
async function drillOnly(): Promise<void> {
    const started = Date.now();
    const sizeMiB = QUICK ? 16 : PLAN_DRILL_MIB;
    log(`restore drills of a ${sizeMiB} MiB database ...`);
    const world = await createBenchWorld(`drill-${sizeMiB}`, { replication: {} });
    const drill = await drillBench(world, sizeMiB, 3, QUICK ? 35 : 95, log);
    const outDir = path.join(ROOT, ".bench");
    mkdirSync(outDir, { recursive: true });
    writeFileSync(path.join(outDir, "drill.json"), JSON.stringify(drill, null, 2));
    process.stdout.write(`\n${drillSection(drill)}`);
    log(`wrote .bench/drill.json in ${Math.round((Date.now() - started) / 1000)} s`);
}

/** The database the restore drills are measured on. */
const PLAN_DRILL_MIB = 64;

async function main(): Promise<void> {
    if (process.env.BENCH_ONLY === "drill") {
        await drillOnly();
        return;
    }
    if (process.env.BENCH_ONLY !== undefined) {
        throw new Error(`BENCH_ONLY=${process.env.BENCH_ONLY}: the only section is \`drill\``);
    }
    if (process.env.BENCH_RENDER) {
        // Render only: the report of a saved run, nothing measured.
        const saved = JSON.parse(
            readFileSync(path.resolve(process.env.BENCH_RENDER), "utf8"),
        ) as BenchResults;
        log(`rendered ${path.relative(ROOT, writeReport(saved))} from ${process.env.BENCH_RENDER}`);
        return;
    }
    const started = Date.now();
    const phaseMs: Record<string, number> = {};
    const phase = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
        const t = Date.now();
        log(`${name} ...`);
        const result = await work();
        phaseMs[name] = Date.now() - t;
        log(`${name} done in ${Math.round(phaseMs[name] / 1000)} s`);
        return result;
    };

    const machine = machineInfo();
    const prices = JSON.parse(
        readFileSync(path.join(ROOT, "bench", "prices.json"), "utf8"),
    ) as PriceFile;

    // Every world renders the component under mocks, one at a time.
    const worlds = await phase("render", async () => {
        const preset = (p: ReplicationPreset) => ({ replication: { preset: p } });
        const rpo = [];
        for (const p of PLAN.rpo)
            rpo.push(await createBenchWorld(`rpo-${p.label}`, preset(p.label)));
        const laneServer = await startS3Server();
        const lanes = [];
        for (let i = 0; i < PLAN.personalLanes; i++) {
            lanes.push(
                await createBenchWorld(`rpo-personal-${i}`, {
                    ...preset(ReplicationPreset.Personal),
                    s3: laneServer,
                }),
            );
        }
        const requests = [];
        for (const p of [
            ReplicationPreset.Critical,
            ReplicationPreset.Active,
            ReplicationPreset.Personal,
        ]) {
            requests.push({
                preset: p,
                label: p,
                keys: 0,
                world: await createBenchWorld(`req-${p}`, preset(p)),
            });
        }
        requests.push({
            preset: ReplicationPreset.Critical,
            label: `${ReplicationPreset.Critical} + ${PLAN.foreignL1Keys} L1 keys`,
            keys: PLAN.foreignL1Keys,
            world: await createBenchWorld("req-listing", preset(ReplicationPreset.Critical)),
        });
        const overhead = await createBenchWorld("overhead", preset(ReplicationPreset.Critical));
        const rto = [];
        for (const size of PLAN.rtoSizesMiB)
            rto.push(await createBenchWorld(`rto-${size}`, { replication: {} }));
        return { rpo, lanes, requests, overhead, rto };
    });

    // Long and not timing-sensitive: request windows and the 1 h preset's crashes, side by side.
    const [requests, personal] = await phase("requests + personal RPO", () =>
        Promise.all([
            Promise.all(
                worlds.requests.map(async (w) => ({
                    preset: w.preset,
                    ...(await requestWindow(
                        w.label,
                        w.world,
                        PLAN.requestWarmupMs,
                        PLAN.requestWindowMs,
                        PLAN.requestSlices,
                        w.keys,
                    )),
                })),
            ),
            Promise.all(worlds.lanes.map((w) => crashCycle(w, uniform(...PLAN.personalDelayMs)))),
        ]),
    );
    for (const w of requests) log(`requests ${w.label}: ${JSON.stringify(w.measured)}`);

    const rpo: RpoResult[] = [];
    for (const [i, p] of PLAN.rpo.entries()) {
        const world = worlds.rpo[i];
        const samples = await phase(`RPO ${p.label}`, () =>
            crashSeries(world, p.crashes, p.delayMs[0], p.delayMs[1], (k, s) =>
                log(`  crash ${k + 1}/${p.crashes}: loss window ${s.lossWindowMs} ms`),
            ),
        );
        rpo.push({
            preset: p.label,
            syncSeconds: world.timing.syncIntervalSeconds,
            delayMs: p.delayMs,
            samples,
        });
    }
    rpo.push({
        preset: ReplicationPreset.Personal,
        syncSeconds: worlds.lanes[0].timing.syncIntervalSeconds,
        delayMs: PLAN.personalDelayMs,
        samples: personal,
    });

    const overhead = await phase("write overhead", () =>
        overheadSeries(worlds.overhead, PLAN.overheadPairs, PLAN.overheadMs, (r) =>
            log(`  ${r.arm}: ${Math.round(r.insertsPerSecond)} inserts/s`),
        ),
    );

    const rto: RtoResult[] = [];
    for (const [i, sizeMiB] of PLAN.rtoSizesMiB.entries()) {
        const world = worlds.rto[i];
        rto.push(
            await phase(`RTO ${sizeMiB} MiB`, async () => {
                const generated = generateDatabase(world.db, sizeMiB * 1024 * 1024);
                const replica = await replicateFully(world);
                removeDatabase(world.db);
                // Untimed first pass: page cache, the objects a restore reads, the file's check.
                const first = await timedRestore(world, true);
                await timedDownload(world, first.keys);
                const objects = await world.s3.listObjects(world.bucket, `${world.prefix}/`);
                const readBytes = first.keys.reduce(
                    (sum, k) => sum + (objects.find((o) => o.key === k)?.size ?? 0),
                    0,
                );
                const result: RtoResult = {
                    sizeMiB,
                    rows: generated.rows,
                    dbBytes: generated.bytes,
                    replica,
                    keys: first.keys,
                    getsPerRestore: first.gets,
                    readBytes,
                    restoreMs: [],
                    downloadMs: [],
                    gateMs: [],
                };
                const steps = [
                    async () => {
                        const r = await timedRestore(world, false);
                        if (r.keys.join() !== first.keys.join())
                            throw new Error("restores read different objects");
                        result.restoreMs.push(r.ms);
                    },
                    async () => void result.downloadMs.push(await timedDownload(world, first.keys)),
                    async () => void result.gateMs.push(await timedGate(world)),
                ];
                for (let run = 0; run < PLAN.rtoRuns; run++) {
                    for (let k = 0; k < steps.length; k++) await steps[(run + k) % steps.length]();
                }
                await clearReplica(world);
                log(
                    `  restore ${result.restoreMs.map(Math.round)} ms, download ${result.downloadMs.map(Math.round)} ms`,
                );
                return result;
            }),
        );
    }

    const drill = await phase("restore drills", async () =>
        drillBench(
            await createBenchWorld(`drill-${PLAN_DRILL_MIB}`, { replication: {} }),
            PLAN_DRILL_MIB,
            QUICK ? 1 : 3,
            QUICK ? 35 : 95,
            log,
        ),
    );

    // Model-only scenarios: the component's presets under other write patterns.
    const pattern = writerPattern();
    const scenarios = [];
    for (const preset of [
        ReplicationPreset.Personal,
        ReplicationPreset.Active,
        ReplicationPreset.Critical,
    ]) {
        for (const writes of [
            { commitsPerSecond: 0, walFramesPerCommit: 1 },
            { commitsPerSecond: 1 / 600, walFramesPerCommit: pattern.walFramesPerCommit },
            { commitsPerSecond: 1 / 60, walFramesPerCommit: pattern.walFramesPerCommit },
            { commitsPerSecond: 1, walFramesPerCommit: pattern.walFramesPerCommit },
            pattern,
        ]) {
            scenarios.push({ preset, input: costInputFromTiming(PRESETS[preset], writes) });
        }
    }

    const results: BenchResults = {
        generatedAt: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
        totalMs: Date.now() - started,
        phaseMs,
        machine,
        plan: PLAN,
        rpo,
        rto,
        overhead,
        requests,
        prices,
        scenarios,
        drill,
    };
    const outDir = path.join(ROOT, ".bench");
    mkdirSync(outDir, { recursive: true });
    writeFileSync(
        path.join(outDir, QUICK ? "results.quick.json" : "results.json"),
        JSON.stringify(results, null, 2),
    );
    const out = writeReport(results);
    log(`wrote ${path.relative(ROOT, out)} in ${Math.round(results.totalMs / 1000)} s`);
}

main()
    .catch((err) => {
        process.stderr.write(
            `bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
        );
        process.exitCode = 1;
    })
    .finally(() => cleanupAll());
