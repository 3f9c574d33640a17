/**
 * What the Kubernetes end-to-end tests need from the throwaway cluster of
 * `scripts/k8s-cluster.sh`: running the script, `kubectl` with the cluster's admin kubeconfig,
 * and the host's address on the cluster's pod bridge (where a server on this machine is reached
 * by pods and by nothing outside it).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CliRun, ROOT, run } from "./stack";

/** The per-user cache of the project's scripts (scripts/lib/common.sh). */
function cacheDir(): string {
    return (
        process.env.LITESTREAM_BACKUP_CACHE ??
        path.join(
            process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"),
            "litestream-backup",
        )
    );
}

const K8S = path.join(cacheDir(), "k8s");
/** The cluster's admin kubeconfig (written by `up`). */
export const KUBECONFIG = path.join(K8S, "state", "admin.kubeconfig");
const KUBECTL = path.join(K8S, "bin", "kubectl");
/** kubectl's discovery cache: out of `~/.kube`. */
const KUBECTL_CACHE = mkdtempSync(path.join(os.tmpdir(), "litestream-backup-kubectl-"));

/** The pod bridge of the cluster (scripts/k8s-cluster.sh). */
const BRIDGE = "lbk8s0";

/** `bash scripts/k8s-cluster.sh <args>`, never throwing. */
export function cluster(args: string[], timeoutMs = 60 * 60_000): Promise<CliRun> {
    return run("bash", [path.join(ROOT, "scripts", "k8s-cluster.sh"), ...args], {
        timeoutMs,
    });
}

/** `kubectl <args>` against the cluster; throws with stderr when it fails. */
export function kubectl(args: string[], input?: string): string {
    return execFileSync(
        KUBECTL,
        ["--kubeconfig", KUBECONFIG, "--cache-dir", KUBECTL_CACHE, ...args],
        { encoding: "utf8", input, stdio: ["pipe", "pipe", "pipe"], maxBuffer: 64 * 1024 * 1024 },
    );
}

/**
 * `kubectl <args>` without blocking this process, never throwing: for commands that reach back
 * to a server of the test (a restore drill pinging its push monitor) while they run.
 */
export function kubectlRun(args: string[], timeoutMs = 300_000): Promise<CliRun> {
    return run(KUBECTL, ["--kubeconfig", KUBECONFIG, "--cache-dir", KUBECTL_CACHE, ...args], {
        timeoutMs,
    });
}

/** `kubectl get -o json` of one object, or undefined when there is none. */
export function getJson<T = Record<string, unknown>>(
    kind: string,
    name: string,
    namespace = "default",
): T | undefined {
    try {
        return JSON.parse(kubectl(["-n", namespace, "get", kind, name, "-o", "json"])) as T;
    } catch {
        return undefined;
    }
}

/** The content of the cluster's admin kubeconfig. */
export function kubeconfigContent(): string {
    return readFileSync(KUBECONFIG, "utf8");
}

/** The part of a pod's status the tests read. */
export interface ContainerStatus {
    name: string;
    ready: boolean;
    started?: boolean;
    restartCount: number;
    state: {
        running?: { startedAt: string };
        terminated?: {
            exitCode: number;
            reason?: string;
            message?: string;
            startedAt: string;
            finishedAt: string;
        };
        waiting?: { reason?: string; message?: string };
    };
    lastState?: { terminated?: { exitCode: number; reason?: string; message?: string } };
}

export interface PodInfo {
    metadata: { name: string; uid: string; labels: Record<string, string> };
    spec: Record<string, unknown>;
    status: {
        phase: string;
        podIP?: string;
        conditions?: { type: string; status: string }[];
        initContainerStatuses?: ContainerStatus[];
        containerStatuses?: ContainerStatus[];
    };
}

/** A pod, or undefined. */
export function pod(name: string, namespace = "default"): PodInfo | undefined {
    return getJson<PodInfo>("pod", name, namespace);
}

/** Whether the pod's Ready condition is True. */
export function podReady(p: PodInfo | undefined): boolean {
    return (p?.status.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");
}

/** The status of one container of a pod (init containers included). */
export function containerStatus(p: PodInfo, name: string): ContainerStatus | undefined {
    return [...(p.status.initContainerStatuses ?? []), ...(p.status.containerStatuses ?? [])].find(
        (s) => s.name === name,
    );
}

/**
 * Counts the rows of a table with the sqlite3 CLI inside a running container of a pod (the
 * Litestream sidecar has one), reading the committed state through WAL.
 */
export function countRowsInPod(
    podName: string,
    container: string,
    database: string,
): { count: number; maxSeq: number; contiguous: boolean } {
    const out = kubectl([
        "exec",
        podName,
        "-c",
        container,
        "--",
        "sqlite3",
        "-cmd",
        ".timeout 5000",
        database,
        "SELECT count(*), coalesce(max(seq), 0), coalesce(min(seq), 1) FROM rows",
    ]).trim();
    const [count, maxSeq, minSeq] = out.split("|").map(Number);
    return { count, maxSeq, contiguous: minSeq === 1 && count === maxSeq };
}

/**
 * The host's address on the cluster's pod bridge. The CNI plugin makes the bridge for the first
 * pod, so a pod of the sandbox image is run once when there is none yet.
 */
export async function bridgeAddress(): Promise<string> {
    const address = () => {
        try {
            const out = execFileSync("ip", ["-4", "-o", "addr", "show", "dev", BRIDGE], {
                encoding: "utf8",
                stdio: ["ignore", "pipe", "ignore"],
            });
            return /inet (\d+\.\d+\.\d+\.\d+)\//.exec(out)?.[1];
        } catch {
            return undefined;
        }
    };
    const known = address();
    if (known !== undefined) return known;
    const name = `bridge-${process.pid}`;
    kubectl([
        "run",
        name,
        "--image=localhost/litestream-backup/pause:1",
        "--restart=Never",
        "--image-pull-policy=Never",
    ]);
    try {
        kubectl(["wait", "--for=condition=Ready", `pod/${name}`, "--timeout=120s"]);
    } finally {
        kubectl(["delete", "pod", name, "--wait=false"]);
    }
    const made = address();
    if (made === undefined) throw new Error(`no IPv4 address on ${BRIDGE} after a pod ran`);
    return made;
}
