/**
 * The component on Kubernetes, under mocks: which objects it creates (and that nothing goes to
 * a Docker host), what is secret and where the credential and the push monitors' URLs are
 * (only in their Secrets), both Litestream configs in the ConfigMap, the verifier, the order
 * (the gate Job before the StatefulSet, read from the resource options through
 * `transformations`), the await bound, and the outputs on this target.
 */
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import type { LitestreamBackup, LitestreamBackupArgs } from "../../components";
import { installMocks, isSecretInput, Registered, resolve, unwrapSecrets } from "../support/mocks";

const KEY_ID = "0031234567890ab0000000001";
const SECRET = "K003exampleexampleexampleexample";
const LITESTREAM_PING = "https://hc-ping.com/litestream-5f1e0c3a";
const VERIFY_PING = "https://hc-ping.com/verify-8d0e4a4e";

let resources: Registered[];
let lib: typeof import("../../components");
let backup: LitestreamBackup;
let withoutVerifier: LitestreamBackup;
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
        litestream: { heartbeatUrl: LITESTREAM_PING },
        verify: { heartbeatUrl: VERIFY_PING },
        kubernetes: {
            namespace: "apps",
            kubeconfig: "apiVersion: v1\nkind: Config\n",
            storageClassName: "local-path",
        },
    };
}

function one(type: string): Registered {
    const found = ofMeds().filter((r) => r.type === type);
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
    withoutVerifier = new lib.LitestreamBackup("plain", {
        ...args(),
        app: { ...args().app, name: "plain" },
        litestream: undefined,
        verify: { enabled: false },
    });
    await resolve(withoutVerifier.restoreCommand);
});

/** The resources of the component `meds` (the test also makes `plain`). */
function ofMeds(): Registered[] {
    return resources.filter((r) => r.name.startsWith("meds"));
}

describe("LitestreamBackup on Kubernetes", () => {
    it("creates a provider, a ConfigMap, three Secrets, the preflight Job and a StatefulSet, nothing on Docker", () => {
        expect(resources.filter((r) => r.type.startsWith("docker:"))).toEqual([]);
        expect(
            ofMeds()
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
            ["kubernetes:core/v1:Secret", "meds-secret-env"],
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

    it("keeps the push monitors' URLs in their Secret, read with secretKeyRef, and nowhere else", () => {
        const secret = named("meds-secret-env");
        expect(isSecretInput(secret.inputs.data)).toBe(true);
        expect(unwrapSecrets(secret.inputs.data)).toEqual({
            litestreamHeartbeatUrl: Buffer.from(LITESTREAM_PING).toString("base64"),
            verifyHeartbeatUrl: Buffer.from(VERIFY_PING).toString("base64"),
        });
        for (const type of [
            "kubernetes:core/v1:ConfigMap",
            "kubernetes:batch/v1:Job",
            "kubernetes:apps/v1:StatefulSet",
        ]) {
            const text = JSON.stringify(unwrapSecrets(one(type).inputs));
            for (const url of [LITESTREAM_PING, VERIFY_PING]) {
                expect(text, type).not.toContain(url);
                expect(text, type).not.toContain(Buffer.from(url).toString("base64"));
            }
        }
        const pod = (
            one("kubernetes:apps/v1:StatefulSet").inputs as {
                spec: { template: { spec: { initContainers: Pod[]; containers: Pod[] } } };
            }
        ).spec.template.spec;
        type Pod = { name: string; env?: unknown };
        const env = Object.fromEntries(
            [...pod.initContainers, ...pod.containers]
                .filter((c) => c.env !== undefined)
                .map((c) => [c.name, c.env]),
        );
        const ref = (key: string) => ({
            secretKeyRef: { name: "meds-secret-env-1a2b3c4d", key },
        });
        expect(env).toEqual({
            "meds-litestream": [
                { name: "LITESTREAM_HEARTBEAT_URL", valueFrom: ref("litestreamHeartbeatUrl") },
            ],
            "meds-verify": [{ name: "VERIFY_HEARTBEAT_URL", valueFrom: ref("verifyHeartbeatUrl") }],
        });
        // No push monitor, no Secret for them.
        expect(resources.map((r) => r.name)).not.toContain("plain-secret-env");
    });

    it("puts the rendered config in the ConfigMap and refers to it and the Secrets by their names", () => {
        const files = one("kubernetes:core/v1:ConfigMap");
        const data = files.inputs.data as Record<string, string>;
        expect(data["etc_litestream.yml"]).toContain("bucket: meds-backups");
        expect(data["etc_litestream.yml"]).toContain("path: meds/meds.db");
        // The claims' replica has a config of its own: same bucket, the owner database only.
        expect(data["etc_litestream-owner.yml"]).toContain("bucket: meds-backups");
        expect(data["etc_litestream-owner.yml"]).toContain("path: meds/.litestream-backup-owner");
        expect(data["etc_litestream-owner.yml"]).not.toContain("meds.db");
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
            { name: "control", emptyDir: {} },
        ]);
        expect(sts.spec.template.spec.initContainers.map((c) => c.name)).toEqual([
            "meds-preflight",
            "meds-restore-0",
            "meds-ownership",
            "meds-litestream",
        ]);
        expect(sts.spec.template.spec.containers.map((c) => c.name)).toEqual([
            "meds",
            "meds-verify",
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
        // 540 s start period + 3 × (10 s + 60 s) + 120 s
        expect(sts.customTimeouts).toEqual({ create: "870s", update: "870s" });
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
        expect(await resolve(backup.verifyContainerName)).toBe("meds-verify");
        expect(await resolve(withoutVerifier.verifyContainerName)).toBe("");
        expect(await pulumi.isSecret(backup.secretAccessKey)).toBe(true);
    });
});
