/**
 * The Docker deployment under mocks: what each container is given, who depends on whom (read
 * from the resource options through the parent's `transformations`), secrets, and the restore
 * gate's failure path.
 */
import * as pulumi from "@pulumi/pulumi";
import { getAllResources } from "@pulumi/pulumi/output";
import { beforeAll, describe, expect, it } from "vitest";
import type { DockerArgs } from "../../components/args";
import type { Deployment, DeploymentContext } from "../../components/docker/context";
import type { ReplicaTarget } from "../../components/storage/target";
import {
    installMocks,
    isSecretInput,
    Registered,
    resolve,
    settle,
    unwrapSecrets,
    recordingParent,
    RecordedChild,
} from "../support/mocks";

const KEY_ID = "AKIAEXAMPLEKEYID0001";
const SECRET = "s3cr3t-example-secret-access-key-0002";
const VERIFY_PING = "https://hc-ping.com/5f1e0c3a-verify";
const LITESTREAM_PING = "https://hc-ping.com/5f1e0c3a-litestream";
const FAILED_LOG = [
    'time=2026-11-26T07:21:25.280Z level=INFO msg=litestream version=v0.5.16 level=""',
    "Error: get v0.3.x time bounds: s3: list generations: operation error S3: ListObjectsV2, https response error StatusCode: 403, api error SignatureDoesNotMatch",
].join("\n");

type DeploymentModule = typeof import("../../components/docker/deployment");
type HostModule = typeof import("../../components/docker/host");
type ConfigModule = typeof import("../../components/litestream/config");
type DatabasesModule = typeof import("../../components/litestream/databases");
type TimingModule = typeof import("../../components/litestream/timing");
type PlanModule = typeof import("../../components/plan/plan");

let resources: Registered[];
let deployment: DeploymentModule;
let host: HostModule;
let config: ConfigModule;
let databasesLib: DatabasesModule;
let timing: TimingModule;
let plan: PlanModule;

beforeAll(async () => {
    ({ resources } = installMocks({
        outputs: {
            // Restore containers of the component named "broken" exit 1, as a wrong secret does.
            "docker:index/container:Container": (r) => {
                // ... and the ownership step of the component named "chownfail".
                const broken =
                    r.name.startsWith("broken-restore-") ||
                    r.name === "chownfail-ownership" ||
                    r.name === "drillfail-verify-deploy";
                return {
                    name: r.inputs.name ?? r.name,
                    exitCode: broken ? 1 : 0,
                    containerLogs: broken ? FAILED_LOG : "",
                };
            },
        },
    }));
    deployment = await import("../../components/docker/deployment");
    host = await import("../../components/docker/host");
    config = await import("../../components/litestream/config");
    databasesLib = await import("../../components/litestream/databases");
    timing = await import("../../components/litestream/timing");
    plan = await import("../../components/plan/plan");
});

/** Stands for the storage resources the bucket needs (`ReplicaTarget.ready`). */
class FakeBucket extends pulumi.CustomResource {
    constructor(name: string, parent: pulumi.Resource) {
        super("test:index:Bucket", name, {}, { parent });
    }
}

interface Built {
    ctx: DeploymentContext;
    dep: Deployment;
    parent: pulumi.ComponentResource;
    children: RecordedChild[];
    ready: pulumi.CustomResource;
}

interface BuildOptions {
    autoRestore?: boolean;
    docker?: DockerArgs;
    databases?: string[];
    metricsPort?: number;
    user?: string;
    verify?: { onDeploy: boolean; heartbeat: boolean };
    litestreamHeartbeat?: boolean;
}

function build(name: string, options: BuildOptions = {}): Built {
    const { parent, children } = recordingParent(`${name}-parent`);
    const ready = new FakeBucket(`${name}-bucket`, parent);
    const databases = databasesLib.resolveDatabases(
        "/app/data",
        options.databases ?? ["meds.db"],
        name,
    );
    const target: ReplicaTarget = {
        bucket: pulumi.output("meds-backups"),
        path: name,
        endpoint: pulumi.output(
            "https://0123456789abcdef0123456789abcdef.r2.cloudflarestorage.com",
        ),
        region: pulumi.output("auto"),
        accessKeyId: pulumi.secret(KEY_ID),
        secretAccessKey: pulumi.secret(SECRET),
        endpointInConfig: true,
        ready: [ready],
    };
    const rendered = pulumi
        .all([target.bucket, target.endpoint, target.region])
        .apply(([bucket, endpoint, region]) =>
            config.renderLitestreamConfig({
                target: { bucket, endpoint, region },
                databases,
                timing: timing.resolveTiming(undefined),
                retentionEnabled: true,
                metricsPort: options.metricsPort,
            }),
        );
    const ctx: DeploymentContext = {
        name,
        plan: plan.deploymentPlan({
            appName: name,
            app: {
                dataDir: "/app/data",
                ports: [{ internal: 8080 }, { internal: 9000, external: 80 }],
                command: ["meds", "serve"],
                user: options.user,
            },
            databases,
            autoRestore: options.autoRestore ?? true,
            litestreamImage: "litestream/litestream:0.5.16",
            syncInterval: timing.resolveTiming(undefined).syncInterval,
            litestreamHeartbeat: options.litestreamHeartbeat,
            verify: options.verify && { enabled: true, intervalSeconds: 3600, ...options.verify },
        }),
        app: {
            image: "ghcr.io/acme/meds:1.4.2",
            envs: { TZ: "UTC", API_TOKEN: pulumi.secret("app-token") },
        },
        databases,
        litestreamImage: "litestream/litestream:0.5.16",
        config: rendered,
        ownerConfig: pulumi.output("dbs: [] # owner\n"),
        target,
        dockerHost: host.createDockerHost(name, options.docker, parent),
        secrets: {
            litestreamHeartbeatUrl: pulumi.secret(LITESTREAM_PING),
            verifyHeartbeatUrl: pulumi.secret(VERIFY_PING),
        },
        runId: "2026-01-01T00:00:00.000Z",
        parent,
    };
    return { ctx, dep: deployment.createDeployment(ctx), parent, children, ready };
}

function registered(name: string): Registered {
    const found = resources.find((r) => r.name === name);
    if (!found) throw new Error(`${name} was not registered`);
    return found;
}

function dependsOn(children: RecordedChild[], name: string): unknown[] {
    const child = children.find((c) => c.name === name);
    if (!child) throw new Error(`${name} is not a child`);
    const deps = child.opts.dependsOn;
    return deps === undefined ? [] : Array.isArray(deps) ? deps : [deps];
}

describe("createDeployment", () => {
    let built: Built;

    beforeAll(async () => {
        built = build("meds", { databases: ["meds.db", "audit/log.db"] });
        await resolve(built.dep.appContainer.name);
        await settle();
    });

    it("uploads exactly the rendered config, which holds no credential", async () => {
        const rendered = await resolve(built.ctx.config);
        expect(rendered).not.toContain(KEY_ID);
        expect(rendered).not.toContain(SECRET);
        for (const name of ["meds-litestream", "meds-restore-0", "meds-restore-1"]) {
            const uploads = unwrapSecrets(registered(name).inputs.uploads) as {
                file: string;
                content: string;
            }[];
            const file = uploads.find((u) => u.file === "/etc/litestream.yml");
            expect(file?.content).toBe(rendered);
            for (const upload of uploads) {
                expect(upload.content).not.toContain(KEY_ID);
                expect(upload.content).not.toContain(SECRET);
            }
        }
        // The sidecar's start script claims or checks the replica, then runs `replicate`.
        expect(registered("meds-litestream").inputs.entrypoints).toEqual(["/bin/sh"]);
        expect(registered("meds-litestream").inputs.command).toEqual([
            "/etc/litestream-sidecar.sh",
            "run",
        ]);
        const uploads = unwrapSecrets(registered("meds-litestream").inputs.uploads) as {
            file: string;
            content: string;
        }[];
        expect(uploads.find((u) => u.file === "/etc/litestream-owner.yml")?.content).toBe(
            await resolve(built.ctx.ownerConfig),
        );
        expect(uploads.find((u) => u.file === "/etc/litestream-sidecar.sh")?.content).toContain(
            "litestream replicate -config /etc/litestream.yml &",
        );
    });

    it("gives the credential to the Litestream containers only, as a secret environment", async () => {
        const expected = [
            `LITESTREAM_ACCESS_KEY_ID=${KEY_ID}`,
            `LITESTREAM_SECRET_ACCESS_KEY=${SECRET}`,
        ];
        for (const name of ["meds-litestream", "meds-restore-0", "meds-restore-1"]) {
            const envs = registered(name).inputs.envs;
            expect(isSecretInput(envs), name).toBe(true);
            expect(unwrapSecrets(envs)).toEqual(expected);
        }
        const appEnvs = JSON.stringify(unwrapSecrets(registered("meds-app").inputs.envs));
        expect(appEnvs).not.toContain(KEY_ID);
        expect(appEnvs).not.toContain(SECRET);
        const restoreCommand = await resolve(built.dep.restoreCommand);
        expect(restoreCommand).not.toContain(KEY_ID);
        expect(restoreCommand).not.toContain(SECRET);
    });

    it("mounts one named volume at dataDir in the app, the sidecar and every restore", () => {
        const volume = registered("meds-data");
        expect(volume.type).toBe("docker:index/volume:Volume");
        expect(volume.inputs.name).toBe("meds-data");
        for (const name of ["meds-app", "meds-restore-0", "meds-restore-1"]) {
            expect(registered(name).inputs.volumes, name).toEqual([
                { volumeName: "meds-data", containerPath: "/app/data" },
            ]);
        }
        // The sidecar also mounts the control volume, where its socket is.
        expect(registered("meds-litestream").inputs.volumes).toEqual([
            { volumeName: "meds-data", containerPath: "/app/data" },
            { volumeName: "meds-control", containerPath: "/var/run/litestream" },
        ]);
        expect(registered("meds-control").inputs.labels).toContainEqual({
            label: "litestream-backup.role",
            value: "control",
        });
    });

    it("creates the app only after the restore gate and the sidecar (resource options)", () => {
        const [restore0, restore1] = built.dep.restoreContainers;
        expect(built.dep.restoreContainers).toHaveLength(2);
        const appDeps = dependsOn(built.children, "meds-app");
        expect(appDeps).toContain(restore0);
        expect(appDeps).toContain(restore1);
        expect(appDeps).toContain(built.dep.litestreamContainer);
        const preflight = built.dep.containers.preflight;
        const sidecarDeps = dependsOn(built.children, "meds-litestream");
        expect(sidecarDeps).toContain(restore0);
        expect(sidecarDeps).toContain(restore1);
        expect(sidecarDeps).toContain(preflight);
        // The preflight reads the bucket first: it waits for it; the restores follow it.
        expect(dependsOn(built.children, "meds-preflight")).toEqual([built.ready]);
        expect(dependsOn(built.children, "meds-restore-0")).toEqual([preflight]);
    });

    it("builds no app input from the gate, so a replaced restore container leaves the app running", async () => {
        const app = built.children.find((c) => c.name === "meds-app");
        const gated = new Set<pulumi.Resource>([
            ...built.dep.restoreContainers,
            built.dep.litestreamContainer,
        ]);
        for (const [prop, value] of Object.entries(app?.props ?? {})) {
            if (value === undefined) continue;
            const from = await getAllResources(pulumi.output(value));
            for (const resource of from) {
                expect(
                    gated.has(resource),
                    `app input ${prop} is built from a gated resource`,
                ).toBe(false);
            }
        }
        // The sidecar's restart policy, in contrast, waits for every restore's exit code (the
        // restores wait for the preflight's); its image (replace-only) takes nothing from them,
        // so a replaced preflight or restore never deletes the running sidecar ahead of its
        // replacement.
        const sidecar = built.children.find((c) => c.name === "meds-litestream");
        const restartFrom = await getAllResources(pulumi.output(sidecar?.props.restart));
        for (const restore of built.dep.restoreContainers)
            expect(restartFrom.has(restore)).toBe(true);
        const imageFrom = await getAllResources(pulumi.output(sidecar?.props.image));
        expect(imageFrom.size).toBe(0);
        // The restores, in turn, wait for the preflight the same way.
        const restore = built.children.find((c) => c.name === "meds-restore-0");
        const gateFrom = await getAllResources(pulumi.output(restore?.props.restart));
        expect([...gateFrom]).toEqual([built.dep.containers.preflight]);
    });

    it("runs one one-shot restore a database that exits instead of staying up", () => {
        for (const [index, path] of ["/app/data/meds.db", "/app/data/audit/log.db"].entries()) {
            const inputs = registered(`meds-restore-${index}`).inputs;
            expect(inputs.name).toBe(`meds-restore-${index}`);
            expect(inputs.command).toEqual([
                "restore",
                "-config",
                "/etc/litestream.yml",
                "-if-db-not-exists",
                "-if-replica-exists",
                "-integrity-check",
                "full",
                path,
            ]);
            expect(inputs).toMatchObject({
                attach: true,
                logs: true,
                mustRun: false,
                restart: "no",
                user: "0:0",
                image: "litestream/litestream:0.5.16",
            });
        }
    });

    it("gives the sidecar a health check that the deploy waits for", async () => {
        const inputs = registered("meds-litestream").inputs;
        expect(inputs.healthcheck).toMatchObject({
            tests: ["CMD", "/bin/sh", "/etc/litestream-healthcheck.sh"],
            interval: "10s",
            retries: 3,
        });
        expect(inputs.wait).toBe(true);
        expect(inputs.waitTimeout).toBe(540);
        const uploads = inputs.uploads as { file: string; content: string }[];
        const script = uploads.find((u) => u.file === "/etc/litestream-healthcheck.sh")?.content;
        // The active preset syncs every 10s: a last sync older than 80s is unhealthy.
        expect(script).toContain("check /app/data/meds.db 80 || healthy=1");
        expect(script).toContain("check /app/data/audit/log.db 80 || healthy=1");
    });

    it("runs pinned images: the Litestream tag everywhere, the app's own", () => {
        for (const name of ["meds-litestream", "meds-restore-0", "meds-restore-1"]) {
            expect(registered(name).inputs.image).toBe("litestream/litestream:0.5.16");
        }
        expect(registered("meds-app").inputs.image).toBe("ghcr.io/acme/meds:1.4.2");
        for (const r of resources.filter((r) => r.type === "docker:index/container:Container")) {
            expect(String(r.inputs.image)).not.toMatch(/:latest$|^[^:]*$/);
        }
    });

    it("configures the app from app args, restarting unless stopped", () => {
        const inputs = registered("meds-app").inputs;
        expect(inputs.name).toBe("meds");
        expect(inputs.command).toEqual(["meds", "serve"]);
        expect(isSecretInput(inputs.envs)).toBe(true);
        expect(unwrapSecrets(inputs.envs)).toEqual(["TZ=UTC", "API_TOKEN=app-token"]);
        expect(inputs.ports).toEqual([
            { internal: 8080, external: 8080 },
            { internal: 9000, external: 80 },
        ]);
        expect(inputs.restart).toBe("unless-stopped");
        // No app.user: the image's user, as before the option existed.
        expect(inputs.user).toBeUndefined();
        expect(registered("meds-litestream").inputs.restart).toBe("unless-stopped");
        expect(registered("meds-litestream").inputs.ports).toBeUndefined();
    });

    it("puts every container on the component's network with its labels and role", () => {
        for (const [name, role] of [
            ["meds-app", "app"],
            ["meds-litestream", "litestream"],
            ["meds-restore-0", "restore"],
            ["meds-data", "data"],
        ]) {
            const inputs = registered(name).inputs;
            expect(inputs.labels, name).toEqual(
                expect.arrayContaining([
                    { label: "litestream-backup.component", value: "meds" },
                    { label: "litestream-backup.stack", value: "test" },
                    { label: "litestream-backup.role", value: role },
                ]),
            );
            if (name !== "meds-data") {
                expect(inputs.networksAdvanced).toEqual([{ name: "meds-network" }]);
            }
        }
        expect(registered("meds-restore-1").inputs.labels).toContainEqual({
            label: "litestream-backup.database",
            value: "/app/data/audit/log.db",
        });
    });

    it("makes the component the parent of every child, and routes all through its provider", () => {
        const providerChild = built.children.find((c) => c.type === "pulumi:providers:docker");
        expect(providerChild).toBeDefined();
        const dockerChildren = built.children.filter((c) => c.type.startsWith("docker:"));
        expect(dockerChildren.map((c) => c.name).sort()).toEqual([
            "meds-app",
            "meds-control",
            "meds-data",
            "meds-litestream",
            "meds-network",
            "meds-preflight",
            "meds-restore-0",
            "meds-restore-1",
        ]);
        const children = built.children.filter((c) => c.resource !== built.parent);
        expect(children.length).toBeGreaterThan(dockerChildren.length);
        for (const child of children) {
            expect(child.opts.parent, child.name).toBe(built.parent);
        }
        for (const child of dockerChildren) {
            expect(child.opts.provider, child.name).toBe(providerChild?.resource);
        }
    });

    it("replaces named containers and the volume by deleting first (Docker names are unique)", () => {
        for (const name of ["meds-app", "meds-litestream", "meds-restore-0", "meds-data"]) {
            const child = built.children.find((c) => c.name === name);
            expect(child?.opts.deleteBeforeReplace, name).toBe(true);
        }
    });

    it("exposes predictable Docker names and a paste-able restore command", async () => {
        expect(await resolve(built.dep.appContainer.name)).toBe("meds");
        expect(await resolve(built.dep.litestreamContainer.name)).toBe("meds-litestream");
        expect(await resolve(built.dep.volume.name)).toBe("meds-data");
        const lines = (await resolve(built.dep.restoreCommand)).split("\n");
        expect(lines).toEqual([
            "docker run --rm --network meds-network -v meds-data:/app/data -e LITESTREAM_ACCESS_KEY_ID -e LITESTREAM_SECRET_ACCESS_KEY litestream/litestream:0.5.16 restore -integrity-check full -timestamp YYYY-MM-DDTHH:MM:SSZ -o /app/data/meds.db.restored 's3://meds-backups/meds/meds.db?endpoint=https://0123456789abcdef0123456789abcdef.r2.cloudflarestorage.com&region=auto'",
            "docker run --rm --network meds-network -v meds-data:/app/data -e LITESTREAM_ACCESS_KEY_ID -e LITESTREAM_SECRET_ACCESS_KEY litestream/litestream:0.5.16 restore -integrity-check full -timestamp YYYY-MM-DDTHH:MM:SSZ -o /app/data/audit/log.db.restored 's3://meds-backups/meds/audit/log.db?endpoint=https://0123456789abcdef0123456789abcdef.r2.cloudflarestorage.com&region=auto'",
        ]);
        expect(await pulumi.isSecret(built.dep.restoreCommand)).toBe(false);
    });
});

describe("createDeployment with autoRestore: false", () => {
    it("creates no restore gate; the app still waits for the sidecar", async () => {
        const before = resources.length;
        const built = build("norestore", { autoRestore: false });
        await resolve(built.dep.appContainer.name);
        await settle();
        const mine = resources.slice(before);
        expect(built.dep.restoreContainers).toEqual([]);
        expect(mine.filter((r) => r.name.includes("-restore-"))).toEqual([]);
        expect(
            mine.filter((r) => JSON.stringify(r.inputs.command ?? []).includes('"restore"')),
        ).toEqual([]);
        expect(dependsOn(built.children, "norestore-app")).toEqual([built.dep.litestreamContainer]);
        expect(dependsOn(built.children, "norestore-litestream")).toEqual([
            built.dep.containers.preflight,
        ]);
        expect(dependsOn(built.children, "norestore-preflight")).toEqual([built.ready]);
        expect(registered("norestore-app").inputs.image).toBe("ghcr.io/acme/meds:1.4.2");
    });
});

describe("createDeployment with app.user", () => {
    let built: Built;

    beforeAll(async () => {
        built = build("nonroot", { user: "1000:1000", databases: ["meds.db", "audit/log.db"] });
        await resolve(built.dep.appContainer.name);
        await settle();
    });

    it("runs the ownership step once, as root, on the volume, from the Litestream image", () => {
        const inputs = registered("nonroot-ownership").inputs;
        expect(inputs).toMatchObject({
            name: "nonroot-ownership",
            image: "litestream/litestream:0.5.16",
            entrypoints: ["/bin/sh", "-c"],
            user: "0:0",
            attach: true,
            logs: true,
            mustRun: false,
            restart: "no",
            volumes: [{ volumeName: "nonroot-data", containerPath: "/app/data" }],
        });
        expect(inputs.envs).toBeUndefined();
        expect(inputs.uploads).toBeUndefined();
        const script = (inputs.command as string[])[0];
        expect(script).toContain('chown -h 1000:1000 "$1"');
        expect(script).toContain("own_if /app/data/audit/log.db-wal");
        expect(inputs.labels).toContainEqual({
            label: "litestream-backup.role",
            value: "ownership",
        });
    });

    it("runs the app as the user; the Litestream containers stay root", () => {
        expect(registered("nonroot-app").inputs.user).toBe("1000:1000");
        for (const name of ["nonroot-litestream", "nonroot-restore-0", "nonroot-preflight"]) {
            expect(registered(name).inputs.user, name).toBe("0:0");
        }
    });

    it("orders it after the restores, and gates the sidecar on its exit code", async () => {
        const step = built.dep.containers.ownership;
        const [restore0, restore1] = built.dep.restoreContainers;
        const stepDeps = dependsOn(built.children, "nonroot-ownership");
        expect(stepDeps).toEqual([built.dep.containers.preflight, restore0, restore1]);
        expect(dependsOn(built.children, "nonroot-litestream")).toContain(step);
        expect(dependsOn(built.children, "nonroot-app")).toContain(step);
        const sidecar = built.children.find((c) => c.name === "nonroot-litestream");
        const restartFrom = await getAllResources(pulumi.output(sidecar?.props.restart));
        expect(restartFrom.has(step)).toBe(true);
        // The step's own restart policy waits for the restores' exit codes.
        const own = built.children.find((c) => c.name === "nonroot-ownership");
        const ownRestartFrom = await getAllResources(pulumi.output(own?.props.restart));
        expect(ownRestartFrom.has(restore0)).toBe(true);
        expect(ownRestartFrom.has(restore1)).toBe(true);
    });
});

describe("createDeployment with the verifier", () => {
    let built: Built;

    beforeAll(async () => {
        built = build("drills", {
            verify: { onDeploy: true, heartbeat: true },
            litestreamHeartbeat: true,
        });
        await resolve(built.dep.appContainer.name);
        await settle();
    });

    it("runs the verifier on the control volume only, never the app's volume", () => {
        const inputs = registered("drills-verify").inputs;
        expect(inputs).toMatchObject({
            name: "drills-verify",
            image: "litestream/litestream:0.5.16",
            entrypoints: ["/bin/sh"],
            command: ["/etc/litestream-verify.sh", "serve"],
            user: "0:0",
            restart: "unless-stopped",
            volumes: [{ volumeName: "drills-control", containerPath: "/var/run/litestream" }],
            healthcheck: {
                tests: ["CMD", "/bin/sh", "/etc/litestream-verify.sh", "status"],
                interval: "10s",
                timeout: "5s",
                retries: 1,
                startPeriod: "0s",
            },
        });
        expect(inputs.wait).toBeUndefined();
        expect(inputs.attach).toBeUndefined();
        expect(built.dep.verifyContainer).toBe(built.dep.containers.verify);
    });

    it("gives the push monitors' URLs only as secret variables, never in a file or label", () => {
        const verify = registered("drills-verify").inputs;
        expect(isSecretInput(verify.envs)).toBe(true);
        expect(unwrapSecrets(verify.envs)).toEqual([
            `LITESTREAM_ACCESS_KEY_ID=${KEY_ID}`,
            `LITESTREAM_SECRET_ACCESS_KEY=${SECRET}`,
            `VERIFY_HEARTBEAT_URL=${VERIFY_PING}`,
        ]);
        const sidecar = registered("drills-litestream").inputs;
        expect(isSecretInput(sidecar.envs)).toBe(true);
        expect(unwrapSecrets(sidecar.envs)).toContain(
            `LITESTREAM_HEARTBEAT_URL=${LITESTREAM_PING}`,
        );
        for (const r of resources.filter((x) => x.name.startsWith("drills-"))) {
            const visible = JSON.stringify({ ...r.inputs, envs: undefined });
            expect(visible, r.name).not.toContain("hc-ping.com");
        }
        expect(JSON.stringify(unwrapSecrets(registered("drills-app").inputs.envs))).not.toContain(
            "hc-ping.com",
        );
    });

    it("runs the drill on deploy as a one-shot after the sidecar, on every deploy", async () => {
        const inputs = registered("drills-verify-deploy").inputs;
        expect(inputs).toMatchObject({
            command: ["/etc/litestream-verify.sh", "once"],
            attach: true,
            restart: "no",
        });
        expect(inputs.labels).toContainEqual({
            label: "litestream-backup.deploy-run",
            value: "2026-01-01T00:00:00.000Z",
        });
        expect(dependsOn(built.children, "drills-verify-deploy")).toEqual([
            built.dep.litestreamContainer,
        ]);
        // The verifier follows it through its gate; the app does not wait for either.
        const verify = built.children.find((c) => c.name === "drills-verify");
        const gate = await getAllResources(pulumi.output(verify?.props.restart));
        expect(gate.has(built.dep.containers["verify-deploy"])).toBe(true);
        expect(dependsOn(built.children, "drills-app")).not.toContain(
            built.dep.containers["verify-deploy"],
        );
    });
});

describe("createDeployment on an ssh host", () => {
    it("hands the ssh host and options to the provider every child uses", async () => {
        const sshOpts = ["-o", "StrictHostKeyChecking=accept-new", "-i", "~/.ssh/deploy"];
        const built = build("remote", { docker: { host: "ssh://deploy@example.com", sshOpts } });
        await resolve(built.dep.appContainer.name);
        await settle();
        const provider = registered("remote-docker");
        expect(provider.type).toBe("pulumi:providers:docker");
        expect(provider.inputs.host).toBe("ssh://deploy@example.com");
        const opts = provider.inputs.sshOpts;
        expect(typeof opts === "string" ? JSON.parse(opts) : opts).toEqual(sshOpts);
        for (const name of [
            "remote-network",
            "remote-data",
            "remote-restore-0",
            "remote-litestream",
            "remote-app",
        ]) {
            expect(registered(name).provider, name).toMatch(
                /^urn:pulumi:test::litestream-backup::.*pulumi:providers:docker::remote-docker::remote-docker-id$/,
            );
        }
        expect(await resolve(built.dep.restoreCommand)).toMatch(
            /^docker -H ssh:\/\/deploy@example.com run --rm /,
        );
    });

    it("moves to a new docker.host by replacing every Docker object, the old ones deleted first", async () => {
        const built = build("moving", { docker: { host: "ssh://deploy@example.com" } });
        await resolve(built.dep.appContainer.name);
        await settle();
        const child = (name: string) => {
            const found = built.children.find((c) => c.name === name);
            if (!found) throw new Error(`no child ${name}`);
            return found;
        };
        // The docker provider updates a new host in place: the component replaces it instead,
        // deleting first, and the engine deletes every object that uses it before it (through
        // the old provider, on the old server), then creates them on the new one.
        const provider = child("moving-docker");
        expect(provider.opts.replaceOnChanges).toEqual(["host"]);
        expect(provider.opts.deleteBeforeReplace).toBe(true);
        const objects = built.children.filter(
            (c) => c.type.startsWith("docker:") && c.name !== "moving-docker",
        );
        expect(objects.map((c) => c.name).sort()).toEqual([
            "moving-app",
            "moving-control",
            "moving-data",
            "moving-litestream",
            "moving-network",
            "moving-preflight",
            "moving-restore-0",
        ]);
        for (const c of objects) {
            expect(c.opts.provider, c.name).toBe(provider.resource);
            expect(c.opts.deleteBeforeReplace, c.name).toBe(true);
        }
    });
});

describe("the restore gate", () => {
    /**
     * Runs `body` with the process's unhandled-rejection listeners (vitest's) swapped for one
     * that records: a failed apply in a resource input is how the Pulumi CLI learns that the
     * program failed, and what it prints.
     */
    async function unhandledDuring(body: () => Promise<void>): Promise<Error[]> {
        const saved = process.listeners("unhandledRejection");
        const seen: Error[] = [];
        const record = (reason: unknown) => {
            seen.push(reason instanceof Error ? reason : new Error(String(reason)));
        };
        process.removeAllListeners("unhandledRejection");
        process.on("unhandledRejection", record);
        try {
            await body();
        } finally {
            process.removeListener("unhandledRejection", record);
            for (const listener of saved) process.on("unhandledRejection", listener);
        }
        return seen;
    }

    it("stops the deploy before the sidecar and the app, naming the database and quoting the restore's log", async () => {
        const seen = await unhandledDuring(async () => {
            build("broken");
            await settle();
            await settle();
        });
        const names = resources.map((r) => r.name);
        // The failing restore ran; neither the sidecar nor the app reached the engine.
        expect(names).toContain("broken-restore-0");
        expect(names).not.toContain("broken-litestream");
        expect(names).not.toContain("broken-app");
        const messages = seen.map((e) => e.message);
        const expected = [
            "Restoring database /app/data/meds.db failed: container broken-restore-0 exited with code 1. Its log ends with:",
            "  Error: get v0.3.x time bounds: s3: list generations: operation error S3: ListObjectsV2, https response error StatusCode: 403, api error SignatureDoesNotMatch",
            "The Litestream sidecar and the app were not started, so nothing overwrites the backup.",
            "`pulumi up --replace 'urn:pulumi:test::litestream-backup::test:index:Parent$docker:index/container:Container::broken-restore-0'`",
        ];
        for (const property of ["restart"]) {
            const failures = messages.filter((m) => m.includes(`"${property}"`));
            // The sidecar's restart policy carries the failure; the app is never registered,
            // since it depends on the sidecar (asserted above).
            expect(failures.length, messages.join("\n---\n")).toBeGreaterThanOrEqual(1);
            for (const message of failures) {
                for (const part of expected) expect(message).toContain(part);
            }
        }
    });

    it("stops the deploy at the verifier when the drill on deploy fails, and not the app", async () => {
        const seen = await unhandledDuring(async () => {
            build("drillfail", { verify: { onDeploy: true, heartbeat: false } });
            await settle();
            await settle();
        });
        const names = resources.map((r) => r.name);
        expect(names).toContain("drillfail-verify-deploy");
        expect(names).toContain("drillfail-app");
        expect(names).not.toContain("drillfail-verify");
        const failures = seen.map((e) => e.message).filter((m) => m.includes('"restart"'));
        expect(failures.length).toBeGreaterThanOrEqual(1);
        for (const message of failures) {
            expect(message).toContain(
                "The restore drill on deploy failed: container drillfail-verify-deploy exited with code 1.",
            );
            expect(message).toContain("The app and the Litestream sidecar were left running");
        }
    });

    it("stops the deploy before the sidecar and the app when the ownership step fails", async () => {
        const seen = await unhandledDuring(async () => {
            build("chownfail", { user: "1000:1000" });
            await settle();
            await settle();
        });
        const names = resources.map((r) => r.name);
        expect(names).toContain("chownfail-ownership");
        expect(names).not.toContain("chownfail-litestream");
        expect(names).not.toContain("chownfail-app");
        const messages = seen.map((e) => e.message);
        const failures = messages.filter((m) => m.includes('"restart"'));
        expect(failures.length, messages.join("\n---\n")).toBeGreaterThanOrEqual(1);
        for (const message of failures) {
            expect(message).toContain(
                "Giving the data volume to `app.user` failed: container chownfail-ownership exited with code 1.",
            );
            expect(message).toContain("The Litestream sidecar and the app were not started.");
        }
    });
});
