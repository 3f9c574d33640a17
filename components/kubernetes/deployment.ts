/**
 * The deployment on Kubernetes: the plan (../plan/plan.ts) as a StatefulSet with one replica,
 * built by ./manifests.ts, with the objects it refers to.
 *
 * - A provider for `kubernetes.kubeconfig` (the ambient kubeconfig when unset).
 * - A ConfigMap with the plan's files and a Secret with the credential (plus one with the app's
 *   environment, and one with the plan's secret variables, the push monitors' URLs, when it
 *   has any). Pulumi names them (`<component>-files-<random>`) and replaces them when their
 *   content changes, as the kubernetes provider does with ConfigMaps and Secrets unless told to
 *   mutate them: the pod template then refers to the new name, so a new Litestream config or
 *   credential rolls the pod. A `subPath` mount would never see an update in place anyway.
 * - The gate Jobs (the preflight): awaited by the provider, which fails a Job at once when its
 *   pod fails and quotes the container's termination message (its last log lines). The
 *   StatefulSet depends on them, so a broken credential stops `pulumi up` within seconds, with
 *   the reason, and the running pod is not replaced.
 * - The StatefulSet, awaited until its pod is ready (the sidecar's probes passed and the app
 *   runs), for at most the plan's health window plus an allowance (readyTimeoutSeconds).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { AppArgs, KubernetesArgs } from "../args";
import { DatabaseReplica } from "../litestream/databases";
import { ContainerPlan, CREDENTIAL_ENV, DeploymentPlan, LABEL_ROLE, SecretRef } from "../plan/plan";
import { ReplicaTarget } from "../storage/target";
import { namespaceProblem } from "../validate";
import { checkedWhenKnown } from "../when-known";
import {
    configMapData,
    containerLabelAnnotations,
    DATA_VOLUME,
    dataClaimName,
    gateJobs,
    jobPodSpec,
    labelValue,
    podName,
    PodRefs,
    podSpec,
    readyTimeoutSeconds,
    secretEnvRefs,
} from "./manifests";
import { renderKubectlRestoreCommand } from "./restore";

/** The data volume's size when `kubernetes.storageSize` is not set. */
export const DEFAULT_STORAGE_SIZE = "1Gi";

/** The namespace when `kubernetes.namespace` is not set. */
export const DEFAULT_NAMESPACE = "default";

/**
 * How long `pulumi up` waits for a gate Job: its own bound (the preflight's listing timeout a
 * database) plus the time to schedule its pod.
 */
export const GATE_JOB_TIMEOUT_SECONDS = 300;

/** Everything the Kubernetes deployment is built from; all of it validated and resolved. */
export interface KubernetesContext {
    /** The component's name; children are named `${name}-<role>`. */
    name: string;
    /** The app's container name: the StatefulSet's name. */
    appName: string;
    plan: DeploymentPlan;
    app: Pick<AppArgs, "image" | "envs">;
    databases: readonly DatabaseReplica[];
    /** The rendered Litestream config (no credential in it). */
    config: pulumi.Output<string>;
    /** The rendered config of the claims' replica (../plan/claim.ts). */
    ownerConfig: pulumi.Output<string>;
    target: ReplicaTarget;
    /** The values of the plan's secret environment variables (each kept secret). */
    secrets: Partial<Record<SecretRef, pulumi.Input<string>>>;
    args: KubernetesArgs;
    /** The component's labels (on every object). */
    labels: Record<string, string>;
    parent: pulumi.Resource;
}

/** What the deployment creates, and the outputs it gives. */
export interface KubernetesDeployment {
    provider: k8s.Provider;
    statefulSet: k8s.apps.v1.StatefulSet;
    files: k8s.core.v1.ConfigMap;
    credentials: k8s.core.v1.Secret;
    /** The Secret of the plan's secret variables; undefined when the plan has none. */
    secretEnv: k8s.core.v1.Secret | undefined;
    jobs: k8s.batch.v1.Job[];
    statefulSetName: pulumi.Output<string>;
    namespace: pulumi.Output<string>;
    /** The claim of the data volume (`data-<statefulSet>-0`). */
    volumeName: pulumi.Output<string>;
    /** `kubectl exec` into the sidecar: one restore line a database. */
    restoreCommand: pulumi.Output<string>;
    /** The verifier's container in the pod; empty when the plan has none. */
    verifyContainerName: pulumi.Output<string>;
}

function base64(value: string): string {
    return Buffer.from(value, "utf8").toString("base64");
}

/** Label values as Kubernetes accepts them. */
function labelValues(labels: Record<string, string>): Record<string, string> {
    return Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, labelValue(v)]));
}

/** The app's environment as Secret data, or undefined when the app has none. */
function appEnvData(envs: AppArgs["envs"]): pulumi.Output<Record<string, string>> | undefined {
    if (envs === undefined) return undefined;
    return pulumi
        .output(envs)
        .apply((values) =>
            Object.fromEntries(
                Object.entries(values ?? {}).map(([key, value]) => [key, base64(String(value))]),
            ),
        );
}

/** The plan's secret variables as Secret data, one key a secret; undefined when it has none. */
function secretEnvData(
    plan: DeploymentPlan,
    secrets: KubernetesContext["secrets"],
): pulumi.Output<Record<string, string>> | undefined {
    const refs = secretEnvRefs(plan);
    if (refs.length === 0) return undefined;
    const values = refs.map((ref) => {
        const value = secrets[ref];
        if (value === undefined) throw new Error(`the plan needs ${ref}, which is unset`);
        return pulumi.output(value).apply((v) => [ref, base64(v)] as const);
    });
    return pulumi.all(values).apply((entries) => Object.fromEntries(entries));
}

/** Creates the provider, the ConfigMap, the Secrets, the gate Jobs and the StatefulSet. */
export function createKubernetesDeployment(ctx: KubernetesContext): KubernetesDeployment {
    const { name, plan, parent } = ctx;
    const provider = new k8s.Provider(
        `${name}-kubernetes`,
        {
            kubeconfig:
                ctx.args.kubeconfig === undefined ? undefined : pulumi.secret(ctx.args.kubeconfig),
        },
        { parent },
    );
    const opts = { parent, provider };
    const namespace = checkedWhenKnown(
        ctx.args.namespace ?? DEFAULT_NAMESPACE,
        "kubernetes.namespace",
        namespaceProblem,
    );
    const labels = labelValues(ctx.labels);
    const roleLabels = (role: string) => ({ ...labels, [LABEL_ROLE]: role });

    const files = new k8s.core.v1.ConfigMap(
        `${name}-files`,
        {
            metadata: { namespace, labels: roleLabels("litestream") },
            data: pulumi
                .all([ctx.config, ctx.ownerConfig])
                .apply(([litestreamConfig, ownerConfig]) =>
                    configMapData(plan, { litestreamConfig, ownerConfig }),
                ),
        },
        opts,
    );
    // The credential lives only in this Secret; the pods read it with envFrom.
    const credentials = new k8s.core.v1.Secret(
        `${name}-credentials`,
        {
            metadata: { namespace, labels: roleLabels("litestream") },
            type: "Opaque",
            data: pulumi.secret(
                pulumi
                    .all([ctx.target.accessKeyId, ctx.target.secretAccessKey])
                    .apply(([id, secret]) => ({
                        [CREDENTIAL_ENV[0]]: base64(id),
                        [CREDENTIAL_ENV[1]]: base64(secret),
                    })),
            ),
        },
        opts,
    );
    const envData = appEnvData(ctx.app.envs);
    const appEnv =
        envData &&
        new k8s.core.v1.Secret(
            `${name}-app-env`,
            {
                metadata: { namespace, labels: roleLabels("app") },
                type: "Opaque",
                data: pulumi.secret(envData),
            },
            opts,
        );

    // The push monitors' URLs: in this Secret only, read with `secretKeyRef`.
    const secretData = secretEnvData(plan, ctx.secrets);
    const secretEnv =
        secretData &&
        new k8s.core.v1.Secret(
            `${name}-secret-env`,
            {
                metadata: { namespace, labels: roleLabels("litestream") },
                type: "Opaque",
                data: pulumi.secret(secretData),
            },
            opts,
        );

    const refs: pulumi.Output<PodRefs> = pulumi
        .all([
            files.metadata.name,
            credentials.metadata.name,
            appEnv?.metadata.name,
            pulumi.output(ctx.app.image),
            secretEnv?.metadata.name,
        ])
        .apply(([filesConfigMap, credentialsSecret, appEnvSecret, appImage, secretEnvSecret]) => ({
            filesConfigMap,
            credentialsSecret,
            appEnvSecret,
            appImage,
            secretEnvSecret,
        }));

    const jobs = gateJobs(plan).map((c: ContainerPlan) => {
        const jobLabels = roleLabels(c.role);
        return new k8s.batch.v1.Job(
            `${name}-${c.key}`,
            {
                metadata: { namespace, labels: jobLabels },
                spec: {
                    // One run: a failure is reported at once, with the container's log.
                    backoffLimit: 0,
                    template: {
                        metadata: { labels: jobLabels },
                        spec: refs.apply((r) => jobPodSpec(c, plan, r)),
                    },
                },
            },
            {
                ...opts,
                dependsOn: ctx.target.ready,
                customTimeouts: {
                    create: `${GATE_JOB_TIMEOUT_SECONDS}s`,
                    update: `${GATE_JOB_TIMEOUT_SECONDS}s`,
                },
            },
        );
    });

    const podLabels = roleLabels("app");
    const timeout = `${readyTimeoutSeconds(plan)}s`;
    const statefulSet = new k8s.apps.v1.StatefulSet(
        `${name}-statefulset`,
        {
            metadata: { name: ctx.appName, namespace, labels: podLabels },
            spec: {
                replicas: 1,
                // With one replica the order of pods does not matter, and `OrderedReady` would
                // not replace a pod that is not ready (a revoked key, a failed restore) until
                // someone deletes it by hand: with `Parallel`, `pulumi up` with the fix rolls it.
                podManagementPolicy: "Parallel",
                selector: { matchLabels: podLabels },
                template: {
                    metadata: { labels: podLabels, annotations: containerLabelAnnotations(plan) },
                    spec: refs.apply((r) => podSpec(plan, r)),
                },
                volumeClaimTemplates: [
                    {
                        metadata: { name: DATA_VOLUME, labels: roleLabels("data") },
                        spec: {
                            accessModes: ["ReadWriteOnce"],
                            storageClassName: ctx.args.storageClassName,
                            resources: {
                                requests: { storage: ctx.args.storageSize ?? DEFAULT_STORAGE_SIZE },
                            },
                        },
                    },
                ],
                // `pulumi destroy` removes the data volume, as on a Docker host (the backups stay
                // in the bucket); scaling to zero keeps it.
                persistentVolumeClaimRetentionPolicy: {
                    whenDeleted: "Delete",
                    whenScaled: "Retain",
                },
            },
        },
        {
            ...opts,
            dependsOn: [...jobs, ...ctx.target.ready],
            customTimeouts: { create: timeout, update: timeout },
        },
    );

    const statefulSetName = statefulSet.metadata.name;
    const ns = statefulSet.metadata.namespace;
    const sidecar = plan.containers.find((c) => c.role === "litestream");
    const verifier = plan.containers.find((c) => c.role === "verify");
    return {
        provider,
        statefulSet,
        files,
        credentials,
        secretEnv,
        jobs,
        statefulSetName,
        namespace: ns,
        volumeName: statefulSetName.apply(dataClaimName),
        restoreCommand: pulumi.all([ns, statefulSetName]).apply(([namespace, sts]) =>
            renderKubectlRestoreCommand({
                namespace,
                pod: podName(sts),
                container: sidecar?.name ?? "",
                databases: ctx.databases,
            }),
        ),
        verifyContainerName: pulumi.output(verifier?.name ?? ""),
    };
}
