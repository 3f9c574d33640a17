/** The storage flag rules: exact messages, and which providers can be append-only. */
import { describe, expect, it } from "vitest";
import { StorageArgs, StorageProvider } from "../../components/args";
import { storageFlagIssues } from "../../components/storage/append-only";

const ACCOUNT = "0123456789abcdef0123456789abcdef";

describe("storageFlagIssues", () => {
    it("refuses appendOnly for the local server, naming the field and the fix", () => {
        expect(storageFlagIssues({ provider: StorageProvider.Local, appendOnly: true })).toEqual([
            {
                propertyPath: "storage.appendOnly",
                reason: "`storage.appendOnly` is not supported when `storage.provider` is `local`: the local server keeps the backups on the same Docker host as the app, so whoever controls that host can delete them whatever the credential allows. Remove it, or use `r2` or `s3`.",
            },
        ]);
    });

    it.each([
        { provider: StorageProvider.R2, accountId: ACCOUNT, appendOnly: true },
        { provider: StorageProvider.S3, appendOnly: true },
        { provider: StorageProvider.S3Compatible, appendOnly: true },
        { provider: StorageProvider.Local, appendOnly: false, retainOnDelete: true },
        { provider: StorageProvider.Local },
    ] as StorageArgs[])("accepts %o", (storage) => {
        expect(storageFlagIssues(storage)).toEqual([]);
    });

    it("wants booleans, as YAML stack config can hold strings", () => {
        const storage = {
            provider: StorageProvider.S3,
            appendOnly: "yes",
            retainOnDelete: "false",
        } as unknown as StorageArgs;
        expect(storageFlagIssues(storage)).toEqual([
            {
                propertyPath: "storage.appendOnly",
                reason: '`storage.appendOnly` is `"yes"`: use `true` or `false`, without quotes.',
            },
            {
                propertyPath: "storage.retainOnDelete",
                reason: '`storage.retainOnDelete` is `"false"`: use `true` or `false`, without quotes.',
            },
        ]);
    });
});
