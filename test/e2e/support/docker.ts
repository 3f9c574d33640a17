/** What the end-to-end tests read from the Docker engine, through the `docker` CLI. */
import { execFileSync } from "node:child_process";

/** Runs `docker <args>` and returns its stdout; throws with stderr when it fails. */
export function docker(args: string[], input?: string): string {
    return execFileSync("docker", args, {
        encoding: "utf8",
        input,
        stdio: ["pipe", "pipe", "pipe"],
        maxBuffer: 64 * 1024 * 1024,
    });
}

/** The part of `docker inspect` the tests read. */
export interface ContainerInfo {
    Id: string;
    Name: string;
    Created: string;
    State: {
        Status: string;
        Running: boolean;
        ExitCode: number;
        StartedAt: string;
        FinishedAt: string;
        Health?: { Status: string; Log: { ExitCode: number; Output: string }[] };
    };
    Config: { Env: string[] | null; Labels: Record<string, string>; User: string; Image: string };
    Mounts: { Name?: string; Destination: string }[];
}

/** `docker inspect` of a container, or undefined when there is none of that name. */
export function inspect(name: string): ContainerInfo | undefined {
    try {
        return (JSON.parse(docker(["inspect", "--type", "container", name])) as ContainerInfo[])[0];
    } catch {
        return undefined;
    }
}

/** `docker inspect` of a container that must exist. */
export function mustInspect(name: string): ContainerInfo {
    const info = inspect(name);
    if (!info) throw new Error(`container ${name} does not exist`);
    return info;
}

/** Names of the objects of a kind (`container`, `volume`, `network`) carrying a label. */
export function objectsWithLabel(
    kind: "container" | "volume" | "network",
    label: string,
): string[] {
    const list =
        kind === "container"
            ? docker(["ps", "-a", "--filter", `label=${label}`, "--format", "{{.Names}}"])
            : docker([kind, "ls", "--filter", `label=${label}`, "--format", "{{.Name}}"]);
    return list.split("\n").filter((l) => l.trim() !== "");
}

/** Removes every container, volume and network carrying the label (cleanup after a test). */
export function removeWithLabel(label: string): void {
    for (const c of objectsWithLabel("container", label)) docker(["rm", "-f", "-v", c]);
    for (const v of objectsWithLabel("volume", label)) docker(["volume", "rm", "-f", v]);
    for (const n of objectsWithLabel("network", label)) docker(["network", "rm", n]);
}

export function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(
    what: string,
    probe: () => T | undefined | Promise<T | undefined>,
    timeoutMs = 120_000,
    everyMs = 1_000,
): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    for (;;) {
        try {
            const value = await probe();
            if (value !== undefined) return value;
        } catch (error) {
            last = error;
        }
        if (Date.now() > deadline) {
            throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}: ${String(last)}`);
        }
        await sleep(everyMs);
    }
}

/** What a table of rows with an integer `seq` from 1 holds. */
export interface RowCount {
    count: number;
    maxSeq: number;
    /** Rows 1..maxSeq are all there, once each. */
    contiguous: boolean;
}

/**
 * Counts the rows of `table` in a database, with the sqlite3 CLI inside a running container
 * that mounts it (the Litestream sidecar has one), reading the committed state through WAL.
 */
export function countRows(container: string, database: string, table = "rows"): RowCount {
    const out = docker([
        "exec",
        container,
        "sqlite3",
        "-cmd",
        ".timeout 5000",
        database,
        `SELECT count(*), coalesce(max(seq), 0), coalesce(min(seq), 1) FROM ${table}`,
    ]).trim();
    const [count, maxSeq, minSeq] = out.split("|").map(Number);
    return { count, maxSeq, contiguous: minSeq === 1 && count === maxSeq };
}

/** Counts the rows of a database on a volume, with a throw-away container (no network). */
export function countRowsOnVolume(
    image: string,
    volume: string,
    mountPath: string,
    database: string,
): RowCount {
    const out = docker([
        "run",
        "--rm",
        "--network",
        "none",
        "-v",
        `${volume}:${mountPath}`,
        "--entrypoint",
        "sqlite3",
        image,
        database,
        "SELECT count(*), coalesce(max(seq), 0), coalesce(min(seq), 1) FROM rows",
    ]).trim();
    const [count, maxSeq, minSeq] = out.split("|").map(Number);
    return { count, maxSeq, contiguous: minSeq === 1 && count === maxSeq };
}

/**
 * The LTX files of a database's replica in the bucket, listed by Litestream in the sidecar
 * with the sidecar's own config and credential (`litestream ltx`: one line a file after the
 * header).
 */
export function replicaFiles(sidecar: string, database: string): string[] {
    const out = docker([
        "exec",
        sidecar,
        "litestream",
        "ltx",
        "-config",
        "/etc/litestream.yml",
        database,
    ]);
    return out
        .split("\n")
        .slice(1)
        .filter((l) => l.trim() !== "");
}

/** The health status Docker reports for a container (`healthy`, `starting`, `unhealthy`). */
export function health(name: string): string | undefined {
    return inspect(name)?.State.Health?.Status;
}

/**
 * The host's address on Docker's default bridge (docker0's gateway): a server this machine
 * runs there is reached by containers on any of the engine's bridge networks, and by nothing
 * outside this machine.
 */
export function bridgeGateway(): string {
    const fromIpam = docker([
        "network",
        "inspect",
        "bridge",
        "--format",
        "{{range .IPAM.Config}}{{.Gateway}}{{end}}",
    ]).trim();
    if (fromIpam !== "") return fromIpam;
    const iface =
        docker([
            "network",
            "inspect",
            "bridge",
            "--format",
            '{{index .Options "com.docker.network.bridge.name"}}',
        ]).trim() || "docker0";
    const out = execFileSync("ip", ["-4", "-o", "addr", "show", "dev", iface], {
        encoding: "utf8",
    });
    const match = /inet (\d+\.\d+\.\d+\.\d+)\//.exec(out);
    if (!match) throw new Error(`no IPv4 address on ${iface}: ${out}`);
    return match[1];
}
