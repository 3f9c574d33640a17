/**
 * The deployment plan (../plan/plan.ts) as Kubernetes objects: pure functions, no resources.
 * Nothing here knows what a container is for; every container is placed by what the plan says
 * about it:
 *
 * - a one-shot (`run: "once"`) becomes a regular init container, in plan order: Kubernetes runs
 *   init containers one after the other, each must exit 0 before the next starts, and a failed
 *   one is retried while nothing after it starts. So a restore that fails keeps the app from
 *   starting on an empty database;
 * - a service the deploy waits healthy for (`waitHealthy`) becomes a native sidecar (an init
 *   container with `restartPolicy: Always`) in the same list, after the one-shots before it:
 *   the kubelet starts what follows only once its startup probe (the plan's health check)
 *   passed, keeps it running beside the app, and stops it after the app. Only these get
 *   probes (startup and readiness);
 * - any other service becomes a main container (the app, the verifier). Its health check, if
 *   it has one, becomes no probe: a readiness probe would take the whole pod, and so the app,
 *   out of its Services whenever it fails (a failed restore drill is a reason to alert, not to
 *   stop serving), and a liveness probe would restart a container whose failure is a finding;
 * - a one-shot that must run on every deploy (`everyDeploy`) is refused: init containers run
 *   only when the pod starts, so running it again would mean restarting the app;
 * - each file goes into one ConfigMap, mounted with `subPath` at its path;
 * - the control volume (Litestream's socket, `controlVolume`) is an `emptyDir` of the pod,
 *   mounted at the plan's `controlDir` in the containers that ask for it only;
 * - the credential comes from a Secret (`envFrom`), the app's environment from another, and the
 *   plan's other secret variables (`secretEnv`, the push monitors' URLs) from a third, one key
 *   a secret (`env` with `secretKeyRef`), so that neither the pod spec nor the ConfigMap holds a
 *   secret value;
 * - `user` becomes `securityContext.runAsUser`/`runAsGroup`;
 * - the data volume comes from the StatefulSet's volume claim template;
 * - the grace period is the longest `stopGraceSeconds` of the plan.
 *
 * A one-shot that needs nothing before it and no data volume (the preflight) is also run as a
 * Job before the StatefulSet is created or changed ({@link gateJobs}): a failure then stops
 * `pulumi up` within seconds with the container's log, and leaves the running pod alone.
 */
import type * as k8s from "@pulumi/kubernetes";
import { parseAppUser } from "../app-user";
import { HealthcheckPlan } from "../plan/healthcheck";
import { ContainerPlan, DeploymentPlan, PlanFile, PlanRef, SecretRef } from "../plan/plan";

type Container = k8s.types.input.core.v1.Container;
type PodSpec = k8s.types.input.core.v1.PodSpec;
type Probe = k8s.types.input.core.v1.Probe;

/** Name of the data volume's claim template, and of its mount in every container. */
export const DATA_VOLUME = "data";

/** Name of the volume that holds the plan's files (the ConfigMap). */
export const FILES_VOLUME = "files";

/**
 * Name of the pod's `emptyDir` that holds Litestream's control socket, shared by the containers
 * with `controlVolume` (the sidecar and the verifier). It lives as long as the pod: the socket
 * is made again by the sidecar whenever it starts.
 */
export const CONTROL_VOLUME = "control";

/**
 * How often the startup probe runs: more often than the plan's interval, so that the app
 * starts within seconds of the sidecar's first successful check. The probe's window is still
 * the plan's start period, plus its retries.
 */
export const STARTUP_PROBE_PERIOD_SECONDS = 2;

/** Seconds allowed, beyond the sidecar's own window, to schedule the pod, bind its volume and run the one-shots. */
export const POD_START_ALLOWANCE_SECONDS = 120;

/** The key a file's content has in the ConfigMap: its path, with `/` and other characters as `_`. */
export function fileKey(path: string): string {
    return path.replace(/^\/+/, "").replace(/[^-._a-zA-Z0-9]/g, "_");
}

/** Every file of the plan once, by path; the same path must hold the same content everywhere. */
export function planFiles(plan: DeploymentPlan): PlanFile[] {
    const byPath = new Map<string, PlanFile>();
    const keys = new Map<string, string>();
    for (const c of plan.containers) {
        for (const f of c.files) {
            const seen = byPath.get(f.path);
            if (seen !== undefined) {
                if (JSON.stringify(seen.content) !== JSON.stringify(f.content)) {
                    throw new Error(`the plan gives ${f.path} two different contents`);
                }
                continue;
            }
            const key = fileKey(f.path);
            const other = keys.get(key);
            if (other !== undefined) {
                throw new Error(`the plan's files ${other} and ${f.path} share the key ${key}`);
            }
            keys.set(key, f.path);
            byPath.set(f.path, f);
        }
    }
    return [...byPath.values()];
}

/** The values a file's reference can stand for, by reference (`litestreamConfig`, `ownerConfig`). */
export type FileContents = Partial<Record<PlanRef["ref"], string>>;

/**
 * The ConfigMap's data: every file of the plan by its key, each reference filled in with its
 * own value. A reference with no value is a bug of the caller, never an empty file.
 */
export function configMapData(
    plan: DeploymentPlan,
    contents: FileContents,
): Record<string, string> {
    return Object.fromEntries(
        planFiles(plan).map((f) => {
            if (typeof f.content === "string") return [fileKey(f.path), f.content];
            const value = contents[f.content.ref];
            if (value === undefined) {
                throw new Error(`${f.path} refers to ${f.content.ref}, which has no value`);
            }
            return [fileKey(f.path), value];
        }),
    );
}

/** Where each container of the plan goes in the pod. */
export interface PodLayout {
    /** One-shots and waited-for services, in plan order. */
    init: ContainerPlan[];
    /** The other services. */
    main: ContainerPlan[];
}

/**
 * Places the plan's containers, and checks that the pod can honour the plan's order: whatever
 * a container waits for must be an init container before it.
 */
export function podLayout(plan: DeploymentPlan): PodLayout {
    const init: ContainerPlan[] = [];
    const main: ContainerPlan[] = [];
    const initKeys = new Set<string>();
    for (const c of plan.containers) {
        if (c.everyDeploy) {
            throw new Error(
                `${c.key} must run on every deploy, which a pod cannot do: its init containers run only when the pod starts, so running it again would restart the app`,
            );
        }
        for (const key of c.after) {
            if (!initKeys.has(key)) {
                throw new Error(
                    `${c.key} waits for ${key}, which the pod cannot start before it (only init containers run first)`,
                );
            }
        }
        if (c.run === "once" || c.waitHealthy) {
            init.push(c);
            initKeys.add(c.key);
        } else {
            main.push(c);
        }
    }
    return { init, main };
}

/** `runAsUser`/`runAsGroup` for a plan `user` (`uid` or `uid:gid`). */
export function securityContext(
    user: string | undefined,
): k8s.types.input.core.v1.SecurityContext | undefined {
    if (user === undefined) return undefined;
    const ids = parseAppUser(user);
    if (ids === undefined) throw new Error(`${user} is not uid or uid:gid`);
    return ids.gid === undefined
        ? { runAsUser: ids.uid }
        : { runAsUser: ids.uid, runAsGroup: ids.gid };
}

/** The exec probe of a health check. */
function execProbe(check: HealthcheckPlan): Pick<Probe, "exec" | "timeoutSeconds"> {
    return { exec: { command: check.command }, timeoutSeconds: check.timeoutSeconds };
}

/**
 * The startup probe: checked every {@link STARTUP_PROBE_PERIOD_SECONDS}, and failed (so that
 * the kubelet restarts the container) only after the plan's start period and retries, the same
 * window the Docker health check gives.
 */
export function startupProbe(check: HealthcheckPlan): Probe {
    return {
        ...execProbe(check),
        periodSeconds: STARTUP_PROBE_PERIOD_SECONDS,
        failureThreshold:
            Math.ceil(check.startPeriodSeconds / STARTUP_PROBE_PERIOD_SECONDS) + check.retries,
    };
}

/** The readiness probe: the plan's interval and retries, as Docker counts them. */
export function readinessProbe(check: HealthcheckPlan): Probe {
    return {
        ...execProbe(check),
        periodSeconds: check.intervalSeconds,
        failureThreshold: check.retries,
    };
}

/** Names of the objects the containers refer to. */
export interface PodRefs {
    /** The ConfigMap holding the plan's files. */
    filesConfigMap: string;
    /** The Secret holding the credential, its keys the plan's credential variables. */
    credentialsSecret: string;
    /** The Secret holding the app's environment; undefined when it has none. */
    appEnvSecret?: string;
    /** The app's image. */
    appImage: string;
    /**
     * The Secret holding the plan's secret variables (`secretEnv`), one key a {@link SecretRef};
     * undefined when no container has one.
     */
    secretEnvSecret?: string;
}

/** The secrets the plan's containers read (`secretEnv`), each once, in plan order: the Secret's keys. */
export function secretEnvRefs(plan: DeploymentPlan): SecretRef[] {
    return [...new Set(plan.containers.flatMap((c) => c.secretEnv.map((e) => e.secret)))];
}

/** `env` entries of a container's secret variables, each read from its key of the Secret. */
function secretEnv(c: ContainerPlan, refs: PodRefs) {
    if (c.secretEnv.length === 0) return [];
    const secret = refs.secretEnvSecret;
    if (secret === undefined) {
        throw new Error(`${c.key} has secret variables, but there is no Secret to read them from`);
    }
    return c.secretEnv.map((e) => ({
        name: e.name,
        valueFrom: { secretKeyRef: { name: secret, key: e.secret } },
    }));
}

/** One container of the plan. */
export function container(c: ContainerPlan, plan: DeploymentPlan, refs: PodRefs): Container {
    const envFrom = [
        ...(c.credentials ? [{ secretRef: { name: refs.credentialsSecret } }] : []),
        ...(c.appEnv && refs.appEnvSecret !== undefined
            ? [{ secretRef: { name: refs.appEnvSecret } }]
            : []),
    ];
    const env = secretEnv(c, refs);
    const volumeMounts = [
        ...(c.dataVolume ? [{ name: DATA_VOLUME, mountPath: plan.dataDir }] : []),
        ...(c.controlVolume ? [{ name: CONTROL_VOLUME, mountPath: plan.controlDir }] : []),
        ...c.files.map((f) => ({
            name: FILES_VOLUME,
            mountPath: f.path,
            subPath: fileKey(f.path),
            readOnly: true,
        })),
    ];
    const sidecar = c.run === "service" && c.waitHealthy;
    return {
        name: c.name,
        image: typeof c.image === "string" ? c.image : refs.appImage,
        ...(c.entrypoint === undefined ? {} : { command: c.entrypoint }),
        ...(c.command === undefined ? {} : { args: c.command }),
        ...(envFrom.length === 0 ? {} : { envFrom }),
        ...(env.length === 0 ? {} : { env }),
        ...(volumeMounts.length === 0 ? {} : { volumeMounts }),
        ...(c.ports.length === 0
            ? {}
            : { ports: c.ports.map((p) => ({ containerPort: p.internal, protocol: "TCP" })) }),
        ...(c.user === undefined ? {} : { securityContext: securityContext(c.user) }),
        ...(sidecar ? { restartPolicy: "Always" } : {}),
        // Only what the deploy waits for is probed: see the top of this file.
        ...(c.waitHealthy && c.healthcheck !== undefined
            ? {
                  startupProbe: startupProbe(c.healthcheck),
                  readinessProbe: readinessProbe(c.healthcheck),
              }
            : {}),
        // A failed step's last log lines become its termination message: `kubectl describe
        // pod` and the pod's status show why it failed, without `kubectl logs --previous`.
        terminationMessagePolicy: "FallbackToLogsOnError",
    };
}

/** The pod's volumes: the plan's files when any container has one, the control `emptyDir` when any asks for it. */
function podVolumes(containers: readonly ContainerPlan[], refs: PodRefs) {
    return [
        ...(containers.some((c) => c.files.length > 0)
            ? [{ name: FILES_VOLUME, configMap: { name: refs.filesConfigMap } }]
            : []),
        ...(containers.some((c) => c.controlVolume)
            ? [{ name: CONTROL_VOLUME, emptyDir: {} }]
            : []),
    ];
}

/** The pod of the StatefulSet: init containers, sidecars and the app, from the plan. */
export function podSpec(plan: DeploymentPlan, refs: PodRefs): PodSpec {
    const layout = podLayout(plan);
    const graces = plan.containers
        .map((c) => c.stopGraceSeconds)
        .filter((s): s is number => s !== undefined);
    return {
        initContainers: layout.init.map((c) => container(c, plan, refs)),
        containers: layout.main.map((c) => container(c, plan, refs)),
        volumes: podVolumes(plan.containers, refs),
        ...(graces.length === 0 ? {} : { terminationGracePeriodSeconds: Math.max(...graces) }),
    };
}

/**
 * The one-shots that can run before the pod, as Jobs: those that wait for nothing and need no
 * data volume (the preflight). Everything else a one-shot does needs the pod's volume.
 */
export function gateJobs(plan: DeploymentPlan): ContainerPlan[] {
    return plan.containers.filter((c) => c.run === "once" && c.after.length === 0 && !c.dataVolume);
}

/** The pod of a gate Job: its one container, run once, never retried. */
export function jobPodSpec(c: ContainerPlan, plan: DeploymentPlan, refs: PodRefs): PodSpec {
    return {
        containers: [container(c, plan, refs)],
        volumes: podVolumes([c], refs),
        restartPolicy: "Never",
    };
}

/**
 * How long `pulumi up` waits for the StatefulSet's pod to turn ready: the longest window a
 * waited-for service gets to pass its health check (start period, then its retries at its
 * interval and timeout), plus {@link POD_START_ALLOWANCE_SECONDS}. A pod that is still
 * restoring then fails the deploy but goes on; `pulumi up` again waits for it once more.
 */
export function readyTimeoutSeconds(plan: DeploymentPlan): number {
    const windows = plan.containers
        .filter((c) => c.waitHealthy && c.healthcheck !== undefined)
        .map((c) => {
            const h = c.healthcheck as HealthcheckPlan;
            return h.startPeriodSeconds + h.retries * (h.intervalSeconds + h.timeoutSeconds);
        });
    return Math.max(0, ...windows) + POD_START_ALLOWANCE_SECONDS;
}

/** A Kubernetes label value from any string: at most 63 characters of `[A-Za-z0-9._-]`, alphanumeric at both ends. */
export function labelValue(value: string): string {
    return value
        .replace(/[^A-Za-z0-9._-]+/g, "-")
        .slice(0, 63)
        .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, "");
}

/** Annotation of the pod template holding one container's plan labels (JSON). */
export function containerLabelsAnnotation(containerName: string): string {
    return `litestream-backup.labels/${containerName}`;
}

/**
 * The plan's per-container labels, as pod annotations: a pod has one set of labels for all its
 * containers, and some values (a database's path) are not valid label values.
 */
export function containerLabelAnnotations(plan: DeploymentPlan): Record<string, string> {
    return Object.fromEntries(
        plan.containers
            .filter((c) => Object.keys(c.labels).length > 0)
            .map((c) => [containerLabelsAnnotation(c.name), JSON.stringify(c.labels)]),
    );
}

/** The claim name the StatefulSet's controller gives the data volume of its one pod. */
export function dataClaimName(statefulSet: string): string {
    return `${DATA_VOLUME}-${statefulSet}-0`;
}

/** The name of the StatefulSet's one pod. */
export function podName(statefulSet: string): string {
    return `${statefulSet}-0`;
}
