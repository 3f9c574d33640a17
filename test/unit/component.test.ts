/**
 * The component under mocks: validation before any resource, the rendered config it
 * registers, and secrets in its outputs.
 */
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { LitestreamBackupArgs } from "../../components";
import { installMocks, Registered, resolve, settle, settled } from "../support/mocks";

const ACCOUNT = "0123456789abcdef0123456789abcdef";

let resources: Registered[];
let lib: typeof import("../../components");

beforeAll(async () => {
    ({ resources } = installMocks({
        stack: "prod",
        outputs: {
            "cloudflare:index/apiToken:ApiToken": () => ({ value: "token-value" }),
            "cloudflare:index/accountToken:AccountToken": () => ({ value: "token-value" }),
        },
        calls: {
            "cloudflare:index/getApiTokenPermissionGroupsList:getApiTokenPermissionGroupsList": (
                inputs,
            ) => ({ results: [{ id: "a".repeat(32), name: inputs.name }] }),
            "cloudflare:index/getAccountApiTokenPermissionGroupsList:getAccountApiTokenPermissionGroupsList":
                (inputs) => ({
                    results: [
                        { id: "b".repeat(32), name: decodeURIComponent(String(inputs.name)) },
                    ],
                }),
        },
    }));
    lib = await import("../../components");
});

function r2Personal(): LitestreamBackupArgs {
    return {
        storage: {
            provider: lib.StorageProvider.R2,
            accountId: ACCOUNT,
            bucketName: "meds-backups",
        },
        app: { image: "ghcr.io/acme/meds:1.4.2", dataDir: "/app/data", databases: ["meds.db"] },
        replication: { preset: lib.ReplicationPreset.Personal },
    };
}

describe("LitestreamBackup", () => {
    it("rejects bad input before registering anything", async () => {
        const before = resources.length;
        const args = r2Personal();
        delete args.storage.accountId;
        args.replication = { syncInterval: "10 s" };
        expect(() => new lib.LitestreamBackup("bad", args)).toThrowError(
            /2 invalid inputs:\n- `storage.accountId` is required when `storage.provider` is `r2`: set it to your Cloudflare account id.\n- `replication.syncInterval` `10 s` is not a positive Go duration/,
        );
        await settle();
        expect(resources.length).toBe(before);
    });

    it("names the field of a single bad input", () => {
        const args = r2Personal();
        args.app.dataDir = "data";
        try {
            new lib.LitestreamBackup("bad2", args);
            expect.unreachable();
        } catch (e) {
            expect(pulumi.InputPropertyError.isInstance(e)).toBe(true);
            expect((e as pulumi.InputPropertyError).propertyPath).toBe("app.dataDir");
        }
    });

    it("registers the r2 personal config with exactly the keys it needs and no credential", async () => {
        const backup = new lib.LitestreamBackup("meds", r2Personal());
        const yaml = await resolve(backup.litestreamConfig);
        expect(parse(yaml)).toEqual({
            // The sidecar's health check reads each database's last sync from this socket.
            socket: { enabled: true, path: "/var/run/litestream/litestream.sock" },
            snapshot: { interval: "24h", retention: "168h" },
            // Litestream's timers, set for the preset (litestream/timing.ts).
            levels: [{ interval: "1h" }],
            "l0-retention-check-interval": "24h",
            dbs: [
                {
                    path: "/app/data/meds.db",
                    "monitor-interval": "4m",
                    "checkpoint-interval": "1h2m",
                    replica: {
                        type: "s3",
                        bucket: "meds-backups",
                        path: "meds/meds.db",
                        endpoint: `https://${ACCOUNT}.r2.cloudflarestorage.com`,
                        region: "auto",
                        "sync-interval": "1h",
                    },
                },
            ],
        });
        const secret = await resolve(backup.secretAccessKey);
        const keyId = await resolve(backup.accessKeyId);
        expect(yaml).not.toContain(secret);
        expect(yaml).not.toContain(keyId);
        expect(await pulumi.isSecret(backup.secretAccessKey)).toBe(true);
        expect(await pulumi.isSecret(backup.accessKeyId)).toBe(true);
        expect(await pulumi.isSecret(backup.litestreamConfig)).toBe(false);
        expect(await resolve(backup.replicaUrls)).toEqual(["s3://meds-backups/meds/meds.db"]);
        expect(await resolve(backup.region)).toBe("auto");
    });

    it("checks an input that is known only later, once it is known", async () => {
        const { checkedWhenKnown, ensureValid } = await import("../../components/when-known");
        const { bucketNameProblem } = await import("../../components/validate");
        const check = (value: string) => bucketNameProblem(lib.StorageProvider.R2, value);
        // The check that runs inside the output's apply: a broken rule names the field.
        let error: unknown;
        try {
            ensureValid("Not_A_Bucket", "storage.bucketName", check);
        } catch (e) {
            error = e;
        }
        expect(pulumi.InputPropertyError.isInstance(error)).toBe(true);
        expect((error as pulumi.InputPropertyError).propertyPath).toBe("storage.bucketName");
        expect((error as pulumi.InputPropertyError).reason).toBe(
            "`storage.bucketName` `Not_A_Bucket` has uppercase letters: use lowercase letters only.",
        );
        // Wired into an output: a value known only later is checked when it arrives. Every
        // internal promise of the output carries the rejection, so each is awaited here.
        const lateBad = checkedWhenKnown(
            pulumi.output(new Promise<string>((r) => setTimeout(() => r("Not_A_Bucket"), 20))),
            "storage.bucketName",
            check,
        ) as unknown as {
            promise(): Promise<string>;
            isKnown: Promise<boolean>;
            isSecret: Promise<boolean>;
            allResources?: () => Promise<unknown>;
        };
        const outcomes = await Promise.allSettled([
            lateBad.promise(),
            lateBad.isKnown,
            lateBad.isSecret,
            lateBad.allResources?.() ?? Promise.resolve(),
        ]);
        expect(outcomes[0]).toMatchObject({
            status: "rejected",
            reason: { propertyPath: "storage.bucketName" },
        });
        // A value that is only known later flows through unchanged once it passes.
        const late = pulumi.output(
            new Promise<string>((r) => setTimeout(() => r("meds-backups"), 20)),
        );
        expect(await settled(checkedWhenKnown(late, "storage.bucketName", check))).toBe(
            "meds-backups",
        );
    });
});
