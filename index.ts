/**
 * The stack program: reads the `litestream-backup:*` stack config, builds one
 * LitestreamBackup and exports its outputs.
 */
import * as pulumi from "@pulumi/pulumi";
import { LitestreamBackup, LitestreamBackupArgs } from "./components";

const config = new pulumi.Config();

/**
 * App environment values may hold secrets set with `pulumi config set --secret --path`;
 * they are all kept secret, since a structured key does not say which of its parts is.
 */
function secretEnvs(app: LitestreamBackupArgs["app"] | undefined): LitestreamBackupArgs["app"] {
    if (!app?.envs || typeof app.envs !== "object") return app as LitestreamBackupArgs["app"];
    const envs = app.envs as Record<string, string>;
    return {
        ...app,
        envs: Object.fromEntries(
            Object.entries(envs).map(([key, value]) => [key, pulumi.secret(String(value))]),
        ),
    };
}

/**
 * The push monitors' URLs (`verify.heartbeatUrl`, `litestream.heartbeatUrl`) are secrets: whoever
 * holds one can report to the monitor. They are kept secret however they were set.
 */
function withSecretUrl<T extends { heartbeatUrl?: pulumi.Input<string> }>(
    value: T | undefined,
): T | undefined {
    if (value === undefined || value === null || typeof value !== "object") return value;
    if (value.heartbeatUrl === undefined) return value;
    return { ...value, heartbeatUrl: pulumi.secret(value.heartbeatUrl) };
}

/**
 * The `kubernetes` key: `false` (its default in Pulumi.yaml, since a project key without a
 * default is required) means a Docker host. A kubeconfig given in stack config is a
 * credential: kept secret whichever way it was set.
 */
function kubernetesArgs(value: unknown): LitestreamBackupArgs["kubernetes"] {
    if (value === false || value === undefined || value === null) return undefined;
    const kubernetes = value as NonNullable<LitestreamBackupArgs["kubernetes"]>;
    if (typeof kubernetes !== "object" || kubernetes.kubeconfig === undefined) return kubernetes;
    return { ...kubernetes, kubeconfig: pulumi.secret(String(kubernetes.kubeconfig)) };
}

/** The `docker` key: empty (its default) says nothing, so it does not clash with `kubernetes`. */
function dockerArgs(value: LitestreamBackupArgs["docker"]): LitestreamBackupArgs["docker"] {
    const empty = typeof value === "object" && value !== null && Object.keys(value).length === 0;
    return empty ? undefined : value;
}

const args: LitestreamBackupArgs = {
    storage: config.getObject<LitestreamBackupArgs["storage"]>(
        "storage",
    ) as LitestreamBackupArgs["storage"],
    app: secretEnvs(config.getObject<LitestreamBackupArgs["app"]>("app")),
    replication: config.getObject<LitestreamBackupArgs["replication"]>("replication"),
    autoRestore: config.getObject<boolean>("autoRestore"),
    docker: dockerArgs(config.getObject<LitestreamBackupArgs["docker"]>("docker")),
    kubernetes: kubernetesArgs(config.getObject<unknown>("kubernetes")),
    litestream: withSecretUrl(config.getObject<LitestreamBackupArgs["litestream"]>("litestream")),
    verify: withSecretUrl(config.getObject<LitestreamBackupArgs["verify"]>("verify")),
};

const backup = new LitestreamBackup(pulumi.getProject(), args);

export const bucketName = backup.bucketName;
export const endpoint = backup.endpoint;
export const region = backup.region;
export const replicaUrls = backup.replicaUrls;
export const accessKeyId = backup.accessKeyId;
export const secretAccessKey = backup.secretAccessKey;
export const litestreamConfig = backup.litestreamConfig;
export const appContainerName = backup.appContainerName;
export const litestreamContainerName = backup.litestreamContainerName;
export const volumeName = backup.volumeName;
export const restoreCommand = backup.restoreCommand;
export const verifyContainerName = backup.verifyContainerName;
export const composeFile = backup.composeFile;
export const composeEnv = backup.composeEnv;
export const statefulSetName = backup.statefulSetName;
export const statefulSetNamespace = backup.statefulSetNamespace;
