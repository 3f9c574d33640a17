/** The pure storage documents: durations in days, R2 keys and names, S3 endpoints. */
import { describe, expect, it } from "vitest";
import {
    durationDays,
    durationSeconds,
    missingPermissionGroupMessage,
    permissionGroupId,
    r2BucketResourceKey,
    r2Endpoint,
    r2LifecycleRules,
    r2SecretAccessKey,
    r2TokenResources,
    s3Endpoint,
    s3LifecycleRules,
    s3NoncurrentDays,
    s3ObjectActions,
} from "../../components/storage/policy";

const ACCOUNT = "0123456789abcdef0123456789abcdef";

describe("durations", () => {
    it.each([
        ["72h", 3],
        ["73h", 4],
        ["24h", 1],
        ["90m", 1],
        ["1s", 1],
        ["168h", 7],
        ["720h", 30],
        ["1.5h", 1],
    ])("%s is %i whole days, rounded up", (retention, days) => {
        expect(durationDays(retention)).toBe(days);
    });

    it("counts seconds, rounded up", () => {
        expect(durationSeconds("72h")).toBe(259200);
        expect(durationSeconds("1500ms")).toBe(2);
    });

    it("refuses what is not a duration", () => {
        expect(() => durationDays("3 days")).toThrow(
            'retention "3 days" is not a positive Go duration',
        );
    });
});

describe("R2 documents", () => {
    it("derives the secret access key as the SHA-256 hex of the token value", () => {
        // `printf %s abc | sha256sum`
        expect(r2SecretAccessKey("abc")).toBe(
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        );
    });

    it("names one bucket as a token resource, jurisdiction `default` when none", () => {
        expect(r2BucketResourceKey(ACCOUNT, undefined, "b-1")).toBe(
            `com.cloudflare.edge.r2.bucket.${ACCOUNT}_default_b-1`,
        );
        expect(r2TokenResources(ACCOUNT, "eu", "b-1")).toBe(
            `{"com.cloudflare.edge.r2.bucket.${ACCOUNT}_eu_b-1":"*"}`,
        );
    });

    it("has one endpoint a jurisdiction", () => {
        expect(r2Endpoint(ACCOUNT, undefined)).toBe(`https://${ACCOUNT}.r2.cloudflarestorage.com`);
        expect(r2Endpoint(ACCOUNT, "default")).toBe(`https://${ACCOUNT}.r2.cloudflarestorage.com`);
        expect(r2Endpoint(ACCOUNT, "eu")).toBe(`https://${ACCOUNT}.eu.r2.cloudflarestorage.com`);
        expect(r2Endpoint(ACCOUNT, "fedramp")).toBe(
            `https://${ACCOUNT}.fedramp.r2.cloudflarestorage.com`,
        );
    });

    it("picks the permission group of exactly that name", () => {
        const groups = [
            { id: "1", name: "Workers R2 Storage Bucket Item Write (legacy)" },
            { id: "2", name: "Workers R2 Storage Bucket Item Write" },
        ];
        expect(permissionGroupId(groups, "Workers R2 Storage Bucket Item Write")).toBe("2");
        expect(permissionGroupId(groups, "Workers R2 Storage Bucket Item Read")).toBeUndefined();
    });

    it("says how to fix a missing permission group", () => {
        expect(missingPermissionGroupMessage("Workers R2 Storage Bucket Item Read")).toBe(
            'Cloudflare returned no API token permission group named "Workers R2 Storage Bucket Item Read": set `storage.r2PermissionGroupIds` to the ids of the groups of an R2 "Object Read & Write" token (GET /accounts/<account>/tokens/permission_groups lists them).',
        );
    });

    it("expires nothing unless append-only", () => {
        expect(r2LifecycleRules("meds", "72h", false).map((r) => r.id)).toEqual([
            "abort-incomplete-multipart-uploads",
        ]);
    });
});

describe("S3 documents", () => {
    it("keeps replaced versions for the retention, at least a week", () => {
        expect(s3NoncurrentDays("72h")).toBe(7);
        expect(s3NoncurrentDays("168h")).toBe(7);
        expect(s3NoncurrentDays("720h")).toBe(30);
    });

    it("never puts a delete action in an append-only credential", () => {
        expect(s3ObjectActions(true).some((a) => a.includes("Delete"))).toBe(false);
        expect(s3ObjectActions(false)).toContain("s3:DeleteObject");
    });

    it("never combines a day count with delete-marker cleanup in one rule", () => {
        for (const rule of s3LifecycleRules("meds", "72h", true)) {
            const both =
                rule.expiration?.days !== undefined &&
                rule.expiration?.expiredObjectDeleteMarker !== undefined;
            expect(both, rule.id).toBe(false);
        }
    });

    it("has a regional endpoint, also in China", () => {
        expect(s3Endpoint("us-east-1")).toBe("https://s3.us-east-1.amazonaws.com");
        expect(s3Endpoint("cn-north-1")).toBe("https://s3.cn-north-1.amazonaws.com.cn");
    });
});
