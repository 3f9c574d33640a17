/**
 * The deployment on the Docker host: the data volume, the restore gate, the Litestream sidecar
 * and the app, in that order.
 *
 * Order and why:
 * 1. The restore containers (one a database, see ./restore.ts) run first, after the bucket
 *    exists, and must all exit 0.
 * 2. The sidecar starts after them (its image waits for their exit codes), so it never sees a
 *    half-restored file. `wait: true` holds the deploy until its health check passes: every
 *    existing database has synced to the replica, and the replica of a database the app has not
 *    created yet can be listed (./healthcheck.ts).
 * 3. The app starts last, after the gate and the healthy sidecar, so it cannot create an empty
 *    database before a restore, and its first writes are already watched. On a first deploy no
 *    database exists until the app creates it: the sidecar's check accepts that (it then checks
 *    the bucket instead), so waiting for it cannot dead-lock.
 *
 * Users: Litestream runs as root (uid 0) in the sidecar and the restore containers, set
 * explicitly. Restored files are owned by root with mode 0644, in a root-owned directory, so the
 * app must run as root too (README, "File ownership").
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { DatabaseReplica } from "../litestream/databases";
import { Deployment, DeploymentContext } from "./context";
import {
    healthcheckDatabases,
    renderHealthcheckScript,
    SIDECAR_WAIT_TIMEOUT_SECONDS,
    sidecarHealthcheck,
} from "./healthcheck";
import { CONFIG_PATH, HEALTHCHECK_SCRIPT_PATH } from "./paths";
import { createRestoreGate, renderRestoreCommand } from "./restore";

/** Label key naming what a Docker object is for: `data`, `restore`, `litestream` or `app`. */
export const LABEL_ROLE = "litestream-backup.role";

/** Label key of a restore container naming the database it restores. */
export const LABEL_DATABASE = "litestream-backup.database";

/**
 * Seconds Docker waits after SIGTERM before killing the sidecar (on `docker stop` and when the
 * provider removes it). Litestream makes a last sync on shutdown, for up to 30 s by default
 * (`shutdown-sync-timeout`): the grace period lets it finish.
 */
const SIDECAR_STOP_SECONDS = 40;

/** Seconds the provider gives the app after SIGTERM when it removes the container. */
const APP_STOP_SECONDS = 30;

/** Docker object names, derived from the app's container name so they are predictable. */
export interface DockerNames {
    app: string;
    litestream: string;
    volume: string;
    restore: (index: number) => string;
}

/** The Docker names for an app container name. */
export function dockerNames(appName: string): DockerNames {
    return {
        app: appName,
        litestream: `${appName}-litestream`,
        volume: `${appName}-data`,
        restore: (index) => `${appName}-restore-${index}`,
    };
}

/** `KEY=value` entries of the app's environment, in the order given. */
function appEnvs(
    envs: pulumi.Input<{ [key: string]: pulumi.Input<string> }> | undefined,
): pulumi.Output<string[]> {
    return pulumi
        .output(envs ?? {})
        .apply((values) => Object.entries(values).map(([key, value]) => `${key}=${value}`));
}

/** Creates the volume, the restore gate (when `autoRestore`), the sidecar and the app. */
export function createDeployment(ctx: DeploymentContext): Deployment {
    const names = dockerNames(ctx.appName);
    const opts = { parent: ctx.parent, provider: ctx.dockerHost.provider };
    const labels = (role: string, extra: docker.types.input.ContainerLabel[] = []) => [
        ...ctx.dockerHost.labels,
        { label: LABEL_ROLE, value: role },
        ...extra,
    ];

    const volume = new docker.Volume(
        `${ctx.name}-data`,
        { name: names.volume, labels: labels("data") },
        // The Docker name is fixed, and creating a volume under an existing name returns the
        // existing one: the old volume must go (with its containers) before the new one.
        { ...opts, deleteBeforeReplace: true },
    );
    const volumes = [{ volumeName: volume.name, containerPath: ctx.app.dataDir }];
    const networksAdvanced = [{ name: ctx.dockerHost.network.name }];

    // The credential lives only in the Litestream containers' environment, as a secret; the
    // config refers to no credential (Litestream reads these two variables).
    const credentialEnvs = pulumi.secret(
        pulumi
            .all([ctx.target.accessKeyId, ctx.target.secretAccessKey])
            .apply(([id, secret]) => [
                `LITESTREAM_ACCESS_KEY_ID=${id}`,
                `LITESTREAM_SECRET_ACCESS_KEY=${secret}`,
            ]),
    );

    const gate = ctx.autoRestore
        ? createRestoreGate({
              name: ctx.name,
              containerName: names.restore,
              databases: ctx.databases,
              image: ctx.litestreamImage,
              config: ctx.config,
              envs: credentialEnvs,
              volumes,
              networksAdvanced,
              labels: (db: DatabaseReplica) =>
                  labels("restore", [{ label: LABEL_DATABASE, value: db.path }]),
              dependsOn: ctx.target.ready,
              opts,
          })
        : undefined;
    const restoreContainers = gate?.containers ?? [];
    // The sidecar's image resolves only after every restore exited 0 (and throws otherwise),
    // so a failed restore fails the sidecar's creation and with it the deploy.
    const sidecarImage =
        gate === undefined
            ? pulumi.output(ctx.litestreamImage)
            : pulumi.all([gate.passed, ctx.litestreamImage]).apply(([, value]) => value);

    const healthcheckScript = ctx.config.apply((config) =>
        renderHealthcheckScript(healthcheckDatabases(config, ctx.databases)),
    );
    const litestreamContainer = new docker.Container(
        `${ctx.name}-litestream`,
        {
            name: names.litestream,
            image: sidecarImage,
            command: ["replicate", "-config", CONFIG_PATH],
            uploads: [
                { file: CONFIG_PATH, content: ctx.config },
                { file: HEALTHCHECK_SCRIPT_PATH, content: healthcheckScript },
            ],
            envs: credentialEnvs,
            volumes,
            // Metrics (`addr` in the config, when metricsPort is set) are reached by name on
            // this network, `http://<litestreamContainerName>:<port>/metrics`; nothing is
            // published on the host.
            networksAdvanced,
            labels: labels("litestream"),
            user: "0:0",
            restart: "unless-stopped",
            healthcheck: sidecarHealthcheck(ctx.databases.length),
            wait: true,
            waitTimeout: SIDECAR_WAIT_TIMEOUT_SECONDS,
            stopTimeout: SIDECAR_STOP_SECONDS,
            destroyGraceSeconds: SIDECAR_STOP_SECONDS,
        },
        {
            ...opts,
            dependsOn: [...ctx.target.ready, ...restoreContainers],
            deleteBeforeReplace: true,
            // The provider updates only `restart` and `mustRun` in place: without this a new
            // health check would never reach a running sidecar.
            replaceOnChanges: ["healthcheck"],
        },
    );

    const appContainer = new docker.Container(
        `${ctx.name}-app`,
        {
            name: names.app,
            image: ctx.app.image,
            command: ctx.app.command,
            envs: appEnvs(ctx.app.envs),
            ports: (ctx.app.ports ?? []).map((p) => ({
                internal: p.internal,
                external: p.external ?? p.internal,
            })),
            volumes,
            networksAdvanced,
            labels: labels("app"),
            restart: "unless-stopped",
            destroyGraceSeconds: APP_STOP_SECONDS,
        },
        {
            ...opts,
            // Created only after every restore and a healthy sidecar (whose creation fails when
            // a restore failed). Plain dependencies, not inputs built from their outputs: a
            // replaced restore container or sidecar (a new credential, say) must not take the
            // running app down with it.
            dependsOn: [...restoreContainers, litestreamContainer],
            deleteBeforeReplace: true,
        },
    );

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
                dataDir: ctx.app.dataDir,
                image: ctx.litestreamImage,
                bucket,
                endpoint: ctx.target.endpointInConfig ? endpoint : undefined,
                region,
                databases: ctx.databases,
            }),
        );

    return { volume, litestreamContainer, appContainer, restoreContainers, restoreCommand };
}
