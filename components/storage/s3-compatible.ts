import * as pulumi from "@pulumi/pulumi";
import { ReplicaTarget, StorageContext } from "./target";

/** Region sent to an S3-compatible service that was given none. */
export const DEFAULT_S3_COMPATIBLE_REGION = "us-east-1";

/**
 * An existing bucket on an S3-compatible service: nothing is created. The keys are the
 * ones given, wrapped as secrets here whatever form they arrived in.
 */
export function s3CompatibleStorage(ctx: StorageContext): ReplicaTarget {
    const args = ctx.args;
    return {
        bucket: ctx.bucketName,
        path: ctx.path,
        endpoint: pulumi.output(args.endpoint as pulumi.Input<string>),
        region: pulumi.output(args.region ?? DEFAULT_S3_COMPATIBLE_REGION),
        accessKeyId: pulumi.secret(args.accessKeyId as pulumi.Input<string>),
        secretAccessKey: pulumi.secret(args.secretAccessKey as pulumi.Input<string>),
        endpointInConfig: true,
        ready: [],
    };
}
