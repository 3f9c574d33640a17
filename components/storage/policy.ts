/**
 * Pure builders of the documents the storage providers send: IAM and bucket policies,
 * lifecycle and lock rules, R2 token resources and the S3 keys derived from an R2 token.
 * No Pulumi resource in here, so each document is tested as plain data.
 */
import { createHash } from "node:crypto";
import { parseGoDuration, SECOND_NS } from "../litestream/duration";

const DAY_SECONDS = 24 * 60 * 60;

/**
 * Days after which an incomplete multipart upload is aborted. Litestream's uploads take
 * seconds; a day leaves room for a slow link and still frees the parts soon.
 */
export const ABORT_MULTIPART_DAYS = 1;

/**
 * Shortest time an S3 object version stays recoverable after it was overwritten or deleted:
 * long enough to notice a stolen key at work over a week-end, even with a short retention.
 */
export const MIN_NONCURRENT_DAYS = 7;

/** The permission groups of Cloudflare's "Object Read & Write" R2 token, by name. */
export const R2_OBJECT_READ_WRITE_GROUPS = [
    "Workers R2 Storage Bucket Item Write",
    "Workers R2 Storage Bucket Item Read",
] as const;

/** A permission group as Cloudflare lists it. */
export interface PermissionGroup {
    id: string;
    name: string;
}

/**
 * The id of the group named exactly `groupName` (the API's name filter also returns
 * namesakes), or undefined.
 */
export function permissionGroupId(
    groups: readonly PermissionGroup[],
    groupName: string,
): string | undefined {
    return groups.find((g) => g.name === groupName)?.id;
}

/** What to do when the account lists no group of that name. */
export function missingPermissionGroupMessage(groupName: string): string {
    return (
        `Cloudflare returned no API token permission group named "${groupName}": ` +
        "set `storage.r2PermissionGroupIds` to the ids of the groups of an R2 " +
        '"Object Read & Write" token (GET /accounts/<account>/tokens/permission_groups lists them).'
    );
}

function durationNs(retention: string): number {
    const ns = parseGoDuration(retention);
    if (ns === undefined) {
        throw new Error(`retention ${JSON.stringify(retention)} is not a positive Go duration`);
    }
    return ns;
}

/** A Go duration in whole seconds, rounded up. */
export function durationSeconds(retention: string): number {
    return Math.ceil(durationNs(retention) / SECOND_NS);
}

/** A Go duration in whole days, rounded up: lifecycle rules count in days. */
export function durationDays(retention: string): number {
    return Math.ceil(durationNs(retention) / (DAY_SECONDS * SECOND_NS));
}

/** Key prefix of everything Litestream writes for the component: `<path>/`. */
export function replicaPrefix(path: string): string {
    return `${path}/`;
}

// --- R2 -------------------------------------------------------------------------------------

/** `default` when no jurisdiction is given, as Cloudflare names it in endpoints and tokens. */
export function r2Jurisdiction(jurisdiction: string | undefined): string {
    return jurisdiction ?? "default";
}

/** S3 API endpoint of an R2 bucket: jurisdictional buckets answer only on their own host. */
export function r2Endpoint(accountId: string, jurisdiction: string | undefined): string {
    const j = r2Jurisdiction(jurisdiction);
    return j === "default"
        ? `https://${accountId}.r2.cloudflarestorage.com`
        : `https://${accountId}.${j}.r2.cloudflarestorage.com`;
}

/** The token policy resource key of one R2 bucket. */
export function r2BucketResourceKey(
    accountId: string,
    jurisdiction: string | undefined,
    bucket: string,
): string {
    return `com.cloudflare.edge.r2.bucket.${accountId}_${r2Jurisdiction(jurisdiction)}_${bucket}`;
}

/** The `resources` JSON string of a token policy that reaches exactly one bucket. */
export function r2TokenResources(
    accountId: string,
    jurisdiction: string | undefined,
    bucket: string,
): string {
    return JSON.stringify({ [r2BucketResourceKey(accountId, jurisdiction, bucket)]: "*" });
}

/** The S3 Secret Access Key of an R2 token: the SHA-256 hex digest of the token value. */
export function r2SecretAccessKey(tokenValue: string): string {
    return createHash("sha256").update(tokenValue).digest("hex");
}

/** An R2 lifecycle rule, shaped like `cloudflare.types.input.R2BucketLifecycleRule`. */
export interface R2LifecycleRule {
    id: string;
    enabled: boolean;
    conditions: { prefix: string };
    abortMultipartUploadsTransition?: { condition: { type: "Age"; maxAge: number } };
    deleteObjectsTransition?: { condition: { type: "Age"; maxAge: number } };
}

/**
 * R2 lifecycle rules: abort incomplete multipart uploads; with `appendOnly`, also delete
 * replica objects once they are older than the retention period (in whole days, rounded up),
 * since Litestream no longer deletes them itself. The rules replace R2's default 7-day
 * multipart rule, so the abort rule must be here.
 */
export function r2LifecycleRules(
    path: string,
    retention: string,
    appendOnly: boolean,
): R2LifecycleRule[] {
    const rules: R2LifecycleRule[] = [
        {
            id: "abort-incomplete-multipart-uploads",
            enabled: true,
            conditions: { prefix: "" },
            abortMultipartUploadsTransition: {
                condition: { type: "Age", maxAge: ABORT_MULTIPART_DAYS * DAY_SECONDS },
            },
        },
    ];
    if (appendOnly) {
        rules.push({
            id: "expire-after-retention",
            enabled: true,
            conditions: { prefix: replicaPrefix(path) },
            deleteObjectsTransition: {
                condition: { type: "Age", maxAge: durationDays(retention) * DAY_SECONDS },
            },
        });
    }
    return rules;
}

/** An R2 bucket lock rule, shaped like `cloudflare.types.input.R2BucketLockRule`. */
export interface R2LockRule {
    id: string;
    enabled: boolean;
    prefix: string;
    condition: { type: "Age"; maxAgeSeconds: number };
}

/**
 * The R2 bucket lock of an append-only bucket: no replica object can be deleted or
 * overwritten before it is as old as the retention period.
 */
export function r2LockRules(path: string, retention: string): R2LockRule[] {
    return [
        {
            id: "lock-for-retention",
            enabled: true,
            prefix: replicaPrefix(path),
            condition: { type: "Age", maxAgeSeconds: durationSeconds(retention) },
        },
    ];
}

// --- AWS S3 ---------------------------------------------------------------------------------

/** An IAM policy statement. */
export interface PolicyStatement {
    Sid: string;
    Effect: "Allow" | "Deny";
    Principal?: string;
    Action: string[];
    Resource: string | string[];
    Condition?: Record<string, Record<string, string | string[]>>;
}

/** An IAM policy document. */
export interface PolicyDocument {
    Version: "2012-10-17";
    Statement: PolicyStatement[];
}

/** The object actions Litestream needs under its prefix; no delete when append-only. */
export function s3ObjectActions(appendOnly: boolean): string[] {
    return appendOnly
        ? ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"]
        : ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"];
}

/**
 * The inline policy of the replication user: bucket location, listing limited to the
 * replica prefix (Litestream 0.5 lists only with prefixes `<path>/<db>/...`), and object
 * access under `<path>/` only.
 */
export function s3UserPolicy(bucketArn: string, path: string, appendOnly: boolean): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "BucketLocation",
                Effect: "Allow",
                Action: ["s3:GetBucketLocation"],
                Resource: bucketArn,
            },
            {
                Sid: "ListReplicaPrefix",
                Effect: "Allow",
                Action: ["s3:ListBucket"],
                Resource: bucketArn,
                Condition: { StringLike: { "s3:prefix": [`${replicaPrefix(path)}*`] } },
            },
            {
                Sid: "ReplicaObjects",
                Effect: "Allow",
                Action: s3ObjectActions(appendOnly),
                Resource: `${bucketArn}/${replicaPrefix(path)}*`,
            },
        ],
    };
}

/** The bucket policy that refuses every request not made over TLS. */
export function s3TlsOnlyPolicy(bucketArn: string): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "DenyInsecureTransport",
                Effect: "Deny",
                Principal: "*",
                Action: ["s3:*"],
                Resource: [bucketArn, `${bucketArn}/*`],
                Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
        ],
    };
}

/** An S3 lifecycle rule, shaped like `aws.types.input.s3.BucketLifecycleConfigurationRule`. */
export interface S3LifecycleRule {
    id: string;
    status: "Enabled";
    filter: { prefix: string };
    abortIncompleteMultipartUpload?: { daysAfterInitiation: number };
    expiration?: { days?: number; expiredObjectDeleteMarker?: boolean };
    noncurrentVersionExpiration?: { noncurrentDays: number };
}

/** Days a replaced or deleted S3 object version is kept: the retention, at least a week. */
export function s3NoncurrentDays(retention: string): number {
    return Math.max(durationDays(retention), MIN_NONCURRENT_DAYS);
}

/**
 * S3 lifecycle rules: abort incomplete multipart uploads; remove versions that were
 * overwritten or deleted after {@link s3NoncurrentDays} (history a stolen key cannot erase,
 * yet bounded storage) and the delete markers left without versions; with `appendOnly`,
 * expire replica objects after the retention period, since Litestream no longer deletes them.
 * `expiredObjectDeleteMarker` cannot share a rule with `days`, hence separate rules.
 */
export function s3LifecycleRules(
    path: string,
    retention: string,
    appendOnly: boolean,
): S3LifecycleRule[] {
    const rules: S3LifecycleRule[] = [
        {
            id: "abort-incomplete-multipart-uploads",
            status: "Enabled",
            filter: { prefix: "" },
            abortIncompleteMultipartUpload: { daysAfterInitiation: ABORT_MULTIPART_DAYS },
        },
        {
            id: "expire-noncurrent-versions",
            status: "Enabled",
            filter: { prefix: "" },
            noncurrentVersionExpiration: { noncurrentDays: s3NoncurrentDays(retention) },
            expiration: { expiredObjectDeleteMarker: true },
        },
    ];
    if (appendOnly) {
        rules.push({
            id: "expire-after-retention",
            status: "Enabled",
            filter: { prefix: replicaPrefix(path) },
            expiration: { days: durationDays(retention) },
        });
    }
    return rules;
}

/** S3 API endpoint of an AWS region (informational: Litestream finds it from the region). */
export function s3Endpoint(region: string): string {
    return region.startsWith("cn-")
        ? `https://s3.${region}.amazonaws.com.cn`
        : `https://s3.${region}.amazonaws.com`;
}
