/**
 * Pure translation of the inputs the program registers for `docker:index/network:Network`,
 * `docker:index/volume:Volume` and `docker:index/container:Container` into the Docker Engine
 * API requests the docker provider sends for them. Every field is listed in MAPPING.md with
 * its source: the TSDoc of `@pulumi/docker` 5.2 (container.d.ts, network.d.ts, volume.d.ts,
 * types/input.d.ts) and the provider code it is generated from,
 * kreuzwerker/terraform-provider-docker v4.5.0 (commit 5074970c, the `upstream` submodule of
 * pulumi/pulumi-docker 5.x), internal/provider/resource_docker_container_funcs.go
 * (`resourceDockerContainerCreate`, `resourceDockerContainerDelete`) and
 * resource_docker_container_structures.go (`volumeSetToDockerVolumes`, `portSetToDockerPorts`).
 *
 * A field the program sets that is not mapped here throws `unmapped field <path>`, so a new
 * field in the program cannot be silently ignored by the tests.
 */

/** The label every Docker object the harness creates carries, valued with the run id. */
export const TEST_LABEL = "litestream-backup.test";

/** Thrown for an input the harness does not translate. */
export class UnmappedFieldError extends Error {
    constructor(type: string, name: string, field: string) {
        super(
            `harness: unmapped field ${field} on ${type} "${name}": map it in test/harness/mapping.ts ` +
                `(and MAPPING.md) before the tests can run it`,
        );
        this.name = "UnmappedFieldError";
    }
}

type Inputs = Record<string, unknown>;

function present(inputs: Inputs): string[] {
    return Object.keys(inputs).filter((k) => inputs[k] !== undefined && inputs[k] !== null);
}

function checkFields(
    type: string,
    name: string,
    inputs: Inputs,
    mapped: readonly string[],
    path = "",
): void {
    for (const key of present(inputs)) {
        if (!mapped.includes(key)) throw new UnmappedFieldError(type, name, `${path}${key}`);
    }
}

function list(value: unknown): Inputs[] {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) throw new Error(`expected a list, got ${JSON.stringify(value)}`);
    return value as Inputs[];
}

function strings(value: unknown): string[] {
    return list(value).map((v) => String(v));
}

/** `[{ label, value }]` to the map the engine takes (`labelSetToMap`). */
function labelMap(
    type: string,
    name: string,
    value: unknown,
    field: string,
): Record<string, string> {
    const out: Record<string, string> = {};
    list(value).forEach((entry, i) => {
        checkFields(type, name, entry, ["label", "value"], `${field}[${i}].`);
        out[String(entry.label)] = String(entry.value);
    });
    return out;
}

/**
 * A Go duration (`time.ParseDuration`, what the provider uses for health check durations) in
 * nanoseconds. Units ns, us, µs, ms, s, m, h; several may follow each other ("1m30s").
 */
export function goDurationNs(value: string): number {
    const units: Record<string, number> = {
        ns: 1,
        us: 1e3,
        µs: 1e3,
        ms: 1e6,
        s: 1e9,
        m: 60e9,
        h: 3600e9,
    };
    if (value === "0") return 0;
    const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;
    let total = 0;
    let consumed = 0;
    let match: RegExpExecArray | null;
    while ((match = re.exec(value)) !== null) {
        total += parseFloat(match[1]) * units[match[2]];
        consumed = re.lastIndex;
    }
    if (consumed !== value.length || value === "") {
        throw new Error(`not a Go duration: ${JSON.stringify(value)}`);
    }
    return Math.round(total);
}

// ----- Network ---------------------------------------------------------------------------

/** `NetworkCreate` body (resource_docker_network_funcs.go, `resourceDockerNetworkCreate`). */
export interface NetworkPlan {
    name: string;
    body: Record<string, unknown>;
}

export function planNetwork(name: string, inputs: Inputs, runId: string): NetworkPlan {
    const type = "docker:index/network:Network";
    checkFields(type, name, inputs, ["name", "driver", "labels", "internal", "attachable"]);
    const dockerName = String(inputs.name ?? name);
    return {
        name: dockerName,
        body: {
            Name: dockerName,
            Driver: inputs.driver ?? "",
            Internal: inputs.internal === true,
            Attachable: inputs.attachable === true,
            Labels: { ...labelMap(type, name, inputs.labels, "labels"), [TEST_LABEL]: runId },
        },
    };
}

// ----- Volume ----------------------------------------------------------------------------

/** `VolumeCreate` body (resource_docker_volume.go, `resourceDockerVolumeCreate`). */
export interface VolumePlan {
    name: string;
    body: Record<string, unknown>;
}

export function planVolume(name: string, inputs: Inputs, runId: string): VolumePlan {
    const type = "docker:index/volume:Volume";
    checkFields(type, name, inputs, ["name", "labels", "driver"]);
    if (inputs.name === undefined) {
        throw new Error(
            `harness: volume "${name}" has no name; the program always names its volumes`,
        );
    }
    const dockerName = String(inputs.name);
    return {
        name: dockerName,
        body: {
            Name: dockerName,
            Driver: inputs.driver ?? "",
            Labels: { ...labelMap(type, name, inputs.labels, "labels"), [TEST_LABEL]: runId },
        },
    };
}

// ----- Container -------------------------------------------------------------------------

/** Container fields the harness translates; anything else throws. */
export const CONTAINER_FIELDS = [
    "name",
    "image",
    "command",
    "entrypoints",
    "envs",
    "volumes",
    "networksAdvanced",
    "ports",
    "labels",
    "user",
    "restart",
    "healthcheck",
    "uploads",
    "stopTimeout",
    "destroyGraceSeconds",
    "mustRun",
    "attach",
    "logs",
    "wait",
    "waitTimeout",
] as const;

/**
 * Container inputs that are not `ForceNew` in the provider's schema (v4.5.0,
 * resource_docker_container.go): a change to them is an in-place update, and
 * `resourceDockerContainerUpdate` acts only on `restart` (and resource limits) and on
 * `must_run` turning true (it starts the container). A changed `healthcheck`, `wait`,
 * `waitTimeout`, `attach`, `logs` or `destroyGraceSeconds` is recorded in the state but does
 * not reach the existing container. Every other field forces a new container.
 */
export const CONTAINER_UPDATABLE: readonly string[] = [
    "restart",
    "mustRun",
    "wait",
    "waitTimeout",
    "attach",
    "logs",
    "destroyGraceSeconds",
    "healthcheck",
];

/** Whether a change to `property` of a resource of `type` forces a replacement. */
export function forcesNew(type: string, property: string): boolean {
    if (type === "docker:index/container:Container") return !CONTAINER_UPDATABLE.includes(property);
    // Every input of docker Volume and Network is ForceNew.
    return true;
}

/** One file the provider copies into the container before it starts it. */
export interface UploadPlan {
    file: string;
    content: Buffer;
    mode: number;
}

/** Everything the provider does to create one container, in its order. */
export interface ContainerPlan {
    name: string;
    image: string;
    /** `ContainerCreate` body: `container.Config` with `HostConfig` and `NetworkingConfig`. */
    body: Record<string, unknown>;
    /** Named volumes the container mounts; each must exist before the create. */
    volumeNames: string[];
    /** `NetworkConnect` after disconnecting the default bridge, in order. */
    networks: { name: string; aliases: string[] }[];
    /** `CopyToContainer(ctx, id, "/", tar)` for each, before the start. */
    uploads: UploadPlan[];
    /** `attach`: wait for the container to exit and record `exitCode`. */
    attach: boolean;
    /** `logs` (with `attach`): record `containerLogs`. */
    logs: boolean;
    /** `wait`: poll until healthy, failing after `waitTimeoutSeconds`. */
    wait: boolean;
    waitTimeoutSeconds: number;
    /** `mustRun` (default true): a stopped container is started again on the next update. */
    mustRun: boolean;
    /** On delete: `ContainerStop` with this timeout first (not for `attach` containers). */
    destroyGraceSeconds: number;
}

export function planContainer(name: string, inputs: Inputs, runId: string): ContainerPlan {
    const type = "docker:index/container:Container";
    checkFields(type, name, inputs, CONTAINER_FIELDS);

    const image = String(inputs.image);
    const config: Record<string, unknown> = { Image: image };
    // Provider defaults written explicitly: hostname, domainname, tty, stdin_open, stop_signal
    // are "" / false when unset.
    config.Hostname = "";
    config.Domainname = "";
    config.Tty = false;
    config.OpenStdin = false;

    if (inputs.envs !== undefined) config.Env = strings(inputs.envs);
    if (inputs.command !== undefined) {
        const cmd = strings(inputs.command);
        if (cmd.some((c) => c === "")) throw new Error("values for command may not be empty");
        config.Cmd = cmd;
    }
    if (inputs.entrypoints !== undefined) config.Entrypoint = strings(inputs.entrypoints);
    if (inputs.user !== undefined) config.User = String(inputs.user);
    if (inputs.stopTimeout !== undefined) config.StopTimeout = Number(inputs.stopTimeout);

    // ports -> ExposedPorts + HostConfig.PortBindings (portSetToDockerPorts). The provider's
    // default host IP is 0.0.0.0; the tests bind 127.0.0.1 so that nothing they publish is
    // reachable from outside this machine.
    const exposed: Record<string, object> = {};
    const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
    list(inputs.ports).forEach((port, i) => {
        checkFields(type, name, port, ["internal", "external", "ip", "protocol"], `ports[${i}].`);
        const key = `${Number(port.internal)}/${String(port.protocol ?? "tcp")}`;
        exposed[key] = {};
        const ip = port.ip === undefined || port.ip === "0.0.0.0" ? "127.0.0.1" : String(port.ip);
        if (ip !== "127.0.0.1" && ip !== "::1") {
            throw new Error(
                `harness: port ${key} would be published on ${ip}; tests stay on loopback`,
            );
        }
        (bindings[key] ??= []).push({
            HostIp: ip,
            HostPort: port.external === undefined ? "" : String(port.external),
        });
    });
    if (Object.keys(exposed).length > 0) config.ExposedPorts = exposed;

    // volumes -> Config.Volumes + HostConfig.Binds "name:path:rw|ro" (volumeSetToDockerVolumes).
    const volumeMap: Record<string, object> = {};
    const binds: string[] = [];
    const volumeNames: string[] = [];
    list(inputs.volumes).forEach((v, i) => {
        checkFields(type, name, v, ["volumeName", "containerPath", "readOnly"], `volumes[${i}].`);
        if (v.volumeName === undefined || v.containerPath === undefined) {
            throw new Error(
                `harness: volumes[${i}] of "${name}" needs volumeName and containerPath`,
            );
        }
        const path = String(v.containerPath);
        volumeMap[path] = {};
        binds.push(`${String(v.volumeName)}:${path}:${v.readOnly === true ? "ro" : "rw"}`);
        volumeNames.push(String(v.volumeName));
    });
    if (Object.keys(volumeMap).length > 0) config.Volumes = volumeMap;

    config.Labels = { ...labelMap(type, name, inputs.labels, "labels"), [TEST_LABEL]: runId };

    if (inputs.healthcheck !== undefined) {
        const hc = inputs.healthcheck as Inputs;
        checkFields(
            type,
            name,
            hc,
            ["tests", "interval", "timeout", "startPeriod", "startInterval", "retries"],
            "healthcheck.",
        );
        const health: Record<string, unknown> = { Test: strings(hc.tests) };
        if (hc.interval !== undefined) health.Interval = goDurationNs(String(hc.interval));
        if (hc.timeout !== undefined) health.Timeout = goDurationNs(String(hc.timeout));
        if (hc.startPeriod !== undefined) health.StartPeriod = goDurationNs(String(hc.startPeriod));
        if (hc.startInterval !== undefined) {
            health.StartInterval = goDurationNs(String(hc.startInterval));
        }
        if (hc.retries !== undefined) health.Retries = Number(hc.retries);
        config.Healthcheck = health;
    }

    const hostConfig: Record<string, unknown> = {
        Privileged: false,
        PublishAllPorts: false,
        RestartPolicy: { Name: String(inputs.restart ?? "no"), MaximumRetryCount: 0 },
        Mounts: [],
        AutoRemove: false,
        ReadonlyRootfs: false,
        LogConfig: { Type: "", Config: {} },
        Init: false,
        // `network_mode` defaults to "bridge": the container is created on the default bridge
        // and moved to `networksAdvanced` right after (see ContainerPlan.networks).
        NetworkMode: "bridge",
    };
    if (Object.keys(bindings).length > 0) hostConfig.PortBindings = bindings;
    if (binds.length > 0) hostConfig.Binds = binds;

    const networks = list(inputs.networksAdvanced).map((n, i) => {
        checkFields(type, name, n, ["name", "aliases"], `networksAdvanced[${i}].`);
        return { name: String(n.name), aliases: strings(n.aliases) };
    });

    const uploads = list(inputs.uploads).map((u, i): UploadPlan => {
        checkFields(
            type,
            name,
            u,
            ["file", "content", "contentBase64", "executable", "permissions"],
            `uploads[${i}].`,
        );
        const set = [u.content, u.contentBase64].filter((v) => v !== undefined && v !== "");
        if (set.length !== 1) {
            throw new Error(
                "error with upload content: one of 'content', 'content_base64', or 'source' must be set",
            );
        }
        const content =
            u.content !== undefined && u.content !== ""
                ? Buffer.from(String(u.content), "utf8")
                : Buffer.from(String(u.contentBase64), "base64");
        const mode =
            u.permissions !== undefined && u.permissions !== ""
                ? parseInt(String(u.permissions), 8)
                : u.executable === true
                  ? 0o744
                  : 0o644;
        return { file: String(u.file), content, mode };
    });

    const containerName = String(inputs.name ?? name);
    return {
        name: containerName,
        image,
        body: { ...config, HostConfig: hostConfig, NetworkingConfig: {} },
        volumeNames,
        networks,
        uploads,
        attach: inputs.attach === true,
        logs: inputs.logs === true,
        wait: inputs.wait === true,
        waitTimeoutSeconds: inputs.waitTimeout === undefined ? 60 : Number(inputs.waitTimeout),
        mustRun: inputs.mustRun !== false,
        destroyGraceSeconds:
            inputs.destroyGraceSeconds === undefined ? 0 : Number(inputs.destroyGraceSeconds),
    };
}
