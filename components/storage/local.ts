import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { VERSITYGW_IMAGE } from "../versions";
import { LOCAL_APPEND_ONLY_REASON } from "./append-only";
import { ReplicaTarget, StorageContext } from "./target";

/** Port the local S3 server listens on inside its container (versitygw's default). */
export const LOCAL_S3_PORT = 7070;

/** Region the local server signs with (versitygw's default). */
export const LOCAL_S3_REGION = "us-east-1";

/** Where the server's volume is mounted; every top-level folder of it is a bucket. */
export const LOCAL_S3_DATA_DIR = "/data";

/** Path of versitygw's health endpoint (`--health`): 200 once the server answers. */
export const LOCAL_S3_HEALTH_PATH = "/health";

/**
 * The server's start script. versitygw's posix backend serves every top-level directory of
 * its root as a bucket, so `mkdir -p` creates the bucket, idempotently, before the server
 * starts: once the health check answers, the bucket exists. The upstream image
 * (versity/versitygw, Alpine) and the test image both have `sh`, so no init container (a
 * second container racing for the same volume) is needed. The bucket name comes in by
 * environment, never spliced into the script. `--quiet` drops the per-request log lines that
 * a 1s sync interval would otherwise flood the log with.
 */
export const LOCAL_S3_SCRIPT = [
    "set -eu",
    `mkdir -p "${LOCAL_S3_DATA_DIR}/$BUCKET"`,
    `exec versitygw --port :${LOCAL_S3_PORT} --health ${LOCAL_S3_HEALTH_PATH} --quiet posix ${LOCAL_S3_DATA_DIR}`,
].join("\n");

/**
 * The health check: `busybox wget` exists in the Alpine-based upstream image and in the
 * Debian test image alike (neither has curl).
 */
export const LOCAL_S3_HEALTHCHECK = [
    "CMD",
    "busybox",
    "wget",
    "-q",
    "-O",
    "/dev/null",
    `http://127.0.0.1:${LOCAL_S3_PORT}${LOCAL_S3_HEALTH_PATH}`,
];

/**
 * An S3-compatible server (versitygw, Apache-2.0) in a container on the component's Docker
 * host and network, with its own volume and generated root keys; the sidecar reaches it by
 * container name over plain HTTP. The keys are random provider resources, so they stay the
 * same across updates and the replica stays readable.
 */
export function localStorage(ctx: StorageContext): ReplicaTarget {
    if (ctx.appendOnly) {
        throw new pulumi.InputPropertyError({
            propertyPath: "storage.appendOnly",
            reason: LOCAL_APPEND_ONLY_REASON,
        });
    }
    const { name, parent } = ctx;
    const { provider, network, labels, prefix } = ctx.dockerHost;

    const accessKeyId = new random.RandomString(
        `${name}-s3-access-key`,
        { length: 20, lower: false, upper: true, numeric: true, special: false },
        { parent },
    );
    const secretAccessKey = new random.RandomPassword(
        `${name}-s3-secret-key`,
        { length: 40, special: false },
        { parent },
    );
    const accessKey = pulumi.secret(accessKeyId.result);
    const secretKey = pulumi.secret(secretAccessKey.result);

    const volume = new docker.Volume(
        `${name}-s3-data`,
        { name: `${prefix}-s3-data`, labels },
        // Creating a volume under an existing name returns the existing one: the old volume
        // must go before its replacement.
        { parent, provider, retainOnDelete: ctx.retainOnDelete, deleteBeforeReplace: true },
    );

    const container = new docker.Container(
        `${name}-s3`,
        {
            name: `${prefix}-s3`,
            image: ctx.args.localImage ?? VERSITYGW_IMAGE,
            entrypoints: ["/bin/sh", "-c"],
            command: [LOCAL_S3_SCRIPT],
            envs: [
                pulumi.interpolate`BUCKET=${ctx.bucketName}`,
                pulumi.interpolate`ROOT_ACCESS_KEY_ID=${accessKey}`,
                pulumi.interpolate`ROOT_SECRET_ACCESS_KEY=${secretKey}`,
            ],
            volumes: [{ volumeName: volume.name, containerPath: LOCAL_S3_DATA_DIR }],
            networksAdvanced: [{ name: network.name }],
            healthcheck: {
                tests: LOCAL_S3_HEALTHCHECK,
                interval: "2s",
                timeout: "2s",
                startPeriod: "2s",
                retries: 15,
            },
            wait: true,
            waitTimeout: 60,
            restart: "unless-stopped",
            labels,
        },
        // The fixed container name cannot exist twice, so a replacement removes the old first.
        { parent, provider, deleteBeforeReplace: true },
    );

    return {
        bucket: ctx.bucketName,
        path: ctx.path,
        endpoint: pulumi.interpolate`http://${container.name}:${LOCAL_S3_PORT}`,
        region: pulumi.output(LOCAL_S3_REGION),
        accessKeyId: accessKey,
        secretAccessKey: secretKey,
        endpointInConfig: true,
        ready: [container],
    };
}
