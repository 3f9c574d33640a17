import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { HealthcheckPlan } from "../plan/healthcheck";
import { ServerPlan } from "../plan/server";
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
 * Debian test image alike (neither has curl). Checked every 2 s, so what waits for the server
 * starts about 2 s after it answers.
 */
export const LOCAL_S3_HEALTH: HealthcheckPlan = {
    command: [
        "busybox",
        "wget",
        "-q",
        "-O",
        "/dev/null",
        `http://127.0.0.1:${LOCAL_S3_PORT}${LOCAL_S3_HEALTH_PATH}`,
    ],
    intervalSeconds: 2,
    timeoutSeconds: 2,
    retries: 15,
    startPeriodSeconds: 2,
};

/** The health check in Docker's form (exec, no shell). */
export const LOCAL_S3_HEALTHCHECK = ["CMD", ...LOCAL_S3_HEALTH.command];

/** Container and volume names of the server, from the component's Docker name prefix. */
export function localServerNames(prefix: string): { container: string; volume: string } {
    return { container: `${prefix}-s3`, volume: `${prefix}-s3-data` };
}

/**
 * The server as plain data, for a target that runs it as one more service (Compose): the same
 * image, script, environment names, volume and health check as the container below.
 */
export function localServerPlan(prefix: string, image: string, bucket: string): ServerPlan {
    const names = localServerNames(prefix);
    return {
        key: "s3",
        name: names.container,
        image,
        entrypoint: ["/bin/sh", "-c"],
        command: [LOCAL_S3_SCRIPT],
        env: { BUCKET: bucket },
        credentialEnv: ["ROOT_ACCESS_KEY_ID", "ROOT_SECRET_ACCESS_KEY"],
        volume: { name: names.volume, path: LOCAL_S3_DATA_DIR },
        healthcheck: LOCAL_S3_HEALTH,
        labels: {},
    };
}

/**
 * An S3-compatible server (versitygw, Apache-2.0) in a container on the component's Docker
 * host and network, with its own volume and generated root keys; the sidecar reaches it by
 * container name over plain HTTP. The keys are random provider resources, so they stay the
 * same across updates and the replica stays readable.
 *
 * Without a Docker host (`docker.deploy: false`) only the keys are created: the server then
 * runs as a service of the Compose file (`server`), under the same container name.
 */
export function localStorage(ctx: StorageContext): ReplicaTarget {
    if (ctx.appendOnly) {
        throw new pulumi.InputPropertyError({
            propertyPath: "storage.appendOnly",
            reason: LOCAL_APPEND_ONLY_REASON,
        });
    }
    const { name, parent, prefix } = ctx;
    const names = localServerNames(prefix);
    const image = ctx.args.localImage ?? VERSITYGW_IMAGE;

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
    const server = ctx.bucketName.apply((bucket) => localServerPlan(prefix, image, bucket));

    if (ctx.dockerHost === undefined) {
        return {
            bucket: ctx.bucketName,
            path: ctx.path,
            endpoint: pulumi.output(`http://${names.container}:${LOCAL_S3_PORT}`),
            region: pulumi.output(LOCAL_S3_REGION),
            accessKeyId: accessKey,
            secretAccessKey: secretKey,
            endpointInConfig: true,
            ready: [],
            server,
        };
    }
    const { provider, network, labels } = ctx.dockerHost;

    const volume = new docker.Volume(
        `${name}-s3-data`,
        { name: names.volume, labels },
        // Creating a volume under an existing name returns the existing one: the old volume
        // must go before its replacement.
        { parent, provider, retainOnDelete: ctx.retainOnDelete, deleteBeforeReplace: true },
    );

    const container = new docker.Container(
        `${name}-s3`,
        {
            name: names.container,
            image,
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
                interval: `${LOCAL_S3_HEALTH.intervalSeconds}s`,
                timeout: `${LOCAL_S3_HEALTH.timeoutSeconds}s`,
                startPeriod: `${LOCAL_S3_HEALTH.startPeriodSeconds}s`,
                retries: LOCAL_S3_HEALTH.retries,
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
        server,
    };
}
