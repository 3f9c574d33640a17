/**
 * versitygw's access log (`--access-log`): one line a request, `owner bucket [time] ip
 * requester request-id s3_<Operation> key uri status error ...` (s3log/file.go). The benchmark
 * counts lines between two byte offsets of the file, so that a window holds exactly the
 * requests answered inside it.
 */
import { closeSync, existsSync, openSync, readSync, statSync } from "node:fs";

/** One request as logged. */
export interface LoggedRequest {
    bucket: string;
    /** The access key id that signed the request. */
    requester: string;
    operation: string;
    key: string;
    status: number;
}

/** Current size of the log, to mark a point in time. */
export function logOffset(file: string): number {
    return existsSync(file) ? statSync(file).size : 0;
}

/** Requests logged between two offsets, for one bucket. */
export function requestsBetween(
    file: string,
    from: number,
    to: number,
    bucket: string,
): LoggedRequest[] {
    if (to <= from) return [];
    const fd = openSync(file, "r");
    const buffer = Buffer.alloc(to - from);
    try {
        readSync(fd, buffer, 0, buffer.length, from);
    } finally {
        closeSync(fd);
    }
    const out: LoggedRequest[] = [];
    for (const line of buffer.toString("utf8").split("\n")) {
        const m = /^\S+ (\S+) \[[^\]]*\] \S+ (\S+) \S+ s3_(\S+) (\S+) \S+ (\d+) /.exec(line);
        if (!m || m[1] !== bucket) continue;
        out.push({
            bucket: m[1],
            requester: m[2],
            operation: m[3],
            key: m[4],
            status: Number(m[5]),
        });
    }
    return out;
}

/** Requests by operation. */
export function countByOperation(requests: LoggedRequest[]): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const r of requests) counts[r.operation] = (counts[r.operation] ?? 0) + 1;
    return counts;
}
