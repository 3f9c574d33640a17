/**
 * How the component tells a mocked run from a real one: the SDK's mock monitor is positive
 * evidence of mocks; the monitor client of a CLI run, or none at all, is not. These tests pin
 * the SDK behaviour the check relies on, so an SDK upgrade that changes it fails here.
 */
import * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import { describe, expect, it } from "vitest";
import { isMockedRun, isMockMonitor } from "../../components/mocked-run";

const plainMocks: pulumi.runtime.Mocks = {
    newResource: (args) => ({ id: `${args.name}_id`, state: args.inputs }),
    call: (args) => args.inputs,
};

describe("isMockedRun", () => {
    it("is true under setMocks, in a deployment and in a preview", () => {
        pulumi.runtime.setMocks(plainMocks, "project", "stack", false);
        expect(isMockedRun()).toBe(true);
        pulumi.runtime.setMocks(plainMocks, "project", "stack", true);
        expect(isMockedRun()).toBe(true);
    });

    it("is false with the gRPC monitor client a CLI run connects to", () => {
        // What the CLI hands a program: a monitor address. The SDK connects lazily, so no
        // server is needed to get the client a real run uses.
        pulumi.runtime.resetOptions("project", "stack", -1, "", "127.0.0.1:1", false, "");
        const monitor = pulumi.runtime.getMonitor();
        expect(monitor).toBeDefined();
        expect(isMockedRun()).toBe(false);
        (monitor as unknown as { close(): void }).close();
    });
});

describe("isMockMonitor", () => {
    it("recognizes the SDK's mock monitor", () => {
        expect(isMockMonitor(new MockMonitor(plainMocks))).toBe(true);
    });

    it("recognizes one from a second copy of the SDK, which is not an instance of this copy's class", () => {
        const fromOtherCopy = { mocks: plainMocks, resources: new Map() };
        expect(fromOtherCopy instanceof MockMonitor).toBe(false);
        expect(isMockMonitor(fromOtherCopy)).toBe(true);
    });

    it("takes nothing else for a mock", () => {
        for (const monitor of [undefined, null, {}, { mocks: {} }, { mocks: null }, "mock"]) {
            expect(isMockMonitor(monitor)).toBe(false);
        }
    });
});
