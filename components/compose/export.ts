/**
 * The Compose export of the deployment: the `composeFile` output (./render.ts, from the same
 * plan the Docker deployment reads) and the `composeEnv` output that fills its variables.
 *
 * What is secret stays out of the file. The credential is always a reference. Each app
 * environment value that is a secret Output is a reference too (`APP_<KEY>`, ./variables.ts),
 * and one that is not is written as it is; the stack program (index.ts) marks every app value
 * secret, since stack config cannot say which one is. The file is built only from values that
 * are not secret, so it is a plain output, readable with `pulumi stack output composeFile`;
 * should an input it holds be secret all the same (an image or endpoint given as a secret),
 * Pulumi keeps the whole file secret. `composeEnv` holds the values of every variable the file
 * refers to, and is always secret.
 */
import * as pulumi from "@pulumi/pulumi";
import { AppArgs } from "../args";
import { DeploymentPlan, SecretRef } from "../plan/plan";
import { ServerPlan } from "../plan/server";
import { ComposeAppEnv, renderCompose } from "./render";
import { appVariables, CREDENTIAL_VARIABLES } from "./variables";

/** Everything the export is made of; all of it validated. */
export interface ComposeContext {
    /** The component's name, for the file's header. */
    name: string;
    /** The app's container name, which names the Compose project. */
    appName: string;
    plan: DeploymentPlan;
    /** The server the bucket lives on, when it runs beside the app (`local`). */
    server?: pulumi.Output<ServerPlan>;
    /** The rendered Litestream config (no credential in it). */
    config: pulumi.Output<string>;
    /** The rendered config of the claims' replica (../plan/claim.ts). */
    ownerConfig: pulumi.Output<string>;
    app: Pick<AppArgs, "image" | "envs">;
    accessKeyId: pulumi.Output<string>;
    secretAccessKey: pulumi.Output<string>;
    /** The component's labels. */
    labels: Record<string, string>;
    /** The values of the plan's secret environment variables. */
    secrets: Partial<Record<SecretRef, pulumi.Input<string>>>;
}

/** The two outputs. */
export interface ComposeExport {
    /** The Compose file; holds no secret. */
    file: pulumi.Output<string>;
    /** The value of every variable the file refers to, by name; secret. */
    env: pulumi.Output<Record<string, string>>;
}

/** One app environment entry, before it gets its variable. */
interface AppEntry {
    key: string;
    secret: boolean;
    /** Only for a value that is not secret. */
    value?: string;
}

/**
 * The app's environment as entries that hold no secret: each value's secrecy is read on the
 * value itself, and a secret value is never read. A whole map given as one secret Output
 * counts as secret in every value; only its keys are read.
 */
function appEntries(envs: AppArgs["envs"]): pulumi.Output<AppEntry[]> {
    if (envs === undefined) return pulumi.output([]);
    if (pulumi.Output.isInstance(envs)) {
        const whole = envs as pulumi.Output<Record<string, string>>;
        return pulumi
            .all([pulumi.unsecret(whole), pulumi.output(pulumi.isSecret(whole))])
            .apply(([values, secret]) =>
                Object.keys(values ?? {}).map((key) =>
                    secret ? { key, secret } : { key, secret, value: String(values[key]) },
                ),
            );
    }
    return pulumi.all(
        Object.entries(envs).map(([key, input]) => {
            const value = pulumi.output(input);
            return pulumi
                .output(pulumi.isSecret(value))
                .apply((secret) =>
                    secret
                        ? pulumi.output<AppEntry>({ key, secret })
                        : value.apply((v): AppEntry => ({ key, secret, value: String(v) })),
                );
        }),
    );
}

/** The app entries with their variables. */
function withVariables(entries: readonly AppEntry[]): ComposeAppEnv[] {
    const variables = appVariables(entries.filter((e) => e.secret).map((e) => e.key));
    return entries.map((e) =>
        e.secret ? { key: e.key, variable: variables.get(e.key) } : { key: e.key, value: e.value },
    );
}

/** The file's header: what it is and how its variables are filled. */
function header(name: string): string[] {
    return [
        `Docker Compose file of the litestream-backup component "${name}" (project ${pulumi.getProject()}, stack ${pulumi.getStack()}).`,
        "Generated from the same plan as the Docker deployment: one-shot services (restart: no) must exit 0",
        "before what depends on them starts; the app starts after the restores and a healthy Litestream sidecar.",
        "It holds no credential: set the variables it refers to in a .env file beside it",
        "(npm run compose writes one) or in Portainer's stack environment variables. Needs Compose 2.23.1 or later.",
    ];
}

/** The Compose file and the values of its variables. */
export function composeExport(ctx: ComposeContext): ComposeExport {
    const entries = appEntries(ctx.app.envs);
    const file = pulumi
        .all([ctx.config, ctx.ownerConfig, pulumi.output(ctx.app.image), entries, ctx.server])
        .apply(([config, ownerConfig, image, appEnv, server]) =>
            renderCompose({
                plan: ctx.plan,
                server,
                litestreamConfig: config,
                ownerConfig,
                appImage: image,
                appEnv: withVariables(appEnv),
                labels: ctx.labels,
                header: header(ctx.name),
                appName: ctx.appName,
            }),
        );
    // Each secret variable of the plan, once, with its value.
    const planSecrets = new Map<string, SecretRef>();
    for (const c of ctx.plan.containers) {
        for (const e of c.secretEnv) planSecrets.set(e.name, e.secret);
    }
    const secretValues = pulumi.all(
        [...planSecrets].map(([name, secret]) =>
            pulumi.output(ctx.secrets[secret] ?? "").apply((value) => [name, value] as const),
        ),
    );
    const env = pulumi.secret(
        pulumi
            .all([
                ctx.accessKeyId,
                ctx.secretAccessKey,
                entries,
                pulumi.output(ctx.app.envs ?? {}),
                secretValues,
            ])
            .apply(([id, secret, appEnv, values, secrets]) => {
                const result: Record<string, string> = {
                    [CREDENTIAL_VARIABLES[0].name]: id,
                    [CREDENTIAL_VARIABLES[1].name]: secret,
                };
                for (const [name, value] of secrets) result[name] = value;
                for (const e of withVariables(appEnv)) {
                    if (e.variable !== undefined) {
                        result[e.variable.name] = String((values as Record<string, string>)[e.key]);
                    }
                }
                return result;
            }),
    );
    return { file, env };
}
