import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { AppArgs } from "../args";
import { DatabaseReplica } from "../litestream/databases";
import { ReplicaTarget } from "../storage/target";
import { DockerHost } from "./host";

/** Everything the Docker deployment is built from; all of it validated and resolved. */
export interface DeploymentContext {
    /** The component's name; children are named `${name}-<role>`. */
    name: string;
    /** Validated app args. */
    app: AppArgs;
    /** Container name of the app. */
    appName: string;
    /** Databases with their paths inside the containers. */
    databases: DatabaseReplica[];
    /** Whether missing databases are restored before the app starts. */
    autoRestore: boolean;
    /** Pinned Litestream image. */
    litestreamImage: string;
    /** Prometheus port of the sidecar, when set. */
    metricsPort?: number;
    /** The rendered Litestream config (no credential in it). */
    config: pulumi.Output<string>;
    /** Bucket, endpoint and the scoped credential. */
    target: ReplicaTarget;
    /** Provider, network and labels of the Docker host. */
    dockerHost: DockerHost;
    /** Parent of every child resource. */
    parent: pulumi.Resource;
}

/** What the deployment creates. */
export interface Deployment {
    volume: docker.Volume;
    litestreamContainer: docker.Container;
    appContainer: docker.Container;
    /** One-shot restore containers, one a database; empty when `autoRestore` is false. */
    restoreContainers: docker.Container[];
    /** A shell command that restores a database by hand, to a point in time if wanted. */
    restoreCommand: pulumi.Output<string>;
}
