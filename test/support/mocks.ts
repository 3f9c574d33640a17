/**
 * Pulumi mocks for unit tests: no CLI, no plugins. Each test file calls `installMocks`
 * in `beforeAll` and then imports the component dynamically, so every file has its own
 * runtime state.
 */
import * as pulumi from "@pulumi/pulumi";

/** A resource the program registered, with the inputs the engine would have received. */
export interface Registered {
    type: string;
    name: string;
    inputs: Record<string, unknown>;
    provider?: string;
}

/** A data-source call the program made. */
export interface Invoked {
    token: string;
    inputs: Record<string, unknown>;
}

export interface MockOptions {
    /** Outputs a provider computes, by resource type; the result is merged over the inputs. */
    outputs?: Record<string, (r: Registered) => Record<string, unknown>>;
    /** Results of data-source calls, by token. */
    calls?: Record<string, (inputs: Record<string, unknown>) => Record<string, unknown>>;
    project?: string;
    stack?: string;
    preview?: boolean;
}

/** The marker a secret input carries when it reaches `newResource`. */
export const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270";

/** Whether a raw input value (as `newResource` sees it) is a secret. */
export function isSecretInput(value: unknown): boolean {
    return (
        typeof value === "object" &&
        value !== null &&
        (value as Record<string, unknown>)[SECRET_SIG] === SECRET_VALUE
    );
}

/** Removes secret wrappers, deeply, from raw inputs. */
export function unwrapSecrets(value: unknown): unknown {
    if (isSecretInput(value)) return unwrapSecrets((value as { value: unknown }).value);
    if (Array.isArray(value)) return value.map(unwrapSecrets);
    if (typeof value === "object" && value !== null) {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v)]));
    }
    return value;
}

/** Outputs the real providers compute that the component reads. */
const DEFAULT_OUTPUTS: Record<string, (r: Registered) => Record<string, unknown>> = {
    "docker:index/container:Container": (r) => ({ name: r.inputs.name ?? r.name, exitCode: 0 }),
    "docker:index/volume:Volume": (r) => ({ name: r.inputs.name ?? r.name }),
    "docker:index/network:Network": (r) => ({ name: r.inputs.name ?? r.name }),
};

/** Installs mocks and returns the live lists of registrations and calls. */
export function installMocks(options: MockOptions = {}): {
    resources: Registered[];
    invokes: Invoked[];
} {
    const resources: Registered[] = [];
    const invokes: Invoked[] = [];
    const outputs = { ...DEFAULT_OUTPUTS, ...options.outputs };
    pulumi.runtime.setMocks(
        {
            newResource(args: pulumi.runtime.MockResourceArgs) {
                const registered: Registered = {
                    type: args.type,
                    name: args.name,
                    inputs: args.inputs,
                    provider: args.provider,
                };
                resources.push(registered);
                const extra = outputs[args.type]?.(registered) ?? {};
                return { id: `${args.name}-id`, state: { ...args.inputs, ...extra } };
            },
            call(args: pulumi.runtime.MockCallArgs) {
                invokes.push({ token: args.token, inputs: args.inputs });
                const handler = options.calls?.[args.token];
                if (!handler) throw new Error(`unexpected call ${args.token}`);
                return handler(args.inputs);
            },
        },
        options.project ?? "litestream-backup",
        options.stack ?? "test",
        options.preview ?? false,
    );
    return { resources, invokes };
}

/** The value of an output (non-preview mocks resolve every output). */
export function resolve<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((r) => output.apply(r));
}

/** Whether an output is secret. */
export function isSecret<T>(output: pulumi.Output<T>): Promise<boolean> {
    return pulumi.isSecret(output);
}

/** Waits until every registration started so far has reached the mocks. */
export async function settle(): Promise<void> {
    for (let i = 0; i < 10; i++) await new Promise((r) => setTimeout(r, 10));
}

/** The value of an output, or the error its computation threw. */
export function settled<T>(output: pulumi.Output<T>): Promise<T> {
    return (output as unknown as { promise(): Promise<T> }).promise();
}

/** A child as the parent's `transformations` saw it: name, input properties and options. */
export interface RecordedChild {
    type: string;
    name: string;
    resource: pulumi.Resource;
    props: Record<string, unknown>;
    opts: pulumi.CustomResourceOptions;
}

/**
 * A component to parent the children under test. Its `transformations` option records each
 * child's resource options, which the mocks never see (`dependsOn`, `retainOnDelete`,
 * `deleteBeforeReplace`, ...).
 */
export function recordingParent(name: string): {
    parent: pulumi.ComponentResource;
    children: RecordedChild[];
    /** Options of each child, by resource name. */
    opts: Map<string, pulumi.CustomResourceOptions>;
} {
    const children: RecordedChild[] = [];
    const opts = new Map<string, pulumi.CustomResourceOptions>();
    const parent = new pulumi.ComponentResource(
        "test:index:Parent",
        name,
        {},
        {
            transformations: [
                (a) => {
                    const child = {
                        type: a.type,
                        name: a.name,
                        resource: a.resource,
                        props: a.props as Record<string, unknown>,
                        opts: a.opts as pulumi.CustomResourceOptions,
                    };
                    children.push(child);
                    opts.set(a.name, child.opts);
                    return undefined;
                },
            ],
        },
    );
    return { parent, children, opts };
}
