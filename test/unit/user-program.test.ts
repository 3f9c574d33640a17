/**
 * A program that uses LitestreamBackup, tested the way Pulumi's unit-testing guide shows
 * (https://www.pulumi.com/docs/iac/guides/testing/unit/): the plain mock that returns each
 * resource's inputs as its state, the component imported after the mocks are set, and nothing
 * from this repository's test support. What a user's own test suite does must pass here, with
 * no unhandled error.
 */
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";

/** `<type>::<name>` of every resource the program registered, in order. */
const registered: string[] = [];

const mocks: pulumi.runtime.Mocks = {
    newResource: (args: pulumi.runtime.MockResourceArgs): pulumi.runtime.MockResourceResult => {
        registered.push(`${args.type}::${args.name}`);
        return { id: args.inputs.name + "_id", state: args.inputs };
    },
    call: (args: pulumi.runtime.MockCallArgs) => args.inputs,
};

pulumi.runtime.setMocks(mocks, "project", "stack", false);

/** The value of an output (every output is known outside a preview). */
function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => output.apply(resolve));
}

type Components = typeof import("../../components");

/** The program under test: an app backed up to an existing S3-compatible bucket. */
function program(lib: Components) {
    return new lib.LitestreamBackup("meds", {
        storage: {
            provider: lib.StorageProvider.S3Compatible,
            bucketName: "meds-backups",
            endpoint: "https://s3.eu-central-003.backblazeb2.com",
            region: "eu-central-003",
            accessKeyId: "0031234567890ab0000000001",
            secretAccessKey: "K003exampleexampleexampleexample",
        },
        app: {
            image: "ghcr.io/acme/meds:1.4.2",
            dataDir: "/app/data",
            databases: ["meds.db"],
            ports: [{ internal: 8080, external: 80 }],
        },
    });
}

describe("a program that uses LitestreamBackup, under the documented plain mock", () => {
    let backup: InstanceType<Components["LitestreamBackup"]>;

    beforeAll(async () => {
        // Imported after setMocks, as the guide says, so the component sees the mocks.
        const lib = await import("../../components");
        backup = program(lib);
        // The app is created last: once its name resolves, every container is registered.
        await valueOf(backup.appContainerName);
    });

    it("registers the component and every container: the restore, the sidecar and the app", () => {
        expect(registered).toEqual([
            "litestream-backup:index:LitestreamBackup::meds",
            "pulumi:providers:docker::meds-docker",
            "docker:index/volume:Volume::meds-data",
            "docker:index/volume:Volume::meds-control",
            "docker:index/network:Network::meds-network",
            "docker:index/container:Container::meds-preflight",
            "docker:index/container:Container::meds-restore-0",
            "docker:index/container:Container::meds-litestream",
            "docker:index/container:Container::meds-app",
            "docker:index/container:Container::meds-verify",
        ]);
    });

    it("resolves the outputs the program exports", async () => {
        expect(await valueOf(backup.appContainerName)).toBe("meds");
        expect(await valueOf(backup.litestreamContainerName)).toBe("meds-litestream");
        expect(await valueOf(backup.bucketName)).toBe("meds-backups");
        expect(await valueOf(backup.replicaUrls)).toEqual(["s3://meds-backups/meds/meds.db"]);
    });

    it("keeps the bucket keys secret", async () => {
        expect(await pulumi.isSecret(backup.accessKeyId)).toBe(true);
        expect(await pulumi.isSecret(backup.secretAccessKey)).toBe(true);
        expect(await valueOf(backup.litestreamConfig)).not.toContain("K003example");
    });
});

describe("the same program in a preview", () => {
    let backup: InstanceType<Components["LitestreamBackup"]>;

    beforeAll(async () => {
        registered.length = 0;
        pulumi.runtime.setMocks(mocks, "project", "stack", true);
        backup = program(await import("../../components"));
        await valueOf(backup.appContainerName);
    });

    it("registers every container too", () => {
        expect(registered.filter((r) => r.startsWith("docker:index/container:"))).toEqual([
            "docker:index/container:Container::meds-preflight",
            "docker:index/container:Container::meds-restore-0",
            "docker:index/container:Container::meds-litestream",
            "docker:index/container:Container::meds-app",
            "docker:index/container:Container::meds-verify",
        ]);
    });
});
