/**
 * The deployment on a Docker host: the data volume and one container for each entry of the
 * plan (../plan/plan.ts), in its order. One-shot containers (the preflight, the restores, the
 * ownership step) are run to the end (`attach`), and what comes after them gets its restart
 * policy through their gate (./gate.ts), so it is created only once they exited 0. The sidecar
 * is waited for until its health check passes (`wait`).
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { formatGoDuration, SECOND_NS } from "../litestream/duration";
import { HealthcheckPlan, SIDECAR_WAIT_TIMEOUT_SECONDS } from "../plan/healthcheck";
import { ContainerPlan, CREDENTIAL_ENV, LABEL_ROLE, PlanFile } from "../plan/plan";
import { Deployment, DeploymentContext } from "./context";
import { gatePassed } from "./gate";
import { renderRestoreCommand } from "./restore";

/**
 * Label of a one-shot that runs on every deploy (`everyDeploy`, the on-deploy drill): the
 * run's own value, so that every `pulumi up` replaces the container, which runs it again.
 */
export const LABEL_DEPLOY_RUN = "litestream-backup.deploy-run";

/** `KEY=value` entries of the app's environment, in the order given. */
function appEnvs(
    envs: pulumi.Input<{ [key: string]: pulumi.Input<string> }> | undefined,
): pulumi.Output<string[]> {
    return pulumi
        .output(envs ?? {})
        .apply((values) => Object.entries(values).map(([key, value]) => `${key}=${value}`));
}

/**
 * The Docker health check of a plan's check, durations in Go's `Duration.String()` form: the
 * provider stores what it reads back from the engine in that form, and the check is
 * replace-only, so any other spelling would replace the container on every `pulumi up`.
 */
export function dockerHealthcheck(check: HealthcheckPlan): docker.types.input.ContainerHealthcheck {
    const duration = (seconds: number) => formatGoDuration(seconds * SECOND_NS);
    return {
        tests: ["CMD", ...check.command],
        interval: duration(check.intervalSeconds),
        timeout: duration(check.timeoutSeconds),
        retries: check.retries,
        startPeriod: duration(check.startPeriodSeconds),
    };
}

/** Creates the volume and the plan's containers. */
export function createDeployment(ctx: DeploymentContext): Deployment {
    const { plan } = ctx;
    const opts = { parent: ctx.parent, provider: ctx.dockerHost.provider };
    const labels = (extra: Record<string, string>) => [
        ...ctx.dockerHost.labels,
        ...Object.entries(extra).map(([label, value]) => ({ label, value })),
    ];

    const volume = new docker.Volume(
        `${ctx.name}-data`,
        { name: plan.volumeName, labels: labels({ [LABEL_ROLE]: "data" }) },
        // The Docker name is fixed, and creating a volume under an existing name returns the
        // existing one: the old volume must go (with its containers) before the new one.
        { ...opts, deleteBeforeReplace: true },
    );
    const controlVolume = new docker.Volume(
        `${ctx.name}-control`,
        { name: plan.controlVolumeName, labels: labels({ [LABEL_ROLE]: "control" }) },
        { ...opts, deleteBeforeReplace: true },
    );
    const mounts = (c: ContainerPlan) => [
        ...(c.dataVolume ? [{ volumeName: volume.name, containerPath: plan.dataDir }] : []),
        ...(c.controlVolume
            ? [{ volumeName: controlVolume.name, containerPath: plan.controlDir }]
            : []),
    ];
    const networksAdvanced = [{ name: ctx.dockerHost.network.name }];

    // The credential lives only in the Litestream containers' environment, as a secret; the
    // config refers to no credential (Litestream reads these two variables).
    const credentialEnvs = pulumi.secret(
        pulumi
            .all([ctx.target.accessKeyId, ctx.target.secretAccessKey])
            .apply(([id, secret]) => [
                `${CREDENTIAL_ENV[0]}=${id}`,
                `${CREDENTIAL_ENV[1]}=${secret}`,
            ]),
    );
    // Every variable of a container with a secret in it is one secret list.
    const envs = (c: ContainerPlan): pulumi.Input<string[]> | undefined => {
        if (c.appEnv) return appEnvs(ctx.app.envs);
        if (!c.credentials && c.secretEnv.length === 0) return undefined;
        const secrets = c.secretEnv.map((e) => {
            const value = ctx.secrets[e.secret];
            if (value === undefined) throw new Error(`${c.key} needs ${e.secret}, which is unset`);
            return pulumi.output(value).apply((v) => `${e.name}=${v}`);
        });
        const credentials: pulumi.Output<string[]> = c.credentials
            ? credentialEnvs
            : pulumi.output([]);
        return pulumi.secret(
            pulumi
                .all([credentials, pulumi.all(secrets)])
                .apply(([fromCredential, fromSecrets]) => [...fromCredential, ...fromSecrets]),
        );
    };
    const fileContent = (file: PlanFile): pulumi.Input<string> => {
        if (typeof file.content === "string") return file.content;
        return file.content.ref === "ownerConfig" ? ctx.ownerConfig : ctx.config;
    };

    const containers: Record<string, docker.Container> = {};
    const plans: Record<string, ContainerPlan> = {};
    /** The one-shots each container waits for, through its own gate or one before it. */
    const gatedBy: Record<string, Set<string>> = {};
    for (const c of plan.containers) {
        const before = c.after.map((key) => plans[key]);
        // A one-shot that a container before this one already waits for through its gate needs
        // no gate here: this container depends on that one, which is not created when the gate
        // fails. So the app, which follows the gated sidecar, takes no input from the gate,
        // and a replaced restore or sidecar (a new credential, say) leaves the app running.
        const covered = new Set(before.flatMap((b) => [...(gatedBy[b.key] ?? [])]));
        const gates = before.filter((b) => b.run === "once" && !covered.has(b.key));
        gatedBy[c.key] = new Set([...covered, ...gates.map((g) => g.key)]);
        const image = typeof c.image === "string" ? c.image : ctx.app.image;
        const gate =
            gates.length === 0
                ? undefined
                : gatePassed(
                      gates.map((b) => ({
                          container: containers[b.key],
                          role: b.role,
                          database: b.database?.path,
                      })),
                  );
        const once = c.run === "once";
        const restart = once ? "no" : "unless-stopped";
        const container = new docker.Container(
            `${ctx.name}-${c.key}`,
            {
                name: c.name,
                image,
                entrypoints: c.entrypoint,
                command: c.command,
                uploads:
                    c.files.length === 0
                        ? undefined
                        : c.files.map((f) => ({ file: f.path, content: fileContent(f) })),
                envs: envs(c),
                ports: c.ports.length === 0 ? undefined : c.ports,
                volumes: mounts(c).length === 0 ? undefined : mounts(c),
                // Metrics (`addr` in the config, when metricsPort is set) are reached by name on
                // this network, `http://<litestreamContainerName>:<port>/metrics`; nothing is
                // published on the host.
                networksAdvanced,
                labels: labels(
                    c.everyDeploy ? { ...c.labels, [LABEL_DEPLOY_RUN]: ctx.runId } : c.labels,
                ),
                user: c.user,
                // The restart policy resolves only after every one-shot before this container
                // exited 0 (and throws otherwise), so a failed step stops the deploy before this
                // container is created or replaced. The gate rides on `restart` because the
                // provider updates it in place: a property built from a one-shot's output is
                // unknown while that one-shot is replaced, and Pulumi deletes, before a
                // delete-before-replace, every dependent whose unknown property forces a
                // replacement (an image would). So a failing preflight leaves the running
                // sidecar as it was.
                restart: gate === undefined ? restart : gate.apply(() => restart),
                ...(once ? { attach: true, logs: true, mustRun: false } : {}),
                healthcheck: c.healthcheck && dockerHealthcheck(c.healthcheck),
                ...(c.waitHealthy ? { wait: true, waitTimeout: SIDECAR_WAIT_TIMEOUT_SECONDS } : {}),
                ...(c.stopGraceSeconds === undefined
                    ? {}
                    : { stopTimeout: c.stopGraceSeconds, destroyGraceSeconds: c.stopGraceSeconds }),
            },
            {
                ...opts,
                // Plain dependencies, not inputs built from their outputs (but for the gate):
                // a replaced restore container or sidecar (a new credential, say) must not take
                // the running app down with it. The first steps wait for the bucket.
                dependsOn:
                    before.length === 0 ? ctx.target.ready : before.map((b) => containers[b.key]),
                // The Docker name is fixed: the old container must go before the new one.
                deleteBeforeReplace: true,
                // The provider updates only `restart` and `mustRun` in place: without this a new
                // health check would never reach a running container.
                ...(c.healthcheck ? { replaceOnChanges: ["healthcheck"] } : {}),
            },
        );
        containers[c.key] = container;
        plans[c.key] = c;
    }

    const restoreCommand = pulumi
        .all([
            ctx.dockerHost.provider.host,
            ctx.dockerHost.network.name,
            volume.name,
            ctx.target.bucket,
            ctx.target.endpoint,
            ctx.target.region,
        ])
        .apply(([host, network, volumeName, bucket, endpoint, region]) =>
            renderRestoreCommand({
                host,
                network,
                volume: volumeName,
                dataDir: plan.dataDir,
                image: ctx.litestreamImage,
                bucket,
                endpoint: ctx.target.endpointInConfig ? endpoint : undefined,
                region,
                databases: ctx.databases,
            }),
        );

    return {
        volume,
        controlVolume,
        containers,
        litestreamContainer: containers.litestream,
        appContainer: containers.app,
        verifyContainer: containers.verify,
        restoreContainers: plan.containers
            .filter((c) => c.role === "restore")
            .map((c) => containers[c.key]),
        restoreCommand,
    };
}
