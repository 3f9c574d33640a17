/**
 * The plan as Kubernetes objects, without mocks: which container goes where in the pod, in
 * which order, with which probes, files, secrets and user; the gate Jobs; the await bound; the
 * hand-restore command. A container added to the plan lands in the pod with no code of this
 * layer knowing it.
 */
import { describe, expect, it } from "vitest";
import { resolveDatabases } from "../../components/litestream/databases";
import {
    configMapData,
    containerLabelAnnotations,
    fileKey,
    gateJobs,
    jobPodSpec,
    labelValue,
    podLayout,
    PodRefs,
    podSpec,
    readyTimeoutSeconds,
    securityContext,
} from "../../components/kubernetes/manifests";
import { renderKubectlRestoreCommand } from "../../components/kubernetes/restore";
import { ContainerPlan, deploymentPlan, PlanInput } from "../../components/plan/plan";

const IMAGE = "litestream/litestream:0.5.16";
const REFS: PodRefs = {
    filesConfigMap: "meds-files-1a2b3c4d",
    credentialsSecret: "meds-credentials-5e6f7a8b",
    appEnvSecret: "meds-app-env-9c0d1e2f",
    appImage: "ghcr.io/acme/meds:1.4.2",
};

function input(overrides: Partial<PlanInput> = {}): PlanInput {
    return {
        appName: "meds",
        app: { dataDir: "/app/data", ports: [{ internal: 8080 }], user: "1000:1000" },
        databases: resolveDatabases("/app/data", ["meds.db", "audit/log.db"], "meds"),
        autoRestore: true,
        litestreamImage: IMAGE,
        syncInterval: "10s",
        ...overrides,
    };
}

type Spec = {
    initContainers: Record<string, unknown>[];
    containers: Record<string, unknown>[];
    volumes: Record<string, unknown>[];
    terminationGracePeriodSeconds?: number;
    restartPolicy?: string;
};

describe("the pod of the StatefulSet", () => {
    const plan = deploymentPlan(input());
    const spec = podSpec(plan, REFS) as unknown as Spec;
    const byName = (name: string) =>
        [...spec.initContainers, ...spec.containers].find((c) => c.name === name) as Record<
            string,
            unknown
        >;

    it("runs the one-shots as init containers in plan order, then the sidecar, then the app", () => {
        expect(spec.initContainers.map((c) => [c.name, c.restartPolicy])).toEqual([
            ["meds-preflight", undefined],
            ["meds-restore-0", undefined],
            ["meds-restore-1", undefined],
            ["meds-ownership", undefined],
            ["meds-litestream", "Always"],
        ]);
        expect(spec.containers.map((c) => c.name)).toEqual(["meds"]);
        expect(spec.terminationGracePeriodSeconds).toBe(40);
    });

    it("restores with the one command that keeps an existing database and fails on a broken replica", () => {
        expect(byName("meds-restore-0").args).toEqual([
            "restore",
            "-config",
            "/etc/litestream.yml",
            "-if-db-not-exists",
            "-if-replica-exists",
            "-integrity-check",
            "full",
            "/app/data/meds.db",
        ]);
        expect(byName("meds-restore-1").args).toContain("/app/data/audit/log.db");
        expect(byName("meds-restore-0").terminationMessagePolicy).toBe("FallbackToLogsOnError");
    });

    it("probes the sidecar with the health script: startup within the plan's window, readiness as Docker counts", () => {
        const sidecar = byName("meds-litestream");
        const exec = { command: ["/bin/sh", "/etc/litestream-healthcheck.sh"] };
        // timeout: 5 s for the socket + 10 s a database missing + 5 s
        expect(sidecar.startupProbe).toEqual({
            exec,
            timeoutSeconds: 30,
            periodSeconds: 2,
            failureThreshold: 153,
        });
        expect(sidecar.readinessProbe).toEqual({
            exec,
            timeoutSeconds: 30,
            periodSeconds: 10,
            failureThreshold: 3,
        });
        expect(sidecar.livenessProbe).toBeUndefined();
        expect(sidecar.args).toEqual(["replicate", "-config", "/etc/litestream.yml"]);
    });

    it("mounts each file from the ConfigMap at its path, and the data volume at dataDir", () => {
        expect(byName("meds-litestream").volumeMounts).toEqual([
            { name: "data", mountPath: "/app/data" },
            {
                name: "files",
                mountPath: "/etc/litestream.yml",
                subPath: "etc_litestream.yml",
                readOnly: true,
            },
            {
                name: "files",
                mountPath: "/etc/litestream-healthcheck.sh",
                subPath: "etc_litestream-healthcheck.sh",
                readOnly: true,
            },
        ]);
        expect(byName("meds-preflight").volumeMounts).toEqual([
            expect.objectContaining({ mountPath: "/etc/litestream.yml" }),
            expect.objectContaining({ mountPath: "/etc/litestream-preflight.sh" }),
        ]);
        expect(byName("meds").volumeMounts).toEqual([{ name: "data", mountPath: "/app/data" }]);
        expect(spec.volumes).toEqual([
            { name: "files", configMap: { name: "meds-files-1a2b3c4d" } },
        ]);
    });

    it("gives the credential from its Secret to the Litestream containers only, the app its own environment", () => {
        const credentials = [{ secretRef: { name: "meds-credentials-5e6f7a8b" } }];
        for (const name of [
            "meds-preflight",
            "meds-restore-0",
            "meds-restore-1",
            "meds-litestream",
        ]) {
            expect(byName(name).envFrom, name).toEqual(credentials);
        }
        expect(byName("meds-ownership").envFrom).toBeUndefined();
        expect(byName("meds").envFrom).toEqual([{ secretRef: { name: "meds-app-env-9c0d1e2f" } }]);
        expect(byName("meds").env).toBeUndefined();
    });

    it("runs Litestream as root and the app as app.user", () => {
        expect(byName("meds-litestream").securityContext).toEqual({ runAsUser: 0, runAsGroup: 0 });
        expect(byName("meds-ownership").securityContext).toEqual({ runAsUser: 0, runAsGroup: 0 });
        expect(byName("meds").securityContext).toEqual({ runAsUser: 1000, runAsGroup: 1000 });
        expect(byName("meds").ports).toEqual([{ containerPort: 8080, protocol: "TCP" }]);
        expect(byName("meds").image).toBe("ghcr.io/acme/meds:1.4.2");
        expect(securityContext("65532")).toEqual({ runAsUser: 65532 });
        expect(securityContext(undefined)).toBeUndefined();
    });

    it("leaves out what the plan leaves out: no ownership step without app.user, no restores without autoRestore", () => {
        const bare = podSpec(
            deploymentPlan(input({ app: { dataDir: "/app/data" }, autoRestore: false })),
            { ...REFS, appEnvSecret: undefined },
        ) as unknown as Spec;
        expect(bare.initContainers.map((c) => c.name)).toEqual([
            "meds-preflight",
            "meds-litestream",
        ]);
        expect(bare.containers[0].securityContext).toBeUndefined();
        expect(bare.containers[0].envFrom).toBeUndefined();
        expect(bare.containers[0].ports).toBeUndefined();
    });

    it("places a container added to the plan by what the plan says, with no code here knowing it", () => {
        const extended = deploymentPlan(input());
        const check: ContainerPlan = {
            key: "schema-check",
            role: "restore",
            name: "meds-schema-check",
            image: IMAGE,
            command: ["schema-check"],
            files: [],
            credentials: false,
            appEnv: false,
            dataVolume: true,
            run: "once",
            after: ["restore-0", "restore-1"],
            waitHealthy: false,
            ports: [],
            labels: {},
        };
        const sidecarIndex = extended.containers.findIndex((c) => c.key === "litestream");
        extended.containers.splice(sidecarIndex, 0, check);
        const names = (podSpec(extended, REFS) as unknown as Spec).initContainers.map(
            (c) => c.name,
        );
        expect(names.indexOf("meds-schema-check")).toBe(names.indexOf("meds-litestream") - 1);
    });

    it("refuses a plan whose order a pod cannot honour", () => {
        const broken = deploymentPlan(input());
        broken.containers.reverse();
        expect(() => podLayout(broken)).toThrow(
            "app waits for restore-0, which the pod cannot start before it (only init containers run first)",
        );
    });

    it("snapshot", () => {
        expect(spec).toMatchSnapshot();
    });
});

describe("the ConfigMap", () => {
    const plan = deploymentPlan(input());

    it("holds every file once, the config filled in, under keys made from their paths", () => {
        const data = configMapData(plan, () => "dbs: []\n");
        expect(Object.keys(data).sort()).toEqual([
            "etc_litestream-healthcheck.sh",
            "etc_litestream-preflight.sh",
            "etc_litestream.yml",
        ]);
        expect(data["etc_litestream.yml"]).toBe("dbs: []\n");
        expect(data["etc_litestream-preflight.sh"]).toContain("litestream ltx");
        expect(fileKey("/etc/a b/c.yml")).toBe("etc_a_b_c.yml");
    });
});

describe("the gate Job", () => {
    const plan = deploymentPlan(input());

    it("runs the steps that need nothing before them and no data volume: the preflight, once", () => {
        const gates = gateJobs(plan);
        expect(gates.map((g) => g.key)).toEqual(["preflight"]);
        const spec = jobPodSpec(gates[0], plan, REFS) as unknown as Spec;
        expect(spec.restartPolicy).toBe("Never");
        expect(spec.containers.map((c) => [c.name, c.command, c.args])).toEqual([
            ["meds-preflight", ["/bin/sh"], ["/etc/litestream-preflight.sh"]],
        ]);
        expect(spec.volumes).toEqual([
            { name: "files", configMap: { name: "meds-files-1a2b3c4d" } },
        ]);
    });
});

describe("waiting and names", () => {
    it("waits for the pod as long as the sidecar may take to turn healthy, plus an allowance", () => {
        // 300 s start period + 3 retries of (10 s interval + 30 s timeout) + 120 s
        expect(readyTimeoutSeconds(deploymentPlan(input()))).toBe(540);
    });

    it("writes label values Kubernetes accepts, and the plan's per-container labels as annotations", () => {
        expect(labelValue("prod/eu")).toBe("prod-eu");
        expect(labelValue("-x-")).toBe("x");
        expect(labelValue("a".repeat(70))).toHaveLength(63);
        const annotations = containerLabelAnnotations(deploymentPlan(input()));
        expect(JSON.parse(annotations["litestream-backup.labels/meds-restore-1"])).toEqual({
            "litestream-backup.role": "restore",
            "litestream-backup.database": "/app/data/audit/log.db",
        });
    });

    it("restores by hand with kubectl exec into the sidecar, next to the live database", () => {
        const command = renderKubectlRestoreCommand({
            namespace: "apps",
            pod: "meds-0",
            container: "meds-litestream",
            databases: resolveDatabases("/app/data", ["meds.db"], "meds"),
        });
        expect(command).toBe(
            "kubectl --namespace apps exec meds-0 -c meds-litestream -- litestream restore -config /etc/litestream.yml -integrity-check full -timestamp YYYY-MM-DDTHH:MM:SSZ -o /app/data/meds.db.restored /app/data/meds.db",
        );
    });
});
