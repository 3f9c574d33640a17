/**
 * The `local` provider under mocks: the versitygw container on the component's Docker host
 * and network, its volume, the bucket created before the server answers, generated keys
 * kept secret everywhere they go, and the refusal of `appendOnly`.
 */
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import type { StorageArgs } from "../../components/args";
import type { ServerPlan } from "../../components/plan/server";
import type { ReplicaTarget, StorageContext } from "../../components/storage/target";
import {
    installMocks,
    isSecret,
    isSecretInput,
    Registered,
    resolve,
    settle,
    unwrapSecrets,
    recordingParent,
} from "../support/mocks";

const ACCESS_KEY = "AKLOCAL0123456789ABC";
const SECRET_KEY = "local-secret-0123456789abcdefghijklmnopq";

const T = {
    container: "docker:index/container:Container",
    volume: "docker:index/volume:Volume",
    accessKey: "random:index/randomString:RandomString",
    secretKey: "random:index/randomPassword:RandomPassword",
};

let resources: Registered[];
let local: typeof import("../../components/storage/local");
let host: typeof import("../../components/docker/host");
let timing: typeof import("../../components/litestream/timing");
let versions: typeof import("../../components/versions");

beforeAll(async () => {
    ({ resources } = installMocks({
        stack: "dev",
        outputs: {
            [T.accessKey]: () => ({ result: ACCESS_KEY }),
            [T.secretKey]: () => ({ result: SECRET_KEY }),
        },
    }));
    local = await import("../../components/storage/local");
    host = await import("../../components/docker/host");
    timing = await import("../../components/litestream/timing");
    versions = await import("../../components/versions");
});

interface Built {
    target: ReplicaTarget;
    ctx: StorageContext;
    /** Resource options of each child, by name, as the parent's transformation saw them. */
    opts: Map<string, pulumi.CustomResourceOptions>;
}

function context(
    name: string,
    storage: Partial<StorageArgs>,
): { ctx: StorageContext; opts: Map<string, pulumi.CustomResourceOptions> } {
    const { parent, opts } = recordingParent(name);
    const args: StorageArgs = {
        provider: "local" as StorageArgs["provider"],
        bucketName: "meds-dev",
        ...storage,
    };
    const ctx: StorageContext = {
        name,
        args,
        bucketName: pulumi.output(args.bucketName as string),
        path: args.path ?? "meds",
        timing: timing.resolveTiming(undefined),
        appendOnly: args.appendOnly ?? false,
        retainOnDelete: args.retainOnDelete ?? false,
        prefix: name,
        dockerHost: host.createDockerHost(name, undefined, parent),
        parent,
    };
    return { ctx, opts };
}

/** Calls `localStorage` under a fresh parent; `name` must be unique in this file. */
async function build(name: string, storage: Partial<StorageArgs> = {}): Promise<Built> {
    const { ctx, opts } = context(name, storage);
    const target = local.localStorage(ctx);
    await resolve(pulumi.all([target.endpoint, target.secretAccessKey]));
    await settle();
    return { target, ctx, opts };
}

function found(type: string, name: string): Registered {
    const all = resources.filter((r) => r.type === type && r.name === name);
    expect(all).toHaveLength(1);
    return all[0];
}

function registered(type: string, name: string): Record<string, unknown> {
    return unwrapSecrets(found(type, name).inputs) as Record<string, unknown>;
}

const LABELS = [
    { label: "litestream-backup.project", value: "litestream-backup" },
    { label: "litestream-backup.stack", value: "dev" },
];

describe("localStorage", () => {
    let main: Built;
    beforeAll(async () => {
        main = await build("meds");
    });

    it("runs versitygw on the component's network, creating the bucket before it serves", () => {
        expect(registered(T.container, "meds-s3")).toEqual({
            name: "meds-s3",
            image: versions.VERSITYGW_IMAGE,
            entrypoints: ["/bin/sh", "-c"],
            command: [
                [
                    "set -eu",
                    'mkdir -p "/data/$BUCKET"',
                    "exec versitygw --port :7070 --health /health --quiet posix /data",
                ].join("\n"),
            ],
            envs: [
                "BUCKET=meds-dev",
                `ROOT_ACCESS_KEY_ID=${ACCESS_KEY}`,
                `ROOT_SECRET_ACCESS_KEY=${SECRET_KEY}`,
            ],
            volumes: [{ volumeName: "meds-s3-data", containerPath: "/data" }],
            networksAdvanced: [{ name: "meds-network" }],
            healthcheck: {
                tests: [
                    "CMD",
                    "busybox",
                    "wget",
                    "-q",
                    "-O",
                    "/dev/null",
                    "http://127.0.0.1:7070/health",
                ],
                interval: "2s",
                timeout: "2s",
                startPeriod: "2s",
                retries: 15,
            },
            wait: true,
            waitTimeout: 60,
            restart: "unless-stopped",
            labels: [...LABELS, { label: "litestream-backup.component", value: "meds" }],
        });
    });

    it("describes the very same server for the Compose file", async () => {
        const container = registered(T.container, "meds-s3");
        const server = await resolve(main.target.server as pulumi.Output<ServerPlan>);
        expect({
            name: server.name,
            image: server.image,
            entrypoints: server.entrypoint,
            command: server.command,
            envs: [
                ...Object.entries(server.env).map(([k, v]) => `${k}=${v}`),
                `${server.credentialEnv[0]}=${ACCESS_KEY}`,
                `${server.credentialEnv[1]}=${SECRET_KEY}`,
            ],
            volumes: [{ volumeName: server.volume.name, containerPath: server.volume.path }],
            tests: ["CMD", ...server.healthcheck.command],
            interval: `${server.healthcheck.intervalSeconds}s`,
            timeout: `${server.healthcheck.timeoutSeconds}s`,
            startPeriod: `${server.healthcheck.startPeriodSeconds}s`,
            retries: server.healthcheck.retries,
        }).toEqual({
            name: container.name,
            image: container.image,
            entrypoints: container.entrypoints,
            command: container.command,
            envs: container.envs,
            volumes: container.volumes,
            ...(container.healthcheck as Record<string, unknown>),
        });
        expect(await resolve(main.target.endpoint)).toBe(`http://${server.name}:7070`);
    });

    it("without a Docker host creates only the keys, for a server the Compose file runs", async () => {
        const { ctx } = context("fileonly", {});
        const target = local.localStorage({ ...ctx, dockerHost: undefined });
        expect(await resolve(target.endpoint)).toBe("http://fileonly-s3:7070");
        expect(target.ready).toEqual([]);
        expect((await resolve(target.server as pulumi.Output<ServerPlan>)).name).toBe(
            "fileonly-s3",
        );
        await settle();
        const server = resources.filter((r) => r.name.startsWith("fileonly-s3"));
        expect(server.map((r) => r.type).sort()).toEqual([T.secretKey, T.accessKey]);
    });

    it("pins the default image to the versitygw release the tests build", () => {
        expect(versions.VERSITYGW_IMAGE).toBe(`versity/versitygw:${versions.VERSITYGW_VERSION}`);
        expect(versions.VERSITYGW_IMAGE).not.toMatch(/:latest$/);
    });

    it("keeps the server's data on its own labelled volume", () => {
        expect(registered(T.volume, "meds-s3-data")).toEqual({
            name: "meds-s3-data",
            labels: [...LABELS, { label: "litestream-backup.component", value: "meds" }],
        });
    });

    it("creates container and volume through the component's Docker provider", () => {
        for (const [type, name] of [
            [T.container, "meds-s3"],
            [T.volume, "meds-s3-data"],
        ]) {
            expect(found(type, name).provider).toMatch(
                /^urn:pulumi:dev::litestream-backup::test:index:Parent\$pulumi:providers:docker::meds-docker::/,
            );
        }
    });

    it("generates the keys with random resources, so updates keep them", () => {
        expect(registered(T.accessKey, "meds-s3-access-key")).toEqual({
            length: 20,
            lower: false,
            upper: true,
            numeric: true,
            special: false,
        });
        expect(registered(T.secretKey, "meds-s3-secret-key")).toEqual({
            length: 40,
            special: false,
        });
    });

    it("passes the keys to the server only as secrets", () => {
        // The SDK marks the whole list secret when one element is.
        expect(isSecretInput(found(T.container, "meds-s3").inputs.envs)).toBe(true);
    });

    it("returns both keys as secrets", async () => {
        expect(await resolve(main.target.accessKeyId)).toBe(ACCESS_KEY);
        expect(await resolve(main.target.secretAccessKey)).toBe(SECRET_KEY);
        expect(await isSecret(main.target.accessKeyId)).toBe(true);
        expect(await isSecret(main.target.secretAccessKey)).toBe(true);
    });

    it("is reached by container name over plain HTTP, with the endpoint in the config", async () => {
        expect(await resolve(main.target.endpoint)).toBe("http://meds-s3:7070");
        expect(await resolve(main.target.region)).toBe("us-east-1");
        expect(await resolve(main.target.bucket)).toBe("meds-dev");
        expect(main.target.path).toBe("meds");
        expect(main.target.endpointInConfig).toBe(true);
    });

    it("makes Litestream wait for the healthy server", async () => {
        const urns = await Promise.all(main.target.ready.map((r) => resolve(r.urn)));
        expect(urns.map((u) => u.split("::").pop())).toEqual(["meds-s3"]);
    });

    it("removes the volume with the stack by default, and replaces the container in place", () => {
        expect(main.opts.get("meds-s3-data")?.retainOnDelete).toBeFalsy();
        expect(main.opts.get("meds-s3")?.deleteBeforeReplace).toBe(true);
    });
});

describe("localStorage options", () => {
    it("keeps the volume when retainOnDelete is true", async () => {
        const { opts } = await build("kept", { retainOnDelete: true });
        expect(opts.get("kept-s3-data")?.retainOnDelete).toBe(true);
    });

    it("runs storage.localImage instead of the default", async () => {
        await build("custom", { localImage: "registry.example/versitygw:v1.8.0" });
        expect(registered(T.container, "custom-s3").image).toBe(
            "registry.example/versitygw:v1.8.0",
        );
    });

    it("refuses appendOnly before creating anything", async () => {
        const { ctx } = context("appendonly", { appendOnly: true });
        await settle();
        const before = resources.length;
        let error: unknown;
        try {
            local.localStorage(ctx);
        } catch (e) {
            error = e;
        }
        expect(pulumi.InputPropertyError.isInstance(error)).toBe(true);
        expect((error as pulumi.InputPropertyError).propertyPath).toBe("storage.appendOnly");
        expect((error as pulumi.InputPropertyError).reason).toBe(
            "`storage.appendOnly` is not supported when `storage.provider` is `local`: the local server keeps the backups on the same Docker host as the app, so whoever controls that host can delete them whatever the credential allows. Remove it, or use `r2` or `s3`.",
        );
        await settle();
        expect(resources.length).toBe(before);
    });
});
