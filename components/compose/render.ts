/**
 * The Compose file of a deployment: pure functions from the deployment plan (../plan/plan.ts)
 * to a Compose model and its YAML. Every container of the plan becomes a service, with nothing
 * known here about what it is for:
 *
 * - a one-shot (`run: "once"`) gets `restart: "no"`, and whatever names it in `after` waits
 *   for it with `condition: service_completed_successfully` (it must exit 0);
 * - a service the plan waits healthy for (`waitHealthy`) is waited for with `service_healthy`,
 *   any other with `service_started`;
 * - each file becomes a top-level `configs:` entry with inline `content` (no file to copy, no
 *   heredoc), mounted at its path;
 * - the bucket credential and the app's secret environment values are `${NAME:?hint}`
 *   references (./variables.ts), never values, so the file holds no secret;
 * - names (containers, volume, network) are the plan's, the same the Docker deployment uses,
 *   so the outputs `appContainerName`, `volumeName` and `restoreCommand` fit either.
 *
 * A server the bucket lives on (`local` storage, ../plan/server.ts) becomes one more service
 * that the plan's first containers wait for until it is healthy, as the Docker deployment's
 * first containers wait for it.
 */
import { createHash } from "node:crypto";
import { Document, parse, Scalar, visit } from "yaml";
import { DeploymentPlan, ContainerPlan, CREDENTIAL_ENV, LABEL_ROLE, PlanRef } from "../plan/plan";
import { HealthcheckPlan } from "../plan/healthcheck";
import { ServerPlan } from "../plan/server";
import {
    ComposeVariable,
    CREDENTIAL_VARIABLES,
    escapeLiteral,
    SECRET_HINTS,
    variableReference,
} from "./variables";

/** One entry of the app's environment: a literal, or a reference for a secret value. */
export interface ComposeAppEnv {
    key: string;
    /** The value, for a value that is not secret. */
    value?: string;
    /** The variable that carries a secret value. */
    variable?: ComposeVariable;
}

/** Everything the Compose file is made of; all of it known and free of secrets. */
export interface ComposeInput {
    plan: DeploymentPlan;
    /** The server the bucket lives on, when it runs beside the app (`local`). */
    server?: ServerPlan;
    /** The rendered Litestream config (no credential in it). */
    litestreamConfig: string;
    /** The rendered config of the claims' replica (../plan/claim.ts). */
    ownerConfig: string;
    /** The app's image, as given. */
    appImage: string;
    /** The app's environment, in the order given. */
    appEnv: ComposeAppEnv[];
    /** The component's labels: on every service, the volumes and the network. */
    labels: Record<string, string>;
    /** Comment lines at the top of the file. */
    header: string[];
    /** The app's container name, which names the Compose project. */
    appName: string;
}

/**
 * The Compose project name for an app's container name: lowercase, with `-` for any character
 * a project name cannot hold. Named in the file, so `docker compose` run from any folder (or a
 * copy of it) addresses the same project instead of creating a second one whose fixed
 * container names collide; `-p` (and Portainer's stack name) still override it.
 */
export function composeProjectName(appName: string): string {
    return appName.toLowerCase().replace(/[^a-z0-9_-]/g, "-");
}

/** A reference to a variable, kept apart from literals until the file is written. */
class Reference {
    constructor(readonly variable: ComposeVariable) {}
}

/** A value of the model before escaping: literals and references. */
type Value = string | number | boolean | Reference | undefined | Value[] | { [key: string]: Value };

/** Key of the data volume in the file. */
const DATA_VOLUME = "data";

/** Key of the control volume (Litestream's socket) in the file. */
const CONTROL_VOLUME = "control";

/**
 * Label of a service with files: a digest of what they hold. Compose recreates a service when
 * its definition changes, but not when only the inline content of a config it mounts does
 * (measured with Compose 2.26): without this, a new Litestream config would never reach a
 * running sidecar on `docker compose up -d`.
 */
export const LABEL_FILES_DIGEST = "litestream-backup.files-digest";

function filesDigest(files: readonly { path: string; content: string }[]): string {
    return createHash("sha256").update(JSON.stringify(files)).digest("hex").slice(0, 16);
}

/** Go-duration seconds, as Compose reads durations. */
function seconds(n: number): string {
    return `${n}s`;
}

function healthcheck(check: HealthcheckPlan): Value {
    return {
        test: ["CMD", ...check.command],
        interval: seconds(check.intervalSeconds),
        timeout: seconds(check.timeoutSeconds),
        retries: check.retries,
        start_period: seconds(check.startPeriodSeconds),
    };
}

/** The credential under the container's names, each a reference. */
function credentialEnvironment(names: readonly string[]): Record<string, Value> {
    return Object.fromEntries(
        names.map((name, i) => [name, new Reference(CREDENTIAL_VARIABLES[i])]),
    );
}

/** Config keys: the file's name, made unique when two files of one name differ. */
class Configs {
    readonly entries: Record<string, { content: string }> = {};

    key(path: string, content: string, owner: string): string {
        const base = path.slice(path.lastIndexOf("/") + 1).replace(/^\.+/, "") || "file";
        for (const key of [base, `${owner}-${base}`]) {
            const existing = this.entries[key];
            if (existing === undefined) {
                this.entries[key] = { content };
                return key;
            }
            if (existing.content === content) return key;
        }
        for (let n = 2; ; n++) {
            const key = `${owner}-${base}-${n}`;
            if (this.entries[key] === undefined || this.entries[key].content === content) {
                this.entries[key] = { content };
                return key;
            }
        }
    }
}

/** The Compose model (before escaping) of a deployment. */
function model(input: ComposeInput): Record<string, Value> {
    const { plan, server } = input;
    const byKey = new Map(plan.containers.map((c) => [c.key, c]));
    const refs: Record<PlanRef["ref"], string> = {
        litestreamConfig: input.litestreamConfig,
        ownerConfig: input.ownerConfig,
        appImage: input.appImage,
    };
    const resolve = (value: string | PlanRef) =>
        typeof value === "string" ? value : refs[value.ref];
    const configs = new Configs();

    const condition = (c: ContainerPlan | ServerPlan) => {
        if ("run" in c) {
            if (c.run === "once") return "service_completed_successfully";
            return c.waitHealthy ? "service_healthy" : "service_started";
        }
        return "service_healthy";
    };

    const services: Record<string, Value> = {};
    if (server !== undefined) {
        services[server.key] = {
            image: server.image,
            container_name: server.name,
            entrypoint: server.entrypoint,
            command: server.command,
            environment: { ...server.env, ...credentialEnvironment(server.credentialEnv) },
            volumes: [{ type: "volume", source: `${server.key}-data`, target: server.volume.path }],
            healthcheck: healthcheck(server.healthcheck),
            restart: "unless-stopped",
            labels: { ...input.labels, ...server.labels },
        };
    }
    for (const c of plan.containers) {
        const before: (ContainerPlan | ServerPlan)[] =
            c.after.length > 0
                ? c.after.map((key) => {
                      const dep = byKey.get(key);
                      if (dep === undefined) throw new Error(`${c.key} is after unknown ${key}`);
                      return dep;
                  })
                : server !== undefined
                  ? [server]
                  : [];
        const files = c.files.map((f) => ({ path: f.path, content: resolve(f.content) }));
        const environment: Record<string, Value> = {};
        if (c.credentials) Object.assign(environment, credentialEnvironment(CREDENTIAL_ENV));
        for (const e of c.secretEnv) {
            environment[e.name] = new Reference({ name: e.name, hint: SECRET_HINTS[e.secret] });
        }
        if (c.appEnv) {
            for (const e of input.appEnv) {
                environment[e.key] =
                    e.variable !== undefined ? new Reference(e.variable) : (e.value ?? "");
            }
        }
        services[c.key] = {
            image: resolve(c.image),
            container_name: c.name,
            entrypoint: c.entrypoint,
            command: c.command,
            user: c.user,
            environment: Object.keys(environment).length > 0 ? environment : undefined,
            volumes:
                c.dataVolume || c.controlVolume
                    ? [
                          ...(c.dataVolume
                              ? [{ type: "volume", source: DATA_VOLUME, target: plan.dataDir }]
                              : []),
                          ...(c.controlVolume
                              ? [
                                    {
                                        type: "volume",
                                        source: CONTROL_VOLUME,
                                        target: plan.controlDir,
                                    },
                                ]
                              : []),
                      ]
                    : undefined,
            configs:
                files.length > 0
                    ? files.map((f) => ({
                          source: configs.key(f.path, f.content, c.key),
                          target: f.path,
                      }))
                    : undefined,
            ports:
                c.ports.length > 0
                    ? c.ports.map((p) => ({ target: p.internal, published: String(p.external) }))
                    : undefined,
            healthcheck: c.healthcheck && healthcheck(c.healthcheck),
            restart: c.run === "once" ? "no" : "unless-stopped",
            stop_grace_period:
                c.stopGraceSeconds === undefined ? undefined : seconds(c.stopGraceSeconds),
            depends_on:
                before.length > 0
                    ? Object.fromEntries(before.map((b) => [b.key, { condition: condition(b) }]))
                    : undefined,
            labels: {
                ...input.labels,
                ...c.labels,
                ...(files.length > 0 ? { [LABEL_FILES_DIGEST]: filesDigest(files) } : {}),
            },
        };
    }

    const volumes: Record<string, Value> = {
        [DATA_VOLUME]: { name: plan.volumeName, labels: { ...input.labels, [LABEL_ROLE]: "data" } },
    };
    if (plan.containers.some((c) => c.controlVolume)) {
        volumes[CONTROL_VOLUME] = {
            name: plan.controlVolumeName,
            labels: { ...input.labels, [LABEL_ROLE]: "control" },
        };
    }
    if (server !== undefined) {
        volumes[`${server.key}-data`] = { name: server.volume.name, labels: input.labels };
    }
    return {
        name: composeProjectName(input.appName),
        services,
        volumes,
        networks: { default: { name: plan.networkName, labels: input.labels } },
        configs: configs.entries,
    };
}

/** The model as Compose reads it: literals escaped, references written out, no empty keys. */
function finish(value: Value): unknown {
    if (value instanceof Reference) return variableReference(value.variable);
    if (typeof value === "string") return escapeLiteral(value);
    if (Array.isArray(value)) return value.map(finish);
    if (typeof value === "object" && value !== null) {
        return Object.fromEntries(
            Object.entries(value)
                .filter(([, v]) => v !== undefined)
                .map(([k, v]) => [k, finish(v)]),
        );
    }
    return value;
}

/** The Compose model of a deployment, as Compose reads it (escaped, references written). */
export function composeModel(input: ComposeInput): Record<string, unknown> {
    return finish(model(input)) as Record<string, unknown>;
}

/**
 * The Compose file of a deployment. Written with YAML 1.1's quoting on top of 1.2's, so that
 * no string reads back as anything else in any YAML parser (`"no"`, `"on"`, `"0444"`, `"8080"`).
 */
export function renderCompose(input: ComposeInput): string {
    const doc = new Document(composeModel(input), { version: "1.1" });
    visit(doc, {
        Scalar(_key, node) {
            if (
                typeof node.value === "string" &&
                !node.value.includes("\n") &&
                parse(node.value) !== node.value
            ) {
                node.type = Scalar.QUOTE_DOUBLE;
            }
        },
    });
    doc.commentBefore = input.header.map((l) => (l === "" ? "" : ` ${l}`)).join("\n");
    return doc.toString({ lineWidth: 0 });
}
