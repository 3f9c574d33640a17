/**
 * Processes and folders of the real-data tests, and their cleanup. Everything started or
 * created here is registered, so that `cleanupAll()` (from `afterEach`/`afterAll`) and the
 * process-exit hooks remove it even when a test fails or the worker is interrupted.
 */
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";

/** Repository root. */
export const ROOT = path.resolve(__dirname, "../..");
/** Where `npm run deps` puts the real binaries. */
export const DEPS_BIN = path.join(ROOT, ".deps", "bin");

/** Path of a binary built by `npm run deps`; fails with the fix when it is missing. */
export function depsBinary(name: string): string {
    const file = path.join(DEPS_BIN, name);
    if (!existsSync(file)) {
        throw new Error(`${file} is missing: run \`npm run deps\` first`);
    }
    return file;
}

/**
 * `setpriv --pdeathsig KILL` makes the kernel kill a child when this worker dies, even by
 * SIGKILL, where no exit hook runs. It execs the binary, so the pid stays the binary's.
 */
const SETPRIV = ["/usr/bin/setpriv", "/bin/setpriv"].find((p) => existsSync(p));

/** One line a process printed, stamped with the time this process read it. */
export interface LogLine {
    at: number;
    stream: "stdout" | "stderr";
    text: string;
}

/** A running (or finished) child process with its output kept line by line. */
export class Proc {
    readonly lines: LogLine[] = [];
    readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
    exitCode: number | null = null;
    exitSignal: NodeJS.Signals | null = null;
    private waiters: { re: RegExp; after: number; resolve: (l: LogLine) => void }[] = [];

    constructor(
        readonly label: string,
        readonly child: ChildProcess,
    ) {
        const partial = { stdout: "", stderr: "" };
        for (const stream of ["stdout", "stderr"] as const) {
            child[stream]?.setEncoding("utf8");
            child[stream]?.on("data", (chunk: string) => {
                const parts = (partial[stream] + chunk).split("\n");
                partial[stream] = parts.pop() ?? "";
                for (const text of parts) this.push({ at: Date.now(), stream, text });
            });
        }
        this.exited = new Promise((resolve) => {
            child.on("close", (code, signal) => {
                for (const stream of ["stdout", "stderr"] as const) {
                    if (partial[stream])
                        this.push({ at: Date.now(), stream, text: partial[stream] });
                    partial[stream] = "";
                }
                this.exitCode = code;
                this.exitSignal = signal;
                live.delete(this);
                resolve({ code, signal });
            });
        });
    }

    get pid(): number {
        return this.child.pid ?? -1;
    }

    get running(): boolean {
        return this.exitCode === null && this.exitSignal === null;
    }

    /** All output as text, for failure messages. */
    output(): string {
        return this.lines.map((l) => l.text).join("\n");
    }

    /** Lines matching `re`. */
    matching(re: RegExp): LogLine[] {
        return this.lines.filter((l) => re.test(l.text));
    }

    /** Resolves with the first line matching `re` read at or after `after` (ms epoch). */
    waitForLine(re: RegExp, timeoutMs: number, after = 0): Promise<LogLine> {
        const found = this.lines.find((l) => l.at >= after && re.test(l.text));
        if (found) return Promise.resolve(found);
        return new Promise((resolve, reject) => {
            let done = false;
            const fail = (why: string) => {
                if (done) return;
                done = true;
                clearTimeout(timer);
                this.waiters = this.waiters.filter((w) => w !== waiter);
                reject(
                    new Error(
                        `${this.label}: no line matching ${re} ${why}; output:\n${this.output().slice(-4000)}`,
                    ),
                );
            };
            const waiter = {
                re,
                after,
                resolve: (l: LogLine) => {
                    if (done) return;
                    done = true;
                    clearTimeout(timer);
                    resolve(l);
                },
            };
            const timer = setTimeout(() => fail(`within ${timeoutMs} ms`), timeoutMs);
            this.waiters.push(waiter);
            // A process that exits will print nothing more: fail at once.
            void this.exited.then(({ code, signal }) =>
                fail(`before it exited (code ${code}, signal ${signal})`),
            );
        });
    }

    /** Sends `signal` and waits for the exit; SIGKILL after `graceMs` if it is still there. */
    async stop(signal: NodeJS.Signals = "SIGTERM", graceMs = 10_000): Promise<void> {
        if (!this.running) return;
        this.child.kill(signal);
        const timer = setTimeout(() => this.child.kill("SIGKILL"), graceMs);
        await this.exited;
        clearTimeout(timer);
    }

    /** `kill -9`: no chance to flush or clean up. */
    async kill9(): Promise<void> {
        if (!this.running) return;
        this.child.kill("SIGKILL");
        await this.exited;
    }

    private push(line: LogLine): void {
        this.lines.push(line);
        if (process.env.TEST_PROC_ECHO) process.stderr.write(`[${this.label}] ${line.text}\n`);
        for (const w of [...this.waiters]) {
            if (line.at >= w.after && w.re.test(line.text)) {
                this.waiters = this.waiters.filter((x) => x !== w);
                w.resolve(line);
            }
        }
    }
}

const live = new Set<Proc>();
const folders = new Set<string>();

/**
 * Starts `command` with exactly `env` (never the inherited environment: this machine sets
 * CA variables that break Litestream) and registers it for cleanup.
 */
export function startProc(
    label: string,
    command: string,
    args: string[],
    options: { env: Record<string, string>; cwd?: string },
): Proc {
    const [file, argv] = SETPRIV
        ? [SETPRIV, ["--pdeathsig", "KILL", "--", command, ...args]]
        : [command, args];
    const child = spawn(file, argv, {
        env: options.env,
        cwd: options.cwd,
        stdio: ["ignore", "pipe", "pipe"],
    });
    const proc = new Proc(label, child);
    live.add(proc);
    child.on("error", (err) => {
        proc.lines.push({ at: Date.now(), stream: "stderr", text: `spawn error: ${err.message}` });
    });
    return proc;
}

/** Runs a command to its end; output and timing for assertions. */
export async function runProc(
    label: string,
    command: string,
    args: string[],
    options: { env: Record<string, string>; cwd?: string; timeoutMs?: number },
): Promise<{ code: number | null; output: string; lines: LogLine[]; durationMs: number }> {
    const started = Date.now();
    const proc = startProc(label, command, args, options);
    const timer = setTimeout(() => proc.child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
    const { code } = await proc.exited;
    clearTimeout(timer);
    return { code, output: proc.output(), lines: proc.lines, durationMs: Date.now() - started };
}

/**
 * A fresh folder under the OS temp dir, removed by `cleanupAll()` and at exit. Its name
 * carries this process's pid, so that folders of a test process that was killed outright
 * (no hook runs) are swept by the next run.
 */
export function tempDir(prefix: string): string {
    const dir = mkdtempSync(path.join(os.tmpdir(), `lsb-${process.pid}-${prefix}-`));
    folders.add(dir);
    return dir;
}

/** Removes the temp folders of test processes that no longer exist. */
function sweepOrphans(): void {
    for (const name of readdirSync(os.tmpdir())) {
        const m = /^lsb-(\d+)-/.exec(name);
        if (!m || Number(m[1]) === process.pid) continue;
        try {
            process.kill(Number(m[1]), 0);
        } catch (err) {
            if ((err as NodeJS.ErrnoException).code === "ESRCH") {
                rmSync(path.join(os.tmpdir(), name), { recursive: true, force: true });
            }
        }
    }
}
sweepOrphans();

/** A TCP port that was free on host (127.0.0.1 by default) a moment ago. */
export function freePort(host = "127.0.0.1"): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.unref();
        server.on("error", reject);
        server.listen(0, host, () => {
            const address = server.address();
            const port = typeof address === "object" && address ? address.port : 0;
            server.close(() => resolve(port));
        });
    });
}

/** Whether something accepts TCP connections on host:port (127.0.0.1 by default). */
export function portInUse(port: number, host = "127.0.0.1"): Promise<boolean> {
    return new Promise((resolve) => {
        const socket = net.connect({ host, port });
        socket.once("connect", () => {
            socket.destroy();
            resolve(true);
        });
        socket.once("error", () => resolve(false));
    });
}

/** Stops every registered process (SIGKILL after a short grace) and removes every folder. */
export async function cleanupAll(): Promise<void> {
    await Promise.all([...live].map((p) => p.stop("SIGTERM", 3_000)));
    for (const dir of folders) rmSync(dir, { recursive: true, force: true });
    folders.clear();
}

/** Synchronous last resort for exit paths, where nothing asynchronous runs any more. */
function cleanupNow(): void {
    for (const p of live) {
        try {
            process.kill(p.pid, "SIGKILL");
        } catch {
            // already gone
        }
    }
    live.clear();
    for (const dir of folders) {
        try {
            rmSync(dir, { recursive: true, force: true });
        } catch {
            // best effort at exit
        }
    }
    folders.clear();
}

process.once("exit", cleanupNow);
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => {
        cleanupNow();
        process.exit(128 + (os.constants.signals[signal] ?? 0));
    });
}

/** Sleeps. */
export function sleep(ms: number): Promise<void> {
    return new Promise((r) => setTimeout(r, ms));
}

/** Runs a short command synchronously with a minimal environment (for one-off tools). */
export function runSync(command: string, args: string[], env: Record<string, string>): string {
    const result = spawnSync(command, args, { env, encoding: "utf8", timeout: 30_000 });
    if (result.status !== 0) {
        throw new Error(
            `${command} ${args.join(" ")} exited ${result.status}: ${result.stdout}${result.stderr}`,
        );
    }
    return result.stdout;
}

/** The minimal environment every child gets, plus `extra`. */
export function minimalEnv(extra: Record<string, string> = {}): Record<string, string> {
    return {
        PATH: `${DEPS_BIN}:/usr/local/bin:/usr/bin:/bin`,
        HOME: os.tmpdir(),
        ...extra,
    };
}
