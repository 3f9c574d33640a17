/**
 * The Kubernetes target through the real `pulumi up` and the real kubernetes provider, on the
 * throwaway single-node cluster of scripts/k8s-cluster.sh (built and started here, torn down
 * at the end with its host check), with a versitygw server on the host's address of the pod
 * bridge as `s3-compatible` storage. The app runs as 1000:1000 on a root-owned hostPath volume.
 *
 * - deploy: the pod runs, its init containers completed, the sidecar ready, the app writing,
 *   objects in the bucket; the verifier runs beside the app, its first drill passed, and a
 *   drill by hand (the README's command) restores the replica and pings the push monitor,
 *   whose URL is in its Secret only; `preview --expect-no-changes` is clean right after;
 * - data loss: the claim and the pod deleted; the StatefulSet makes both again, and the new
 *   pod restores before the app starts;
 * - broken credential: `pulumi up` with a wrong key fails within a minute on the preflight Job,
 *   naming the cause, and the running pod is left alone; a key revoked on the server with the
 *   volume lost keeps the app from starting on an empty database, and `kubectl describe`
 *   shows why; fixed, `pulumi up` brings the data back;
 * - a config change rolls the pod (a new ConfigMap), the data stays;
 * - destroy removes everything but the bucket's objects.
 */
import { randomUUID } from "node:crypto";
import { createServer, Server } from "node:http";
import { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanupAll } from "../support/procs";
import { generateKeys, S3Server, startS3Server } from "../support/s3-server";
import { sleep, waitFor } from "./support/docker";
import {
    bridgeAddress,
    cluster,
    containerStatus,
    countRowsInPod,
    getJson,
    kubeconfigContent,
    kubectl,
    kubectlRun,
    pod,
    PodInfo,
    podReady,
} from "./support/kubernetes";
import { record } from "./support/record";
import { E2EProject, E2EStack, s3CompatibleStorage } from "./support/stack";

const STACK = `e2e-kube-${process.pid}`;
const APP = `e2e-kube-${process.pid}`;
const POD = `${APP}-0`;
const CLAIM = `data-${APP}-0`;
const SIDECAR = `${APP}-litestream`;
const VERIFIER = `${APP}-verify`;
const VERIFY_SCRIPT = "/etc/litestream-verify.sh";
const PING_ID = randomUUID();
const BUCKET = "e2e-kube-backups";
const PREFIX = "kube";
const DATA = "/app/data";
const DB = `${DATA}/app.db`;
const WRITE_INTERVAL_S = 0.5;
const SYNC_INTERVAL_S = 1;
/** Rows a crash may lose: one sync interval of writes, plus the row in flight. */
const ALLOWED_LOSS = Math.ceil(SYNC_INTERVAL_S / WRITE_INTERVAL_S) + 1;
const IMAGES = ["litestream-backup-test/litestream:0.5.16", "litestream-backup-test/app:1"];
const SELECTOR = `litestream-backup.stack=${STACK}`;

let s3: S3Server;
let project: E2EProject;
let stack: E2EStack;
let clusterUp = false;
/** The push monitor of the restore drills: requests to it, by path. */
let receiver: Server;
const pings: { method: string; path: string }[] = [];

function rows() {
    return countRowsInPod(POD, SIDECAR, DB);
}

/** The pod once it is ready, with a uid other than `notUid`. */
function readyPod(notUid?: string): Promise<PodInfo> {
    return waitFor(
        "the pod to be ready",
        () => {
            const p = pod(POD);
            return p && p.metadata.uid !== notUid && podReady(p) ? p : undefined;
        },
        300_000,
    );
}

/** Deletes the data claim, then the pod: the StatefulSet makes a new claim and pod. */
function loseClaimAndPod(): string {
    const uid = pod(POD)?.metadata.uid ?? "";
    // The claim first: it stays (terminating) while the pod uses it, and the StatefulSet does
    // not start a new pod on a claim that is being deleted, so the new pod gets a new volume.
    kubectl(["delete", "pvc", CLAIM, "--wait=false"]);
    kubectl(["delete", "pod", POD, "--wait=false"]);
    return uid;
}

/** Objects of this stack left in the cluster, by kind. */
function leftovers(): string {
    return kubectl([
        "get",
        "statefulset,pod,pvc,configmap,secret,job",
        "-l",
        SELECTOR,
        "-o",
        "name",
    ]).trim();
}

beforeAll(async () => {
    // Build (idempotent, waits for a build already running) and start the cluster.
    const build = await cluster(["build"]);
    expect(build.code, build.stderr).toBe(0);
    const up = await cluster(["up"]);
    expect(up.code, up.stderr).toBe(0);
    clusterUp = true;
    const load = await cluster(["load-image", ...IMAGES]);
    expect(load.code, load.stderr).toBe(0);
    record("kubernetes: cluster", {
        buildSeconds: build.seconds,
        upSeconds: up.seconds,
        loadSeconds: load.seconds,
    });

    const address = await bridgeAddress();
    s3 = await startS3Server(address);
    await s3.createBucket(BUCKET);
    receiver = createServer((req, res) => {
        pings.push({ method: req.method ?? "", path: req.url ?? "" });
        req.resume();
        req.on("end", () => res.writeHead(200, { "Content-Type": "text/plain" }).end("OK"));
    });
    await new Promise<void>((resolve) => receiver.listen(0, address, resolve));
    const heartbeatUrl = `http://${address}:${(receiver.address() as AddressInfo).port}/ping/${PING_ID}`;
    project = new E2EProject("kube");
    stack = await project.stack(STACK, {
        storage: s3CompatibleStorage(s3, BUCKET, PREFIX),
        app: {
            name: APP,
            image: "litestream-backup-test/app:1",
            dataDir: DATA,
            databases: ["app.db"],
            user: "1000:1000",
            envs: { WRITE_INTERVAL: String(WRITE_INTERVAL_S), DB_PATH: DB },
        },
        replication: { preset: "active", syncInterval: `${SYNC_INTERVAL_S}s` },
        litestream: { image: "litestream-backup-test/litestream:0.5.16" },
        kubernetes: { namespace: "default", storageSize: "100Mi" },
    });
    await stack.setConfig("storage.accessKeyId", s3.root.accessKeyId, true);
    await stack.setConfig("storage.secretAccessKey", s3.root.secretAccessKey, true);
    await stack.setConfig("kubernetes.kubeconfig", kubeconfigContent(), true);
    await stack.setConfig("verify.heartbeatUrl", heartbeatUrl, true);
}, 3_600_000);

afterAll(async () => {
    if (clusterUp && leftovers() !== "") {
        await stack?.pulumi(["destroy", "--yes", "--skip-preview"]);
    }
    project?.remove();
    await new Promise((resolve) => receiver?.close(resolve));
    await cleanupAll();
    // Stops the cluster and checks the host against what it recorded before `up`.
    const down = await cluster(["down"], 300_000);
    console.log(down.stderr.split("\n").slice(-12).join("\n"));
    expect(down.code, down.stderr).toBe(0);
    expect(down.stderr).toContain("nothing of the cluster is left");
}, 900_000);

describe("the Kubernetes target through the real pulumi up", () => {
    it("deploys a StatefulSet whose pod restores, replicates and runs the app", async () => {
        const up = await stack.up();
        const p = await readyPod();
        for (const step of [`${APP}-preflight`, `${APP}-restore-0`, `${APP}-ownership`]) {
            const s = containerStatus(p, step);
            expect(s?.state.terminated?.exitCode, step).toBe(0);
        }
        expect(containerStatus(p, SIDECAR)?.ready).toBe(true);
        expect(containerStatus(p, APP)?.state.running).toBeDefined();
        expect(containerStatus(p, VERIFIER)?.state.running).toBeDefined();
        const counts = await waitFor("rows", () => {
            const r = rows();
            return r.count >= 4 ? r : undefined;
        });
        const objects = await waitFor("objects in the bucket", async () => {
            const o = await s3.listObjects(BUCKET, `${PREFIX}/app.db/`);
            return o.length > 0 ? o : undefined;
        });
        // The app's files on the root-owned hostPath volume are the app's user's.
        const owner = kubectl(["exec", POD, "-c", SIDECAR, "--", "stat", "-c", "%u:%g", DB]);
        expect(owner.trim()).toBe("1000:1000");
        // The verifier's first drill, run as it started, finished and passed (its `status`
        // exits 1 after a failed one).
        const status = await waitFor("the verifier's first drill", async () => {
            const r = await kubectlRun([
                "exec",
                POD,
                "-c",
                VERIFIER,
                "--",
                "sh",
                VERIFY_SCRIPT,
                "status",
            ]);
            return r.stdout.startsWith("drill ") ? r : undefined;
        });
        expect(status.code, status.stdout + status.stderr).toBe(0);
        expect(status.stdout).toMatch(/^drill passed at /);
        // A drill by hand, as the README says: it asks the sidecar on the control socket (the
        // pod's emptyDir), restores the replica and reports to the push monitor, whose URL
        // reaches the verifier from its Secret.
        const drill = await kubectlRun([
            "exec",
            POD,
            "-c",
            VERIFIER,
            "--",
            "sh",
            VERIFY_SCRIPT,
            "once",
        ]);
        expect(drill.code, drill.stdout + drill.stderr).toBe(0);
        expect(drill.stdout).toMatch(/drill passed at /);
        expect(drill.stdout).toMatch(
            new RegExp(
                `${DB}: passed: restored TXID [0-9a-f]{16} \\(\\d+ bytes read\\) in \\d+ ms, integrity ok`,
            ),
        );
        expect(drill.stdout).toContain("heartbeat: ok reported (HTTP/1.1 200 OK)");
        expect(pings).toContainEqual({ method: "POST", path: `/ping/${PING_ID}` });
        expect(kubectl(["logs", POD, "-c", VERIFIER])).toMatch(/drill passed at /);
        // The credential and the push monitor's URL are in their Secrets only: not in the pod
        // spec, the ConfigMap or labels.
        const spec = JSON.stringify(getJson("statefulset", APP));
        const configMaps = kubectl(["get", "configmap", "-l", SELECTOR, "-o", "json"]);
        for (const text of [spec, configMaps, JSON.stringify(p)]) {
            expect(text).not.toContain(s3.root.secretAccessKey);
            expect(text).not.toContain(s3.root.accessKeyId);
            expect(text).not.toContain(PING_ID);
        }
        const preview = await stack.expectNoChanges();
        const outputs = await stack.outputs();
        expect(outputs.statefulSetName).toBe(APP);
        expect(outputs.statefulSetNamespace).toBe("default");
        expect(outputs.volumeName).toBe(CLAIM);
        expect(outputs.appContainerName).toBe(APP);
        expect(outputs.litestreamContainerName).toBe(SIDECAR);
        expect(outputs.verifyContainerName).toBe(VERIFIER);
        expect(outputs.restoreCommand).toContain(`kubectl --namespace default exec ${POD}`);
        record("kubernetes: fresh up", {
            seconds: up.seconds,
            previewSeconds: preview.seconds,
            rows: counts.count,
            objects: objects.length,
            drillByHand: drill.stdout.trim().split("\n")[0],
        });
    });

    it("restores before the app starts when the pod and its volume are lost", async () => {
        const before = rows();
        const start = Date.now();
        const oldUid = loseClaimAndPod();
        const p = await readyPod(oldUid);
        const restoredSeconds = (Date.now() - start) / 1000;
        const restore = containerStatus(p, `${APP}-restore-0`);
        const app = containerStatus(p, APP);
        expect(restore?.state.terminated?.exitCode).toBe(0);
        expect(Date.parse(restore?.state.terminated?.finishedAt ?? "")).toBeLessThanOrEqual(
            Date.parse(app?.state.running?.startedAt ?? ""),
        );
        const after = rows();
        expect(after.contiguous).toBe(true);
        expect(after.count).toBeGreaterThanOrEqual(before.count - ALLOWED_LOSS);
        // The StatefulSet brought it back as declared: Pulumi sees nothing to change.
        await stack.expectNoChanges("--refresh");
        record("kubernetes: pod and claim lost, restored by the StatefulSet", {
            seconds: restoredSeconds,
            rowsBefore: before.count,
            rowsAfter: after.count,
        });
    });

    it("fails pulumi up within a minute on a broken credential, naming the cause, pod untouched", async () => {
        const before = pod(POD);
        await stack.setConfig("storage.secretAccessKey", "not-the-secret-key-of-this-bucket", true);
        const up = await stack.pulumi(["up", "--yes", "--skip-preview"]);
        const output = up.stdout + up.stderr;
        expect(up.code, output).not.toBe(0);
        expect(up.seconds).toBeLessThan(60);
        expect(output).toContain("its replica cannot be listed with this credential");
        expect(output).toMatch(/SignatureDoesNotMatch|403/);
        const after = pod(POD);
        expect(after?.metadata.uid).toBe(before?.metadata.uid);
        expect(podReady(after)).toBe(true);
        console.log(`pulumi up on a broken credential printed:\n${output}`);
        record("kubernetes: broken credential, up fails", { seconds: up.seconds });
    });

    it("keeps the app from starting on an empty database when the key is revoked and the volume lost", async () => {
        const before = rows();
        // Revoke: the server now knows other keys only.
        await s3.stop();
        const revoked = new S3Server(
            s3.port,
            s3.dataDir,
            s3.iamDir,
            generateKeys("other"),
            s3.host,
        );
        await revoked.start();
        const oldUid = loseClaimAndPod();
        const failing = await waitFor(
            "the preflight to fail in the new pod",
            () => {
                const p = pod(POD);
                if (!p || p.metadata.uid === oldUid) return undefined;
                const s = containerStatus(p, `${APP}-preflight`);
                return (s?.restartCount ?? 0) >= 1 ? p : undefined;
            },
            180_000,
        );
        await sleep(5_000);
        const p = pod(POD) as PodInfo;
        expect(containerStatus(p, `${APP}-restore-0`)?.state.running).toBeUndefined();
        expect(containerStatus(p, `${APP}-restore-0`)?.state.terminated).toBeUndefined();
        expect(containerStatus(p, APP)?.state.running).toBeUndefined();
        expect(podReady(p)).toBe(false);
        const describe = kubectl(["describe", "pod", POD]);
        expect(describe).toContain("its replica cannot be listed with this credential");
        const events = kubectl([
            "get",
            "events",
            "--field-selector",
            `involvedObject.name=${POD}`,
            "-o",
            "custom-columns=REASON:.reason,MESSAGE:.message",
        ]);
        expect(events).toMatch(/BackOff/);
        console.log(
            `kubectl describe pod ${POD} (excerpt):\n${describe.split("\n").slice(0, 60).join("\n")}`,
        );
        console.log(`events:\n${events}`);

        // Fixed: the server knows the stack's key again, and the stack has it.
        await revoked.stop();
        await s3.start();
        await stack.setConfig("storage.secretAccessKey", s3.root.secretAccessKey, true);
        const fixed = await stack.up();
        const restored = await readyPod(failing.metadata.uid);
        expect(containerStatus(restored, `${APP}-restore-0`)?.state.terminated?.exitCode).toBe(0);
        const after = rows();
        expect(after.contiguous).toBe(true);
        expect(after.count).toBeGreaterThanOrEqual(before.count - ALLOWED_LOSS);
        record("kubernetes: key revoked and volume lost, then fixed", {
            fixedSeconds: fixed.seconds,
            rowsBefore: before.count,
            rowsAfter: after.count,
        });
    });

    it("rolls the pod on a config change, keeping the data, and is clean right after", async () => {
        const before = pod(POD) as PodInfo;
        const rowsBefore = rows();
        await stack.setConfig("replication.snapshotInterval", "30m");
        const up = await stack.up();
        const after = await readyPod(before.metadata.uid);
        const config = kubectl(["exec", POD, "-c", SIDECAR, "--", "cat", "/etc/litestream.yml"]);
        expect(config).toContain("interval: 30m");
        // The database was on the volume: the restore left it alone.
        expect(containerStatus(after, `${APP}-restore-0`)?.state.terminated?.exitCode).toBe(0);
        const rowsAfter = rows();
        expect(rowsAfter.contiguous).toBe(true);
        expect(rowsAfter.count).toBeGreaterThanOrEqual(rowsBefore.count);
        await stack.expectNoChanges();
        record("kubernetes: config change rolls the pod", {
            seconds: up.seconds,
            rowsBefore: rowsBefore.count,
            rowsAfter: rowsAfter.count,
        });
    });

    it("removes everything but the backups on destroy", async () => {
        const down = await stack.destroy();
        expect(leftovers()).toBe("");
        expect((await s3.listObjects(BUCKET, `${PREFIX}/app.db/`)).length).toBeGreaterThan(0);
        record("kubernetes: destroy", { seconds: down.seconds });
    });
});
