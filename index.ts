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

const args: LitestreamBackupArgs = {
    storage: config.getObject<LitestreamBackupArgs["storage"]>(
        "storage",
    ) as LitestreamBackupArgs["storage"],
    app: secretEnvs(config.getObject<LitestreamBackupArgs["app"]>("app")),
    replication: config.getObject<LitestreamBackupArgs["replication"]>("replication"),
    autoRestore: config.getObject<boolean>("autoRestore"),
    docker: config.getObject<LitestreamBackupArgs["docker"]>("docker"),
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
