/**
 * The component on Kubernetes, under mocks: which objects it creates (and that nothing goes to
 * a Docker host), what is secret and where the credential is (only in the Secret), the order
 * (the gate Job before the StatefulSet, read from the resource options through
 * `transformations`), the await bound, and the outputs on this target.
 */
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import type { LitestreamBackup, LitestreamBackupArgs } from "../../components";
import { installMocks, isSecretInput, Registered, resolve, unwrapSecrets } from "../support/mocks";

const KEY_ID = "0031234567890ab0000000001";
const SECRET = "K003exampleexampleexampleexample";

let resources: Registered[];
let lib: typeof import("../../components");
let backup: LitestreamBackup;
const options = new Map<string, pulumi.CustomResourceOptions>();

/** Kubernetes names an object that has none: `<resource name>-<random>`, as the provider does. */
function autonamed(r: Registered): Record<string, unknown> {
    const metadata = (r.inputs.metadata ?? {}) as Record<string, unknown>;
    return { metadata: { ...metadata, name: metadata.name ?? `${r.name}-1a2b3c4d` } };
}

function args(): LitestreamBackupArgs {
    return {
        storage: {
            provider: lib.StorageProvider.S3Compatible,
            bucketName: "meds-backups",
            endpoint: "https://s3.eu-central-003.backblazeb2.com",
            accessKeyId: KEY_ID,
            secretAccessKey: SECRET,
        },
        app: {
            image: "ghcr.io/acme/meds:1.4.2",
            dataDir: "/app/data",
            databases: ["meds.db"],
            envs: { API_TOKEN: pulumi.secret("tok-$ecret") },
            user: "1000:1000",
        },
        kubernetes: {
            namespace: "apps",
            kubeconfig: "apiVersion: v1\nkind: Config\n",
            storageClassName: "local-path",
        },
    };
}

function one(type: string): Registered {
    const found = resources.filter((r) => r.type === type);
    expect(found, type).toHaveLength(1);
    return found[0];
}

function named(name: string): Registered {
    const found = resources.find((r) => r.name === name);
    expect(found, name).toBeDefined();
    return found as Registered;
}

beforeAll(async () => {
    ({ resources } = installMocks({
        outputs: {
            "kubernetes:core/v1:ConfigMap": autonamed,
            "kubernetes:core/v1:Secret": autonamed,
            "kubernetes:batch/v1:Job": autonamed,
            "kubernetes:apps/v1:StatefulSet": autonamed,
        },
    }));
    lib = await import("../../components");
    backup = new lib.LitestreamBackup("meds", args(), {
        transformations: [
            (a) => {
                options.set(a.name, a.opts);
                return undefined;
            },
        ],
    });
    await resolve(backup.restoreCommand);
});

describe("LitestreamBackup on Kubernetes", () => {
    it("creates a provider, a ConfigMap, two Secrets, the preflight Job and a StatefulSet, nothing on Docker", () => {
        expect(resources.filter((r) => r.type.startsWith("docker:"))).toEqual([]);
        expect(
            resources
                .filter(
                    (r) =>
                        r.type.startsWith("kubernetes:") || r.type.startsWith("pulumi:providers:"),
                )
                .map((r) => [r.type, r.name])
                .sort(),
        ).toEqual([
            ["kubernetes:apps/v1:StatefulSet", "meds-statefulset"],
            ["kubernetes:batch/v1:Job", "meds-preflight"],
            ["kubernetes:core/v1:ConfigMap", "meds-files"],
            ["kubernetes:core/v1:Secret", "meds-app-env"],
            ["kubernetes:core/v1:Secret", "meds-credentials"],
            ["pulumi:providers:kubernetes", "meds-kubernetes"],
        ]);
        const provider = one("pulumi:providers:kubernetes");
        expect(isSecretInput(provider.inputs.kubeconfig)).toBe(true);
    });

    it("keeps the credential in its Secret only: not in the ConfigMap, the pod spec, the Job or labels", () => {
        const secret = named("meds-credentials");
        expect(isSecretInput(secret.inputs.data)).toBe(true);
        expect(unwrapSecrets(secret.inputs.data)).toEqual({
            LITESTREAM_ACCESS_KEY_ID: Buffer.from(KEY_ID).toString("base64"),
            LITESTREAM_SECRET_ACCESS_KEY: Buffer.from(SECRET).toString("base64"),
        });
        for (const type of [
            "kubernetes:core/v1:ConfigMap",
            "kubernetes:batch/v1:Job",
            "kubernetes:apps/v1:StatefulSet",
        ]) {
            const text = JSON.stringify(unwrapSecrets(one(type).inputs));
            expect(text, type).not.toContain(KEY_ID);
            expect(text, type).not.toContain(SECRET);
            expect(text, type).not.toContain(Buffer.from(SECRET).toString("base64"));
            expect(text, type).not.toContain("tok-");
        }
        const appEnv = named("meds-app-env");
        expect(isSecretInput(appEnv.inputs.data)).toBe(true);
    });

    it("puts the rendered config in the ConfigMap and refers to it and the Secrets by their names", () => {
        const files = one("kubernetes:core/v1:ConfigMap");
        const data = files.inputs.data as Record<string, string>;
        expect(data["etc_litestream.yml"]).toContain("bucket: meds-backups");
        const sts = one("kubernetes:apps/v1:StatefulSet").inputs as {
            metadata: Record<string, unknown>;
            spec: {
                podManagementPolicy: string;
                selector: { matchLabels: Record<string, string> };
                template: {
                    metadata: { labels: Record<string, string> };
                    spec: {
                        volumes: unknown[];
                        initContainers: { name: string; envFrom?: unknown }[];
                        containers: { name: string; envFrom?: unknown }[];
                    };
                };
                volumeClaimTemplates: { spec: Record<string, unknown> }[];
            };
        };
        expect(sts.metadata).toMatchObject({ name: "meds", namespace: "apps" });
        expect(sts.spec.podManagementPolicy).toBe("Parallel");
        expect(sts.spec.template.spec.volumes).toEqual([
            { name: "files", configMap: { name: "meds-files-1a2b3c4d" } },
        ]);
        expect(sts.spec.template.spec.initContainers.map((c) => c.name)).toEqual([
            "meds-preflight",
            "meds-restore-0",
            "meds-ownership",
            "meds-litestream",
        ]);
        expect(sts.spec.template.spec.containers[0].envFrom).toEqual([
            { secretRef: { name: "meds-app-env-1a2b3c4d" } },
        ]);
        expect(sts.spec.volumeClaimTemplates[0].spec).toEqual({
            accessModes: ["ReadWriteOnce"],
            storageClassName: "local-path",
            resources: { requests: { storage: "1Gi" } },
        });
        const labels = {
            "litestream-backup.project": "litestream-backup",
            "litestream-backup.stack": "test",
            "litestream-backup.component": "meds",
            "litestream-backup.role": "app",
        };
        expect(sts.spec.selector.matchLabels).toEqual(labels);
        expect(sts.spec.template.metadata.labels).toEqual(labels);
        for (const name of ["meds-files", "meds-credentials", "meds-app-env", "meds-preflight"]) {
            const metadata = named(name).inputs.metadata as { labels: Record<string, string> };
            expect(metadata.labels, name).toMatchObject({ "litestream-backup.component": "meds" });
        }
    });

    it("creates the StatefulSet after the preflight Job, and bounds both waits", () => {
        const sts = options.get("meds-statefulset") as pulumi.CustomResourceOptions;
        const dependsOn = sts.dependsOn as pulumi.Resource[];
        expect(dependsOn.map((r) => (r as unknown as { __name: string }).__name)).toEqual([
            "meds-preflight",
        ]);
        expect(sts.customTimeouts).toEqual({ create: "510s", update: "510s" });
        expect(options.get("meds-preflight")?.customTimeouts).toEqual({
            create: "300s",
            update: "300s",
        });
    });

    it("gives outputs that name the pod's containers, the claim and the StatefulSet", async () => {
        expect(await resolve(backup.statefulSetName)).toBe("meds");
        expect(await resolve(backup.statefulSetNamespace)).toBe("apps");
        expect(await resolve(backup.appContainerName)).toBe("meds");
        expect(await resolve(backup.litestreamContainerName)).toBe("meds-litestream");
        expect(await resolve(backup.volumeName)).toBe("data-meds-0");
        expect(await resolve(backup.restoreCommand)).toBe(
            "kubectl --namespace apps exec meds-0 -c meds-litestream -- litestream restore -config /etc/litestream.yml -integrity-check full -timestamp YYYY-MM-DDTHH:MM:SSZ -o /app/data/meds.db.restored /app/data/meds.db",
        );
        expect(await pulumi.isSecret(backup.secretAccessKey)).toBe(true);
    });
});
