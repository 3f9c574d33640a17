/**
 * Runs the real Litestream (`.deps/bin/litestream`, the version the component deploys) on
 * this host with a config rendered by the component. Every run gets an explicit minimal
 * environment: this machine sets AWS_CA_BUNDLE and other CA variables, with which
 * Litestream 0.5.16 fails at start ("unable to add custom RootCAs HTTPClient").
 */
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { depsBinary, LogLine, minimalEnv, Proc, runProc, startProc } from "./procs";
import type { S3Keys } from "./s3-server";

/** The environment the sidecar gets: the credential, nothing inherited. */
export function litestreamEnv(keys: S3Keys): Record<string, string> {
    return minimalEnv({
        LITESTREAM_ACCESS_KEY_ID: keys.accessKeyId,
        LITESTREAM_SECRET_ACCESS_KEY: keys.secretAccessKey,
    });
}

/** Writes a rendered config to `dir/litestream.yml` and returns its path. */
export function writeConfig(dir: string, config: string): string {
    const file = path.join(dir, "litestream.yml");
    writeFileSync(file, config);
    return file;
}

/** The database paths a rendered config replicates. */
export function configDatabases(config: string): string[] {
    const parsed = parse(config) as { dbs?: { path: string }[] };
    return (parsed.dbs ?? []).map((d) => d.path);
}

/** A parsed `key=value` slog text line, with `time` as ms epoch (NaN when absent). */
export interface LogRecord {
    time: number;
    level: string;
    msg: string;
    fields: Record<string, string>;
    line: LogLine;
}

/** Parses Litestream's slog text format (`time=... level=INFO msg="..." key=value ...`). */
export function parseLogLine(line: LogLine): LogRecord | undefined {
    const fields: Record<string, string> = {};
    const re = /([A-Za-z0-9_.]+)=("(?:[^"\\]|\\.)*"|\S*)/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(line.text)) !== null) {
        const raw = m[2];
        fields[m[1]] = raw.startsWith('"') ? (JSON.parse(raw) as string) : raw;
    }
    if (!fields.msg) return undefined;
    return {
        time: fields.time ? Date.parse(fields.time) : NaN,
        level: fields.level ?? "",
        msg: fields.msg,
        fields,
        line,
    };
}

/** A running `litestream replicate`. */
export class Litestream {
    constructor(
        readonly proc: Proc,
        readonly configPath: string,
    ) {}

    /** Parsed log records, in order. */
    records(): LogRecord[] {
        return this.proc.lines.map(parseLogLine).filter((r): r is LogRecord => r !== undefined);
    }

    /** Records with this `msg` (optionally for one database path). */
    events(msg: string, db?: string): LogRecord[] {
        return this.records().filter(
            (r) => r.msg === msg && (db === undefined || r.fields.db === db),
        );
    }

    /** Raw lines matching `re`. */
    matching(re: RegExp): string[] {
        return this.proc.matching(re).map((l) => l.text);
    }

    /** Waits for a line, e.g. `/msg="ltx file uploaded"/`. */
    waitForLine(re: RegExp, timeoutMs: number, after = 0): Promise<LogLine> {
        return this.proc.waitForLine(re, timeoutMs, after);
    }

    /** Waits until Litestream logs an upload of the database with this file name. */
    waitForUpload(dbFile: string, timeoutMs = 15_000): Promise<LogLine> {
        const escaped = dbFile.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
        return this.waitForLine(new RegExp(`msg="ltx file uploaded".* db=${escaped} `), timeoutMs);
    }

    /** `kill -9`: no final sync, no cleanup. */
    kill9(): Promise<void> {
        return this.proc.kill9();
    }

    /** SIGTERM, as `docker stop` sends; Litestream closes its databases and exits. */
    stop(): Promise<void> {
        return this.proc.stop("SIGTERM", 15_000);
    }

    output(): string {
        return this.proc.output();
    }
}

let runs = 0;

/** Starts `litestream replicate -config <configPath>` with only the credential in its environment. */
export function startReplicate(configPath: string, keys: S3Keys): Litestream {
    const proc = startProc(
        `litestream-${++runs}`,
        depsBinary("litestream"),
        ["replicate", "-config", configPath],
        { env: litestreamEnv(keys) },
    );
    return new Litestream(proc, configPath);
}

/** Runs `litestream <args>` to its end with only the credential in its environment. */
export function runLitestream(args: string[], keys: S3Keys, timeoutMs = 60_000) {
    return runProc(`litestream-${args[0]}`, depsBinary("litestream"), args, {
        env: litestreamEnv(keys),
        timeoutMs,
    });
}

/** Restores `db` (as named in the config) to `outputPath`. */
export function restoreTo(configPath: string, db: string, outputPath: string, keys: S3Keys) {
    return runLitestream(["restore", "-config", configPath, "-o", outputPath, db], keys);
}

/**
 * The last successful sync of `db` (its file name, as Litestream logs it), from the log:
 * `lastUploaded` is the highest level-0 TXID uploaded; `syncedBefore` the time of the last
 * `replica sync` line whose database position was still below it. Every row committed
 * before `syncedBefore` is in the uploaded files. Undefined when the log has no such line.
 */
export function lastSuccessfulSync(
    litestream: Litestream,
    db: string,
): { lastUploaded: number; syncedBefore: number | undefined } {
    const uploads = litestream
        .events("ltx file uploaded", db)
        .filter((r) => r.fields.level === "0")
        .map((r) => parseInt(r.fields.maxTXID, 16));
    const lastUploaded = uploads.length ? Math.max(...uploads) : 0;
    const before = litestream
        .events("replica sync", db)
        .filter((r) => parseInt(r.fields["txid.db"], 16) < lastUploaded);
    return { lastUploaded, syncedBefore: before.at(-1)?.time };
}
