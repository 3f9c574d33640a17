/**
 * The Compose export of the component under mocks: `composeFile` beside the Docker deployment,
 * and with `docker.deploy: false` instead of it (nothing on a Docker host, not even a
 * provider); which app values become variables; what is secret.
 */
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { LitestreamBackupArgs } from "../../components";
import { referencedVariables } from "../../components/compose/variables";
import { installMocks, Registered, resolve } from "../support/mocks";

const ACCESS_KEY = "AKLOCAL0123456789ABC";
const SECRET_KEY = "local-secret-0123456789abcdefghijklmnopq";

let resources: Registered[];
let lib: typeof import("../../components");

beforeAll(async () => {
    ({ resources } = installMocks({
        stack: "prod",
        outputs: {
            "random:index/randomString:RandomString": () => ({ result: ACCESS_KEY }),
            "random:index/randomPassword:RandomPassword": () => ({ result: SECRET_KEY }),
        },
    }));
    lib = await import("../../components");
});

function s3Compatible(name: string): LitestreamBackupArgs {
    return {
        storage: {
            provider: lib.StorageProvider.S3Compatible,
            bucketName: "meds-backups",
            endpoint: "https://s3.eu-central-003.backblazeb2.com",
            accessKeyId: "0031234567890ab0000000001",
            secretAccessKey: "K003exampleexampleexampleexample",
        },
        app: {
            name,
            image: "ghcr.io/acme/meds:1.4.2",
            dataDir: "/app/data",
            databases: ["meds.db"],
            envs: {
                DB_PATH: "/app/data/meds.db",
                API_TOKEN: pulumi.secret("tok-$ecret"),
            },
        },
    };
}

/** Resources registered under a component, by the prefix of their names. */
function childrenOf(name: string): Registered[] {
    return resources.filter((r) => r.name.startsWith(`${name}-`));
}

describe("composeFile and composeEnv", () => {
    it("holds no secret and is no secret itself; composeEnv holds the values and is one", async () => {
        const backup = new lib.LitestreamBackup("plain", s3Compatible("plain"));
        const file = await resolve(backup.composeFile);
        expect(await pulumi.isSecret(backup.composeFile)).toBe(false);
        expect(file).not.toContain("K003exampleexampleexampleexample");
        expect(file).not.toContain("0031234567890ab0000000001");
        expect(file).not.toContain("tok-");
        const app = parse(file).services.app;
        expect(app.environment).toEqual({
            DB_PATH: "/app/data/meds.db",
            API_TOKEN:
                "${APP_API_TOKEN:?set it to the value of app.envs.API_TOKEN, which is secret in the stack}",
        });
        expect(await pulumi.isSecret(backup.composeEnv)).toBe(true);
        const env = await resolve(backup.composeEnv);
        expect(env).toEqual({
            LITESTREAM_ACCESS_KEY_ID: "0031234567890ab0000000001",
            LITESTREAM_SECRET_ACCESS_KEY: "K003exampleexampleexampleexample",
            APP_API_TOKEN: "tok-$ecret",
        });
        expect(referencedVariables(file).map((v) => v.name)).toEqual(Object.keys(env));
    });

    it("is rendered beside the Docker deployment, from the same names", async () => {
        const backup = new lib.LitestreamBackup("both", s3Compatible("both"));
        const file = parse(await resolve(backup.composeFile));
        await resolve(backup.appContainerName); // the app is created last
        const containers = childrenOf("both").filter(
            (r) => r.type === "docker:index/container:Container",
        );
        expect(containers.map((c) => c.inputs.name).sort()).toEqual(
            Object.values(file.services as Record<string, { container_name: string }>)
                .map((s) => s.container_name)
                .sort(),
        );
        expect(file.volumes.data.name).toBe(await resolve(backup.volumeName));
        expect(file.services.app.image).toBe("ghcr.io/acme/meds:1.4.2");
        expect(file.services.app.labels).toMatchObject({
            "litestream-backup.project": "litestream-backup",
            "litestream-backup.stack": "prod",
            "litestream-backup.component": "both",
            "litestream-backup.role": "app",
        });
    });

    it("takes every value of a whole secret map as secret, reading only its keys", async () => {
        const args = s3Compatible("whole");
        args.app.envs = pulumi.secret({ A: "1", B: "2" });
        const backup = new lib.LitestreamBackup("whole", args);
        const file = await resolve(backup.composeFile);
        expect(await pulumi.isSecret(backup.composeFile)).toBe(false);
        expect(Object.keys(parse(file).services.app.environment)).toEqual(["A", "B"]);
        expect(referencedVariables(file).map((v) => v.name)).toEqual([
            "LITESTREAM_ACCESS_KEY_ID",
            "LITESTREAM_SECRET_ACCESS_KEY",
            "APP_A",
            "APP_B",
        ]);
        expect(await resolve(backup.composeEnv)).toMatchObject({ APP_A: "1", APP_B: "2" });
    });
});

describe("the verifier in the Compose file", () => {
    it("runs after the healthy sidecar and the drill on deploy, the push URLs as variables", async () => {
        const args = s3Compatible("drills");
        args.verify = {
            interval: "1h",
            onDeploy: true,
            heartbeatUrl: pulumi.secret("https://hc-ping.com/verify-token"),
        };
        args.litestream = { heartbeatUrl: "https://hc-ping.com/litestream-token" };
        const backup = new lib.LitestreamBackup("drills", args);
        const file = await resolve(backup.composeFile);
        expect(file).not.toContain("verify-token");
        expect(file).not.toContain("litestream-token");
        const model = parse(file);
        expect(model.services["verify-deploy"]).toMatchObject({
            container_name: "drills-verify-deploy",
            command: ["/etc/litestream-verify.sh", "once"],
            restart: "no",
            depends_on: { litestream: { condition: "service_healthy" } },
            volumes: [{ type: "volume", source: "control", target: "/var/run/litestream" }],
        });
        expect(model.services.verify).toMatchObject({
            container_name: "drills-verify",
            command: ["/etc/litestream-verify.sh", "serve"],
            restart: "unless-stopped",
            depends_on: {
                litestream: { condition: "service_healthy" },
                "verify-deploy": { condition: "service_completed_successfully" },
            },
        });
        expect(model.services.verify.environment.VERIFY_HEARTBEAT_URL).toBe(
            "${VERIFY_HEARTBEAT_URL:?set it to the push monitor URL of verify.heartbeatUrl, which is secret in the stack (composeEnv)}",
        );
        expect(model.services.litestream.environment.LITESTREAM_HEARTBEAT_URL).toMatch(
            /^\$\{LITESTREAM_HEARTBEAT_URL:\?/,
        );
        expect(model.volumes.control.name).toBe("drills-control");
        expect(await resolve(backup.composeEnv)).toMatchObject({
            VERIFY_HEARTBEAT_URL: "https://hc-ping.com/verify-token",
            LITESTREAM_HEARTBEAT_URL: "https://hc-ping.com/litestream-token",
        });
        expect(await pulumi.isSecret(backup.composeEnv)).toBe(true);
        expect(await resolve(backup.verifyContainerName)).toBe("drills-verify");
    });
});

describe("docker.deploy: false", () => {
    it("creates nothing on a Docker host, and the outputs name what the Compose file runs", async () => {
        const args = s3Compatible("fileonly");
        args.docker = { deploy: false };
        const backup = new lib.LitestreamBackup("fileonly", args);
        const file = parse(await resolve(backup.composeFile));
        expect(childrenOf("fileonly").filter((r) => r.type.startsWith("docker:"))).toEqual([]);
        expect(await resolve(backup.appContainerName)).toBe("fileonly");
        expect(file.services.app.container_name).toBe("fileonly");
        expect(await resolve(backup.litestreamContainerName)).toBe(
            file.services.litestream.container_name,
        );
        expect(await resolve(backup.volumeName)).toBe(file.volumes.data.name);
        expect(await resolve(backup.restoreCommand)).toBe(
            "docker run --rm --network fileonly-network -v fileonly-data:/app/data " +
                "-e LITESTREAM_ACCESS_KEY_ID -e LITESTREAM_SECRET_ACCESS_KEY litestream/litestream:0.5.16 " +
                "restore -integrity-check full -timestamp YYYY-MM-DDTHH:MM:SSZ -o /app/data/meds.db.restored " +
                "'s3://meds-backups/fileonly/meds.db?endpoint=https://s3.eu-central-003.backblazeb2.com&region=us-east-1'",
        );
        expect(file.networks.default.name).toBe("fileonly-network");
    });

    it("with local storage creates only the server's keys, and runs the server in the file", async () => {
        const backup = new lib.LitestreamBackup("devfile", {
            storage: { provider: lib.StorageProvider.Local },
            app: { image: "ghcr.io/acme/meds:1.4.2", dataDir: "/app/data", databases: ["a.db"] },
            docker: { deploy: false },
        });
        const text = await resolve(backup.composeFile);
        const file = parse(text);
        expect(
            childrenOf("devfile")
                .map((r) => r.type)
                .sort(),
        ).toEqual([
            "random:index/randomPassword:RandomPassword",
            "random:index/randomString:RandomString",
        ]);
        expect(await resolve(backup.endpoint)).toBe("http://devfile-s3:7070");
        expect(file.services.s3.container_name).toBe("devfile-s3");
        expect(file.services.s3.environment.BUCKET).toBe("devfile-prod");
        expect(file.services.preflight.depends_on).toEqual({
            s3: { condition: "service_healthy" },
        });
        expect(parse(file.configs["litestream.yml"].content).dbs[0].replica.endpoint).toBe(
            "http://devfile-s3:7070",
        );
        expect(text).not.toContain(SECRET_KEY);
        expect(await resolve(backup.composeEnv)).toEqual({
            LITESTREAM_ACCESS_KEY_ID: ACCESS_KEY,
            LITESTREAM_SECRET_ACCESS_KEY: SECRET_KEY,
        });
    });

    it("refuses a Docker host it would not use, naming the field", () => {
        const args = s3Compatible("refused");
        args.docker = { deploy: false, host: "ssh://deploy@app.example.com" };
        try {
            new lib.LitestreamBackup("refused", args);
            expect.unreachable();
        } catch (e) {
            expect(pulumi.InputPropertyError.isInstance(e)).toBe(true);
            expect((e as pulumi.InputPropertyError).propertyPath).toBe("docker.host");
        }
    });
});
