/**
 * The `r2` provider under mocks: the bucket, the token scoped to it alone, the S3 keys
 * derived from the token, the endpoint per jurisdiction, lifecycle and lock rules,
 * `retainOnDelete`, and secrets.
 */
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { StorageArgs } from "../../components/args";
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

const ACCOUNT = "0123456789abcdef0123456789abcdef";
const WRITE_GROUP = "2efd5506f9c8494dacb1fa10a3e7d5b6";
const READ_GROUP = "6a018a9f2fc74eb6b293b0c548f38b39";
const TOKEN_VALUE = "cf-test-token-value-0123456789";
/** `printf %s cf-test-token-value-0123456789 | sha256sum` */
const TOKEN_SHA256 = "ca0a8ad23adac2c6bd2c084781445894c042fca24d79bb667a588b1fb1401cd0";

const T = {
    bucket: "cloudflare:index/r2Bucket:R2Bucket",
    lifecycle: "cloudflare:index/r2BucketLifecycle:R2BucketLifecycle",
    lock: "cloudflare:index/r2BucketLock:R2BucketLock",
    token: "cloudflare:index/accountToken:AccountToken",
    groups: "cloudflare:index/getAccountApiTokenPermissionGroupsList:getAccountApiTokenPermissionGroupsList",
};

let resources: Registered[];
let invokes: Invoked[];
let r2: typeof import("../../components/storage/r2");
let host: typeof import("../../components/docker/host");
let timing: typeof import("../../components/litestream/timing");
let config: typeof import("../../components/litestream/config");
let databases: typeof import("../../components/litestream/databases");

beforeAll(async () => {
    ({ resources, invokes } = installMocks({
        stack: "prod",
        outputs: { [T.token]: () => ({ value: TOKEN_VALUE }) },
        calls: {
            [T.groups]: (inputs) => {
                const name = decodeURIComponent(String(inputs.name));
                const ids: Record<string, string> = {
                    "Workers R2 Storage Bucket Item Write": WRITE_GROUP,
                    "Workers R2 Storage Bucket Item Read": READ_GROUP,
                };
                // The API filter is not an exact match: return a near namesake as well.
                return {
                    results: [
                        { id: "c".repeat(32), name: `${name} (legacy)`, scopes: [] },
                        { id: ids[name], name, scopes: ["com.cloudflare.edge.r2.bucket"] },
                    ],
                };
            },
        },
    }));
    r2 = await import("../../components/storage/r2");
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

/** Calls `r2Storage` under a fresh parent; `name` must be unique in this file. */
async function build(name: string, storage: Partial<StorageArgs> = {}): Promise<Built> {
    const { parent, opts } = recordingParent(name);
    const args: StorageArgs = {
        provider: "r2" as StorageArgs["provider"],
        accountId: ACCOUNT,
        bucketName: "meds-backups",
        ...storage,
    };
    const ctx: StorageContext = {
        name,
        args,
        bucketName: pulumi.output(args.bucketName as string),
        path: args.path ?? "meds",
        timing: timing.resolveTiming(undefined),
        appendOnly: args.appendOnly ?? false,
        retainOnDelete: args.retainOnDelete ?? true,
        prefix: name,
        dockerHost: host.createDockerHost(name, undefined, parent),
        parent,
    };
    const target = r2.r2Storage(ctx);
    await resolve(target.secretAccessKey);
    await settle();
    return { target, ctx, opts };
}

/** Names of the resources Litestream waits for, from their URNs. */
async function readyNames(target: ReplicaTarget): Promise<string[]> {
    const urns = await Promise.all(target.ready.map((r) => resolve(r.urn)));
    return urns.map((urn) => urn.split("::").pop() as string);
}

function registered(type: string, name: string): Record<string, unknown> {
    const found = resources.filter((r) => r.type === type && r.name === name);
    expect(found).toHaveLength(1);
    return unwrapSecrets(found[0].inputs) as Record<string, unknown>;
}

function registeredNames(prefix: string): string[] {
    return resources
        .filter(
            (r) =>
                r.name.startsWith(`${prefix}-`) &&
                !r.type.startsWith("docker:") &&
                !r.type.startsWith("pulumi:providers:"),
        )
        .map((r) => r.name)
        .sort();
}

describe("r2Storage", () => {
    let main: Built;
    beforeAll(async () => {
        main = await build("r2main", { location: "weur" });
    });

    it("creates exactly a bucket, its lifecycle and a token", () => {
        expect(registeredNames("r2main")).toEqual([
            "r2main-bucket",
            "r2main-lifecycle",
            "r2main-token",
        ]);
    });

    it("creates the bucket with its name, jurisdiction and location hint", () => {
        expect(registered(T.bucket, "r2main-bucket")).toEqual({
            accountId: ACCOUNT,
            name: "meds-backups",
            jurisdiction: "default",
            location: "weur",
        });
    });

    it("scopes the account token to this one bucket with the Object Read & Write groups", () => {
        const token = registered(T.token, "r2main-token");
        expect(token).toEqual({
            accountId: ACCOUNT,
            name: "litestream-backup meds-backups",
            policies: [
                {
                    effect: "allow",
                    permissionGroups: [{ id: WRITE_GROUP }, { id: READ_GROUP }],
                    resources: `{"com.cloudflare.edge.r2.bucket.${ACCOUNT}_default_meds-backups":"*"}`,
                },
            ],
        });
        const policy = (token.policies as { resources: string }[])[0];
        expect(Object.keys(JSON.parse(policy.resources))).toEqual([
            `com.cloudflare.edge.r2.bucket.${ACCOUNT}_default_meds-backups`,
        ]);
    });

    it("looks the permission groups up by URL-encoded name in the account", () => {
        const lookups = invokes
            .filter((i) => i.token === T.groups && i.inputs.accountId === ACCOUNT)
            .map((i) => i.inputs.name);
        expect(lookups).toContain("Workers%20R2%20Storage%20Bucket%20Item%20Write");
        expect(lookups).toContain("Workers%20R2%20Storage%20Bucket%20Item%20Read");
    });

    it("derives the S3 keys from the token: its id, and the SHA-256 hex of its value", async () => {
        expect(await resolve(main.target.accessKeyId)).toBe("r2main-token-id");
        expect(await resolve(main.target.secretAccessKey)).toBe(TOKEN_SHA256);
    });

    it("returns both keys as secrets", async () => {
        expect(await isSecret(main.target.accessKeyId)).toBe(true);
        expect(await isSecret(main.target.secretAccessKey)).toBe(true);
    });

    it("points at the account endpoint with region auto, written into the config", async () => {
        expect(await resolve(main.target.endpoint)).toBe(
            `https://${ACCOUNT}.r2.cloudflarestorage.com`,
        );
        expect(await resolve(main.target.region)).toBe("auto");
        expect(await resolve(main.target.bucket)).toBe("meds-backups");
        expect(main.target.path).toBe("meds");
        expect(main.target.endpointInConfig).toBe(true);
    });

    it("aborts incomplete multipart uploads after a day and expires nothing else", () => {
        expect(registered(T.lifecycle, "r2main-lifecycle")).toEqual({
            accountId: ACCOUNT,
            bucketName: "meds-backups",
            jurisdiction: "default",
            rules: [
                {
                    id: "abort-incomplete-multipart-uploads",
                    enabled: true,
                    conditions: { prefix: "" },
                    abortMultipartUploadsTransition: { condition: { type: "Age", maxAge: 86400 } },
                },
            ],
        });
    });

    it("keeps only the bucket on delete by default: its rules and the token go", () => {
        expect(main.opts.get("r2main-bucket")?.retainOnDelete).toBe(true);
        expect(main.opts.get("r2main-lifecycle")?.retainOnDelete).toBeFalsy();
        expect(main.opts.get("r2main-token")?.retainOnDelete).toBeFalsy();
    });

    it("makes Litestream wait for the bucket, its lifecycle and the token", async () => {
        expect(await readyNames(main.target)).toEqual([
            "r2main-bucket",
            "r2main-lifecycle",
            "r2main-token",
        ]);
    });
});

describe("r2Storage jurisdictions", () => {
    it.each([
        ["eu", `https://${ACCOUNT}.eu.r2.cloudflarestorage.com`],
        ["fedramp", `https://${ACCOUNT}.fedramp.r2.cloudflarestorage.com`],
        ["default", `https://${ACCOUNT}.r2.cloudflarestorage.com`],
    ])(
        "%s: endpoint, bucket jurisdiction and token resource key",
        async (jurisdiction, endpoint) => {
            const name = `r2j${jurisdiction}`;
            const { target } = await build(name, { jurisdiction });
            expect(await resolve(target.endpoint)).toBe(endpoint);
            expect(registered(T.bucket, `${name}-bucket`).jurisdiction).toBe(jurisdiction);
            expect(registered(T.lifecycle, `${name}-lifecycle`).jurisdiction).toBe(jurisdiction);
            const token = registered(T.token, `${name}-token`) as {
                policies: { resources: string }[];
            };
            expect(JSON.parse(token.policies[0].resources)).toEqual({
                [`com.cloudflare.edge.r2.bucket.${ACCOUNT}_${jurisdiction}_meds-backups`]: "*",
            });
        },
    );
});

describe("r2Storage options", () => {
    it("deletes the bucket and its configuration with the stack when retainOnDelete is false", async () => {
        const { opts } = await build("r2gone", { retainOnDelete: false, appendOnly: true });
        for (const child of ["r2gone-bucket", "r2gone-lifecycle", "r2gone-lock", "r2gone-token"]) {
            expect(opts.get(child)?.retainOnDelete, child).toBeFalsy();
        }
    });

    it("uses storage.r2PermissionGroupIds as given, without a lookup", async () => {
        const before = invokes.length;
        const ids = ["a".repeat(32), "b".repeat(32)];
        await build("r2ids", { r2PermissionGroupIds: ids });
        const token = registered(T.token, "r2ids-token") as {
            policies: { permissionGroups: { id: string }[] }[];
        };
        expect(token.policies[0].permissionGroups).toEqual([{ id: ids[0] }, { id: ids[1] }]);
        expect(invokes.length).toBe(before);
    });
});

describe("r2Storage appendOnly", () => {
    let built: Built;
    beforeAll(async () => {
        built = await build("r2ao", { appendOnly: true });
    });

    it("locks replica objects against delete and overwrite for the retention period", () => {
        expect(registered(T.lock, "r2ao-lock")).toEqual({
            accountId: ACCOUNT,
            bucketName: "meds-backups",
            jurisdiction: "default",
            rules: [
                {
                    id: "lock-for-retention",
                    enabled: true,
                    prefix: "meds/",
                    condition: { type: "Age", maxAgeSeconds: 72 * 3600 },
                },
            ],
        });
        // Removed with the stack: it guards against the token, which goes too.
        expect(built.opts.get("r2ao-lock")?.retainOnDelete).toBeFalsy();
        expect(built.opts.get("r2ao-bucket")?.retainOnDelete).toBe(true);
    });

    it("expires replica objects once older than the retention period, in whole days", () => {
        expect(registered(T.lifecycle, "r2ao-lifecycle")).toEqual({
            accountId: ACCOUNT,
            bucketName: "meds-backups",
            jurisdiction: "default",
            rules: [
                {
                    id: "abort-incomplete-multipart-uploads",
                    enabled: true,
                    conditions: { prefix: "" },
                    abortMultipartUploadsTransition: { condition: { type: "Age", maxAge: 86400 } },
                },
                {
                    id: "expire-after-retention",
                    enabled: true,
                    conditions: { prefix: "meds/" },
                    deleteObjectsTransition: { condition: { type: "Age", maxAge: 3 * 86400 } },
                },
            ],
        });
    });

    it("waits for the lock before Litestream starts", async () => {
        expect(await readyNames(built.target)).toContain("r2ao-lock");
    });

    it("renders a config with Litestream's retention disabled", async () => {
        const yaml = config.renderLitestreamConfig({
            target: {
                bucket: await resolve(built.target.bucket),
                endpoint: await resolve(built.target.endpoint),
                region: await resolve(built.target.region),
            },
            databases: databases.resolveDatabases("/app/data", ["meds.db"], built.ctx.path),
            timing: built.ctx.timing,
            retentionEnabled: !built.ctx.appendOnly,
        });
        expect(parse(yaml).retention).toEqual({ enabled: false });
    });
});
