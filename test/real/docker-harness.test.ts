/**
 * The harness checks itself: the field mapping (pure), and that a Container field it does not
 * map stops a real deploy loudly instead of being ignored.
 */
import type * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { containerExists, localArgs, uniqueName } from "../harness/fixtures";
import { DockerHarness } from "../harness/harness";
import {
    goDurationNs,
    planContainer,
    planNetwork,
    planVolume,
    TEST_LABEL,
} from "../harness/mapping";
import { tarOneFile, untar } from "../harness/tar";

const SECRET_SIG = "4dabf18193072939515e22adb298388d";

describe("the harness's Container mapping", () => {
    const base = { name: "c", image: "img:1" };

    it("sends exec-form health checks as they are, with Go durations in nanoseconds", () => {
        const plan = planContainer(
            "c",
            {
                ...base,
                healthcheck: {
                    tests: ["CMD", "/bin/sh", "/etc/check.sh"],
                    interval: "10s",
                    timeout: "1m30s",
                    startPeriod: "5m",
                    retries: 3,
                },
            },
            "run",
        );
        expect(plan.body.Healthcheck).toEqual({
            Test: ["CMD", "/bin/sh", "/etc/check.sh"],
            Interval: 10e9,
            Timeout: 90e9,
            StartPeriod: 300e9,
            Retries: 3,
        });
        expect(goDurationNs("1h2m3.5s")).toBe(3723.5e9);
        expect(() => goDurationNs("10")).toThrow(/not a Go duration/);
    });

    it("maps volumes to binds, ports to loopback, labels with the run label, and uploads", () => {
        const plan = planContainer(
            "c",
            {
                ...base,
                volumes: [{ volumeName: "v", containerPath: "/data" }],
                ports: [{ internal: 8080, external: 18080 }],
                labels: [{ label: "a", value: "b" }],
                uploads: [{ file: "/etc/x.sh", content: "echo", executable: true }],
                networksAdvanced: [{ name: "n", aliases: ["x"] }],
                attach: true,
                logs: true,
                wait: true,
                waitTimeout: 30,
                restart: "unless-stopped",
                stopTimeout: 40,
                destroyGraceSeconds: 40,
                user: "0:0",
                entrypoints: ["/bin/sh", "-c"],
                command: ["true"],
                envs: ["K=V"],
                mustRun: false,
            },
            "run-1",
        );
        expect(plan.body).toMatchObject({
            Image: "img:1",
            Env: ["K=V"],
            Cmd: ["true"],
            Entrypoint: ["/bin/sh", "-c"],
            User: "0:0",
            StopTimeout: 40,
            Volumes: { "/data": {} },
            ExposedPorts: { "8080/tcp": {} },
            Labels: { a: "b", [TEST_LABEL]: "run-1" },
            HostConfig: {
                Binds: ["v:/data:rw"],
                PortBindings: { "8080/tcp": [{ HostIp: "127.0.0.1", HostPort: "18080" }] },
                RestartPolicy: { Name: "unless-stopped", MaximumRetryCount: 0 },
                NetworkMode: "bridge",
            },
        });
        expect(plan.networks).toEqual([{ name: "n", aliases: ["x"] }]);
        expect(plan.uploads).toEqual([
            { file: "/etc/x.sh", content: Buffer.from("echo"), mode: 0o744 },
        ]);
        expect(plan).toMatchObject({
            attach: true,
            logs: true,
            wait: true,
            waitTimeoutSeconds: 30,
            mustRun: false,
            destroyGraceSeconds: 40,
        });
        expect(planNetwork("n", { name: "n", driver: "bridge" }, "r").body).toMatchObject({
            Name: "n",
            Driver: "bridge",
            Labels: { [TEST_LABEL]: "r" },
        });
        expect(planVolume("v", { name: "v" }, "r").body).toMatchObject({ Name: "v" });
    });

    it("refuses fields it does not map, at any depth", () => {
        expect(() => planContainer("c", { ...base, privileged: true }, "r")).toThrow(
            /unmapped field privileged on docker:index\/container:Container "c"/,
        );
        expect(() =>
            planContainer("c", { ...base, volumes: [{ hostPath: "/", containerPath: "/x" }] }, "r"),
        ).toThrow(/unmapped field volumes\[0\]\.hostPath/);
        expect(() =>
            planContainer("c", { ...base, uploads: [{ file: "/x", source: "/etc/passwd" }] }, "r"),
        ).toThrow(/unmapped field uploads\[0\]\.source/);
        expect(() => planNetwork("n", { name: "n", ipv6: true }, "r")).toThrow(
            /unmapped field ipv6/,
        );
        expect(() =>
            planContainer("c", { ...base, ports: [{ internal: 1, ip: "0.0.0.1" }] }, "r"),
        ).toThrow(/tests stay on loopback/);
        // Secrets arrive unwrapped (the harness unwraps before planning); a wrapper left in
        // place would be a bug, and shows up as an unmapped field.
        expect(() =>
            planContainer("c", { ...base, envs: { [SECRET_SIG]: "x", value: [] } as unknown }, "r"),
        ).toThrow();
    });

    it("writes the upload archive the provider writes, and reads `docker cp` archives", () => {
        const tar = tarOneFile("/etc/litestream.yml", Buffer.from("dbs: []\n"), 0o644);
        expect(tar.length % 512).toBe(0);
        expect(untar(tar).get("/etc/litestream.yml")?.toString()).toBe("dbs: []\n");
    });
});

describe("the harness in a deploy", () => {
    let harness: DockerHarness;

    beforeAll(() => {
        harness = new DockerHarness();
    });

    afterAll(async () => {
        await harness.cleanup();
        harness.dispose();
    });

    it("stops the deploy at a Container field it does not map", async () => {
        const name = uniqueName("dk-harness");
        const addPrivileged: pulumi.ResourceTransformation = (a) =>
            a.name === `${name}-restore-0`
                ? { props: { ...a.props, privileged: true }, opts: a.opts }
                : undefined;
        const result = await harness.deploy(name, localArgs(), {
            transformations: [addPrivileged],
        });
        expect(result.ok).toBe(false);
        expect(result.errors.join("\n")).toMatch(
            new RegExp(
                `unmapped field privileged on docker:index/container:Container "${name}-restore-0"`,
            ),
        );
        expect(containerExists(`${name}-restore-0`)).toBe(false);
        expect(containerExists(`${name}-litestream`)).toBe(false);
        expect(containerExists(name)).toBe(false);
    });
});
