/**
 * A minimal client of the Docker Engine API over the local engine's unix socket: only the
 * calls the docker provider makes when it creates, reads and deletes networks, volumes and
 * containers (kreuzwerker/terraform-provider-docker v4.5.0, the `upstream` of pulumi-docker
 * 5.x, uses the same endpoints through the Go client).
 *
 * Why the Engine API and not the `docker` CLI: the CLI cannot create a container with an
 * exec-form health check (`--health-cmd` always becomes `["CMD-SHELL", ...]`), cannot create a
 * container on the default bridge and then swap its networks the way the provider does, and
 * `docker create --mount` builds `HostConfig.Mounts` where the provider sends
 * `HostConfig.Binds`. Speaking the API sends the engine the very request bodies the provider
 * sends. It needs no npm package: `node:http` talks to the socket.
 *
 * Only the local engine: `DOCKER_HOST` unset or `unix://...`. The tests never reach another
 * host, and nothing here pulls an image.
 */
import * as http from "node:http";

/** An error answer of the engine, with its HTTP status and message. */
export class EngineError extends Error {
    constructor(
        readonly status: number,
        message: string,
    ) {
        super(message);
        this.name = "EngineError";
    }
}

/** The unix socket of the local engine, from `DOCKER_HOST` or the default path. */
export function engineSocket(): string {
    const host = process.env.DOCKER_HOST;
    if (host === undefined || host === "") return "/var/run/docker.sock";
    if (host.startsWith("unix://")) return host.slice("unix://".length);
    throw new Error(
        `DOCKER_HOST is ${host}: the harness talks only to the local engine over its unix socket`,
    );
}

interface RequestOptions {
    query?: Record<string, string | number | boolean | undefined>;
    /** JSON body. */
    json?: unknown;
    /** Raw body (e.g. a tar archive) and its content type. */
    raw?: { body: Buffer; contentType: string };
}

/** A client pinned to the API version the engine reports (what the provider negotiates). */
export class Engine {
    private version?: string;

    constructor(private readonly socketPath = engineSocket()) {}

    private send(method: string, path: string, options: RequestOptions = {}): Promise<Buffer> {
        const query = Object.entries(options.query ?? {})
            .filter(([, v]) => v !== undefined)
            .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
            .join("&");
        const body =
            options.raw?.body ??
            (options.json === undefined ? undefined : Buffer.from(JSON.stringify(options.json)));
        const headers: Record<string, string | number> = {};
        if (body !== undefined) {
            headers["Content-Type"] = options.raw?.contentType ?? "application/json";
            headers["Content-Length"] = body.length;
        }
        return new Promise((resolve, reject) => {
            const req = http.request(
                {
                    socketPath: this.socketPath,
                    method,
                    path: query === "" ? path : `${path}?${query}`,
                    headers,
                },
                (res) => {
                    const chunks: Buffer[] = [];
                    res.on("data", (c: Buffer) => chunks.push(c));
                    res.on("error", reject);
                    res.on("end", () => {
                        const data = Buffer.concat(chunks);
                        const status = res.statusCode ?? 0;
                        if (status >= 400) {
                            let message = data.toString("utf8").trim();
                            try {
                                message =
                                    (JSON.parse(message) as { message?: string }).message ??
                                    message;
                            } catch {
                                // not JSON: keep the text
                            }
                            reject(
                                new EngineError(status, `${method} ${path}: ${status} ${message}`),
                            );
                        } else {
                            resolve(data);
                        }
                    });
                },
            );
            req.on("error", reject);
            if (body !== undefined) req.write(body);
            req.end();
        });
    }

    /** `/vX.Y` of the engine's API version, asked once. */
    private async prefix(): Promise<string> {
        if (this.version === undefined) {
            const v = JSON.parse((await this.send("GET", "/version")).toString()) as {
                ApiVersion: string;
            };
            this.version = v.ApiVersion;
        }
        return `/v${this.version}`;
    }

    /** A request against the versioned API; JSON answers are parsed. */
    async call<T = unknown>(
        method: string,
        path: string,
        options: RequestOptions = {},
    ): Promise<T> {
        const data = await this.send(method, `${await this.prefix()}${path}`, options);
        const text = data.toString("utf8");
        if (text.trim() === "") return undefined as T;
        try {
            return JSON.parse(text) as T;
        } catch {
            return text as T;
        }
    }

    /** A request whose answer is raw bytes (logs, archives). */
    async raw(method: string, path: string, options: RequestOptions = {}): Promise<Buffer> {
        return this.send(method, `${await this.prefix()}${path}`, options);
    }

    /** The engine's API version, e.g. "1.41". */
    async apiVersion(): Promise<string> {
        return (await this.prefix()).slice(2);
    }

    /** Inspects an object; undefined when it does not exist. */
    async inspect<T = Record<string, unknown>>(
        kind: "containers" | "volumes" | "networks" | "images",
        idOrName: string,
    ): Promise<T | undefined> {
        const path =
            kind === "containers" || kind === "images"
                ? `/${kind}/${encodeURIComponent(idOrName)}/json`
                : `/${kind}/${encodeURIComponent(idOrName)}`;
        try {
            return await this.call<T>("GET", path);
        } catch (err) {
            if (err instanceof EngineError && err.status === 404) return undefined;
            throw err;
        }
    }

    /** A container's stdout and stderr so far, demultiplexed (no TTY), in order. */
    async logs(id: string): Promise<string> {
        const data = await this.raw("GET", `/containers/${id}/logs`, {
            query: { stdout: 1, stderr: 1 },
        });
        return demuxLogs(data);
    }
}

/**
 * Docker's multiplexed log stream (no TTY): frames of an 8-byte header (stream, 3 zero bytes,
 * big-endian length) and the payload. The provider reads it with `stdcopy.StdCopy` into one
 * buffer, stdout and stderr interleaved as written.
 */
export function demuxLogs(data: Buffer): string {
    const parts: Buffer[] = [];
    let offset = 0;
    while (offset + 8 <= data.length) {
        const size = data.readUInt32BE(offset + 4);
        parts.push(data.subarray(offset + 8, offset + 8 + size));
        offset += 8 + size;
    }
    return Buffer.concat(parts).toString("utf8");
}
