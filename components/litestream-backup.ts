import * as pulumi from "@pulumi/pulumi";
import { LitestreamBackupArgs, StorageProvider } from "./args";
import { composeExport } from "./compose/export";
import { createDeployment } from "./docker/deployment";
import { componentLabels, createDockerHost } from "./docker/host";
import { renderRestoreCommand } from "./docker/restore";
import { ownerReplica, OWNER_SYNC_INTERVAL } from "./plan/claim";
import { createKubernetesDeployment } from "./kubernetes/deployment";
import { CONTROL_SOCKET_PATH } from "./plan/paths";
import { deploymentPlan, planNames } from "./plan/plan";
import { renderLitestreamConfig } from "./litestream/config";
import { resolveDatabases } from "./litestream/databases";
import { parseGoDuration, SECOND_NS } from "./litestream/duration";
import { resolveTiming } from "./litestream/timing";
import { createStorage } from "./storage";
import { ReplicaTarget } from "./storage/target";
import {
    accountIdProblem,
    bucketNameProblem,
    defaultBucketName,
    dockerHostProblem,
    endpointProblem,
    heartbeatUrlProblem,
    pinnedImageProblem,
    validateArgs,
} from "./validate";
import { LITESTREAM_IMAGE } from "./versions";
import { checkedWhenKnown } from "./when-known";

/** Time between two restore drills when `verify.interval` is not set. */
export const DEFAULT_VERIFY_INTERVAL = "6h";

/** The component's type token. */
export const LITESTREAM_BACKUP_TYPE = "litestream-backup:index:LitestreamBackup";

/**
 * Throws one error listing every broken rule; the Pulumi CLI shows each against its field.
 * Runs before the component registers, so bad input creates nothing at all.
 */
function assertValid(name: string, args: LitestreamBackupArgs): void {
    const issues = validateArgs(name, args);
    if (issues.length === 1) {
        throw new pulumi.InputPropertyError(issues[0]);
    }
    if (issues.length > 1) {
        throw new pulumi.InputPropertiesError({
            message: `LitestreamBackup "${name}" has ${issues.length} invalid inputs:\n${issues.map((i) => `- ${i.reason}`).join("\n")}`,
            errors: issues,
        });
    }
}

/**
 * Continuous off-site backup of an app's SQLite databases with a Litestream sidecar: the
 * bucket and a credential scoped to it, the app and sidecar containers on a Docker host or in
 * a StatefulSet on Kubernetes, and a restore of missing databases before the app starts.
 */
export class LitestreamBackup extends pulumi.ComponentResource {
    /** Name of the bucket holding the replicas. */
    public readonly bucketName: pulumi.Output<string>;
    /** S3 API endpoint of the bucket, as the containers reach it. */
    public readonly endpoint: pulumi.Output<string>;
    /** Region used to sign requests (`auto` for R2). */
    public readonly region: pulumi.Output<string>;
    /** One `s3://bucket/path/<db>` URL a database, in the order of `app.databases`. */
    public readonly replicaUrls: pulumi.Output<string[]>;
    /** Access key id of the bucket-scoped credential (secret). */
    public readonly accessKeyId: pulumi.Output<string>;
    /** Secret access key of the bucket-scoped credential (secret). */
    public readonly secretAccessKey: pulumi.Output<string>;
    /** The rendered Litestream config; it holds no credential. */
    public readonly litestreamConfig: pulumi.Output<string>;
    /**
     * Container name of the app: on a Docker host (and in `composeFile`) the container's name; on
     * Kubernetes the app's container in the StatefulSet's pod (`kubectl logs <pod> -c <name>`).
     */
    public readonly appContainerName: pulumi.Output<string>;
    /**
     * Container name of the Litestream sidecar: the container on a Docker host, the sidecar's
     * container in the pod on Kubernetes.
     */
    public readonly litestreamContainerName: pulumi.Output<string>;
    /**
     * The volume holding the databases: the Docker volume's name, or on Kubernetes the name of
     * the pod's PersistentVolumeClaim (`data-<statefulSetName>-0`).
     */
    public readonly volumeName: pulumi.Output<string>;
    /**
     * A command that restores a database by hand, optionally to a point in time, next to the
     * live one: `docker run ... litestream restore` on a Docker host, `kubectl exec` into the
     * sidecar on Kubernetes.
     */
    public readonly restoreCommand: pulumi.Output<string>;
    /** Name of the StatefulSet on Kubernetes; empty on a Docker host. */
    public readonly statefulSetName: pulumi.Output<string>;
    /** Namespace of the StatefulSet and everything else on Kubernetes; empty on a Docker host. */
    public readonly statefulSetNamespace: pulumi.Output<string>;
    /**
     * Container name of the verifier, which runs the restore drills: on a Docker host the
     * container (`docker exec <name> sh /etc/litestream-verify.sh once` runs one by hand), on
     * Kubernetes the verifier's container in the StatefulSet's pod (`kubectl exec <pod> -c
     * <name> -- sh /etc/litestream-verify.sh once`; `... status` prints the last drill). Empty
     * when `verify.enabled` is false.
     */
    public readonly verifyContainerName: pulumi.Output<string>;
    /**
     * The same deployment as a Docker Compose file (Compose 2.23.1 or later; a Portainer
     * stack): the restores, the health-checked sidecar and the app in the same order, with the
     * same names and labels. It holds no secret: the credential and the app's secret
     * environment values are `${VARIABLE}` references, filled from `composeEnv`. On
     * Kubernetes it is rendered from the same plan, as a way to run the app on one Docker host
     * again; the cluster does not use it.
     */
    public readonly composeFile: pulumi.Output<string>;
    /** The value of every variable `composeFile` refers to, by name (secret). */
    public readonly composeEnv: pulumi.Output<{ [key: string]: string }>;

    constructor(name: string, args: LitestreamBackupArgs, opts?: pulumi.ComponentResourceOptions) {
        assertValid(name, args);
        super(LITESTREAM_BACKUP_TYPE, name, {}, opts);

        const storageArgs = args.storage;
        const provider = storageArgs.provider;
        const path = storageArgs.path ?? name;
        const timing = resolveTiming(args.replication);
        const appendOnly = storageArgs.appendOnly ?? false;
        const databases = resolveDatabases(args.app.dataDir, args.app.databases, path);
        const bucketName = checkedWhenKnown(
            storageArgs.bucketName ?? defaultBucketName(name, pulumi.getStack()),
            "storage.bucketName",
            (value) => bucketNameProblem(provider, value),
        );
        const storage = {
            ...storageArgs,
            accountId:
                storageArgs.accountId === undefined
                    ? undefined
                    : checkedWhenKnown(
                          storageArgs.accountId,
                          "storage.accountId",
                          accountIdProblem,
                      ),
            endpoint:
                storageArgs.endpoint === undefined
                    ? undefined
                    : checkedWhenKnown(storageArgs.endpoint, "storage.endpoint", endpointProblem),
        };
        const dockerArgs = args.docker && {
            ...args.docker,
            host:
                args.docker.host === undefined
                    ? undefined
                    : checkedWhenKnown(args.docker.host, "docker.host", dockerHostProblem),
        };

        const appName = args.app.name ?? name;
        // With `docker.deploy: false` nothing is created on a Docker host, not even a provider:
        // the Compose file is the deployment. With `kubernetes` the cluster runs the app.
        const onKubernetes = args.kubernetes !== undefined;
        const deploy = !onKubernetes && (args.docker?.deploy ?? true);
        const dockerHost = deploy ? createDockerHost(name, dockerArgs, this, appName) : undefined;
        const target: ReplicaTarget = createStorage({
            name,
            args: storage,
            bucketName,
            path,
            timing,
            appendOnly,
            retainOnDelete: storageArgs.retainOnDelete ?? provider !== StorageProvider.Local,
            prefix: appName,
            dockerHost,
            parent: this,
        });

        // The push monitors' URLs are secrets: checked once known, without quoting them.
        const secretUrl = (input: pulumi.Input<string> | undefined, field: string) =>
            input === undefined
                ? undefined
                : pulumi.secret(
                      checkedWhenKnown(input, field, (value) => heartbeatUrlProblem(field, value)),
                  );
        const litestreamHeartbeatUrl = secretUrl(
            args.litestream?.heartbeatUrl,
            "litestream.heartbeatUrl",
        );
        const verifyArgs = args.verify ?? {};
        const verifyHeartbeatUrl = secretUrl(verifyArgs.heartbeatUrl, "verify.heartbeatUrl");
        const verifyEnabled = verifyArgs.enabled ?? true;

        // Where both configs point: the bucket, and the endpoint when the config names one.
        const configTarget = pulumi
            .all([target.bucket, target.endpoint, target.region])
            .apply(([bucket, endpoint, region]) => ({
                bucket,
                endpoint: target.endpointInConfig ? endpoint : undefined,
                region,
            }));
        const litestreamConfig = configTarget.apply((configTarget) =>
            renderLitestreamConfig({
                target: configTarget,
                databases,
                timing,
                retentionEnabled: !appendOnly,
                metricsPort: args.litestream?.metricsPort,
                socketPath: CONTROL_SOCKET_PATH,
                heartbeat:
                    litestreamHeartbeatUrl === undefined
                        ? undefined
                        : { interval: args.litestream?.heartbeatInterval },
            }),
        );

        // The claims' replica (./plan/claim.ts): synced at once whatever the preset, since the
        // sidecar waits for its claim before it starts, and never pruned.
        const ownerConfig = configTarget.apply((configTarget) =>
            renderLitestreamConfig({
                target: configTarget,
                databases: [ownerReplica(path)],
                timing: { ...timing, syncInterval: OWNER_SYNC_INTERVAL },
                retentionEnabled: false,
            }),
        );

        const litestreamImage = args.litestream?.image ?? LITESTREAM_IMAGE;
        const plan = deploymentPlan({
            appName,
            app: args.app,
            databases,
            autoRestore: args.autoRestore ?? true,
            litestreamImage,
            syncInterval: timing.syncInterval,
            litestreamHeartbeat: litestreamHeartbeatUrl !== undefined,
            metricsPort: args.litestream?.metricsPort,
            verify: {
                enabled: verifyEnabled,
                intervalSeconds:
                    (parseGoDuration(verifyArgs.interval ?? DEFAULT_VERIFY_INTERVAL) as number) /
                    SECOND_NS,
                onDeploy: verifyArgs.onDeploy ?? false,
                heartbeat: verifyHeartbeatUrl !== undefined,
            },
        });
        const secrets = {
            litestreamHeartbeatUrl,
            verifyHeartbeatUrl,
        };
        const app = {
            image: checkedWhenKnown(args.app.image, "app.image", (value) =>
                pinnedImageProblem("app.image", value),
            ),
            envs: args.app.envs,
        };
        const deployment =
            dockerHost &&
            createDeployment({
                name,
                plan,
                app,
                databases,
                litestreamImage,
                config: litestreamConfig,
                ownerConfig,
                target,
                dockerHost,
                secrets,
                runId: new Date().toISOString(),
                parent: this,
            });
        const labels = Object.fromEntries(componentLabels(name).map((l) => [l.label, l.value]));
        const kube =
            args.kubernetes &&
            createKubernetesDeployment({
                name,
                appName,
                plan,
                app,
                databases,
                config: litestreamConfig,
                ownerConfig,
                target,
                secrets,
                args: args.kubernetes,
                labels,
                parent: this,
            });
        const compose = composeExport({
            name,
            appName,
            plan,
            server: target.server,
            config: litestreamConfig,
            ownerConfig,
            app,
            accessKeyId: target.accessKeyId,
            secretAccessKey: target.secretAccessKey,
            labels,
            secrets,
        });

        this.bucketName = target.bucket;
        this.endpoint = target.endpoint;
        this.region = target.region;
        this.replicaUrls = target.bucket.apply((bucket) =>
            databases.map((db) => `s3://${bucket}/${db.replicaPath}`),
        );
        this.accessKeyId = pulumi.secret(target.accessKeyId);
        this.secretAccessKey = pulumi.secret(target.secretAccessKey);
        this.litestreamConfig = litestreamConfig;
        const names = planNames(appName);
        this.statefulSetName = kube?.statefulSetName ?? pulumi.output("");
        this.statefulSetNamespace = kube?.namespace ?? pulumi.output("");
        if (kube !== undefined) {
            this.appContainerName = pulumi.output(names.app);
            this.litestreamContainerName = pulumi.output(names.litestream);
            this.volumeName = kube.volumeName;
            this.restoreCommand = kube.restoreCommand;
            this.verifyContainerName = kube.verifyContainerName;
        } else if (deployment !== undefined) {
            this.appContainerName = deployment.appContainer.name;
            this.litestreamContainerName = deployment.litestreamContainer.name;
            this.volumeName = deployment.volume.name;
            this.restoreCommand = deployment.restoreCommand;
            this.verifyContainerName = deployment.verifyContainer?.name ?? pulumi.output("");
        } else {
            // The Compose file uses the plan's names, so these outputs hold for its stack.
            this.appContainerName = pulumi.output(names.app);
            this.litestreamContainerName = pulumi.output(names.litestream);
            this.volumeName = pulumi.output(plan.volumeName);
            this.verifyContainerName = pulumi.output(verifyEnabled ? names.verify : "");
            this.restoreCommand = pulumi
                .all([target.bucket, target.endpoint, target.region])
                .apply(([bucket, endpoint, region]) =>
                    renderRestoreCommand({
                        host: undefined,
                        network: plan.networkName,
                        volume: plan.volumeName,
                        dataDir: plan.dataDir,
                        image: litestreamImage,
                        bucket,
                        endpoint: target.endpointInConfig ? endpoint : undefined,
                        region,
                        databases,
                    }),
                );
        }
        this.composeFile = compose.file;
        this.composeEnv = compose.env;
        this.registerOutputs({
            bucketName: this.bucketName,
            endpoint: this.endpoint,
            region: this.region,
            replicaUrls: this.replicaUrls,
            accessKeyId: this.accessKeyId,
            secretAccessKey: this.secretAccessKey,
            litestreamConfig: this.litestreamConfig,
            appContainerName: this.appContainerName,
            litestreamContainerName: this.litestreamContainerName,
            volumeName: this.volumeName,
            restoreCommand: this.restoreCommand,
            verifyContainerName: this.verifyContainerName,
            composeFile: this.composeFile,
            composeEnv: this.composeEnv,
            statefulSetName: this.statefulSetName,
            statefulSetNamespace: this.statefulSetNamespace,
        });
    }
}
