/**
 * The stack program under mocks with `kubernetes` in the stack config, and `docker` at its
 * project default (`{}`) as the CLI merges it: the app goes to Kubernetes, nothing to a Docker
 * host, and a kubeconfig read from stack config stays secret.
 */
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { installMocks, isSecretInput, Registered, resolve } from "../support/mocks";

let resources: Registered[];
let stack: typeof import("../../index");

const CONFIG = {
    "litestream-backup:storage": {
        provider: "s3-compatible",
        endpoint: "http://10.0.0.5:7070",
        bucketName: "backups",
        accessKeyId: "AKEXAMPLE",
        secretAccessKey: "secret-example",
    },
    "litestream-backup:app": {
        name: "meds",
        image: "ghcr.io/acme/meds:1.4.2",
        dataDir: "/app/data",
        databases: ["meds.db"],
    },
    "litestream-backup:docker": {},
    "litestream-backup:kubernetes": {
        namespace: "apps",
        kubeconfig: "apiVersion: v1\nkind: Config\n",
    },
};

beforeAll(async () => {
    ({ resources } = installMocks({
        stack: "prod",
        outputs: {
            "kubernetes:apps/v1:StatefulSet": (r) => ({ metadata: r.inputs.metadata }),
        },
    }));
    pulumi.runtime.setAllConfig(
        Object.fromEntries(
            Object.entries(CONFIG).map(([key, value]) => [key, JSON.stringify(value)]),
        ),
    );
    stack = await import("../../index");
});

describe("the stack program with kubernetes set", () => {
    it("deploys on Kubernetes only: the empty docker default does not count as set", async () => {
        expect(await resolve(stack.statefulSetName)).toBe("meds");
        expect(await resolve(stack.statefulSetNamespace)).toBe("apps");
        expect(await resolve(stack.volumeName)).toBe("data-meds-0");
        expect(resources.filter((r) => r.type.startsWith("docker:"))).toEqual([]);
        expect(resources.map((r) => r.type)).toContain("kubernetes:apps/v1:StatefulSet");
    });

    it("keeps the kubeconfig from stack config secret", () => {
        const provider = resources.find((r) => r.type === "pulumi:providers:kubernetes");
        expect(isSecretInput(provider?.inputs.kubeconfig)).toBe(true);
    });
});
