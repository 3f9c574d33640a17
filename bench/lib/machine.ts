/** The machine and the versions a benchmark ran on. */
import Database from "better-sqlite3";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { depsBinary, minimalEnv, ROOT } from "../../test/support/procs";

export interface MachineInfo {
    cpuModel: string;
    nproc: number;
    memoryGiB: number;
    kernel: string;
    os: string;
    tmpFilesystem: string;
    versions: Record<string, string>;
}

function run(command: string, args: string[]): string {
    const r = spawnSync(command, args, { env: minimalEnv(), encoding: "utf8", timeout: 30_000 });
    return `${r.stdout ?? ""}${r.stderr ?? ""}`.trim();
}

function packageVersion(name: string): string {
    const file = path.join(ROOT, "node_modules", name, "package.json");
    return existsSync(file)
        ? (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version
        : "?";
}

export function machineInfo(): MachineInfo {
    const osRelease = existsSync("/etc/os-release") ? readFileSync("/etc/os-release", "utf8") : "";
    const pretty = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(osRelease)?.[1] ?? os.type();
    const memory = new Database(":memory:");
    const sqlite = (memory.prepare("SELECT sqlite_version() AS v").get() as { v: string }).v;
    memory.close();
    const versitygw =
        /Version\s*:\s*(\S+)/.exec(run(depsBinary("versitygw"), ["--version"]))?.[1] ?? "?";
    return {
        cpuModel: os.cpus()[0]?.model ?? "?",
        nproc: os.availableParallelism(),
        memoryGiB: os.totalmem() / 1024 ** 3,
        kernel: `${os.type()} ${os.release()}`,
        os: pretty,
        tmpFilesystem: run("stat", ["-f", "-c", "%T", os.tmpdir()]),
        versions: {
            litestream: run(depsBinary("litestream"), ["version"]),
            versitygw,
            node: process.version,
            "better-sqlite3": packageVersion("better-sqlite3"),
            sqlite,
            "@aws-sdk/client-s3": packageVersion("@aws-sdk/client-s3"),
        },
    };
}
