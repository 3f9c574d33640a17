/**
 * The `s3` provider under mocks: the locked-down bucket (ownership, public-access block,
 * encryption, TLS-only policy, versioning, lifecycle), the IAM user's exact policy, the
 * access key as secrets, the region, and `retainOnDelete`.
 */
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ReplicationPreset, StorageArgs } from "../../components/args";
import type { ReplicaTarget, StorageContext } from "../../components/storage/target";
import {
    installMocks,
    Invoked,
    isSecret,
    Registered,
    resolve,
    settle,
    unwrapSecrets,
    recordingParent,
} from "../support/mocks";

const PROVIDER_REGION = "eu-west-1";

const T = {
    bucket: "aws:s3/bucket:Bucket",
    ownership: "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    publicAccessBlock: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    encryption:
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    policy: "aws:s3/bucketPolicy:BucketPolicy",
    versioning: "aws:s3/bucketVersioning:BucketVersioning",
    lifecycle: "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    user: "aws:iam/user:User",
    userPolicy: "aws:iam/userPolicy:UserPolicy",
    accessKey: "aws:iam/accessKey:AccessKey",
    getRegion: "aws:index/getRegion:getRegion",
};

/** The bucket and the protections that must survive with a retained bucket. */
const BUCKET_ROLES = [
    "bucket",
    "ownership",
    "public-access-block",
    "encryption",
    "tls-only",
    "versioning",
];
/** What goes with the stack: the credential, and expiry rules that would empty a kept bucket. */
const STACK_ROLES = ["lifecycle", "user", "user-policy", "access-key"];

let resources: Registered[];
let invokes: Invoked[];
let s3: typeof import("../../components/storage/s3");
let host: typeof import("../../components/docker/host");
let timing: typeof import("../../components/litestream/timing");
let config: typeof import("../../components/litestream/config");
let databases: typeof import("../../components/litestream/databases");

beforeAll(async () => {
    ({ resources, invokes } = installMocks({
        stack: "prod",
        outputs: {
            [T.bucket]: (r) => ({
                arn: `arn:aws:s3:::${r.inputs.bucket}`,
                region: r.inputs.region ?? PROVIDER_REGION,
            }),
            // The engine auto-names users; the mocks do not.
            [T.user]: (r) => ({ name: `${r.name}-1a2b3c4` }),
            [T.accessKey]: () => ({ secret: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" }),
        },
        calls: { [T.getRegion]: () => ({ region: PROVIDER_REGION, name: PROVIDER_REGION }) },
    }));
    s3 = await import("../../components/storage/s3");
    host = await import("../../components/docker/host");
    timing = await import("../../components/litestream/timing");
    config = await import("../../components/litestream/config");
    databases = await import("../../components/litestream/databases");
});

interface Built {
    target: ReplicaTarget;
    ctx: StorageContext;
    /** Resource options of each child, by name, as the parent's transformation saw them. */
    opts: Map<string, pulumi.CustomResourceOptions>;
}

/** Calls `s3Storage` under a fresh parent; `name` must be unique in this file. */
async function build(
    name: string,
    storage: Partial<StorageArgs> = {},
    preset?: ReplicationPreset,
): Promise<Built> {
    const { parent, opts } = recordingParent(name);
    const args: StorageArgs = {
        provider: "s3" as StorageArgs["provider"],
        bucketName: "meds-backups-prod",
        ...storage,
    };
    const ctx: StorageContext = {
        name,
        args,
        bucketName: pulumi.output(args.bucketName as string),
        path: args.path ?? "meds",
        timing: timing.resolveTiming(preset ? { preset } : undefined),
        appendOnly: args.appendOnly ?? false,
        retainOnDelete: args.retainOnDelete ?? true,
        prefix: name,
        dockerHost: host.createDockerHost(name, undefined, parent),
        parent,
    };
    const target = s3.s3Storage(ctx);
    await resolve(pulumi.all([target.secretAccessKey, target.region]));
    await settle();
    return { target, ctx, opts };
}

function registered(type: string, name: string): Record<string, unknown> {
    const found = resources.filter((r) => r.type === type && r.name === name);
    expect(found).toHaveLength(1);
    return unwrapSecrets(found[0].inputs) as Record<string, unknown>;
}

function policyOf(type: string, name: string): unknown {
    return JSON.parse(registered(type, name).policy as string);
}

/** Names of the resources a child waits for, from the options it was created with. */
async function dependsOnNames(opts: pulumi.CustomResourceOptions | undefined): Promise<string[]> {
    const deps = (opts?.dependsOn ?? []) as pulumi.Resource[];
    const urns = await Promise.all(deps.map((r) => resolve(r.urn)));
    return urns.map((urn) => urn.split("::").pop() as string);
}

const ARN = "arn:aws:s3:::meds-backups-prod";

describe("s3Storage", () => {
    let main: Built;
    beforeAll(async () => {
        main = await build("s3main");
    });

    it("creates the bucket under its name, in the provider's region", async () => {
        expect(registered(T.bucket, "s3main-bucket")).toEqual({ bucket: "meds-backups-prod" });
        expect(await resolve(main.target.bucket)).toBe("meds-backups-prod");
        expect(await resolve(main.target.region)).toBe(PROVIDER_REGION);
        expect(await resolve(main.target.endpoint)).toBe("https://s3.eu-west-1.amazonaws.com");
        expect(invokes.some((i) => i.token === T.getRegion)).toBe(true);
    });

    it("leaves the endpoint out of the Litestream config: Litestream finds it from the region", () => {
        expect(main.target.endpointInConfig).toBe(false);
        expect(main.target.path).toBe("meds");
    });

    it("enforces bucket-owner ownership, so ACLs play no part", () => {
        expect(registered(T.ownership, "s3main-ownership")).toEqual({
            bucket: "s3main-bucket-id",
            rule: { objectOwnership: "BucketOwnerEnforced" },
        });
    });

    it("turns on all four public-access blocks", () => {
        expect(registered(T.publicAccessBlock, "s3main-public-access-block")).toEqual({
            bucket: "s3main-bucket-id",
            blockPublicAcls: true,
            blockPublicPolicy: true,
            ignorePublicAcls: true,
            restrictPublicBuckets: true,
        });
    });

    it("encrypts objects by default with S3-managed keys", () => {
        expect(registered(T.encryption, "s3main-encryption")).toEqual({
            bucket: "s3main-bucket-id",
            rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
        });
    });

    it("denies every request made without TLS", async () => {
        expect(registered(T.policy, "s3main-tls-only").bucket).toBe("s3main-bucket-id");
        expect(policyOf(T.policy, "s3main-tls-only")).toEqual({
            Version: "2012-10-17",
            Statement: [
                {
                    Sid: "DenyInsecureTransport",
                    Effect: "Deny",
                    Principal: "*",
                    Action: ["s3:*"],
                    Resource: [ARN, `${ARN}/*`],
                    Condition: { Bool: { "aws:SecureTransport": "false" } },
                },
            ],
        });
        expect(await dependsOnNames(main.opts.get("s3main-tls-only"))).toEqual([
            "s3main-public-access-block",
        ]);
    });

    it("turns versioning on", () => {
        expect(registered(T.versioning, "s3main-versioning")).toEqual({
            bucket: "s3main-bucket-id",
            versioningConfiguration: { status: "Enabled" },
        });
    });

    it("aborts stale uploads and expires replaced versions after at least a week", async () => {
        expect(registered(T.lifecycle, "s3main-lifecycle")).toEqual({
            bucket: "s3main-bucket-id",
            rules: [
                {
                    id: "abort-incomplete-multipart-uploads",
                    status: "Enabled",
                    filter: { prefix: "" },
                    abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
                },
                {
                    id: "expire-noncurrent-versions",
                    status: "Enabled",
                    filter: { prefix: "" },
                    noncurrentVersionExpiration: { noncurrentDays: 7 },
                    expiration: { expiredObjectDeleteMarker: true },
                },
            ],
        });
        expect(await dependsOnNames(main.opts.get("s3main-lifecycle"))).toEqual([
            "s3main-versioning",
        ]);
    });

    it("gives the IAM user exactly the replica actions, under the replica prefix only", () => {
        expect(registered(T.user, "s3main-user")).toEqual({ path: "/litestream-backup/" });
        const policy = registered(T.userPolicy, "s3main-user-policy");
        expect(policy.user).toBe("s3main-user-1a2b3c4");
        expect(JSON.parse(policy.policy as string)).toEqual({
            Version: "2012-10-17",
            Statement: [
                {
                    Sid: "BucketLocation",
                    Effect: "Allow",
                    Action: ["s3:GetBucketLocation"],
                    Resource: ARN,
                },
                {
                    Sid: "ListReplicaPrefix",
                    Effect: "Allow",
                    Action: ["s3:ListBucket"],
                    Resource: ARN,
                    Condition: { StringLike: { "s3:prefix": ["meds/*"] } },
                },
                {
                    Sid: "ReplicaObjects",
                    Effect: "Allow",
                    Action: [
                        "s3:GetObject",
                        "s3:PutObject",
                        "s3:DeleteObject",
                        "s3:AbortMultipartUpload",
                    ],
                    Resource: `${ARN}/meds/*`,
                },
            ],
        });
    });

    it("returns the user's access key, both halves secret", async () => {
        expect(registered(T.accessKey, "s3main-access-key")).toEqual({
            user: "s3main-user-1a2b3c4",
        });
        expect(await resolve(main.target.accessKeyId)).toBe("s3main-access-key-id");
        expect(await resolve(main.target.secretAccessKey)).toBe(
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        );
        expect(await isSecret(main.target.accessKeyId)).toBe(true);
        expect(await isSecret(main.target.secretAccessKey)).toBe(true);
    });

    it("keeps the bucket and its protections on delete by default, not its expiry or the credential", () => {
        for (const role of BUCKET_ROLES) {
            expect(main.opts.get(`s3main-${role}`)?.retainOnDelete, role).toBe(true);
        }
        for (const role of STACK_ROLES) {
            expect(main.opts.get(`s3main-${role}`)?.retainOnDelete, role).toBeFalsy();
        }
    });

    it("makes Litestream wait for the bucket settings and the credential", async () => {
        const urns = await Promise.all(main.target.ready.map((r) => resolve(r.urn)));
        expect(urns.map((u) => u.split("::").pop()).sort()).toEqual(
            [...BUCKET_ROLES, "lifecycle", "user-policy", "access-key"]
                .map((r) => `s3main-${r}`)
                .sort(),
        );
    });
});

describe("s3Storage options", () => {
    it("puts every bucket resource in storage.region, without asking the provider", async () => {
        const before = invokes.length;
        const { target } = await build("s3region", { region: "eu-central-1" });
        for (const [type, role] of [
            [T.bucket, "bucket"],
            [T.ownership, "ownership"],
            [T.publicAccessBlock, "public-access-block"],
            [T.encryption, "encryption"],
            [T.policy, "tls-only"],
            [T.versioning, "versioning"],
            [T.lifecycle, "lifecycle"],
        ]) {
            expect(registered(type, `s3region-${role}`).region, role).toBe("eu-central-1");
        }
        expect(await resolve(target.region)).toBe("eu-central-1");
        expect(await resolve(target.endpoint)).toBe("https://s3.eu-central-1.amazonaws.com");
        expect(invokes.slice(before).some((i) => i.token === T.getRegion)).toBe(false);
    });

    it("deletes the bucket with the stack when retainOnDelete is false", async () => {
        const { opts } = await build("s3gone", { retainOnDelete: false });
        for (const role of [...BUCKET_ROLES, ...STACK_ROLES]) {
            expect(opts.get(`s3gone-${role}`)?.retainOnDelete, role).toBeFalsy();
        }
    });

    it("keeps replaced versions as long as a long retention", async () => {
        await build("s3critical", {}, ReplicationPreset.Critical);
        const rules = registered(T.lifecycle, "s3critical-lifecycle").rules as {
            id: string;
            noncurrentVersionExpiration?: { noncurrentDays: number };
        }[];
        expect(rules.find((r) => r.id === "expire-noncurrent-versions")).toMatchObject({
            noncurrentVersionExpiration: { noncurrentDays: 30 },
        });
    });

    it("limits listing and objects to a nested path", async () => {
        await build("s3nested", { path: "apps/meds" });
        const policy = policyOf(T.userPolicy, "s3nested-user-policy") as {
            Statement: { Resource: string; Condition?: unknown }[];
        };
        expect(policy.Statement[1].Condition).toEqual({
            StringLike: { "s3:prefix": ["apps/meds/*"] },
        });
        expect(policy.Statement[2].Resource).toBe(`${ARN}/apps/meds/*`);
    });
});

describe("s3Storage appendOnly", () => {
    let built: Built;
    beforeAll(async () => {
        built = await build("s3ao", { appendOnly: true });
    });

    it("gives the credential no delete permission", () => {
        const policy = policyOf(T.userPolicy, "s3ao-user-policy") as {
            Statement: { Sid: string; Action: string[]; Resource: string }[];
        };
        expect(policy.Statement[2]).toEqual({
            Sid: "ReplicaObjects",
            Effect: "Allow",
            Action: ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"],
            Resource: `${ARN}/meds/*`,
        });
        const actions = policy.Statement.flatMap((s) => s.Action);
        expect(actions.filter((a) => /Delete/.test(a))).toEqual([]);
    });

    it("expires replica objects after the retention period, in whole days", () => {
        const rules = registered(T.lifecycle, "s3ao-lifecycle").rules as { id: string }[];
        expect(rules.map((r) => r.id)).toEqual([
            "abort-incomplete-multipart-uploads",
            "expire-noncurrent-versions",
            "expire-after-retention",
        ]);
        expect(rules[2]).toEqual({
            id: "expire-after-retention",
            status: "Enabled",
            filter: { prefix: "meds/" },
            expiration: { days: 3 },
        });
    });

    it("renders a config with Litestream's retention disabled and no endpoint", async () => {
        const yaml = config.renderLitestreamConfig({
            target: {
                bucket: await resolve(built.target.bucket),
                endpoint: built.target.endpointInConfig
                    ? await resolve(built.target.endpoint)
                    : undefined,
                region: await resolve(built.target.region),
            },
            databases: databases.resolveDatabases("/app/data", ["meds.db"], built.ctx.path),
            timing: built.ctx.timing,
            retentionEnabled: !built.ctx.appendOnly,
        });
        const parsed = parse(yaml);
        expect(parsed.retention).toEqual({ enabled: false });
        expect(parsed.dbs[0].replica.endpoint).toBeUndefined();
        expect(parsed.dbs[0].replica.region).toBe(PROVIDER_REGION);
    });
});
