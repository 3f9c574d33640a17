/**
 * Renders the benchmark results as BENCHMARKS.md (and the same tables for the console), and
 * the README's presets table.
 */
import type { DrillResult } from "./drill";
import {
    CostModelInput,
    drillRequests,
    drillRequestsPerMonth,
    durationSeconds,
    MONTH_SECONDS,
    priceRequests,
    ProviderRequestPrices,
    RequestCounts,
    requestRates,
    RequestSourceName,
    requestsPerMonth,
    restoreFiles,
    S3_OPERATIONS,
    scaleCounts,
    timersOf,
    totalRequests,
    WritePattern,
} from "../components/litestream/cost";
import { shortGoDuration } from "../components/litestream/duration";
import { PRESETS } from "../components/litestream/timing";
import { ReplicationPreset } from "../components";
import { DEFAULT_VERIFY_INTERVAL } from "../components/litestream-backup";
import { ChainResult } from "./chain";
import { MachineInfo } from "./lib/machine";
import { summarize, percentile, Summary } from "./lib/stats";
import { OverheadRun } from "./overhead";
import { RequestWindow } from "./requests";
import { CrashSample } from "./rpo";
import { ReplicaState } from "./rto";

export interface PriceFile {
    readOn: string;
    currency: string;
    providers: Record<
        "r2" | "s3",
        ProviderRequestPrices & { source: string; sourceText: string; notes: string[] }
    >;
}

export interface Plan {
    quick: boolean;
    rpo: { label: ReplicationPreset; crashes: number; delayMs: [number, number] }[];
    personalLanes: number;
    personalDelayMs: [number, number];
    overheadPairs: number;
    overheadMs: number;
    rtoSizesMiB: number[];
    rtoRuns: number;
    requestWarmupMs: number;
    requestWindowMs: number;
    requestSlices: number;
    foreignL1Keys: number;
    chainSizeMiB: number;
    chainRounds: number;
    chainAlignToL1: boolean;
}

export interface RpoResult {
    preset: string;
    syncSeconds: number;
    monitorSeconds: number;
    delayMs: [number, number];
    samples: CrashSample[];
}

export interface RtoResult {
    sizeMiB: number;
    rows: number;
    dbBytes: number;
    replica: ReplicaState;
    keys: string[];
    getsPerRestore: number;
    readBytes: number;
    restoreMs: number[];
    downloadMs: number[];
    gateMs: number[];
}

/** A model-only case: a preset's config (or Litestream's defaults) under a write pattern. */
export interface Scenario {
    preset: string;
    arm: "component" | "defaults";
    input: CostModelInput;
}

export type RequestResult = RequestWindow & { preset: string; arm: "component" | "defaults" };

export interface BenchResults {
    generatedAt: string;
    totalMs: number;
    phaseMs: Record<string, number>;
    machine: MachineInfo;
    plan: Plan;
    rpo: RpoResult[];
    rto: RtoResult[];
    overhead: OverheadRun[];
    requests: RequestResult[];
    chain: ChainResult[];
    prices: PriceFile;
    scenarios: Scenario[];
    /** Restore drills (bench/drill.ts); absent from runs made before they were measured. */
    drill?: DrillResult;
}

/**
 * What each preset is tuned to: a month of requests for one database written once a second,
 * at R2's list price (the model's steady state), and requests a month for an idle database.
 */
export const TARGETS = {
    monthlyUsdR2: { personal: 0.1, active: 2.5, critical: 15 } as Record<string, number>,
    idleRequestsPerMonth: 20_000,
};

// --- formatting ---------------------------------------------------------------------------

const int = (n: number) => Math.round(n).toLocaleString("en-US");
const fixed = (n: number, d: number) => n.toFixed(d);
const usd = (n: number) => (n < 0.01 && n > 0 ? "<$0.01" : `$${n.toFixed(2)}`);

function duration(ms: number): string {
    if (ms < 1000) return `${Math.round(ms)} ms`;
    if (ms < 120_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
    return `${(ms / 60_000).toFixed(1)} min`;
}

function spread(s: Summary, f: (n: number) => string): string {
    return `${f(s.median)} (${f(s.min)}–${f(s.max)})`;
}

function table(head: string[], rows: string[][]): string {
    const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
    return [line(head), line(head.map(() => "---")), ...rows.map(line)].join("\n");
}

function ratio(model: number, measured: number): string {
    if (measured === 0) return model === 0 ? "1.00" : "n/a";
    return fixed(model / measured, 2);
}

// --- derived figures ----------------------------------------------------------------------

export function rpoHeadline(r: RpoResult): {
    p50: number;
    p99: number;
    max: number;
    perSync: number;
} {
    const w = r.samples.map((s) => s.lossWindowMs);
    const p99 = percentile(w, 99);
    return {
        p50: percentile(w, 50),
        p99,
        max: Math.max(...w),
        perSync: p99 / (r.syncSeconds * 1000),
    };
}

function rtoRatio(r: RtoResult): number {
    return summarize(r.restoreMs).median / summarize(r.downloadMs).median;
}

function overheadRatio(runs: OverheadRun[]): { with: Summary; without: Summary; ratio: number } {
    const w = summarize(runs.filter((r) => r.arm === "with").map((r) => r.insertsPerSecond));
    const wo = summarize(runs.filter((r) => r.arm === "without").map((r) => r.insertsPerSecond));
    return { with: w, without: wo, ratio: w.median / wo.median };
}

function monthScale(w: RequestWindow): number {
    return MONTH_SECONDS / ((w.toMs - w.fromMs) / 1000);
}

function price(counts: RequestCounts, p: ProviderRequestPrices): number {
    return priceRequests(counts, p).totalUsd;
}

/** The model's steady-state month for a window's config and writes. */
function modelMonth(w: RequestWindow): RequestCounts {
    return requestsPerMonth(w.input);
}

/** The personal preset's p99 is derived (a crash uniform over the hour), not measured. */
function derivedRpo(r: RpoResult): boolean {
    return r.syncSeconds >= 3600;
}

function perSyncText(r: RpoResult): string {
    return derivedRpo(r) ? "0.99 (derived)" : fixed(rpoHeadline(r).perSync, 2);
}

/** Requests a month of the preset's model scenario with these writes. */
function scenarioMonth(
    r: BenchResults,
    preset: string,
    arm: Scenario["arm"],
    match: (input: CostModelInput) => boolean,
): RequestCounts | undefined {
    const s = r.scenarios.find((x) => x.preset === preset && x.arm === arm && match(x.input));
    return s && requestsPerMonth(s.input);
}

const oneASecond = (i: CostModelInput) => i.writes.commitsPerSecond === 1;
const idleWorst = (i: CostModelInput) =>
    i.writes.commitsPerSecond === 0 && i.idleAfterWrites === true;

function chainRatio(
    r: BenchResults,
    preset: string,
): { ratio: number; c: ChainResult; d: ChainResult } | undefined {
    const c = r.chain.find((x) => x.preset === preset && x.arm === "component");
    const d = r.chain.find((x) => x.preset === preset && x.arm === "defaults");
    if (!c || !d) return undefined;
    return { ratio: summarize(c.restoreMs).median / summarize(d.restoreMs).median, c, d };
}

// --- the report ---------------------------------------------------------------------------

export function headlines(r: BenchResults): string[] {
    const lines: string[] = [];
    const r2 = r.prices.providers.r2;
    for (const preset of Object.values(ReplicationPreset)) {
        const month = scenarioMonth(r, preset, "component", oneASecond);
        const idle = scenarioMonth(r, preset, "component", idleWorst);
        if (!month || !idle) continue;
        lines.push(
            `model month, ${preset}, written once a second (R2 list price): ` +
                `**${usd(price(month, r2))}** (target ${usd(TARGETS.monthlyUsdR2[preset])}); idle: ` +
                `**${int(totalRequests(idle))}** requests (target ${int(TARGETS.idleRequestsPerMonth)})`,
        );
    }
    for (const rpo of r.rpo) {
        const h = rpoHeadline(rpo);
        if (derivedRpo(rpo)) {
            const ratios = rpo.samples.map((s) => s.lossWindowMs / s.sinceLastUploadMs);
            lines.push(
                `p99 loss window / sync interval, ${rpo.preset} (${rpo.syncSeconds / 3600} h): ` +
                    `0.99 derived (a crash uniform over the hour; measured windows were ` +
                    `${fixed(percentile(ratios, 50), 3)}× the time since the last upload, ` +
                    `${rpo.samples.length} crashes up to ${duration(h.max)})`,
            );
        } else {
            lines.push(
                `p99 loss window / sync interval, ${rpo.preset} (${rpo.syncSeconds} s): ` +
                    `**${fixed(h.perSync, 2)}** (p99 ${duration(h.p99)}, ${rpo.samples.length} crashes)`,
            );
        }
    }
    for (const rto of r.rto) {
        lines.push(
            `restore / raw download, ${rto.sizeMiB} MiB: **${fixed(rtoRatio(rto), 2)}** ` +
                `(${duration(summarize(rto.restoreMs).median)} vs ${duration(summarize(rto.downloadMs).median)})`,
        );
    }
    for (const preset of [ReplicationPreset.Critical, ReplicationPreset.Active]) {
        const x = chainRatio(r, preset);
        if (!x) continue;
        lines.push(
            `restore time, ${preset} / Litestream's defaults, ${int(x.c.dbBytes / 1024 ** 2)} MiB after ` +
                `${duration(x.c.replicatedMs)} of writes, just before an L1 tick: **${fixed(x.ratio, 2)}** ` +
                `(${duration(summarize(x.c.restoreMs).median)}, ${x.c.gets} objects vs ` +
                `${duration(summarize(x.d.restoreMs).median)}, ${x.d.gets} objects)`,
        );
    }
    const o = overheadRatio(r.overhead);
    const withRuns = r.overhead.filter((x) => x.arm === "with");
    const forced = withRuns.filter((x) => (x.forcedTruncates ?? 0) > 0).length;
    lines.push(
        `inserts/s with / without replication: **${fixed(o.ratio, 2)}** ` +
            `(${int(o.with.median)} vs ${int(o.without.median)}, writer saturating the database; ` +
            `in ${forced} of ${withRuns.length} runs Litestream fell behind and its WAL ran away instead, see section 4)`,
    );
    for (const w of r.requests) {
        lines.push(
            `model / measured requests, ${w.label}: **${ratio(totalRequests(w.model.requests), totalRequests(w.measured))}** ` +
                `(${int(totalRequests(w.model.requests))} vs ${int(totalRequests(w.measured))} in ${duration(w.toMs - w.fromMs)})`,
        );
    }
    return lines;
}

function targetsSection(r: BenchResults): string {
    const p = r.prices.providers;
    const rows = Object.values(ReplicationPreset).map((preset) => {
        const month = scenarioMonth(r, preset, "component", oneASecond);
        const defaults = scenarioMonth(r, preset, "defaults", oneASecond);
        const idle = scenarioMonth(r, preset, "component", idleWorst);
        const busy = r.requests.find(
            (w) => w.preset === preset && w.arm === "component" && !w.idle && w.otherKeys === 0,
        );
        const quiet = r.requests.find(
            (w) => w.preset === preset && w.arm === "component" && w.idle,
        );
        const rpo = r.rpo.find((x) => x.preset === preset);
        const files = (arm: Scenario["arm"]) => {
            const s = r.scenarios.find(
                (x) => x.preset === preset && x.arm === arm && oneASecond(x.input),
            );
            return s ? int(restoreFiles(s.input).worst) : "?";
        };
        const okUsd = month && price(month, p.r2) <= TARGETS.monthlyUsdR2[preset];
        const okIdle = idle && totalRequests(idle) <= TARGETS.idleRequestsPerMonth;
        const cell = (w?: RequestWindow) =>
            w
                ? `${ratio(totalRequests(w.model.requests), totalRequests(w.measured))} (${int(totalRequests(w.model.requests))} / ${int(totalRequests(w.measured))})`
                : "—";
        return [
            preset,
            month
                ? `**${usd(price(month, p.r2))}** ${okUsd ? "≤" : "**>**"} ${usd(TARGETS.monthlyUsdR2[preset])}`
                : "?",
            defaults ? usd(price(defaults, p.r2)) : "?",
            idle
                ? `**${int(totalRequests(idle))}** ${okIdle ? "≤" : "**>**"} ${int(TARGETS.idleRequestsPerMonth)}`
                : "?",
            cell(busy),
            cell(quiet),
            rpo ? perSyncText(rpo) : "—",
            `${files("component")} / ${files("defaults")}`,
        ];
    });
    return `## Against the targets

One database; months are the cost model's steady state (\`components/litestream/cost.ts\`, a
replica old enough that its oldest snapshot expires), at R2's list price before the free
allowance. "Idle" is the worst case of a database that is no longer written: the newest file
of every level spans more than one TXID (as it does once writes stop), so every compaction
tick lists the level below. Model / counted: requests the model gives for each
${duration(r.plan.requestWindowMs)} window of section 5 over those the S3 server logged (model
requests / counted). The loss window is section 1's p99 over the sync interval. The restore
column is the model's count of objects a restore reads at worst (section 3 measures it).

${table(
    [
        "preset",
        "model month, written once a second (target)",
        "same with Litestream's defaults",
        "model month, idle: requests (target)",
        "model / counted, written",
        "model / counted, idle",
        "p99 loss window / sync interval",
        "restore reads at most, objects (Litestream's defaults)",
    ],
    rows,
)}
`;
}

function rpoSection(r: BenchResults): string {
    const rows = r.rpo.map((rpo) => {
        const h = rpoHeadline(rpo);
        const since = summarize(rpo.samples.map((s) => s.sinceLastUploadMs));
        const lost = summarize(rpo.samples.map((s) => s.rowsCommitted - s.rowsRestored));
        const sync =
            rpo.syncSeconds >= 3600 ? `${rpo.syncSeconds / 3600} h` : `${rpo.syncSeconds} s`;
        const perSync = derivedRpo(rpo)
            ? `(${fixed(h.perSync, 3)} of the hour)`
            : fixed(h.perSync, 2);
        return [
            rpo.preset,
            sync,
            duration(rpo.monitorSeconds * 1000),
            String(rpo.samples.length),
            `${duration(rpo.delayMs[0])}–${duration(rpo.delayMs[1])}`,
            duration(h.p50),
            duration(h.p99),
            duration(h.max),
            perSync,
            duration(since.median),
            int(lost.median),
        ];
    });
    const personal = r.rpo.find(derivedRpo);
    if (personal) {
        const S = personal.syncSeconds * 1000;
        rows.push([
            `${personal.preset}, full hour (derived)`,
            `${personal.syncSeconds / 3600} h`,
            duration(personal.monitorSeconds * 1000),
            "—",
            "uniform over the hour",
            duration(0.5 * S),
            duration(0.99 * S),
            duration(S),
            "0.99",
            "—",
            "—",
        ]);
    }
    const all = r.rpo.flatMap((x) => x.samples);
    const clean = all.every((s) => s.contiguous && s.integrity === "ok");
    const writerErrors = all.reduce((n, s) => n + s.writerErrors, 0);
    const ratios = personal
        ? personal.samples.map((s) => s.lossWindowMs / s.sinceLastUploadMs)
        : [];
    return `## 1. Data-loss window (RPO)

**Method.** For each interval the component is rendered under mocks with the preset that has
it (\`critical\` 1 s, \`active\` 10 s, \`personal\` 1 h) against a local versitygw, and its
Litestream config is run by the real Litestream. Each crash cycle starts from an empty database
and replica: the test writer (better-sqlite3, WAL, \`busy_timeout\` 5000, one row a transaction,
50 rows/s, each row with its sequence number; it runs in a process of its own and reports each
commit's time) starts, then \`litestream replicate\`; at a random moment after Litestream's first
upload (uniform in the range shown, so the crash falls anywhere in the sync cycle) the writer
and Litestream get SIGKILL back to back. The replica is restored with \`litestream restore\`;
the loss window is the crash time minus the commit time of the last restored row.
Percentiles interpolate between ranks: with ${r.rpo[0]?.samples.length ?? 0} crashes, p99 lies
between the two largest windows. The monitor interval is how often Litestream reads the WAL
(one L0 file each); the replica starts inside its first tick, so each sync runs just after a cut.

${table(
    [
        "preset",
        "sync interval",
        "monitor interval",
        "crashes",
        "crash after first upload",
        "loss window p50",
        "p99",
        "max",
        "p99 / sync interval",
        "crash − last upload, p50",
        "rows lost, p50",
    ],
    rows,
)}

Every restore ${clean ? "held rows 1..n with no hole and passed `PRAGMA integrity_check`" : "**did not** always come back contiguous and intact: see .bench/results.json"};
the writer saw ${writerErrors} errors.

**The \`personal\` preset (1 h).** A crash cycle of a full hour each is too slow for a
benchmark run, so ${personal?.samples.length ?? 0} crashes were placed at random moments
${personal ? `${duration(personal.delayMs[0])}–${duration(personal.delayMs[1])}` : ""} after the first upload, each in its own run (they ran side by side,
concurrently with the request-count windows below; at these time scales that load does not
matter). With a 1 h sync interval Litestream uploads at its first monitor tick
(${personal ? duration(personal.monitorSeconds * 1000) : "?"} after it starts) and then only on the hour,
so each measured window is the time since that upload: the measured window / time-since-upload
ratio was ${ratios.length ? `${fixed(percentile(ratios, 50), 3)} (${fixed(Math.min(...ratios), 3)}–${fixed(Math.max(...ratios), 3)})` : "n/a"}.
What these runs show is that nothing is uploaded between syncs (the window grows one for one
with time); they do not sample the hour. The full-hour row is derived from that, not
measured: each hourly sync ships what the monitor tick just before it cut, so a crash at a
moment uniform over the hour loses U(0, 1 h) of writes: p50 ≈ 30 min, p99 ≈ 59.4 min,
max ≈ 1 h. Two limits: a database that was idle uploads its next change at the monitor tick
that cuts it when the replica is waiting for a change (or at the next sync otherwise), so a
rarely written database often does better than this; and the crash here takes Litestream and
the app down together with the host intact (SIGKILL, no power loss), so what SQLite committed
to the WAL survives locally until the volume is lost.
`;
}

function rtoSection(r: BenchResults): string {
    const rows = r.rto.map((x) => [
        `${x.sizeMiB} MiB (${int(x.rows)} rows, ${fixed(x.dbBytes / 1024 ** 2, 1)} MiB file)`,
        `${x.keys.length} object${x.keys.length === 1 ? "" : "s"}, ${fixed(x.readBytes / 1024 ** 2, 1)} MiB (${x.getsPerRestore} GET)`,
        spread(summarize(x.restoreMs), duration),
        spread(summarize(x.downloadMs), duration),
        `**${fixed(rtoRatio(x), 2)}**`,
        spread(summarize(x.gateMs), duration),
        String(x.restoreMs.length),
    ]);
    return `## 2. Restore time (RTO)

**Method.** A database of the test writer's table, filled with random (incompressible) text to
the size shown, is replicated by the component's config (default preset, \`active\`) until
Litestream logged both its snapshot and its first L0 upload; then Litestream is stopped and the
source removed. Each run then times, in rotating order: \`litestream restore -config <the
component's config> -o <new file> <db>\`; a plain download with @aws-sdk/client-s3 of the same
objects the restore read (taken from the server's access log), in parallel, each streamed to a
file and fsynced; and the restore gate's own command (\`restore -if-db-not-exists
-if-replica-exists -integrity-check full\`, to the database path). One untimed restore and
download come first (page cache, and the check that the restored file passes
\`integrity_check\`). The restore's time includes starting the \`litestream\` process, reading
the replica's listing, decoding the LZ4-compressed LTX pages and writing the database file.
Median of the runs, min–max in parentheses. The server is on loopback, so both measure the S3
server, the CPU and the disk, not a network.

${table(
    [
        "database",
        "read by the restore",
        "litestream restore",
        "plain S3 download",
        "restore / download",
        "restore gate (full integrity check)",
        "runs",
    ],
    rows,
)}

Replicating took ${r.rto.map((x) => `${duration(x.replica.replicateMs)} (${x.sizeMiB} MiB: ${x.replica.objects} objects, ${fixed(x.replica.bytes / 1024 ** 2, 1)} MiB)`).join(", ")}.
`;
}

function chainSection(r: BenchResults): string {
    if (r.chain.length === 0) return "";
    const rows = r.chain.map((c) => {
        const levels = Object.entries(c.byLevel)
            .sort(([a], [b]) => (a === "snapshot" ? -1 : b === "snapshot" ? 1 : b.localeCompare(a)))
            .map(([k, v]) => `${k} ${v}`)
            .join(", ");
        return [
            c.label,
            duration(c.replicatedMs),
            duration(c.stoppedBeforeL1Ms),
            `${c.gets} (${levels})`,
            `${int(c.modelFiles.worst)} / ${int(c.modelFiles.mean)}`,
            spread(summarize(c.restoreMs), duration),
            String(c.restoreMs.length),
        ];
    });
    const compare = [ReplicationPreset.Critical, ReplicationPreset.Active]
        .map((preset) => {
            const x = chainRatio(r, preset);
            return x
                ? `\`${preset}\`: **${fixed(x.ratio, 2)}**× the restore time with Litestream's defaults (${x.c.gets} objects against ${x.d.gets})`
                : "";
        })
        .filter((x) => x)
        .join("; ");
    return `## 3. Restore time and the compaction levels

**Method.** A restore reads the latest snapshot, then the fewest files that cover the rest,
one after the other (\`replica.go\` \`CalcRestorePlan\`); the compaction levels decide how many.
The L0 files uploaded since the last L1 compaction are read one by one, so the worst moment is
just before an L1 tick. A ${r.plan.chainSizeMiB} MiB database (section 2's table) written once a
second is replicated, side by side with the request windows below, by the preset's config and
by the same preset with Litestream's own timer defaults (\`replication.litestreamDefaults\`);
each is killed (SIGKILL, as when the server is lost)${r.plan.chainAlignToL1 ? " 3 s before one of its L1 ticks" : ""}, and then restored in
rotation with the others, ${r.plan.chainRounds} timed runs each after one untimed run that
counts the objects (GETs in the server's log) and checks \`integrity_check\`. A replica
younger than its snapshot interval (\`critical\`'s 6 h here) reads the whole database twice:
its first snapshot and the first compacted file of its top level both hold it. Model: the cost
model's count of objects read (\`restoreFiles\`), at worst (every level's tick just ahead) and
on average over the snapshot cycle.

${table(
    [
        "config",
        "replicated",
        "stopped before its L1 tick",
        "objects read by a restore",
        "model: worst / mean",
        "litestream restore",
        "runs",
    ],
    rows,
)}

${compare}. Each extra object costs one request round trip: about a millisecond on this
loopback server, tens of milliseconds to R2 or S3 over the internet.
`;
}

function overheadSection(r: BenchResults): string {
    const o = overheadRatio(r.overhead);
    const slowest = (arm: string) =>
        Math.max(...r.overhead.filter((x) => x.arm === arm).map((x) => x.slowestCommitMs));
    const sync = r.overhead[0]?.synchronous;
    const without = r.overhead.filter((x) => x.arm === "without");
    const withRuns = r.overhead.filter((x) => x.arm === "with");
    const forced = withRuns.filter((x) => (x.forcedTruncates ?? 0) > 0);
    const caught = withRuns.filter((x) => (x.forcedTruncates ?? 0) === 0);
    const mib = (bytes: number) =>
        bytes >= 1024 ** 3
            ? `${fixed(bytes / 1024 ** 3, 2)} GiB`
            : `${fixed(bytes / 1024 ** 2, 1)} MiB`;
    const range = (
        runs: OverheadRun[],
        f: (x: OverheadRun) => number,
        show: (n: number) => string,
    ) => {
        const values = runs.map(f);
        const lo = Math.min(...values);
        const hi = Math.max(...values);
        return lo === hi ? show(lo) : `${show(lo)}–${show(hi)}`;
    };
    const group = (runs: OverheadRun[]) =>
        runs.length === 0
            ? ""
            : `${runs.length} run${runs.length === 1 ? "" : "s"}: WAL ${range(runs, (x) => x.walBytes, mib)} at the end, ` +
              `${range(runs, (x) => x.insertsPerSecond, int)} inserts/s, ${range(runs, (x) => x.uploads ?? 0, String)} L0 uploads, ` +
              `${range(runs, (x) => x.forcedTruncates ?? 0, String)} forced truncate checkpoints`;
    const share = (runs: OverheadRun[]) =>
        fixed(summarize(runs.map((x) => x.insertsPerSecond)).median / o.without.median, 2);
    const verdict = [
        caught.length
            ? `In the first group the writer got ${share(caught)}× its throughput alone.`
            : "",
        forced.length
            ? `In the second, ${share(forced)}× while the WAL grew to ` +
              `${mib(Math.max(...forced.map((x) => x.walBytes)))} in ${duration(r.plan.overheadMs)} and replication lagged.`
            : "",
    ]
        .filter((x) => x)
        .join(" ");
    const runRows = r.overhead.map((x, i) => [
        String(i + 1),
        x.arm,
        int(x.insertsPerSecond),
        duration(x.slowestCommitMs),
        mib(x.walBytes),
        x.arm === "with" ? String(x.forcedTruncates ?? 0) : "—",
        x.arm === "with" ? String(x.uploads ?? 0) : "—",
    ]);
    return `## 4. Write overhead

**Method.** The writer is the test writer's table, row (sequence number, commit time,
200-byte filler) and connection settings (WAL, \`busy_timeout\` 5000, autocommit, SQLite's
default \`synchronous\` here = ${sync} (NORMAL)), inserting back to back for
${duration(r.plan.overheadMs)} in a process of its own, on a fresh database each run. Arm
"with" runs the component's \`critical\` config (1 s sync) replicating it to the local
versitygw; arm "without" runs nothing else. Runs alternate without, with, without, with, ...
(${r.plan.overheadPairs} of each). Both arms share the machine's ${r.machine.nproc} cores, so
the ratio includes Litestream's CPU time as well as its locking. This is a saturation test: it
says nothing about commit latency at a bounded write rate, which is not measured here.

${table(
    ["arm", "runs", "inserts/s, median (min–max)", "slowest commit (max over runs)"],
    [
        [
            "without Litestream",
            String(o.without.n),
            spread(o.without, int),
            duration(slowest("without")),
        ],
        [
            "with Litestream (critical)",
            String(o.with.n),
            spread(o.with, int),
            duration(slowest("with")),
        ],
        ["with / without", "", `**${fixed(o.ratio, 2)}**`, ""],
    ],
)}

Every run, in the order they ran (WAL size when the writer stopped inserting; "forced
truncates" counts Litestream's \`forcing truncate checkpoint\` lines, which it logs once its
WAL passes about 500 MB):

${table(
    [
        "run",
        "arm",
        "inserts/s",
        "slowest commit",
        "WAL at the end",
        "forced truncates",
        "L0 uploads",
    ],
    runRows,
)}

**What the runs show.** Without Litestream the WAL ended at ${without.length ? range(without, (x) => x.walBytes, mib) : "?"}
(SQLite's own checkpoint at 1,000 pages). With it, no run kept the WAL small: Litestream keeps a
read transaction open on the database at all times (\`db.go\` \`acquireReadLock\`, let go only
around its own checkpoints), so SQLite cannot restart the WAL before Litestream has copied it,
and Litestream's checkpoints need the write lock, which a writer that never pauses keeps busy.
The "with" runs split two ways: ${[group(caught), group(forced)].filter((x) => x).join("; ")}.
In the second group Litestream fell further behind, its WAL passed the threshold at which it
forces a TRUNCATE checkpoint, which did not get the lock either, and the writer ran close to
full speed. Which way a run goes varies from run to run, so the median ratio above depends on
the split. ${verdict}

Litestream logged ${r.overhead.reduce((n, x) => n + (x.litestreamErrors ?? 0), 0)} errors; the writer saw ${r.overhead.reduce((n, x) => n + x.errors, 0)} failed inserts.
`;
}

const SOURCE_NAMES: Record<RequestSourceName, string> = {
    l0Uploads: "L0 uploads",
    compaction: "compaction",
    l0Retention: "L0 retention",
    snapshots: "snapshots",
};

function requestSection(r: BenchResults): string {
    const p = r.prices.providers;
    const windowRows = r.requests.map((w) => {
        const m = w.measured;
        const e = w.model.requests;
        const cell = (op: (typeof S3_OPERATIONS)[number]) => `${int(m[op])} / ${int(e[op])}`;
        const slices = summarize(w.sliceTotals);
        return [
            w.label,
            duration(w.toMs - w.fromMs),
            cell("PutObject"),
            cell("GetObject"),
            cell("ListObjectsV2"),
            cell("DeleteObjects"),
            `${int(m.CreateMultipartUpload + m.UploadPart + m.CompleteMultipartUpload)} / ${int(e.CreateMultipartUpload + e.UploadPart + e.CompleteMultipartUpload)}`,
            `${int(totalRequests(m))} / ${int(totalRequests(e))}`,
            `**${ratio(totalRequests(e), totalRequests(m))}**`,
            `${int(w.l0FilesCreated)} / ${int(w.model.l0FilesCreated)}`,
            `${int(slices.median)} (${int(slices.min)}–${int(slices.max)})`,
        ];
    });
    const put = (c: RequestCounts) =>
        c.PutObject + c.CreateMultipartUpload + c.UploadPart + c.CompleteMultipartUpload;
    const monthRows = r.requests
        .filter((w) => w.otherKeys === 0)
        .map((w) => {
            const scaled = scaleCounts(w.measured, monthScale(w));
            const model = modelMonth(w);
            return [
                w.label,
                int(totalRequests(scaled)),
                `${usd(price(scaled, p.r2))} / ${usd(price(scaled, p.s3))}`,
                int(put(model)),
                int(model.GetObject),
                int(model.ListObjectsV2),
                int(model.DeleteObjects),
                int(totalRequests(model)),
                `${usd(price(model, p.r2))} / ${usd(price(model, p.s3))}`,
            ];
        });
    const sourceRows = r.scenarios
        .filter((s) => oneASecond(s.input))
        .map((s) => {
            const bySource = requestRates(s.input).bySource;
            const cells = (Object.keys(SOURCE_NAMES) as RequestSourceName[]).map((name) => {
                const month = scaleCounts(bySource[name], MONTH_SECONDS);
                return `${int(totalRequests(month))} (${usd(price(month, p.r2))})`;
            });
            const total = requestsPerMonth(s.input);
            return [
                s.arm === "defaults" ? `${s.preset}, Litestream defaults` : s.preset,
                ...cells,
                `${int(totalRequests(total))} (${usd(price(total, p.r2))})`,
            ];
        });
    const scenarioRows = r.scenarios.map((s) => {
        const month = requestsPerMonth(s.input);
        return [
            s.arm === "defaults" ? `${s.preset}, Litestream defaults` : s.preset,
            describeWrites(s.input),
            int(put(month)),
            int(month.GetObject),
            int(month.ListObjectsV2),
            int(month.DeleteObjects),
            `${usd(price(month, p.r2))} / ${usd(price(month, p.s3))}`,
        ];
    });
    const timerRows = r.requests
        .filter((w) => !w.idle && w.otherKeys === 0)
        .map((w) => {
            const t = timersOf(w.input);
            const d = shortGoDuration;
            return [
                w.label,
                d(w.input.syncIntervalSeconds),
                d(t.monitorIntervalSeconds),
                d(t.checkpointIntervalSeconds),
                t.compactionIntervalsSeconds.map(d).join(", "),
                d(t.l0RetentionCheckIntervalSeconds),
                d(w.input.snapshotIntervalSeconds),
                d(w.input.retentionSeconds),
            ];
        });
    const first = r.requests[0];
    const writes = r.requests.find((w) => !w.idle)?.input.writes;
    const fill = r.requests.find((w) => w.otherKeys > 0);
    const plain = r.requests.find(
        (w) => w.preset === fill?.preset && w.arm === fill?.arm && !w.idle && w.otherKeys === 0,
    );
    const priceNotes = (["r2", "s3"] as const)
        .map((k) => {
            const x = p[k];
            const classes = x.classes
                .map(
                    (c) =>
                        `${c.name} ${usd(c.usdPerMillion)} per million (${c.operations.join(", ")})`,
                )
                .join("; ");
            return `- **${x.provider}**: ${classes}. Source: ${x.source} — ${x.sourceText.replace(/\.$/, "")}. ${x.notes.join(" ")}`;
        })
        .join("\n");
    return `## 5. Request cost

**Method.** Each config replicates one database, each world with its own versitygw, whose
access log (\`--access-log\`, one line a request with its S3 operation) is read between two
byte offsets: after a ${duration(r.plan.requestWarmupMs)} warm-up (Litestream's start-up
listings, its first snapshot and, for \`personal\`, its first monitor tick are left out) and
over a ${duration(r.plan.requestWindowMs)} window. The writes are the cost targets' pattern: the
test writer, one row a second (one row a transaction), in this process${writes ? ` (${describeWrites({ writes } as CostModelInput)}, derived from the row size and SQLite's page layout)` : ""}.
"Idle" worlds write nothing: their database (100 rows) was last written a day before
Litestream starts, so Litestream checkpoints at its first tick and the newest file of every
level holds two TXIDs, the worst case for an idle database. Every preset runs twice: with the
component's settings, and with Litestream's own timer defaults
(\`replication.litestreamDefaults: true\`). All windows ran side by side. A world checks at the
start that Litestream logged the compaction and L0-retention timers the config sets. Beside
each measurement, the cost model (\`components/litestream/cost.ts\`) estimates the same window
(\`simulateWindow\`): the same rules, applied to the timer ticks of that window, from the
rendered config, Litestream's start time (its "initialized db" line) and the write pattern;
nothing is fitted to the measurement. "L0 files" are the TXIDs Litestream cut in the window
(from its local files), uploaded or not.

The timers each config sets:

${table(
    [
        "config",
        "sync",
        "monitor",
        "checkpoint",
        "levels",
        "L0 retention check",
        "snapshot",
        "retention",
    ],
    timerRows,
)}

Measured / model, requests in the window:

${table(
    [
        "config",
        "window",
        "PutObject",
        "GetObject",
        "ListObjectsV2",
        "DeleteObjects",
        "multipart",
        "total",
        "model / measured",
        "L0 files cut",
        "requests a slice, median (min–max)",
    ],
    windowRows,
)}

The last column cuts the window into ${r.plan.requestSlices} equal slices (the spread of the rate; the
runs are one a config).${
        fill && plain
            ? ` The row "${fill.label}" is the ${fill.preset} config with ${int(fill.otherKeys)}
foreign objects put under its L1 prefix first: every L1 listing then reads
${Math.ceil(fill.otherKeys / 1000) + 1} pages instead of 1 (ListObjectsV2 ${int(fill.measured.ListObjectsV2)} against ${int(plain.measured.ListObjectsV2)}),
which is what a replica whose L1 has grown to that many files does.`
            : ""
    }

A month, two ways: the measured window scaled up (by ${first ? int(monthScale(first)) : "?"}×), and the model's steady state
(a replica old enough that its oldest snapshot expires, so that the levels stop growing);
prices at list price before free allowances (R2 / S3):

${table(
    [
        "config",
        "measured × scale: requests",
        "R2 / S3",
        "model month: PUT (incl. multipart)",
        "GET",
        "LIST",
        "DeleteObjects",
        "total",
        "R2 / S3",
    ],
    monthRows,
)}

Why the two differ, and why the model is the figure to use for a month:

- **Listings grow with retention.** L1 to Ln files are deleted only when a snapshot expires,
  so each level holds the retention plus one to two snapshot intervals, and every L1 compaction
  is followed by a listing of all of L1. A window measures a young replica (one page a level);
  the model's month lists the full levels. The listing growth itself is checked by the
  foreign-key row above. With Litestream's defaults this is the bill: L1 every 30 s, listed
  after each compaction and every 15 s.
- **Hourly events.** An hour-long window holds one of each hourly tick; snapshot and retention
  ticks of 6 h and 24 h fall outside it, and the model's month counts them.

Where a month of requests comes from, one row a second (model; R2 list price):

${table(["config", ...Object.values(SOURCE_NAMES), "total"], sourceRows)}

Model only, per database and month, for other write patterns (R2 / S3 at list price; "idle,
worst case" lists at every compaction tick, "idle, at rest" when the newest file of every level
holds one TXID):

${table(["config", "writes", "PUT", "GET", "LIST", "DeleteObjects", "R2 / S3"], scenarioRows)}

Prices (read on ${r.prices.readOn}):

${priceNotes}
`;
}

function describeWrites(input: CostModelInput): string {
    const w: WritePattern = input.writes;
    if (w.commitsPerSecond === 0)
        return input.idleAfterWrites ? "idle, worst case" : "idle, at rest";
    const rate =
        w.commitsPerSecond >= 1
            ? `${fixed(w.commitsPerSecond, w.commitsPerSecond % 1 === 0 ? 0 : 2)} commit${w.commitsPerSecond === 1 ? "" : "s"}/s`
            : `1 commit every ${duration(1000 / w.commitsPerSecond)}`;
    return `${rate}, ${fixed(w.walFramesPerCommit, 3)} WAL frames a commit`;
}

/**
 * The README's presets table: each preset's intervals, its measured loss window and its
 * modelled month, from a full run.
 */
export function renderPresetsTable(r: BenchResults): string {
    const p = r.prices.providers;
    const label: Record<string, string> = {
        personal: "`personal` (rare changes)",
        active: "`active` (frequent writes, default)",
        critical: "`critical`",
    };
    const rows = Object.values(ReplicationPreset).map((preset) => {
        const t = PRESETS[preset];
        const month = scenarioMonth(r, preset, "component", oneASecond);
        const idle = scenarioMonth(r, preset, "component", idleWorst);
        const defaults = scenarioMonth(r, preset, "defaults", oneASecond);
        const rpo = r.rpo.find((x) => x.preset === preset);
        const h = rpo && rpoHeadline(rpo);
        const loss =
            rpo && h
                ? derivedRpo(rpo)
                    ? `about ${duration(0.99 * rpo.syncSeconds * 1000)} (derived from ${rpo.samples.length} crashes)`
                    : `${duration(h.p99)} (${rpo.samples.length} crashes)`
                : "—";
        const files = (arm: Scenario["arm"]) => {
            const s = r.scenarios.find(
                (x) => x.preset === preset && x.arm === arm && oneASecond(x.input),
            );
            return s ? int(restoreFiles(s.input).worst) : "?";
        };
        const both = (c?: RequestCounts) =>
            c ? `${usd(price(c, p.r2))} / ${usd(price(c, p.s3))}` : "?";
        return [
            label[preset],
            t.syncInterval,
            t.snapshotInterval,
            `${t.retention} (${Number.parseInt(t.retention) / 24} days)`,
            loss,
            both(month),
            idle ? `${int(totalRequests(idle))} requests, ${both(idle)}` : "?",
            both(defaults),
            `${files("component")} (${files("defaults")})`,
        ];
    });
    const windows = r.requests.filter(
        (w) => w.otherKeys === 0 && w.arm === "component" && totalRequests(w.measured) > 0,
    );
    const ratios = windows.map((w) => totalRequests(w.model.requests) / totalRequests(w.measured));
    return `${presetsTable(rows)}

From \`npm run bench\` on ${r.generatedAt.slice(0, 10)} ([BENCHMARKS.md](BENCHMARKS.md)): the loss windows were
measured with the real Litestream ${r.machine.versions.litestream ?? ""} running the component's config; the costs are the component's
request model (\`components/litestream/cost.ts\`) for a replica old enough that its oldest
snapshot expires, at list price before the free allowances. Over ${windows.length} windows of
${duration(r.plan.requestWindowMs)} (each preset written once a second, and idle), the model's
requests were ${fixed(Math.min(...ratios), 2)}–${fixed(Math.max(...ratios), 2)} times those counted on the S3 server.

${criticalTradeOff(r)}

${drillCostTable(r)}`;
}

/**
 * What the verifier's restore drills add (model, one database, a drill every
 * `verify.interval`'s default), and how the measured drills compared with the model.
 */
function drillCostTable(r: BenchResults): string {
    const p = r.prices.providers;
    const interval = durationSeconds(DEFAULT_VERIFY_INTERVAL);
    const rows = Object.values(ReplicationPreset).map((preset) => {
        const find = (match: (input: CostModelInput) => boolean) =>
            r.scenarios.find((x) => x.preset === preset && x.arm === "component" && match(x.input));
        const busy = find(oneASecond);
        const idle = find(idleWorst);
        if (!busy || !idle) return [`\`${preset}\``, "?", "?", "?", "?"];
        const one = drillRequests(busy.input);
        const month = drillRequestsPerMonth(busy.input, interval);
        const idleMonth = drillRequestsPerMonth(idle.input, interval);
        const share = totalRequests(month) / totalRequests(requestsPerMonth(busy.input));
        const money = (c: RequestCounts) =>
            `${int(totalRequests(c))}: ${usd(price(c, p.r2))} / ${usd(price(c, p.s3))}`;
        return [
            `\`${preset}\``,
            `${fixed(one.ListObjectsV2, 0)} / ${fixed(one.GetObject, 0)}`,
            money(month),
            `${fixed(share * 100, 2)}%`,
            money(idleMonth),
        ];
    });
    const measured = r.drill
        ? `\nMeasured once against the model in [BENCHMARKS.md](BENCHMARKS.md#6-restore-drills) (a
${r.drill.sizeMiB} MiB database replicated with \`active\`: ${r.drill.runs.length} drills, LIST / GET counted
${r.drill.runs.map((d) => `${d.measured.ListObjectsV2} / ${d.measured.GetObject}`).join(", ")} against the model's ${r.drill.runs
              .map((d) => `${fixed(d.model.ListObjectsV2, 0)} / ${fixed(d.model.GetObject, 1)}`)
              .join(", ")}).`
        : "";
    return `Restore drills ([Is my backup good?](#is-my-backup-good-restore-drills)) add little to
that (model, \`drillRequests\` in the same file; one database, one drill every
${DEFAULT_VERIFY_INTERVAL}, the default \`verify.interval\`):

| preset | requests a drill, written once a second: LIST / GET (average) | a month of drills: requests, R2 / S3 at list price | share of replication's requests | same, idle database |
|---|---|---|---|---|
${rows.map((row) => `| ${row.join(" | ")} |`).join("\n")}
${measured}`;
}

/** The critical preset's level-1 interval: what it costs and what a restore reads (model). */
function criticalTradeOff(r: BenchResults): string {
    const p = r.prices.providers;
    const base = r.scenarios.find(
        (x) =>
            x.preset === ReplicationPreset.Critical && x.arm === "component" && oneASecond(x.input),
    );
    const defaults = r.scenarios.find(
        (x) =>
            x.preset === ReplicationPreset.Critical && x.arm === "defaults" && oneASecond(x.input),
    );
    if (!base || !defaults) return "";
    const chosen = timersOf(base.input).compactionIntervalsSeconds;
    const row = (label: string, input: CostModelInput) => {
        const idle = requestsPerMonth({
            ...input,
            writes: { commitsPerSecond: 0, walFramesPerCommit: 1 },
            idleAfterWrites: true,
        });
        return [
            label,
            usd(price(requestsPerMonth(input), p.r2)),
            int(totalRequests(idle)),
            int(restoreFiles(input).worst),
        ];
    };
    const rows = [
        row("Litestream's defaults (30 s, 5 min, 1 h; cleanup every 15 s)", defaults.input),
    ];
    for (const l1 of [60, 90, 120, 150, 180, 300]) {
        const levels = [l1, ...chosen.slice(1)];
        const input = {
            ...base.input,
            timers: { ...base.input.timers, compactionIntervalsSeconds: levels },
        };
        const label = levels.map(shortGoDuration).join(", ");
        rows.push(
            row(levels.join() === chosen.join() ? `**${label}** (the preset)` : label, input),
        );
    }
    const x = chainRatio(r, ReplicationPreset.Critical);
    return `\`critical\`'s level-1 interval, the one choice that trades cost against restores (model, one
database written once a second, R2 list price; the component's other settings):

${table(
    ["levels", "a month", "idle, requests a month (worst case)", "objects a restore reads at most"],
    rows,
)}
${
    x
        ? `
Measured (BENCHMARKS.md, section 3): a ${int(x.c.dbBytes / 1024 ** 2)} MiB database restored just before a level-1
tick took ${fixed(x.ratio, 2)}× as long as with Litestream's defaults (${duration(summarize(x.c.restoreMs).median)} against ${duration(summarize(x.d.restoreMs).median)},
${x.c.gets} objects against ${x.d.gets}) on a local S3 server.`
        : ""
}`;
}

function presetsTable(rows: string[][]): string {
    return `${table(
        [
            "preset",
            "sync",
            "snapshot",
            "retention",
            "data lost by a crash, p99 (measured)",
            "requests a month, one database written once a second: R2 / S3",
            "same, idle database (worst case)",
            "same with Litestream's defaults (`litestreamDefaults: true`)",
            "objects a restore reads at most (with Litestream's defaults)",
        ],
        rows,
    )}`;
}

export function renderMarkdown(r: BenchResults): string {
    const m = r.machine;
    const versions = Object.entries(m.versions)
        .map(([k, v]) => `${k} ${v}`)
        .join(", ");
    const phases = Object.entries(r.phaseMs)
        .map(([k, v]) => `${k} ${duration(v)}`)
        .join(", ");
    return `# Benchmarks

Generated by \`npm run bench\` (bench/run.ts${r.plan.quick ? ", quick mode" : ""}) on ${r.generatedAt}; the whole run took
${duration(r.totalMs)} (${phases}). Timings are measured here and never asserted in tests.

## Headline ratios

${headlines(r)
    .map((l) => `- ${l}`)
    .join("\n")}

${targetsSection(r)}
## Machine and versions

| | |
|---|---|
| CPU | ${m.cpuModel}, ${m.nproc} cores (nproc) |
| memory | ${fixed(m.memoryGiB, 1)} GiB |
| kernel | ${m.kernel} |
| OS | ${m.os}; temp files on ${m.tmpFilesystem} |
| versions | ${versions} |

Litestream and versitygw are the binaries \`npm run deps\` builds from Go modules
(\`.deps/bin\`), run on this host with a minimal environment. Every benchmark runs the
component's own rendered config (\`renderWithComponent\` under Pulumi mocks), never a
hand-written one. The S3 server is versitygw (posix backend) on 127.0.0.1: no network latency,
so upload and download times are lower bounds for R2 or S3.

## How to reproduce

\`\`\`sh
npm ci && npm run deps     # Go needed once, builds .deps/bin/litestream and versitygw
npm run bench              # about 90 minutes; writes BENCHMARKS.md, the README's presets table
                           # and .bench/results.json
BENCH_QUICK=1 npm run bench   # about 10 minutes, smaller runs; writes .bench/BENCHMARKS.quick.md
BENCH_ONLY=drill npm run bench   # only the restore drills; prints them, writes .bench/drill.json
\`\`\`

\`BENCH_OUT=<file>\` writes the report elsewhere (and leaves the README alone);
\`BENCH_RENDER=.bench/results.json npm run bench\` renders the report again from a saved run
without measuring. The timing-sensitive measurements (sections 1, 2 and 4) run first; the
long, side-by-side ones (sections 3 and 5) after, then the restore drills (section 6). The cost model's tests are in
\`test/unit/cost.test.ts\` (\`npm run test:unit\`).

${rpoSection(r)}
${rtoSection(r)}
${chainSection(r)}
${overheadSection(r)}
${requestSection(r)}
${r.drill ? drillSection(r.drill) : ""}## The cost model

\`components/litestream/cost.ts\` is pure (no Pulumi, no I/O) and takes the sync interval,
snapshot interval, retention, Litestream's timers (monitor and checkpoint intervals, the
checkpoint page count, the compaction levels, L0 retention and its check interval; Litestream's
defaults where the config sets none), whether Litestream deletes, the number of databases and
the write pattern (commits a second, WAL frames a commit, optionally LTX bytes a second and the
snapshot size for multipart uploads). Its structure comes from Litestream 0.5.16's source, as
four sources of requests: L0 uploads (one L0 file a monitor tick with changes plus one a
checkpoint, PASSIVE at 1,000 WAL frames or at the first tick past the checkpoint interval, each
one PutObject); compaction (clock-aligned, each level listing the level below in full at every
tick while it is behind, reading its files, GET except L0, which is local, and uploading one
file); L0 retention (every check interval and after each L1 compaction: lists all of L1, then
L0; one DeleteObjects for files older than the retention); and snapshots (every snapshot
interval when the database changed, then snapshot retention, which lists L9 and every level and
deletes what is older than the newest expired snapshot). Listings come in pages of 1,000 keys,
deletes in batches of 1,000, uploads of 5 MiB and more as multipart. \`requestRates\` /
\`requestsPerMonth\` give steady-state averages, by source; \`simulateWindow\` applies the same
rules tick by tick to a window of a run (what the tables above compare), with Litestream's
schedule: the monitor and L0-retention tickers count from the start, the replica's sync ticker
from the first monitor tick, and the compaction monitors retry a database that is not open yet
every second for 30 s before they wait for their clock-aligned tick. \`restoreFiles\` counts
the objects a restore reads. Not modelled: retries after errors, restores other than the
drills below, and LTX compression (file sizes only matter above 5 MiB). Priced with \`priceRequests\` and the list prices in
\`bench/prices.json\`.
\`drillRequests\`/\`drillRequestsPerMonth\` add the verifier's restore drills: the restore plan
listed twice (snapshot level and levels 8 to 0), one GET for the latest snapshot and for each
file after it (widest level first), one more L0 listing for the freshness check.
`;
}

/** The restore drills section: time and requests of each drill, beside the model. */
export function drillSection(d: DrillResult): string {
    const rows = d.runs
        .map(
            (run) =>
                `| ${run.label} | ${int(run.secondsSinceSnapshot)} s | ${fixed(run.reportedMs / 1000, 2)} s | ${int(run.bytesRead)} | ${run.measured.ListObjectsV2} / ${run.measured.GetObject} | ${fixed(run.model.ListObjectsV2, 1)} / ${fixed(run.model.GetObject, 1)} |`,
        )
        .join("\n");
    return `## 6. Restore drills

The verifier's own script (rendered by the component, paths mapped onto this host) drilled a
${d.sizeMiB} MiB database (${int(d.dbBytes)} bytes) that the component's \`active\` config
replicates, first idle since its snapshot, then after the test writer had written to it. Its
requests are counted on the server's access log by the drill's own credential (the sidecar
kept replicating meanwhile), beside \`drillRequests\` for the same moment.

| drill | since the snapshot | time | bytes read | LIST / GET measured | LIST / GET model |
|---|---|---|---|---|---|
${rows}

`;
}
