/**
 * What the real-data scenarios share: an S3 server with a bucket, the component rendered
 * under mocks against it, and the component's own pieces run on this host: the Litestream
 * config the sidecar gets, the restore gate's command, and the sidecar's health check.
 *
 * The databases live in a host folder that is passed to the component as `app.dataDir`, so
 * the database paths in the rendered config are host paths and need no rewriting. Paths the
 * containers hold that are not under `dataDir` (the uploaded config, the health check
 * script, Litestream's control socket) are mapped to files in a folder of the test: only
 * those path strings are rewritten, nothing else.
 *
 * The sidecar's start script (one writer per replica, components/plan/claim.ts) is not run
 * here: `litestream replicate` is started directly, as the script ends up doing, and the
 * script's state folder holds what the health check reads of it (Litestream's pid). The
 * claim itself is run for real end to end (test/e2e/server-move.test.ts).
 */
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { SIDECAR_SCRIPT_PATH, SIDECAR_STATE_DIR } from "../../components/plan/paths";
import type { Registered } from "./mocks";
import { renderWithComponent, Rendered, s3CompatibleArgs } from "./program";
import { litestreamEnv, restoreTo, runLitestream, startReplicate } from "./litestream";
import { runProc, sleep, tempDir } from "./procs";
import { S3Keys, S3Server, startS3Server } from "./s3-server";
import { DatabaseContent, firstHole, lossWindowMs, readDatabase, Writer } from "./sqlite-writer";

const CONTAINER = "docker:index/container:Container";

/** A container the component registered. */
export interface ContainerSpec {
    name: string;
    command: string[];
    uploads: { file: string; content: string }[];
    healthcheck?: { tests?: string[] };
    envs: string[];
}

function containers(rendered: Rendered): ContainerSpec[] {
    return rendered.resources
        .filter((r: Registered) => r.type === CONTAINER)
        .map((r) => ({
            name: r.name,
            command: (r.inputs.command as string[] | undefined) ?? [],
            uploads: (
                (r.inputs.uploads as { file: string; content?: string }[] | undefined) ?? []
            ).map((u) => ({ file: u.file, content: u.content ?? "" })),
            healthcheck: r.inputs.healthcheck as { tests?: string[] } | undefined,
            envs: (r.inputs.envs as string[] | undefined) ?? [],
        }));
}

/** The sidecar: the container that runs `litestream replicate` (through its start script). */
export function sidecarSpec(rendered: Rendered): ContainerSpec {
    const found = containers(rendered).filter(
        (c) => c.command.includes("replicate") || c.command.includes(SIDECAR_SCRIPT_PATH),
    );
    if (found.length !== 1) {
        throw new Error(`expected one container running \`replicate\`, found ${found.length}`);
    }
    return found[0];
}

/** The restore gate: every container whose command starts with `restore`. */
export function restoreSpecs(rendered: Rendered): ContainerSpec[] {
    return containers(rendered).filter((c) => c.command[0] === "restore");
}

/** The component's rendering, mapped onto one host folder. */
export class HostDeployment {
    /** Host folder for the config, the health check script and the control socket. */
    readonly etc: string;
    /** Host path of the config the sidecar reads. */
    readonly configPath: string;
    /** Container path -> host path, for paths outside `dataDir`. */
    readonly pathMap = new Map<string, string>();
    readonly sidecar: ContainerSpec;
    readonly restores: ContainerSpec[];
    /** Host folder of the sidecar script's state (SIDECAR_STATE_DIR). */
    readonly stateDir: string;

    constructor(
        readonly rendered: Rendered,
        /** The container path of the config, as the sidecar command names it. */
        readonly containerConfigPath: string,
        etc: string,
    ) {
        this.etc = etc;
        this.sidecar = sidecarSpec(rendered);
        this.restores = restoreSpecs(rendered);
        for (const u of this.sidecar.uploads) {
            this.pathMap.set(u.file, path.join(etc, path.basename(u.file)));
        }
        this.stateDir = path.join(etc, "sidecar-state");
        this.pathMap.set(SIDECAR_STATE_DIR, this.stateDir);
        const socket = (parse(rendered.config) as { socket?: { path?: string } }).socket?.path;
        if (socket) this.pathMap.set(socket, path.join(etc, "litestream.sock"));
        // Control sockets the health check names (it may name one the config leaves at
        // Litestream's default): never the host's own /var/run.
        for (const u of this.sidecar.uploads) {
            for (const sock of u.content.match(/\/[\w./-]+\.sock\b/g) ?? []) {
                if (!this.pathMap.has(sock))
                    this.pathMap.set(sock, path.join(etc, path.basename(sock)));
            }
        }
        // The file every Litestream container gets must be the component's output, unchanged.
        for (const spec of [this.sidecar, ...this.restores]) {
            const upload = spec.uploads.find((u) => u.file === containerConfigPath);
            if (upload && upload.content !== rendered.config) {
                throw new Error(
                    `${spec.name} uploads a ${containerConfigPath} that is not the litestreamConfig output`,
                );
            }
        }
        this.configPath = this.pathMap.get(containerConfigPath) ?? path.join(etc, "litestream.yml");
        this.pathMap.set(containerConfigPath, this.configPath);
        this.writeFiles(rendered.config);
    }

    /** The credential in the sidecar's environment, as the component registers it. */
    get keys(): S3Keys {
        const env = new Map(
            this.sidecar.envs.map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]),
        );
        const accessKeyId = env.get("LITESTREAM_ACCESS_KEY_ID");
        const secretAccessKey = env.get("LITESTREAM_SECRET_ACCESS_KEY");
        if (accessKeyId === undefined || secretAccessKey === undefined) {
            throw new Error(
                `the sidecar's environment holds no Litestream credential: ${[...env.keys()]}`,
            );
        }
        return { accessKeyId, secretAccessKey };
    }

    /** Rewrites only the mapped container paths in `text`. */
    mapPaths(text: string): string {
        let out = text;
        // Longest first, so that no path is rewritten inside a longer one.
        for (const [from, to] of [...this.pathMap].sort((a, b) => b[0].length - a[0].length)) {
            out = out.split(from).join(to);
        }
        return out;
    }

    /**
     * Writes the sidecar's uploaded files to their host paths; the config is the one the
     * sidecar gets (`config`, normally the component's output, which the upload must equal).
     */
    writeFiles(config: string): void {
        mkdirSync(this.etc, { recursive: true });
        for (const u of this.sidecar.uploads) {
            const content = u.file === this.containerConfigPath ? config : u.content;
            writeFileSync(this.pathMap.get(u.file) as string, this.mapPaths(content), {
                mode: 0o755,
            });
        }
        if (!this.sidecar.uploads.some((u) => u.file === this.containerConfigPath)) {
            writeFileSync(this.configPath, this.mapPaths(config));
        }
    }

    /**
     * `litestream replicate` as the sidecar runs it, on the host config; its pid where the
     * sidecar script keeps it, so that the health check takes it as started.
     */
    startReplicate(keys: S3Keys = this.keys) {
        const litestream = startReplicate(this.configPath, keys);
        mkdirSync(this.stateDir, { recursive: true });
        writeFileSync(
            path.join(this.stateDir, "litestream.pid"),
            `${litestream.proc.child.pid ?? ""}\n`,
        );
        return litestream;
    }

    /**
     * Runs the restore gate: each restore container's command, exactly as registered, with
     * only the config path swapped for the host file.
     */
    async runRestoreGate(keys: S3Keys = this.keys) {
        if (this.restores.length === 0)
            throw new Error("the component registered no restore container");
        const results = [];
        for (const spec of this.restores) {
            const args = this.restoreArgs(spec);
            results.push({ args, ...(await runLitestream(args, keys, 120_000)) });
        }
        return results;
    }

    /** A restore container's command with the config path swapped. */
    restoreArgs(spec: ContainerSpec): string[] {
        const args = [...spec.command];
        const i = args.indexOf("-config");
        if (i >= 0) {
            args[i + 1] = this.mapPaths(args[i + 1]);
        } else {
            // Litestream's default config path; the gate relies on it, so point it at the host file.
            args.splice(1, 0, "-config", this.configPath);
        }
        return args;
    }

    /**
     * Runs the sidecar's health check `test` on this host: `.deps/bin` on PATH, the sidecar's
     * credential in the environment, container paths outside `dataDir` (config, script,
     * control socket) rewritten to the host files.
     */
    async runHealthcheck(keys: S3Keys = this.keys) {
        const tests = this.sidecar.healthcheck?.tests;
        if (!tests || tests.length < 2) throw new Error("the sidecar has no health check test");
        const [kind, ...rest] = tests;
        let argv: string[];
        if (kind === "CMD") argv = rest.map((a) => this.mapPaths(a));
        else if (kind === "CMD-SHELL") argv = ["/bin/sh", "-c", this.mapPaths(rest.join(" "))];
        else throw new Error(`unsupported health check ${JSON.stringify(tests)}`);
        const result = await runProc("healthcheck", argv[0], argv.slice(1), {
            env: litestreamEnv(keys),
            timeoutMs: 60_000,
        });
        return { argv, ...result };
    }
}

/** A scenario's world: server, bucket, data folder and the rendered component. */
export interface World {
    s3: S3Server;
    bucket: string;
    dataDir: string;
    /** Scratch folder for restores. */
    scratch: string;
    rendered: Rendered;
    host: HostDeployment;
    /** Host paths of the databases, in `app.databases` order. */
    dbs: string[];
}

/** The container path of the config the sidecar reads: the argument after `-config`. */
function sidecarConfigPath(rendered: Rendered): string {
    const cmd = sidecarSpec(rendered).command;
    const i = cmd.indexOf("-config");
    return i >= 0 ? cmd[i + 1] : "/etc/litestream.yml";
}

/**
 * Starts a server, creates a bucket, and renders the component (provider `s3-compatible`)
 * against it with `options`; `keys` overrides the credential handed to the component.
 */
export async function createWorld(
    name: string,
    options: {
        databases: string[];
        appendOnly?: boolean;
        snapshotInterval?: string;
        retention?: string;
        keys?: (s3: S3Server, bucket: string) => Promise<S3Keys> | S3Keys;
        s3?: S3Server;
        bucket?: string;
    },
): Promise<World> {
    const s3 = options.s3 ?? (await startS3Server());
    const bucket = options.bucket ?? `${name}-bucket`;
    if (!options.s3) await s3.createBucket(bucket);
    const keys = options.keys ? await options.keys(s3, bucket) : s3.root;
    const dataDir = tempDir(`${name}-data`);
    const rendered = await renderWithComponent(
        name,
        s3CompatibleArgs({
            endpoint: s3.endpoint,
            bucket,
            accessKeyId: keys.accessKeyId,
            secretAccessKey: keys.secretAccessKey,
            dataDir,
            databases: options.databases,
            syncInterval: "1s",
            snapshotInterval: options.snapshotInterval,
            retention: options.retention,
            appendOnly: options.appendOnly,
        }),
    );
    const host = new HostDeployment(rendered, sidecarConfigPath(rendered), tempDir(`${name}-etc`));
    return {
        s3,
        bucket,
        dataDir,
        scratch: tempDir(`${name}-restore`),
        rendered,
        host,
        dbs: options.databases.map((d) => path.join(dataDir, d)),
    };
}

let restoreN = 0;

/** Restores `db` from the replica into a new file of `scratch` and reads it. */
export async function restoreAndRead(
    world: World,
    db: string,
    configPath = world.host.configPath,
): Promise<{
    content?: DatabaseContent;
    code: number | null;
    output: string;
    durationMs: number;
    file: string;
}> {
    const file = path.join(world.scratch, `${path.basename(db)}.${++restoreN}.restored`);
    const r = await restoreTo(configPath, db, file, world.host.keys);
    const content = r.code === 0 && existsSync(file) ? readDatabase(file) : undefined;
    return { content, code: r.code, output: r.output, durationMs: r.durationMs, file };
}

/**
 * Restores repeatedly until the replica holds row `seq` of `db`; returns how long that took.
 * Fails after `timeoutMs`.
 */
export async function waitForReplica(
    world: World,
    db: string,
    seq: number,
    timeoutMs: number,
): Promise<{ elapsedMs: number; content: DatabaseContent }> {
    const started = Date.now();
    let last = "";
    for (;;) {
        const r = await restoreAndRead(world, db);
        const max = r.content?.seqs.at(-1) ?? 0;
        rmSync(r.file, { force: true });
        for (const suffix of ["-wal", "-shm"]) rmSync(r.file + suffix, { force: true });
        if (r.content && max >= seq) return { elapsedMs: Date.now() - started, content: r.content };
        last = `restore exit ${r.code}, max seq ${max}: ${r.output}`;
        if (Date.now() - started > timeoutMs) {
            throw new Error(
                `the replica of ${db} did not reach row ${seq} within ${timeoutMs} ms (${last})`,
            );
        }
        await sleep(250);
    }
}

/**
 * Restores `db` `samples` times while `writer` keeps writing, at random moments (so that
 * the samples do not lock onto Litestream's 1 s ticker), and returns the loss window of each:
 * how much commit time a restore started at that moment would lose. Every sample must be
 * contiguous.
 */
export async function sampleLossWindows(
    world: World,
    db: string,
    writer: Writer,
    samples: number,
): Promise<number[]> {
    const windows: number[] = [];
    for (let i = 0; i < samples; i++) {
        await sleep(300 + Math.floor(Math.random() * 1000));
        const at = Date.now();
        const r = await restoreAndRead(world, db);
        if (r.code !== 0 || !r.content) throw new Error(`restore of ${db} failed: ${r.output}`);
        const hole = firstHole(r.content.seqs);
        if (hole !== undefined) throw new Error(`restore of ${db} has a hole at row ${hole}`);
        windows.push(lossWindowMs(writer.commits, r.content.seqs.at(-1) ?? 0, at));
        rmSync(r.file, { force: true });
    }
    return windows;
}

/** Files left in a folder (to show that a restore wrote nothing). */
export function filesIn(dir: string): string[] {
    return existsSync(dir) ? readdirSync(dir) : [];
}

/**
 * The largest loss window accepted while Litestream runs normally with the 1 s sync interval
 * the scenarios use: a commit waits up to one tick of Litestream's WAL monitor (1 s) to be
 * cut into a transaction file, which is uploaded at once, plus upload and scheduling slack.
 */
export const STEADY_LOSS_BOUND_MS = 2_500;

/** Per-scenario numbers for the report. */
export function report(scenario: string, numbers: Record<string, number | string>): void {
    const text = Object.entries(numbers)
        .map(([k, v]) => `${k}=${v}`)
        .join(" ");
    console.log(`[data] ${scenario}: ${text}`);
}
