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
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { ReplicationPreset } from "../components";
import { costInputFromTiming, WritePattern } from "../components/litestream/cost";
import { resolveTiming } from "../components/litestream/timing";
import { cleanupAll, ROOT } from "../test/support/procs";
import { startS3Server } from "../test/support/s3-server";
import { startChain, stopChain, timeChainRestores } from "./chain";
import { machineInfo } from "./lib/machine";
import { uniform } from "./lib/stats";
import { BenchWorld, clearReplica, createBenchWorld, removeDatabase } from "./lib/world";
import { overheadSeries } from "./overhead";
import {
    BenchResults,
    headlines,
    Plan,
    PriceFile,
    drillSection,
    renderMarkdown,
    renderPresetsTable,
    RpoResult,
    RtoResult,
    Scenario,
} from "./report";
import { drillBench } from "./drill";
import { requestWindow, WindowPlan, writerPattern } from "./requests";
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
          rtoSizesMiB: [16],
          rtoRuns: 2,
          // Half a second off the monitor ticks (whole seconds after the start), so that no
          // tick falls on a window's edge.
          requestWarmupMs: 30_500,
          requestWindowMs: 2 * MIN,
          requestSlices: 4,
          foreignL1Keys: 2500,
          chainSizeMiB: 16,
          chainRounds: 2,
          chainAlignToL1: false,
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
          // Past the personal preset's first monitor tick (4 min), then a whole hour: one of
          // each of its hourly events. Half a second off the monitor ticks (whole seconds after
          // the start), so that no tick falls on a window's edge.
          requestWarmupMs: 5 * MIN + 500,
          requestWindowMs: 60 * MIN,
          requestSlices: 12,
          foreignL1Keys: 2500,
          chainSizeMiB: 64,
          chainRounds: 3,
          chainAlignToL1: true,
      };

const PRESET_ORDER = [
    ReplicationPreset.Critical,
    ReplicationPreset.Active,
    ReplicationPreset.Personal,
] as const;

/** One request window to run. */
interface RequestWorld {
    preset: ReplicationPreset;
    arm: "component" | "defaults";
    label: string;
    world: BenchWorld;
    plan: WindowPlan;
}

function window(extra: Partial<WindowPlan> = {}): WindowPlan {
    return {
        warmupMs: PLAN.requestWarmupMs,
        windowMs: PLAN.requestWindowMs,
        slices: PLAN.requestSlices,
        ...extra,
    };
}

function log(message: string): void {
    process.stdout.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

/** Where the README's presets table is, between these two lines. */
const README_TABLE = [
    "<!-- presets table: written by npm run bench -->",
    "<!-- end of presets table -->",
];

/**
 * Writes the report of `results` where BENCH_OUT (or the mode's default) says; a full run
 * written to BENCHMARKS.md also rewrites the README's presets table from the same results.
 */
function writeReport(results: BenchResults): string {
    const outDir = path.join(ROOT, ".bench");
    const markdown = renderMarkdown(results);
    const out =
        process.env.BENCH_OUT ??
        (results.plan.quick
            ? path.join(outDir, "BENCHMARKS.quick.md")
            : path.join(ROOT, "BENCHMARKS.md"));
    writeFileSync(out, markdown);
    if (!results.plan.quick && process.env.BENCH_OUT === undefined) {
        const readme = path.join(ROOT, "README.md");
        const text = readFileSync(readme, "utf8");
        const from = text.indexOf(README_TABLE[0]);
        const to = text.indexOf(README_TABLE[1]);
        if (from < 0 || to < from) throw new Error(`README.md has no ${README_TABLE[0]} block`);
        writeFileSync(
            readme,
            `${text.slice(0, from + README_TABLE[0].length)}\n${renderPresetsTable(results)}\n${text.slice(to)}`,
        );
        log("rewrote the presets table in README.md");
    }
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
        const replication = (p: ReplicationPreset, defaults = false) => ({
            replication: defaults ? { preset: p, litestreamDefaults: true } : { preset: p },
        });
        const rpo = [];
        for (const p of PLAN.rpo)
            rpo.push(await createBenchWorld(`rpo-${p.label}`, replication(p.label)));
        const laneServer = await startS3Server();
        const lanes = [];
        for (let i = 0; i < PLAN.personalLanes; i++) {
            lanes.push(
                await createBenchWorld(`rpo-personal-${i}`, {
                    ...replication(ReplicationPreset.Personal),
                    s3: laneServer,
                }),
            );
        }
        const requests: RequestWorld[] = [];
        for (const p of PRESET_ORDER) {
            for (const defaults of [false, true]) {
                requests.push({
                    preset: p,
                    arm: defaults ? "defaults" : "component",
                    label: defaults ? `${p}, Litestream defaults` : p,
                    world: await createBenchWorld(
                        `req-${p}${defaults ? "-defaults" : ""}`,
                        replication(p, defaults),
                    ),
                    plan: window(),
                });
            }
        }
        for (const p of PRESET_ORDER) {
            requests.push({
                preset: p,
                arm: "component",
                label: `${p}, idle`,
                world: await createBenchWorld(`idle-${p}`, replication(p)),
                plan: window({ idle: true }),
            });
        }
        requests.push({
            preset: ReplicationPreset.Active,
            arm: "defaults",
            label: `${ReplicationPreset.Active}, idle, Litestream defaults`,
            world: await createBenchWorld(
                "idle-active-defaults",
                replication(ReplicationPreset.Active, true),
            ),
            plan: window({ idle: true }),
        });
        requests.push({
            preset: ReplicationPreset.Critical,
            arm: "component",
            label: `${ReplicationPreset.Critical} + ${PLAN.foreignL1Keys} L1 keys`,
            world: await createBenchWorld("req-listing", replication(ReplicationPreset.Critical)),
            plan: window({ otherKeys: PLAN.foreignL1Keys }),
        });
        const overhead = await createBenchWorld(
            "overhead",
            replication(ReplicationPreset.Critical),
        );
        const rto = [];
        for (const size of PLAN.rtoSizesMiB)
            rto.push(await createBenchWorld(`rto-${size}`, { replication: {} }));
        const chains = [];
        for (const p of [ReplicationPreset.Critical, ReplicationPreset.Active]) {
            for (const defaults of [false, true]) {
                const world = await createBenchWorld(
                    `chain-${p}${defaults ? "-defaults" : ""}`,
                    replication(p, defaults),
                );
                generateDatabase(world.db, PLAN.chainSizeMiB * 1024 * 1024);
                chains.push({
                    preset: p,
                    arm: defaults ? ("defaults" as const) : ("component" as const),
                    label: defaults ? `${p}, Litestream defaults` : p,
                    world,
                });
            }
        }
        return { rpo, lanes, requests, overhead, rto, chains };
    });

    // Timing-sensitive first, on a quiet machine: the loss windows, the write overhead and
    // the restore times.
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
            monitorSeconds: world.timing.timers.monitorIntervalSeconds,
            delayMs: p.delayMs,
            samples,
        });
    }

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

    // Long and not timing-sensitive, side by side: the request windows, the 1 h preset's
    // crashes, and the replicas whose restores are timed after.
    const [requests, personal, chainRuns] = await phase(
        "requests + personal RPO + restore chains",
        async () => {
            const chainsStarted = Promise.all(
                worlds.chains.map((c) => startChain(c.label, c.preset, c.arm, c.world)),
            );
            const [windows, lanes] = await Promise.all([
                Promise.all(
                    worlds.requests.map(async (w) => ({
                        preset: w.preset,
                        arm: w.arm,
                        ...(await requestWindow(w.label, w.world, w.plan)),
                    })),
                ),
                Promise.all(
                    worlds.lanes.map((w) => crashCycle(w, uniform(...PLAN.personalDelayMs))),
                ),
            ]);
            const chains = await chainsStarted;
            const stopped = await Promise.all(
                chains.map(async (c) => ({ ...c, stop: await stopChain(c, PLAN.chainAlignToL1) })),
            );
            return [windows, lanes, stopped] as const;
        },
    );
    for (const w of requests) log(`requests ${w.label}: ${JSON.stringify(w.measured)}`);
    rpo.push({
        preset: ReplicationPreset.Personal,
        syncSeconds: worlds.lanes[0].timing.syncIntervalSeconds,
        monitorSeconds: worlds.lanes[0].timing.timers.monitorIntervalSeconds,
        delayMs: PLAN.personalDelayMs,
        samples: personal,
    });

    const chain = await phase("restore chains", () =>
        timeChainRestores(chainRuns, PLAN.chainRounds, statSync(chainRuns[0].world.db).size),
    );
    for (const c of chain)
        log(`  chain ${c.label}: ${c.gets} GETs, restore ${c.restoreMs.map(Math.round)} ms`);

    const drill = await phase("restore drills", async () =>
        drillBench(
            await createBenchWorld(`drill-${PLAN_DRILL_MIB}`, { replication: {} }),
            PLAN_DRILL_MIB,
            QUICK ? 1 : 3,
            QUICK ? 35 : 95,
            log,
        ),
    );

    // Model-only scenarios: the component's presets under other write patterns, and
    // Litestream's defaults beside them.
    const pattern = writerPattern();
    const fast = writerPattern(20);
    const scenarios: Scenario[] = [];
    for (const preset of [
        ReplicationPreset.Personal,
        ReplicationPreset.Active,
        ReplicationPreset.Critical,
    ]) {
        for (const defaults of [false, true]) {
            const timing = resolveTiming({ preset, litestreamDefaults: defaults });
            const idle = { commitsPerSecond: 0, walFramesPerCommit: 1 };
            const cases: { writes: WritePattern; idleAfterWrites?: boolean }[] = defaults
                ? [{ writes: idle, idleAfterWrites: true }, { writes: pattern }]
                : [
                      { writes: idle, idleAfterWrites: true },
                      { writes: idle },
                      { writes: { ...pattern, commitsPerSecond: 1 / 600 } },
                      { writes: { ...pattern, commitsPerSecond: 1 / 60 } },
                      { writes: pattern },
                      { writes: fast },
                  ];
            for (const c of cases) {
                scenarios.push({
                    preset,
                    arm: defaults ? "defaults" : "component",
                    input: costInputFromTiming(timing, c.writes, {
                        idleAfterWrites: c.idleAfterWrites,
                    }),
                });
            }
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
        chain,
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
