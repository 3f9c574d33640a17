/**
 * The stack program under mocks, with the stack config of Pulumi.dev.yaml set through
 * `setAllConfig` as the CLI would.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { installMocks, isSecretInput, Registered, resolve } from "../support/mocks";

const root = path.resolve(__dirname, "../..");
const devStack = parse(readFileSync(path.join(root, "Pulumi.dev.yaml"), "utf8")).config as Record<
    string,
    unknown
>;

let resources: Registered[];
let stack: typeof import("../../index");

beforeAll(async () => {
    ({ resources } = installMocks({ stack: "dev" }));
    pulumi.runtime.setAllConfig(
        Object.fromEntries(
            Object.entries(devStack).map(([key, value]) => [key, JSON.stringify(value)]),
        ),
    );
    stack = await import("../../index");
});

describe("the dev stack program", () => {
    it("reads every key from the project namespace", () => {
        expect(Object.keys(devStack).every((k) => k.startsWith("litestream-backup:"))).toBe(true);
    });

    it("builds one LitestreamBackup from the stack config", async () => {
        await resolve(stack.litestreamConfig);
        const components = resources.filter(
            (r) => r.type === "litestream-backup:index:LitestreamBackup",
        );
        expect(components.map((c) => c.name)).toEqual(["litestream-backup"]);
    });

    it("exports the outputs of the component", async () => {
        expect(await resolve(stack.bucketName)).toBe("litestream-backup-dev");
        expect(await resolve(stack.appContainerName)).toBe("demo");
        expect(await resolve(stack.replicaUrls)).toEqual([
            "s3://litestream-backup-dev/litestream-backup/demo.db",
        ]);
        const yaml = parse(await resolve(stack.litestreamConfig));
        expect(yaml.addr).toBe(":9090");
        expect(yaml.dbs[0].path).toBe("/app/data/demo.db");
        expect(yaml.dbs[0].replica["sync-interval"]).toBe("1s");
        expect(await pulumi.isSecret(stack.secretAccessKey)).toBe(true);
        expect(await pulumi.isSecret(stack.accessKeyId)).toBe(true);
    });

    it("exports the Compose file with every app value as a variable, none of them in it", async () => {
        const file = await resolve(stack.composeFile);
        expect(await pulumi.isSecret(stack.composeFile)).toBe(false);
        const app = parse(file).services.app;
        expect(app.container_name).toBe("demo");
        // Stack config cannot say which app value is secret, so the program marks each one.
        expect(app.environment).toEqual({
            DB_PATH:
                "${APP_DB_PATH:?set it to the value of app.envs.DB_PATH, which is secret in the stack}",
        });
        expect(await pulumi.isSecret(stack.composeEnv)).toBe(true);
        expect(await resolve(stack.composeEnv)).toMatchObject({ APP_DB_PATH: "/app/data/demo.db" });
        expect(parse(file).services.s3.container_name).toBe("demo-s3");
    });

    it("runs the demo app with its command and keeps its environment secret", async () => {
        await resolve(stack.appContainerName);
        const app = resources.find(
            (r) => r.type === "docker:index/container:Container" && r.inputs.name === "demo",
        );
        expect(app?.inputs.image).toBeDefined();
        expect((app?.inputs.command as string[])[0]).toBe("python3");
        expect(isSecretInput(app?.inputs.envs)).toBe(true);
    });
});
