/**
 * The plan as Kubernetes objects, without mocks: which container goes where in the pod, in
 * which order, with which probes, files, volumes, secrets and user; the gate Jobs; the await
 * bound; the hand-restore command. A container added to the plan lands in the pod with no code of this
 * layer knowing it.
 */
import { describe, expect, it } from "vitest";
import { resolveDatabases } from "../../components/litestream/databases";
import {
    configMapData,
    container,
    containerLabelAnnotations,
    fileKey,
    gateJobs,
    jobPodSpec,
    labelValue,
    podLayout,
    PodRefs,
    podSpec,
    readyTimeoutSeconds,
    secretEnvRefs,
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
/** The verifier as the component asks for it by default: a drill at start and every 6 h. */
const VERIFY = { enabled: true, intervalSeconds: 21600, onDeploy: false, heartbeat: false };

function input(overrides: Partial<PlanInput> = {}): PlanInput {
    return {
        appName: "meds",
        app: { dataDir: "/app/data", ports: [{ internal: 8080 }], user: "1000:1000" },
        databases: resolveDatabases("/app/data", ["meds.db", "audit/log.db"], "meds"),
        autoRestore: true,
        litestreamImage: IMAGE,
        syncInterval: "10s",
        verify: VERIFY,
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

    it("runs the one-shots as init containers in plan order, then the sidecar, then the app and the verifier", () => {
        expect(spec.initContainers.map((c) => [c.name, c.restartPolicy])).toEqual([
            ["meds-preflight", undefined],
            ["meds-restore-0", undefined],
            ["meds-restore-1", undefined],
            ["meds-ownership", undefined],
            ["meds-litestream", "Always"],
        ]);
        expect(spec.containers.map((c) => c.name)).toEqual(["meds", "meds-verify"]);
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
        // timeout: 5 s for the socket + 10 s a database missing + 2 × 20 s for the claims + 5 s;
        // startup: the 540 s start period at 2 s, plus 3 retries
        expect(sidecar.startupProbe).toEqual({
            exec,
            timeoutSeconds: 70,
            periodSeconds: 2,
            failureThreshold: 273,
        });
        expect(sidecar.readinessProbe).toEqual({
            exec,
            timeoutSeconds: 70,
            periodSeconds: 10,
            failureThreshold: 3,
        });
        expect(sidecar.livenessProbe).toBeUndefined();
        // The start script claims the replica for this volume, then runs `litestream replicate`.
        expect(sidecar.command).toEqual(["/bin/sh"]);
        expect(sidecar.args).toEqual(["/etc/litestream-sidecar.sh", "run"]);
    });

    it("mounts each file from the ConfigMap at its path, and the data volume at dataDir", () => {
        expect(byName("meds-litestream").volumeMounts).toEqual([
            { name: "data", mountPath: "/app/data" },
            { name: "control", mountPath: "/var/run/litestream" },
            {
                name: "files",
                mountPath: "/etc/litestream.yml",
                subPath: "etc_litestream.yml",
                readOnly: true,
            },
            {
                name: "files",
                mountPath: "/etc/litestream-owner.yml",
                subPath: "etc_litestream-owner.yml",
                readOnly: true,
            },
            {
                name: "files",
                mountPath: "/etc/litestream-sidecar.sh",
                subPath: "etc_litestream-sidecar.sh",
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
            { name: "control", emptyDir: {} },
        ]);
    });

    it("gives the credential from its Secret to the Litestream containers only, the app its own environment", () => {
        const credentials = [{ secretRef: { name: "meds-credentials-5e6f7a8b" } }];
        for (const name of [
            "meds-preflight",
            "meds-restore-0",
            "meds-restore-1",
            "meds-litestream",
            "meds-verify",
        ]) {
            expect(byName(name).envFrom, name).toEqual(credentials);
            expect(byName(name).env, name).toBeUndefined();
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
            controlVolume: false,
            secretEnv: [],
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
        const broken = deploymentPlan(input({ verify: undefined }));
        broken.containers.reverse();
        expect(() => podLayout(broken)).toThrow(
            "app waits for restore-0, which the pod cannot start before it (only init containers run first)",
        );
    });

    it("snapshot", () => {
        expect(spec).toMatchSnapshot();
    });
});

describe("the restore drills in the pod", () => {
    const plan = deploymentPlan(input());
    const spec = podSpec(plan, REFS) as unknown as Spec;
    const all = [...spec.initContainers, ...spec.containers];
    const byName = (name: string) => all.find((c) => c.name === name) as Record<string, unknown>;

    it("runs the verifier as a main container after the app, with no probe: a failed drill keeps the pod in its Services", () => {
        const verifier = byName("meds-verify");
        expect(spec.containers.map((c) => c.name)).toEqual(["meds", "meds-verify"]);
        expect(verifier.image).toBe(IMAGE);
        expect(verifier.command).toEqual(["/bin/sh"]);
        expect(verifier.args).toEqual(["/etc/litestream-verify.sh", "serve"]);
        expect(verifier.restartPolicy).toBeUndefined();
        // The plan gives it a health check (its last drill), which stays out of the pod.
        expect(plan.containers.find((c) => c.key === "verify")?.healthcheck).toBeDefined();
        expect(verifier.readinessProbe).toBeUndefined();
        expect(verifier.startupProbe).toBeUndefined();
        expect(verifier.livenessProbe).toBeUndefined();
        // Never the app's volume: drills restore into its own file system.
        expect(verifier.volumeMounts).toEqual([
            { name: "control", mountPath: "/var/run/litestream" },
            expect.objectContaining({ mountPath: "/etc/litestream.yml" }),
            expect.objectContaining({ mountPath: "/etc/litestream-verify.sh" }),
            expect.objectContaining({ mountPath: "/etc/litestream-verify.pl" }),
        ]);
        expect(verifier.securityContext).toEqual({ runAsUser: 0, runAsGroup: 0 });
    });

    it("gives probes to the waited-for sidecar only", () => {
        expect(
            all.filter((c) => c.readinessProbe !== undefined || c.startupProbe !== undefined),
        ).toEqual([expect.objectContaining({ name: "meds-litestream" })]);
    });

    it("mounts the control emptyDir in the sidecar and the verifier only", () => {
        expect(spec.volumes).toContainEqual({ name: "control", emptyDir: {} });
        const mounting = all
            .filter((c) =>
                ((c.volumeMounts ?? []) as { name: string; mountPath: string }[]).some(
                    (m) => m.name === "control" && m.mountPath === "/var/run/litestream",
                ),
            )
            .map((c) => c.name);
        expect(mounting).toEqual(["meds-litestream", "meds-verify"]);
        expect(
            all.filter((c) => JSON.stringify(c.volumeMounts).includes('"control"')),
        ).toHaveLength(2);
    });

    it("leaves the verifier out when verify.enabled is false; the sidecar keeps its socket", () => {
        const off = podSpec(
            deploymentPlan(input({ verify: { ...VERIFY, enabled: false } })),
            REFS,
        ) as unknown as Spec;
        expect(off.containers.map((c) => c.name)).toEqual(["meds"]);
        expect(off.volumes).toContainEqual({ name: "control", emptyDir: {} });
    });

    it("refuses a one-shot that must run on every deploy: the pod would have to restart", () => {
        const onDeploy = deploymentPlan(input({ verify: { ...VERIFY, onDeploy: true } }));
        expect(() => podLayout(onDeploy)).toThrow(
            "verify-deploy must run on every deploy, which a pod cannot do: its init containers run only when the pod starts, so running it again would restart the app",
        );
    });
});

describe("the secret variables", () => {
    const plan = deploymentPlan(
        input({ litestreamHeartbeat: true, verify: { ...VERIFY, heartbeat: true } }),
    );
    const refs: PodRefs = { ...REFS, secretEnvSecret: "meds-secret-env-3f4a5b6c" };
    const spec = podSpec(plan, refs) as unknown as Spec;
    const byName = (name: string) =>
        [...spec.initContainers, ...spec.containers].find((c) => c.name === name) as Record<
            string,
            unknown
        >;
    const fromSecret = (name: string, key: string) => ({
        name,
        valueFrom: { secretKeyRef: { name: "meds-secret-env-3f4a5b6c", key } },
    });

    it("reads each from its key of the Secret, in the containers that have it only", () => {
        expect(secretEnvRefs(plan)).toEqual(["litestreamHeartbeatUrl", "verifyHeartbeatUrl"]);
        expect(byName("meds-litestream").env).toEqual([
            fromSecret("LITESTREAM_HEARTBEAT_URL", "litestreamHeartbeatUrl"),
        ]);
        expect(byName("meds-verify").env).toEqual([
            fromSecret("VERIFY_HEARTBEAT_URL", "verifyHeartbeatUrl"),
        ]);
        for (const name of ["meds-preflight", "meds-restore-0", "meds-ownership", "meds"]) {
            expect(byName(name).env, name).toBeUndefined();
        }
        // The credential still comes with envFrom, beside them.
        expect(byName("meds-litestream").envFrom).toEqual([
            { secretRef: { name: "meds-credentials-5e6f7a8b" } },
        ]);
    });

    it("has no Secret to refer to when none is set, and refuses one it cannot read", () => {
        expect(secretEnvRefs(deploymentPlan(input()))).toEqual([]);
        const sidecar = plan.containers.find((c) => c.key === "litestream") as ContainerPlan;
        expect(() => container(sidecar, plan, REFS)).toThrow(
            "litestream has secret variables, but there is no Secret to read them from",
        );
    });
});

describe("the ConfigMap", () => {
    const plan = deploymentPlan(input());
    const contents = { litestreamConfig: "dbs: []\n", ownerConfig: "dbs: [owner]\n" };

    it("holds every file once, each reference filled in with its own content, under keys made from their paths", () => {
        const data = configMapData(plan, contents);
        expect(Object.keys(data).sort()).toEqual([
            "etc_litestream-healthcheck.sh",
            "etc_litestream-owner.yml",
            "etc_litestream-preflight.sh",
            "etc_litestream-sidecar.sh",
            "etc_litestream-verify.pl",
            "etc_litestream-verify.sh",
            "etc_litestream.yml",
        ]);
        expect(data["etc_litestream.yml"]).toBe("dbs: []\n");
        expect(data["etc_litestream-owner.yml"]).toBe("dbs: [owner]\n");
        expect(data["etc_litestream-preflight.sh"]).toContain("litestream ltx");
        expect(data["etc_litestream-sidecar.sh"]).toContain("litestream replicate -config");
        expect(fileKey("/etc/a b/c.yml")).toBe("etc_a_b_c.yml");
    });

    it("refuses a reference with no value rather than write an empty file", () => {
        expect(() => configMapData(plan, { litestreamConfig: "dbs: []\n" })).toThrow(
            "/etc/litestream-owner.yml refers to ownerConfig, which has no value",
        );
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
        // 540 s start period + 3 retries of (10 s interval + 70 s timeout) + 120 s
        expect(readyTimeoutSeconds(deploymentPlan(input()))).toBe(900);
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
