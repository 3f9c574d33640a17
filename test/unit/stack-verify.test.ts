/**
 * The stack program with the `verify` key and Litestream's heartbeat in its stack config, as
 * `pulumi config set --path` leaves them (a plain object: the program cannot tell which part
 * was set with `--secret`): the push monitors' URLs reach the containers as secrets only.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { installMocks, isSecretInput, Registered, resolve, unwrapSecrets } from "../support/mocks";

const root = path.resolve(__dirname, "../..");
const devStack = parse(readFileSync(path.join(root, "Pulumi.dev.yaml"), "utf8")).config as Record<
    string,
    unknown
>;
const VERIFY_URL = "https://hc-ping.com/verify-5f1e0c3a";
const LITESTREAM_URL = "https://hc-ping.com/litestream-5f1e0c3a";

let resources: Registered[];
let stack: typeof import("../../index");

beforeAll(async () => {
    ({ resources } = installMocks({ stack: "dev" }));
    const config: Record<string, unknown> = {
        ...devStack,
        "litestream-backup:litestream": {
            metricsPort: 9090,
            heartbeatUrl: LITESTREAM_URL,
            heartbeatInterval: "1m",
        },
        "litestream-backup:verify": { interval: "1h", heartbeatUrl: VERIFY_URL, onDeploy: true },
    };
    pulumi.runtime.setAllConfig(
        Object.fromEntries(Object.entries(config).map(([k, v]) => [k, JSON.stringify(v)])),
    );
    stack = await import("../../index");
});

describe("the stack program with restore drills", () => {
    it("exports the verifier's name and deploys it with the drill on deploy", async () => {
        expect(await resolve(stack.verifyContainerName)).toBe("demo-verify");
        const names = resources.map((r) => r.name);
        expect(names).toContain("litestream-backup-verify");
        expect(names).toContain("litestream-backup-verify-deploy");
    });

    it("keeps both push monitor URLs secret, in the containers' environment only", async () => {
        await resolve(stack.composeEnv);
        const verify = resources.find((r) => r.name === "litestream-backup-verify");
        const sidecar = resources.find((r) => r.name === "litestream-backup-litestream");
        expect(isSecretInput(verify?.inputs.envs)).toBe(true);
        expect(unwrapSecrets(verify?.inputs.envs)).toContain(`VERIFY_HEARTBEAT_URL=${VERIFY_URL}`);
        expect(isSecretInput(sidecar?.inputs.envs)).toBe(true);
        expect(unwrapSecrets(sidecar?.inputs.envs)).toContain(
            `LITESTREAM_HEARTBEAT_URL=${LITESTREAM_URL}`,
        );
        for (const r of resources) {
            const visible = JSON.stringify({ ...r.inputs, envs: undefined });
            expect(visible, r.name).not.toContain("5f1e0c3a");
        }
        for (const output of [stack.litestreamConfig, stack.composeFile]) {
            expect(await resolve(output)).not.toContain("5f1e0c3a");
        }
        expect(await pulumi.isSecret(stack.composeEnv)).toBe(true);
        expect(await resolve(stack.litestreamConfig)).toContain(
            'heartbeat-url: "${LITESTREAM_HEARTBEAT_URL}"\nheartbeat-interval: 1m\n',
        );
    });
});
