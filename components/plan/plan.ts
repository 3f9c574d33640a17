/**
 * The deployment plan: which containers run, in which order, with which command, files,
 * environment, volume, health check and labels, as plain data from pure functions. Every
 * target reads the same plan (the Docker deployment, the Compose export, Kubernetes), so a
 * fix to the order or the health check lands in all of them.
 *
 * Order and why:
 * 1. The preflight (./preflight.ts) runs first, once the bucket exists: a broken credential
 *    stops the deploy in seconds, before anything is restored or replaced.
 * 2. One restore a database (`litestream restore -if-db-not-exists -if-replica-exists
 *    -integrity-check full`) runs after it and must exit 0, so the sidecar never sees a
 *    half-restored file and the app never creates an empty database over a backup.
 * 3. With `app.user` (a uid other than 0), the ownership step (./ownership.ts) runs after the
 *    restores and must exit 0: the data directory and the database files become the app's.
 * 4. The Litestream sidecar starts after them; the deploy waits until its health check
 *    passes (./healthcheck.ts).
 * 5. The app starts last, after the restores and the healthy sidecar, so its first writes are
 *    already watched. On a first deploy no database exists until the app creates it: the
 *    sidecar's check accepts that (it lists the replica instead), so waiting cannot dead-lock.
 * 6. With `verify.onDeploy`, a one-shot restore drill (./verify.ts) runs once the sidecar is
 *    healthy, on every deploy; the verifier (`verify.enabled`, the default) starts after it,
 *    so a failed drill stops the deploy there. The app does not wait for either: a replica
 *    that does not restore is a reason to alert, not to keep the app down (the restores before
 *    the sidecar already keep it off an empty database), and a running app is left running.
 *
 * Values only known during the deployment (the rendered config, the app's image and
 * environment) are references ({@link PlanRef}) that each target fills in; the credential is
 * named, never held: targets inject it as a secret environment.
 */
import { parseAppUser } from "../app-user";
import { AppArgs } from "../args";
import { DatabaseReplica } from "../litestream/databases";
import { parseGoDuration, SECOND_NS } from "../litestream/duration";
import { HEARTBEAT_URL_ENV } from "../litestream/config";
import {
    CONTROL_DIR,
    HEALTHCHECK_SCRIPT_PATH,
    VERIFY_HELPER_PATH,
    VERIFY_SCRIPT_PATH,
} from "./paths";
import {
    healthcheckDatabases,
    HealthcheckPlan,
    renderHealthcheckScript,
    sidecarHealthcheck,
} from "./healthcheck";
import { PREFLIGHT_SCRIPT_PATH, renderPreflightScript } from "./preflight";
import { needsOwnershipStep, renderOwnershipScript } from "./ownership";
import { CONFIG_PATH, OWNER_CONFIG_PATH, SIDECAR_SCRIPT_PATH } from "./paths";
import { renderSidecarScript } from "./claim";
import { restoreCommandArgs } from "./restore";
import {
    renderVerifyScript,
    verifierHealthcheck,
    VERIFY_HEARTBEAT_ENV,
    verifyPollSeconds,
} from "./verify";
import { VERIFY_HELPER } from "./verify-helper";

/** What a container is for; also the value of its {@link LABEL_ROLE} label. */
export type Role =
    "preflight" | "restore" | "ownership" | "litestream" | "app" | "verify" | "verify-deploy";

/** A value the target fills in: known only during the deployment. */
export interface PlanRef {
    ref: "litestreamConfig" | "ownerConfig" | "appImage";
}

/** The rendered Litestream config (no credential in it). */
export const LITESTREAM_CONFIG: PlanRef = { ref: "litestreamConfig" };
/**
 * The config of the claims' replica (./claim.ts): the same bucket and credential as the
 * databases, one database, no socket.
 */
export const OWNER_CONFIG: PlanRef = { ref: "ownerConfig" };
/** The app's image, as given. */
export const APP_IMAGE: PlanRef = { ref: "appImage" };

/** Label key naming what a container or volume is for (a {@link Role}, or `data`). */
export const LABEL_ROLE = "litestream-backup.role";
/** Label key of a restore container naming the database it restores. */
export const LABEL_DATABASE = "litestream-backup.database";

/** The environment variables that carry the bucket credential (Litestream reads them). */
export const CREDENTIAL_ENV = ["LITESTREAM_ACCESS_KEY_ID", "LITESTREAM_SECRET_ACCESS_KEY"];

/**
 * A secret the target fills in and injects as an environment variable, never into a file or a
 * label: Litestream's heartbeat URL (which the config refers to as `${LITESTREAM_HEARTBEAT_URL}`)
 * and the verifier's push monitor URL.
 */
export type SecretRef = "litestreamHeartbeatUrl" | "verifyHeartbeatUrl";

/** One secret environment variable of a container. */
export interface PlanSecretEnv {
    name: string;
    secret: SecretRef;
}

/** A file a container gets before it starts (no bind mount, no heredoc). */
export interface PlanFile {
    path: string;
    content: string | PlanRef;
}

/** One container of the deployment. */
export interface ContainerPlan {
    /** Unique within the plan; the component's child is `<name>-<key>`. */
    key: string;
    role: Role;
    /** Container name. */
    name: string;
    image: string | PlanRef;
    /** Overrides the image's entrypoint when set. */
    entrypoint?: string[];
    /** Overrides the image's command when set. */
    command?: string[];
    files: PlanFile[];
    /** Gets the bucket credential ({@link CREDENTIAL_ENV}) as a secret environment. */
    credentials: boolean;
    /** Gets the app's environment (`app.envs`). */
    appEnv: boolean;
    /** `uid:gid` to run as; the image's user when unset. */
    user?: string;
    /** Mounts the data volume at the plan's `dataDir`. */
    dataVolume: boolean;
    /** Mounts the control volume (Litestream's socket) at {@link CONTROL_DIR}. */
    controlVolume: boolean;
    /** Secret environment variables beyond the credential. */
    secretEnv: PlanSecretEnv[];
    /**
     * A one-shot that runs on every deploy, not only when its definition changes: targets
     * that create it only on change (the Docker deployment) give it a value of their own that
     * changes on every run. Compose starts an exited one-shot on every `up` anyway.
     */
    everyDeploy?: boolean;
    /** `once`: runs to completion, and what comes after needs exit 0; `service`: keeps running. */
    run: "once" | "service";
    /** Keys of the containers that must have finished (`once`) or be healthy first. */
    after: string[];
    healthcheck?: HealthcheckPlan;
    /** The deploy waits until the health check passes. */
    waitHealthy: boolean;
    ports: { internal: number; external: number }[];
    /** Labels of this container beyond the component's own ({@link LABEL_ROLE}, ...). */
    labels: Record<string, string>;
    /** Seconds it gets after SIGTERM before it is killed. */
    stopGraceSeconds?: number;
    /** The database a restore is for. */
    database?: DatabaseReplica;
}

/** The whole deployment. */
export interface DeploymentPlan {
    containers: ContainerPlan[];
    /** Name of the data volume shared by the restores, the sidecar and the app. */
    volumeName: string;
    /** Mount path of the data volume. */
    dataDir: string;
    /** Name of the network the containers share. */
    networkName: string;
    /** Name of the volume that holds Litestream's control socket (sidecar and verifier). */
    controlVolumeName: string;
    /** Mount path of the control volume. */
    controlDir: string;
}

/**
 * Seconds the sidecar gets after SIGTERM. Litestream makes a last sync on shutdown, for up to
 * 30 s by default (`shutdown-sync-timeout`): the grace period lets it finish.
 */
export const SIDECAR_STOP_SECONDS = 40;

/** Seconds the app gets after SIGTERM. */
export const APP_STOP_SECONDS = 30;

/** Litestream runs as root in its containers, whatever the image's default user. */
const LITESTREAM_USER = "0:0";

/** Container, volume and network names, all derived from the app's container name. */
export interface PlanNames {
    app: string;
    litestream: string;
    preflight: string;
    ownership: string;
    verify: string;
    verifyDeploy: string;
    volume: string;
    controlVolume: string;
    network: string;
    restore: (index: number) => string;
}

/** The names for an app container name. */
export function planNames(appName: string): PlanNames {
    return {
        app: appName,
        litestream: `${appName}-litestream`,
        preflight: `${appName}-preflight`,
        ownership: `${appName}-ownership`,
        verify: `${appName}-verify`,
        verifyDeploy: `${appName}-verify-deploy`,
        volume: `${appName}-data`,
        controlVolume: `${appName}-control`,
        network: `${appName}-network`,
        restore: (index) => `${appName}-restore-${index}`,
    };
}

/** Everything the plan is made of; all of it validated. */
export interface PlanInput {
    /** Container name of the app; every other name derives from it. */
    appName: string;
    app: Pick<AppArgs, "dataDir" | "command" | "ports" | "user">;
    databases: readonly DatabaseReplica[];
    /** Restore missing databases before the sidecar and the app start. */
    autoRestore: boolean;
    /** Pinned Litestream image. */
    litestreamImage: string;
    /** Sync interval the config is rendered with (Go duration). */
    syncInterval: string;
    /** Litestream's own heartbeat is on: the sidecar gets its URL as a secret variable. */
    litestreamHeartbeat?: boolean;
    /** Restore drills; none when undefined or not enabled. */
    verify?: VerifyPlanInput;
    /** Port of the metrics endpoints (the sidecar's and the verifier's). */
    metricsPort?: number;
}

/** The restore drills, validated and resolved. */
export interface VerifyPlanInput {
    enabled: boolean;
    /** Seconds between two drills. */
    intervalSeconds: number;
    /** A drill on every deploy, after the sidecar is healthy. */
    onDeploy: boolean;
    /** A push monitor is set: the verifier gets its URL as a secret variable. */
    heartbeat: boolean;
}

/** The plan of a deployment. */
export function deploymentPlan(input: PlanInput): DeploymentPlan {
    const names = planNames(input.appName);
    const role = (r: Role) => ({ [LABEL_ROLE]: r });
    const config: PlanFile = { path: CONFIG_PATH, content: LITESTREAM_CONFIG };

    const preflight: ContainerPlan = {
        key: "preflight",
        role: "preflight",
        name: names.preflight,
        image: input.litestreamImage,
        entrypoint: ["/bin/sh"],
        command: [PREFLIGHT_SCRIPT_PATH],
        files: [
            config,
            { path: PREFLIGHT_SCRIPT_PATH, content: renderPreflightScript(input.databases) },
        ],
        credentials: true,
        appEnv: false,
        user: LITESTREAM_USER,
        dataVolume: false,
        controlVolume: false,
        secretEnv: [],
        run: "once",
        after: [],
        waitHealthy: false,
        ports: [],
        labels: role("preflight"),
    };

    const restores: ContainerPlan[] = input.autoRestore
        ? input.databases.map((db, index) => ({
              key: `restore-${index}`,
              role: "restore",
              name: names.restore(index),
              image: input.litestreamImage,
              command: restoreCommandArgs(db.path),
              files: [config],
              credentials: true,
              appEnv: false,
              user: LITESTREAM_USER,
              dataVolume: true,
              controlVolume: false,
              secretEnv: [],
              run: "once",
              after: [preflight.key],
              waitHealthy: false,
              ports: [],
              labels: { ...role("restore"), [LABEL_DATABASE]: db.path },
              database: db,
          }))
        : [];
    const restoreKeys = restores.map((r) => r.key);

    const appUser = input.app.user === undefined ? undefined : parseAppUser(input.app.user);
    const ownership: ContainerPlan[] = needsOwnershipStep(appUser)
        ? [
              {
                  key: "ownership",
                  role: "ownership",
                  name: names.ownership,
                  image: input.litestreamImage,
                  entrypoint: ["/bin/sh", "-c"],
                  command: [renderOwnershipScript(input.app.dataDir, input.databases, appUser)],
                  files: [],
                  credentials: false,
                  appEnv: false,
                  user: LITESTREAM_USER,
                  dataVolume: true,
                  controlVolume: false,
                  secretEnv: [],
                  run: "once",
                  after: [preflight.key, ...restoreKeys],
                  waitHealthy: false,
                  ports: [],
                  labels: role("ownership"),
              },
          ]
        : [];
    const ownershipKeys = ownership.map((o) => o.key);

    // Its start script runs `litestream replicate` only while the volume owns the replica
    // (./claim.ts), so a server the stack moved away from never writes into it again.
    const sidecar: ContainerPlan = {
        key: "litestream",
        role: "litestream",
        name: names.litestream,
        image: input.litestreamImage,
        entrypoint: ["/bin/sh"],
        command: [SIDECAR_SCRIPT_PATH, "run"],
        files: [
            config,
            { path: OWNER_CONFIG_PATH, content: OWNER_CONFIG },
            {
                path: SIDECAR_SCRIPT_PATH,
                content: renderSidecarScript({
                    dataDir: input.app.dataDir,
                    preflightName: preflight.name,
                    volumeName: names.volume,
                    controlVolumeName: names.controlVolume,
                    networkName: names.network,
                }),
            },
            {
                path: HEALTHCHECK_SCRIPT_PATH,
                content: renderHealthcheckScript(
                    healthcheckDatabases(input.databases, input.syncInterval),
                ),
            },
        ],
        credentials: true,
        appEnv: false,
        user: LITESTREAM_USER,
        dataVolume: true,
        controlVolume: true,
        secretEnv: input.litestreamHeartbeat
            ? [{ name: HEARTBEAT_URL_ENV, secret: "litestreamHeartbeatUrl" }]
            : [],
        run: "service",
        after: [preflight.key, ...restoreKeys, ...ownershipKeys],
        healthcheck: sidecarHealthcheck(input.databases.length),
        waitHealthy: true,
        ports: [],
        labels: role("litestream"),
        stopGraceSeconds: SIDECAR_STOP_SECONDS,
    };

    const app: ContainerPlan = {
        key: "app",
        role: "app",
        name: names.app,
        image: APP_IMAGE,
        command: input.app.command,
        files: [],
        credentials: false,
        appEnv: true,
        user: input.app.user,
        dataVolume: true,
        controlVolume: false,
        secretEnv: [],
        run: "service",
        after: [...restoreKeys, ...ownershipKeys, sidecar.key],
        waitHealthy: false,
        ports: (input.app.ports ?? []).map((p) => ({
            internal: p.internal,
            external: p.external ?? p.internal,
        })),
        labels: role("app"),
        stopGraceSeconds: APP_STOP_SECONDS,
    };

    const verify = input.verify?.enabled ? input.verify : undefined;
    const verifiers: ContainerPlan[] = [];
    if (verify !== undefined) {
        const syncSeconds = (parseGoDuration(input.syncInterval) as number) / SECOND_NS;
        const script = renderVerifyScript({
            databases: healthcheckDatabases(input.databases, input.syncInterval),
            intervalSeconds: verify.intervalSeconds,
            pollSeconds: verifyPollSeconds(syncSeconds),
            metricsPort: input.metricsPort,
        });
        const drill = (key: string, r: Role, name: string, mode: "serve" | "once") => ({
            key,
            role: r,
            name,
            image: input.litestreamImage,
            entrypoint: ["/bin/sh"],
            command: [VERIFY_SCRIPT_PATH, mode],
            files: [
                config,
                { path: VERIFY_SCRIPT_PATH, content: script },
                { path: VERIFY_HELPER_PATH, content: VERIFY_HELPER },
            ],
            credentials: true,
            appEnv: false,
            user: LITESTREAM_USER,
            // Restores go to the verifier's own scratch folder: it never mounts the app's volume.
            dataVolume: false,
            controlVolume: true,
            secretEnv: verify.heartbeat
                ? [{ name: VERIFY_HEARTBEAT_ENV, secret: "verifyHeartbeatUrl" as const }]
                : [],
            waitHealthy: false,
            ports: [],
            labels: role(r),
        });
        const onDeploy: ContainerPlan[] = verify.onDeploy
            ? [
                  {
                      ...drill("verify-deploy", "verify-deploy", names.verifyDeploy, "once"),
                      run: "once",
                      after: [sidecar.key],
                      everyDeploy: true,
                  },
              ]
            : [];
        verifiers.push(...onDeploy, {
            ...drill("verify", "verify", names.verify, "serve"),
            run: "service",
            after: [sidecar.key, ...onDeploy.map((d) => d.key)],
            healthcheck: verifierHealthcheck(VERIFY_SCRIPT_PATH),
        });
    }

    return {
        containers: [preflight, ...restores, ...ownership, sidecar, app, ...verifiers],
        volumeName: names.volume,
        dataDir: input.app.dataDir,
        networkName: names.network,
        controlVolumeName: names.controlVolume,
        controlDir: CONTROL_DIR,
    };
}
