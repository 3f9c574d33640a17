/**
 * The component must stay usable from other languages through `pulumi package add`:
 * the SDK's component analyzer has to derive a schema from it (args typed by an interface,
 * no union types, every class property an output).
 */
import * as path from "node:path";
import { Analyzer } from "@pulumi/pulumi/provider/experimental/analyzer";
import { describe, expect, it } from "vitest";
import packageJson from "../../package.json";

describe("component-package analyzer", () => {
    it("derives a schema for LitestreamBackup", { timeout: 180_000 }, () => {
        const root = path.resolve(__dirname, "../..");
        const result = new Analyzer(
            root,
            "litestream-backup",
            packageJson,
            new Set(["LitestreamBackup"]),
        ).analyze();
        const component = result.components.LitestreamBackup;
        expect(Object.keys(component.inputs).sort()).toEqual(
            [
                "app",
                "autoRestore",
                "docker",
                "kubernetes",
                "litestream",
                "replication",
                "storage",
                "verify",
            ].sort(),
        );
        expect(component.inputs.storage).toMatchObject({
            $ref: "#/types/litestream-backup:index:StorageArgs",
        });
        expect(component.inputs.app.optional).toBeFalsy();
        expect(component.inputs.replication.optional).toBe(true);
        expect(Object.keys(component.outputs).sort()).toEqual(
            [
                "accessKeyId",
                "appContainerName",
                "bucketName",
                "composeEnv",
                "composeFile",
                "endpoint",
                "litestreamConfig",
                "litestreamContainerName",
                "region",
                "replicaUrls",
                "restoreCommand",
                "secretAccessKey",
                "verifyContainerName",
                "statefulSetName",
                "statefulSetNamespace",
                "volumeName",
            ].sort(),
        );
        expect(Object.keys(result.typeDefinitions).sort()).toEqual(
            [
                "AppArgs",
                "DockerArgs",
                "KubernetesArgs",
                "LitestreamArgs",
                "PortArgs",
                "ReplicationArgs",
                "ReplicationPreset",
                "StorageArgs",
                "StorageProvider",
                "VerifyArgs",
            ].sort(),
        );
        expect(Object.keys(result.typeDefinitions.VerifyArgs.properties ?? {}).sort()).toEqual([
            "enabled",
            "heartbeatUrl",
            "interval",
            "onDeploy",
        ]);
        expect(result.typeDefinitions.VerifyArgs.properties?.onDeploy).toMatchObject({
            type: "boolean",
            optional: true,
        });
        expect(result.typeDefinitions.StorageProvider.enum?.map((e) => e.value)).toEqual([
            "local",
            "r2",
            "s3",
            "s3-compatible",
        ]);
        expect(result.typeDefinitions.ReplicationPreset.enum?.map((e) => e.value)).toEqual([
            "personal",
            "active",
            "critical",
        ]);
        expect(component.outputs.composeEnv).toMatchObject({
            type: "object",
            additionalProperties: { type: "string" },
        });
        expect(result.typeDefinitions.DockerArgs.properties?.deploy).toMatchObject({
            type: "boolean",
            optional: true,
        });
        expect(result.typeDefinitions.KubernetesArgs.properties?.storageSize).toMatchObject({
            type: "string",
            optional: true,
        });
        // TSDoc reaches the schema, so other languages' SDKs document the fields too.
        expect(result.typeDefinitions.AppArgs.properties?.dataDir.description).toContain(
            "Absolute path",
        );
    });
});
