import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { s3Endpoint, s3LifecycleRules, s3TlsOnlyPolicy, s3UserPolicy } from "./policy";
import { ReplicaTarget, StorageContext } from "./target";

/** IAM path of the replication users, so they are easy to find and audit. */
export const S3_USER_PATH = "/litestream-backup/";

/**
 * A new AWS S3 bucket, locked down (owner-enforced, no public access, encrypted, TLS only,
 * versioned with bounded history), and an IAM user whose inline policy reaches only the
 * replica prefix of that bucket, with an access key.
 *
 * The bucket and its protections (ownership, public-access block, encryption, TLS policy,
 * versioning) are kept on delete (`retainOnDelete`): a retained bucket must not turn public
 * when the stack goes. The lifecycle goes with the stack, since an expiry rule left behind
 * would delete the retained backups once nothing writes any more; the IAM user and key go too.
 * `storage.region`, when given, is set on each bucket resource (aws 7 resources take a
 * region), so no second aws provider is needed.
 */
export function s3Storage(ctx: StorageContext): ReplicaTarget {
    const { name, parent } = ctx;
    const region = ctx.args.region;
    const keep = { parent, retainOnDelete: ctx.retainOnDelete };

    const bucket = new aws.s3.Bucket(`${name}-bucket`, { bucket: ctx.bucketName, region }, keep);

    const ownership = new aws.s3.BucketOwnershipControls(
        `${name}-ownership`,
        { bucket: bucket.id, region, rule: { objectOwnership: "BucketOwnerEnforced" } },
        keep,
    );

    const publicAccessBlock = new aws.s3.BucketPublicAccessBlock(
        `${name}-public-access-block`,
        {
            bucket: bucket.id,
            region,
            blockPublicAcls: true,
            blockPublicPolicy: true,
            ignorePublicAcls: true,
            restrictPublicBuckets: true,
        },
        keep,
    );

    const encryption = new aws.s3.BucketServerSideEncryptionConfiguration(
        `${name}-encryption`,
        {
            bucket: bucket.id,
            region,
            rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
        },
        keep,
    );

    // S3 rejects concurrent changes to one bucket's policy and public-access block.
    const tlsOnly = new aws.s3.BucketPolicy(
        `${name}-tls-only`,
        {
            bucket: bucket.id,
            region,
            policy: bucket.arn.apply((arn) => JSON.stringify(s3TlsOnlyPolicy(arn))),
        },
        { ...keep, dependsOn: [publicAccessBlock] },
    );

    const versioning = new aws.s3.BucketVersioning(
        `${name}-versioning`,
        { bucket: bucket.id, region, versioningConfiguration: { status: "Enabled" } },
        keep,
    );

    // Noncurrent-version rules only mean something once versioning is on.
    const lifecycle = new aws.s3.BucketLifecycleConfiguration(
        `${name}-lifecycle`,
        {
            bucket: bucket.id,
            region,
            rules: s3LifecycleRules(ctx.path, ctx.timing.retention, ctx.appendOnly),
        },
        { parent, dependsOn: [versioning] },
    );

    const user = new aws.iam.User(`${name}-user`, { path: S3_USER_PATH }, { parent });
    const userPolicy = new aws.iam.UserPolicy(
        `${name}-user-policy`,
        {
            user: user.name,
            policy: bucket.arn.apply((arn) =>
                JSON.stringify(s3UserPolicy(arn, ctx.path, ctx.appendOnly)),
            ),
        },
        { parent },
    );
    const accessKey = new aws.iam.AccessKey(`${name}-access-key`, { user: user.name }, { parent });

    const bucketRegion =
        region !== undefined
            ? pulumi.output(region)
            : aws.getRegionOutput({}, { parent }).apply((r) => r.region);

    return {
        bucket: bucket.bucket,
        path: ctx.path,
        endpoint: bucketRegion.apply(s3Endpoint),
        region: bucketRegion,
        accessKeyId: pulumi.secret(accessKey.id),
        secretAccessKey: pulumi.secret(accessKey.secret),
        endpointInConfig: false,
        ready: [
            bucket,
            ownership,
            publicAccessBlock,
            encryption,
            tlsOnly,
            versioning,
            lifecycle,
            userPolicy,
            accessKey,
        ],
    };
}
