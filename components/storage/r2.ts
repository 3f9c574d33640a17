import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";
import { isMockedRun } from "../mocked-run";
import {
    missingPermissionGroupMessage,
    permissionGroupId,
    R2_OBJECT_READ_WRITE_GROUPS,
    r2Endpoint,
    r2Jurisdiction,
    r2LifecycleRules,
    r2LockRules,
    r2SecretAccessKey,
    r2TokenResources,
} from "./policy";
import { ReplicaTarget, StorageContext } from "./target";

/** Region R2 expects in request signatures. */
export const R2_REGION = "auto";

/**
 * Ids of the "Object Read & Write" permission groups, looked up by name in the account
 * (the names must be URL-encoded for the API's filter), unless given in
 * `storage.r2PermissionGroupIds`.
 */
function permissionGroupIds(
    ctx: StorageContext,
    accountId: pulumi.Input<string>,
): pulumi.Output<string[]> {
    if (ctx.args.r2PermissionGroupIds !== undefined) {
        return pulumi.output(ctx.args.r2PermissionGroupIds);
    }
    return pulumi.all(
        R2_OBJECT_READ_WRITE_GROUPS.map((groupName) =>
            cloudflare
                .getAccountApiTokenPermissionGroupsListOutput(
                    { accountId, name: encodeURIComponent(groupName) },
                    { parent: ctx.parent },
                )
                .apply((list) => {
                    const id = permissionGroupId(list.results, groupName);
                    if (id === undefined) {
                        throw new pulumi.ResourceError(
                            missingPermissionGroupMessage(groupName),
                            ctx.parent,
                        );
                    }
                    return id;
                }),
        ),
    );
}

/**
 * A new Cloudflare R2 bucket and an account-owned API token that reaches only that bucket,
 * turned into S3 keys (id = token id, secret = SHA-256 of the token value).
 *
 * The token is an `AccountToken`, not a user `ApiToken`: a user token stops working when its
 * user leaves the account, and a backup credential must not die with a person's membership.
 *
 * Only the bucket is kept on delete (`retainOnDelete`). Its lifecycle and lock go with the
 * stack: once nothing writes any more, an expiry rule left on a retained bucket would delete
 * the very backups it was kept for, and the lock guards against the token, which goes too.
 */
export function r2Storage(ctx: StorageContext): ReplicaTarget {
    const { name, args, parent } = ctx;
    const accountId = args.accountId as pulumi.Input<string>;
    const jurisdiction = r2Jurisdiction(args.jurisdiction);

    const bucket = new cloudflare.R2Bucket(
        `${name}-bucket`,
        { accountId, name: ctx.bucketName, jurisdiction, location: args.location },
        { parent, retainOnDelete: ctx.retainOnDelete },
    );

    const lifecycle = new cloudflare.R2BucketLifecycle(
        `${name}-lifecycle`,
        {
            accountId,
            bucketName: bucket.name,
            jurisdiction,
            rules: r2LifecycleRules(ctx.path, ctx.timing.retention, ctx.appendOnly),
        },
        { parent },
    );

    // No permission group writes without deleting, so append-only needs the bucket itself to
    // refuse deletes (and overwrites) of objects younger than the retention period.
    const lock = ctx.appendOnly
        ? new cloudflare.R2BucketLock(
              `${name}-lock`,
              {
                  accountId,
                  bucketName: bucket.name,
                  jurisdiction,
                  rules: r2LockRules(ctx.path, ctx.timing.retention),
              },
              { parent },
          )
        : undefined;

    const groupIds = permissionGroupIds(ctx, accountId);
    const token = new cloudflare.AccountToken(
        `${name}-token`,
        {
            accountId,
            name: pulumi.interpolate`litestream-backup ${bucket.name}`,
            policies: [
                {
                    effect: "allow",
                    permissionGroups: groupIds.apply((ids) => ids.map((id) => ({ id }))),
                    resources: pulumi
                        .all([accountId, bucket.name])
                        .apply(([account, bucketName]) =>
                            r2TokenResources(account, jurisdiction, bucketName),
                        ),
                },
            ],
        },
        { parent },
    );

    return {
        bucket: bucket.name,
        path: ctx.path,
        endpoint: pulumi.output(accountId).apply((account) => r2Endpoint(account, jurisdiction)),
        region: pulumi.output(R2_REGION),
        accessKeyId: pulumi.secret(token.id),
        secretAccessKey: pulumi.secret(
            // The provider always returns the value of a token it created. A mock that returns
            // only the inputs has none, and under mocks there is no key to derive: the output
            // stays empty there, like every other value only a provider computes.
            token.value.apply((value) =>
                value === undefined && isMockedRun() ? value : r2SecretAccessKey(value),
            ),
        ),
        endpointInConfig: true,
        ready: lock ? [bucket, lifecycle, lock, token] : [bucket, lifecycle, token],
    };
}
