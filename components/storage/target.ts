import * as pulumi from "@pulumi/pulumi";
import { StorageArgs } from "../args";
import type { DockerHost } from "../docker/host";
import { Timing } from "../litestream/timing";
import { ServerPlan } from "../plan/server";

/**
 * What every storage provider returns: where Litestream writes and with which credential.
 * The Litestream config and the deployment are built from this alone, so they know nothing
 * about the provider behind it.
 */
export interface ReplicaTarget {
    /** Bucket name. */
    bucket: pulumi.Output<string>;
    /** Key prefix inside the bucket; each database lives under `<path>/<db>`. */
    path: string;
    /** S3 API endpoint URL as reached from the Docker host's containers. */
    endpoint: pulumi.Output<string>;
    /** Region used to sign requests (`auto` for R2). */
    region: pulumi.Output<string>;
    /** Access key id of the bucket-scoped credential; always a secret. */
    accessKeyId: pulumi.Output<string>;
    /** Secret access key of the bucket-scoped credential; always a secret. */
    secretAccessKey: pulumi.Output<string>;
    /**
     * Whether the endpoint goes into the Litestream config. False for AWS S3, which Litestream
     * finds from the region (an explicit endpoint would switch it to path-style requests).
     */
    endpointInConfig: boolean;
    /** Resources that must exist before Litestream first talks to the bucket. */
    ready: pulumi.Resource[];
    /**
     * The server that holds the bucket when it runs beside the app (`local`), as plain data, so
     * that the Compose file can run it too. Undefined when the bucket lives elsewhere.
     */
    server?: pulumi.Output<ServerPlan>;
}

/** Everything a storage provider gets: validated args and the resolved names. */
export interface StorageContext {
    /** The component's name; children are named `${name}-<role>`. */
    name: string;
    /** Validated storage args. */
    args: StorageArgs;
    /** The bucket to create or use, checked against the provider's naming rules. */
    bucketName: pulumi.Output<string>;
    /** The resolved key prefix. */
    path: string;
    /** Replication timing: append-only storage expires objects after `timing.retention`. */
    timing: Timing;
    /** Whether objects must not be deletable through the credential. */
    appendOnly: boolean;
    /** Whether the bucket survives deletion of the component. */
    retainOnDelete: boolean;
    /**
     * Prefix of every Docker object name of the component (the app's container name); a
     * server beside the app is named from it.
     */
    prefix: string;
    /**
     * The Docker host, for providers that run a server on it; undefined when nothing is
     * deployed on Docker (`docker.deploy: false`).
     */
    dockerHost?: DockerHost;
    /** Parent of every child resource. */
    parent: pulumi.Resource;
}
