/**
 * Renders the benchmark results as BENCHMARKS.md (and the same tables for the console).
 */
import type { DrillResult } from "./drill";
import {
    CostModelInput,
    MONTH_SECONDS,
    priceRequests,
    ProviderRequestPrices,
    RequestCounts,
    requestsPerMonth,
    S3_OPERATIONS,
    scaleCounts,
    totalRequests,
    WritePattern,
} from "../components/litestream/cost";
import { ReplicationPreset } from "../components";
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
}

export interface RpoResult {
    preset: string;
    syncSeconds: number;
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

export interface BenchResults {
    generatedAt: string;
    totalMs: number;
    phaseMs: Record<string, number>;
    machine: MachineInfo;
    plan: Plan;
    rpo: RpoResult[];
    rto: RtoResult[];
    overhead: OverheadRun[];
    requests: (RequestWindow & { preset: string })[];
    prices: PriceFile;
    scenarios: { preset: string; input: CostModelInput }[];
    /** Restore drills (bench/drill.ts); absent from runs made before they were measured. */
    drill?: DrillResult;
}

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

// --- the report ---------------------------------------------------------------------------

export function headlines(r: BenchResults): string[] {
    const lines: string[] = [];
    for (const rpo of r.rpo) {
        const h = rpoHeadline(rpo);
        if (rpo.syncSeconds >= 3600) {
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
    const o = overheadRatio(r.overhead);
    const withRuns = r.overhead.filter((x) => x.arm === "with");
    const forced = withRuns.filter((x) => (x.forcedTruncates ?? 0) > 0).length;
    lines.push(
        `inserts/s with / without replication: **${fixed(o.ratio, 2)}** ` +
            `(${int(o.with.median)} vs ${int(o.without.median)}, writer saturating the database; ` +
            `in ${forced} of ${withRuns.length} runs Litestream fell behind and its WAL ran away instead, see section 3)`,
    );
    for (const w of r.requests) {
        lines.push(
            `model / measured requests, ${w.label}: **${ratio(totalRequests(w.model.requests), totalRequests(w.measured))}** ` +
                `(${int(totalRequests(w.model.requests))} vs ${int(totalRequests(w.measured))} in ${duration(w.toMs - w.fromMs)})`,
        );
    }
    return lines;
}

function rpoSection(r: BenchResults): string {
    const rows = r.rpo.map((rpo) => {
        const h = rpoHeadline(rpo);
        const since = summarize(rpo.samples.map((s) => s.sinceLastUploadMs));
        const lost = summarize(rpo.samples.map((s) => s.rowsCommitted - s.rowsRestored));
        const sync =
            rpo.syncSeconds >= 3600 ? `${rpo.syncSeconds / 3600} h` : `${rpo.syncSeconds} s`;
        const perSync =
            rpo.syncSeconds >= 3600 ? `(${fixed(h.perSync, 3)} of the hour)` : fixed(h.perSync, 2);
        return [
            rpo.preset,
            sync,
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
    const personal = r.rpo.find((x) => x.syncSeconds >= 3600);
    if (personal) {
        const S = personal.syncSeconds * 1000;
        rows.push([
            `${personal.preset}, full hour (derived)`,
            `${personal.syncSeconds / 3600} h`,
            "—",
            "uniform over the hour",
            duration(0.5 * S),
            duration(0.99 * S),
            duration(S + 1000),
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
between the two largest windows.

${table(
    [
        "preset",
        "sync interval",
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
matter). With a 1 h sync interval Litestream uploads once at start and then only on the hour,
so each measured window is the time since that upload: the measured window / time-since-upload
ratio was ${ratios.length ? `${fixed(percentile(ratios, 50), 3)} (${fixed(Math.min(...ratios), 3)}–${fixed(Math.max(...ratios), 3)})` : "n/a"}.
What these runs show is that nothing is uploaded between syncs (the window grows one for one
with time); they do not sample the hour. The full-hour row is derived from that, not
measured: a crash at a moment uniform over the hour loses U(0, 1 h) of writes plus up to one
1 s WAL tick, so p50 ≈ 30 min, p99 ≈ 59.4 min, max ≈ 1 h. Two limits: a database that was idle
for longer than the sync interval uploads its next change at once (Litestream's replica waits
for a change and is then notified), so a rarely written database does better than this; and
the crash here takes Litestream and the app down together with the host intact (SIGKILL, no
power loss), so what SQLite committed to the WAL survives locally until the volume is lost.
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
    return `## 3. Write overhead

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
    const monthRows = r.requests
        .filter((w) => w.otherKeys === 0)
        .map((w) => {
            const scaled = scaleCounts(w.measured, monthScale(w));
            const model = requestsPerMonth(w.input);
            return [
                w.label,
                int(totalRequests(scaled)),
                `${usd(price(scaled, p.r2))} / ${usd(price(scaled, p.s3))}`,
                int(
                    model.PutObject +
                        model.CreateMultipartUpload +
                        model.UploadPart +
                        model.CompleteMultipartUpload,
                ),
                int(model.GetObject),
                int(model.ListObjectsV2),
                int(model.DeleteObjects),
                int(totalRequests(model)),
                `${usd(price(model, p.r2))} / ${usd(price(model, p.s3))}`,
            ];
        });
    const scenarioRows = r.scenarios.map(({ preset, input }) => {
        const month = requestsPerMonth(input);
        return [
            preset,
            describeWrites(input.writes),
            int(
                month.PutObject +
                    month.CreateMultipartUpload +
                    month.UploadPart +
                    month.CompleteMultipartUpload,
            ),
            int(month.GetObject),
            int(month.ListObjectsV2),
            int(month.DeleteObjects),
            `${usd(price(month, p.r2))} / ${usd(price(month, p.s3))}`,
        ];
    });
    const first = r.requests[0];
    const writes = first ? first.input.writes : undefined;
    const fill = r.requests.find((w) => w.otherKeys > 0);
    const plain = r.requests.find((w) => w.preset === fill?.preset && w.otherKeys === 0);
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
    return `## 4. Request cost

**Method.** Each preset's config replicates one database under the same fixed write load: the
test writer at 50 rows/s (one row a transaction), in this process. Each world has its own
versitygw, whose access log (\`--access-log\`, one line a request with its S3 operation) is
read between two byte offsets: after a ${duration(r.plan.requestWarmupMs)} warm-up (Litestream's
start-up listings and first snapshot are left out) and over a ${duration(r.plan.requestWindowMs)}
window (the issue's 10 minutes${r.plan.requestWindowMs < 600_000 ? "; this run used a shorter window" : ""}). The windows ran side by side. The
count is scaled to a 30-day month by ${first ? int(monthScale(first)) : "?"}×. Beside each
measurement, the cost model (\`components/litestream/cost.ts\`) estimates the same window
(\`simulateWindow\`): the same rules, applied to the timer ticks of that window, from the
rendered config, Litestream's start time (its "initialized db" line) and the write pattern
${writes ? `(${describeWrites(writes)}, derived from the row size and SQLite's page layout)` : ""}; nothing is fitted
to the measurement. "L0 files" are the TXIDs Litestream cut in the window (from its local
files), uploaded or not.

Measured / model, requests in the window:

${table(
    [
        "preset",
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
runs are one a preset).${
        fill && plain
            ? ` The row "${fill.label}" is the ${fill.preset} config with ${int(fill.otherKeys)}
foreign objects put under its L1 prefix first: every L1 listing then reads
${Math.ceil(fill.otherKeys / 1000) + 1} pages instead of 1 (ListObjectsV2 ${int(fill.measured.ListObjectsV2)} against ${int(plain.measured.ListObjectsV2)}),
which is what a replica whose L1 has grown to that many files does.`
            : ""
    }

A month, two ways: the measured window scaled up, and the model's steady state (a replica old
enough that its oldest snapshot expires, so that L1 to L3 stop growing); prices at list price
before free allowances (R2 / S3):

${table(
    [
        "preset",
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

- **Uploads do not shrink with the sync interval.** Litestream cuts one L0 file a second
  whenever the database changed (plus one a checkpoint) and uploads each as its own PutObject;
  the sync interval only batches them. A \`personal\` window between two hourly syncs uploads
  nothing (its measured month is far too low), yet it cut as many L0 files as the others, and
  all of them go out at the next sync.
- **Listings grow with retention.** L1 files (one every 30 s while writes go on) are deleted
  only when a snapshot expires, so L1 holds the retention plus one to two snapshot intervals
  (\`critical\`: 729 h, about 87,000 files), and L1 is listed in full every 15 s and after
  every L1 compaction: about 88 pages each time in steady state against 1 in a fresh
  replica. The window measures a fresh replica; the listing growth itself is checked by the
  foreign-key row above.
- **An idle database is not free.** Once written, each level is listed at every compaction
  tick and L1/L0 every 15 s even with nothing to do (below, "idle").

Model only, per database and month, for other write patterns (R2 / S3 at list price):

${table(["preset", "writes", "PUT", "GET", "LIST", "DeleteObjects", "R2 / S3"], scenarioRows)}

Prices (read on ${r.prices.readOn}):

${priceNotes}
`;
}

function describeWrites(w: WritePattern): string {
    if (w.commitsPerSecond === 0) return "idle (written once, then never)";
    const rate =
        w.commitsPerSecond >= 1
            ? `${fixed(w.commitsPerSecond, w.commitsPerSecond % 1 === 0 ? 0 : 2)} commit${w.commitsPerSecond === 1 ? "" : "s"}/s`
            : `1 commit every ${duration(1000 / w.commitsPerSecond)}`;
    return `${rate}, ${fixed(w.walFramesPerCommit, 3)} WAL frames a commit`;
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
npm run bench              # 20-25 minutes; writes BENCHMARKS.md and .bench/results.json
BENCH_QUICK=1 npm run bench   # about 4 minutes, smaller runs; writes .bench/BENCHMARKS.quick.md
BENCH_ONLY=drill npm run bench   # only the restore drills; prints them, writes .bench/drill.json
\`\`\`

\`BENCH_OUT=<file>\` writes the report elsewhere; \`BENCH_RENDER=.bench/results.json npm run bench\`
renders the report again from a saved run without measuring. The cost model's tests are in
\`test/unit/cost.test.ts\` (\`npm run test:unit\`).

${rpoSection(r)}
${rtoSection(r)}
${overheadSection(r)}
${requestSection(r)}
${r.drill ? drillSection(r.drill) : ""}## The cost model

\`components/litestream/cost.ts\` is pure (no Pulumi, no I/O) and takes the sync interval,
snapshot interval, retention, whether Litestream deletes, the number of databases and the
write pattern (commits a second, WAL frames a commit, optionally LTX bytes a second and the
snapshot size for multipart uploads). Its structure comes from Litestream 0.5.16's source:
one L0 file a 1 s WAL tick with changes plus one a checkpoint (PASSIVE at 1,000 WAL frames,
otherwise after a minute), each one PutObject; clock-aligned compactions to L1 (30 s), L2
(5 min), L3 (1 h), each listing the level below in full, reading its files (GET, except L0,
which is local) and uploading one file; a snapshot every snapshot interval when the database
changed, then snapshot retention (lists L9, L1, L2, L3; deletes what is older than the newest
expired snapshot); L0 retention every 15 s and after each L1 compaction (lists all of L1, then
L0; one DeleteObjects for files older than 5 min); listings in pages of 1,000 keys, deletes in
batches of 1,000, uploads of 5 MiB and more as multipart. \`requestRates\`/\`requestsPerMonth\`
give steady-state averages; \`simulateWindow\` applies the same rules tick by tick to a window
of a run (what the tables above compare). Not modelled: Litestream's one-time start-up
listings, retries after errors, restores, and LTX compression (file sizes only matter above
5 MiB). Priced with \`priceRequests\` and the list prices in \`bench/prices.json\`.
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
    return `## 5. Restore drills

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
