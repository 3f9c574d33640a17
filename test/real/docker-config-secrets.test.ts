/**
 * Real Docker engine, scenario (e): the Litestream config read back from the running sidecar
 * (and from the restore container) is exactly the component's `litestreamConfig` output and
 * holds no credential; no label of any Docker object holds one either. The key pair lives only
 * in the environment of the Litestream containers (and, for `local`, of the S3 server, whose
 * root keys they are).
 */
import { describe, expect, it } from "vitest";
import {
    describeRun,
    inspectContainer,
    localArgs,
    readFileFromContainer,
    report,
    uniqueName,
    useDockerHarness,
} from "../harness/fixtures";
import { docker } from "../harness/harness";

const CONFIG_PATH = "/etc/litestream.yml";
const HEALTHCHECK_PATH = "/etc/litestream-healthcheck.sh";

const harness = useDockerHarness();

describe("docker: the rendered config inside the sidecar", () => {
    it("is the component's litestreamConfig and holds no credential; no label does", async () => {
        const started = Date.now();
        const name = uniqueName("dk-config");
        const result = await harness.deploy(name, localArgs());
        expect(result.errors, describeRun(harness)).toEqual([]);
        const out = result.outputs!;
        const secrets = [out.accessKeyId, out.secretAccessKey];
        expect(out.accessKeyId.length).toBeGreaterThanOrEqual(16);
        expect(out.secretAccessKey.length).toBeGreaterThanOrEqual(32);

        const sidecar = `${name}-litestream`;
        const restore = `${name}-restore-0`;
        const config = readFileFromContainer(sidecar, CONFIG_PATH);
        expect(config).toBe(out.litestreamConfig);
        expect(readFileFromContainer(restore, CONFIG_PATH)).toBe(out.litestreamConfig);
        expect(config).toContain(`bucket: ${out.bucketName}`);
        expect(config).toContain(`endpoint: http://${name}-s3:7070`);
        const script = readFileFromContainer(sidecar, HEALTHCHECK_PATH);
        // Uploaded as the provider writes uploads: mode 0644, owned by root.
        expect(docker(["exec", sidecar, "stat", "-c", "%a %u %g", CONFIG_PATH]).trim()).toBe(
            "644 0 0",
        );
        for (const secret of secrets) {
            expect(config).not.toContain(secret);
            expect(script).not.toContain(secret);
            expect(out.restoreCommand).not.toContain(secret);
        }

        // Where the key pair is: only the Litestream containers' and the S3 server's env.
        const envOf = (c: string) => inspectContainer(c).Config.Env ?? [];
        for (const c of [sidecar, restore]) {
            expect(envOf(c)).toEqual(
                expect.arrayContaining([
                    `LITESTREAM_ACCESS_KEY_ID=${out.accessKeyId}`,
                    `LITESTREAM_SECRET_ACCESS_KEY=${out.secretAccessKey}`,
                ]),
            );
        }
        expect(envOf(`${name}-s3`)).toEqual(
            expect.arrayContaining([
                `ROOT_ACCESS_KEY_ID=${out.accessKeyId}`,
                `ROOT_SECRET_ACCESS_KEY=${out.secretAccessKey}`,
            ]),
        );
        const appEnv = envOf(name).join("\n");
        for (const secret of secrets) expect(appEnv).not.toContain(secret);

        // Nothing else of any object holds it: labels, command, entrypoint, mounts, networks.
        const objects: [string, string][] = [
            ["container", name],
            ["container", sidecar],
            ["container", restore],
            ["container", `${name}-s3`],
            ["volume", `${name}-data`],
            ["volume", `${name}-s3-data`],
            ["network", `${name}-network`],
        ];
        let labelsChecked = 0;
        for (const [kind, object] of objects) {
            const info = JSON.parse(docker([kind, "inspect", object]))[0];
            const labels = kind === "container" ? info.Config.Labels : info.Labels;
            expect(labels["litestream-backup.component"], object).toBe(name);
            labelsChecked += Object.keys(labels).length;
            if (kind === "container") delete info.Config.Env;
            const text = JSON.stringify(info);
            for (const secret of secrets) expect(text, `${kind} ${object}`).not.toContain(secret);
        }

        report("e config and credentials (local)", started, {
            deploy: `${(result.durationMs / 1000).toFixed(1)}s`,
            config_bytes: config.length,
            objects_inspected: objects.length,
            labels_checked: labelsChecked,
        });
    });
});
