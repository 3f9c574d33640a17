/**
 * The harness IS the Pulumi mock: `pulumi.runtime.setMocks` with an async `newResource` that,
 * for each `docker:index/network:Network`, `docker:index/volume:Volume` and
 * `docker:index/container:Container` the program registers, does on the local Docker engine
 * what the docker provider would do, before it returns, and answers with the real outputs
 * (ids, names, a one-shot container's `exitCode` and `containerLogs`). The program's own
 * logic then runs on real results: the restore gate (components/docker/restore.ts) reads the
 * real exit code, and a failed gate keeps the sidecar and the app from being registered at
 * all. How each field maps is in MAPPING.md and test/harness/mapping.ts.
 *
 * One `deploy()` is one `pulumi up --refresh`: a fresh Pulumi runtime state (the SDK's
 * `withLocalStorage`, as the Automation API runs inline programs) runs the real
 * `LitestreamBackup` under these mocks. The harness keeps a state across deploys, like a
 * stack: the random keys (stable, as the random provider's state keeps them) and, for each
 * Docker object, its id, its inputs and its property dependencies. On the next deploy, as the
 * engine and the provider would:
 * - an object gone from the engine is created again (refresh drops it from the state);
 * - an unchanged one is left alone (a stopped container with `mustRun` is started again);
 * - a change to fields the provider updates in place (`CONTAINER_UPDATABLE`) is an update;
 * - any other change replaces it. With `deleteBeforeReplace` (which the program sets on its
 *   containers and data volume) the engine first deletes, eagerly, every not yet registered
 *   dependent whose inputs were built from the replaced resource's outputs and would be
 *   replaced by that (pulumi/pulumi pkg/resource/deploy/step_generator.go,
 *   `calculateDependentReplacements`: property dependencies only, `dependsOn` does not
 *   count), then the resource itself, then creates the new one. A dependent deleted that way
 *   comes back only if the program registers it again in this deploy.
 *
 * Order: the SDK registers a resource only after its `dependsOn` resources were registered,
 * and a resource whose inputs come from another's outputs only after those resolved. Besides,
 * the harness reads each child's declared `dependsOn` through the `transformations` option on
 * the component (DESIGN.md §5: under mocks `transforms` are refused, `transformations` run in
 * the SDK) and refuses, loudly, to create a resource before every declared dependency exists.
 *
 * Every object the harness creates carries the label `litestream-backup.test=<run id>`, next
 * to the component's own labels; `cleanup()` (and, on exit, `cleanupSync()`) removes every
 * container, volume and network with it.
 */
import { execFileSync } from "node:child_process";
import { createHash, randomBytes, randomInt } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { getAllResources } from "@pulumi/pulumi/output";
import * as runtimeSettings from "@pulumi/pulumi/runtime/settings";
import * as runtimeState from "@pulumi/pulumi/runtime/state";
import type { LitestreamBackupArgs } from "../../components";
import { unwrapSecrets } from "../support/mocks";
import { Engine, EngineError } from "./engine";
import {
    CONTAINER_UPDATABLE,
    ContainerPlan,
    forcesNew,
    planContainer,
    planNetwork,
    planVolume,
    TEST_LABEL,
    UnmappedFieldError,
} from "./mapping";
import { tarOneFile } from "./tar";

const CONTAINER = "docker:index/container:Container";
const VOLUME = "docker:index/volume:Volume";
const NETWORK = "docker:index/network:Network";
const DOCKER_PROVIDER = "pulumi:providers:docker";
const RANDOM_STRING = "random:index/randomString:RandomString";
const RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword";
const COMPONENT = "litestream-backup:index:LitestreamBackup";

/**
 * Two SDK internals (marked @internal, so absent from its typings; present in 3.248):
 * `withLocalStorage` gives a callback a fresh runtime state (the Automation API runs each
 * inline program in one), `waitForRPCs` resolves once every registration was answered (what
 * the language host waits for before it reports the program done).
 */
const sdk = {
    withLocalStorage: (
        runtimeState as unknown as {
            withLocalStorage: <T>(callback: () => Promise<T>) => Promise<T>;
        }
    ).withLocalStorage,
    waitForRPCs: (runtimeSettings as unknown as { waitForRPCs: () => Promise<void> }).waitForRPCs,
};
if (typeof sdk.withLocalStorage !== "function" || typeof sdk.waitForRPCs !== "function") {
    throw new Error(
        "harness: @pulumi/pulumi no longer has runtime withLocalStorage/waitForRPCs; adapt test/harness/harness.ts",
    );
}

/** The provider's wait error (resource_docker_container_funcs.go). */
export const HEALTHY_STATE_ERROR = "container failed to be in healthy state";

/** What the program registered, secrets unwrapped. */
export interface Registered {
    type: string;
    name: string;
    inputs: Record<string, unknown>;
}

/** One step the harness took on the engine. */
export interface HarnessEvent {
    /** ms since the deploy started. */
    at: number;
    /** `<type>::<logical name>`. */
    key: string;
    action:
        | "create"
        | "adopt"
        | "update"
        | "replace"
        | "delete"
        | "gone"
        | "restart"
        | "fail"
        | "register";
    detail?: string;
}

/** A Docker object the harness has just created. */
export interface CreatedObject {
    type: string;
    /** Pulumi logical name. */
    name: string;
    /** Docker name. */
    dockerName: string;
    id: string;
}

/** The component's outputs, resolved. */
export interface DeployOutputs {
    bucketName: string;
    endpoint: string;
    region: string;
    replicaUrls: string[];
    accessKeyId: string;
    secretAccessKey: string;
    litestreamConfig: string;
    appContainerName: string;
    litestreamContainerName: string;
    volumeName: string;
    restoreCommand: string;
}

export interface DeployResult {
    /** True when every registration succeeded and the program ended. */
    ok: boolean;
    /** Distinct error messages, as `pulumi up` would print them. */
    errors: string[];
    /** Resolved outputs (only when ok). */
    outputs?: DeployOutputs;
    registered: Registered[];
    events: HarnessEvent[];
    /** Declared `dependsOn` of each child, as `<type>::<name>` keys. */
    dependencies: Record<string, string[]>;
    durationMs: number;
}

export interface DeployOptions {
    stack?: string;
    /**
     * Extra `transformations` on the component, applied before the harness's own recorder,
     * as a user would adjust a child without forking.
     */
    transformations?: pulumi.ResourceTransformation[];
    /** Give up waiting for the program after this long. */
    timeoutMs?: number;
}

export interface HarnessOptions {
    /** Called after each network, volume or container was created (before it is returned). */
    onCreated?: (created: CreatedObject) => Promise<void>;
}

interface StateEntry {
    type: string;
    dockerId: string;
    dockerName: string;
    /** Hash of the inputs that force a replacement; "incomplete" when the create failed. */
    replaceHash: string;
    /** Hash of all inputs. */
    fullHash: string;
    /** Computed outputs recorded at create time (e.g. `containerLogs`). */
    computed: Record<string, unknown>;
    plan?: ContainerPlan;
    /** Input property -> keys of the resources its value was built from. */
    propertyDeps: Record<string, string[]>;
}

/** Leftovers of runs older than this are removed when a harness starts. */
const STALE_RUN_MS = 2 * 60 * 60 * 1000;

function sleep(ms: number): Promise<void> {
    return new Promise((r) => setTimeout(r, ms));
}

function stableJson(value: unknown): string {
    if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
    if (value !== null && typeof value === "object") {
        const entries = Object.entries(value as Record<string, unknown>)
            .filter(([, v]) => v !== undefined)
            .sort(([a], [b]) => (a < b ? -1 : 1));
        return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(",")}}`;
    }
    return JSON.stringify(value);
}

function hash(value: unknown): string {
    return createHash("sha256").update(stableJson(value)).digest("hex");
}

/** A unique run id: `<epoch ms>-<pid>-<random>`; also the value of the test label. */
export function newRunId(): string {
    return `${Date.now()}-${process.pid}-${randomBytes(3).toString("hex")}`;
}

/**
 * The random provider's result for RandomString / RandomPassword: `length` characters from
 * the enabled classes (`lower`, `upper`, `numeric`, `special`, each default true; the
 * provider's special set). `min*` and the other knobs are not mapped.
 */
function randomResult(type: string, name: string, inputs: Record<string, unknown>): string {
    for (const key of Object.keys(inputs)) {
        if (!["length", "lower", "upper", "numeric", "number", "special"].includes(key)) {
            throw new UnmappedFieldError(type, name, key);
        }
    }
    const classes = [
        inputs.lower !== false ? "abcdefghijklmnopqrstuvwxyz" : "",
        inputs.upper !== false ? "ABCDEFGHIJKLMNOPQRSTUVWXYZ" : "",
        inputs.numeric !== false && inputs.number !== false ? "0123456789" : "",
        inputs.special !== false ? "!@#$%&*()-_=+[]{}<>:?" : "",
    ].join("");
    const length = Number(inputs.length);
    if (!Number.isInteger(length) || length < 1 || classes === "") {
        throw new Error(
            `harness: ${type} "${name}" cannot produce a result from ${stableJson(inputs)}`,
        );
    }
    return Array.from({ length }, () => classes[randomInt(classes.length)]).join("");
}

/** One deploy's bookkeeping. */
class Run {
    readonly started = Date.now();
    readonly errors = new Map<string, Error>();
    readonly events: HarnessEvent[] = [];
    readonly registered: Registered[] = [];
    /** Resource object -> `<type>::<name>`, from the transformation. */
    readonly keyOf = new Map<pulumi.Resource, string>();
    /** Declared dependsOn of each child. */
    readonly declared = new Map<string, pulumi.Resource[]>();
    /** The input properties each child was constructed with (Outputs included). */
    readonly props = new Map<string, Record<string, unknown>>();
    /** Children with `deleteBeforeReplace`. */
    readonly deleteBeforeReplace = new Set<string>();
    /** Keys whose registration reached the mock in this deploy. */
    readonly seen = new Set<string>();
    /** Keys whose registration finished (for Docker objects: they exist on the engine). */
    readonly done = new Set<string>();
    /** Provider references (`urn::id`) the harness accepted. */
    readonly providers = new Set<string>();
    inFlight = 0;

    event(key: string, action: HarnessEvent["action"], detail?: string): void {
        this.events.push({ at: Date.now() - this.started, key, action, detail });
    }

    error(err: unknown): void {
        const e = err instanceof Error ? err : new Error(String(err));
        if (!this.errors.has(e.message)) this.errors.set(e.message, e);
    }

    /** The transformation that records each child's declared dependencies. */
    readonly recorder: pulumi.ResourceTransformation = (a) => {
        const key = `${a.type}::${a.name}`;
        this.keyOf.set(a.resource, key);
        const deps = a.opts.dependsOn;
        const list = deps === undefined ? [] : Array.isArray(deps) ? deps : [deps];
        for (const d of list) {
            if (!pulumi.Resource.isInstance(d)) {
                throw new Error(
                    `harness: ${key} declares a dependsOn entry that is not a resource ` +
                        `(${String(d)}); the harness can only check resources`,
                );
            }
        }
        this.declared.set(key, list as pulumi.Resource[]);
        this.props.set(key, a.props as Record<string, unknown>);
        if ((a.opts as pulumi.CustomResourceOptions).deleteBeforeReplace === true) {
            this.deleteBeforeReplace.add(key);
        }
        return undefined;
    };

    /**
     * The resources each input property was built from, as keys: what the SDK sends the
     * engine as `propertyDependencies` (`getAllResources` of each property's value).
     */
    async propertyDeps(key: string): Promise<Record<string, string[]>> {
        const out: Record<string, string[]> = {};
        for (const [prop, value] of Object.entries(this.props.get(key) ?? {})) {
            if (value === undefined) continue;
            const resources = await getAllResources(pulumi.output(value));
            const keys = [...resources]
                .map((r) => this.keyOf.get(r))
                .filter((k): k is string => k !== undefined);
            if (keys.length > 0) out[prop] = [...new Set(keys)];
        }
        return out;
    }

    /** Throws unless every declared dependency of `key` already exists. */
    assertDependencies(key: string): void {
        for (const dep of this.declared.get(key) ?? []) {
            const depKey = this.keyOf.get(dep);
            if (depKey === undefined) {
                throw new Error(
                    `harness: ${key} depends on a resource the harness never saw registered`,
                );
            }
            if (!this.done.has(depKey)) {
                throw new Error(
                    `harness: ${key} is about to be created before its declared dependency ` +
                        `${depKey} exists on the engine`,
                );
            }
        }
    }

    dependencies(): Record<string, string[]> {
        const out: Record<string, string[]> = {};
        for (const [key, deps] of this.declared) {
            out[key] = deps.map((d) => this.keyOf.get(d) ?? "<unknown>");
        }
        return out;
    }
}

export class DockerHarness {
    readonly runId = newRunId();
    readonly engine = new Engine();
    private readonly state = new Map<string, StateEntry>();
    private readonly randoms = new Map<string, { inputsHash: string; result: string }>();
    private readonly exitHandler = () => this.cleanupSync();
    private readonly signalHandler = (signal: NodeJS.Signals) => {
        this.cleanupSync();
        process.exit(signal === "SIGINT" ? 130 : 143);
    };

    constructor(private readonly options: HarnessOptions = {}) {
        process.on("exit", this.exitHandler);
        process.once("SIGINT", this.signalHandler);
        process.once("SIGTERM", this.signalHandler);
        this.sweepStale();
    }

    /** The label filter of everything this run creates: `litestream-backup.test=<run id>`. */
    get labelFilter(): string {
        return `${TEST_LABEL}=${this.runId}`;
    }

    /** Sets the hook called after each Docker object is created. */
    onCreated(hook: HarnessOptions["onCreated"]): void {
        this.options.onCreated = hook;
    }

    // ----- deploy ----------------------------------------------------------------------------

    /** Runs `new LitestreamBackup(name, args)` under the harness mocks: one `pulumi up`. */
    async deploy(
        name: string,
        args: LitestreamBackupArgs,
        options: DeployOptions = {},
    ): Promise<DeployResult> {
        const run = new Run();
        const timeoutMs = options.timeoutMs ?? 420_000;
        await this.refresh(run);
        let outputs: DeployOutputs | undefined;

        // A failed registration or apply surfaces as an unhandled rejection: that is how the
        // Pulumi language host learns that the program failed. Record them instead of letting
        // vitest fail the test on them.
        const saved = process.listeners("unhandledRejection");
        process.removeAllListeners("unhandledRejection");
        const record = (reason: unknown) => run.error(reason);
        process.on("unhandledRejection", record);
        try {
            await sdk.withLocalStorage(async () => {
                await pulumi.runtime.setMocks(
                    {
                        newResource: (a) => this.newResource(run, a),
                        call: (a) => {
                            throw new Error(`harness: unexpected invoke ${a.token}`);
                        },
                    },
                    "litestream-backup",
                    options.stack ?? "test",
                    false,
                );
                const { LitestreamBackup } = await import("../../components");
                let backup: InstanceType<typeof LitestreamBackup>;
                try {
                    backup = new LitestreamBackup(name, args, {
                        transformations: [...(options.transformations ?? []), run.recorder],
                    });
                } catch (err) {
                    run.error(err);
                    return;
                }
                await this.settle(run, timeoutMs);
                if (run.errors.size === 0) outputs = await resolveOutputs(backup);
            });
            // Rejections that are still on their way.
            await sleep(50);
        } finally {
            process.removeListener("unhandledRejection", record);
            for (const l of saved)
                process.on("unhandledRejection", l as NodeJS.UnhandledRejectionListener);
        }
        return {
            ok: run.errors.size === 0 && outputs !== undefined,
            errors: [...run.errors.keys()],
            outputs,
            registered: run.registered,
            events: run.events,
            dependencies: run.dependencies(),
            durationMs: Date.now() - run.started,
        };
    }

    /** `--refresh`: objects that are gone from the engine leave the state. */
    private async refresh(run: Run): Promise<void> {
        for (const [key, entry] of [...this.state]) {
            const kind =
                entry.type === CONTAINER
                    ? "containers"
                    : entry.type === VOLUME
                      ? "volumes"
                      : "networks";
            if (!(await this.engine.inspect(kind, entry.dockerId))) {
                this.state.delete(key);
                run.event(key, "gone", `${entry.dockerName}: not on the engine any more (refresh)`);
            }
        }
    }

    /**
     * Waits until the program is done: every RPC answered (success), or an error was recorded
     * and nothing is in flight any more (a failed registration leaves its dependents waiting
     * forever, so the RPC queue never drains; `pulumi up` stops at the first error too).
     */
    private async settle(run: Run, timeoutMs: number): Promise<void> {
        const deadline = Date.now() + timeoutMs;
        let drained = false;
        void sdk.waitForRPCs().then(() => (drained = true));
        let idleSince: number | undefined;
        for (;;) {
            if (drained) return;
            if (run.errors.size > 0 && run.inFlight === 0) {
                idleSince ??= Date.now();
                if (Date.now() - idleSince >= 1000) return;
            } else {
                idleSince = undefined;
            }
            if (Date.now() > deadline) {
                run.error(new Error(`harness: the program did not finish within ${timeoutMs} ms`));
                return;
            }
            await sleep(100);
        }
    }

    // ----- the mock ----------------------------------------------------------------------------

    private async newResource(
        run: Run,
        a: pulumi.runtime.MockResourceArgs,
    ): Promise<{ id: string | undefined; state: Record<string, unknown> }> {
        const key = `${a.type}::${a.name}`;
        run.inFlight++;
        try {
            run.seen.add(key);
            run.assertDependencies(key);
            const inputs = unwrapSecrets(a.inputs) as Record<string, unknown>;
            run.registered.push({ type: a.type, name: a.name, inputs });
            const result = await this.handle(run, key, a, inputs);
            run.done.add(key);
            return result;
        } catch (err) {
            run.event(key, "fail", err instanceof Error ? err.message : String(err));
            throw err;
        } finally {
            run.inFlight--;
        }
    }

    private async handle(
        run: Run,
        key: string,
        a: pulumi.runtime.MockResourceArgs,
        inputs: Record<string, unknown>,
    ): Promise<{ id: string | undefined; state: Record<string, unknown> }> {
        switch (a.type) {
            case COMPONENT:
                run.event(key, "register");
                return { id: undefined, state: {} };
            case DOCKER_PROVIDER: {
                const host = inputs.host;
                if (host !== undefined && host !== "" && host !== "unix:///var/run/docker.sock") {
                    throw new Error(
                        `harness: the docker provider targets ${String(host)}; the harness runs only the local engine`,
                    );
                }
                const sshOpts = inputs.sshOpts;
                if (sshOpts !== undefined && sshOpts !== "[]" && stableJson(sshOpts) !== "[]") {
                    throw new Error(
                        `harness: sshOpts ${stableJson(sshOpts)} given for the local engine`,
                    );
                }
                const id = `${a.name}-provider-id`;
                run.event(key, "register", "local engine");
                return { id, state: a.inputs };
            }
            case RANDOM_STRING:
            case RANDOM_PASSWORD: {
                const inputsHash = hash(inputs);
                let entry = this.randoms.get(key);
                if (entry === undefined || entry.inputsHash !== inputsHash) {
                    entry = { inputsHash, result: randomResult(a.type, a.name, inputs) };
                    this.randoms.set(key, entry);
                    run.event(key, "create");
                } else {
                    run.event(key, "adopt");
                }
                // RandomPassword's result is secret in the provider's schema; mocks do not
                // apply that, so the harness does.
                const result =
                    a.type === RANDOM_PASSWORD ? pulumi.secret(entry.result) : entry.result;
                return { id: `${a.name}-id`, state: { ...a.inputs, result } };
            }
            case NETWORK:
            case VOLUME:
            case CONTAINER:
                this.checkProvider(run, key, a.provider);
                if (a.type === NETWORK) return this.network(run, key, a, inputs);
                if (a.type === VOLUME) return this.volume(run, key, a, inputs);
                return this.container(run, key, a, inputs);
            default:
                throw new Error(`harness: no mapping for resource type ${a.type} ("${a.name}")`);
        }
    }

    /** Docker objects must go through the component's own (local) provider. */
    private checkProvider(run: Run, key: string, provider: string | undefined): void {
        if (provider === undefined || !provider.includes(`${DOCKER_PROVIDER}::`)) {
            throw new Error(
                `harness: ${key} is registered without the component's docker provider (${String(provider)})`,
            );
        }
        run.providers.add(provider);
    }

    // ----- networks and volumes ----------------------------------------------------------

    private async network(
        run: Run,
        key: string,
        a: pulumi.runtime.MockResourceArgs,
        inputs: Record<string, unknown>,
    ) {
        const plan = planNetwork(a.name, inputs, this.runId);
        const inputsHash = hash(inputs);
        const existing = await this.engine.inspect<{ Id: string }>("networks", plan.name);
        const entry = this.state.get(key);
        if (existing && entry && entry.dockerId === existing.Id && entry.fullHash === inputsHash) {
            run.event(key, "adopt", plan.name);
            return { id: existing.Id, state: { ...a.inputs, name: plan.name } };
        }
        if (existing) {
            throw new Error(
                `harness: a network named ${plan.name} exists already and is not this stack's ` +
                    `(or its inputs changed); the harness does not replace networks`,
            );
        }
        const created = await this.engine.call<{ Id: string }>("POST", "/networks/create", {
            json: plan.body,
        });
        return this.created(run, key, a, NETWORK, created.Id, plan.name, inputsHash);
    }

    private async volume(
        run: Run,
        key: string,
        a: pulumi.runtime.MockResourceArgs,
        inputs: Record<string, unknown>,
    ) {
        const plan = planVolume(a.name, inputs, this.runId);
        const inputsHash = hash(inputs);
        const existing = await this.engine.inspect<{ Labels?: Record<string, string> }>(
            "volumes",
            plan.name,
        );
        const entry = this.state.get(key);
        if (existing) {
            if (existing.Labels?.[TEST_LABEL] !== this.runId) {
                throw new Error(
                    `harness: volume ${plan.name} exists and was not created by this run`,
                );
            }
            if (entry && entry.fullHash === inputsHash) {
                run.event(key, "adopt", plan.name);
                return { id: plan.name, state: { ...a.inputs, name: plan.name } };
            }
            throw new Error(
                `harness: the inputs of volume ${plan.name} changed; the harness does not replace volumes`,
            );
        }
        // The provider's id of a volume is its name.
        await this.engine.call("POST", "/volumes/create", { json: plan.body });
        return this.created(run, key, a, VOLUME, plan.name, plan.name, inputsHash);
    }

    /** Records a network or volume just created on the engine and answers the mock. */
    private async created(
        run: Run,
        key: string,
        a: pulumi.runtime.MockResourceArgs,
        type: typeof NETWORK | typeof VOLUME,
        dockerId: string,
        dockerName: string,
        inputsHash: string,
    ) {
        this.state.set(key, {
            type,
            dockerId,
            dockerName,
            replaceHash: inputsHash,
            fullHash: inputsHash,
            computed: {},
            propertyDeps: await run.propertyDeps(key),
        });
        run.event(key, "create", dockerName);
        await this.options.onCreated?.({ type, name: a.name, dockerName, id: dockerId });
        return { id: dockerId, state: { ...a.inputs, name: dockerName } };
    }

    // ----- containers --------------------------------------------------------------------

    private async container(
        run: Run,
        key: string,
        a: pulumi.runtime.MockResourceArgs,
        inputs: Record<string, unknown>,
    ) {
        const plan = planContainer(a.name, inputs, this.runId);
        const replaceHash = hash(
            Object.fromEntries(
                Object.entries(inputs).filter(([k]) => !CONTAINER_UPDATABLE.includes(k)),
            ),
        );
        const fullHash = hash(inputs);
        const entry = this.state.get(key);
        const current = entry
            ? await this.engine.inspect<ContainerInfo>("containers", entry.dockerId)
            : undefined;
        if (entry && !current) this.state.delete(key); // refresh: it is gone

        if (entry && current && entry.replaceHash === replaceHash) {
            if (entry.fullHash !== fullHash) {
                // In-place update: only the restart policy reaches the engine.
                const restart = String(inputs.restart ?? "no");
                if (restart !== restartPolicy(entry.plan)) {
                    await this.engine.call("POST", `/containers/${current.Id}/update`, {
                        json: { RestartPolicy: { Name: restart, MaximumRetryCount: 0 } },
                    });
                }
                run.event(key, "update", plan.name);
                this.state.set(key, { ...entry, fullHash, plan });
            }
            // Unchanged (or updated): a stopped container with mustRun (default true) is
            // started again (refresh sets must_run false, the update starts it).
            if (plan.mustRun && !current.State.Running) {
                await this.engine.call("POST", `/containers/${current.Id}/start`);
                run.event(key, "restart", plan.name);
            } else if (entry.fullHash === fullHash) {
                run.event(key, "adopt", plan.name);
            }
            return this.containerResult(a, current.Id, entry.computed);
        }

        const dbr = run.deleteBeforeReplace.has(key);
        if (entry && current && dbr) {
            await this.deleteDependents(run, key);
            await this.removeContainer(current.Id, entry.plan);
            this.state.delete(key);
            run.event(key, "replace", `${plan.name}: deleted before its replacement`);
        }
        const { id, computed } = await this.createContainer(run, key, plan, replaceHash, fullHash);
        if (entry && current && !dbr) {
            // Create before delete (the default): the old one goes after the new one exists.
            await this.removeContainer(current.Id, entry.plan);
            run.event(key, "replace", `${plan.name}: old container deleted after its replacement`);
        }
        return this.containerResult(a, id, computed);
    }

    /**
     * `calculateDependentReplacements`: before `root` is deleted for its replacement, every
     * dependent in the state that was not registered yet in this deploy, and one of whose
     * ForceNew inputs was built from `root` (or from a dependent already condemned), is
     * deleted, newest first.
     */
    private async deleteDependents(run: Run, root: string): Promise<void> {
        const condemned = new Set([root]);
        const toDelete: string[] = [];
        for (const [key, entry] of this.state) {
            if (key === root || run.seen.has(key)) continue;
            const props = Object.entries(entry.propertyDeps).filter(
                ([prop, deps]) => forcesNew(entry.type, prop) && deps.some((d) => condemned.has(d)),
            );
            if (props.length > 0) {
                condemned.add(key);
                toDelete.push(key);
            }
        }
        for (const key of toDelete.reverse()) {
            const entry = this.state.get(key)!;
            if (entry.type === CONTAINER) await this.removeContainer(entry.dockerId, entry.plan);
            else if (entry.type === VOLUME)
                await this.engine.call("DELETE", `/volumes/${entry.dockerName}`);
            else throw new Error(`harness: cannot delete dependent ${key} of ${root}`);
            this.state.delete(key);
            const why = Object.entries(entry.propertyDeps)
                .filter(
                    ([prop, deps]) =>
                        forcesNew(entry.type, prop) && deps.some((d) => condemned.has(d)),
                )
                .map(([prop]) => prop)
                .join(", ");
            run.event(
                key,
                "delete",
                `${entry.dockerName}: its ${why} depend on ${root}, replaced with deleteBeforeReplace`,
            );
        }
    }

    /** resourceDockerContainerCreate, step by step. */
    private async createContainer(
        run: Run,
        key: string,
        plan: ContainerPlan,
        replaceHash: string,
        fullHash: string,
    ): Promise<{ id: string; computed: Record<string, unknown> }> {
        // findImage: the provider pulls a missing image; the harness never does.
        if (!(await this.engine.inspect("images", plan.image))) {
            throw new Error(
                `Unable to create container with image ${plan.image}: not on the local engine ` +
                    `(the harness never pulls; run scripts/images.sh)`,
            );
        }
        // Binds with a volume name that does not exist make Docker create an unlabelled
        // volume silently: the program must have created every volume first.
        for (const v of plan.volumeNames) {
            const vol = await this.engine.inspect<{ Labels?: Record<string, string> }>(
                "volumes",
                v,
            );
            if (!vol || vol.Labels?.[TEST_LABEL] !== this.runId) {
                throw new Error(
                    `harness: container ${plan.name} mounts volume ${v}, which this deploy has not created`,
                );
            }
        }
        const propertyDeps = await run.propertyDeps(key);

        // ContainerCreate: on the default bridge (network_mode "bridge").
        const created = await this.engine.call<{ Id: string }>("POST", "/containers/create", {
            query: { name: plan.name },
            json: plan.body,
        });
        const id = created.Id;
        // In the state as soon as it exists (the provider calls d.SetId right away), so a
        // failure below leaves it to be replaced on the next deploy, and to the cleanup.
        const entry: StateEntry = {
            type: CONTAINER,
            dockerId: id,
            dockerName: plan.name,
            replaceHash: "incomplete",
            fullHash: "incomplete",
            computed: {},
            plan,
            propertyDeps,
        };
        this.state.set(key, entry);
        run.event(key, "create", plan.name);

        // networks_advanced: disconnect the default bridge, connect each network.
        if (plan.networks.length > 0) {
            try {
                await this.engine.call("POST", "/networks/bridge/disconnect", {
                    json: { Container: id, Force: false },
                });
            } catch (err) {
                if (!String(err).includes("is not connected to the network bridge")) throw err;
            }
            for (const n of plan.networks) {
                await this.engine.call("POST", `/networks/${encodeURIComponent(n.name)}/connect`, {
                    json: {
                        Container: id,
                        EndpointConfig: { Aliases: n.aliases, IPAMConfig: {} },
                    },
                });
            }
        }

        // uploads: one tar each, extracted at "/", before the start.
        for (const u of plan.uploads) {
            await this.engine.raw("PUT", `/containers/${id}/archive`, {
                query: { path: "/" },
                raw: {
                    body: tarOneFile(u.file, u.content, u.mode),
                    contentType: "application/x-tar",
                },
            });
        }

        // start (start defaults to true).
        await this.engine.call("POST", `/containers/${id}/start`);

        // wait: poll the health status every second until healthy; no health check is an
        // error; not healthy within waitTimeout fails the create (the container stays).
        if (plan.wait) {
            const deadline = Date.now() + plan.waitTimeoutSeconds * 1000;
            for (;;) {
                const info = await this.engine.inspect<ContainerInfo>("containers", id);
                const health = info?.State.Health;
                if (!health) {
                    throw new Error(
                        "you have supplied a 'wait' argument, but the container does not have a " +
                            "healthcheck defined. Please remove the 'wait' argument or add a " +
                            "'healthcheck' attribute",
                    );
                }
                if (health.Status === "healthy") break;
                if (Date.now() >= deadline) {
                    const last = health.Log?.[health.Log.length - 1];
                    throw new Error(
                        `${HEALTHY_STATE_ERROR}\n(harness: ${plan.name} was "${health.Status}" after ` +
                            `${plan.waitTimeoutSeconds}s; last check exit ${last?.ExitCode ?? "-"}: ` +
                            `${(last?.Output ?? "").trim()})`,
                    );
                }
                await sleep(1000);
            }
        }

        // attach: wait for the end of the container, then (logs) keep its output.
        const computed: Record<string, unknown> = {};
        if (plan.attach) {
            await this.engine.call("POST", `/containers/${id}/wait`, {
                query: { condition: "not-running" },
            });
            if (plan.logs) computed.containerLogs = await this.engine.logs(id);
        }
        this.state.set(key, { ...entry, replaceHash, fullHash, computed });
        await this.options.onCreated?.({
            type: CONTAINER,
            name: key.split("::")[1],
            dockerName: plan.name,
            id,
        });
        return { id, computed };
    }

    /** resourceDockerContainerDelete: stop (unless attach) with the grace period, then remove. */
    private async removeContainer(id: string, plan: ContainerPlan | undefined): Promise<void> {
        try {
            if (!plan?.attach) {
                await this.engine.call("POST", `/containers/${id}/stop`, {
                    query: { t: plan?.destroyGraceSeconds ?? 0 },
                });
            }
            await this.engine.call("DELETE", `/containers/${id}`, {
                query: { force: true, v: true },
            });
        } catch (err) {
            if (!(err instanceof EngineError && err.status === 404)) throw err;
        }
    }

    /** The outputs the provider's Read reports, over the inputs. */
    private async containerResult(
        a: pulumi.runtime.MockResourceArgs,
        id: string,
        computed: Record<string, unknown>,
    ): Promise<{ id: string; state: Record<string, unknown> }> {
        const info = await this.engine.inspect<ContainerInfo>("containers", id);
        if (!info) throw new Error(`harness: container ${id} vanished right after its create`);
        const state: Record<string, unknown> = {
            ...a.inputs,
            ...computed,
            name: info.Name.replace(/^\//, ""),
        };
        // exit_code is read only from a container that is not running.
        if (!info.State.Running) state.exitCode = info.State.ExitCode;
        return { id, state };
    }

    // ----- cleanup -----------------------------------------------------------------------

    /** Removes every container, volume and network of this run (label), containers first. */
    async cleanup(): Promise<void> {
        const filters = encodeURIComponent(JSON.stringify({ label: [this.labelFilter] }));
        const containers = await this.engine.call<{ Id: string }[]>(
            "GET",
            `/containers/json?all=1&filters=${filters}`,
        );
        for (const c of containers) {
            await this.engine
                .call("DELETE", `/containers/${c.Id}`, { query: { force: true, v: true } })
                .catch(() => undefined);
        }
        const volumes = await this.engine.call<{ Volumes: { Name: string }[] | null }>(
            "GET",
            `/volumes?filters=${filters}`,
        );
        for (const v of volumes.Volumes ?? []) {
            await this.engine.call("DELETE", `/volumes/${v.Name}`).catch(() => undefined);
        }
        const networks = await this.engine.call<{ Id: string }[]>(
            "GET",
            `/networks?filters=${filters}`,
        );
        for (const n of networks) {
            await this.engine.call("DELETE", `/networks/${n.Id}`).catch(() => undefined);
        }
        this.state.clear();
    }

    /** The same with the CLI, synchronously: for the exit and signal handlers. */
    cleanupSync(): void {
        cleanupLabelSync(this.labelFilter);
    }

    /** Stops the exit handlers (after a successful cleanup). */
    dispose(): void {
        process.removeListener("exit", this.exitHandler);
        process.removeListener("SIGINT", this.signalHandler);
        process.removeListener("SIGTERM", this.signalHandler);
    }

    /** Removes leftovers of test runs that started more than two hours ago (killed runs). */
    private sweepStale(): void {
        let out = "";
        try {
            out = docker([
                "ps",
                "-a",
                "--filter",
                `label=${TEST_LABEL}`,
                "--format",
                `{{.Label "${TEST_LABEL}"}}`,
            ]);
            out += docker([
                "volume",
                "ls",
                "--filter",
                `label=${TEST_LABEL}`,
                "--format",
                `{{.Label "${TEST_LABEL}"}}`,
            ]);
            out += docker([
                "network",
                "ls",
                "--filter",
                `label=${TEST_LABEL}`,
                "--format",
                `{{.Label "${TEST_LABEL}"}}`,
            ]);
        } catch {
            return;
        }
        const runs = new Set(
            out
                .split("\n")
                .map((l) => l.trim())
                .filter(Boolean),
        );
        for (const run of runs) {
            const started = Number(run.split("-")[0]);
            if (Number.isFinite(started) && Date.now() - started > STALE_RUN_MS) {
                cleanupLabelSync(`${TEST_LABEL}=${run}`);
            }
        }
    }
}

/** The restart policy a container was created with. */
function restartPolicy(plan: ContainerPlan | undefined): string | undefined {
    const hostConfig = plan?.body.HostConfig as { RestartPolicy?: { Name?: string } } | undefined;
    return hostConfig?.RestartPolicy?.Name;
}

/** What the harness reads of `GET /containers/{id}/json`. */
export interface ContainerInfo {
    Id: string;
    Name: string;
    State: {
        Status: string;
        Running: boolean;
        ExitCode: number;
        StartedAt: string;
        FinishedAt: string;
        Health?: {
            Status: string;
            Log?: { ExitCode: number; Output: string; Start: string; End: string }[];
        };
    };
    Config: { Env?: string[]; Labels?: Record<string, string> };
}

async function resolveOutputs(backup: {
    [K in keyof DeployOutputs]: pulumi.Output<DeployOutputs[K]>;
}): Promise<DeployOutputs> {
    const keys: (keyof DeployOutputs)[] = [
        "bucketName",
        "endpoint",
        "region",
        "replicaUrls",
        "accessKeyId",
        "secretAccessKey",
        "litestreamConfig",
        "appContainerName",
        "litestreamContainerName",
        "volumeName",
        "restoreCommand",
    ];
    const values = await Promise.all(
        keys.map(
            (k) =>
                Promise.race([
                    new Promise((r) => (backup[k] as pulumi.Output<unknown>).apply((v) => r(v))),
                    sleep(10_000).then(() => {
                        throw new Error(`harness: output ${k} did not resolve`);
                    }),
                ]) as Promise<unknown>,
        ),
    );
    return Object.fromEntries(keys.map((k, i) => [k, values[i]])) as unknown as DeployOutputs;
}

/** The docker CLI with a minimal environment (nothing of the host's reaches a container). */
export function docker(args: string[], input?: string | Buffer): string {
    return dockerRaw(args, input).toString("utf8");
}

/** The same, with the raw bytes of its output (e.g. the tar of `docker cp ... -`). */
export function dockerRaw(args: string[], input?: string | Buffer): Buffer {
    return execFileSync("docker", args, {
        input,
        env: {
            PATH: process.env.PATH ?? "/usr/bin:/bin",
            HOME: process.env.HOME ?? "/root",
            ...(process.env.DOCKER_HOST ? { DOCKER_HOST: process.env.DOCKER_HOST } : {}),
        },
        maxBuffer: 64 * 1024 * 1024,
        stdio: ["pipe", "pipe", "pipe"],
    });
}

/** Removes containers, then volumes, then networks carrying `label` (key=value). */
export function cleanupLabelSync(label: string): void {
    const ids = (args: string[]) => {
        try {
            return docker(args)
                .split("\n")
                .map((l) => l.trim())
                .filter(Boolean);
        } catch {
            return [];
        }
    };
    const quietly = (args: string[]) => {
        try {
            docker(args);
        } catch {
            // already gone
        }
    };
    const containers = ids(["ps", "-aq", "--filter", `label=${label}`]);
    if (containers.length) quietly(["rm", "-f", "-v", ...containers]);
    const volumes = ids(["volume", "ls", "-q", "--filter", `label=${label}`]);
    if (volumes.length) quietly(["volume", "rm", "-f", ...volumes]);
    const networks = ids(["network", "ls", "-q", "--filter", `label=${label}`]);
    if (networks.length) quietly(["network", "rm", ...networks]);
}
