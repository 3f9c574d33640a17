import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { AppArgs } from "../args";
import { DatabaseReplica } from "../litestream/databases";
import { DeploymentPlan, SecretRef } from "../plan/plan";
import { ReplicaTarget } from "../storage/target";
import { DockerHost } from "./host";

/** Everything the Docker deployment is built from; all of it validated and resolved. */
export interface DeploymentContext {
    /** The component's name; children are named `${name}-<key>`. */
    name: string;
    /** The plan: containers, order, files, health check (../plan/plan.ts). */
    plan: DeploymentPlan;
    /** The app's image and environment, as given. */
    app: Pick<AppArgs, "image" | "envs">;
    /** Every database, for the hand-restore command. */
    databases: readonly DatabaseReplica[];
    /** Pinned Litestream image (for the hand-restore command). */
    litestreamImage: string;
    /** The rendered Litestream config (no credential in it). */
    config: pulumi.Output<string>;
    /** The rendered config of the claims' replica (../plan/claim.ts). */
    ownerConfig: pulumi.Output<string>;
    /** Bucket, endpoint and the scoped credential. */
    target: ReplicaTarget;
    /** Provider, network and labels of the Docker host. */
    dockerHost: DockerHost;
    /** The values of the plan's secret environment variables (each kept secret). */
    secrets: Partial<Record<SecretRef, pulumi.Input<string>>>;
    /**
     * A value of this run of the program: one-shots that run on every deploy carry it as a
     * label, so that each `pulumi up` replaces (and so runs) them.
     */
    runId: string;
    /** Parent of every child resource. */
    parent: pulumi.Resource;
}

/** What the deployment creates. */
export interface Deployment {
    volume: docker.Volume;
    /** The volume of Litestream's control socket, shared by the sidecar and the verifier. */
    controlVolume: docker.Volume;
    /** Every container of the plan, by its key (`preflight`, `restore-0`, `litestream`, `app`). */
    containers: Record<string, docker.Container>;
    litestreamContainer: docker.Container;
    appContainer: docker.Container;
    /** The verifier; undefined when `verify.enabled` is false. */
    verifyContainer: docker.Container | undefined;
    /** One-shot restore containers, one a database; empty when `autoRestore` is false. */
    restoreContainers: docker.Container[];
    /** A shell command that restores a database by hand, to a point in time if wanted. */
    restoreCommand: pulumi.Output<string>;
}
