/**
 * The README's R2 program, tested the way Pulumi's unit-testing guide shows: the plain mock
 * that returns each resource's inputs as its state, plus a `call` mock that answers the one
 * lookup R2 makes (the token's permission groups, by name). Nothing from this repository's test
 * support; no unhandled error.
 */
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";

/** `<type>::<name>` of every resource the program registered, in order. */
const registered: string[] = [];

pulumi.runtime.setMocks(
    {
        newResource: (args: pulumi.runtime.MockResourceArgs): pulumi.runtime.MockResourceResult => {
            registered.push(`${args.type}::${args.name}`);
            return { id: args.inputs.name + "_id", state: args.inputs };
        },
        call: (args: pulumi.runtime.MockCallArgs) =>
            args.token.endsWith(":getAccountApiTokenPermissionGroupsList")
                ? { results: [{ id: "0".repeat(32), name: decodeURIComponent(args.inputs.name) }] }
                : args.inputs,
    },
    "project",
    "prod",
    false,
);

/** The value of an output (every output is known outside a preview). */
function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => output.apply(resolve));
}

describe("the README's R2 program, under the plain mock and a call mock for the lookups", () => {
    let backup: import("../../components").LitestreamBackup;

    beforeAll(async () => {
        const { LitestreamBackup, ReplicationPreset, StorageProvider } =
            await import("../../components");
        backup = new LitestreamBackup("meds", {
            storage: {
                provider: StorageProvider.R2,
                accountId: "0123456789abcdef0123456789abcdef",
            },
            app: {
                image: "ghcr.io/acme/meds:1.4.2",
                dataDir: "/app/data",
                databases: ["meds.db"],
                ports: [{ internal: 8080, external: 80 }],
                envs: { DATABASE_PATH: "/app/data/meds.db" },
            },
            replication: { preset: ReplicationPreset.Critical },
            docker: { host: "ssh://deploy@app.example.com" },
        });
        await valueOf(backup.appContainerName);
    });

    it("registers the bucket, its token and every container", () => {
        expect(registered).toEqual(
            expect.arrayContaining([
                "cloudflare:index/r2Bucket:R2Bucket::meds-bucket",
                "cloudflare:index/accountToken:AccountToken::meds-token",
                "docker:index/container:Container::meds-preflight",
                "docker:index/container:Container::meds-restore-0",
                "docker:index/container:Container::meds-litestream",
                "docker:index/container:Container::meds-app",
            ]),
        );
    });

    it("resolves the outputs the program exports, the keys as secrets", async () => {
        expect(await valueOf(backup.replicaUrls)).toEqual(["s3://meds-prod/meds/meds.db"]);
        expect(await valueOf(backup.endpoint)).toBe(
            "https://0123456789abcdef0123456789abcdef.r2.cloudflarestorage.com",
        );
        expect(await pulumi.isSecret(backup.accessKeyId)).toBe(true);
        expect(await pulumi.isSecret(backup.secretAccessKey)).toBe(true);
    });
});
