/**
 * Runs the component under mocks and returns what it would deploy, so that the real-data
 * tests run the component's own Litestream config, never a hand-written one. Call it once
 * per test file (the mocks are per process).
 */
import * as pulumi from "@pulumi/pulumi";
import type { LitestreamBackupArgs } from "../../components";
import { installMocks, Registered, resolve, settle, unwrapSecrets } from "./mocks";

export interface Rendered {
    /** The `litestreamConfig` output. */
    config: string;
    /** The credential the component hands to Litestream. */
    accessKeyId: string;
    secretAccessKey: string;
    /** Everything the program registered, with secrets unwrapped. */
    resources: Registered[];
    /** The restore command output. */
    restoreCommand: string;
}

/** Builds a LitestreamBackup with `args` under mocks and resolves its outputs. */
export async function renderWithComponent(
    name: string,
    args: LitestreamBackupArgs,
    stack = "test",
): Promise<Rendered> {
    const { resources } = installMocks({ stack });
    const { LitestreamBackup } = await import("../../components");
    const backup = new LitestreamBackup(name, args);
    const [config, accessKeyId, secretAccessKey, restoreCommand] = await Promise.all([
        resolve(backup.litestreamConfig),
        resolve(backup.accessKeyId),
        resolve(backup.secretAccessKey),
        resolve(backup.restoreCommand),
        resolve(backup.appContainerName),
    ]);
    await settle();
    if (!(await pulumi.isSecret(backup.secretAccessKey))) {
        throw new Error("the component did not keep secretAccessKey secret");
    }
    return {
        config,
        accessKeyId,
        secretAccessKey,
        restoreCommand,
        resources: resources.map((r) => ({
            ...r,
            inputs: unwrapSecrets(r.inputs) as Record<string, unknown>,
        })),
    };
}

/** Args for an existing bucket on a test S3 server: what a user of `s3-compatible` writes. */
export function s3CompatibleArgs(options: {
    endpoint: string;
    bucket: string;
    accessKeyId: string;
    secretAccessKey: string;
    dataDir: string;
    databases: string[];
    path?: string;
    syncInterval?: string;
    snapshotInterval?: string;
    retention?: string;
    appendOnly?: boolean;
    metricsPort?: number;
}): LitestreamBackupArgs {
    return {
        storage: {
            provider: "s3-compatible" as LitestreamBackupArgs["storage"]["provider"],
            endpoint: options.endpoint,
            bucketName: options.bucket,
            accessKeyId: options.accessKeyId,
            secretAccessKey: options.secretAccessKey,
            path: options.path,
            appendOnly: options.appendOnly,
        },
        app: {
            image: "litestream-backup-test/app:1",
            dataDir: options.dataDir,
            databases: options.databases,
        },
        replication: {
            syncInterval: options.syncInterval ?? "1s",
            snapshotInterval: options.snapshotInterval,
            retention: options.retention,
        },
        litestream: options.metricsPort ? { metricsPort: options.metricsPort } : undefined,
    };
}
